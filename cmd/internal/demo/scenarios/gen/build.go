package gen

//lint:file-ignore SA1019 flyteadmin v1.16 still fills the deprecated URI fields (inputs/outputs UrlBlob, output_uri, auth_role, abort_cause) and older servers fill only them

import (
	"crypto/sha256"
	"encoding/base32"
	"encoding/hex"
	"fmt"
	"github.com/flytedoctor/flytedoctor/collectors/kube"
	"hash/fnv"
	"strconv"
	"strings"
	"time"

	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/flytedoctor/flytedoctor/collectors/flyteadmin/fakeadmin"
	"github.com/flyteorg/flyte/flyteidl/gen/pb-go/flyteidl/admin"
	"github.com/flyteorg/flyte/flyteidl/gen/pb-go/flyteidl/core"
	"github.com/flyteorg/flyte/flyteidl/gen/pb-go/flyteidl/event"
)

// The demo cluster: an EKS flyte-binary install with S3 storage and CloudWatch logs.
const (
	project     = "flytesnacks"
	domain      = "development"
	namespace   = project + "-" + domain // admin's default namespace template
	metaBucket  = "s3://acme-flyte-metadata"
	rawPrefix   = "s3://acme-flyte-data/data"
	principal   = "jane.doe@acme.io"
	regVersion  = "v2026.08.14-3f9c2e1"
	dashboard   = "https://k8s-dashboard.acme.io"
	cwRegion    = "us-east-1"
	cwLogGroup  = "/aws/containerinsights/acme-flyte-prod/application"
	kubeLogName = "Kubernetes Logs (User)"
	cwLogName   = "Cloudwatch Logs (User)"
)

func ts(t time.Time) *timestamppb.Timestamp { return timestamppb.New(t) }

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// endAt sets when an execution or node closure ended: its duration and updated_at.
func endAt(c interface {
	GetStartedAt() *timestamppb.Timestamp
}, end time.Time) {
	d := durationpb.New(end.Sub(c.GetStartedAt().AsTime()))
	switch c := c.(type) {
	case *admin.ExecutionClosure:
		c.Duration, c.UpdatedAt = d, ts(end)
	case *admin.NodeExecutionClosure:
		c.Duration, c.UpdatedAt = d, ts(end)
	default:
		panic(fmt.Sprintf("endAt: %T", c)) // generator bug
	}
}

func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err) // literals in this package only
	}
	return t
}

func ident(rt core.ResourceType, name string) *core.Identifier {
	return &core.Identifier{ResourceType: rt, Project: project, Domain: domain, Name: name, Version: regVersion}
}

func execID(name string) *core.WorkflowExecutionIdentifier {
	return &core.WorkflowExecutionIdentifier{Project: project, Domain: domain, Name: name}
}

// childExecName is propeller's GetChildWorkflowExecutionIDV2: the FixedLengthUniqueIDForParts
// scheme with a 64-bit hash, so a hashed name is "f" + 13 characters.
func childExecName(parts ...string) string {
	s := strings.Join(parts, "-")
	if len(s) <= 20 {
		return s
	}
	h := fnv.New64a()
	h.Write([]byte(s))
	return "f" + base32.NewEncoding("abcdefghijklmnopqrstuvwxyz123456").WithPadding(base32.NoPadding).EncodeToString(h.Sum(nil))
}

// uniqueID is nodes/common.GenerateUniqueID for a child of parentUniqueID at parent attempt 0.
func uniqueID(parentUniqueID, nodeID string) string {
	if parentUniqueID == "" {
		return nodeID
	}
	return kube.UniqueID(20, parentUniqueID, "0", nodeID)
}

// podName is the task's generated name (taskexec_context.go, IDMaxLength 50).
func podName(exec, nodeUniqueID string, retry uint32) string {
	return kube.UniqueID(50, exec, nodeUniqueID, strconv.Itoa(int(retry)))
}

