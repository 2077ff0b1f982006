package report

import (
	"fmt"
	"time"

	"github.com/flytedoctor/flytedoctor/collectors/evidence"
)

// The page's timeline lays out on one time axis what evidence.Index.Timeline derives: one
// row per node shown, and under it one bar per task attempt, in segments per state (queued,
// waiting for resources, initializing, running, retrying). Only the layout is computed here.

// maxPlainSiblings is how many sibling nodes are drawn whole; in a longer list (1,000
// dynamic children) only the nodes with something to show are, and a line counts the rest.
const maxPlainSiblings = 25

// timelineStates are the states in the legend, in the order an attempt goes through them.
var timelineStates = []evidence.AttemptState{evidence.StateQueued, evidence.StateWaiting,
	evidence.StateInitializing, evidence.StateRunning, evidence.StateRetrying}

type htmlTimeline struct {
	// From and To bound the axis (UTC); Span is its length. Untimed is set when no time is
	// known at all: the rows are listed, their bars empty.
	From, To, Span string
	Untimed        bool
	Ticks          []htmlTick
	Rows           []htmlRow
	Legend         []htmlLegend
	Attempts       int
}

type htmlTick struct {
	Left  float64
	Label string
}

type htmlLegend struct{ State, Words string }

type htmlRow struct {
	// Kind is "node", "attempt" or "fold" (a count of the nodes not drawn).
	Kind     string
	Depth    int
	Label    string
	Sub      string
	Phase    string
	PhaseCls string
	Open     bool
	// Timed is false for a row without times: it has no bar position.
	Timed       bool
	Left, Width float64
	Segments    []htmlSegment
	Line        string
	Took        string
	Title       string
	Logs        []evidence.TaskLog
	Recovered   bool
}

type htmlSegment struct {
	State       string
	Left, Width float64
	Open        bool
	Title       string
}

// row is a row before the axis is known.
type row struct {
	htmlRow
	start, end time.Time
	spans      []evidence.Span
}

type timelineBuilder struct {
	x         *evidence.Index
	collected time.Time
	rows      []row
}

// newTimeline lays out the snapshot's nodes and attempts, or returns nil when there is no
// execution or no node.
func newTimeline(snap *evidence.Snapshot) *htmlTimeline {
	ex := snap.Execution
	if ex == nil || len(ex.Nodes) == 0 {
		return nil
	}
	b := &timelineBuilder{x: evidence.NewIndex(snap), collected: snap.CollectedAt}
	b.nodes(ex.Nodes, 0, "top-level nodes")
	start, end := b.axis(ex)
	tl := &htmlTimeline{Untimed: !end.After(start)}
	for _, st := range timelineStates {
		tl.Legend = append(tl.Legend, htmlLegend{State: string(st), Words: st.Words()})
	}
	if !tl.Untimed {
		total := end.Sub(start)
		tl.From, tl.To, tl.Span = start.UTC().Format("15:04:05"), end.UTC().Format("15:04:05 UTC"), evidence.ShortDuration(total)
		if start.UTC().YearDay() != end.UTC().YearDay() {
			tl.From = start.UTC().Format("2006-01-02 15:04:05")
		}
		step := tickStep(total)
		for d := time.Duration(0); d <= total; d += step {
			tl.Ticks = append(tl.Ticks, htmlTick{Left: frac(d, total), Label: tickLabel(d)})
		}
	}
	for _, r := range b.rows {
		h := r.htmlRow
		if r.Kind == "attempt" {
			tl.Attempts++
		}
		if !tl.Untimed && !r.start.IsZero() && r.end.After(r.start) {
			total, width := end.Sub(start), r.end.Sub(r.start)
			h.Timed, h.Left, h.Width = true, frac(r.start.Sub(start), total), frac(width, total)
			for _, s := range r.spans {
				h.Segments = append(h.Segments, htmlSegment{State: string(s.State), Left: frac(s.Start.Sub(r.start), width),
					Width: frac(s.Duration(), width), Open: s.Open, Title: spanTitle(s)})
			}
		}
		tl.Rows = append(tl.Rows, h)
	}
	return tl
}

func frac(d, total time.Duration) float64 {
	if total <= 0 {
		return 0
	}
	return 100 * float64(d) / float64(total)
}

// axis is the stretch of time the rows cover, with the execution's own start and end.
func (b *timelineBuilder) axis(ex *evidence.Execution) (start, end time.Time) {
	widen := func(s, e time.Time) {
		if !s.IsZero() && (start.IsZero() || s.Before(start)) {
			start = s
		}
		if !e.IsZero() && e.After(end) {
			end = e
		}
	}
	s, e, _ := b.extent(ex.StartedAt, ex.CreatedAt, ex.UpdatedAt, ex.Duration, ex.Phase)
	widen(s, e)
	for _, r := range b.rows {
		widen(r.start, r.end)
	}
	return start, end
}

// extent is when a node or execution started and ended; one not finished at collection
// ends then, open.
func (b *timelineBuilder) extent(started, created, updated time.Time, d evidence.Duration, phase string) (start, end time.Time, open bool) {
	start = started
	if start.IsZero() || (!created.IsZero() && created.Before(start)) {
		start = created
	}
	switch {
	case !finished(phase) && !b.collected.IsZero():
		return start, b.collected, true
	case !updated.IsZero():
		end = updated
	case !started.IsZero() && d > 0:
		end = started.Add(d.Std())
	}
	return start, end, false
}

func finished(phase string) bool {
	return evidence.Succeeded(phase) || evidence.Failed(phase) && phase != "FAILING" || phase == "ABORTED"
}

