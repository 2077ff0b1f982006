package fakeadmin

import (
	"context"

	"google.golang.org/protobuf/proto"

	"github.com/flyteorg/flyte/flyteidl/gen/pb-go/flyteidl/admin"
	"github.com/flyteorg/flyte/flyteidl/gen/pb-go/flyteidl/core"
)

type taskKey struct{ project, domain, name, version string }

func tasksOf(tasks []*admin.Task) map[taskKey]*admin.Task {
	m := map[taskKey]*admin.Task{}
	for _, t := range tasks {
		id := t.GetId()
		k := taskKey{id.GetProject(), id.GetDomain(), id.GetName(), id.GetVersion()}
		if _, dup := m[k]; !dup {
			m[k] = proto.Clone(t).(*admin.Task)
		}
	}
	return m
}

// GetTask implements service.AdminServiceServer: the fixture's task definitions, validated
// as the task manager validates the identifier.
func (s *Server) GetTask(ctx context.Context, req *admin.ObjectGetRequest) (*admin.Task, error) {
	return call(s, ctx, "GetTask", req, func(req *admin.ObjectGetRequest) (*admin.Task, error) {
		id := req.GetId()
		switch {
		case id == nil:
			return nil, missingArgument("id")
		case id.GetProject() == "":
			return nil, missingArgument("project")
		case id.GetDomain() == "":
			return nil, missingArgument("domain")
		case id.GetName() == "":
			return nil, missingArgument("name")
		case id.GetVersion() == "":
			return nil, missingArgument("version")
		}
		t := s.db.tasks[taskKey{id.GetProject(), id.GetDomain(), id.GetName(), id.GetVersion()}]
		if t == nil {
			return nil, missingEntity(core.ResourceType_TASK.String(), &core.Identifier{
				ResourceType: core.ResourceType_TASK, Project: id.GetProject(), Domain: id.GetDomain(), Name: id.GetName(), Version: id.GetVersion()})
		}
		return proto.Clone(t).(*admin.Task), nil
	})
}
