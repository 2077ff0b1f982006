package report

import (
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/flytedoctor/flytedoctor/collectors/evidence"
)

// TextOptions tune the text view.
type TextOptions struct {
	Style Style
	// MaxMessageLines caps each error message; 0 means 20. -o json always has everything.
	MaxMessageLines int
}

// WriteText writes the findings (root causes first), then the evidence: the execution header,
// the failing path as a tree and how it was collected.
func WriteText(w io.Writer, r *Report, o TextOptions) error {
	if o.MaxMessageLines == 0 {
		o.MaxMessageLines = 20
	}
	t := &textWriter{w: &termSafe{w: w, color: o.Style.on}, o: o, s: o.Style, k: newKubeIndex(r.Snapshot)}
	t.writeFindings(r)
	t.render(r.Snapshot)
	return t.err
}

type textWriter struct {
	w   io.Writer
	o   TextOptions
	s   Style
	err error
	k   kubeIndex
}

func (t *textWriter) printf(format string, a ...any) {
	if t.err == nil {
		_, t.err = fmt.Fprintf(t.w, format, a...)
	}
}

func (t *textWriter) render(snap *evidence.Snapshot) {
	ex := snap.Execution
	if ex == nil {
		t.printf("%s  %s\n", t.s.Bold(snap.Target.String()), t.s.Dim("(execution could not be read)"))
		t.collection(snap)
		return
	}
	t.header(ex)
	t.tree(ex)
	t.collection(snap)
}

func (t *textWriter) header(ex *evidence.Execution) {
	line := t.s.Bold(ex.ID.String()) + "  " + t.s.Phase(ex.Phase)
	if d := ex.Duration.Std(); d > 0 {
		line += "  " + t.s.Dim("after "+roundDuration(d))
	}
	t.printf("%s\n", line)
	if !ex.LaunchPlan.IsZero() {
		t.field("launch plan", ex.LaunchPlan.Name+t.s.Dim(" @ "+ex.LaunchPlan.Version))
	}
	if !ex.StartedAt.IsZero() {
		t.field("started", ex.StartedAt.UTC().Format(time.RFC3339))
	}
	if ex.Namespace != "" {
		t.field("namespace", ex.Namespace)
	}
	if ex.Error != nil {
		t.errorField("error", ex.Error)
	}
	if ex.AbortCause != "" {
		cause := ex.AbortCause
		if ex.AbortPrincipal != "" {
			cause += t.s.Dim(" (by " + ex.AbortPrincipal + ")")
		}
		t.field("aborted", cause)
	}
	t.field("nodes", phaseCounts(ex))
}

const labelWidth = 12

func (t *textWriter) field(label, value string) { t.fieldAt("  ", label, value) }

func (t *textWriter) fieldAt(indent, label, value string) {
	pad := strings.Repeat(" ", max(1, labelWidth-len(label)))
	lines := strings.Split(value, "\n")
	t.printf("%s%s%s%s\n", indent, t.s.Dim(label), pad, lines[0])
	cont := indent + strings.Repeat(" ", len(label)+len(pad))
	for _, l := range lines[1:] {
		t.printf("%s%s\n", cont, l)
	}
}

func (t *textWriter) errorField(label string, e *evidence.ExecutionError) {
	t.errorFieldAt("  ", label, e, false)
}

func (t *textWriter) errorFieldAt(indent, label string, e *evidence.ExecutionError, trimmed bool) {
	head := errorHead(e)
	msg := t.clip(strings.TrimRight(e.Message, "\n"))
	if trimmed {
		msg += "\n" + t.s.Dim("(message trimmed by Flyte Admin's list call; the full node could not be read)")
	}
	if head == "" {
		t.fieldAt(indent, label, msg)
		return
	}
	if msg != "" {
		head += "\n" + msg
	}
	t.fieldAt(indent, label, head)
}

func (t *textWriter) clip(msg string) string {
	msg = strings.ReplaceAll(msg, "\r\n", "\n")
	lines := strings.Split(msg, "\n")
	if len(lines) <= t.o.MaxMessageLines {
		return msg
	}
	more := len(lines) - t.o.MaxMessageLines
	return strings.Join(lines[:t.o.MaxMessageLines], "\n") + "\n" + t.s.Dim(fmt.Sprintf("… %d more lines (-o json shows all)", more))
}