func containerID(pod string) string {
	sum := sha256.Sum256([]byte(pod))
	return hex.EncodeToString(sum[:])
}

// run builds one execution.
type run struct {
	name string
	ef   *fakeadmin.ExecutionFixture
}

type execParams struct {
	name, workflow string
	phase          core.WorkflowExecution_Phase
	created        time.Time
	started        time.Duration // after created
	duration       time.Duration
	err            *core.ExecutionError
	inputs         map[string]*core.Literal
	// child launch plans
	parentNode *core.NodeExecutionIdentifier
}

func newRun(f *fakeadmin.Fixture, p execParams) *run {
	md := &admin.ExecutionMetadata{
		Mode:           admin.ExecutionMetadata_MANUAL,
		Principal:      principal,
		SystemMetadata: &admin.SystemMetadata{Namespace: namespace},
	}
	if p.parentNode != nil {
		md.Mode = admin.ExecutionMetadata_CHILD_WORKFLOW
		md.Nesting = 1
		md.ParentNodeExecution = p.parentNode
	}
	started := p.created.Add(p.started)
	closure := &admin.ExecutionClosure{
		Phase:      p.phase,
		StartedAt:  ts(started),
		Duration:   durationpb.New(p.duration),
		CreatedAt:  ts(p.created),
		UpdatedAt:  ts(started.Add(p.duration)),
		WorkflowId: ident(core.ResourceType_WORKFLOW, p.workflow),
		StateChangeDetails: &admin.ExecutionStateChangeDetails{
			State: admin.ExecutionState_EXECUTION_ACTIVE, OccurredAt: ts(p.created), Principal: principal,
		},
	}
	if p.err != nil {
		closure.OutputResult = &admin.ExecutionClosure_Error{Error: p.err}
	} else if p.phase == core.WorkflowExecution_SUCCEEDED {
		closure.OutputResult = &admin.ExecutionClosure_Outputs{Outputs: &admin.LiteralMapBlob{
			Data: &admin.LiteralMapBlob_Uri{Uri: metaDir(p.name) + "/end-node/data/0/outputs.pb"},
		}}
	}
	e := &admin.Execution{
		Id: execID(p.name),
		Spec: &admin.ExecutionSpec{
			LaunchPlan:          ident(core.ResourceType_LAUNCH_PLAN, p.workflow),
			Metadata:            md,
			Labels:              &admin.Labels{Values: map[string]string{"team": "ml-platform"}},
			RawOutputDataConfig: &admin.RawOutputDataConfig{OutputLocationPrefix: rawPrefix},
			SecurityContext: &core.SecurityContext{RunAs: &core.Identity{
				K8SServiceAccount: "default",
				IamRole:           "arn:aws:iam::123456789012:role/flyte-user-role",
			}},
		},
		Closure: closure,
	}
	r := &run{name: p.name, ef: f.AddExecution(e)}
	if p.inputs != nil {
		r.ef.Data = &admin.WorkflowExecutionGetDataResponse{
			Inputs:     &admin.UrlBlob{Url: fmt.Sprintf("%s/metadata/%s/%s/%s/inputs", metaBucket, project, domain, p.name), Bytes: 96},
			FullInputs: &core.LiteralMap{Literals: p.inputs},
		}
	}
	return r
}

func metaDir(exec string) string {
	return fmt.Sprintf("%s/metadata/propeller/%s-%s-%s", metaBucket, project, domain, exec)
}

func intLit(i int64) *core.Literal {
	return &core.Literal{Value: &core.Literal_Scalar{Scalar: &core.Scalar{Value: &core.Scalar_Primitive{
		Primitive: &core.Primitive{Value: &core.Primitive_Integer{Integer: i}}}}}}
}

func strLit(s string) *core.Literal {
	return &core.Literal{Value: &core.Literal_Scalar{Scalar: &core.Scalar{Value: &core.Scalar_Primitive{
		Primitive: &core.Primitive{Value: &core.Primitive_StringValue{StringValue: s}}}}}}
}

