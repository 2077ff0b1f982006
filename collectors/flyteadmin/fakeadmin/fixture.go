package fakeadmin

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/flyteorg/flyte/flyteidl/gen/pb-go/flyteidl/admin"
)

// Fixture is the content a Server serves. Its JSON form is
//
//	{"executions": [{"execution": {...}, "data": {...},
//	                 "nodes": [{"parentId": "", "nodeExecution": {...}, "data": {...}, "tasks": [{...}]}]}],
//	 "projects": [{...}]}
//
// where every message is protojson, so Admin HTTP-gateway output can be pasted in. Unknown
// message fields are ignored; unknown wrapper keys are errors.
type Fixture struct {
	Executions []*ExecutionFixture
	// Projects, when set, replaces the projects derived from the executions.
	Projects []*admin.Project
	// Tasks are the task definitions GetTask serves.
	Tasks []*admin.Task

	byName map[string]*ExecutionFixture // builder index, rebuilt when stale
}

// ExecutionFixture is one workflow execution and its node executions.
type ExecutionFixture struct {
	Execution *admin.Execution
	Data      *admin.WorkflowExecutionGetDataResponse // optional
	// Nodes are in insertion order, which is the primary key order the Server sorts "id" by.
	Nodes []*NodeFixture
}

// NodeFixture is one node execution. ParentID exists because the real API keeps the parent
// link in its database, not in the NodeExecution message.
type NodeFixture struct {
	// ParentID is the node id (unique id) of the parent node execution, "" for top level.
	ParentID      string
	NodeExecution *admin.NodeExecution
	Data          *admin.NodeExecutionGetDataResponse // optional
	Tasks         []*admin.TaskExecution
}

// LoadFixture reads and validates a JSON fixture.
func LoadFixture(r io.Reader) (*Fixture, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("read fixture: %w", err)
	}
	return ParseFixture(b)
}

// ParseFixture decodes and validates a JSON fixture.
func ParseFixture(b []byte) (*Fixture, error) {
	var f Fixture
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("parse fixture: %w", err)
	}
	if err := f.Validate(); err != nil {
		return nil, err
	}
	return &f, nil
}

// AddExecution appends an execution and returns its entry for adding nodes.
func (f *Fixture) AddExecution(e *admin.Execution) *ExecutionFixture {
	ef := &ExecutionFixture{Execution: e}
	f.Executions = append(f.Executions, ef)
	if f.byName != nil {
		if _, dup := f.byName[e.GetId().GetName()]; !dup {
			f.byName[e.GetId().GetName()] = ef
		}
	}
	return ef
}

// Execution returns the first execution with the given name, or nil.
func (f *Fixture) Execution(name string) *ExecutionFixture {
	if ef, ok := f.byName[name]; ok && ef.Execution.GetId().GetName() == name {
		return ef
	}
	// Executions may have been edited directly; rebuild the index.
	f.byName = make(map[string]*ExecutionFixture, len(f.Executions))
	for _, ef := range f.Executions {
		if _, dup := f.byName[ef.Execution.GetId().GetName()]; !dup {
			f.byName[ef.Execution.GetId().GetName()] = ef
		}
	}
	return f.byName[name]
}

// AddNode appends a node execution (and its task attempts) to the named execution.
// parentID is the parent's node id, "" for a top-level node.
func (f *Fixture) AddNode(execName, parentID string, n *admin.NodeExecution, tasks ...*admin.TaskExecution) (*NodeFixture, error) {
	ef := f.Execution(execName)
	if ef == nil {
		return nil, fmt.Errorf("fixture: no execution named %q", execName)
	}
	return ef.AddNode(parentID, n, tasks...), nil
}

// AddNode appends a node execution with its task attempts. It does not check the parent; see
// Fixture.Validate. Missing ids in n and tasks are filled in by New.
func (e *ExecutionFixture) AddNode(parentID string, n *admin.NodeExecution, tasks ...*admin.TaskExecution) *NodeFixture {
	nf := &NodeFixture{ParentID: parentID, NodeExecution: n, Tasks: tasks}
	e.Nodes = append(e.Nodes, nf)
	return nf
}

// Validate checks the links a Server relies on: unique execution and node ids, parents that
// exist without cycles, and ids inside messages that agree with their container.
func (f *Fixture) Validate() error {
	var errs []error
	seenExec := map[[3]string]bool{}
	for i, ef := range f.Executions {
		id := ef.Execution.GetId()
		if err := validateWorkflowExecutionID(id); err != nil {
			errs = append(errs, fmt.Errorf("executions[%d]: id: %v", i, err))
			continue
		}
		key := [3]string{id.GetProject(), id.GetDomain(), id.GetName()}
		if seenExec[key] {
			errs = append(errs, fmt.Errorf("executions[%d]: duplicate execution %s/%s/%s", i, key[0], key[1], key[2]))
		}
		seenExec[key] = true
		errs = append(errs, ef.validateNodes(i)...)
	}
	return errors.Join(errs...)
}

