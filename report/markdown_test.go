package report

import (
	"bytes"
	"html"
	"regexp"
	"strings"
	"testing"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
	gmhtml "github.com/yuin/goldmark/renderer/html"
)

// gfm renders Markdown as GitHub does (CommonMark with GFM tables, strikethrough, autolinks
// and task lists), raw HTML passed through as GitHub passes the tags it allows.
func gfm(t *testing.T, md []byte) string {
	t.Helper()
	var b bytes.Buffer
	if err := goldmark.New(goldmark.WithExtensions(extension.GFM), goldmark.WithRendererOptions(gmhtml.WithUnsafe())).Convert(md, &b); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

var (
	autolinkRe = regexp.MustCompile(`<a href="(https?://[^"]*)">(?:https?://[^<]*)</a>`)
	rowRe      = regexp.MustCompile(`(?s)<tr>(.*?)</tr>`)
	cellRe     = regexp.MustCompile(`(?s)<t[hd][^>]*>(.*?)</t[hd]>`)
)

// tableRows are the cells of the first table's rows, header first.
func tableRows(h string) [][]string {
	start, end := strings.Index(h, "<table>"), strings.Index(h, "</table>")
	if start < 0 || end < start {
		return nil
	}
	var rows [][]string
	for _, r := range rowRe.FindAllStringSubmatch(h[start:end], -1) {
		var cells []string
		for _, c := range cellRe.FindAllStringSubmatch(r[1], -1) {
			cells = append(cells, c[1])
		}
		rows = append(rows, cells)
	}
	return rows
}

// Hostile messages stay text: the table keeps its five columns, nothing becomes markup,
// code blocks are not closed early, and the text reads as it was written.
func TestMarkdownEscapesHostileMessages(t *testing.T) {
	md := render(t, "markdown", []*Report{hostileReport()}, Options{})
	h := gfm(t, md)
	// GitHub links a URL wherever it stands, as goldmark's autolinks do; the link syntax
	// around it stays text.
	h = autolinkRe.ReplaceAllString(h, "$1")
	rows := tableRows(h)
	if len(rows) != 2 {
		t.Fatalf("table has %d rows, want a header and one row:\n%s", len(rows), md)
	}
	for i, r := range rows {
		if len(r) != 5 {
			t.Errorf("row %d has %d cells: %q", i, len(r), r)
		}
	}
	// The summary reads whole in its cell and in its heading: each character as written, the
	// line break as <br>.
	want := html.EscapeString(strings.ReplaceAll(hostileSummary, "\n", "\x00"))
	want = strings.ReplaceAll(want, "\x00", "<br>")
	if !strings.Contains(rows[1][2], want) {
		t.Errorf("summary cell\n%s\nwant it to contain\n%s", rows[1][2], want)
	}
	if !strings.Contains(h, "<h4>❌ FD5101: "+want+"</h4>") {
		t.Errorf("no heading with the summary as text")
	}
	for _, bad := range []string{"<script", "<img", "<b>", "<em>", "<del>", ">link</a>", "<h1", "<blockquote>", "<ol start", "<summary>x"} {
		if strings.Contains(h, bad) {
			t.Errorf("a message became markup: %q in\n%s", bad, h)
		}
	}
	for _, e := range hostileEvidence {
		if !strings.Contains(h, "<li>"+html.EscapeString(e)+"</li>") {
			t.Errorf("evidence %q is not one plain list item", e)
		}
	}
	// Our own markup only: two folds, one fence per code block closing where it should.
	if n := strings.Count(h, "<details>"); n != 2 || strings.Count(h, "</details>") != 2 {
		t.Errorf("%d <details>, %d </details>: a message closed one", n, strings.Count(h, "</details>"))
	}
	if !strings.Contains(h, html.EscapeString("error with ``` and </details> and <summary>x</summary> ]]>")) {
		t.Errorf("the failing path lost the node's error as it was written")
	}
	if !strings.Contains(h, html.EscapeString(hostileDetail)) {
		t.Errorf("the detail is not one code block with its text whole")
	}
	if !strings.Contains(h, "<code class=\"language-sh\">echo '```' | cat\nprintf '&lt;b&gt;|&lt;/b&gt;'\n</code>") {
		t.Errorf("the fix's commands are not one sh block:\n%s", h)
	}
	if !strings.Contains(h, "<li>run `rm -rf /` | never *now*") {
		t.Errorf("the fix's action is not plain text")
	}
	if strings.ContainsRune(string(md), 0x1b) || strings.ContainsRune(string(md), 0) {
		t.Errorf("control characters reached the Markdown")
	}
}

// The demo scenarios' Markdown: one table row per failing place, every rule linked to its
// docs, the failing path folded.
func TestMarkdownSummaryTable(t *testing.T) {
	for _, name := range inputNames(t) {
		r := input(t, name)
		h := gfm(t, render(t, "markdown", []*Report{r}, Options{}))
		rows := tableRows(h)
		roots := 0
		for _, f := range r.Findings {
			if f.RootCause {
				roots++
			}
		}
		if want := max(roots, 1) + 1; len(rows) != want {
			t.Errorf("%s: %d table rows, want %d", name, len(rows), want)
			continue
		}
		if strings.Join(rows[0], "|") != "Execution|Phase|Root cause|Rule|Where" {
			t.Errorf("%s: header %q", name, rows[0])
		}
		for i, f := range r.Findings[:roots] {
			row := rows[i+1]
			if row[0] != r.Snapshot.Target.String() || row[1] != r.Snapshot.Execution.Phase ||
				!strings.Contains(row[3], `<a href="`+r.Rule(f.RuleID).DocsURL+`">`+f.RuleID+`</a>`) {
				t.Errorf("%s: row %q for %s", name, row, f.RuleID)
			}
		}
		if roots == 0 && rows[1][2] != "no problem found" {
			t.Errorf("%s: %q", name, rows[1])
		}
		if !strings.Contains(h, "<details>\n<summary>") {
			t.Errorf("%s: nothing folded", name)
		}
	}
}