// nodeParams describe one node execution. Times are offsets from the execution's creation.
type nodeParams struct {
	specID  string // template node id
	phase   core.NodeExecution_Phase
	created time.Time
	queued  time.Duration // created → started
	dur     time.Duration
	err     *core.ExecutionError
	// kind of node
	task, dynamic, subworkflow, array bool
	launched                          *core.WorkflowExecutionIdentifier // launch plan node
	attempt                           uint32                            // attempt whose outputs count
}

type node struct {
	fx       *fakeadmin.NodeFixture
	uniqueID string
	dataDir  string
}

// task returns the node's attempt with the given retry number.
func (n *node) task(retry uint32) *admin.TaskExecution {
	for _, t := range n.fx.Tasks {
		if t.GetId().GetRetryAttempt() == retry {
			return t
		}
	}
	panic(fmt.Sprintf("node %s has no attempt %d", n.uniqueID, retry)) // generator bug
}

func (r *run) node(p nodeParams, parent *node) *node {
	n := &node{}
	parentID := ""
	if parent != nil {
		parentID = parent.uniqueID
		n.uniqueID = uniqueID(parent.uniqueID, p.specID)
		n.dataDir = parent.dataDir + "/0/" + p.specID
	} else {
		n.uniqueID = p.specID
		n.dataDir = metaDir(r.name) + "/" + p.specID + "/data"
	}
	started := p.created.Add(p.queued)
	closure := &admin.NodeExecutionClosure{
		Phase:     p.phase,
		StartedAt: ts(started),
		Duration:  durationpb.New(p.dur),
		CreatedAt: ts(p.created),
		UpdatedAt: ts(started.Add(p.dur)),
	}
	switch {
	case p.err != nil:
		closure.OutputResult = &admin.NodeExecutionClosure_Error{Error: p.err}
	case p.phase == core.NodeExecution_SUCCEEDED:
		closure.OutputResult = &admin.NodeExecutionClosure_OutputUri{
			OutputUri: fmt.Sprintf("%s/%d/outputs.pb", n.dataDir, p.attempt),
		}
	}
	md := &admin.NodeExecutionMetaData{SpecNodeId: p.specID}
	if parent != nil {
		md.RetryGroup = "0"
	}
	switch {
	case p.task:
		closure.TargetMetadata = &admin.NodeExecutionClosure_TaskNodeMetadata{TaskNodeMetadata: &admin.TaskNodeMetadata{
			CacheStatus: core.CatalogCacheStatus_CACHE_DISABLED,
		}}
	case p.launched != nil:
		closure.TargetMetadata = &admin.NodeExecutionClosure_WorkflowNodeMetadata{WorkflowNodeMetadata: &admin.WorkflowNodeMetadata{
			ExecutionId: p.launched,
		}}
	}
	if p.dynamic {
		md.IsParentNode, md.IsDynamic = true, true
		closure.DynamicJobSpecUri = n.dataDir + "/0/futures.pb"
	}
	md.IsParentNode = md.IsParentNode || p.subworkflow
	md.IsArray = p.array
	inputURI := n.dataDir + "/inputs.pb"
	if p.specID == "start-node" {
		inputURI = ""
	}
	n.fx = r.ef.AddNode(parentID, &admin.NodeExecution{
		Id:       &core.NodeExecutionIdentifier{NodeId: n.uniqueID, ExecutionId: execID(r.name)},
		InputUri: inputURI,
		Closure:  closure,
		Metadata: md,
	})
	return n
}

// startNode is the pseudo node admin records for every (sub)workflow.
func (r *run) startNode(created time.Time, parent *node) *node {
	return r.node(nodeParams{specID: "start-node", phase: core.NodeExecution_SUCCEEDED, created: created}, parent)
}

type reason struct {
	after time.Duration
	msg   string
}

