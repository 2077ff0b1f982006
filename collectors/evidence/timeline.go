package evidence

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"
)

// AttemptState is one stage of a task attempt's life, as a person reading the timeline names it.
type AttemptState string

// Attempt states, in the order an attempt goes through them.
const (
	// StateQueued: created in Flyte, its pod not yet placed (propeller's queue, the pod waiting
	// for the scheduler's first look).
	StateQueued AttemptState = "queued"
	// StateWaiting: no place for the pod yet: unschedulable, over quota, backed off.
	StateWaiting AttemptState = "waiting-for-resources"
	// StateInitializing: placed on a node: image pull, volume mounts, container creation.
	StateInitializing AttemptState = "initializing"
	// StateRunning: the task's container runs (Admin's RUNNING).
	StateRunning AttemptState = "running"
	// StateRetrying: the attempt failed and Flyte had not created the next one yet (backoff).
	StateRetrying AttemptState = "retrying"
)

// Words is how reports name the state ("waiting for resources").
func (s AttemptState) Words() string { return strings.ReplaceAll(string(s), "-", " ") }

func (s AttemptState) rank() int {
	switch s {
	case StateQueued:
		return 0
	case StateWaiting:
		return 1
	case StateInitializing:
		return 2
	case StateRunning:
		return 3
	}
	return 4
}

// Span is one stretch of an attempt in one state.
type Span struct {
	State AttemptState `json:"state"`
	Start time.Time    `json:"start"`
	End   time.Time    `json:"end"`
	// Open is true when the attempt was still in this state when the snapshot was taken: End is
	// the collection time, and the span is still growing.
	Open bool `json:"open,omitempty"`
	// Because quotes what put the attempt there or kept it there (the latest warning wins over
	// plain steps), and Source says who said it: "admin" (a reason), "pod" (conditions, container
	// states) or "event".
	Because string `json:"because,omitempty"`
	Source  string `json:"source,omitempty"`
	// Warning is true when Because is a warning (something is wrong: unschedulable, a failed
	// pull or mount), not a plain step.
	Warning bool `json:"warning,omitempty"`
}

// Duration is the span's length.
func (s Span) Duration() time.Duration { return s.End.Sub(s.Start) }

// AttemptTimeline is one task attempt over time.
type AttemptTimeline struct {
	RetryAttempt uint32 `json:"retry_attempt"`
	Phase        string `json:"phase"`
	Pod          string `json:"pod,omitempty"`
	// K8sNode is the Kubernetes node the pod ran on, when its pod was read.
	K8sNode string    `json:"k8s_node,omitempty"`
	Start   time.Time `json:"start,omitzero"`
	End     time.Time `json:"end,omitzero"`
	// Open is true when the attempt had not finished at collection time.
	Open  bool   `json:"open,omitempty"`
	Spans []Span `json:"spans,omitempty"`
	// Recovered is true for a failed attempt that a later attempt of the node made good: context
	// for the diagnosis, never its root cause.
	Recovered bool `json:"recovered,omitempty"`
}

// Took is how long the attempt lasted, retry backoff excluded.
func (t AttemptTimeline) Took() time.Duration {
	var d time.Duration
	for _, s := range t.Spans {
		if s.State != StateRetrying {
			d += s.Duration()
		}
	}
	return d
}

// Span returns the attempt's span in state st (the first, when there are several), or false.
func (t AttemptTimeline) Span(st AttemptState) (Span, bool) {
	for _, s := range t.Spans {
		if s.State == st {
			return s, true
		}
	}
	return Span{}, false
}

// Stuck returns the open span of an attempt that is not progressing: still queued, waiting for
// resources or initializing at collection time.
func (t AttemptTimeline) Stuck() (Span, bool) {
	if !t.Open || len(t.Spans) == 0 {
		return Span{}, false
	}
	last := t.Spans[len(t.Spans)-1]
	if last.Open && last.State.rank() < StateRunning.rank() {
		return last, true
	}
	return Span{}, false
}

// Line is the attempt in one line, spans in order: "queued 2s · waiting for resources 47m12s
// (still) · initializing 12s · running 38s · FAILED, retried after 3s".
func (t AttemptTimeline) Line() string {
	var parts []string
	var retry string
	for _, s := range t.Spans {
		if s.State == StateRetrying {
			retry = "retried after " + ShortDuration(s.Duration())
			continue
		}
		p := s.State.Words() + " " + ShortDuration(s.Duration())
		if s.Open {
			p += " (still, at collection)"
		}
		parts = append(parts, p)
	}
	if len(parts) == 0 {
		parts = append(parts, "no timestamps")
	}
	end := t.Phase
	if t.Recovered {
		end += ", recovered by a later attempt"
	}
	if retry != "" {
		end += ", " + retry
	}
	if !t.Open || retry != "" {
		parts = append(parts, end)
	}
	return strings.Join(parts, " · ")
}

