package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/flytedoctor/flytedoctor/collectors/evidence"
)

// preflightInputs are preflight snapshots saved by cmd/internal/cli's TestPreflightReportInputs:
// the demo's recording and one live run against the test stack.
var preflightInputs = []string{"demo", "live"}

func preflightReport(t testing.TB, name string) *Report {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "preflight", name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	snap, warnings, err := evidence.Read(f)
	if err != nil || len(warnings) > 0 || snap.Checks == nil {
		t.Fatalf("%s: %v %q", name, err, warnings)
	}
	r := NewPreflight(snap)
	if !r.Preflight() {
		t.Fatalf("%s is not a preflight report", name)
	}
	return r
}

// Every format of every preflight input, against its golden (go test ./report -update).
func TestPreflightGoldens(t *testing.T) {
	for _, name := range preflightInputs {
		r := preflightReport(t, name)
		for _, format := range Names() {
			e, ok := ext[format]
			if !ok {
				t.Fatalf("format %s has no golden extension", format)
			}
			golden(t, filepath.Join("golden", "preflight-"+name+"."+e), render(t, format, []*Report{r}, Options{}))
		}
	}
}

// JSON and YAML are the report schema: they read back as a preflight report with the same
// verdicts (and TestGoldensMatchTheSchema validates their goldens).
func TestPreflightReadsBack(t *testing.T) {
	for _, name := range preflightInputs {
		r := preflightReport(t, name)
		for _, format := range []string{"json", "yaml"} {
			back, warnings, err := Decode(render(t, format, []*Report{r}, Options{}))
			if err != nil || len(warnings) > 0 || !back.Preflight() {
				t.Fatalf("%s %s: %v %q", name, format, err, warnings)
			}
			if a, b := mustMarshal(t, back.Snapshot.Checks), mustMarshal(t, r.Snapshot.Checks); !bytes.Equal(a, b) {
				t.Errorf("%s %s: the checks read back differ", name, format)
			}
		}
	}
}

// One test case per check and subject: a failure for a failed check, for a warning only when
// warnings fail the run, skipped with its reason for a skipped one.
func TestPreflightJUnit(t *testing.T) {
	var docs []string
	for _, name := range preflightInputs {
		r := preflightReport(t, name)
		results := r.Snapshot.Checks.Results
		for _, warningsFail := range []bool{false, true} {
			b := render(t, "junit", []*Report{r}, Options{WarningsFail: warningsFail})
			path := filepath.Join(t.TempDir(), fmt.Sprintf("%s-%v.xml", name, warningsFail))
			if err := os.WriteFile(path, b, 0o644); err != nil {
				t.Fatal(err)
			}
			docs = append(docs, path)
			s := parseJUnit(t, b)
			cases := s.Suites[0].Cases
			if len(cases) != len(results) {
				t.Fatalf("%s: %d test cases for %d results", name, len(cases), len(results))
			}
			kinds := map[string]int{}
			for i, c := range cases {
				res := results[i]
				kinds[res.Status]++
				fails := res.Status == evidence.CheckFail || (warningsFail && res.Status == evidence.CheckWarn)
				if (c.Failure != nil) != fails || (c.Skipped != nil) != (res.Status == evidence.CheckSkip) {
					t.Errorf("%s (warnings fail: %v): %s %s is %+v", name, warningsFail, res.ID, res.Status, c)
				}
				if c.Classname != "preflight."+res.ID || !strings.HasPrefix(c.Name, res.Title+": "+res.Subject) {
					t.Errorf("%s: case %q %q for %s", name, c.Classname, c.Name, res.ID)
				}
				switch {
				case c.Failure != nil && (c.Failure.Message != res.Summary || !strings.Contains(c.Failure.Text, res.Fix)):
					t.Errorf("%s: failure of %s: %+v", name, res.ID, c.Failure)
				case c.Skipped != nil && c.Skipped.Message != res.Summary:
					t.Errorf("%s: skip of %s: %q", name, res.ID, c.Skipped.Message)
				case res.Status == evidence.CheckWarn && !warningsFail && !strings.HasPrefix(c.SystemOut, "warning: ["+res.ID+"]"):
					t.Errorf("%s: the warning %s says nothing: %q", name, res.ID, c.SystemOut)
				}
			}
			for _, st := range []string{evidence.CheckPass, evidence.CheckWarn, evidence.CheckFail, evidence.CheckSkip} {
				if kinds[st] == 0 {
					t.Errorf("%s has no %s result: the test proves less than it says", name, st)
				}
			}
		}
	}
	xmllint(t, docs...)
}

var tableRe = regexp.MustCompile(`(?s)<h3>([^<]*)</h3>\s*<table>(.*?)</table>`)

// layerTables are the rendered tables, each under its layer's heading: rows of cells.
func layerTables(h string) (layers []string, tables [][][]string) {
	for _, m := range tableRe.FindAllStringSubmatch(h, -1) {
		layers = append(layers, m[1])
		tables = append(tables, tableRows("<table>"+m[2]+"</table>"))
	}
	return layers, tables
}