// attemptParams describe one task attempt of a node.
type attemptParams struct {
	task     string
	taskType string
	retry    uint32
	phase    core.TaskExecution_Phase
	created  time.Time
	queued   time.Duration
	dur      time.Duration
	err      *core.ExecutionError
	reasons  []reason
	running  bool // the container started (has a container id and process times)
	// unscheduled: the pod never got a node, so admin has no start, duration or log links.
	unscheduled bool
}

func (r *run) attempt(n *node, p attemptParams) *admin.TaskExecution {
	pod := podName(r.name, n.uniqueID, p.retry)
	cid := ""
	if p.running {
		cid = containerID(pod)
	}
	started := p.created.Add(p.queued)
	taskType := p.taskType
	if taskType == "" {
		taskType = "python-task"
	}
	closure := &admin.TaskExecutionClosure{
		Phase:        p.phase,
		Logs:         podLogs(pod, cid, ""),
		StartedAt:    ts(started),
		Duration:     durationpb.New(p.dur),
		CreatedAt:    ts(p.created),
		UpdatedAt:    ts(started.Add(p.dur)),
		TaskType:     taskType,
		EventVersion: 1,
		Metadata:     &event.TaskExecutionMetadata{GeneratedName: pod, PluginIdentifier: "container"},
	}
	if p.unscheduled {
		closure.StartedAt, closure.Duration, closure.Logs = nil, nil, nil
		closure.UpdatedAt = ts(p.created.Add(p.reasons[len(p.reasons)-1].after))
	}
	for _, rs := range p.reasons {
		closure.Reasons = append(closure.Reasons, &admin.Reason{OccurredAt: ts(p.created.Add(rs.after)), Message: rs.msg})
		closure.Reason = rs.msg
	}
	switch {
	case p.err != nil:
		closure.OutputResult = &admin.TaskExecutionClosure_Error{Error: p.err}
	case p.phase == core.TaskExecution_SUCCEEDED:
		closure.OutputResult = &admin.TaskExecutionClosure_OutputUri{OutputUri: fmt.Sprintf("%s/%d/outputs.pb", n.dataDir, p.retry)}
	}
	ctr := &core.ContainerContext{ContainerName: pod}
	if p.running {
		ctr.Process = &core.ContainerContext_ProcessContext{
			ContainerStartTime: ts(started.Add(2 * time.Second)),
			ContainerEndTime:   ts(started.Add(p.dur)),
		}
	}
	closure.LogContext = &core.LogContext{
		PrimaryPodName: pod,
		Pods: []*core.PodLogContext{{
			Namespace: namespace, PodName: pod, PrimaryContainerName: pod, Containers: []*core.ContainerContext{ctr},
		}},
	}
	t := &admin.TaskExecution{
		Id: &core.TaskExecutionIdentifier{
			TaskId:          ident(core.ResourceType_TASK, p.task),
			NodeExecutionId: &core.NodeExecutionIdentifier{NodeId: n.uniqueID, ExecutionId: execID(r.name)},
			RetryAttempt:    p.retry,
		},
		InputUri: n.dataDir + "/inputs.pb",
		Closure:  closure,
	}
	n.fx.Tasks = append(n.fx.Tasks, t)
	return t
}

// podLogs are the links flyteplugins' Kubernetes and CloudWatch templates produce.
func podLogs(pod, containerID, suffix string) []*core.TaskLog {
	return []*core.TaskLog{
		{
			Uri:           fmt.Sprintf("%s/#!/log/%s/%s/pod?namespace=%s", dashboard, namespace, pod, namespace),
			Name:          kubeLogName + suffix,
			MessageFormat: core.TaskLog_JSON,
		},
		{
			Uri: fmt.Sprintf("https://console.aws.amazon.com/cloudwatch/home?region=%s#logEventViewer:group=%s;stream=var.log.containers.%s_%s_%s-%s.log",
				cwRegion, cwLogGroup, pod, namespace, pod, containerID),
			Name:          cwLogName + suffix,
			MessageFormat: core.TaskLog_JSON,
		},
	}
}

