package flyteadmin

//lint:file-ignore SA1019 flyteadmin v1.16 still fills the deprecated URI fields (inputs/outputs UrlBlob, output_uri, auth_role, abort_cause) and older servers fill only them

import (
	"cmp"
	"time"

	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/flytedoctor/flytedoctor/collectors/evidence"
	"github.com/flyteorg/flyte/flyteidl/gen/pb-go/flyteidl/admin"
	"github.com/flyteorg/flyte/flyteidl/gen/pb-go/flyteidl/core"
	"github.com/flyteorg/flyte/flyteidl/gen/pb-go/flyteidl/event"
)

// Conversions from Admin's protos to evidence. Enums become their proto names.

func toWorkflowExecutionID(id evidence.ExecutionID) *core.WorkflowExecutionIdentifier {
	return &core.WorkflowExecutionIdentifier{Project: id.Project, Domain: id.Domain, Name: id.Name}
}

func fromWorkflowExecutionID(id *core.WorkflowExecutionIdentifier) evidence.ExecutionID {
	return evidence.ExecutionID{Project: id.GetProject(), Domain: id.GetDomain(), Name: id.GetName()}
}

func convertIdentifier(id *core.Identifier) evidence.Identifier {
	if id == nil {
		return evidence.Identifier{}
	}
	return evidence.Identifier{
		ResourceType: id.GetResourceType().String(),
		Project:      id.GetProject(),
		Domain:       id.GetDomain(),
		Name:         id.GetName(),
		Version:      id.GetVersion(),
	}
}

func timeOf(ts *timestamppb.Timestamp) time.Time {
	if ts == nil {
		return time.Time{}
	}
	return ts.AsTime()
}

func durationOf(d *durationpb.Duration) evidence.Duration {
	if d == nil {
		return 0
	}
	return evidence.Duration(d.AsDuration())
}

func convertError(e *core.ExecutionError) *evidence.ExecutionError {
	if e == nil {
		return nil
	}
	return &evidence.ExecutionError{
		Code:     e.GetCode(),
		Message:  e.GetMessage(),
		Kind:     e.GetKind().String(),
		ErrorURI: e.GetErrorUri(),
		Time:     timeOf(e.GetTimestamp()),
		Worker:   e.GetWorker(),
	}
}

func convertExecution(x *admin.Execution) *evidence.Execution {
	spec, closure := x.GetSpec(), x.GetClosure()
	md := spec.GetMetadata()
	ex := &evidence.Execution{
		ID:              fromWorkflowExecutionID(x.GetId()),
		Phase:           closure.GetPhase().String(),
		Error:           convertError(closure.GetError()),
		LaunchPlan:      convertIdentifier(spec.GetLaunchPlan()),
		Workflow:        convertIdentifier(closure.GetWorkflowId()),
		Mode:            md.GetMode().String(),
		Principal:       md.GetPrincipal(),
		Nesting:         md.GetNesting(),
		Namespace:       md.GetSystemMetadata().GetNamespace(),
		Cluster:         md.GetSystemMetadata().GetExecutionCluster(),
		RawOutputPrefix: spec.GetRawOutputDataConfig().GetOutputLocationPrefix(),
		Labels:          spec.GetLabels().GetValues(),
		CreatedAt:       timeOf(closure.GetCreatedAt()),
		StartedAt:       timeOf(closure.GetStartedAt()),
		UpdatedAt:       timeOf(closure.GetUpdatedAt()),
		Duration:        durationOf(closure.GetDuration()),
	}
	if p := md.GetParentNodeExecution(); p != nil {
		ex.ParentNode = &evidence.NodeRef{Execution: fromWorkflowExecutionID(p.GetExecutionId()), NodeID: p.GetNodeId()}
	}
	// The deprecated auth_role still carries the role on executions launched by old clients.
	runAs := spec.GetSecurityContext().GetRunAs()
	ex.IAMRole = cmp.Or(runAs.GetIamRole(), spec.GetAuthRole().GetAssumableIamRole())
	ex.ServiceAccount = cmp.Or(runAs.GetK8SServiceAccount(), spec.GetAuthRole().GetKubernetesServiceAccount())
	if am := closure.GetAbortMetadata(); am != nil {
		ex.AbortCause, ex.AbortPrincipal = am.GetCause(), am.GetPrincipal()
	} else {
		ex.AbortCause = closure.GetAbortCause()
	}
	return ex
}

