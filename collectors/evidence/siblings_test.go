package evidence

import (
	"strings"
	"testing"
)

// Dynamic children sort into failed and succeeded; a sample spreads over the succeeded ones and
// is the same every time it is asked for.
func TestSiblingGroups(t *testing.T) {
	var kids []*Node
	for i := range 10 {
		phase := "SUCCEEDED"
		if i == 3 || i == 7 {
			phase = "FAILED"
		}
		kids = append(kids, &Node{ID: "n0-0-dn" + string(rune('0'+i)), Phase: phase, Kind: KindTask})
	}
	kids = append(kids, &Node{ID: "n0-0-dn10", Phase: "RUNNING", Kind: KindTask})
	ex := &Execution{ID: ExecutionID{"p", "d", "e"}, Nodes: []*Node{
		{ID: "n0", Phase: "FAILED", Kind: KindDynamic, IsDynamic: true, IsParent: true, ChildrenCollected: true, Children: kids},
		{ID: "n1", Phase: "FAILED", Kind: KindSubworkflow, IsParent: true, ChildrenCollected: true, Children: []*Node{{ID: "n1-0-n0", Phase: "FAILED", Kind: KindTask}}},
	}}
	groups := ex.SiblingGroups()
	if len(groups) != 1 || groups[0].Parent.ID != "n0" || len(groups[0].Failed) != 2 || len(groups[0].Succeeded) != 8 || groups[0].Total != 11 {
		t.Fatalf("groups = %+v (a subworkflow's children are no fan-out)", groups)
	}
	var ids []string
	for _, n := range groups[0].Sample(3) {
		ids = append(ids, n.ID)
	}
	if got := strings.Join(ids, " "); got != "n0-0-dn0 n0-0-dn4 n0-0-dn9" {
		t.Errorf("sample = %s", got)
	}
	at := func(n *Node) []Step { return []Step{{Execution: ex, Node: ex.Nodes[0]}, {Execution: ex, Node: n}} }
	if g, ok := SiblingsOf(at(kids[7])); !ok || g.Parent.ID != "n0" || len(g.Succeeded) != 8 {
		t.Errorf("SiblingsOf(dn7) = %+v, %v", g, ok)
	}
	if _, ok := SiblingsOf(at(kids[0])); ok {
		t.Error("a succeeded child is nobody's failed sibling")
	}
	if _, ok := SiblingsOf([]Step{{Execution: ex, Node: ex.Nodes[1]}, {Execution: ex, Node: ex.Nodes[1].Children[0]}}); ok {
		t.Error("a subworkflow's failed child has no fan-out family")
	}
}

// A subtask that failed and then succeeded on retry is history: its pod is not one of the
// attempt's pods that a diagnosis reads; one that failed on every retry is.
func TestPodNamesLeaveOutRecoveredSubtasks(t *testing.T) {
	a := &TaskAttempt{PodName: "x-n1-0", ExternalResources: []ExternalResource{
		{ExternalID: "x-n1-0-5", Index: 5, RetryAttempt: 0, Phase: "FAILED"},
		{ExternalID: "x-n1-0-5-1", Index: 5, RetryAttempt: 1, Phase: "SUCCEEDED"},
		{ExternalID: "x-n1-0-7", Index: 7, RetryAttempt: 0, Phase: "FAILED"},
		{ExternalID: "x-n1-0-7-1", Index: 7, RetryAttempt: 1, Phase: "FAILED"},
	}}
	if got := strings.Join(a.PodNames(), " "); got != "x-n1-0 x-n1-0-7 x-n1-0-7-1" {
		t.Errorf("PodNames = %s", got)
	}
}