// Error texts, as flytepropeller and flytekit write them.

func retriesExhausted(cur, max int, last *core.ExecutionError) *core.ExecutionError {
	return &core.ExecutionError{
		Code:    "RetriesExhausted|" + last.GetCode(),
		Kind:    core.ExecutionError_USER,
		Message: fmt.Sprintf("[%d/%d] currentAttempt done. Last Error: %s::%s", cur, max, last.GetKind(), last.GetMessage()),
	}
}

// podFailure is DemystifyFailure's message for one terminated container of a pod without a
// status message.
func podFailure(pod string, exitCode int, reason, logTail string) string {
	return podFailureMsg("Pod failed. No message received from kubernetes.", pod, exitCode, reason, logTail)
}

// podFailureMsg is DemystifyFailure's message: the pod's status message, then the container.
func podFailureMsg(podMsg, pod string, exitCode int, reason, logTail string) string {
	return fmt.Sprintf("%s\r\n[%s] terminated with exit code (%d). Reason [%s]. Message: \n%s.", podMsg, pod, exitCode, reason, logTail)
}

func oomKilled(pod, logTail string) *core.ExecutionError {
	return &core.ExecutionError{Code: "OOMKilled", Kind: core.ExecutionError_USER, Message: podFailure(pod, 137, "OOMKilled", logTail)}
}

// flytekitTrace is entrypoint.get_traceback_str: the indented traceback, then the summary.
func flytekitTrace(frames []string, excType, excMsg string) string {
	var tb strings.Builder
	tb.WriteString("Traceback (most recent call last):\n")
	for _, f := range frames {
		tb.WriteString(f)
		tb.WriteString("\n")
	}
	tb.WriteString(excType + ": " + excMsg + "\n")
	indent := func(s string) string {
		lines := strings.Split(strings.TrimSuffix(s, "\n"), "\n")
		for i, l := range lines {
			if strings.TrimSpace(l) != "" { // textwrap.indent skips blank lines
				lines[i] = "    " + l
			}
		}
		return strings.Join(lines, "\n") + "\n"
	}
	short := excType[strings.LastIndex(excType, ".")+1:]
	return "Trace:\n\n" + indent(tb.String()) + "\nMessage:\n\n" + strings.TrimSuffix(indent(short+": "+excMsg), "\n")
}

// downloadError is flytekit's error when the task cannot download its inputs (403 on HEAD).
func downloadError(dataDir string, attempt uint32, when time.Time, pod, tmpDir string) *core.ExecutionError {
	msg := "SYSTEM:DownloadDataError: error=Failed to get data from " + dataDir + "/inputs.pb to /tmp/" + tmpDir +
		"/sandbox/local_flytekit/inputs.pb (recursive=False).\n\n" +
		"Original exception: An error occurred (403) when calling the HeadObject operation: Forbidden"
	return flytekitError("SYSTEM", core.ExecutionError_SYSTEM, dataDir, attempt, when, pod, flytekitTrace([]string{
		`  File "/usr/local/lib/python3.11/site-packages/flytekit/bin/entrypoint.py", line 166, in _dispatch_execute`,
		`    ctx.file_access.get_data(inputs_path, local_inputs_file)`,
		`  File "/usr/local/lib/python3.11/site-packages/flytekit/core/data_persistence.py", line 615, in get_data`,
		`    raise FlyteDownloadDataException(`,
	}, "flytekit.exceptions.system.FlyteDownloadDataException", msg))
}

func flytekitError(code string, kind core.ExecutionError_ErrorKind, dataDir string, attempt uint32, when time.Time, pod, msg string) *core.ExecutionError {
	return &core.ExecutionError{
		Code:      code,
		Kind:      kind,
		Message:   msg,
		ErrorUri:  fmt.Sprintf("%s/%d/error.pb", dataDir, attempt),
		Timestamp: ts(when),
		Worker:    pod,
	}
}