func convertNode(ne *admin.NodeExecution, parentID string) *evidence.Node {
	c, md := ne.GetClosure(), ne.GetMetadata()
	n := &evidence.Node{
		ID:         ne.GetId().GetNodeId(),
		SpecNodeID: md.GetSpecNodeId(),
		ParentID:   parentID,
		RetryGroup: md.GetRetryGroup(),
		Phase:      c.GetPhase().String(),
		Error:      convertError(c.GetError()),
		IsParent:   md.GetIsParentNode(),
		IsDynamic:  md.GetIsDynamic(),
		IsArray:    md.GetIsArray(),
		IsEager:    md.GetIsEager(),
		InputURI:   ne.GetInputUri(),
		OutputURI:  c.GetOutputUri(),
		DeckURI:    c.GetDeckUri(),
		CreatedAt:  timeOf(c.GetCreatedAt()),
		StartedAt:  timeOf(c.GetStartedAt()),
		UpdatedAt:  timeOf(c.GetUpdatedAt()),
		Duration:   durationOf(c.GetDuration()),
	}
	if cs := c.GetTaskNodeMetadata().GetCacheStatus(); cs != core.CatalogCacheStatus_CACHE_DISABLED {
		n.CacheStatus = cs.String()
	}
	if wm := c.GetWorkflowNodeMetadata(); wm.GetExecutionId().GetName() != "" {
		id := fromWorkflowExecutionID(wm.GetExecutionId())
		n.ChildExecutionID = &id
	}
	switch {
	case n.ChildExecutionID != nil:
		n.Kind = evidence.KindLaunchPlan
	case n.IsArray:
		n.Kind = evidence.KindArray
	case n.IsDynamic:
		n.Kind = evidence.KindDynamic
	case n.IsParent:
		n.Kind = evidence.KindSubworkflow
	default:
		n.Kind = evidence.KindTask
	}
	return n
}

func convertAttempt(te *admin.TaskExecution) *evidence.TaskAttempt {
	c := te.GetClosure()
	md := c.GetMetadata()
	a := &evidence.TaskAttempt{
		TaskID:         convertIdentifier(te.GetId().GetTaskId()),
		RetryAttempt:   te.GetId().GetRetryAttempt(),
		Phase:          c.GetPhase().String(),
		Error:          convertError(c.GetError()),
		Reason:         c.GetReason(),
		TaskType:       c.GetTaskType(),
		PluginID:       md.GetPluginIdentifier(),
		EventVersion:   c.GetEventVersion(),
		Logs:           convertLogs(c.GetLogs()),
		PodName:        md.GetGeneratedName(),
		PrimaryPodName: c.GetLogContext().GetPrimaryPodName(),
		Pods:           convertPods(c.GetLogContext()),
		InstanceClass:  md.GetInstanceClass().String(),
		InputURI:       te.GetInputUri(),
		OutputURI:      c.GetOutputUri(),
		CreatedAt:      timeOf(c.GetCreatedAt()),
		StartedAt:      timeOf(c.GetStartedAt()),
		UpdatedAt:      timeOf(c.GetUpdatedAt()),
		Duration:       durationOf(c.GetDuration()),
	}
	for _, r := range c.GetReasons() {
		a.Reasons = append(a.Reasons, evidence.Reason{OccurredAt: timeOf(r.GetOccurredAt()), Message: r.GetMessage()})
	}
	for _, er := range md.GetExternalResources() {
		a.ExternalResources = append(a.ExternalResources, convertExternal(er))
	}
	return a
}

func convertExternal(er *event.ExternalResourceInfo) evidence.ExternalResource {
	x := evidence.ExternalResource{
		ExternalID:   er.GetExternalId(),
		Index:        er.GetIndex(),
		RetryAttempt: er.GetRetryAttempt(),
		Phase:        er.GetPhase().String(),
		Logs:         convertLogs(er.GetLogs()),
	}
	if cs := er.GetCacheStatus(); cs != core.CatalogCacheStatus_CACHE_DISABLED {
		x.CacheStatus = cs.String()
	}
	if id := er.GetWorkflowNodeMetadata().GetExecutionId(); id.GetName() != "" {
		cid := fromWorkflowExecutionID(id)
		x.ChildExecutionID = &cid
	}
	return x
}

func convertLogs(logs []*core.TaskLog) []evidence.TaskLog {
	var out []evidence.TaskLog
	for _, l := range logs {
		out = append(out, evidence.TaskLog{Name: l.GetName(), URI: l.GetUri()})
	}
	return out
}

func convertPods(lc *core.LogContext) []evidence.PodLogContext {
	var out []evidence.PodLogContext
	for _, p := range lc.GetPods() {
		out = append(out, evidence.PodLogContext{
			Namespace: p.GetNamespace(), PodName: p.GetPodName(), PrimaryContainer: p.GetPrimaryContainerName(),
		})
	}
	return out
}
