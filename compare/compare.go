// Package compare finds what differs between two runs of a workflow that can explain why
// one failed: launch plan, workflow and task versions, images and resources, inputs, the
// identity it ran as, the cluster and node pools, the failing node's first divergence, and
// durations per node. It is pure: the runs are read elsewhere (live or from bundles).
package compare

import (
	"cmp"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"google.golang.org/protobuf/types/known/wrapperspb"
	corev1 "k8s.io/api/core/v1"

	"github.com/flytedoctor/flytedoctor/collectors/evidence"
	"github.com/flytedoctor/flytedoctor/collectors/kube"
	"github.com/flyteorg/flyte/flyteidl/gen/pb-go/flyteidl/admin"
	"github.com/flyteorg/flyte/flyteidl/gen/pb-go/flyteidl/core"
)

// SchemaVersion identifies the JSON layout of a Result.
const SchemaVersion = "flytedoctor.diff/v1"

// Run is one execution with what a run read about it beyond the snapshot: the raw Admin
// messages (the execution's spec, its inputs, the task definitions, attempts of nodes that
// succeeded) and the Kubernetes pods and nodes.
type Run struct {
	Source    string // "live" or the bundle's path
	Snapshot  *evidence.Snapshot
	Execution *admin.Execution
	Data      *admin.WorkflowExecutionGetDataResponse
	TaskDefs  []*admin.Task
	Attempts  []*admin.TaskExecution
	Pods      []corev1.Pod
	Nodes     []corev1.Node
}

// Result is what differs. A is the run being explained (the one that failed), B the one it is
// compared with (the one that worked); changes read "B → A".
type Result struct {
	SchemaVersion string   `json:"schema_version"`
	A             RunInfo  `json:"a"`
	B             RunInfo  `json:"b"`
	Changes       []Change `json:"changes"`
	// Same lists what was compared and found the same.
	Same        []string        `json:"same"`
	FailingNode *NodeComparison `json:"failing_node,omitempty"`
	Durations   []NodeDurations `json:"durations"`
	// Unknown lists what could not be compared, and why.
	Unknown []string `json:"unknown,omitempty"`
}

// RunInfo says which execution a side is.
type RunInfo struct {
	Execution  evidence.ExecutionID `json:"execution"`
	Source     string               `json:"source"`
	Phase      string               `json:"phase"`
	CreatedAt  time.Time            `json:"created_at,omitzero"`
	Duration   evidence.Duration    `json:"duration,omitempty"`
	LaunchPlan evidence.Identifier  `json:"launch_plan,omitzero"`
}

// Change is one thing that differs.
type Change struct {
	// What: launch-plan-version, workflow-version, task-version, image, resources, input,
	// inputs-size, service-account, iam-role, cluster, node-pools, raw-output-prefix, env,
	// labels, setting, task.
	What    string `json:"what"`
	Subject string `json:"subject,omitempty"` // the task, input or setting it is about
	B       string `json:"b"`
	A       string `json:"a"`
}

// NodeComparison is the failing node (A's first failure path) compared with B's node of the
// same id, step by step from the top: the first step where they differ beyond their phase.
type NodeComparison struct {
	Path []string `json:"path"` // node ids from the top, child executions crossed
	Task string   `json:"task,omitempty"`
	// DivergesAt is the first node on the path whose task, image, resources or cache status
	// differ; empty when none does.
	DivergesAt string   `json:"diverges_at,omitempty"`
	Changes    []Change `json:"changes,omitempty"`
	A          NodeRun  `json:"a"`
	B          NodeRun  `json:"b"`
	Note       string   `json:"note,omitempty"`
}

// NodeRun is one side of a node comparison.
type NodeRun struct {
	Found    bool              `json:"found"`
	Phase    string            `json:"phase,omitempty"`
	Duration evidence.Duration `json:"duration,omitempty"`
	Attempts int               `json:"attempts,omitempty"`
	Error    string            `json:"error,omitempty"`
}

// NodeDurations is how long a node ran in each run.
type NodeDurations struct {
	Node   string            `json:"node"`
	APhase string            `json:"a_phase,omitempty"`
	A      evidence.Duration `json:"a"`
	BPhase string            `json:"b_phase,omitempty"`
	B      evidence.Duration `json:"b"`
}

