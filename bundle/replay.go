package bundle

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"google.golang.org/grpc"
	k8sfake "k8s.io/client-go/kubernetes/fake"

	"github.com/flytedoctor/flytedoctor/collectors/evidence"
	"github.com/flytedoctor/flytedoctor/collectors/flyteadmin"
	"github.com/flytedoctor/flytedoctor/collectors/flyteadmin/fakeadmin"
	"github.com/flytedoctor/flytedoctor/collectors/kube"
	"github.com/flytedoctor/flytedoctor/collectors/plan"
	"github.com/flytedoctor/flytedoctor/collectors/s3"
	"github.com/flyteorg/flyte/flyteidl/gen/pb-go/flyteidl/admin"
	"github.com/flyteorg/flyte/flyteidl/gen/pb-go/flyteidl/core"
)

// ReplayOptions say how to collect from dumps.
type ReplayOptions struct {
	// Target is the execution to analyze; zero means the one the manifest names, else the
	// newest execution that is not a child.
	Target evidence.ExecutionID
	// Now is when the dumps were taken (durations such as "pending for 47m" count to it).
	Now     time.Time
	Version string // flytedoctor's
	Source  string // for the snapshot's endpoint and cluster names
}

// Replay collects a snapshot from the Admin and Kubernetes objects of dumps as a live run
// would: the Admin messages are served by an in-process Admin (fakeadmin, no network) to the
// real Admin collector, the objects by a fake clientset to the real Kubernetes collector.
// Storage cannot be probed offline: storage/probes.json, when the dumps have it, is taken as
// it is. What could not be placed is added to c.Unplaced.
func Replay(ctx context.Context, c *Contents, o ReplayOptions) (*evidence.Snapshot, error) {
	fx, root, err := c.fixture(o.Target)
	if err != nil {
		return nil, err
	}
	var fo fakeadmin.Options
	if v := c.Admin.Version.GetControlPlaneVersion(); v != nil {
		fo.Version = v
	}
	srv := fakeadmin.New(fx, fo)
	in := plan.Inputs{
		Target: root, Now: func() time.Time { return o.Now }, Version: o.Version,
		Admin: replayAPI{srv}, Endpoint: "dump " + o.Source,
		PageSize: flyteadmin.DefaultPageSize, MaxConcurrency: flyteadmin.DefaultMaxConcurrency,
	}
	if c.Kube.Len() > 0 {
		in.Kube = &plan.Kube{Client: k8sfake.NewClientset(c.Kube.Objects()...),
			Info:              kube.ClusterInfo{Context: "dump", Server: o.Source},
			NamespaceTemplate: kube.DefaultNamespaceTemplate}
	}
	snap, err := plan.Collect(ctx, in)
	if err != nil {
		return nil, fmt.Errorf("the dumps do not hold execution %s: %w", root, err)
	}
	for i := range snap.Collection {
		r := &snap.Collection[i]
		switch {
		case r.Collector == kube.Name && in.Kube == nil:
			r.SkipReason = "--skip kube: the dumps hold no Kubernetes objects"
		case r.Collector == s3.Name:
			r.SkipReason = "--skip s3: the dumps hold no storage probes (storage cannot be probed offline)"
		}
	}
	if st := c.probes; st != nil {
		snap.Storage = st
		for i := range snap.Collection {
			if r := &snap.Collection[i]; r.Collector == s3.Name {
				*r = evidence.CollectorRecord{Collector: s3.Name, Status: evidence.StatusOK}
				if m := c.Manifest; m != nil {
					for _, cr := range m.Collectors {
						if cr.Name == s3.Name {
							r.Status, r.SkipReason, r.Duration = cr.Status, cr.SkipReason, cr.Duration
						}
					}
				}
			}
		}
	}
	return snap, nil
}

// replayAPI is the in-process Admin as a flyteadmin.AdminAPI.
type replayAPI struct{ s *fakeadmin.Server }

func (r replayAPI) GetExecution(ctx context.Context, in *admin.WorkflowExecutionGetRequest, _ ...grpc.CallOption) (*admin.Execution, error) {
	return r.s.GetExecution(ctx, in)
}

func (r replayAPI) GetExecutionData(ctx context.Context, in *admin.WorkflowExecutionGetDataRequest, _ ...grpc.CallOption) (*admin.WorkflowExecutionGetDataResponse, error) {
	return r.s.GetExecutionData(ctx, in)
}

func (r replayAPI) ListNodeExecutions(ctx context.Context, in *admin.NodeExecutionListRequest, _ ...grpc.CallOption) (*admin.NodeExecutionList, error) {
	return r.s.ListNodeExecutions(ctx, in)
}

func (r replayAPI) GetNodeExecution(ctx context.Context, in *admin.NodeExecutionGetRequest, _ ...grpc.CallOption) (*admin.NodeExecution, error) {
	return r.s.GetNodeExecution(ctx, in)
}

