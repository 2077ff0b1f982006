package fakeadmin

//lint:file-ignore SA1019 flyteadmin v1.16 still fills the deprecated URI fields (inputs/outputs UrlBlob, output_uri, auth_role, abort_cause) and older servers fill only them

import (
	"strings"

	"github.com/flyteorg/flyte/flyteidl/gen/pb-go/flyteidl/admin"
	"github.com/flyteorg/flyte/flyteidl/gen/pb-go/flyteidl/core"
)

// Column values as admin stores them: phases and error kinds as enum names, times from the
// closure, durations as nanoseconds, absent errors as NULL.

func errorCols(col string, e *core.ExecutionError) (value, bool) {
	switch col {
	case "error_kind":
		return optStr(e.GetKind().String(), e != nil), true
	case "error_code":
		return optStr(e.GetCode(), e != nil), true
	}
	return value{}, false
}

func execColumn(e *execRec, col string) value {
	c := e.msg.GetClosure()
	if v, ok := errorCols(col, c.GetError()); ok {
		return v
	}
	switch col {
	case "id":
		return intV(e.id)
	case "created_at", "execution_created_at":
		return timeV(c.GetCreatedAt())
	case "updated_at", "execution_updated_at":
		return timeV(c.GetUpdatedAt())
	case "deleted_at":
		return nullV(kTime)
	case "execution_project":
		return strV(e.key.project)
	case "execution_domain":
		return strV(e.key.domain)
	case "execution_name":
		return strV(e.key.name)
	case "phase":
		return strV(c.GetPhase().String())
	case "started_at":
		return timeV(c.GetStartedAt())
	case "duration":
		return durV(c.GetDuration())
	case "abort_cause":
		if c.GetAbortMetadata() != nil {
			return strV(c.GetAbortMetadata().GetCause())
		}
		return strV(c.GetAbortCause())
	case "mode":
		return intV(int64(e.msg.GetSpec().GetMetadata().GetMode()))
	case "parent_node_execution_id":
		if e.parentNode != nil {
			return intV(e.parentNode.id)
		}
		return intV(0)
	case "cluster":
		return strV(e.msg.GetSpec().GetMetadata().GetSystemMetadata().GetExecutionCluster())
	case "user":
		return strV(e.msg.GetSpec().GetMetadata().GetPrincipal())
	case "state":
		return intV(int64(c.GetStateChangeDetails().GetState()))
	case "launch_entity":
		if e.msg.GetSpec().GetLaunchPlan().GetResourceType() == core.ResourceType_TASK {
			return strV("task")
		}
		return strV("launch_plan")
	}
	return opaque()
}

func identifierColumn(id *core.Identifier, col string) value {
	switch col {
	case "project":
		return strV(id.GetProject())
	case "domain":
		return strV(id.GetDomain())
	case "name":
		return strV(id.GetName())
	case "version":
		return strV(id.GetVersion())
	}
	return opaque()
}

func execAccessor(e *execRec) accessor {
	return func(ent entity, col string) value {
		switch ent {
		case entExecution:
			return execColumn(e, col)
		case entLaunchPlan:
			return identifierColumn(e.msg.GetSpec().GetLaunchPlan(), col)
		case entWorkflow:
			return identifierColumn(e.msg.GetClosure().GetWorkflowId(), col)
		}
		return opaque()
	}
}