// ShortDuration prints d rounded for a person: 250ms, 4.2s, 3m6s, 2h5m.
func ShortDuration(d time.Duration) string {
	switch {
	case d < 0:
		return "0s"
	case d < time.Second:
		return d.Round(time.Millisecond).String()
	case d < 10*time.Second:
		return d.Round(100 * time.Millisecond).String()
	case d < time.Hour:
		return d.Round(time.Second).String()
	}
	s := d.Round(time.Minute).String()
	return strings.TrimSuffix(s, "0s")
}

// Timeline is the node's attempts over time, in retry order: a derived view of the snapshot
// that rules and reports share. Each attempt's spans come from Admin (created, reasons with
// their times, started, updated), its pods' conditions and container states and its pods'
// events; an attempt not finished at collection ends in an open span at the snapshot's time.
func (x *Index) Timeline(n *Node) []AttemptTimeline {
	attempts := append([]*TaskAttempt(nil), n.Attempts...)
	sort.SliceStable(attempts, func(i, j int) bool { return attempts[i].RetryAttempt < attempts[j].RetryAttempt })
	out := make([]AttemptTimeline, 0, len(attempts))
	succeeded := false
	for i := len(attempts) - 1; i >= 0; i-- {
		a := attempts[i]
		t := x.attemptTimeline(a)
		if succeeded && Failed(a.Phase) {
			t.Recovered = true
		}
		succeeded = succeeded || a.Phase == "SUCCEEDED"
		if i+1 < len(attempts) && !t.Open {
			if next := attempts[i+1].CreatedAt; !next.IsZero() && !t.End.IsZero() && next.After(t.End) {
				t.Spans = append(t.Spans, Span{State: StateRetrying, Start: t.End, End: next, Source: "admin",
					Because: fmt.Sprintf("attempt %d was created", attempts[i+1].RetryAttempt)})
			}
		}
		out = append(out, t)
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out
}

// mark is a moment the evidence puts the attempt in a state.
type mark struct {
	at      time.Time
	state   AttemptState
	because string
	source  string
	warn    bool
}

// terminal reports whether a task phase is final.
func terminal(phase string) bool {
	switch phase {
	case "SUCCEEDED", "FAILED", "ABORTED", "TIMED_OUT", "RETRYABLE_FAILED":
		return true
	}
	return false
}

func (x *Index) attemptTimeline(a *TaskAttempt) AttemptTimeline {
	t := AttemptTimeline{RetryAttempt: a.RetryAttempt, Phase: a.Phase}
	var marks []mark
	add := func(at time.Time, st AttemptState, because, source string, warn bool) {
		if !at.IsZero() {
			marks = append(marks, mark{at: at, state: st, because: because, source: source, warn: warn})
		}
	}
	add(a.CreatedAt, StateQueued, "created in Flyte", "admin", false)
	for _, r := range a.Reasons {
		if st, warn := reasonState(r.Message); st != "" {
			add(r.OccurredAt, st, r.Message, "admin", warn)
		}
	}
	containerStart := false
	for _, ap := range x.AttemptPods(a) {
		if t.Pod == "" || ap.Pod != nil {
			t.Pod = ap.Name
		}
		for _, e := range x.PodEvents(ap.Name) {
			if st, warn := eventState(e, ap.Pod); st != "" {
				add(e.FirstTime, st, e.Reason+": "+e.Message, "event", warn)
			}
		}
		p := ap.Pod
		if p == nil {
			continue
		}
		t.K8sNode = p.NodeName
		add(p.CreatedAt, StateQueued, "pod "+p.Name+" created", "pod", false)
		for _, c := range p.Conditions {
			if c.Type != "PodScheduled" {
				continue
			}
			if c.Status == "True" {
				add(c.LastTransitionTime, StateInitializing, "scheduled on "+p.NodeName, "pod", false)
			} else if c.Reason != "" {
				add(c.LastTransitionTime, StateWaiting, strings.TrimSpace(c.Reason+": "+c.Message), "pod", true)
			}
		}
		for _, c := range p.Containers {
			for _, s := range []ContainerState{c.LastState, c.State} {
				if !s.StartedAt.IsZero() {
					containerStart = true
					add(s.StartedAt, StateRunning, "container "+c.Name+" started", "pod", false)
				}
			}
		}
	}
	// Admin's started_at is the first RUNNING event; a later reason of an earlier state means
	// the value came from somewhere else (an older Admin, a plugin), so it is not used.
	if !a.StartedAt.IsZero() && !containerStart {
		credible := true
		for _, m := range marks {
			if m.state.rank() < StateRunning.rank() && m.at.After(a.StartedAt) && m.source == "admin" {
				credible = false
			}
		}
		if credible {
			add(a.StartedAt, StateRunning, "Admin: RUNNING", "admin", false)
		}
	}
	// Kubernetes times have whole seconds: an event in the second Flyte created the attempt
	// looks older than the attempt. Nothing happens to an attempt before it exists.
	for i := range marks {
		if !a.CreatedAt.IsZero() && marks[i].at.Before(a.CreatedAt) {
			marks[i].at = a.CreatedAt
		}
	}
	sort.SliceStable(marks, func(i, j int) bool { return marks[i].at.Before(marks[j].at) })

	switch {
	case terminal(a.Phase) && !a.UpdatedAt.IsZero():
		t.End = a.UpdatedAt
	case terminal(a.Phase) && !a.StartedAt.IsZero() && a.Duration > 0:
		t.End = a.StartedAt.Add(a.Duration.Std())
	case !terminal(a.Phase) && !x.collected.IsZero():
		t.End, t.Open = x.collected, true
	case len(marks) > 0:
		t.End = marks[len(marks)-1].at
	}
	if len(marks) == 0 {
		return t
	}
	t.Start = marks[0].at
	if !t.Open && !t.End.After(t.Start) {
		return t // one moment, no stretch of time to show
	}
	// States only move forward: a late note of an earlier state (a reason sent out of order)
	// does not reopen it.
	var cur *Span
	for _, m := range marks {
		if m.at.After(t.End) {
			break
		}
		switch {
		case cur == nil || m.state.rank() > cur.State.rank():
			if cur != nil {
				cur.End = m.at
				t.Spans = append(t.Spans, *cur)
			}
			cur = &Span{State: m.state, Start: m.at, Because: m.because, Source: m.source, Warning: m.warn}
		case m.state == cur.State && m.warn:
			cur.Because, cur.Source, cur.Warning = m.because, m.source, true // the latest warning says why it lasts
		}
	}
	cur.End = t.End
	cur.Open = t.Open
	t.Spans = append(t.Spans, *cur)
	// A state left the moment it was entered (Admin's first event already said more) is noise.
	if kept := slices.DeleteFunc(slices.Clone(t.Spans), func(s Span) bool { return !s.Open && s.Duration() <= 0 }); len(kept) > 0 {
		t.Spans = kept
	} else {
		t.Spans = t.Spans[:1]
	}
	return t
}

// reasonState reads an Admin reason: what state it puts the attempt in, and whether it is a
// warning (something is wrong) rather than a step (facts D3/D4).
func reasonState(msg string) (AttemptState, bool) {
	switch {
	case strings.HasPrefix(msg, "Unschedulable"), strings.Contains(msg, "Exceeded resourcequota"),
		strings.Contains(msg, "exceeded quota"), strings.Contains(msg, "nodes are available"),
		strings.Contains(msg, "blocked by back-off"):
		return StateWaiting, true
	case strings.Contains(msg, "ContainersNotReady"), strings.Contains(msg, "containers with unready status"),
		strings.Contains(msg, "ContainerCreating"), strings.Contains(msg, "PodInitializing"):
		warn := !strings.Contains(msg, "|ContainerCreating]") && !strings.Contains(msg, "|PodInitializing]")
		return StateInitializing, warn
	case msg == "task submitted to K8s", msg == "Scheduling", strings.HasPrefix(msg, "task submitted"):
		return StateQueued, false
	}
	return "", false
}

// eventState reads a pod event the same way.
func eventState(e Event, p *Pod) (AttemptState, bool) {
	switch e.Reason {
	case "FailedScheduling":
		return StateWaiting, true
	case "Scheduled":
		return StateInitializing, false
	case "Pulling", "Pulled", "Created", "SuccessfulAttachVolume":
		return StateInitializing, false
	case "Failed", "ErrImagePull", "ImagePullBackOff", "FailedMount", "FailedAttachVolume", "FailedCreatePodSandBox":
		if e.Type == "Warning" {
			return StateInitializing, true
		}
	case "Started":
		// Started also fires for init containers, which run while the pod initializes.
		if p != nil {
			for _, c := range p.InitContainers {
				if strings.HasSuffix(e.Message, " "+c.Name) {
					return StateInitializing, false
				}
			}
		}
		return StateRunning, false
	}
	return "", false
}
