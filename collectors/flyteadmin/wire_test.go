package flyteadmin_test

import (
	"testing"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	"github.com/flyteorg/flyte/flyteidl/gen/pb-go/flyteidl/admin"
	"github.com/flyteorg/flyte/flyteidl/gen/pb-go/flyteidl/core"
	"github.com/flyteorg/flyte/flyteidl/gen/pb-go/flyteidl/event"
)

// TestDecodeHandEncodedNodeExecution builds the bytes a flyteadmin would send
// for a failed parent node, field by field with protowire (no generated
// marshalling involved), and checks that the flyteidl types read them back.
func TestDecodeHandEncodedNodeExecution(t *testing.T) {
	msg := func(b []byte, num protowire.Number, body []byte) []byte {
		b = protowire.AppendTag(b, num, protowire.BytesType)
		return protowire.AppendBytes(b, body)
	}
	str := func(b []byte, num protowire.Number, s string) []byte {
		b = protowire.AppendTag(b, num, protowire.BytesType)
		return protowire.AppendString(b, s)
	}
	varint := func(b []byte, num protowire.Number, v uint64) []byte {
		b = protowire.AppendTag(b, num, protowire.VarintType)
		return protowire.AppendVarint(b, v)
	}

	// core.WorkflowExecutionIdentifier: project=1, domain=2, name=4.
	var wfID []byte
	wfID = str(wfID, 1, "flytesnacks")
	wfID = str(wfID, 2, "development")
	wfID = str(wfID, 4, "abc123")
	// core.NodeExecutionIdentifier: node_id=1, execution_id=2.
	var nodeID []byte
	nodeID = str(nodeID, 1, "n0")
	nodeID = msg(nodeID, 2, wfID)
	// core.ExecutionError: code=1, message=2, kind=4.
	var execErr []byte
	execErr = str(execErr, 1, "OOMKilled")
	execErr = str(execErr, 2, "boom")
	execErr = varint(execErr, 4, 1) // USER
	// google.protobuf.Timestamp: seconds=1.
	var started []byte
	started = varint(started, 1, 1700000000)
	// admin.NodeExecutionClosure: error=2, phase=3, started_at=4, deck_uri=11.
	var closure []byte
	closure = msg(closure, 2, execErr)
	closure = varint(closure, 3, 5) // NodeExecution.Phase FAILED
	closure = msg(closure, 4, started)
	closure = str(closure, 11, "s3://bucket/deck.html")
	// admin.NodeExecutionMetaData: retry_group=1, is_parent_node=2, spec_node_id=3.
	var meta []byte
	meta = str(meta, 1, "0")
	meta = varint(meta, 2, 1)
	meta = str(meta, 3, "n0")
	// A field from a future flyteidl: must be skipped, not fail.
	meta = str(meta, 99, "future")
	// admin.NodeExecution: id=1, input_uri=2, closure=3, metadata=4.
	var wire []byte
	wire = msg(wire, 1, nodeID)
	wire = str(wire, 2, "s3://bucket/metadata/propeller/flytesnacks-development-abc123/n0/data/inputs.pb")
	wire = msg(wire, 3, closure)
	wire = msg(wire, 4, meta)

	var ne admin.NodeExecution
	if err := proto.Unmarshal(wire, &ne); err != nil {
		t.Fatalf("unmarshal: %v", err)
	}
	if got := ne.GetId().GetNodeId(); got != "n0" {
		t.Errorf("id.node_id = %q, want n0", got)
	}
	if got := ne.GetId().GetExecutionId().GetName(); got != "abc123" {
		t.Errorf("id.execution_id.name = %q, want abc123", got)
	}
	if got := ne.GetId().GetExecutionId().GetDomain(); got != "development" {
		t.Errorf("id.execution_id.domain = %q, want development", got)
	}
	if got := ne.GetClosure().GetPhase(); got != core.NodeExecution_FAILED {
		t.Errorf("closure.phase = %v, want FAILED", got)
	}
	e := ne.GetClosure().GetError()
	if e == nil {
		t.Fatalf("closure.error missing; output_result = %T", ne.GetClosure().GetOutputResult())
	}
	if e.GetMessage() != "boom" || e.GetCode() != "OOMKilled" || e.GetKind() != core.ExecutionError_USER {
		t.Errorf("closure.error = %v", e)
	}
	if got := ne.GetClosure().GetStartedAt().GetSeconds(); got != 1700000000 {
		t.Errorf("closure.started_at = %d", got)
	}
	if got := ne.GetClosure().GetDeckUri(); got != "s3://bucket/deck.html" {
		t.Errorf("closure.deck_uri = %q", got)
	}
	if !ne.GetMetadata().GetIsParentNode() {
		t.Error("metadata.is_parent_node = false, want true")
	}
	if got := ne.GetMetadata().GetSpecNodeId(); got != "n0" {
		t.Errorf("metadata.spec_node_id = %q", got)
	}
	if len(ne.GetMetadata().ProtoReflect().GetUnknown()) == 0 {
		t.Error("unknown field 99 was not kept as unknown")
	}

	// A round trip through the flyteidl types keeps everything, including the
	// unknown field. (Byte equality is not expected: Go writes oneof
	// fields after the regular ones.)
	out, err := proto.Marshal(&ne)
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	var again admin.NodeExecution
	if err := proto.Unmarshal(out, &again); err != nil {
		t.Fatalf("unmarshal again: %v", err)
	}
	if !proto.Equal(&ne, &again) {
		t.Errorf("round trip changed the message:\n got %v\nwant %v", &again, &ne)
	}
}

