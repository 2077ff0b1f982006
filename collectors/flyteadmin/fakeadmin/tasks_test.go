package fakeadmin

import (
	"context"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/flyteorg/flyte/flyteidl/gen/pb-go/flyteidl/admin"
	"github.com/flyteorg/flyte/flyteidl/gen/pb-go/flyteidl/core"
)

func TestGetTask(t *testing.T) {
	id := &core.Identifier{ResourceType: core.ResourceType_TASK, Project: "p", Domain: "d", Name: "wf.train", Version: "v1"}
	f := &Fixture{Tasks: []*admin.Task{{Id: id, Closure: &admin.TaskClosure{CompiledTask: &core.CompiledTask{Template: &core.TaskTemplate{
		Id: id, Target: &core.TaskTemplate_Container{Container: &core.Container{Image: "ghcr.io/acme/trainer:v1"}}}}}}}}
	// The fixture round-trips through its JSON form.
	b, err := f.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	f, err = ParseFixture(b)
	if err != nil {
		t.Fatal(err)
	}
	s := New(f, Options{})
	got, err := s.GetTask(context.Background(), &admin.ObjectGetRequest{Id: id})
	if err != nil || got.GetClosure().GetCompiledTask().GetTemplate().GetContainer().GetImage() != "ghcr.io/acme/trainer:v1" {
		t.Fatalf("GetTask: %v %v", got, err)
	}
	other := &core.Identifier{ResourceType: core.ResourceType_TASK, Project: "p", Domain: "d", Name: "wf.train", Version: "v2"}
	if _, err := s.GetTask(context.Background(), &admin.ObjectGetRequest{Id: other}); status.Code(err) != codes.NotFound {
		t.Errorf("another version: %v", err)
	}
	if _, err := s.GetTask(context.Background(), &admin.ObjectGetRequest{Id: &core.Identifier{Project: "p", Domain: "d", Name: "x"}}); status.Code(err) != codes.InvalidArgument {
		t.Errorf("no version: %v", err)
	}
}
