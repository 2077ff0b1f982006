package evidence

import (
	"reflect"
	"testing"
	"time"
)

// A parent and its child execution both have a node n0; each gets its own probes, pods and events.
func TestIndexKeysNodesByExecution(t *testing.T) {
	t0 := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	parent, child := ExecutionID{"p", "d", "parent"}, ExecutionID{"p", "d", "child"}
	probe := func(ex ExecutionID, key string) StorageProbe {
		return StorageProbe{Operation: "HeadObject", Bucket: "b", Key: key, Outcome: ProbeDenied,
			Path: StoragePath{URI: "s3://b/" + key, Node: &NodeRef{Execution: ex, NodeID: "n0"}}}
	}
	snap := &Snapshot{
		Kube: &Kube{
			Pods:        []Pod{{Name: "parent-n0-0"}, {Name: "child-n0-0"}},
			MissingPods: []PodRef{{Name: "child-n0-1"}},
			Events: []Event{
				{Kind: "Pod", Name: "child-n0-0", Type: "Normal", Reason: "Pulled", LastTime: t0.Add(3 * time.Minute)},
				{Kind: "Pod", Name: "child-n0-1", Type: "Warning", Reason: "Failed", LastTime: t0.Add(time.Minute)},
				{Kind: "Pod", Name: "child-n0-0", Type: "Warning", Reason: "BackOff", LastTime: t0.Add(2 * time.Minute)},
				{Kind: "Pod", Name: "parent-n0-0", Type: "Warning", Reason: "Evicted", LastTime: t0},
				{Kind: "ResourceQuota", Name: "child-n0-0", Type: "Warning", Reason: "NotAPod"},
			}},
		Storage: &Storage{Probes: []StorageProbe{probe(parent, "parent/in.pb"), probe(child, "child/in.pb"), probe(child, "child/err.pb"),
			{Operation: "HeadBucket", Bucket: "b", Path: StoragePath{URI: "s3://b", Purpose: PurposeBucket}}}},
	}
	x := NewIndex(snap)
	keys := func(ps []StorageProbe) (out []string) {
		for _, p := range ps {
			out = append(out, p.Key)
		}
		return out
	}
	if got := keys(x.NodeProbes(parent, "n0")); !reflect.DeepEqual(got, []string{"parent/in.pb"}) {
		t.Errorf("parent n0 probes = %v", got)
	}
	if got := keys(x.NodeProbes(child, "n0")); !reflect.DeepEqual(got, []string{"child/in.pb", "child/err.pb"}) {
		t.Errorf("child n0 probes = %v", got)
	}
	if got := x.NodeProbes(child, "n1"); got != nil {
		t.Errorf("child n1 probes = %v", got)
	}

	a := &TaskAttempt{PodName: "child-n0-0", ExternalResources: []ExternalResource{{ExternalID: "child-n0-1", Phase: "FAILED"}, {ExternalID: "unknown", Phase: "FAILED"}}}
	pods := x.AttemptPods(a)
	if len(pods) != 2 || pods[0].Name != "child-n0-0" || pods[0].Pod != &snap.Kube.Pods[1] || pods[1].Name != "child-n0-1" || pods[1].Pod != nil {
		t.Errorf("attempt pods = %+v", pods)
	}
	var reasons []string
	for _, e := range x.PodEvents("child-n0-0", "child-n0-1") {
		reasons = append(reasons, e.Reason)
	}
	if want := []string{"BackOff", "Failed", "Pulled"}; !reflect.DeepEqual(reasons, want) {
		t.Errorf("events = %v, want warnings first, then latest first: %v", reasons, want)
	}
	if evs := NewIndex(&Snapshot{}).PodEvents("x"); evs != nil {
		t.Errorf("events without kube = %v", evs)
	}
}
