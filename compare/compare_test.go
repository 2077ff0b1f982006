package compare

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/flytedoctor/flytedoctor/collectors/evidence"
	"github.com/flyteorg/flyte/flyteidl/gen/pb-go/flyteidl/admin"
	"github.com/flyteorg/flyte/flyteidl/gen/pb-go/flyteidl/core"
)

func lit(v any) *core.Literal {
	p := &core.Primitive{}
	switch v := v.(type) {
	case int64:
		p.Value = &core.Primitive_Integer{Integer: v}
	case string:
		p.Value = &core.Primitive_StringValue{StringValue: v}
	}
	return &core.Literal{Value: &core.Literal_Scalar{Scalar: &core.Scalar{Value: &core.Scalar_Primitive{Primitive: p}}}}
}

func run(name, phase, version, image, mem string, inputs map[string]*core.Literal, env map[string]string, node string) Run {
	id := evidence.ExecutionID{Project: "p", Domain: "d", Name: name}
	attempt := &evidence.TaskAttempt{TaskID: evidence.Identifier{Name: "wf.train", Version: version}, Phase: phase, PodName: name + "-n1-0"}
	n1 := &evidence.Node{ID: "n1", Phase: phase, Kind: evidence.KindTask, Duration: evidence.Duration(time.Minute), Attempts: []*evidence.TaskAttempt{attempt}}
	if phase == "FAILED" {
		n1.Error = &evidence.ExecutionError{Code: "OOMKilled"}
	}
	snap := &evidence.Snapshot{Target: id, Execution: &evidence.Execution{ID: id, Phase: phase, ServiceAccount: "default",
		LaunchPlan: evidence.Identifier{Name: "wf", Version: version}, Workflow: evidence.Identifier{Name: "wf", Version: version},
		Nodes: []*evidence.Node{{ID: "n0", Phase: "SUCCEEDED", Kind: evidence.KindTask, Duration: evidence.Duration(10 * time.Second)}, n1}}}
	var envs []*core.KeyValuePair
	for k, v := range env {
		envs = append(envs, &core.KeyValuePair{Key: k, Value: v})
	}
	r := Run{Source: name, Snapshot: snap,
		Execution: &admin.Execution{Spec: &admin.ExecutionSpec{Envs: &admin.Envs{Values: envs}}},
		Data:      &admin.WorkflowExecutionGetDataResponse{FullInputs: &core.LiteralMap{Literals: inputs}},
		Pods: []corev1.Pod{{ObjectMeta: metav1.ObjectMeta{Name: name + "-n1-0"}, Spec: corev1.PodSpec{NodeName: node, Containers: []corev1.Container{{Name: "c", Image: image,
			Resources: corev1.ResourceRequirements{Limits: corev1.ResourceList{corev1.ResourceMemory: resource.MustParse(mem)}}}}}}},
		Nodes: []corev1.Node{
			{ObjectMeta: metav1.ObjectMeta{Name: "a", Labels: map[string]string{"eks.amazonaws.com/nodegroup": "cpu", "node.kubernetes.io/instance-type": "m6i.4xlarge"}}},
			{ObjectMeta: metav1.ObjectMeta{Name: "b", Labels: map[string]string{"karpenter.sh/nodepool": "spot", "node.kubernetes.io/instance-type": "c7g.large"}}},
		},
	}
	return r
}

