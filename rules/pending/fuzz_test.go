package pending

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
)

func SchedulerSeeds() []string {
	return []string{
		"0/4 nodes are available: 1 node(s) had untolerated taint {nvidia.com/gpu: present}, 3 Insufficient nvidia.com/gpu. preemption: 0/4 nodes are available: 1 Preemption is not helpful for scheduling, 3 No preemption victims found for incoming pod.",
		"Unschedulable:0/3 nodes are available: 3 Insufficient cpu. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod..",
		"0/5 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, 4 node(s) didn't match Pod's node affinity/selector. preemption: 0/5 nodes are available: 5 Preemption is not helpful for scheduling.",
		"0/2 nodes are available: pod has unbound immediate PersistentVolumeClaims. preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling.",
		`0/6 nodes are available: persistentvolumeclaim "training-data" not found. preemption: 0/6 nodes are available: 6 Preemption is not helpful for scheduling.`,
		"0/3 nodes are available: 1 node(s) had volume node affinity conflict, 2 node(s) didn't match pod anti-affinity rules, 1 Too many pods. preemption: not eligible due to preemptionPolicy=Never.",
		"0/10 nodes are available: 2 node(s) were unschedulable, 3 node(s) had untolerated taint {node.kubernetes.io/not-ready: }, 5 Insufficient memory, 5 Insufficient ephemeral-storage.",
		"no nodes available to schedule pods",
		"0/3 nodes are available: 1 node(s) had taint {nvidia.com/gpu: present}, that the pod didn't tolerate, 2 node(s) didn't have free ports for the requested pod ports.",
	}
}

var kinds = []string{pkInsufficient, pkTaint, pkUnavailable, pkSelector, pkPodAffinity, pkVolumeAffinity, pkPVC, pkPorts, pkOther}

func checkSchedulerParse(t *testing.T, text string) *sched {
	t.Helper()
	ps := parse(text)
	if !strings.Contains(text, ps.Message) {
		t.Fatalf("Message %q is not part of the input", ps.Message)
	}
	if b := ps.Body(); !strings.Contains(ps.Message, b) {
		t.Errorf("Body %q is not part of the message %q", b, ps.Message)
	}
	for _, r := range ps.Reasons {
		if !strings.Contains(ps.Message, r.Text) {
			t.Errorf("reason %q is not part of the message %q", r.Text, ps.Message)
		}
		if !oneOf(r.Kind, kinds...) {
			t.Errorf("reason %q: kind %q", r.Text, r.Kind)
		}
		if r.Kind == pkInsufficient && (r.Resource == "" || !strings.Contains(r.Text, r.Resource) && r.Text != "Too many pods") {
			t.Errorf("reason %q: resource %q", r.Text, r.Resource)
		}
		if !strings.Contains(r.Text, r.TaintKey) || !strings.Contains(r.Text, r.TaintVal) {
			t.Errorf("reason %q: taint %q=%q is not part of it", r.Text, r.TaintKey, r.TaintVal)
		}
		if r.Count < 0 && r.Count != ps.Total {
			t.Errorf("reason %q: count %d", r.Text, r.Count)
		}
	}
	return ps
}

func FuzzSchedulerMessage(f *testing.F) {
	for _, s := range SchedulerSeeds() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		checkSchedulerParse(t, text)
	})
}

// schedulerWord is what kube-scheduler prints for resource names, taint keys and values.
var schedulerWord = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9./_-]*[A-Za-z0-9])?$`)

// FuzzSchedulerRoundTrip builds messages the way kube-scheduler does and checks that every
// clause, count, resource and taint comes back out.
func FuzzSchedulerRoundTrip(f *testing.F) {
	f.Add(uint16(4), uint16(3), "nvidia.com/gpu", uint16(1), "nvidia.com/gpu", "present", uint16(0), "node(s) didn't match Pod's node affinity/selector")
	f.Add(uint16(12), uint16(5), "memory", uint16(7), "dedicated", "spark", uint16(2), "node(s) were unschedulable")
	f.Add(uint16(1), uint16(1), "hugepages-2Mi", uint16(0), "node.kubernetes.io/unreachable", "", uint16(1), "Too many pods")
	f.Fuzz(func(t *testing.T, total, nIns uint16, res string, nTaint uint16, key, val string, nOther uint16, other string) {
		if !schedulerWord.MatchString(res) || !schedulerWord.MatchString(key) || val != "" && !schedulerWord.MatchString(val) ||
			other == "" || strings.ContainsAny(other, ",{}\n") || other[0] >= '0' && other[0] <= '9' || strings.Contains(other, ". preemption:") ||
			strings.TrimSpace(other) != other || strings.HasSuffix(other, ".") {
			return
		}
		msg := fmt.Sprintf("0/%d nodes are available: %d Insufficient %s, %d node(s) had untolerated taint {%s: %s}, %d %s. "+
			"preemption: 0/%d nodes are available: %d No preemption victims found for incoming pod.",
			total, nIns, res, nTaint, key, val, nOther, other, total, total)
		ps := checkSchedulerParse(t, msg)
		if ps.Total != int(total) {
			t.Errorf("%q: total %d, want %d", msg, ps.Total, total)
		}
		if len(ps.Reasons) != 3 {
			t.Fatalf("%q: %d reasons, want 3: %+v", msg, len(ps.Reasons), ps.Reasons)
		}
		ins, taint, oth := ps.Reasons[0], ps.Reasons[1], ps.Reasons[2]
		if ins.Count != int(nIns) || ins.Kind != pkInsufficient || ins.Resource != res {
			t.Errorf("%q: first reason %+v, want %d Insufficient %s", msg, ins, nIns, res)
		}
		if taint.Count != int(nTaint) || taint.TaintKey != key || taint.TaintVal != val || !oneOf(taint.Kind, pkTaint, pkUnavailable) {
			t.Errorf("%q: second reason %+v, want %d taint %s=%s", msg, taint, nTaint, key, val)
		}
		if oth.Count != int(nOther) || oth.Text != other {
			t.Errorf("%q: third reason %+v, want %d %q", msg, oth, nOther, other)
		}
	})
}

// oneOf reports whether v is one of allowed.
func oneOf(v string, allowed ...string) bool { return slices.Contains(allowed, v) }