// tree prints the nodes worth a look: failed nodes and their ancestors when something failed,
// otherwise everything that has not succeeded (queued, running, aborted).
func (t *textWriter) tree(ex *evidence.Execution) {
	show := func(n *evidence.Node) bool { return !evidence.Succeeded(n.Phase) }
	title := "Unfinished nodes"
	if len(ex.FailurePaths()) > 0 {
		show = (*evidence.Node).HasFailure
		title = "Failing path"
	}
	roots := filterNodes(ex.Nodes, show)
	if len(roots) == 0 {
		return
	}
	t.printf("\n%s\n", t.s.Bold(title))
	t.nodes(ex, roots, "  ", show)
}

func filterNodes(nodes []*evidence.Node, keep func(*evidence.Node) bool) []*evidence.Node {
	var out []*evidence.Node
	for _, n := range nodes {
		if keep(n) {
			out = append(out, n)
		}
	}
	return out
}

type item struct {
	node    *evidence.Node
	ex      *evidence.Execution // the execution node belongs to
	attempt *evidence.TaskAttempt
}

// nodes prints nodes of execution ex.
func (t *textWriter) nodes(ex *evidence.Execution, nodes []*evidence.Node, indent string, show func(*evidence.Node) bool) {
	for i, n := range nodes {
		last := i == len(nodes)-1
		branch, next := "├─ ", "│  "
		if last {
			branch, next = "└─ ", "   "
		}
		t.node(ex, n, indent+branch, indent+next, show)
	}
}

// node prints n, a node of execution ex, and what is below it.
func (t *textWriter) node(ex *evidence.Execution, n *evidence.Node, first, rest string, show func(*evidence.Node) bool) {
	name := n.ID
	if n.SpecNodeID != "" && n.SpecNodeID != n.ID {
		name += t.s.Dim(" (" + n.SpecNodeID + ")")
	}
	kind := string(n.Kind)
	if n.ChildExecutionID != nil {
		kind += " → " + n.ChildExecutionID.String()
	}
	if a := n.LastAttempt(); a != nil && a.TaskID.Name != "" {
		kind += " " + a.TaskID.Name
	}
	line := name + "  " + t.s.Dim(kind) + "  " + t.s.Phase(n.Phase)
	if d := n.Duration.Std(); d > 0 {
		line += "  " + t.s.Dim(roundDuration(d))
	}
	t.printf("%s%s\n", first, line)

	var kids []item
	for _, a := range n.Attempts {
		// A dynamic node's task only builds the sub-workflow; when it worked, the story is below.
		if n.IsParent && evidence.Succeeded(a.Phase) {
			continue
		}
		kids = append(kids, item{attempt: a})
	}
	// The nodes shown below n, in n.Below's order; show runs once for each.
	var children []*evidence.Node
	for _, c := range filterNodes(n.Children, show) {
		children = append(children, c)
		kids = append(kids, item{node: c, ex: ex})
	}
	if ce := n.ChildExecution; ce != nil {
		for _, c := range filterNodes(ce.Nodes, show) {
			children = append(children, c)
			kids = append(kids, item{node: c, ex: ce})
		}
	}
	if e := t.ownError(n, children); e != nil {
		bar := "   "
		if len(kids) > 0 {
			bar = "│  "
		}
		t.errorFieldAt(rest+bar, "error", e, n.ErrorTrimmed)
	}
	if lines := t.k.failedProbes(ex.ID, n.ID); len(lines) > 0 {
		bar := "   "
		if len(kids) > 0 {
			bar = "│  "
		}
		t.fieldAt(rest+bar, "storage", strings.Join(lines, "\n"))
	}
	if n.IsParent && !n.ChildrenCollected && !evidence.Succeeded(n.Phase) {
		t.printf("%s%s\n", rest+"   ", t.s.Dim("(children could not be listed; see collection errors)"))
	}
	if hidden := len(n.Children) - len(children); n.ChildExecution == nil && hidden > 0 && len(children) > 0 {
		t.printf("%s%s\n", rest+"│  ", t.s.Dim(fmt.Sprintf("%d of %d children not shown: %s", hidden, len(n.Children), countPhases(n.Children, show))))
	}
	timeline := map[uint32]evidence.AttemptTimeline{}
	for _, tl := range t.k.x.Timeline(n) {
		timeline[tl.RetryAttempt] = tl
	}
	for i, k := range kids {
		last := i == len(kids)-1
		branch, next := "├─ ", "│  "
		if last {
			branch, next = "└─ ", "   "
		}
		if k.attempt != nil {
			t.attempt(k.attempt, previousAttempt(kids[:i]), timeline[k.attempt.RetryAttempt], rest+branch, rest+next)
		} else {
			t.node(k.ex, k.node, rest+branch, rest+next, show)
		}
	}
}