func nodeColumn(n *nodeRec, col string) value {
	c := n.msg.GetClosure()
	if v, ok := errorCols(col, c.GetError()); ok {
		return v
	}
	switch col {
	case "id":
		return intV(n.id)
	case "created_at", "node_execution_created_at":
		return timeV(c.GetCreatedAt())
	case "updated_at", "node_execution_updated_at":
		return timeV(c.GetUpdatedAt())
	case "deleted_at":
		return nullV(kTime)
	case "parent_task_execution_id":
		return nullV(kInt)
	case "execution_project":
		return strV(n.exec.key.project)
	case "execution_domain":
		return strV(n.exec.key.domain)
	case "execution_name":
		return strV(n.exec.key.name)
	case "node_id":
		return strV(n.msg.GetId().GetNodeId())
	case "phase":
		return strV(c.GetPhase().String())
	case "input_uri":
		return strV(n.msg.GetInputUri())
	case "started_at":
		return timeV(c.GetStartedAt())
	case "duration":
		return durV(c.GetDuration())
	case "parent_id":
		if n.parent == nil {
			return nullV(kInt)
		}
		return intV(n.parent.id)
	case "cache_status":
		tm := c.GetTaskNodeMetadata()
		return optStr(tm.GetCacheStatus().String(), tm != nil)
	case "dynamic_workflow_remote_closure_reference":
		return strV("")
	}
	return opaque()
}

func nodeAccessor(n *nodeRec) accessor {
	return func(ent entity, col string) value {
		switch ent {
		case entNodeExecution:
			return nodeColumn(n, col)
		case entExecution:
			return execColumn(n.exec, col)
		}
		return opaque()
	}
}

func taskColumn(t *taskRec, col string) value {
	c := t.msg.GetClosure()
	id := t.msg.GetId()
	switch col {
	case "id":
		return intV(t.id)
	case "created_at", "task_execution_created_at":
		return timeV(c.GetCreatedAt())
	case "updated_at", "task_execution_updated_at":
		return timeV(c.GetUpdatedAt())
	case "deleted_at":
		return nullV(kTime)
	case "project", "domain", "name", "version":
		return identifierColumn(id.GetTaskId(), col)
	case "execution_project":
		return strV(t.node.exec.key.project)
	case "execution_domain":
		return strV(t.node.exec.key.domain)
	case "execution_name":
		return strV(t.node.exec.key.name)
	case "node_id":
		return strV(t.node.msg.GetId().GetNodeId())
	case "retry_attempt":
		return intV(int64(id.GetRetryAttempt()))
	case "phase":
		return strV(c.GetPhase().String())
	case "input_uri":
		return strV(t.msg.GetInputUri())
	case "started_at":
		return timeV(c.GetStartedAt())
	case "duration":
		return durV(c.GetDuration())
	}
	return opaque()
}

func taskAccessor(t *taskRec) accessor {
	return func(ent entity, col string) value {
		switch ent {
		case entTaskExecution:
			return taskColumn(t, col)
		case entNodeExecution:
			return nodeColumn(t.node, col)
		case entExecution:
			return execColumn(t.node.exec, col)
		case entTask:
			if col == "type" {
				return strV(t.msg.GetClosure().GetTaskType())
			}
			return identifierColumn(t.msg.GetId().GetTaskId(), col)
		}
		return opaque()
	}
}

func projectAccessor(p *projectRec) accessor {
	return func(ent entity, col string) value {
		if ent != entProject {
			return opaque()
		}
		switch col {
		case "id":
			return intV(p.id)
		case "identifier":
			return strV(p.msg.GetId())
		case "name":
			return strV(p.msg.GetName())
		case "description":
			return strV(p.msg.GetDescription())
		case "state":
			return intV(int64(p.msg.GetState()))
		}
		return opaque()
	}
}

// trimErrorMessage is transformers.TrimErrorMessage: the first 100 bytes, minus a split rune.
func trimErrorMessage(msg string) string {
	const trimmedLen = 100
	if len(msg) <= trimmedLen {
		return msg
	}
	return strings.ToValidUTF8(msg[:trimmedLen], "")
}

func trimExecution(e *admin.Execution) {
	if err := e.GetClosure().GetError(); err != nil && err.GetMessage() != "" {
		err.Message = trimErrorMessage(err.GetMessage())
	}
}

func trimNode(n *admin.NodeExecution) {
	if err := n.GetClosure().GetError(); err != nil && err.GetMessage() != "" {
		err.Message = trimErrorMessage(err.GetMessage())
	}
}