// Compare compares a (the run to explain) with b (the one that worked).
func Compare(a, b Run) *Result {
	r := &Result{SchemaVersion: SchemaVersion, A: info(a), B: info(b), Changes: []Change{}, Same: []string{}, Durations: []NodeDurations{}}
	ea, eb := a.Snapshot.Execution, b.Snapshot.Execution
	if ea == nil || eb == nil {
		r.Unknown = append(r.Unknown, "an execution was not read: nothing to compare")
		return r
	}
	r.compare("launch-plan-version", "", eb.LaunchPlan.Version, ea.LaunchPlan.Version, "launch plan version")
	if eb.LaunchPlan.Name != ea.LaunchPlan.Name {
		r.add("launch-plan", "", eb.LaunchPlan.Name, ea.LaunchPlan.Name)
	}
	r.compare("workflow-version", "", eb.Workflow.Version, ea.Workflow.Version, "workflow version")
	ta, tb := tasks(a), tasks(b)
	r.compareTasks(ta, tb)
	r.compareInputs(a.Data, b.Data)
	r.compare("service-account", "", or(eb.ServiceAccount, "(default)"), or(ea.ServiceAccount, "(default)"), "service account")
	r.compare("iam-role", "", or(eb.IAMRole, "(none)"), or(ea.IAMRole, "(none)"), "IAM role")
	if ea.Cluster != "" || eb.Cluster != "" {
		r.compare("cluster", "", or(eb.Cluster, "(unnamed)"), or(ea.Cluster, "(unnamed)"), "cluster")
	}
	r.compareNodePools(a, b)
	r.compare("raw-output-prefix", "", eb.RawOutputPrefix, ea.RawOutputPrefix, "raw output prefix")
	r.compareSpec(a.Execution.GetSpec(), b.Execution.GetSpec())
	r.FailingNode = failingNode(a, b, ta, tb)
	r.Durations = durations(ea, eb)
	return r
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func info(r Run) RunInfo {
	s := r.Snapshot
	i := RunInfo{Execution: s.Target, Source: r.Source}
	if e := s.Execution; e != nil {
		i.Execution, i.Phase, i.CreatedAt, i.Duration, i.LaunchPlan = e.ID, e.Phase, e.CreatedAt, e.Duration, e.LaunchPlan
	}
	return i
}

func (r *Result) add(what, subject, b, a string) {
	r.Changes = append(r.Changes, Change{What: what, Subject: subject, B: b, A: a})
}

// compare records a change, or the name of what was the same; nothing when neither side knows.
func (r *Result) compare(what, subject, b, a, name string) {
	switch {
	case a == "" && b == "":
		return
	case a != b:
		r.add(what, subject, b, a)
	default:
		r.Same = append(r.Same, name)
	}
}

// taskFacts is what a run says of one task (by name): the versions its attempts ran, and its
// definition's (or, without one, its pod's) image and resources.
type taskFacts struct {
	versions  []string
	image     string
	resources string
	from      string // "definition" or "pod"
}

func tasks(r Run) map[string]*taskFacts {
	out := map[string]*taskFacts{}
	get := func(name string) *taskFacts {
		if out[name] == nil {
			out[name] = &taskFacts{}
		}
		return out[name]
	}
	addVersion := func(name, v string) {
		t := get(name)
		if v != "" && !slices.Contains(t.versions, v) {
			t.versions = append(t.versions, v)
		}
	}
	podTask := map[string]string{} // pod name -> task name
	if e := r.Snapshot.Execution; e != nil {
		e.Walk(func(path []evidence.Step) bool {
			for _, at := range path[len(path)-1].Node.Attempts {
				if at.TaskID.Name != "" {
					addVersion(at.TaskID.Name, at.TaskID.Version)
					for _, p := range at.PodNames() {
						podTask[p] = at.TaskID.Name
					}
				}
			}
			return true
		})
	}
	for _, te := range r.Attempts {
		id := te.GetId().GetTaskId()
		if id.GetName() != "" {
			addVersion(id.GetName(), id.GetVersion())
			if p := te.GetClosure().GetMetadata().GetGeneratedName(); p != "" {
				podTask[p] = id.GetName()
			}
		}
	}
	for _, td := range r.TaskDefs {
		id := td.GetId()
		t := out[id.GetName()]
		if t == nil || !slices.Contains(t.versions, id.GetVersion()) {
			continue // a definition no attempt of this run used
		}
		tmpl := td.GetClosure().GetCompiledTask().GetTemplate()
		if c := tmpl.GetContainer(); c != nil {
			t.image, t.resources, t.from = c.GetImage(), resourcesText(c.GetResources()), "definition"
		}
	}
	// Without a definition: the pod's primary container.
	pods := map[string]evidence.Pod{}
	if k := r.Snapshot.Kube; k != nil {
		for _, p := range k.Pods {
			pods[p.Name] = p
		}
	}
	for _, p := range r.Pods {
		if _, ok := pods[p.Name]; !ok && len(p.Spec.Containers) > 0 {
			c := p.Spec.Containers[0]
			pods[p.Name] = evidence.Pod{Name: p.Name, Containers: []evidence.Container{{Name: c.Name, Image: c.Image,
				Requests: kube.Quantities(c.Resources.Requests), Limits: kube.Quantities(c.Resources.Limits)}}}
		}
	}
	for _, name := range slices.Sorted(maps.Keys(pods)) {
		tn, ok := podTask[name]
		if !ok || out[tn].image != "" || len(pods[name].Containers) == 0 {
			continue
		}
		c := pods[name].Containers[0]
		out[tn].image, out[tn].resources, out[tn].from = c.Image, podResourcesText(c.Requests, c.Limits), "pod"
	}
	return out
}

func resourcesText(res *core.Resources) string {
	if res == nil {
		return ""
	}
	side := func(entries []*core.Resources_ResourceEntry) map[string]string {
		m := map[string]string{}
		for _, e := range entries {
			m[strings.ToLower(e.GetName().String())] = e.GetValue()
		}
		return m
	}
	return podResourcesText(side(res.GetRequests()), side(res.GetLimits()))
}

func podResourcesText(req, lim map[string]string) string {
	part := func(label string, m map[string]string) string {
		if len(m) == 0 {
			return ""
		}
		var kv []string
		for _, k := range slices.Sorted(maps.Keys(m)) {
			kv = append(kv, k+"="+m[k])
		}
		return label + " " + strings.Join(kv, ",")
	}
	return strings.TrimSpace(strings.Join(slices.DeleteFunc([]string{part("requests", req), part("limits", lim)}, func(s string) bool { return s == "" }), "; "))
}

func (r *Result) compareTasks(ta, tb map[string]*taskFacts) {
	names := slices.Sorted(maps.Keys(ta))
	for _, n := range slices.Sorted(maps.Keys(tb)) {
		if ta[n] == nil {
			names = append(names, n)
		}
	}
	for _, n := range names {
		a, b := ta[n], tb[n]
		switch {
		case a == nil:
			r.add("task", n, "ran", "did not run")
			continue
		case b == nil:
			r.add("task", n, "did not run", "ran")
			continue
		}
		r.compare("task-version", n, strings.Join(b.versions, ", "), strings.Join(a.versions, ", "), "task "+n+" version")
		if a.image != "" && b.image != "" {
			r.compare("image", n, b.image, a.image, "task "+n+" image")
		} else if a.image != b.image {
			r.Unknown = append(r.Unknown, "the image of task "+n+" in "+which(a.image == "")+" (no task definition, no pod)")
		}
		if a.resources != "" && b.resources != "" {
			r.compare("resources", n, b.resources, a.resources, "task "+n+" resources")
		}
	}
}

func which(a bool) string {
	if a {
		return "A"
	}
	return "B"
}

// compareInputs compares the execution's inputs: literal values (or their URIs and sizes),
// else the size of the inputs file.
func (r *Result) compareInputs(a, b *admin.WorkflowExecutionGetDataResponse) {
	la, lb := a.GetFullInputs().GetLiterals(), b.GetFullInputs().GetLiterals()
	if la == nil || lb == nil {
		//lint:ignore SA1019 flyteadmin v1.16 still fills the deprecated UrlBlob; older servers only it
		sa, sb := a.GetInputs().GetBytes(), b.GetInputs().GetBytes()
		switch {
		case sa == 0 && sb == 0:
			r.Unknown = append(r.Unknown, "inputs: neither run's inputs were read")
		case sa != sb:
			r.add("inputs-size", "", strconv.FormatInt(sb, 10)+" bytes", strconv.FormatInt(sa, 10)+" bytes")
		default:
			r.Same = append(r.Same, "inputs size")
		}
		return
	}
	names := slices.Sorted(maps.Keys(la))
	for _, n := range slices.Sorted(maps.Keys(lb)) {
		if _, ok := la[n]; !ok {
			names = append(names, n)
		}
	}
	same := 0
	for _, n := range names {
		va, vb := "(not set)", "(not set)"
		if l, ok := la[n]; ok {
			va = literalText(l)
		}
		if l, ok := lb[n]; ok {
			vb = literalText(l)
		}
		if va != vb {
			r.add("input", n, vb, va)
		} else {
			same++
		}
	}
	if same > 0 {
		r.Same = append(r.Same, plural(same, "input"))
	}
}

func plural(n int, w string) string {
	if n == 1 {
		return "1 " + w
	}
	return strconv.Itoa(n) + " " + w + "s"
}

// literalText is a literal in short: a scalar's value, a blob's or dataset's URI, an
// offloaded literal's URI and size, a collection's or map's size and first items.
func literalText(l *core.Literal) string {
	if l == nil {
		return "(none)"
	}
	if o := l.GetOffloadedMetadata(); o != nil {
		return fmt.Sprintf("%s (%d bytes, offloaded)", o.GetUri(), o.GetSizeBytes())
	}
	if c := l.GetCollection(); c != nil {
		var items []string
		for _, it := range c.GetLiterals()[:min(3, len(c.GetLiterals()))] {
			items = append(items, literalText(it))
		}
		more := ""
		if len(c.GetLiterals()) > 3 {
			more = ", …"
		}
		return fmt.Sprintf("[%s%s] (%d items)", strings.Join(items, ", "), more, len(c.GetLiterals()))
	}
	if m := l.GetMap(); m != nil {
		return fmt.Sprintf("map of %d", len(m.GetLiterals()))
	}
	s := l.GetScalar()
	switch {
	case s.GetPrimitive() != nil:
		p := s.GetPrimitive()
		switch v := p.GetValue().(type) {
		case *core.Primitive_Integer:
			return strconv.FormatInt(v.Integer, 10)
		case *core.Primitive_FloatValue:
			return strconv.FormatFloat(v.FloatValue, 'g', -1, 64)
		case *core.Primitive_StringValue:
			return strconv.Quote(clip(v.StringValue))
		case *core.Primitive_Boolean:
			return strconv.FormatBool(v.Boolean)
		case *core.Primitive_Datetime:
			return v.Datetime.AsTime().UTC().Format(time.RFC3339Nano)
		case *core.Primitive_Duration:
			return v.Duration.AsDuration().String()
		}
	case s.GetBlob() != nil:
		return s.GetBlob().GetUri()
	case s.GetStructuredDataset() != nil:
		return s.GetStructuredDataset().GetUri()
	case s.GetSchema() != nil:
		return s.GetSchema().GetUri()
	case s.GetNoneType() != nil:
		return "none"
	case s.GetUnion() != nil:
		return literalText(s.GetUnion().GetValue())
	case s.GetGeneric() != nil:
		b, _ := json.Marshal(s.GetGeneric().AsMap())
		return clip(string(b))
	case s.GetBinary() != nil:
		return fmt.Sprintf("binary (%d bytes)", len(s.GetBinary().GetValue()))
	case s.GetError() != nil:
		return "error: " + clip(s.GetError().GetMessage())
	}
	return "(unknown literal)"
}

func clip(s string) string {
	if len(s) > 120 {
		return s[:117] + "…"
	}
	return s
}

// pool labels, most telling first: a node's pool or group, then its instance type.
var poolLabels = []string{"eks.amazonaws.com/nodegroup", "karpenter.sh/nodepool", "cloud.google.com/gke-nodepool",
	"kubernetes.azure.com/agentpool", "agentpool"}

// nodePools are the pools (and instance types) of the nodes a run's pods ran on.
func nodePools(r Run) []string {
	labels := map[string]map[string]string{}
	for _, n := range r.Nodes {
		labels[n.Name] = n.Labels
	}
	if k := r.Snapshot.Kube; k != nil && k.Nodes != nil {
		for _, n := range k.Nodes.Nodes {
			if labels[n.Name] == nil {
				labels[n.Name] = n.Labels
			}
		}
	}
	var nodes []string
	if k := r.Snapshot.Kube; k != nil {
		for _, p := range k.Pods {
			nodes = append(nodes, p.NodeName)
		}
	}
	for _, p := range r.Pods {
		nodes = append(nodes, p.Spec.NodeName)
	}
	var out []string
	for _, n := range nodes {
		if n == "" {
			continue
		}
		l := labels[n]
		pool := ""
		for _, k := range poolLabels {
			if v := l[k]; v != "" {
				pool = v
				break
			}
		}
		if t := cmp.Or(l["node.kubernetes.io/instance-type"], l["beta.kubernetes.io/instance-type"]); t != "" {
			pool = strings.TrimSpace(pool + " (" + t + ")")
		}
		if pool == "" {
			pool = "node " + n
		}
		if !slices.Contains(out, pool) {
			out = append(out, pool)
		}
	}
	slices.Sort(out)
	return out
}

func (r *Result) compareNodePools(a, b Run) {
	pa, pb := nodePools(a), nodePools(b)
	switch {
	case len(pa) == 0 && len(pb) == 0:
		r.Unknown = append(r.Unknown, "node pools: neither run's pods were read (Flyte deletes finished pods)")
	case len(pa) == 0 || len(pb) == 0:
		r.Unknown = append(r.Unknown, "node pools: "+which(len(pa) == 0)+"'s pods were not read (Flyte deletes finished pods)")
	default:
		r.compare("node-pools", "", strings.Join(pb, ", "), strings.Join(pa, ", "), "node pools")
	}
}

// compareSpec compares what the execution was launched with: its env (names only: the values
// may be secrets), labels and settings.
func (r *Result) compareSpec(a, b *admin.ExecutionSpec) {
	if a == nil || b == nil {
		return
	}
	envs := func(s *admin.ExecutionSpec) map[string]string {
		m := map[string]string{}
		for _, kv := range s.GetEnvs().GetValues() {
			m[kv.GetKey()] = kv.GetValue()
		}
		return m
	}
	ea, eb := envs(a), envs(b)
	var envChanges []string
	for _, k := range slices.Sorted(maps.Keys(ea)) {
		if v, ok := eb[k]; !ok {
			envChanges = append(envChanges, "+"+k)
		} else if v != ea[k] {
			envChanges = append(envChanges, "~"+k)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(eb)) {
		if _, ok := ea[k]; !ok {
			envChanges = append(envChanges, "-"+k)
		}
	}
	if len(envChanges) > 0 {
		r.add("env", "", plural(len(eb), "variable"), strings.Join(envChanges, " ")+" (names only)")
	} else if len(ea) > 0 {
		r.Same = append(r.Same, "env")
	}
	la, lb := a.GetLabels().GetValues(), b.GetLabels().GetValues()
	if !maps.Equal(la, lb) {
		r.add("labels", "", mapText(lb), mapText(la))
	}
	set := func(name, vb, va string) { r.compare("setting", name, vb, va, name) }
	set("max_parallelism", num(b.GetMaxParallelism()), num(a.GetMaxParallelism()))
	set("interruptible", boolText(b.GetInterruptible()), boolText(a.GetInterruptible()))
	if a.GetOverwriteCache() != b.GetOverwriteCache() {
		r.add("setting", "overwrite_cache", strconv.FormatBool(b.GetOverwriteCache()), strconv.FormatBool(a.GetOverwriteCache()))
	}
}

func num(n int32) string {
	if n == 0 {
		return ""
	}
	return strconv.Itoa(int(n))
}

func boolText(v *wrapperspb.BoolValue) string {
	if v == nil {
		return ""
	}
	return strconv.FormatBool(v.GetValue())
}

func mapText(m map[string]string) string {
	if len(m) == 0 {
		return "(none)"
	}
	var kv []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		kv = append(kv, k+"="+m[k])
	}
	return strings.Join(kv, ",")
}

// failingNode compares A's first failure path with B's nodes of the same ids, from the top.
func failingNode(a, b Run, ta, tb map[string]*taskFacts) *NodeComparison {
	paths := a.Snapshot.Execution.FailurePaths()
	if len(paths) == 0 {
		return nil
	}
	path := paths[0]
	nc := &NodeComparison{}
	bExec := b.Snapshot.Execution
	bNodes := bExec.Nodes
	var bNode *evidence.Node
	for i, st := range path {
		nc.Path = append(nc.Path, st.Node.ID)
		bNode = nil
		for _, n := range bNodes {
			if n.ID == st.Node.ID {
				bNode = n
			}
		}
		if bNode == nil {
			if i == 0 {
				nc.Note = fmt.Sprintf("B has no node %s: the workflow changed shape", st.Node.ID)
			} else {
				nc.Note = fmt.Sprintf("B's nodes below %s were not read (it succeeded: flytedoctor reads below nodes that did not)", path[i-1].Node.ID)
			}
			break
		}
		if nc.DivergesAt == "" {
			if ch := nodeChanges(st.Node, bNode, ta, tb, a.Attempts, b.Attempts, st.Execution.ID, bExec.ID); len(ch) > 0 {
				nc.DivergesAt, nc.Changes = st.Node.ID, ch
			}
		}
		if i+1 < len(path) {
			if path[i+1].Execution != st.Execution { // into the node's child execution
				if bNode.ChildExecution == nil {
					bNodes = nil
				} else {
					bExec, bNodes = bNode.ChildExecution, bNode.ChildExecution.Nodes
				}
			} else {
				bNodes = bNode.Children
			}
		}
	}
	leaf := path[len(path)-1]
	nc.Task = taskOf(leaf.Node, nil)
	nc.A = nodeRun(leaf.Node, nil)
	if bNode != nil && bNode.ID == leaf.Node.ID {
		nc.B = nodeRun(bNode, attemptsOf(b.Attempts, bExec.ID, bNode.ID))
		if nc.Task == "" {
			nc.Task = taskOf(bNode, attemptsOf(b.Attempts, bExec.ID, bNode.ID))
		}
	}
	if nc.DivergesAt == "" && nc.B.Found {
		nc.Note = "the same task, version, image and resources all along the path: what differs is outside the task (inputs, data, the cluster)"
	}
	return nc
}

func attemptsOf(all []*admin.TaskExecution, exec evidence.ExecutionID, node string) []*admin.TaskExecution {
	var out []*admin.TaskExecution
	for _, te := range all {
		n := te.GetId().GetNodeExecutionId()
		if n.GetNodeId() == node && n.GetExecutionId().GetName() == exec.Name {
			out = append(out, te)
		}
	}
	return out
}

// taskOf is the node's task name, from its attempts or the raw ones.
func taskOf(n *evidence.Node, raw []*admin.TaskExecution) string {
	if a := n.LastAttempt(); a != nil && a.TaskID.Name != "" {
		return a.TaskID.Name
	}
	for _, te := range raw {
		if name := te.GetId().GetTaskId().GetName(); name != "" {
			return name
		}
	}
	return ""
}

func versionOf(n *evidence.Node, raw []*admin.TaskExecution) string {
	if a := n.LastAttempt(); a != nil {
		return a.TaskID.Version
	}
	var v string
	for _, te := range raw {
		v = te.GetId().GetTaskId().GetVersion()
	}
	return v
}

func nodeRun(n *evidence.Node, raw []*admin.TaskExecution) NodeRun {
	r := NodeRun{Found: true, Phase: n.Phase, Duration: n.Duration, Attempts: len(n.Attempts)}
	if r.Attempts == 0 {
		r.Attempts = len(raw)
	}
	if n.Error != nil {
		r.Error = n.Error.Code
	}
	return r
}

// nodeChanges is what differs between two runs of a node beyond its phase and duration.
func nodeChanges(a, b *evidence.Node, ta, tb map[string]*taskFacts, rawA, rawB []*admin.TaskExecution, ea, eb evidence.ExecutionID) []Change {
	var out []Change
	add := func(what, subject, vb, va string) {
		if va != vb && va != "" && vb != "" {
			out = append(out, Change{What: what, Subject: subject, B: vb, A: va})
		}
	}
	add("kind", a.ID, string(b.Kind), string(a.Kind))
	ra, rb := attemptsOf(rawA, ea, a.ID), attemptsOf(rawB, eb, b.ID)
	na, nb := taskOf(a, ra), taskOf(b, rb)
	add("task", a.ID, nb, na)
	add("task-version", na, versionOf(b, rb), versionOf(a, ra))
	if na != "" && na == nb && ta[na] != nil && tb[nb] != nil {
		add("image", na, tb[nb].image, ta[na].image)
		add("resources", na, tb[nb].resources, ta[na].resources)
	}
	add("cache-status", a.ID, b.CacheStatus, a.CacheStatus)
	return out
}

// durations lists the top-level nodes of both runs, A's order first.
func durations(a, b *evidence.Execution) []NodeDurations {
	out := []NodeDurations{}
	idx := map[string]int{}
	for _, n := range a.Nodes {
		idx[n.ID] = len(out)
		out = append(out, NodeDurations{Node: n.ID, APhase: n.Phase, A: n.Duration})
	}
	for _, n := range b.Nodes {
		if i, ok := idx[n.ID]; ok {
			out[i].BPhase, out[i].B = n.Phase, n.Duration
			continue
		}
		out = append(out, NodeDurations{Node: n.ID, BPhase: n.Phase, B: n.Duration})
	}
	return out
}
