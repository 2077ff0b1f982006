package gen_test

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/flytedoctor/flytedoctor/collectors/flyteadmin/fakeadmin"
	"github.com/flyteorg/flyte/flyteidl/gen/pb-go/flyteidl/admin"
	"github.com/flyteorg/flyte/flyteidl/gen/pb-go/flyteidl/core"
)

type expectation struct {
	root, code string
	phase      core.WorkflowExecution_Phase
}

// expectations per scenario file: root execution, its phase and error code.
func expectations() map[string]expectation {
	return map[string]expectation{
		"image-pull.json":          {"a4t8tqkzr9xw2bnl5mfd", "RetriesExhausted|ContainersNotReady|ImagePullBackOff", core.WorkflowExecution_FAILED},
		"subworkflow.json":         {"f8kq2vzt6mwx9rjd4hpb", "RetriesExhausted|OOMKilled", core.WorkflowExecution_FAILED},
		"healthy.json":             {"c2n7wpx4kd9tq8zbm5rf", "", core.WorkflowExecution_SUCCEEDED},
		"dynamic-fanout.json":      {"d9rk4mt2xw7bq5zn8vpc", "USER:ValueError", core.WorkflowExecution_FAILED},
		"child-launchplan.json":    {"h3vz8qk5tn2wr9xm4bdf", "ContainersNotReady|CreateContainerConfigError", core.WorkflowExecution_FAILED},
		"array-node.json":          {"k6wq9tz3mr8xb2nd7vfh", "", core.WorkflowExecution_FAILED},
		"unschedulable.json":       {"m5tq8xw2kz7rb4nd9vhc", "", core.WorkflowExecution_RUNNING},
		"storage-permission.json":  {"p7xk2mv9tq4wz8rn3bdh", "RetriesExhausted|SYSTEM", core.WorkflowExecution_FAILED},
		"image-change-before.json": {"q4mz7tw2xk9rb3nv8dpc", "", core.WorkflowExecution_SUCCEEDED},
		"image-change.json":        {"w8tk3qz5mx2vb9rn7hdc", "RetriesExhausted|Interrupted", core.WorkflowExecution_FAILED},
		"fanout-denied.json":       {"h3wq8zt5mk2vr9xn4bcd", "RetriesExhausted|SYSTEM", core.WorkflowExecution_FAILED},
	}
}

func load(t *testing.T, file string) *fakeadmin.Fixture {
	t.Helper()
	fh, err := os.Open(filepath.Join("..", file))
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	f, err := fakeadmin.LoadFixture(fh)
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	return f
}

// adminFiles lists the Admin fixtures, leaving out the .kube.json and .storage.json files.
func adminFiles(t *testing.T) []string {
	t.Helper()
	all, err := filepath.Glob("../*.json")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, f := range all {
		if !strings.HasSuffix(f, ".kube.json") && !strings.HasSuffix(f, ".storage.json") {
			out = append(out, f)
		}
	}
	return out
}

func TestEveryScenarioLoads(t *testing.T) {
	expect := expectations()
	files := adminFiles(t)
	if len(files) != len(expect) {
		t.Fatalf("scenario files %v, want %d", files, len(expect))
	}
	name := regexp.MustCompile(`^[a-z][a-z0-9]{19}$`)
	for _, path := range files {
		file := filepath.Base(path)
		want, ok := expect[file]
		if !ok {
			t.Errorf("unexpected scenario %s", file)
			continue
		}
		if st, _ := os.Stat(path); st.Size() > 1500*1024 {
			t.Errorf("%s is %d bytes, keep it under 1.5 MB", file, st.Size())
		}
		f := load(t, file)
		root := f.Executions[0].Execution
		if root.GetId().GetName() != want.root || !name.MatchString(root.GetId().GetName()) {
			t.Errorf("%s: root execution %s", file, root.GetId().GetName())
		}
		if root.GetClosure().GetPhase() != want.phase || root.GetClosure().GetError().GetCode() != want.code {
			t.Errorf("%s: root %s %q", file, root.GetClosure().GetPhase(), root.GetClosure().GetError().GetCode())
		}
		for _, ef := range f.Executions {
			id := ef.Execution.GetId()
			if id.GetProject() != "flytesnacks" || id.GetDomain() != "development" ||
				ef.Execution.GetSpec().GetMetadata().GetSystemMetadata().GetNamespace() != "flytesnacks-development" {
				t.Errorf("%s: execution %v outside flytesnacks-development", file, id)
			}
			for _, nf := range ef.Nodes {
				for _, te := range nf.Tasks {
					checkPodName(t, file, id.GetName(), nf.NodeExecution.GetId().GetNodeId(), te)
				}
			}
		}
	}
}