// A table per layer, in the results' order: check, verdict, what, reason, fix, each result
// one row whose cells read as the result says.
func TestPreflightMarkdownTables(t *testing.T) {
	for _, name := range preflightInputs {
		r := preflightReport(t, name)
		h := gfm(t, render(t, "markdown", []*Report{r}, Options{}))
		h = autolinkRe.ReplaceAllString(h, "$1")
		layers, tables := layerTables(h)
		var rows [][]string
		for i, tb := range tables {
			if len(tb) < 2 || strings.Join(tb[0], "|") != "Check|Verdict|What|Reason|Fix" {
				t.Fatalf("%s: table %s: %q", name, layers[i], tb)
			}
			rows = append(rows, tb[1:]...)
		}
		results := r.Snapshot.Checks.Results
		if len(rows) != len(results) {
			t.Fatalf("%s: %d rows for %d results", name, len(rows), len(results))
		}
		var wantLayers []string
		for i, res := range results {
			if l := layerOf(res.ID); len(wantLayers) == 0 || wantLayers[len(wantLayers)-1] != l {
				wantLayers = append(wantLayers, l)
			}
			row := rows[i]
			if len(row) != 5 {
				t.Errorf("%s: row %d has %d cells: %q", name, i, len(row), row)
				continue
			}
			if row[0] != htmlText(res.ID+" "+res.Title) || !strings.HasSuffix(row[1], " "+verdictWord(res.Status)) ||
				!strings.HasPrefix(row[2], htmlText(res.Subject)) || row[3] != htmlText(res.Summary) ||
				(res.Fix != "" && !strings.HasPrefix(row[4], htmlText(res.Fix))) || (res.Fix == "" && len(res.Commands) == 0 && row[4] != "—") {
				t.Errorf("%s: row %q for %+v", name, row, res)
			}
			for _, c := range res.Commands {
				if !strings.Contains(row[4], "<code>"+htmlText(c)+"</code>") {
					t.Errorf("%s: %s's command %q is not one code span in %q", name, res.ID, c, row[4])
				}
			}
		}
		if strings.Join(layers, ",") != strings.Join(wantLayers, ",") {
			t.Errorf("%s: tables under %q, want %q", name, layers, wantLayers)
		}
		if !strings.Contains(h, "<summary>What was checked</summary>") {
			t.Errorf("%s: the spec is not folded", name)
		}
	}
}

// hostilePreflight is a preflight run whose names and messages try to break out of where
// each format puts them.
func hostilePreflight() *Report {
	t0 := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	spec := evidence.PreflightSpec{Project: "p", Domain: "d", Namespace: "p-d", Package: "pkg|`x`.tgz",
		Tasks: []evidence.TaskSpec{{Name: "wf.<b>t</b>", Images: []string{"reg.example/a|b:v1"}, Platform: "linux/amd64", ServiceAccount: "default"}},
		Notes: []string{"1. a note | with ``` and \x1b]0;title\x07"}}
	res := []evidence.CheckResult{
		{ID: "FDP203", Title: "the image exists in its registry", Status: evidence.CheckFail, Task: "wf.<b>t</b>", Subject: "reg.example/a|b:v1",
			Summary: hostileSummary, Detail: hostileDetail, Fix: "run `rm -rf /` | never *now*",
			Commands: []string{"echo '```' | cat", "printf '<b>|</b>' \\| x", "`start and end`"}},
		{ID: "FDP308", Title: "the requested secrets exist", Status: evidence.CheckWarn, Subject: "# heading/key", Summary: "- list\x1b[2Jclear"},
		{ID: "FDP401", Title: "the raw output bucket exists and is readable", Status: evidence.CheckSkip, Subject: "s3://b", Summary: "skipped: <img src=x onerror=alert(1)> ]]>"},
	}
	snap := &evidence.Snapshot{SchemaVersion: evidence.SchemaVersion, CollectedAt: t0, Tool: evidence.Tool{Name: "flytedoctor", Version: "test"},
		Target: evidence.ExecutionID{Project: "p", Domain: "d"}, Checks: &evidence.Checks{Spec: spec, Results: res}}
	return NewPreflight(snap)
}

