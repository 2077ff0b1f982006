package report

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/flytedoctor/flytedoctor/collectors/evidence"
	"github.com/flytedoctor/flytedoctor/rules"
)

func sampleReport(t testing.TB) *Report {
	t.Helper()
	snap := imagePullWithKube()
	snap.Execution.Duration = evidence.Duration(3*time.Minute + 49*time.Second)
	res := rules.Run(snap, rules.Table(), rules.Config{Disabled: map[string]string{"FD1007": "known registry outage"}})
	if len(res.Findings) == 0 {
		t.Fatal("the sample has no findings")
	}
	return New(snap, res)
}

func encodeJSON(t testing.TB, r *Report) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := WriteJSON(&b, r); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// -o json and -o yaml read back to the report that was written.
func TestReadWhatJSONAndYAMLWrote(t *testing.T) {
	r := sampleReport(t)
	want := encodeJSON(t, r)
	var y bytes.Buffer
	if err := WriteYAML(&y, r); err != nil {
		t.Fatal(err)
	}
	for name, doc := range map[string][]byte{"json": want, "yaml": y.Bytes()} {
		back, warnings, err := Read(bytes.NewReader(doc))
		if err != nil || len(warnings) > 0 {
			t.Fatalf("%s: %v %q", name, err, warnings)
		}
		if got := encodeJSON(t, back); !bytes.Equal(got, want) {
			t.Errorf("%s read back differs:\ngot  %.300s\nwant %.300s", name, got, want)
		}
	}
}

func TestReportCarriesTheRulesItNames(t *testing.T) {
	r := sampleReport(t)
	var named []string
	for _, f := range r.Findings {
		named = append(named, f.RuleID)
		named = append(named, f.Corroborated...)
	}
	for _, s := range r.Suppressed {
		named = append(named, s.Finding.RuleID)
	}
	if len(r.Suppressed) == 0 {
		t.Fatal("the sample has no suppressed finding; FD1007 was meant to be")
	}
	for _, id := range named {
		info := r.Rule(id)
		if info == nil || info.Title == "" || !strings.HasSuffix(info.DocsURL, "#"+strings.ToLower(id)) || info.Category == "" {
			t.Errorf("rule %s: %+v", id, info)
		}
	}
	if !slices.IsSortedFunc(r.Rules, func(a, b RuleInfo) int { return strings.Compare(a.ID, b.ID) }) {
		t.Errorf("rules not sorted by ID: %+v", r.Rules)
	}
	for _, info := range r.Rules {
		if !slices.Contains(named, info.ID) {
			t.Errorf("rule %s is listed but named nowhere", info.ID)
		}
	}
}

// The report's keys: its own, the engine's result as the engine names them, the snapshot as
// a field of its own.
func TestReportJSONLayout(t *testing.T) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(encodeJSON(t, sampleReport(t)), &top); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"schema_version", "findings", "suppressed", "rules", "snapshot"} {
		if _, ok := top[k]; !ok {
			t.Errorf("no %q key: %v", k, keys(top))
		}
	}
	for _, k := range []string{"execution", "collection", "report_version"} {
		if _, ok := top[k]; ok {
			t.Errorf("%q is at the top; the snapshot is a field of its own", k)
		}
	}
	if string(top["schema_version"]) != `"flytedoctor.report/v1"` {
		t.Errorf("schema_version %s", top["schema_version"])
	}
}