// checkPodName: generated_name is <exec>-<node unique id>-<retry> (C1), external ids of array
// subtasks add -n<index>-<retry>.
func checkPodName(t *testing.T, file, exec, nodeID string, te *admin.TaskExecution) {
	t.Helper()
	md := te.GetClosure().GetMetadata()
	if md.GetPluginIdentifier() == "k8s-array" {
		for _, r := range md.GetExternalResources() {
			want := fmt.Sprintf("%s-%s-0-n%d-%d", exec, nodeID, r.GetIndex(), r.GetRetryAttempt())
			if r.GetExternalId() != want {
				t.Errorf("%s: external id %s, want %s", file, r.GetExternalId(), want)
			}
		}
		return
	}
	want := fmt.Sprintf("%s-%s-%d", exec, nodeID, te.GetId().GetRetryAttempt())
	if md.GetGeneratedName() != want {
		t.Errorf("%s: pod %s, want %s", file, md.GetGeneratedName(), want)
	}
	for _, l := range te.GetClosure().GetLogs() {
		if !strings.Contains(l.GetUri(), want) {
			t.Errorf("%s: log link %s does not name pod %s", file, l.GetUri(), want)
		}
	}
}

func TestScenariosServe(t *testing.T) {
	ctx := t.Context()
	srv := fakeadmin.New(load(t, "dynamic-fanout.json"), fakeadmin.Options{})
	exec := &core.WorkflowExecutionIdentifier{Project: "flytesnacks", Domain: "development", Name: "d9rk4mt2xw7bq5zn8vpc"}
	seen := map[string]bool{}
	token := ""
	for {
		resp, err := srv.ListNodeExecutions(ctx, &admin.NodeExecutionListRequest{WorkflowExecutionId: exec, UniqueParentId: "n0",
			Limit: 500, Token: token, SortBy: &admin.Sort{Key: "id", Direction: admin.Sort_ASCENDING}})
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range resp.GetNodeExecutions() {
			seen[n.GetId().GetNodeId()] = true
		}
		if token = resp.GetToken(); token == "" {
			break
		}
	}
	if len(seen) != 1001 || !seen["n0-0-start-node"] || !seen["n0-0-dn999"] {
		t.Errorf("dynamic children: %d", len(seen))
	}
	failed, err := srv.ListNodeExecutions(ctx, &admin.NodeExecutionListRequest{WorkflowExecutionId: exec, UniqueParentId: "n0",
		Limit: 100, Filters: "eq(phase,FAILED)"})
	if err != nil || len(failed.GetNodeExecutions()) != 3 {
		t.Fatalf("failed children: %v %v", failed, err)
	}
	for _, n := range failed.GetNodeExecutions() {
		full, err := srv.GetNodeExecution(ctx, &admin.NodeExecutionGetRequest{Id: n.GetId()})
		if err != nil {
			t.Fatal(err)
		}
		listed, got := n.GetClosure().GetError().GetMessage(), full.GetClosure().GetError().GetMessage()
		if len(listed) > 100 || len(got) <= 100 || !strings.HasPrefix(got, listed) {
			t.Errorf("%s: list %d bytes, get %d bytes", n.GetId().GetNodeId(), len(listed), len(got))
		}
	}

	srv = fakeadmin.New(load(t, "child-launchplan.json"), fakeadmin.Options{})
	parent, err := srv.GetNodeExecution(ctx, &admin.NodeExecutionGetRequest{Id: &core.NodeExecutionIdentifier{NodeId: "n0",
		ExecutionId: &core.WorkflowExecutionIdentifier{Project: "flytesnacks", Domain: "development", Name: "h3vz8qk5tn2wr9xm4bdf"}}})
	if err != nil {
		t.Fatal(err)
	}
	child, err := srv.GetExecution(ctx, &admin.WorkflowExecutionGetRequest{Id: parent.GetClosure().GetWorkflowNodeMetadata().GetExecutionId()})
	if err != nil || child.GetSpec().GetMetadata().GetMode() != admin.ExecutionMetadata_CHILD_WORKFLOW ||
		child.GetSpec().GetMetadata().GetParentNodeExecution().GetNodeId() != "n0" {
		t.Errorf("child execution: %v %v", child, err)
	}
}
