package fakeadmin

import (
	"sort"

	"google.golang.org/protobuf/proto"

	"github.com/flyteorg/flyte/flyteidl/gen/pb-go/flyteidl/admin"
	"github.com/flyteorg/flyte/flyteidl/gen/pb-go/flyteidl/core"
)

// store is an immutable, indexed copy of a Fixture, shaped like admin's tables: every record
// has an auto-increment id in insertion order.
type store struct {
	executions []*execRec // id order
	execByKey  map[execKey]*execRec
	projects   []*projectRec
	domains    []*admin.Domain
	tasks      map[taskKey]*admin.Task
}

type execKey struct{ project, domain, name string }

func keyOf(id *core.WorkflowExecutionIdentifier) execKey {
	return execKey{id.GetProject(), id.GetDomain(), id.GetName()}
}

func sameExecution(project, domain, name string, id *core.WorkflowExecutionIdentifier) bool {
	return project == id.GetProject() && domain == id.GetDomain() && name == id.GetName()
}

type execRec struct {
	id       int64
	key      execKey
	msg      *admin.Execution
	data     *admin.WorkflowExecutionGetDataResponse
	nodes    []*nodeRec // id order
	nodeByID map[string]*nodeRec
	topLevel []*nodeRec
	// parentNode is the node execution that launched this one (child launch plans).
	parentNode *nodeRec
}

type nodeRec struct {
	id       int64
	exec     *execRec
	parent   *nodeRec
	msg      *admin.NodeExecution
	data     *admin.NodeExecutionGetDataResponse
	children []*nodeRec
	tasks    []*taskRec
}

type taskRec struct {
	id   int64
	node *nodeRec
	msg  *admin.TaskExecution
}

type projectRec struct {
	id  int64
	msg *admin.Project
}

func defaultDomains() []*admin.Domain {
	// flyteadmin's default application config.
	return []*admin.Domain{
		{Id: "development", Name: "development"},
		{Id: "staging", Name: "staging"},
		{Id: "production", Name: "production"},
	}
}