// ownError is the part of a node's error that nothing below it already shows. Flyte passes a
// child's error up unchanged, and wraps the last attempt's message on retry exhaustion
// ("[2/2] currentAttempt done. Last Error: USER::<message>").
func (t *textWriter) ownError(n *evidence.Node, children []*evidence.Node) *evidence.ExecutionError {
	if n.Error == nil {
		return nil
	}
	for _, c := range children {
		if sameError(n.Error, c.Error) {
			return nil
		}
	}
	last := n.LastAttempt()
	if last == nil || last.Error == nil || last.Error.Message == "" {
		return n.Error
	}
	if sameError(n.Error, last.Error) {
		return nil
	}
	if head, ok := strings.CutSuffix(n.Error.Message, last.Error.Message); ok {
		e := *n.Error
		e.Message = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(head), last.Error.Kind+"::")) +
			t.s.Dim(" (last attempt's error below)")
		return &e
	}
	return n.Error
}

func previousAttempt(before []item) *evidence.TaskAttempt {
	for i := len(before) - 1; i >= 0; i-- {
		if before[i].attempt != nil {
			return before[i].attempt
		}
	}
	return nil
}

// sameAttemptError reports whether two attempts failed the same way; messages name their own
// pod, so pod names are masked before comparing.
func sameAttemptError(a, prev *evidence.TaskAttempt) bool {
	if a.Error == nil || prev == nil || prev.Error == nil || a.Error.Code != prev.Error.Code || a.Error.Kind != prev.Error.Kind {
		return false
	}
	mask := func(at *evidence.TaskAttempt) string {
		if at.PodName == "" {
			return at.Error.Message
		}
		return strings.ReplaceAll(at.Error.Message, at.PodName, "<pod>")
	}
	return mask(a) == mask(prev)
}

func (t *textWriter) attempt(a, prev *evidence.TaskAttempt, tl evidence.AttemptTimeline, first, rest string) {
	line := fmt.Sprintf("attempt %d  %s", a.RetryAttempt, t.s.Phase(a.Phase))
	if a.PodName != "" {
		line += "  " + t.s.Dim("pod ") + a.PodName
	}
	if d := a.Duration.Std(); d > 0 {
		line += "  " + t.s.Dim(roundDuration(d))
	}
	t.printf("%s%s\n", first, line)
	ind := rest + "  "
	if len(tl.Spans) > 0 {
		t.fieldAt(ind, "timeline", tl.Line())
	}
	switch {
	case sameAttemptError(a, prev):
		t.fieldAt(ind, "error", errorHead(a.Error)+
			t.s.Dim(fmt.Sprintf(" (same as attempt %d)", prev.RetryAttempt)))
	case a.Error != nil:
		t.errorFieldAt(ind, "error", a.Error, false)
	}
	if len(a.Reasons) > 0 {
		var b strings.Builder
		for i, r := range a.Reasons {
			if i > 0 {
				b.WriteByte('\n')
			}
			if !r.OccurredAt.IsZero() {
				b.WriteString(t.s.Dim(r.OccurredAt.UTC().Format("15:04:05")) + "  ")
			}
			b.WriteString(strings.TrimSpace(r.Message))
		}
		t.fieldAt(ind, "reasons", b.String())
	} else if a.Reason != "" {
		t.fieldAt(ind, "reason", a.Reason)
	}
	if failed := failedExternal(a.ExternalResources); len(failed) > 0 {
		t.fieldAt(ind, "subtasks", strings.Join(failed, "\n"))
	}
	t.pods(ind, a)
	if len(a.Logs) > 0 {
		var lines []string
		for _, l := range a.Logs {
			lines = append(lines, strings.TrimSpace(l.Name+"  "+l.URI))
		}
		t.fieldAt(ind, "logs", strings.Join(lines, "\n"))
	}
}

func failedExternal(rs []evidence.ExternalResource) []string {
	var out []string
	for _, r := range rs {
		if evidence.Failed(r.Phase) {
			s := fmt.Sprintf("[%d] %s  %s", r.Index, r.ExternalID, r.Phase)
			if r.RetryAttempt > 0 {
				s += fmt.Sprintf(" (retry %d)", r.RetryAttempt)
			}
			out = append(out, s)
		}
	}
	return out
}

