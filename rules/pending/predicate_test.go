package pending

import (
	"testing"

	"github.com/flytedoctor/flytedoctor/collectors/evidence"
)

// Every reason of real scheduler texts, old and new wordings, with its node count.
func TestParseReasons(t *testing.T) {
	type want struct {
		count      int
		kind, res  string
		tkey, tval string
	}
	cases := []struct {
		text  string
		total int
		want  []want
	}{
		{"0/4 nodes are available: 1 node(s) had untolerated taint {nvidia.com/gpu: present}, 3 Insufficient nvidia.com/gpu. preemption: 0/4 nodes are available: 1 Preemption is not helpful for scheduling, 3 No preemption victims found for incoming pod.",
			4, []want{{1, pkTaint, "", "nvidia.com/gpu", "present"}, {3, pkInsufficient, "nvidia.com/gpu", "", ""}}},
		{"0/3 nodes are available: 1 node(s) had taint {nvidia.com/gpu: present}, that the pod didn't tolerate, 2 Insufficient cpu.",
			3, []want{{1, pkTaint, "", "nvidia.com/gpu", "present"}, {2, pkInsufficient, "cpu", "", ""}}},
		{"0/5 nodes are available: 2 node(s) didn't match Pod's node affinity/selector, 1 node(s) had volume node affinity conflict, 1 Too many pods, 1 node(s) didn't have free ports for the requested pod ports.",
			5, []want{{2, pkSelector, "", "", ""}, {1, pkVolumeAffinity, "", "", ""}, {1, pkInsufficient, "pods", "", ""}, {1, pkPorts, "", "", ""}}},
		{"0/2 nodes are available: pod has unbound immediate PersistentVolumeClaims. preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling.",
			2, []want{{2, pkPVC, "", "", ""}}},
		{"0/6 nodes are available: 2 node(s) had untolerated taint {node.kubernetes.io/not-ready: }, 4 node(s) didn't match node selector.",
			6, []want{{2, pkUnavailable, "", "node.kubernetes.io/not-ready", ""}, {4, pkSelector, "", "", ""}}},
	}
	for _, c := range cases {
		ps := parse(c.text)
		if ps.Total != c.total || len(ps.Reasons) != len(c.want) {
			t.Errorf("%q: total %d, %d reasons %+v; want %d, %d", c.text, ps.Total, len(ps.Reasons), ps.Reasons, c.total, len(c.want))
			continue
		}
		for i, w := range c.want {
			r := ps.Reasons[i]
			if r.Count != w.count || r.Kind != w.kind || r.Resource != w.res || r.TaintKey != w.tkey || r.TaintVal != w.tval {
				t.Errorf("%q reason %d: %+v, want %+v", c.text, i, r, w)
			}
		}
	}
}

// Required node affinity, as the collector summarises it, against a node's labels.
func TestNodeAffinityTerms(t *testing.T) {
	gpu := evidence.NodeInfo{Name: "gpu-1", Labels: map[string]string{"node.kubernetes.io/instance-type": "g5.2xlarge", "karpenter.sh/capacity-type": "spot"}}
	known := func(k string) bool { return k != "team" }
	cases := []struct {
		aff  string
		fail bool
	}{
		{"node requires node.kubernetes.io/instance-type In [p4d.24xlarge,p5.48xlarge]", true},
		{"node requires node.kubernetes.io/instance-type In [g5.2xlarge]", false},
		{"node requires node.kubernetes.io/instance-type In [p4d.24xlarge] || karpenter.sh/capacity-type In [spot]", false},
		{"node requires karpenter.sh/capacity-type NotIn [spot] && node.kubernetes.io/instance-type Exists", true},
		{"node requires team In [ml]", false}, // a label the summary does not speak for proves nothing
		{"node requires metadata.name In [cpu-1]", true},
		{"node prefers (10) team In [ml]; pod anti-affinity requires app=x per kubernetes.io/hostname", false},
	}
	for _, c := range cases {
		terms := nodeTerms(c.aff)
		if got := len(terms) > 0 && termsFail(terms, gpu, known); got != c.fail {
			t.Errorf("%q: fails %v, want %v", c.aff, got, c.fail)
		}
	}
}