func (r replayAPI) ListTaskExecutions(ctx context.Context, in *admin.TaskExecutionListRequest, _ ...grpc.CallOption) (*admin.TaskExecutionList, error) {
	return r.s.ListTaskExecutions(ctx, in)
}

func (r replayAPI) GetVersion(ctx context.Context, in *admin.GetVersionRequest, _ ...grpc.CallOption) (*admin.GetVersionResponse, error) {
	return r.s.GetVersion(ctx, in)
}

type execKey struct{ project, domain, name string }

func keyOf(id *core.WorkflowExecutionIdentifier) execKey {
	return execKey{id.GetProject(), id.GetDomain(), id.GetName()}
}

func (k execKey) id() evidence.ExecutionID {
	return evidence.ExecutionID{Project: k.project, Domain: k.domain, Name: k.name}
}

var dataPath = regexp.MustCompile(`data/executions/([^/]+)/([^/]+)/([^/]+?)(?:\.json|\.ya?ml)?$`)

// fixture assembles the Admin messages into a fixture: each execution once (a Get's answer
// over a list's, which trims errors), its data, its nodes under their parents (from
// admin/calls.json, else from the unique ids flytepropeller derives from them) and their
// attempts; and picks the execution to analyze.
func (c *Contents) fixture(target evidence.ExecutionID) (*fakeadmin.Fixture, evidence.ExecutionID, error) {
	fx := &fakeadmin.Fixture{Tasks: c.Admin.TaskDefs}
	execs := map[execKey]*fakeadmin.ExecutionFixture{}
	var order []execKey
	for _, p := range c.Admin.Executions {
		k := keyOf(p.Msg.GetId())
		if k.name == "" {
			c.Unplaced = append(c.Unplaced, Unplaced{p.File, "an execution without a name"})
			continue
		}
		if ef, ok := execs[k]; ok {
			if !p.Listed {
				ef.Execution = p.Msg // a Get's answer has the whole error message
			}
			continue
		}
		execs[k] = &fakeadmin.ExecutionFixture{Execution: p.Msg}
		order = append(order, k)
	}
	if len(order) == 0 {
		return nil, evidence.ExecutionID{}, fmt.Errorf("no Admin execution in it: dump one with flytectl get execution -o json, or curl /api/v1/executions/PROJECT/DOMAIN/NAME")
	}
	// Data: by the request calls.json names, else the HTTP path in the file name, else the
	// only execution there is.
	dataFor := map[string]execKey{}
	for _, call := range c.Calls {
		if call.Method == "GetExecutionData" && call.File != "" {
			var req admin.WorkflowExecutionGetDataRequest
			if readJSON.Unmarshal(call.Request, &req) == nil {
				dataFor[call.File] = keyOf(req.GetId())
			}
		}
	}
	for _, d := range c.Admin.Data {
		k, ok := dataFor[d.File]
		if !ok {
			if m := dataPath.FindStringSubmatch(d.File); m != nil {
				k, ok = execKey{m[1], m[2], m[3]}, true
			} else if len(order) == 1 {
				k, ok = order[0], true
			}
		}
		if ef := execs[k]; ok && ef != nil {
			ef.Data = d.Msg
		} else {
			c.Unplaced = append(c.Unplaced, Unplaced{d.File, "execution data for no execution in the dumps"})
		}
	}
	c.placeNodes(execs)

	for _, k := range order {
		fx.Executions = append(fx.Executions, execs[k])
	}
	if err := fx.Validate(); err != nil {
		return nil, evidence.ExecutionID{}, fmt.Errorf("the Admin messages do not fit together: %w", err)
	}
	root, err := c.root(target, execs, order)
	return fx, root, err
}

// root is the execution to analyze.
func (c *Contents) root(target evidence.ExecutionID, execs map[execKey]*fakeadmin.ExecutionFixture, order []execKey) (evidence.ExecutionID, error) {
	if target == (evidence.ExecutionID{}) && c.Manifest != nil {
		target = c.Manifest.Target
	}
	if target != (evidence.ExecutionID{}) {
		if execs[execKey{target.Project, target.Domain, target.Name}] == nil {
			return target, fmt.Errorf("the dumps do not hold execution %s", target)
		}
		return target, nil
	}
	var roots []execKey
	for _, k := range order {
		if execs[k].Execution.GetSpec().GetMetadata().GetParentNodeExecution() == nil {
			roots = append(roots, k)
		}
	}
	if len(roots) == 0 {
		roots = order
	}
	slices.SortStableFunc(roots, func(a, b execKey) int {
		return execs[b].Execution.GetClosure().GetCreatedAt().AsTime().Compare(execs[a].Execution.GetClosure().GetCreatedAt().AsTime())
	})
	if len(roots) > 1 {
		var others []string
		for _, k := range roots[1:] {
			others = append(others, k.id().String())
		}
		c.Warnings = append(c.Warnings, fmt.Sprintf("the dumps hold %d executions; analyzing the newest, %s (not %s)", len(roots), roots[0].id(), strings.Join(others, ", ")))
	}
	return roots[0].id(), nil
}

type nodeKey struct {
	exec execKey
	node string
}

