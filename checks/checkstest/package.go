// Package checkstest builds what the preflight tests need: an archive shaped like the one
// `pyflyte package` writes, from flyteidl's own types.
package checkstest

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"fmt"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/flyteorg/flyte/flyteidl/gen/pb-go/flyteidl/admin"
	"github.com/flyteorg/flyte/flyteidl/gen/pb-go/flyteidl/core"
)

// Task is one container task of the archive.
type Task struct {
	Name, Image string
	CPU, Memory string // requests; "" for none
	Secrets     []*core.Secret
	Arch        core.Container_Architecture
}

// Archive is what the archive holds: the tasks, one workflow running them all (the second
// inside an array node), its launch plan with this security context and raw output prefix,
// a task without a container and the fast-register source tarball.
type Archive struct {
	Tasks           []Task
	ServiceAccount  string
	IAMRole         string
	RawOutputPrefix string
}

const wfName = "wf.pipeline"

func id(rt core.ResourceType, name string) *core.Identifier {
	// pyflyte leaves project, domain and version to be filled in at registration.
	return &core.Identifier{ResourceType: rt, Project: "{{ registration.project }}", Domain: "{{ registration.domain }}", Name: name, Version: "{{ registration.version }}"}
}

// Bytes is the .tgz.
func (a Archive) Bytes(t testing.TB) []byte {
	t.Helper()
	var files []struct {
		name string
		msg  proto.Message
	}
	add := func(name string, m proto.Message) {
		files = append(files, struct {
			name string
			msg  proto.Message
		}{name, m})
	}
	var nodes []*core.Node
	for i, tk := range a.Tasks {
		res := &core.Resources{}
		if tk.CPU != "" {
			res.Requests = append(res.Requests, &core.Resources_ResourceEntry{Name: core.Resources_CPU, Value: tk.CPU})
		}
		if tk.Memory != "" {
			res.Requests = append(res.Requests, &core.Resources_ResourceEntry{Name: core.Resources_MEMORY, Value: tk.Memory})
		}
		tmpl := &core.TaskTemplate{
			Id: id(core.ResourceType_TASK, tk.Name), Type: "python-task",
			Target:          &core.TaskTemplate_Container{Container: &core.Container{Image: tk.Image, Args: []string{"pyflyte-execute"}, Resources: res, Architecture: tk.Arch}},
			SecurityContext: &core.SecurityContext{Secrets: tk.Secrets},
		}
		add(fmt.Sprintf("%d_%s_1.pb", i, tk.Name), &admin.TaskSpec{Template: tmpl})
		ref := &core.Node{Id: fmt.Sprintf("n%d", i), Target: &core.Node_TaskNode{TaskNode: &core.TaskNode{Reference: &core.TaskNode_ReferenceId{ReferenceId: id(core.ResourceType_TASK, tk.Name)}}}}
		if i == 1 {
			ref = &core.Node{Id: ref.Id, Target: &core.Node_ArrayNode{ArrayNode: &core.ArrayNode{Node: ref}}}
		}
		nodes = append(nodes, ref)
	}
	add(fmt.Sprintf("%d_wf.query_1.pb", len(a.Tasks)), &admin.TaskSpec{Template: &core.TaskTemplate{
		Id: id(core.ResourceType_TASK, "wf.query"), Type: "sql", Target: &core.TaskTemplate_Sql{Sql: &core.Sql{Statement: "select 1"}}}})
	add(fmt.Sprintf("%d_%s_2.pb", len(a.Tasks)+1, wfName), &admin.WorkflowSpec{Template: &core.WorkflowTemplate{Id: id(core.ResourceType_WORKFLOW, wfName), Nodes: nodes}})
	add(fmt.Sprintf("%d_%s_3.pb", len(a.Tasks)+2, wfName), &admin.LaunchPlan{Id: id(core.ResourceType_LAUNCH_PLAN, wfName), Spec: &admin.LaunchPlanSpec{
		WorkflowId:          id(core.ResourceType_WORKFLOW, wfName),
		SecurityContext:     &core.SecurityContext{RunAs: &core.Identity{K8SServiceAccount: a.ServiceAccount, IamRole: a.IAMRole}},
		RawOutputDataConfig: &admin.RawOutputDataConfig{OutputLocationPrefix: a.RawOutputPrefix},
	}})

	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	write := func(name string, b []byte) {
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(b)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(b); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range files {
		b, err := proto.Marshal(f.msg)
		if err != nil {
			t.Fatal(err)
		}
		write(f.name, b)
	}
	write("fastab12cd34.tar.gz", []byte("not a proto: the fast-register source tarball"))
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
