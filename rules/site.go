package rules

import (
	"sort"

	"github.com/flytedoctor/flytedoctor/collectors/evidence"
	"github.com/flytedoctor/flytedoctor/rules/rule"
)

// sites finds the places worth classifying: the deepest failed node of each failing path, nodes
// stuck waiting in an unfinished execution, and the execution itself when it failed or was
// aborted without a failed node to blame.
func sites(snap *evidence.Snapshot) []*rule.Site {
	ex := snap.Execution
	if ex == nil {
		return nil
	}
	x := evidence.NewIndex(snap)
	var out []*rule.Site
	for _, p := range ex.FailurePaths() {
		out = append(out, newSite(snap, x, p, false))
	}
	if len(out) == 0 && !evidence.Succeeded(ex.Phase) && !evidence.Failed(ex.Phase) && ex.Phase != evidence.PhaseAborted {
		ex.Walk(func(path []evidence.Step) bool {
			n := path[len(path)-1].Node
			if evidence.Succeeded(n.Phase) {
				return false
			}
			if a := n.LastAttempt(); a != nil && waiting(a.Phase) {
				out = append(out, newSite(snap, x, path, true))
			}
			return true
		})
	}
	if len(out) == 0 && (evidence.Failed(ex.Phase) || ex.Phase == evidence.PhaseAborted) {
		out = append(out, &rule.Site{Snapshot: snap, Execution: ex, Now: snap.CollectedAt})
	}
	return out
}

func waiting(taskPhase string) bool {
	switch taskPhase {
	case evidence.PhaseQueued, evidence.PhaseWaitingForResources, evidence.PhaseInitializing, evidence.PhaseUndefined:
		return true
	}
	return false
}

func newSite(snap *evidence.Snapshot, x *evidence.Index, path []evidence.Step, stuck bool) *rule.Site {
	last := path[len(path)-1]
	s := &rule.Site{Snapshot: snap, Execution: last.Execution, Path: path, Node: last.Node, Stuck: stuck,
		Pods: map[string]*evidence.Pod{}, Missing: map[string]bool{}, Now: snap.CollectedAt}
	for _, a := range last.Node.Attempts {
		if !evidence.Succeeded(a.Phase) || stuck {
			s.Attempts = append(s.Attempts, a)
		}
	}
	sort.SliceStable(s.Attempts, func(i, j int) bool { return s.Attempts[i].RetryAttempt < s.Attempts[j].RetryAttempt })
	var names []string
	for _, a := range s.Attempts {
		for _, p := range x.AttemptPods(a) {
			switch {
			case s.Pods[p.Name] != nil || s.Missing[p.Name]:
			case p.Pod != nil:
				s.Pods[p.Name] = p.Pod
				names = append(names, p.Name)
			default:
				s.Missing[p.Name] = true
				names = append(names, p.Name)
			}
		}
	}
	s.Events = x.PodEvents(names...)
	s.Probes = x.NodeProbes(last.Execution.ID, last.Node.ID)
	return s
}