// placeNodes puts each node execution (once, a Get's over a list's) under its execution and
// parent, and each task attempt under its node.
func (c *Contents) placeNodes(execs map[execKey]*fakeadmin.ExecutionFixture) {
	// The parent of the nodes in each list file, from the request that listed them.
	parentOfFile := map[string]string{}
	for _, call := range c.Calls {
		if call.Method == "ListNodeExecutions" && call.File != "" {
			var req admin.NodeExecutionListRequest
			if readJSON.Unmarshal(call.Request, &req) == nil {
				parentOfFile[call.File] = req.GetUniqueParentId()
			}
		}
	}
	nodes := map[nodeKey]*fakeadmin.NodeFixture{}
	parent := map[nodeKey]string{}
	known := map[nodeKey]bool{}
	var order []nodeKey
	for _, p := range c.Admin.Nodes {
		k := nodeKey{keyOf(p.Msg.GetId().GetExecutionId()), p.Msg.GetId().GetNodeId()}
		if execs[k.exec] == nil {
			c.Unplaced = append(c.Unplaced, Unplaced{p.File, fmt.Sprintf("node %s of execution %s, which is not in the dumps", userQuote(k.node), k.exec.id())})
			continue
		}
		if pid, ok := parentOfFile[p.File]; ok && p.Listed {
			parent[k], known[k] = pid, true
		}
		if nf, ok := nodes[k]; ok {
			if !p.Listed {
				nf.NodeExecution = p.Msg
			}
			continue
		}
		nodes[k] = &fakeadmin.NodeFixture{NodeExecution: p.Msg}
		order = append(order, k)
	}
	if len(c.Calls) == 0 {
		// Dumps without the bundle's index come in file-name order; Admin's is creation order.
		slices.SortStableFunc(order, func(a, b nodeKey) int {
			return nodes[a].NodeExecution.GetClosure().GetCreatedAt().AsTime().Compare(nodes[b].NodeExecution.GetClosure().GetCreatedAt().AsTime())
		})
	}
	// Without the request: the unique id flytepropeller built from the parent's id, the
	// parent's attempt (retry_group) and the node's own id.
	for _, k := range order {
		if known[k] {
			continue
		}
		n := nodes[k].NodeExecution
		spec := n.GetMetadata().GetSpecNodeId()
		if spec == "" || spec == k.node || k.node == "start-node" || k.node == "end-node" {
			parent[k], known[k] = "", true // a top-level node's id is its spec id
			continue
		}
		for _, pk := range order {
			if pk.exec != k.exec || pk == k || !nodes[pk].NodeExecution.GetMetadata().GetIsParentNode() {
				continue
			}
			if kube.UniqueID(20, pk.node, n.GetMetadata().GetRetryGroup(), spec) == k.node {
				parent[k], known[k] = pk.node, true
				break
			}
		}
	}
	for _, k := range order {
		if !known[k] {
			c.Unplaced = append(c.Unplaced, Unplaced{fileOfNode(c, k), fmt.Sprintf("node %s: its parent is not in the dumps (dump the parent's children with unique_parent_id)", userQuote(k.node))})
			continue
		}
		nodes[k].ParentID = parent[k]
		execs[k.exec].Nodes = append(execs[k.exec].Nodes, nodes[k])
	}
	// Attempts, each once (a Get's over a list's), in attempt order.
	type taskKey struct {
		node  nodeKey
		retry uint32
	}
	seen := map[taskKey]int{}
	for _, p := range c.Admin.Tasks {
		id := p.Msg.GetId()
		nk := nodeKey{keyOf(id.GetNodeExecutionId().GetExecutionId()), id.GetNodeExecutionId().GetNodeId()}
		nf := nodes[nk]
		if nf == nil || !known[nk] {
			c.Unplaced = append(c.Unplaced, Unplaced{p.File, fmt.Sprintf("attempt %d of node %s, which is not in the dumps", id.GetRetryAttempt(), userQuote(nk.node))})
			continue
		}
		tk := taskKey{nk, id.GetRetryAttempt()}
		if i, ok := seen[tk]; ok {
			if !p.Listed {
				nf.Tasks[i] = p.Msg
			}
			continue
		}
		seen[tk] = len(nf.Tasks)
		nf.Tasks = append(nf.Tasks, p.Msg)
	}
	for _, nf := range nodes {
		slices.SortStableFunc(nf.Tasks, func(a, b *admin.TaskExecution) int {
			return int(a.GetId().GetRetryAttempt()) - int(b.GetId().GetRetryAttempt())
		})
	}
}

func fileOfNode(c *Contents, k nodeKey) string {
	for _, p := range c.Admin.Nodes {
		if p.Msg.GetId().GetNodeId() == k.node && keyOf(p.Msg.GetId().GetExecutionId()) == k.exec {
			return p.File
		}
	}
	return ""
}

func userQuote(s string) string {
	b, _ := json.Marshal(s)
	if len(b) > 80 {
		return string(b[:77]) + `…"`
	}
	return string(b)
}
