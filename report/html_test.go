package report

import (
	"bytes"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/flytedoctor/flytedoctor/collectors/evidence"
	"github.com/flytedoctor/flytedoctor/rules"
)

// hostileHTMLReport is hostileReport with what else a page could be made to load or run
// from: a log link and a docs URL with script in them, and times, so the attempt has a bar.
func hostileHTMLReport() *Report {
	r := hostileReport()
	ex := r.Snapshot.Execution
	t0 := ex.StartedAt
	n := ex.Nodes[0]
	n.StartedAt, n.UpdatedAt = t0.Add(5*time.Second), t0.Add(85*time.Second)
	a := n.Attempts[0]
	a.CreatedAt, a.StartedAt, a.UpdatedAt = t0.Add(5*time.Second), t0.Add(15*time.Second), t0.Add(85*time.Second)
	a.Reasons = []evidence.Reason{{OccurredAt: t0.Add(6 * time.Second), Message: "Unschedulable: <img src=x onerror=alert(2)>"}}
	a.Logs = []evidence.TaskLog{{Name: `<b onmouseover="alert(3)">logs</b>`, URI: "javascript:alert(4)"}, {Name: "ok", URI: `https://logs.example/x?a=1&b="><script>alert(5)</script>`}}
	r.Findings[0].DocsURL = "javascript:alert(6)"
	r.Snapshot.CollectedAt = t0.Add(2 * time.Minute)
	return r
}

func parseHTML(t *testing.T, b []byte) *html.Node {
	t.Helper()
	doc, err := html.Parse(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

func walkHTML(n *html.Node, fn func(*html.Node)) {
	fn(n)
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		walkHTML(c, fn)
	}
}

func attr(n *html.Node, key string) (string, bool) {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val, true
		}
	}
	return "", false
}

func hasClass(n *html.Node, class string) bool {
	v, _ := attr(n, "class")
	for _, c := range strings.Fields(v) {
		if c == class {
			return true
		}
	}
	return false
}

func textOf(n *html.Node) string {
	var b strings.Builder
	walkHTML(n, func(c *html.Node) {
		if c.Type == html.TextNode {
			b.WriteString(c.Data)
		}
	})
	return b.String()
}

// What the execution says reaches the page as text: no element, attribute or URL of it
// becomes markup, and the text reads as it was written.
func TestHTMLEscapesWhatTheExecutionSays(t *testing.T) {
	r := hostileHTMLReport()
	out := render(t, "html", []*Report{r}, Options{Titles: []string{"<i>title</i>"}})
	var summaries []string
	walkHTML(parseHTML(t, out), func(n *html.Node) {
		if n.Type != html.ElementNode {
			return
		}
		switch n.Data {
		case "script", "img", "iframe", "object", "embed", "b", "i":
			t.Errorf("the page has a <%s> element", n.Data)
		}
		for _, a := range n.Attr {
			if strings.HasPrefix(a.Key, "on") {
				t.Errorf("<%s> has an event handler %s=%q", n.Data, a.Key, a.Val)
			}
			if (a.Key == "href" || a.Key == "src") && !strings.HasPrefix(a.Val, "https://") && !strings.HasPrefix(a.Val, "#") && a.Val != "data:," {
				t.Errorf("<%s %s=%q>: only https links and anchors may be on the page", n.Data, a.Key, a.Val)
			}
		}
		if hasClass(n, "summary") {
			summaries = append(summaries, textOf(n))
		}
	})
	if len(summaries) != 2 || summaries[0] != hostileSummary {
		t.Errorf("summaries on the page %q, want %q first", summaries, hostileSummary)
	}
	for _, want := range []string{"&lt;img src=x onerror=alert(2)&gt;", "&lt;b onmouseover=&#34;alert(3)&#34;&gt;logs&lt;/b&gt;", "&lt;i&gt;title&lt;/i&gt;",
		"https://logs.example/x?a=1&amp;b=%22%3e%3cscript%3ealert%285%29%3c/script%3e"} {
		if !bytes.Contains(out, []byte(want)) {
			t.Errorf("the page lacks %s", want)
		}
	}
	// The error's control characters and invalid UTF-8 are replaced, the rest kept.
	if bytes.ContainsAny(out, "\x1b\x00\r") || !bytes.Contains(out, []byte("\uFFFD[31mred")) || !bytes.Contains(out, []byte("nul and \uFFFD bad")) {
		t.Errorf("control characters reach the page, or the text around them does not")
	}
}