func (t *textWriter) collection(snap *evidence.Snapshot) {
	if len(snap.Collection) > 0 {
		t.printf("\n")
	}
	for _, rec := range snap.Collection {
		if rec.Status == evidence.StatusSkipped {
			t.printf("%s\n", t.s.Dim(fmt.Sprintf("%s: skipped: %s", rec.Collector, rec.SkipReason)))
			continue
		}
		counted := rec.Attempts != nil
		t.printf("%s\n", t.s.Dim(fmt.Sprintf("%s: %s, %s in %s (%s)", rec.Collector, rec.Status,
			evidence.CountText(rec.TotalCalls(), rec.TotalAttempts(), counted), roundDuration(rec.Duration.Std()), callSummary(rec))))
		notSent := map[string]int{}
		var codes []string
		for _, e := range rec.Errors {
			if e.NotSent {
				notSent[e.Method]++
				if !slices.Contains(codes, e.Code) {
					codes = append(codes, e.Code)
				}
				continue
			}
			msg := e.Message
			if e.Attempts > 1 {
				msg += t.s.Dim(fmt.Sprintf(" (%d attempts)", e.Attempts))
			}
			t.printf("  %s %s %s: %s\n", t.s.Phase("FAILED"), e.Method, e.Target, msg)
		}
		if len(notSent) > 0 {
			t.printf("  %s %s: the run ended first (%s)\n", t.s.warnText("NOT SENT"), methodCounts(notSent, nil), strings.Join(codes, ", "))
		}
		if id := t.k.identity; id != "" && rec.Collector == "s3" {
			t.printf("  %s\n", t.s.Dim("identity "+id))
		}
	}
}

// callSummary lists the calls by method, with their attempts where those differ.
func callSummary(rec evidence.CollectorRecord) string { return methodCounts(rec.Calls, rec.Attempts) }

// methodCounts is "GetExecution 1, ListNodeExecutions 1 (5 attempts)", sorted by method;
// attempts, when counted (non-nil), are shown where they differ from the calls.
func methodCounts(calls, attempts map[string]int) string {
	keys := make([]string, 0, len(calls))
	for k := range calls {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		p := fmt.Sprintf("%s %d", k, calls[k])
		if n, ok := attempts[k]; ok && n != calls[k] {
			unit := "attempts"
			if n == 1 {
				unit = "attempt"
			}
			p += fmt.Sprintf(" (%d %s)", n, unit)
		}
		parts = append(parts, p)
	}
	return strings.Join(parts, ", ")
}

// phaseCounts summarises every collected node, e.g. "2 SUCCEEDED, 1 FAILED".
func phaseCounts(ex *evidence.Execution) string {
	var all []*evidence.Node
	ex.Walk(func(path []evidence.Step) bool {
		all = append(all, path[len(path)-1].Node)
		return true
	})
	if len(all) == 0 {
		return "none listed"
	}
	return countPhases(all, func(*evidence.Node) bool { return false })
}

// countPhases counts the nodes that show rejects, by phase, in a fixed order.
func countPhases(nodes []*evidence.Node, show func(*evidence.Node) bool) string {
	counts := map[string]int{}
	for _, n := range nodes {
		if !show(n) {
			counts[n.Phase]++
		}
	}
	order := []string{"SUCCEEDED", "RECOVERED", "SKIPPED", "QUEUED", "RUNNING", "DYNAMIC_RUNNING", "FAILING", "FAILED", "TIMED_OUT", "ABORTED", "UNDEFINED"}
	var parts []string
	for _, p := range order {
		if counts[p] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", counts[p], strings.ToLower(p)))
			delete(counts, p)
		}
	}
	rest := make([]string, 0, len(counts))
	for p, c := range counts {
		rest = append(rest, fmt.Sprintf("%d %s", c, strings.ToLower(p)))
	}
	sort.Strings(rest)
	return strings.Join(append(parts, rest...), ", ")
}

func sameError(a, b *evidence.ExecutionError) bool {
	return b != nil && a.Code == b.Code && a.Message == b.Message
}

// errorHead is "KIND  CODE", leaving out an UNKNOWN kind (array-node summaries carry one).
func errorHead(e *evidence.ExecutionError) string {
	kind := e.Kind
	if kind == "UNKNOWN" {
		kind = ""
	}
	return joinNonEmpty("  ", kind, e.Code)
}

func roundDuration(d time.Duration) string {
	switch {
	case d >= time.Minute:
		return d.Round(time.Second).String()
	case d >= time.Second:
		return d.Round(100 * time.Millisecond).String()
	default:
		return d.Round(time.Millisecond).String()
	}
}
