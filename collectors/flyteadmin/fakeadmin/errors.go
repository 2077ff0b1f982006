package fakeadmin

import (
	"fmt"
	"strings"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/flyteorg/flyte/flyteidl/gen/pb-go/flyteidl/core"
)

// Texts below are flyteadmin v1.16.8's (manager/impl/shared/errors.go, repositories/errors,
// manager/impl/validation, common/sorting.go, manager/impl/util/filters.go).

func missingArgument(field string) error {
	return status.Errorf(codes.InvalidArgument, "missing %s", field)
}

func invalidArgument(field string) error {
	return status.Errorf(codes.InvalidArgument, "invalid value for %s", field)
}

func invalidToken(token, method string) error {
	return status.Errorf(codes.InvalidArgument, "invalid pagination token %s for %s", token, method)
}

// missingEntity formats the identifier with %v like the real repo does, which prints prototext.
func missingEntity(entityType string, id any) error {
	return status.Errorf(codes.NotFound, "missing entity of type %s with identifier %v", entityType, id)
}

func executionNotFound(id *core.WorkflowExecutionIdentifier) error {
	// The execution repo reports a core.Identifier, not a WorkflowExecutionIdentifier.
	return missingEntity("execution", &core.Identifier{
		Project: id.GetProject(),
		Domain:  id.GetDomain(),
		Name:    id.GetName(),
	})
}

func nodeExecutionNotFound(id *core.NodeExecutionIdentifier) error {
	return missingEntity("node execution", &core.NodeExecutionIdentifier{
		NodeId: id.GetNodeId(),
		ExecutionId: &core.WorkflowExecutionIdentifier{
			Project: id.GetExecutionId().GetProject(),
			Domain:  id.GetExecutionId().GetDomain(),
			Name:    id.GetExecutionId().GetName(),
		},
	})
}

func taskExecutionNotFound(id *core.TaskExecutionIdentifier) error {
	// The real repo leaves retry_attempt out of the reported identifier.
	return missingEntity("task execution", &core.TaskExecutionIdentifier{
		TaskId: &core.Identifier{
			Project: id.GetTaskId().GetProject(),
			Domain:  id.GetTaskId().GetDomain(),
			Name:    id.GetTaskId().GetName(),
			Version: id.GetTaskId().GetVersion(),
		},
		NodeExecutionId: &core.NodeExecutionIdentifier{
			NodeId: id.GetNodeExecutionId().GetNodeId(),
			ExecutionId: &core.WorkflowExecutionIdentifier{
				Project: id.GetNodeExecutionId().GetExecutionId().GetProject(),
				Domain:  id.GetNodeExecutionId().GetExecutionId().GetDomain(),
				Name:    id.GetNodeExecutionId().GetExecutionId().GetName(),
			},
		},
	})
}

func projectNotFound(id string) error {
	return status.Errorf(codes.NotFound, "project [%s] not found", id)
}

// dbError mimics a Postgres error passed through admin's error transformer.
func dbError(format string, args ...any) error {
	return status.Errorf(codes.Unknown, "failed database operation with %s", fmt.Sprintf(format, args...))
}

// unsimulated marks valid requests whose DB behaviour this fake does not model.
func unsimulated(format string, args ...any) error {
	return status.Errorf(codes.Unimplemented, "fakeadmin: %s", fmt.Sprintf(format, args...))
}

func validateWorkflowExecutionID(id *core.WorkflowExecutionIdentifier) error {
	switch {
	case id == nil:
		return missingArgument("id")
	case id.GetProject() == "":
		return missingArgument("project")
	case id.GetDomain() == "":
		return missingArgument("domain")
	case id.GetName() == "":
		return missingArgument("name")
	}
	return nil
}

func validateNodeExecutionID(id *core.NodeExecutionIdentifier) error {
	switch {
	case id == nil:
		return missingArgument("id")
	case id.GetExecutionId() == nil:
		return missingArgument("execution_id")
	case id.GetNodeId() == "":
		return missingArgument("node_id")
	}
	return validateWorkflowExecutionID(id.GetExecutionId())
}

func validateTaskExecutionID(id *core.TaskExecutionIdentifier) error {
	switch {
	case id == nil:
		return missingArgument("id")
	case id.GetNodeExecutionId() == nil:
		return missingArgument("node_execution_id")
	}
	if err := validateNodeExecutionID(id.GetNodeExecutionId()); err != nil {
		return err
	}
	tid := id.GetTaskId()
	if tid == nil {
		return missingArgument("task_id")
	}
	if tid.GetResourceType() != core.ResourceType_TASK {
		return status.Errorf(codes.InvalidArgument,
			"unexpected resource type %s for identifier [%+v], expected task instead",
			strings.ToLower(tid.GetResourceType().String()), tid)
	}
	switch {
	case tid.GetProject() == "":
		return missingArgument("project")
	case tid.GetDomain() == "":
		return missingArgument("domain")
	case tid.GetName() == "":
		return missingArgument("name")
	case tid.GetVersion() == "":
		return missingArgument("version")
	}
	return nil
}