// timelineSnapshot is an execution with known times: n0's attempt 0 is queued 10 s, waits
// for resources 50 s, initializes 20 s, runs 20 s and fails; Flyte retries 20 s later, and
// attempt 1 runs 80 s and succeeds: 200 s from the execution's start, collected after.
func timelineSnapshot(children int) *evidence.Snapshot {
	t0 := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	a0 := &evidence.TaskAttempt{RetryAttempt: 0, Phase: "FAILED", CreatedAt: at(0), StartedAt: at(80), UpdatedAt: at(100),
		Reasons: []evidence.Reason{
			{OccurredAt: at(10), Message: "Unschedulable: 0/3 nodes are available: 3 Insufficient nvidia.com/gpu."},
			{OccurredAt: at(60), Message: "[ContainersNotReady|ContainerCreating]: containers with unready status: [x]"},
		}}
	a1 := &evidence.TaskAttempt{RetryAttempt: 1, Phase: "SUCCEEDED", CreatedAt: at(120), StartedAt: at(120), UpdatedAt: at(200)}
	n0 := &evidence.Node{ID: "n0", Phase: "SUCCEEDED", Kind: evidence.KindTask, CreatedAt: at(0), StartedAt: at(0), UpdatedAt: at(200),
		Attempts: []*evidence.TaskAttempt{a0, a1}}
	n1 := &evidence.Node{ID: "n1", Phase: "FAILED", Kind: evidence.KindDynamic, IsParent: true, ChildrenCollected: true,
		StartedAt: at(0), UpdatedAt: at(150)}
	for i := range children {
		c := &evidence.Node{ID: fmt.Sprintf("n1-0-dn%d", i), SpecNodeID: fmt.Sprintf("dn%d", i), Phase: "SUCCEEDED", Kind: evidence.KindTask,
			StartedAt: at(10), UpdatedAt: at(20)}
		if i == 3 {
			c.Phase = "FAILED"
			c.Attempts = []*evidence.TaskAttempt{{Phase: "FAILED"}} // no times at all
		}
		n1.Children = append(n1.Children, c)
	}
	ex := &evidence.Execution{ID: evidence.ExecutionID{Project: "p", Domain: "d", Name: "tl"}, Phase: "FAILED",
		StartedAt: at(0), UpdatedAt: at(200), Nodes: []*evidence.Node{n0, n1}}
	return &evidence.Snapshot{SchemaVersion: evidence.SchemaVersion, CollectedAt: at(300), Target: ex.ID, Execution: ex}
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

// The timeline puts evidence.Index.Timeline's spans on one axis: bars where the attempts
// were, segments in proportion, the retry's wait in the bar of the attempt that failed.
func TestHTMLTimelineLayout(t *testing.T) {
	tl := newTimeline(timelineSnapshot(4))
	if tl.Untimed || tl.From != "12:00:00" || tl.To != "12:03:20 UTC" || tl.Span != "3m20s" || tl.Attempts != 3 {
		t.Fatalf("axis %s..%s (%s), %d attempts", tl.From, tl.To, tl.Span, tl.Attempts)
	}
	var labels []string
	for _, tk := range tl.Ticks {
		labels = append(labels, fmt.Sprintf("%s@%.1f", tk.Label, tk.Left))
	}
	if got := strings.Join(labels, " "); got != "0@0.0 +30s@15.0 +1m@30.0 +1m30s@45.0 +2m@60.0 +2m30s@75.0 +3m@90.0" {
		t.Errorf("ticks %s", got)
	}
	var rows []string
	for _, r := range tl.Rows {
		rows = append(rows, fmt.Sprintf("%s %s", r.Kind, r.Label))
	}
	if got := strings.Join(rows, ", "); got != "node n0, attempt attempt 0, attempt attempt 1, node n1, node n1-0-dn0, node n1-0-dn1, node n1-0-dn2, node n1-0-dn3, attempt attempt 0" {
		t.Errorf("rows %s", got)
	}
	a0, a1 := tl.Rows[1], tl.Rows[2]
	// Attempt 0: 0..100 s and the 20 s until attempt 1, of 200 s.
	if !a0.Timed || !near(a0.Left, 0) || !near(a0.Width, 60) {
		t.Errorf("attempt 0 bar at %.2f%% width %.2f%%, want 0 and 60", a0.Left, a0.Width)
	}
	var segs []string
	for _, s := range a0.Segments {
		segs = append(segs, fmt.Sprintf("%s %.2f+%.2f", s.State, s.Left, s.Width))
	}
	// Of the bar's 120 s: queued 10, waiting 50, initializing 20, running 20, retrying 20.
	if got := strings.Join(segs, ", "); got != "queued 0.00+8.33, waiting-for-resources 8.33+41.67, initializing 50.00+16.67, running 66.67+16.67, retrying 83.33+16.67" {
		t.Errorf("attempt 0 segments %s", got)
	}
	if !strings.Contains(a0.Segments[1].Title, "Insufficient nvidia.com/gpu") || a0.Took != "1m40s" {
		t.Errorf("waiting segment says %q; took %s", a0.Segments[1].Title, a0.Took)
	}
	if !near(a1.Left, 60) || !near(a1.Width, 40) || len(a1.Segments) != 1 || a1.Segments[0].State != "running" || a1.Line != "running 1m20s · SUCCEEDED" {
		t.Errorf("attempt 1 %+v", a1)
	}
	if untimed := tl.Rows[8]; untimed.Kind != "attempt" || untimed.Timed || untimed.Line != "no timestamps · FAILED" {
		t.Errorf("an attempt without times: %+v", untimed)
	}
	// The rendered page has one bar per attempt; the untimed one says so.
	out := render(t, "html", []*Report{New(timelineSnapshot(4), &rules.Result{})}, Options{})
	bars, untimed := 0, 0
	walkHTML(parseHTML(t, out), func(n *html.Node) {
		if n.Type == html.ElementNode && hasClass(n, "bar") && hasClass(n, "attempt") {
			bars++
			if hasClass(n, "untimed") {
				untimed++
			}
		}
	})
	if bars != 3 || untimed != 1 {
		t.Errorf("%d attempt bars (%d untimed), want 3 (1)", bars, untimed)
	}
}

// In a long list of siblings only the nodes with something to show get a row; a line counts
// the others. A short list is drawn whole.
func TestHTMLTimelineFoldsLongLists(t *testing.T) {
	for _, c := range []struct {
		children int
		rows     int
		fold     string
	}{
		{children: maxPlainSiblings, rows: 4 + maxPlainSiblings + 1},
		{children: 1000, rows: 4 + 1 + 1 + 1, fold: "999 of 1000 children of n1 not drawn: 999 succeeded"},
	} {
		tl := newTimeline(timelineSnapshot(c.children))
		var folds []string
		for _, r := range tl.Rows {
			if r.Kind == "fold" {
				folds = append(folds, r.Label)
			}
		}
		if len(tl.Rows) != c.rows || strings.Join(folds, "") != c.fold || tl.Attempts != 3 {
			t.Errorf("%d children: %d rows, folds %q, %d attempts; want %d rows, fold %q", c.children, len(tl.Rows), folds, tl.Attempts, c.rows, c.fold)
		}
	}
}

// A page without any time has no axis, says so, and still lists each attempt.
func TestHTMLTimelineWithoutTimes(t *testing.T) {
	snap := timelineSnapshot(0)
	snap.Execution.Walk(func(path []evidence.Step) bool {
		n := path[len(path)-1].Node
		n.CreatedAt, n.StartedAt, n.UpdatedAt = time.Time{}, time.Time{}, time.Time{}
		for _, a := range n.Attempts {
			a.CreatedAt, a.StartedAt, a.UpdatedAt, a.Reasons = time.Time{}, time.Time{}, time.Time{}, nil
		}
		return true
	})
	snap.Execution.StartedAt, snap.Execution.UpdatedAt = time.Time{}, time.Time{}
	tl := newTimeline(snap)
	if !tl.Untimed || len(tl.Ticks) != 0 || tl.Attempts != 2 {
		t.Fatalf("untimed %v, %d ticks, %d attempts", tl.Untimed, len(tl.Ticks), tl.Attempts)
	}
	out := string(render(t, "html", []*Report{New(snap, &rules.Result{})}, Options{}))
	if !strings.Contains(out, "No timestamps were collected") || strings.Count(out, `class="bar attempt untimed`) != 2 {
		t.Errorf("an untimed page:\n%s", out)
	}
}