func TestCompare(t *testing.T) {
	a := run("fail", "FAILED", "v2", "img:2", "1Gi", map[string]*core.Literal{"epochs": lit(int64(10)), "path": lit("s3://x/y")},
		map[string]string{"DB_PASSWORD": "secret-a", "MODE": "fast"}, "b")
	b := run("ok", "SUCCEEDED", "v1", "img:1", "2Gi", map[string]*core.Literal{"epochs": lit(int64(5)), "path": lit("s3://x/y")},
		map[string]string{"DB_PASSWORD": "secret-b"}, "a")
	r := Compare(a, b)
	want := map[string]bool{
		"launch-plan-version||v1|v2":                             true,
		"task-version|wf.train|v1|v2":                            true,
		"image|wf.train|img:1|img:2":                             true,
		"resources|wf.train|limits memory=2Gi|limits memory=1Gi": true,
		"input|epochs|5|10":                                      true,
		"node-pools||cpu (m6i.4xlarge)|spot (c7g.large)":         true,
		"env||1 variable|~DB_PASSWORD +MODE (names only)":        true,
	}
	for _, c := range r.Changes {
		k := c.What + "|" + c.Subject + "|" + c.B + "|" + c.A
		delete(want, k)
	}
	if len(want) > 0 {
		t.Errorf("missing changes %v in %+v", want, r.Changes)
	}
	var buf bytes.Buffer
	if err := WriteText(&buf, r); err != nil {
		t.Fatal(err)
	}
	j, _ := json.Marshal(r)
	for _, out := range []string{buf.String(), string(j)} {
		if strings.Contains(out, "secret-a") || strings.Contains(out, "secret-b") {
			t.Errorf("an env value was printed:\n%s", out)
		}
	}
	if !strings.Contains(strings.Join(r.Same, ","), "1 input") || !strings.Contains(strings.Join(r.Same, ","), "service account") {
		t.Errorf("same %v", r.Same)
	}
	fn := r.FailingNode
	if fn == nil || fn.DivergesAt != "n1" || strings.Join(fn.Path, "/") != "n1" || fn.B.Phase != "SUCCEEDED" || fn.A.Error != "OOMKilled" {
		t.Errorf("failing node %+v", fn)
	}
	if len(r.Durations) != 2 || r.Durations[1].Node != "n1" || r.Durations[1].A != evidence.Duration(time.Minute) {
		t.Errorf("durations %+v", r.Durations)
	}
}

func TestLiteralText(t *testing.T) {
	for want, l := range map[string]*core.Literal{
		`"x"`:                              lit("x"),
		"42":                               lit(int64(42)),
		"s3://b/k (1234 bytes, offloaded)": {Value: &core.Literal_OffloadedMetadata{OffloadedMetadata: &core.LiteralOffloadedMetadata{Uri: "s3://b/k", SizeBytes: 1234}}},
		`[1, 2, 3, …] (4 items)`:           {Value: &core.Literal_Collection{Collection: &core.LiteralCollection{Literals: []*core.Literal{lit(int64(1)), lit(int64(2)), lit(int64(3)), lit(int64(4))}}}},
		"s3://b/data.parquet":              {Value: &core.Literal_Scalar{Scalar: &core.Scalar{Value: &core.Scalar_StructuredDataset{StructuredDataset: &core.StructuredDataset{Uri: "s3://b/data.parquet"}}}}},
	} {
		if got := literalText(l); got != want {
			t.Errorf("literalText = %q, want %q", got, want)
		}
	}
}

// A node B never read below (it succeeded) is said to be so, not guessed.
func TestFailingNodeBelowWhatBRead(t *testing.T) {
	a := run("fail", "FAILED", "v1", "img", "1Gi", nil, nil, "a")
	b := run("ok", "SUCCEEDED", "v1", "img", "1Gi", nil, nil, "a")
	child := &evidence.Node{ID: "n1-0-n0", Phase: "FAILED", Kind: evidence.KindTask}
	a.Snapshot.Execution.Nodes[1].Kind, a.Snapshot.Execution.Nodes[1].Children = evidence.KindSubworkflow, []*evidence.Node{child}
	a.Snapshot.Execution.Nodes[1].Attempts = nil
	b.Snapshot.Execution.Nodes[1].Kind, b.Snapshot.Execution.Nodes[1].Attempts = evidence.KindSubworkflow, nil
	r := Compare(a, b)
	if fn := r.FailingNode; fn == nil || !strings.Contains(fn.Note, "below n1 were not read") || strings.Join(fn.Path, "/") != "n1/n1-0-n0" {
		t.Errorf("failing node %+v", r.FailingNode)
	}
}
