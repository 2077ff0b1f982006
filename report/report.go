package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"sigs.k8s.io/yaml"

	"github.com/flytedoctor/flytedoctor/collectors/evidence"
	"github.com/flytedoctor/flytedoctor/rules"
)

// SchemaVersion identifies the report's JSON and YAML layout (docs/report.schema.json).
const SchemaVersion = "flytedoctor.report/v1"

const schemaName = "flytedoctor.report/"

// Report is what flytedoctor found about one execution: the engine's result (findings root
// cause first, suppressions, rules that failed or could not run), the metadata of the rules
// it names, and the evidence snapshot they were judged on.
type Report struct {
	SchemaVersion string `json:"schema_version"`
	// Result is embedded whole, so what the engine reports reaches every format as it is.
	rules.Result
	// Rules describes every rule the result names, by ID.
	Rules    []RuleInfo         `json:"rules"`
	Snapshot *evidence.Snapshot `json:"snapshot"`
}

// RuleInfo is what a renderer shows of a rule: a finding carries its ID, this the rest.
type RuleInfo struct {
	ID       string         `json:"id"`
	Name     string         `json:"name"`
	Title    string         `json:"title"`
	Category string         `json:"category"`
	Severity rules.Severity `json:"severity"` // the table's; a finding carries its own, re-rated
	DocsURL  string         `json:"docs_url"`
}

// New pairs a snapshot with the engine's result.
func New(snap *evidence.Snapshot, res *rules.Result) *Report {
	r := &Report{SchemaVersion: SchemaVersion, Result: *res, Snapshot: snap}
	if r.Findings == nil {
		r.Findings = []rules.Finding{}
	}
	r.Rules = ruleInfo(rules.Table(), &r.Result)
	return r
}

// ruleInfo lists, sorted by ID, the rules the result names.
func ruleInfo(table []*rules.Rule, res *rules.Result) []RuleInfo {
	var ids []string
	add := func(f rules.Finding) {
		ids = append(ids, f.RuleID)
		ids = append(ids, f.Corroborated...)
	}
	for _, f := range res.Findings {
		add(f)
	}
	for _, s := range res.Suppressed {
		add(s.Finding)
	}
	for _, f := range res.Failed {
		ids = append(ids, f.RuleID)
	}
	slices.Sort(ids)
	out := []RuleInfo{}
	for _, id := range slices.Compact(ids) {
		if r := rules.Lookup(table, id); r != nil {
			out = append(out, RuleInfo{ID: r.ID, Name: r.Name, Title: r.Title, Category: string(r.Category), Severity: r.Severity, DocsURL: r.DocsURL()})
		}
	}
	return out
}

// Split parts the findings into root causes and the rest, each in the engine's order: every
// format leads with the root causes.
func (r *Report) Split() (roots, rest []rules.Finding) {
	for _, f := range r.Findings {
		if f.RootCause {
			roots = append(roots, f)
		} else {
			rest = append(rest, f)
		}
	}
	return roots, rest
}

// Rule is the metadata of rule id, or nil when the report does not name it.
func (r *Report) Rule(id string) *RuleInfo {
	for i := range r.Rules {
		if r.Rules[i].ID == id {
			return &r.Rules[i]
		}
	}
	return nil
}

// Read decodes a report written as JSON or YAML (-o json, -o yaml). Its schema version and
// its snapshot's are checked as evidence.Read checks a snapshot's: another major version is
// an error naming both, a newer minor reads with a warning.
func Read(r io.Reader) (*Report, []string, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, nil, fmt.Errorf("cannot read the report: %w", err)
	}
	return Decode(data)
}

// Decode is Read on a document already in memory.
func Decode(data []byte) (*Report, []string, error) {
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) == 0 {
		return nil, nil, errors.New("not a flytedoctor report: the document is empty")
	}
	if trimmed[0] != '{' { // YAML: the same schema, through JSON
		j, err := yaml.YAMLToJSON(data)
		if err != nil {
			return nil, nil, fmt.Errorf("not a flytedoctor report: neither JSON nor YAML: %s", strings.TrimPrefix(err.Error(), "error converting YAML to JSON: "))
		}
		data = j
	}
	var head struct {
		SchemaVersion *string `json:"schema_version"`
	}
	if err := json.NewDecoder(bytes.NewReader(data)).Decode(&head); err != nil {
		return nil, nil, fmt.Errorf("not a flytedoctor report: %v", err)
	}
	if head.SchemaVersion == nil {
		return nil, nil, errors.New("not a flytedoctor report: it has no schema_version")
	}
	if strings.HasPrefix(*head.SchemaVersion, "flytedoctor.evidence/") {
		return nil, nil, errors.New("this is an evidence snapshot, not a report: it has no findings (read it as a snapshot)")
	}
	warn, err := evidence.CheckVersion(*head.SchemaVersion, SchemaVersion, schemaName)
	if err != nil {
		return nil, nil, err
	}
	var warnings []string
	if warn != "" {
		warnings = append(warnings, warn)
	}
	// The snapshot is kept raw here and read by evidence.Decode, which checks its version.
	var doc struct {
		*Report
		Snapshot json.RawMessage `json:"snapshot"`
	}
	decode := func(strict bool) error {
		doc.Report = &Report{}
		dec := json.NewDecoder(bytes.NewReader(data))
		if strict {
			dec.DisallowUnknownFields()
		}
		return dec.Decode(&doc)
	}
	err = decode(warn == "")
	if err != nil && warn == "" && strings.HasPrefix(err.Error(), "json: unknown field ") {
		warnings = append(warnings, "report has "+strings.TrimPrefix(err.Error(), "json: ")+" (written by another flytedoctor?); it is ignored")
		err = decode(false)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("cannot decode the report: %v", strings.TrimPrefix(err.Error(), "json: "))
	}
	if len(doc.Snapshot) == 0 || string(doc.Snapshot) == "null" {
		return nil, nil, errors.New("cannot decode the report: it has no snapshot")
	}
	snap, swarn, err := evidence.Decode(doc.Snapshot)
	if err != nil {
		return nil, nil, fmt.Errorf("the report's snapshot: %w", err)
	}
	for _, w := range swarn {
		warnings = append(warnings, "the report's snapshot: "+w)
	}
	rep := doc.Report
	rep.Snapshot = snap
	return rep, warnings, nil
}