// newStore copies f, fills ids the fixture left out, and links parents. Dangling parent links
// (see Fixture.Validate) leave the node reachable by Get only.
func newStore(f *Fixture, domains []*admin.Domain) *store {
	s := &store{execByKey: map[execKey]*execRec{}, tasks: tasksOf(f.Tasks)}
	var nextNode, nextTask int64
	for _, ef := range f.Executions {
		if ef == nil || ef.Execution == nil {
			continue
		}
		e := &execRec{
			id:       int64(len(s.executions) + 1),
			msg:      proto.Clone(ef.Execution).(*admin.Execution),
			nodeByID: make(map[string]*nodeRec, len(ef.Nodes)),
		}
		e.key = keyOf(e.msg.GetId())
		if ef.Data != nil {
			e.data = proto.Clone(ef.Data).(*admin.WorkflowExecutionGetDataResponse)
		}
		if _, dup := s.execByKey[e.key]; dup {
			continue
		}
		s.execByKey[e.key] = e
		s.executions = append(s.executions, e)
		execID := &core.WorkflowExecutionIdentifier{Project: e.key.project, Domain: e.key.domain, Name: e.key.name}
		parents := make(map[*nodeRec]string, len(ef.Nodes))
		for _, nf := range ef.Nodes {
			if nf == nil || nf.NodeExecution == nil || nf.NodeExecution.GetId().GetNodeId() == "" {
				continue
			}
			nextNode++
			n := &nodeRec{id: nextNode, exec: e, msg: proto.Clone(nf.NodeExecution).(*admin.NodeExecution)}
			if n.msg.GetId().GetExecutionId() == nil {
				n.msg.Id.ExecutionId = proto.Clone(execID).(*core.WorkflowExecutionIdentifier)
			}
			if nf.Data != nil {
				n.data = proto.Clone(nf.Data).(*admin.NodeExecutionGetDataResponse)
			}
			nodeID := n.msg.GetId().GetNodeId()
			if _, dup := e.nodeByID[nodeID]; dup {
				continue
			}
			e.nodeByID[nodeID] = n
			e.nodes = append(e.nodes, n)
			parents[n] = nf.ParentID
			for _, t := range nf.Tasks {
				if t == nil {
					continue
				}
				nextTask++
				tr := &taskRec{id: nextTask, node: n, msg: proto.Clone(t).(*admin.TaskExecution)}
				if tr.msg.Id == nil {
					tr.msg.Id = &core.TaskExecutionIdentifier{}
				}
				if tr.msg.Id.NodeExecutionId == nil {
					tr.msg.Id.NodeExecutionId = &core.NodeExecutionIdentifier{NodeId: nodeID}
				}
				if tr.msg.Id.NodeExecutionId.NodeId == "" {
					tr.msg.Id.NodeExecutionId.NodeId = nodeID
				}
				if tr.msg.Id.NodeExecutionId.ExecutionId == nil {
					tr.msg.Id.NodeExecutionId.ExecutionId = proto.Clone(execID).(*core.WorkflowExecutionIdentifier)
				}
				n.tasks = append(n.tasks, tr)
			}
		}
		for _, n := range e.nodes {
			p := parents[n]
			if p == "" {
				e.topLevel = append(e.topLevel, n)
				continue
			}
			if pr, ok := e.nodeByID[p]; ok && pr != n {
				n.parent = pr
				pr.children = append(pr.children, n)
			}
		}
	}
	for _, e := range s.executions {
		if pn := e.msg.GetSpec().GetMetadata().GetParentNodeExecution(); pn != nil {
			if pe := s.execByKey[keyOf(pn.GetExecutionId())]; pe != nil {
				e.parentNode = pe.nodeByID[pn.GetNodeId()]
			}
		}
	}
	s.domains = domains
	if len(s.domains) == 0 {
		s.domains = defaultDomains()
		seen := map[string]bool{}
		for _, d := range s.domains {
			seen[d.GetId()] = true
		}
		for _, e := range s.executions {
			if !seen[e.key.domain] {
				seen[e.key.domain] = true
				s.domains = append(s.domains, &admin.Domain{Id: e.key.domain, Name: e.key.domain})
			}
		}
	}
	if len(f.Projects) > 0 {
		for _, p := range f.Projects {
			s.projects = append(s.projects, &projectRec{id: int64(len(s.projects) + 1), msg: proto.Clone(p).(*admin.Project)})
		}
	} else {
		var names []string
		seen := map[string]bool{}
		for _, e := range s.executions {
			if !seen[e.key.project] {
				seen[e.key.project] = true
				names = append(names, e.key.project)
			}
		}
		sort.Strings(names)
		for _, name := range names {
			s.projects = append(s.projects, &projectRec{
				id:  int64(len(s.projects) + 1),
				msg: &admin.Project{Id: name, Name: name, State: admin.Project_ACTIVE},
			})
		}
	}
	return s
}

func (s *store) execution(id *core.WorkflowExecutionIdentifier) *execRec {
	return s.execByKey[keyOf(id)]
}

func (s *store) node(id *core.NodeExecutionIdentifier) *nodeRec {
	e := s.execution(id.GetExecutionId())
	if e == nil {
		return nil
	}
	return e.nodeByID[id.GetNodeId()]
}

func (s *store) task(id *core.TaskExecutionIdentifier) *taskRec {
	n := s.node(id.GetNodeExecutionId())
	if n == nil {
		return nil
	}
	want := id.GetTaskId()
	for _, t := range n.tasks {
		got := t.msg.GetId()
		if got.GetRetryAttempt() == id.GetRetryAttempt() &&
			got.GetTaskId().GetProject() == want.GetProject() &&
			got.GetTaskId().GetDomain() == want.GetDomain() &&
			got.GetTaskId().GetName() == want.GetName() &&
			got.GetTaskId().GetVersion() == want.GetVersion() {
			return t
		}
	}
	return nil
}
