package report

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/flytedoctor/flytedoctor/collectors/evidence"
	"github.com/flytedoctor/flytedoctor/rules"
)

func imagePullWithKube() *evidence.Snapshot {
	t0 := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	pod := "a4t8tqkzr9xw2bnl5mfd-n1-0"
	msg := `Grace period [3m0s] exceeded|containers with unready status: [` + pod + `]|Back-off pulling image "ghcr.io/acme/trainer:v1.2.3"`
	e := &evidence.ExecutionError{Kind: "USER", Code: "ContainersNotReady|ImagePullBackOff", Message: msg}
	ex := &evidence.Execution{ID: evidence.ExecutionID{Project: "flytesnacks", Domain: "development", Name: "a4t8tqkzr9xw2bnl5mfd"}, Phase: "FAILED", Error: e,
		Nodes: []*evidence.Node{
			{ID: "n1", Phase: "FAILED", Kind: evidence.KindTask, Error: e, Attempts: []*evidence.TaskAttempt{
				{RetryAttempt: 0, Phase: "FAILED", PodName: pod, Error: e}}},
			{ID: "n2", Phase: "FAILED", Kind: evidence.KindTask, Attempts: []*evidence.TaskAttempt{
				{RetryAttempt: 0, Phase: "FAILED", PodName: "a4t8tqkzr9xw2bnl5mfd-n2-0"}}},
		}}
	return &evidence.Snapshot{SchemaVersion: evidence.SchemaVersion, CollectedAt: t0.Add(10 * time.Minute), Target: ex.ID, Execution: ex,
		Kube: &evidence.Kube{Namespace: "flytesnacks-development",
			Pods: []evidence.Pod{{Name: pod, Namespace: "flytesnacks-development", Phase: "Pending", NodeName: "ip-10-0-1-23.ec2.internal",
				Containers: []evidence.Container{{Name: pod, Image: "ghcr.io/acme/trainer:v1.2.3",
					State: evidence.ContainerState{State: "waiting", Reason: "ImagePullBackOff", Message: `Back-off pulling image "ghcr.io/acme/trainer:v1.2.3"`}}}}},
			MissingPods: []evidence.PodRef{{Name: "a4t8tqkzr9xw2bnl5mfd-n2-0", NodeID: "n2"}},
			Events: []evidence.Event{
				{Kind: "Pod", Name: pod, Type: "Normal", Reason: "Pulling", Message: `Pulling image "ghcr.io/acme/trainer:v1.2.3"`, Count: 4, LastTime: t0.Add(5 * time.Minute)},
				{Kind: "Pod", Name: pod, Type: "Warning", Reason: "BackOff", Message: `Back-off pulling image "ghcr.io/acme/trainer:v1.2.3"`, Count: 11, LastTime: t0.Add(9 * time.Minute)},
				{Kind: "Pod", Name: "other-pod", Type: "Warning", Reason: "BackOff", Message: "not ours", Count: 1, LastTime: t0},
			}},
		Storage: &evidence.Storage{Identity: evidence.StorageIdentity{ARN: "arn:aws:iam::123456789012:role/flyte-task", Source: "env"},
			Probes: []evidence.StorageProbe{{Operation: "HeadObject", Bucket: "flyte-data", Key: "metadata/propeller/x/n1/data/inputs.pb", Outcome: "denied",
				ErrorCode: "AccessDenied", HTTPStatus: 403, Path: evidence.StoragePath{Node: &evidence.NodeRef{Execution: ex.ID, NodeID: "n1"}}}}},
		Collection: []evidence.CollectorRecord{{Collector: "s3", Status: evidence.StatusOK}},
	}
}

func TestWriteTextPodsEventsAndStorage(t *testing.T) {
	var b bytes.Buffer
	if err := WriteText(&b, &Report{Snapshot: imagePullWithKube()}, TextOptions{}); err != nil {
		t.Fatal(err)
	}
	golden(t, "kube-storage.txt", b.Bytes())
	out := b.String()
	// Latest event first, with its count; another pod's events are not under this attempt.
	if i, j := strings.Index(out, "BackOff ×11"), strings.Index(out, "Pulling ×4"); i < 0 || j < 0 || i > j {
		t.Errorf("events not latest-first with counts:\n%s", out)
	}
	for _, want := range []string{"waiting: ImagePullBackOff", "no longer exists", "HeadObject s3://flyte-data/metadata/propeller/x/n1/data/inputs.pb: AccessDenied (HTTP 403)", "identity arn:aws:iam::123456789012:role/flyte-task (credentials from env)"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	if strings.Contains(out, "not ours") {
		t.Error("another pod's event is shown")
	}
}

// A parent execution and its child both have a node n0, with different storage probes: each
// shows under its own node, and the rules' site for the child's n0 saw the same probes.
func TestWriteTextProbesUnderTheirOwnExecutionsNode(t *testing.T) {
	b, err := os.ReadFile("../rules/storage/testdata/FD3008/fires-child-execution-same-node-id/snapshot.json")
	if err != nil {
		t.Fatal(err)
	}
	var snap evidence.Snapshot
	if err := json.Unmarshal(b, &snap); err != nil {
		t.Fatal(err)
	}
	res := rules.Run(&snap, rules.Table(), rules.Config{})
	var out bytes.Buffer
	if err := WriteText(&out, &Report{Snapshot: &snap, Result: rules.Result{Findings: res.Findings}}, TextOptions{}); err != nil {
		t.Fatal(err)
	}
	golden(t, "child-same-node-id.txt", out.Bytes())

	// The storage lines under each n0 of the tree, by the execution that owns it.
	text := out.String()
	tree := text[strings.Index(text, "Failing path"):]
	parentAt, childAt := strings.Index(tree, "n0  launchplan"), strings.Index(tree, "n0  task")
	if parentAt < 0 || childAt < parentAt {
		t.Fatalf("tree:\n%s", tree)
	}
	underParent, underChild := tree[parentAt:childAt], tree[childAt:]
	parentKey := "flytesnacks-development-q4nz7xw2kt9mv5rp8bdc/n0/data/inputs.pb: NoSuchKey (HTTP 404)"
	childKey := "flytesnacks-development-p7xk2mv9tq4wz8rn3bdh/n0/data/inputs.pb: AccessDenied (HTTP 403)"
	if !strings.Contains(underParent, parentKey) || strings.Contains(underParent, "p7xk2mv9tq4wz8rn3bdh/n0/") {
		t.Errorf("parent n0 shows other probes than its own:\n%s", underParent)
	}
	if !strings.Contains(underChild, childKey) || strings.Contains(underChild, "q4nz7xw2kt9mv5rp8bdc/n0/") {
		t.Errorf("child n0 shows other probes than its own:\n%s", underChild)
	}

	// The root cause is the child's n0, and its evidence has the child's probes only.
	if len(res.Findings) == 0 || !res.Findings[0].RootCause || res.Findings[0].Subject.Execution != "flytesnacks/development/p7xk2mv9tq4wz8rn3bdh" {
		t.Fatalf("findings = %+v", res.Findings)
	}
	ev := strings.Join(res.Findings[0].Evidence, "\n")
	if !strings.Contains(ev, "p7xk2mv9tq4wz8rn3bdh/n0/data/inputs.pb (node-inputs): denied") || strings.Contains(ev, "q4nz7xw2kt9mv5rp8bdc/n0/") {
		t.Errorf("the rules' site saw other probes than the child n0's:\n%s", ev)
	}
}