// Hostile names and messages stay text: every table keeps its five columns, nothing becomes
// markup, commands read as written.
func TestPreflightMarkdownEscapesHostileText(t *testing.T) {
	r := hostilePreflight()
	md := render(t, "markdown", []*Report{r}, Options{})
	h := autolinkRe.ReplaceAllString(gfm(t, md), "$1")
	layers, tables := layerTables(h)
	if len(tables) != 3 {
		t.Fatalf("%d tables (%q), want one per layer:\n%s", len(tables), layers, md)
	}
	for i, tb := range tables {
		for _, row := range tb {
			if len(row) != 5 {
				t.Errorf("table %s: a row has %d cells: %q", layers[i], len(row), row)
			}
		}
	}
	row := tables[0][1] // Images, FDP203
	want := strings.ReplaceAll(htmlText(strings.ReplaceAll(hostileSummary, "\n", "\x00")), "\x00", "<br>")
	if !strings.HasPrefix(row[3], want) {
		t.Errorf("reason cell\n%s\nwant it to start with\n%s", row[3], want)
	}
	if row[2] != "reg.example/a|b:v1 · task wf.&lt;b&gt;t&lt;/b&gt;" {
		t.Errorf("what cell %q", row[2])
	}
	for _, c := range []string{"echo '```' | cat", "printf '&lt;b&gt;|&lt;/b&gt;' \\| x", "`start and end`"} {
		if !strings.Contains(row[4], "<code>"+c+"</code>") {
			t.Errorf("the command %q is not one code span as written in %q", c, row[4])
		}
	}
	if !strings.HasPrefix(row[4], "run `rm -rf /` | never *now*<br>") {
		t.Errorf("the fix is not plain text: %q", row[4])
	}
	for _, bad := range []string{"<script", "<img", "<b>", "<em>", "<strong>now", "<h1", "<ol", "<li>list", ">link</a>"} {
		if strings.Contains(h, bad) {
			t.Errorf("a message became markup: %q in\n%s", bad, h)
		}
	}
	if strings.ContainsAny(string(md), "\x1b\x07\x00") {
		t.Errorf("control characters reached the Markdown")
	}
}

func TestPreflightJUnitCarriesHostileText(t *testing.T) {
	r := hostilePreflight()
	b := render(t, "junit", []*Report{r}, Options{})
	s := parseJUnit(t, b)
	cases := s.Suites[0].Cases
	if len(cases) != 3 || cases[0].Failure == nil || cases[0].Failure.Message != hostileSummary || !strings.Contains(cases[0].Failure.Text, hostileDetail) ||
		cases[2].Skipped == nil || cases[2].Skipped.Message != "skipped: <img src=x onerror=alert(1)> ]]>" {
		t.Fatalf("cases %+v", cases)
	}
	path := filepath.Join(t.TempDir(), "hostile-preflight.xml")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	xmllint(t, path)
}

// What registries and servers said reaches the terminal as text, never as controls.
func TestPreflightTextIsTerminalSafe(t *testing.T) {
	text := string(render(t, "text", []*Report{hostilePreflight()}, Options{Style: NewStyle(true)}))
	if strings.Contains(text, "\x1b[2J") || strings.Contains(text, "\x1b]0;") || strings.ContainsRune(text, 0x07) {
		t.Errorf("terminal controls from a message reached the terminal:\n%q", text)
	}
	if !strings.Contains(text, "- list^[[2Jclear") {
		t.Errorf("the message is not shown in caret notation:\n%s", text)
	}
}

// The command a report names runs the same checks again; odd values are quoted.
func TestPreflightCommand(t *testing.T) {
	c := &evidence.Checks{Spec: evidence.PreflightSpec{Project: "flytesnacks", Domain: "development", WriteProbe: true,
		Skipped: map[string]string{"s3": "--skip s3", "kube": "--skip kube"},
		Tasks: []evidence.TaskSpec{{Images: []string{"ghcr.io/acme/a:v1", "b"}, Platform: "linux/arm64", ServiceAccount: "trainer",
			Requests: map[string]string{"memory": "4Gi", "cpu": "2"}, RawOutputPrefix: "s3://b/it's here",
			Secrets: []evidence.SecretRef{{Group: "g", Key: "k"}}, From: "flags"}}}}
	want := `flytedoctor preflight -p flytesnacks -d development --image ghcr.io/acme/a:v1 --image b --requests cpu=2,memory=4Gi ` +
		`--service-account trainer --raw-output-prefix 's3://b/it'\''s here' --secret g/k --platform linux/arm64 --write-probe --skip kube,s3`
	if got := PreflightCommand(c); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	c.Spec.Package = "flyte-package.tgz"
	if got := PreflightCommand(c); got != "flytedoctor preflight -p flytesnacks -d development --package flyte-package.tgz --write-probe --skip kube,s3" {
		t.Errorf("package: %s", got)
	}
}

// htmlText is s as the GFM renderer writes text: &, <, > and " escaped.
func htmlText(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;").Replace(s)
}

func mustMarshal(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The html page of a preflight run has one table row per result, coloured by its verdict,
// and its badge is the run's worst verdict.
func TestPreflightHTMLRows(t *testing.T) {
	for _, name := range preflightInputs {
		r := preflightReport(t, name)
		page := string(render(t, "html", []*Report{r}, Options{}))
		fails := 0
		for _, res := range r.Snapshot.Checks.Results {
			if res.Status == evidence.CheckFail {
				fails++
			}
		}
		if got, want := strings.Count(page, `<tr class="check `), len(r.Snapshot.Checks.Results); got != want {
			t.Errorf("%s: %d check rows, want %d", name, got, want)
		}
		if got := strings.Count(page, `<tr class="check bad">`); got != fails {
			t.Errorf("%s: %d failed rows, want %d", name, got, fails)
		}
		if fails > 0 && !strings.Contains(page, `<span class="badge bad">FAILED</span>`) {
			t.Errorf("%s: the page's badge does not say FAILED", name)
		}
		if strings.Contains(page, "No problem found") {
			t.Errorf("%s: a preflight page says no problem found", name)
		}
	}
}
