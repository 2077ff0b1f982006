package evidence

import (
	"sort"
	"time"
)

// Index ties the layers of a snapshot together: the pods of a task attempt, the events of a
// pod, the storage probes of a node of an execution. Rules and reports read the associations
// from it, so they cannot disagree about what belongs where. Build it once per snapshot; it
// holds pointers into the snapshot, which must not change while the index is used.
type Index struct {
	pods    map[string]*Pod
	missing map[string]bool
	events  map[string][]int // Pod events by pod name, as positions in Kube.Events
	probes  map[NodeRef][]int
	kube    *Kube
	storage *Storage
	// collected is when the snapshot was taken: the end of what had not finished by then.
	collected time.Time
}

// NewIndex indexes snap's Kubernetes and storage evidence.
func NewIndex(snap *Snapshot) *Index {
	x := &Index{kube: snap.Kube, storage: snap.Storage, collected: snap.CollectedAt}
	if k := snap.Kube; k != nil {
		x.pods = make(map[string]*Pod, len(k.Pods))
		for i := range k.Pods {
			x.pods[k.Pods[i].Name] = &k.Pods[i] // a repeated name: the last one listed
		}
		x.missing = make(map[string]bool, len(k.MissingPods))
		for _, m := range k.MissingPods {
			x.missing[m.Name] = true
		}
		x.events = map[string][]int{}
		for i, e := range k.Events {
			if e.Kind == "Pod" {
				x.events[e.Name] = append(x.events[e.Name], i)
			}
		}
	}
	if st := snap.Storage; st != nil {
		x.probes = map[NodeRef][]int{}
		for i, p := range st.Probes {
			if n := p.Path.Node; n != nil {
				x.probes[*n] = append(x.probes[*n], i)
			}
		}
	}
	return x
}

// AttemptPod is a pod a task attempt ran in: listed (Pod set) or no longer existing (Pod nil).
type AttemptPod struct {
	Name string
	Pod  *Pod
}

// AttemptPods are the pods of a task attempt that were listed or are known to be gone, in the
// attempt's PodNames order. Names Kubernetes knew nothing about (not collected) are left out.
func (x *Index) AttemptPods(a *TaskAttempt) []AttemptPod {
	var out []AttemptPod
	for _, n := range a.PodNames() {
		if p := x.pods[n]; p != nil || x.missing[n] {
			out = append(out, AttemptPod{Name: n, Pod: p})
		}
	}
	return out
}

// PodEvents are the events about the named pods (listed or missing), warnings first, then
// latest first; ties keep the snapshot's order.
func (x *Index) PodEvents(names ...string) []Event {
	if x.kube == nil {
		return nil
	}
	var at []int
	for _, n := range names {
		at = append(at, x.events[n]...)
	}
	if len(names) > 1 {
		sort.Ints(at)
	}
	evs := make([]Event, len(at))
	for i, j := range at {
		evs[i] = x.kube.Events[j]
	}
	sort.SliceStable(evs, func(i, j int) bool {
		if wi, wj := evs[i].Type == "Warning", evs[j].Type == "Warning"; wi != wj {
			return wi
		}
		return evs[i].LastTime.After(evs[j].LastTime)
	})
	return evs
}

// NodeProbes are the storage probes of paths that belong to node nodeID of execution ex, in
// snapshot order. Node ids repeat across executions (a child execution has its own n0), so
// the execution is part of the key.
func (x *Index) NodeProbes(ex ExecutionID, nodeID string) []StorageProbe {
	at := x.probes[NodeRef{Execution: ex, NodeID: nodeID}]
	if len(at) == 0 {
		return nil
	}
	out := make([]StorageProbe, len(at))
	for i, j := range at {
		out[i] = x.storage.Probes[j]
	}
	return out
}