// TestDecodeHandEncodedTaskExecution checks the parts of a task attempt a
// diagnosis leans on: the pod name in metadata.generated_name, the subtask
// list, and the RETRYABLE_FAILED phase added in v1.16.
func TestDecodeHandEncodedTaskExecution(t *testing.T) {
	appendMsg := func(b []byte, num protowire.Number, body []byte) []byte {
		return protowire.AppendBytes(protowire.AppendTag(b, num, protowire.BytesType), body)
	}
	appendStr := func(b []byte, num protowire.Number, s string) []byte {
		return protowire.AppendString(protowire.AppendTag(b, num, protowire.BytesType), s)
	}
	appendVarint := func(b []byte, num protowire.Number, v uint64) []byte {
		return protowire.AppendVarint(protowire.AppendTag(b, num, protowire.VarintType), v)
	}

	// event.ExternalResourceInfo
	var ext []byte
	ext = appendStr(ext, 1, "sub-0")
	ext = appendVarint(ext, 2, 3)
	ext = appendVarint(ext, 4, 5) // TaskExecution.Phase FAILED
	// event.TaskExecutionMetadata
	var md []byte
	md = appendStr(md, 1, "abc123-n0-0")
	md = appendMsg(md, 2, ext)
	md = appendStr(md, 4, "k8s-array")
	md = appendVarint(md, 16, 1) // INTERRUPTIBLE
	// core.PodLogContext
	var pod []byte
	pod = appendStr(pod, 1, "flytesnacks-development")
	pod = appendStr(pod, 2, "abc123-n0-0")
	// core.LogContext
	var lc []byte
	lc = appendMsg(lc, 1, pod)
	// admin.TaskExecutionClosure
	var cl []byte
	cl = appendVarint(cl, 3, 8) // RETRYABLE_FAILED
	cl = appendStr(cl, 10, "retrying")
	cl = appendStr(cl, 11, "python-task")
	cl = appendMsg(cl, 16, md)
	cl = appendVarint(cl, 17, 1)
	cl = appendMsg(cl, 19, lc)
	// admin.TaskExecution: closure=3, is_parent=4.
	var b []byte
	b = appendMsg(b, 3, cl)
	b = appendVarint(b, 4, 1) // is_parent

	var te admin.TaskExecution
	if err := proto.Unmarshal(b, &te); err != nil {
		t.Fatalf("unmarshal: %v", err)
	}
	c := te.GetClosure()
	if c.GetPhase() != core.TaskExecution_RETRYABLE_FAILED {
		t.Errorf("phase = %v", c.GetPhase())
	}
	if c.GetReason() != "retrying" || c.GetTaskType() != "python-task" || c.GetEventVersion() != 1 {
		t.Errorf("reason/task_type/event_version = %q/%q/%d", c.GetReason(), c.GetTaskType(), c.GetEventVersion())
	}
	m := c.GetMetadata()
	if m.GetGeneratedName() != "abc123-n0-0" || m.GetPluginIdentifier() != "k8s-array" ||
		m.GetInstanceClass() != event.TaskExecutionMetadata_INTERRUPTIBLE {
		t.Errorf("metadata = %v", m)
	}
	if len(m.GetExternalResources()) != 1 || m.GetExternalResources()[0].GetIndex() != 3 ||
		m.GetExternalResources()[0].GetPhase() != core.TaskExecution_FAILED {
		t.Errorf("external_resources = %v", m.GetExternalResources())
	}
	if got := c.GetLogContext().GetPods(); len(got) != 1 || got[0].GetPodName() != "abc123-n0-0" {
		t.Errorf("log_context.pods = %v", got)
	}
	if !te.GetIsParent() {
		t.Error("is_parent = false")
	}
}
