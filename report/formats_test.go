package report

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/flytedoctor/flytedoctor/collectors/evidence"
	"github.com/flytedoctor/flytedoctor/rules"
)

// ext is each format's golden file extension; a format without one fails TestFormatGoldens.
var ext = map[string]string{"text": "txt", "json": "json", "yaml": "yaml", "markdown": "md", "junit": "xml"}

// inputNames are the shared inputs: demo snapshots saved by cmd/internal/cli's
// TestReportInputsAreDemoSnapshots.
func inputNames(t testing.TB) []string {
	t.Helper()
	paths, _ := filepath.Glob("testdata/inputs/*.json")
	var names []string
	for _, p := range paths {
		names = append(names, strings.TrimSuffix(filepath.Base(p), ".json"))
	}
	for _, want := range []string{"image-pull", "unschedulable", "storage-permission", "dynamic-fanout", "healthy"} {
		found := false
		for _, n := range names {
			found = found || n == want
		}
		if !found {
			t.Fatalf("no shared input %s in testdata/inputs", want)
		}
	}
	return names
}

// input is the report of a shared input: the saved snapshot, judged by today's rules.
func input(t testing.TB, name string) *Report {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "inputs", name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	snap, warnings, err := evidence.Read(f)
	if err != nil || len(warnings) > 0 {
		t.Fatalf("%s: %v %q", name, err, warnings)
	}
	return New(snap, rules.Run(snap, rules.Table(), rules.Config{}))
}

func render(t testing.TB, format string, reports []*Report, o Options) []byte {
	t.Helper()
	r, err := Lookup(format)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := r.Render(&b, reports, o); err != nil {
		t.Fatalf("%s: %v", format, err)
	}
	return b.Bytes()
}

// Every format of every shared input, against its golden (go test ./report -update).
func TestFormatGoldens(t *testing.T) {
	for _, name := range inputNames(t) {
		r := input(t, name)
		for _, format := range Names() {
			e, ok := ext[format]
			if !ok {
				t.Fatalf("format %s has no golden extension", format)
			}
			golden(t, filepath.Join("golden", name+"."+e), render(t, format, []*Report{r}, Options{}))
		}
	}
}

// Several reports (the demo) make a stream of documents in JSON and YAML, and one document
// in the others.
func TestSeveralReports(t *testing.T) {
	var reports []*Report
	var titles []string
	for _, name := range inputNames(t) {
		reports = append(reports, input(t, name))
		titles = append(titles, "scenario "+name)
	}
	dec := json.NewDecoder(bytes.NewReader(render(t, "json", reports, Options{})))
	for i := range reports {
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			t.Fatalf("JSON document %d: %v", i, err)
		}
		if _, _, err := Decode(raw); err != nil {
			t.Fatalf("JSON document %d: %v", i, err)
		}
	}
	if err := dec.Decode(new(json.RawMessage)); err != io.EOF {
		t.Fatalf("more JSON documents than reports: %v", err)
	}
	docs := strings.Split(string(render(t, "yaml", reports, Options{})), "\n---\n")
	if len(docs) != len(reports) {
		t.Fatalf("%d YAML documents for %d reports", len(docs), len(reports))
	}
	for i, d := range docs {
		back, _, err := Decode([]byte(d))
		if err != nil || back.Snapshot.Target != reports[i].Snapshot.Target {
			t.Fatalf("YAML document %d: %v", i, err)
		}
	}
	suites := parseJUnit(t, render(t, "junit", reports, Options{}))
	if len(suites.Suites) != len(reports) {
		t.Fatalf("%d test suites for %d reports", len(suites.Suites), len(reports))
	}
	md := string(render(t, "markdown", reports, Options{Titles: titles}))
	text := string(render(t, "text", reports, Options{Titles: titles}))
	for i, title := range titles {
		if !strings.Contains(md, "\n## "+strings.ReplaceAll(title, "-", "-")+"\n") && !strings.HasPrefix(md, "## "+title+"\n") {
			t.Errorf("markdown has no heading for %s", title)
		}
		if !strings.Contains(text, "━━ "+title+" ━━  flytedoctor "+reports[i].Snapshot.Target.String()+"\n") {
			t.Errorf("text has no banner for %s", title)
		}
	}
}
