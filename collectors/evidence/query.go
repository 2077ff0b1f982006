package evidence

import "slices"

// Phase groups shared by collectors, rules and reports. Phases are Flyte's enum names.

// Flyte phases that rules test one by one (the enum names, as the collectors store them).
const (
	PhaseUndefined           = "UNDEFINED"
	PhaseQueued              = "QUEUED"
	PhaseWaitingForResources = "WAITING_FOR_RESOURCES"
	PhaseInitializing        = "INITIALIZING"
	PhaseAborted             = "ABORTED"
	PhaseTimedOut            = "TIMED_OUT"
)

// Succeeded reports whether a node phase needs no diagnosis: the work is done or was not needed.
func Succeeded(phase string) bool {
	switch phase {
	case "SUCCEEDED", "SKIPPED", "RECOVERED":
		return true
	}
	return false
}

// Failed reports whether an execution, node or task phase is a failure (terminal or on its way).
func Failed(phase string) bool {
	switch phase {
	case "FAILED", "FAILING", "TIMED_OUT", "RETRYABLE_FAILED":
		return true
	}
	return false
}

// Step is one hop of a path through the tree: a node of some execution.
type Step struct {
	Execution *Execution
	Node      *Node
}

// Walk visits every collected node depth-first in Admin order, descending into children and
// child executions. fn gets the path from the root (the node itself last) and returns false to
// skip the node's subtree.
func (e *Execution) Walk(fn func(path []Step) bool) {
	var walk func(ex *Execution, nodes []*Node, path []Step)
	walk = func(ex *Execution, nodes []*Node, path []Step) {
		for _, n := range nodes {
			p := append(path[:len(path):len(path)], Step{Execution: ex, Node: n})
			if !fn(p) {
				continue
			}
			walk(ex, n.Children, p)
			if c := n.ChildExecution; c != nil {
				walk(c, c.Nodes, p)
			}
		}
	}
	walk(e, e.Nodes, nil)
}

// FailurePaths returns, for every failed node that has no failed descendant, the path from the
// top of the execution to it: the deepest places where something went wrong.
func (e *Execution) FailurePaths() [][]Step {
	var out [][]Step
	e.Walk(func(path []Step) bool {
		n := path[len(path)-1].Node
		if !Failed(n.Phase) {
			return false
		}
		if !n.hasFailedDescendant() {
			out = append(out, path)
			return false
		}
		return true
	})
	return out
}

func (n *Node) hasFailedDescendant() bool {
	return slices.ContainsFunc(n.Below(), func(c *Node) bool { return Failed(c.Phase) })
}

// Below returns the nodes directly under n: its children, then its child execution's nodes.
func (n *Node) Below() []*Node {
	if n.ChildExecution == nil {
		return n.Children
	}
	return append(n.Children[:len(n.Children):len(n.Children)], n.ChildExecution.Nodes...)
}

// HasFailure reports whether n or any node below it failed.
func (n *Node) HasFailure() bool {
	return Failed(n.Phase) || slices.ContainsFunc(n.Below(), (*Node).HasFailure)
}

// LastAttempt returns the task attempt with the highest retry number, or nil.
func (n *Node) LastAttempt() *TaskAttempt {
	var last *TaskAttempt
	for _, a := range n.Attempts {
		if last == nil || a.RetryAttempt >= last.RetryAttempt {
			last = a
		}
	}
	return last
}

// PodNames are the pods an attempt ran in: its generated name, its log-context pods and the
// pods of array subtasks that did not succeed. Order is stable and names are unique.
func (a *TaskAttempt) PodNames() []string {
	var out []string
	add := func(n string) {
		if n != "" && !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	add(a.PodName)
	add(a.PrimaryPodName)
	for _, p := range a.Pods {
		add(p.PodName)
	}
	for _, r := range a.ExternalResources {
		if !Succeeded(r.Phase) {
			add(r.ExternalID)
		}
	}
	return out
}