func keys(m map[string]json.RawMessage) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func TestReadChecksBothVersions(t *testing.T) {
	doc := string(encodeJSON(t, sampleReport(t)))
	if !strings.HasPrefix(doc, "{\n  \"schema_version\": \"flytedoctor.report/v1\",") {
		t.Fatalf("unexpected start: %.80s", doc)
	}
	withReport := func(v string) string {
		return strings.Replace(doc, `"schema_version": "flytedoctor.report/v1"`, `"schema_version": "`+v+`"`, 1)
	}
	withSnapshot := func(v string) string {
		return strings.Replace(doc, `"schema_version": "`+evidence.SchemaVersion+`"`, `"schema_version": "`+v+`"`, 1)
	}
	for _, tc := range []struct {
		name, doc, warn, err string
	}{
		{name: "current", doc: doc},
		{name: "newer minor", doc: withReport("flytedoctor.report/v1.4"), warn: "schema flytedoctor.report/v1.4 is newer than this flytedoctor's flytedoctor.report/v1"},
		{name: "newer major", doc: withReport("flytedoctor.report/v3"), err: "schema flytedoctor.report/v3 is newer than this flytedoctor reads (flytedoctor.report/v1): upgrade flytedoctor"},
		{name: "snapshot newer minor", doc: withSnapshot("flytedoctor.evidence/v1.1"), warn: "the report's snapshot: schema flytedoctor.evidence/v1.1 is newer"},
		{name: "snapshot newer major", doc: withSnapshot("flytedoctor.evidence/v2"), err: "the report's snapshot: schema flytedoctor.evidence/v2 is newer than this flytedoctor reads (flytedoctor.evidence/v1)"},
		{name: "unknown field", doc: strings.Replace(doc, `"rules": [`, `"timeline": [], "rules": [`, 1), warn: `report has unknown field "timeline"`},
		{name: "a snapshot", doc: `{"schema_version": "flytedoctor.evidence/v1", "collection": []}`, err: "this is an evidence snapshot, not a report"},
		{name: "no snapshot", doc: `{"schema_version": "flytedoctor.report/v1", "findings": []}`, err: "it has no snapshot"},
		{name: "not YAML either", doc: "- [unclosed", err: "not a flytedoctor report: neither JSON nor YAML"},
		{name: "empty", doc: "\n", err: "the document is empty"},
	} {
		r, warnings, err := Decode([]byte(tc.doc))
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s: err %v, want %q", tc.name, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		got := strings.Join(warnings, "; ")
		if (tc.warn == "") != (got == "") || !strings.Contains(got, tc.warn) {
			t.Errorf("%s: warnings %q, want %q", tc.name, got, tc.warn)
		}
		if len(r.Findings) == 0 || r.Snapshot == nil || r.Snapshot.Execution == nil {
			t.Errorf("%s: not read whole", tc.name)
		}
	}
}

// YAML says severities and durations as words, as JSON does, never as numbers.
func TestYAMLIsReadable(t *testing.T) {
	var b bytes.Buffer
	if err := WriteYAML(&b, sampleReport(t)); err != nil {
		t.Fatal(err)
	}
	y := b.String()
	for _, want := range []string{"\n    severity: error\n", "\n    duration: 3m49s\n", "schema_version: flytedoctor.report/v1\n", "\n  - rule_id: FD"} {
		if !strings.Contains(y, want) {
			t.Errorf("YAML lacks %q", want)
		}
	}
	for _, bad := range []string{"severity: 2", "severity: 1\n", "duration: 2290", "\"schema_version\"", "\"findings\": "} {
		if strings.Contains(y, bad) {
			t.Errorf("YAML has %q", bad)
		}
	}
}

func TestRegistry(t *testing.T) {
	names := Names()
	if len(names) < 3 || names[0] != "text" || names[1] != "json" {
		t.Fatalf("Names = %v", names)
	}
	seen := map[string]bool{}
	for _, r := range Renderers() {
		if seen[r.Name()] || r.Description() == "" || strings.ContainsAny(r.Name(), " ,") {
			t.Errorf("renderer %q (%q): duplicate or undescribed", r.Name(), r.Description())
		}
		seen[r.Name()] = true
		got, err := Lookup(r.Name())
		if err != nil || got.Name() != r.Name() {
			t.Errorf("Lookup(%q) = %v, %v", r.Name(), got, err)
		}
	}
	if _, err := Lookup("sarif"); err == nil || err.Error() != "use one of "+strings.Join(names, ", ") {
		t.Errorf("Lookup(sarif) = %v", err)
	}
}
