package evidence

import (
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2026, 8, 14, 9, 12, 46, 0, time.UTC)

func at(d time.Duration) time.Time { return t0.Add(d) }

func states(tl AttemptTimeline) string {
	var s []string
	for _, sp := range tl.Spans {
		s = append(s, string(sp.State)+"="+ShortDuration(sp.Duration()))
	}
	return strings.Join(s, " ")
}

// An image that never pulls: Admin's reasons say INITIALIZING until the grace period fails the
// attempt. started_at equal to created_at (as some fixtures and plugins report) is not taken as
// RUNNING, since later reasons say the container never started.
func TestTimelineImagePullNeverRuns(t *testing.T) {
	a := &TaskAttempt{Phase: "FAILED", CreatedAt: at(0), StartedAt: at(0), UpdatedAt: at(186 * time.Second), Reasons: []Reason{
		{OccurredAt: at(0), Message: "task submitted to K8s"},
		{OccurredAt: at(400 * time.Millisecond), Message: "Scheduling"},
		{OccurredAt: at(3600 * time.Millisecond), Message: "[ContainersNotReady|ContainerCreating]: containers with unready status: [x-n1-0]|"},
		{OccurredAt: at(5 * time.Second), Message: `[ContainersNotReady|ErrImagePull]: containers with unready status: [x-n1-0]|Failed to pull image "ghcr.io/acme/trainer:v1.2.3": not found`},
	}}
	tl := NewIndex(&Snapshot{CollectedAt: at(time.Hour)}).Timeline(&Node{Attempts: []*TaskAttempt{a}})
	if len(tl) != 1 {
		t.Fatalf("got %d attempts", len(tl))
	}
	if got, want := states(tl[0]), "queued=3.6s initializing=3m2s"; got != want {
		t.Errorf("spans %s, want %s", got, want)
	}
	if sp, _ := tl[0].Span(StateInitializing); !strings.Contains(sp.Because, "ErrImagePull") {
		t.Errorf("initializing because %q, want the ErrImagePull warning", sp.Because)
	}
	if tl[0].Open || tl[0].Recovered {
		t.Errorf("open %v recovered %v", tl[0].Open, tl[0].Recovered)
	}
	if got := tl[0].Line(); got != "queued 3.6s · initializing 3m2s · FAILED" {
		t.Errorf("line %q", got)
	}
}

// A pod still unschedulable when the snapshot was taken: an open waiting span that ends at the
// collection time, quoting the scheduler.
func TestTimelineStillWaitingIsOpen(t *testing.T) {
	msg := "0/4 nodes are available: 1 node(s) had untolerated taint {nvidia.com/gpu: present}, 3 Insufficient nvidia.com/gpu."
	snap := &Snapshot{CollectedAt: at(47 * time.Minute), Kube: &Kube{
		Pods: []Pod{{Name: "x-n1-0", Phase: "Pending", CreatedAt: at(time.Second),
			Conditions: []PodCondition{{Type: "PodScheduled", Status: "False", Reason: "Unschedulable", Message: msg, LastTransitionTime: at(2 * time.Second)}}}},
		Events: []Event{{Kind: "Pod", Name: "x-n1-0", Type: "Warning", Reason: "FailedScheduling", Message: msg, Count: 12,
			FirstTime: at(2 * time.Second), LastTime: at(46 * time.Minute)}},
	}}
	a := &TaskAttempt{Phase: "QUEUED", PodName: "x-n1-0", CreatedAt: at(0), Reasons: []Reason{
		{OccurredAt: at(0), Message: "task submitted to K8s"},
		{OccurredAt: at(3 * time.Second), Message: "Unschedulable:" + msg},
	}}
	tl := NewIndex(snap).Timeline(&Node{Attempts: []*TaskAttempt{a}})[0]
	if got, want := states(tl), "queued=2s waiting-for-resources=46m58s"; got != want {
		t.Errorf("spans %s, want %s", got, want)
	}
	sp, stuck := tl.Stuck()
	if !stuck || !sp.Open || sp.State != StateWaiting || !sp.End.Equal(snap.CollectedAt) {
		t.Fatalf("Stuck = %+v, %v", sp, stuck)
	}
	if !strings.Contains(sp.Because, "untolerated taint") {
		t.Errorf("because %q", sp.Because)
	}
	if !strings.HasSuffix(tl.Line(), "waiting for resources 46m58s (still, at collection)") {
		t.Errorf("line %q", tl.Line())
	}
}

// Attempt 0 fails after running on a node, Flyte waits, attempt 1 succeeds: attempt 0 is
// recovered (context only) and has a retrying span up to attempt 1's creation.
func TestTimelineRetriedAndRecovered(t *testing.T) {
	snap := &Snapshot{CollectedAt: at(time.Hour), Kube: &Kube{Pods: []Pod{
		{Name: "x-n0-0", NodeName: "ip-10-0-58-203", CreatedAt: at(time.Second),
			Conditions: []PodCondition{{Type: "PodScheduled", Status: "True", LastTransitionTime: at(2 * time.Second)}},
			Containers: []Container{{Name: "x-n0-0", State: ContainerState{State: "terminated", ExitCode: 137,
				StartedAt: at(12 * time.Second), FinishedAt: at(50 * time.Second)}}}},
	}}}
	n := &Node{Attempts: []*TaskAttempt{
		{RetryAttempt: 1, Phase: "SUCCEEDED", PodName: "x-n0-1", CreatedAt: at(55 * time.Second), StartedAt: at(58 * time.Second), UpdatedAt: at(2 * time.Minute)},
		{RetryAttempt: 0, Phase: "FAILED", PodName: "x-n0-0", CreatedAt: at(0), StartedAt: at(13 * time.Second), UpdatedAt: at(51 * time.Second)},
	}}
	tl := NewIndex(snap).Timeline(n)
	if len(tl) != 2 || tl[0].RetryAttempt != 0 || tl[1].RetryAttempt != 1 {
		t.Fatalf("attempts out of order: %+v", tl)
	}
	if got, want := states(tl[0]), "queued=2s initializing=10s running=39s retrying=4s"; got != want {
		t.Errorf("attempt 0 spans %s, want %s", got, want)
	}
	if !tl[0].Recovered || tl[1].Recovered || tl[0].K8sNode != "ip-10-0-58-203" {
		t.Errorf("recovered %v/%v node %q", tl[0].Recovered, tl[1].Recovered, tl[0].K8sNode)
	}
	if got, want := tl[0].Line(), "queued 2s · initializing 10s · running 39s · FAILED, recovered by a later attempt, retried after 4s"; got != want {
		t.Errorf("line %q, want %q", got, want)
	}
	if got, want := tl[1].Line(), "queued 3s · running 1m2s · SUCCEEDED"; got != want {
		t.Errorf("line %q, want %q", got, want)
	}
	if _, stuck := tl[1].Stuck(); stuck {
		t.Error("a finished attempt is not stuck")
	}
	if got := tl[0].Took(); got != 51*time.Second {
		t.Errorf("Took = %v, want 51s (backoff excluded)", got)
	}
}

// An attempt with no timestamps at all (a trimmed fixture) has no spans, and says so.
func TestTimelineWithoutTimes(t *testing.T) {
	tl := NewIndex(&Snapshot{}).Timeline(&Node{Attempts: []*TaskAttempt{{Phase: "FAILED"}}})[0]
	if len(tl.Spans) != 0 || tl.Line() != "no timestamps · FAILED" {
		t.Errorf("spans %v line %q", tl.Spans, tl.Line())
	}
}