func (ef *ExecutionFixture) validateNodes(i int) []error {
	var errs []error
	id := ef.Execution.GetId()
	parents := make(map[string]string, len(ef.Nodes))
	for j, nf := range ef.Nodes {
		where := fmt.Sprintf("executions[%d].nodes[%d]", i, j)
		nid := nf.NodeExecution.GetId().GetNodeId()
		if nid == "" {
			errs = append(errs, fmt.Errorf("%s: missing nodeExecution.id.node_id", where))
			continue
		}
		if _, dup := parents[nid]; dup {
			errs = append(errs, fmt.Errorf("%s: duplicate node id %q", where, nid))
		}
		parents[nid] = nf.ParentID
		if x := nf.NodeExecution.GetId().GetExecutionId(); x != nil && !sameExecution(x.GetProject(), x.GetDomain(), x.GetName(), id) {
			errs = append(errs, fmt.Errorf("%s: node %q names execution %s, not its container", where, nid, x.GetName()))
		}
		seenTask := map[string]bool{}
		for k, t := range nf.Tasks {
			tid := t.GetId()
			if tid.GetTaskId() == nil {
				errs = append(errs, fmt.Errorf("%s.tasks[%d]: missing id.task_id", where, k))
				continue
			}
			if ne := tid.GetNodeExecutionId(); ne != nil && ne.GetNodeId() != "" && ne.GetNodeId() != nid {
				errs = append(errs, fmt.Errorf("%s.tasks[%d]: names node %q, not %q", where, k, ne.GetNodeId(), nid))
			}
			tk := fmt.Sprintf("%s/%s/%s/%s#%d", tid.GetTaskId().GetProject(), tid.GetTaskId().GetDomain(),
				tid.GetTaskId().GetName(), tid.GetTaskId().GetVersion(), tid.GetRetryAttempt())
			if seenTask[tk] {
				errs = append(errs, fmt.Errorf("%s.tasks[%d]: duplicate attempt %s", where, k, tk))
			}
			seenTask[tk] = true
		}
	}
	for nid, p := range parents {
		steps := 0
		for p != "" {
			next, ok := parents[p]
			if !ok {
				errs = append(errs, fmt.Errorf("executions[%d]: node %q: parent %q does not exist", i, nid, p))
				break
			}
			if steps++; steps > len(parents) {
				errs = append(errs, fmt.Errorf("executions[%d]: node %q: parent cycle", i, nid))
				break
			}
			p = next
		}
	}
	return errs
}

// JSON encoding. Messages go through protojson; the wrappers through encoding/json.

func marshalMsg(m proto.Message) (json.RawMessage, error) {
	if m == nil {
		return nil, nil
	}
	b, err := protojson.MarshalOptions{UseProtoNames: true}.Marshal(m)
	if err != nil {
		return nil, err
	}
	// protojson randomizes whitespace; compacting makes the output reproducible.
	var buf bytes.Buffer
	if err := json.Compact(&buf, b); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func unmarshalMsg(raw json.RawMessage, m proto.Message) error {
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return nil
	}
	// Real gateway JSON may carry fields outside our IDL subset.
	return protojson.UnmarshalOptions{DiscardUnknown: true}.Unmarshal(raw, m)
}

func strictUnmarshal(b []byte, v any) error {
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	return d.Decode(v)
}

type fixtureJSON struct {
	Executions []*ExecutionFixture `json:"executions"`
	Projects   []json.RawMessage   `json:"projects,omitempty"`
	Tasks      []json.RawMessage   `json:"tasks,omitempty"`
}

// MarshalJSON encodes the fixture deterministically.
func (f *Fixture) MarshalJSON() ([]byte, error) {
	out := fixtureJSON{Executions: f.Executions}
	if out.Executions == nil {
		out.Executions = []*ExecutionFixture{}
	}
	for _, p := range f.Projects {
		raw, err := marshalMsg(p)
		if err != nil {
			return nil, err
		}
		out.Projects = append(out.Projects, raw)
	}
	for _, t := range f.Tasks {
		raw, err := marshalMsg(t)
		if err != nil {
			return nil, err
		}
		out.Tasks = append(out.Tasks, raw)
	}
	return json.Marshal(out)
}