// shown reports whether a node is worth a row in a long list: it did not succeed, or it or a
// node below it has attempts.
func shown(n *evidence.Node) bool {
	if !evidence.Succeeded(n.Phase) || len(n.Attempts) > 0 {
		return true
	}
	for _, c := range n.Below() {
		if shown(c) {
			return true
		}
	}
	return false
}

func (b *timelineBuilder) nodes(nodes []*evidence.Node, depth int, what string) {
	keep := func(*evidence.Node) bool { return true }
	if len(nodes) > maxPlainSiblings {
		keep = shown
	}
	hidden := 0
	for _, n := range nodes {
		if !keep(n) {
			hidden++
			continue
		}
		b.node(n, depth)
	}
	if hidden > 0 {
		b.rows = append(b.rows, row{htmlRow: htmlRow{Kind: "fold", Depth: depth,
			Label: fmt.Sprintf("%d of %d %s not drawn: %s", hidden, len(nodes), what, countPhases(nodes, keep))}})
	}
}

func (b *timelineBuilder) node(n *evidence.Node, depth int) {
	r := row{htmlRow: htmlRow{Kind: "node", Depth: depth, Label: n.ID, Phase: n.Phase, PhaseCls: phaseClass(n.Phase)}}
	r.Sub = string(n.Kind)
	if n.SpecNodeID != "" && n.SpecNodeID != n.ID {
		r.Sub = n.SpecNodeID + " · " + r.Sub
	}
	if a := n.LastAttempt(); a != nil && a.TaskID.Name != "" {
		r.Sub += " " + a.TaskID.Name
	}
	if n.ChildExecutionID != nil {
		r.Sub += " → " + n.ChildExecutionID.String()
	}
	r.start, r.end, r.Open = b.extent(n.StartedAt, n.CreatedAt, n.UpdatedAt, n.Duration, n.Phase)
	if r.end.After(r.start) && !r.start.IsZero() {
		r.Took = evidence.ShortDuration(r.end.Sub(r.start))
	}
	r.Title = n.ID + " " + n.Phase
	if r.Took != "" {
		r.Title += " " + r.Took
	}
	b.rows = append(b.rows, r)

	tls := b.x.Timeline(n)
	for _, a := range n.Attempts {
		var tl evidence.AttemptTimeline
		for _, t := range tls {
			if t.RetryAttempt == a.RetryAttempt {
				tl = t
			}
		}
		b.attempt(a, tl, depth+1)
	}
	if len(n.Children) > 0 {
		b.nodes(n.Children, depth+1, "children of "+n.ID)
	}
	if ce := n.ChildExecution; ce != nil {
		b.nodes(ce.Nodes, depth+1, "nodes of "+ce.ID.String())
	}
}

func (b *timelineBuilder) attempt(a *evidence.TaskAttempt, tl evidence.AttemptTimeline, depth int) {
	r := row{htmlRow: htmlRow{Kind: "attempt", Depth: depth, Label: fmt.Sprintf("attempt %d", a.RetryAttempt),
		Phase: a.Phase, PhaseCls: phaseClass(a.Phase), Open: tl.Open, Recovered: tl.Recovered, Logs: a.Logs}}
	r.Sub = tl.Pod
	if r.Sub == "" {
		r.Sub = a.PodName
	}
	if tl.K8sNode != "" {
		r.Sub += " on " + tl.K8sNode
	}
	r.Line = tl.Line()
	if len(tl.Spans) > 0 {
		r.spans = tl.Spans
		r.start = tl.Spans[0].Start
		for _, s := range tl.Spans {
			if s.End.After(r.end) {
				r.end = s.End
			}
		}
		r.Took = evidence.ShortDuration(tl.Took())
	}
	r.Title = r.Label + ": " + r.Line
	b.rows = append(b.rows, r)
}

func spanTitle(s evidence.Span) string {
	t := s.State.Words() + " " + evidence.ShortDuration(s.Duration()) + ", from " + s.Start.UTC().Format("15:04:05")
	if s.Open {
		t += " (still, at collection)"
	}
	if s.Because != "" {
		t += "\n" + s.Because
		if s.Source != "" {
			t += " (" + s.Source + ")"
		}
	}
	return t
}

// tickStep is a round step that puts at most 8 ticks on the axis.
func tickStep(total time.Duration) time.Duration {
	for _, s := range []time.Duration{time.Second, 2 * time.Second, 5 * time.Second, 10 * time.Second, 15 * time.Second,
		30 * time.Second, time.Minute, 2 * time.Minute, 5 * time.Minute, 10 * time.Minute, 15 * time.Minute,
		30 * time.Minute, time.Hour, 2 * time.Hour, 3 * time.Hour, 6 * time.Hour, 12 * time.Hour, 24 * time.Hour} {
		if total/s <= 8 {
			return s
		}
	}
	return (total/8 + 24*time.Hour - 1) / (24 * time.Hour) * (24 * time.Hour)
}

// tickLabel is an offset from the start: 0, 45s, 2m, 1h30m.
func tickLabel(d time.Duration) string {
	if d == 0 {
		return "0"
	}
	h, m, s := int(d/time.Hour), int(d%time.Hour/time.Minute), int(d%time.Minute/time.Second)
	out := ""
	if h > 0 {
		out += fmt.Sprintf("%dh", h)
	}
	if m > 0 {
		out += fmt.Sprintf("%dm", m)
	}
	if s > 0 {
		out += fmt.Sprintf("%ds", s)
	}
	return "+" + out
}
