package evidence

import "slices"

// Siblings is a fan-out family with failures in it: the task children of one dynamic node. They
// ran from the same dynamic task's output, in the same execution, under its identity (service
// account, IAM role), with their inputs side by side in its data dir, so what the succeeded ones
// could do the failed ones could have done, unless something about them differs.
type Siblings struct {
	Execution *Execution // owns Parent
	Parent    *Node
	// Failed and Succeeded are the task children that failed and those that succeeded, in
	// Admin order; Total counts every child of Parent.
	Failed    []*Node
	Succeeded []*Node
	Total     int
}

// SiblingGroups returns every dynamic node, in the execution and its child executions, that
// has a failed task child, with its children sorted into failed and succeeded.
func (e *Execution) SiblingGroups() []Siblings {
	var out []Siblings
	e.Walk(func(path []Step) bool {
		st := path[len(path)-1]
		if g, ok := family(st.Execution, st.Node); ok && len(g.Failed) > 0 {
			out = append(out, g)
		}
		return true
	})
	return out
}

// family sorts the task children of dynamic node n of execution ex.
func family(ex *Execution, n *Node) (Siblings, bool) {
	if !n.IsDynamic && n.Kind != KindDynamic || !n.ChildrenCollected && len(n.Children) == 0 {
		return Siblings{}, false
	}
	g := Siblings{Execution: ex, Parent: n, Total: len(n.Children)}
	for _, c := range n.Children {
		if c.IsParent || c.Kind != KindTask {
			continue
		}
		switch {
		case Failed(c.Phase):
			g.Failed = append(g.Failed, c)
		case c.Phase == "SUCCEEDED":
			g.Succeeded = append(g.Succeeded, c)
		}
	}
	return g, true
}

// SiblingsOf returns the family of the failed node at the end of path (Execution.Walk's), if
// its parent is a dynamic node: the step before it, in the same execution.
func SiblingsOf(path []Step) (Siblings, bool) {
	if len(path) < 2 {
		return Siblings{}, false
	}
	parent, last := path[len(path)-2], path[len(path)-1]
	if parent.Execution != last.Execution || !Failed(last.Node.Phase) {
		return Siblings{}, false
	}
	g, ok := family(parent.Execution, parent.Node)
	if !ok || !slices.Contains(g.Failed, last.Node) {
		return Siblings{}, false
	}
	return g, true
}

// Sample returns up to k succeeded siblings to compare the failed ones with, spread evenly
// over the family in Admin order (first, last, then between). The storage collector probes
// these and the rules read those probes, so both pick through this one function.
func (g Siblings) Sample(k int) []*Node {
	n := len(g.Succeeded)
	if k <= 0 || n == 0 {
		return nil
	}
	if k >= n {
		return append([]*Node(nil), g.Succeeded...)
	}
	if k == 1 {
		return []*Node{g.Succeeded[0]}
	}
	out := make([]*Node, 0, k)
	for i := range k {
		out = append(out, g.Succeeded[i*(n-1)/(k-1)])
	}
	return out
}