// UnmarshalJSON decodes a fixture without validating it; see ParseFixture.
func (f *Fixture) UnmarshalJSON(b []byte) error {
	var in fixtureJSON
	if err := strictUnmarshal(b, &in); err != nil {
		return err
	}
	*f = Fixture{Executions: in.Executions}
	for i, raw := range in.Projects {
		p := &admin.Project{}
		if err := unmarshalMsg(raw, p); err != nil {
			return fmt.Errorf("projects[%d]: %w", i, err)
		}
		f.Projects = append(f.Projects, p)
	}
	for i, raw := range in.Tasks {
		t := &admin.Task{}
		if err := unmarshalMsg(raw, t); err != nil {
			return fmt.Errorf("tasks[%d]: %w", i, err)
		}
		f.Tasks = append(f.Tasks, t)
	}
	return nil
}

type executionJSON struct {
	Execution json.RawMessage `json:"execution"`
	Data      json.RawMessage `json:"data,omitempty"`
	Nodes     []*NodeFixture  `json:"nodes"`
}

// MarshalJSON implements json.Marshaler.
func (e *ExecutionFixture) MarshalJSON() ([]byte, error) {
	var out executionJSON
	var err error
	if out.Execution, err = marshalMsg(e.Execution); err != nil {
		return nil, err
	}
	if e.Data != nil {
		if out.Data, err = marshalMsg(e.Data); err != nil {
			return nil, err
		}
	}
	out.Nodes = e.Nodes
	if out.Nodes == nil {
		out.Nodes = []*NodeFixture{}
	}
	return json.Marshal(out)
}

// UnmarshalJSON implements json.Unmarshaler.
func (e *ExecutionFixture) UnmarshalJSON(b []byte) error {
	var in executionJSON
	if err := strictUnmarshal(b, &in); err != nil {
		return err
	}
	*e = ExecutionFixture{Execution: &admin.Execution{}, Nodes: in.Nodes}
	if len(in.Execution) == 0 {
		return errors.New("execution: missing")
	}
	if err := unmarshalMsg(in.Execution, e.Execution); err != nil {
		return fmt.Errorf("execution: %w", err)
	}
	if len(in.Data) > 0 {
		e.Data = &admin.WorkflowExecutionGetDataResponse{}
		if err := unmarshalMsg(in.Data, e.Data); err != nil {
			return fmt.Errorf("data: %w", err)
		}
	}
	return nil
}

type nodeJSON struct {
	ParentID      string            `json:"parentId"`
	NodeExecution json.RawMessage   `json:"nodeExecution"`
	Data          json.RawMessage   `json:"data,omitempty"`
	Tasks         []json.RawMessage `json:"tasks,omitempty"`
}

// MarshalJSON implements json.Marshaler.
func (n *NodeFixture) MarshalJSON() ([]byte, error) {
	out := nodeJSON{ParentID: n.ParentID}
	var err error
	if out.NodeExecution, err = marshalMsg(n.NodeExecution); err != nil {
		return nil, err
	}
	if n.Data != nil {
		if out.Data, err = marshalMsg(n.Data); err != nil {
			return nil, err
		}
	}
	for _, t := range n.Tasks {
		raw, err := marshalMsg(t)
		if err != nil {
			return nil, err
		}
		out.Tasks = append(out.Tasks, raw)
	}
	return json.Marshal(out)
}

// UnmarshalJSON implements json.Unmarshaler.
func (n *NodeFixture) UnmarshalJSON(b []byte) error {
	var in nodeJSON
	if err := strictUnmarshal(b, &in); err != nil {
		return err
	}
	*n = NodeFixture{ParentID: in.ParentID, NodeExecution: &admin.NodeExecution{}}
	if len(in.NodeExecution) == 0 {
		return errors.New("nodeExecution: missing")
	}
	if err := unmarshalMsg(in.NodeExecution, n.NodeExecution); err != nil {
		return fmt.Errorf("nodeExecution: %w", err)
	}
	if len(in.Data) > 0 {
		n.Data = &admin.NodeExecutionGetDataResponse{}
		if err := unmarshalMsg(in.Data, n.Data); err != nil {
			return fmt.Errorf("data: %w", err)
		}
	}
	for i, raw := range in.Tasks {
		t := &admin.TaskExecution{}
		if err := unmarshalMsg(raw, t); err != nil {
			return fmt.Errorf("tasks[%d]: %w", i, err)
		}
		n.Tasks = append(n.Tasks, t)
	}
	return nil
}
