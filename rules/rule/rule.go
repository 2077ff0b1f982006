package rule

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/flytedoctor/flytedoctor/collectors/evidence"
)

// Severity of a finding.
type Severity int

// Severities, in increasing order.
const (
	Info Severity = iota
	Warning
	Error
)

func (s Severity) String() string {
	switch s {
	case Error:
		return "error"
	case Warning:
		return "warning"
	}
	return "info"
}

// MarshalJSON writes the severity's name.
func (s Severity) MarshalJSON() ([]byte, error) { return json.Marshal(s.String()) }

// UnmarshalJSON reads a severity's name.
func (s *Severity) UnmarshalJSON(b []byte) error {
	var v string
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	p, err := ParseSeverity(v)
	*s = p
	return err
}

// ParseSeverity reads "error", "warning" or "info".
func ParseSeverity(v string) (Severity, error) {
	switch v {
	case "error":
		return Error, nil
	case "warning":
		return Warning, nil
	case "info":
		return Info, nil
	}
	return Info, fmt.Errorf("unknown severity %q: use error, warning or info", v)
}

const CatImagePull = "image-pull"

const CatResourcePending = "resource-pending"

const CatStoragePermission = "storage-permission"

const CatOutOfMemory = "out-of-memory"

const CatConfigError = "config-error"

const CatUserCode = "user-code"

const CatTimeout = "timeout"

const CatInterrupted = "interrupted"

const CatSystem = "system"

const CatAborted = "aborted"

const CatCollection = "collection"

// Categories lists every category, in the order reports group them.
var Categories = []string{CatImagePull, CatResourcePending, CatStoragePermission, CatOutOfMemory,
	CatConfigError, CatUserCode, CatTimeout, CatInterrupted, CatSystem, CatAborted, CatCollection}

// Evidence names a layer of evidence a rule reads, as collected by one collector.
type Evidence string

// Evidence layers.
const (
	Admin   Evidence = "admin"   // Flyte Admin: the execution, nodes, attempts, errors
	Kube    Evidence = "kube"    // Kubernetes: pods, events, nodes, quotas, limit ranges
	Storage Evidence = "storage" // S3 probes of the execution's data paths
)

// EvidenceLayers lists every layer, in the order docs print them.
var EvidenceLayers = []Evidence{Admin, Kube, Storage}

// Collector is the name of the collector record that says whether e was collected.
func (e Evidence) Collector() string {
	switch e {
	case Admin:
		return evidence.CollectorAdmin
	case Kube:
		return evidence.CollectorKube
	case Storage:
		return evidence.CollectorStorage
	}
	return ""
}

// Title is how reports name the layer: "Kubernetes evidence was not collected".
func (e Evidence) Title() string {
	switch e {
	case Admin:
		return "Flyte Admin"
	case Kube:
		return "Kubernetes"
	case Storage:
		return "Storage (S3)"
	}
	return string(e)
}

// Scope says where the engine runs a rule.
type Scope int

const (
	// PerSite rules run once for each place where something went wrong (the default):
	// Pass.Site is that place.
	PerSite Scope = iota
	// WholeSnapshot rules run once and look at the snapshot as a whole: Pass.Site is nil.
	WholeSnapshot
)

func (s Scope) String() string {
	switch s {
	case PerSite:
		return "per-site"
	case WholeSnapshot:
		return "whole-snapshot"
	}
	return fmt.Sprintf("Scope(%d)", int(s))
}

// Rule is one classification.
type Rule struct {
	ID       string // "FD1001": FD + category digit + number; never reused
	Name     string // short kebab-case name
	Title    string // one line, no trailing period
	Category string
	// Causes are the cause slugs the rule may report; the first is its usual one.
	Causes   []string
	Severity Severity
	// Requires is the evidence without which the rule cannot fire: when a collector did not
	// collect it (skipped, failed), the engine does not run the rule and reports it as not
	// evaluated, instead of letting it look quiet.
	Requires []Evidence
	// Reads is evidence the rule also uses when it is there, but can do without.
	Reads []Evidence
	// Doc says why the rule fires and what it means in Flyte, in prose.
	Doc string
	// Fixes are the rule's default fixes; a hit may replace them with concrete ones.
	Fixes []Fix
	// Fallback rules fire only where no other rule classified the site.
	Fallback bool
	// Supersedes names rules this one explains better: where both match one place, the
	// engine drops their hits. Precedence lives here, not in a rule testing another's matcher.
	Supersedes []string
	// Scope says whether Run sees one place at a time or the whole snapshot.
	Scope Scope
	// Run classifies what the pass shows and reports what it finds with pass.Report.
	Run func(*Pass)
}

// Pass is one run of a rule: on one site (Scope PerSite) or on the whole snapshot.
type Pass struct {
	Snapshot *evidence.Snapshot
	// Site is the place being classified; nil for a WholeSnapshot rule.
	Site *Site

	hits []Hit
}

// NewPass starts a pass over snap, at site s (nil for the whole snapshot).
func NewPass(snap *evidence.Snapshot, s *Site) *Pass { return &Pass{Snapshot: snap, Site: s} }

// Report records a hit. A per-site rule usually reports at most one.
func (p *Pass) Report(h Hit) { p.hits = append(p.hits, h) }

// Hits are what the pass reported, in order.
func (p *Pass) Hits() []Hit { return p.hits }

// DocsURL is where a rule's documentation lives.
func (r *Rule) DocsURL() string {
	return "https://github.com/flytedoctor/flytedoctor/blob/main/docs/rules.md#" + strings.ToLower(r.ID)
}

// Hit is what a rule found; the engine turns it into a Finding.
type Hit struct {
	Cause   string // one of the rule's Causes; "" means Causes[0]
	Summary string
	Detail  string
	// Evidence quotes the decisive items ("event Failed on pod x: ...").
	Evidence []string
	Fixes    []Fix // nil means the rule's Fixes
	Subject  Subject
	// Severity overrides the rule's, when the hit is milder or worse than usual.
	Severity *Severity
}

// Fix is one thing to do.
type Fix struct {
	Action   string   `json:"action"` // a verb phrase
	Commands []string `json:"commands,omitempty"`
}

// Subject is what a finding is about.
type Subject struct {
	Execution string   `json:"execution,omitempty"`
	Node      string   `json:"node,omitempty"`
	Path      []string `json:"path,omitempty"` // node ids from the top, through child executions
	Attempts  []uint32 `json:"attempts,omitempty"`
	Pod       string   `json:"pod,omitempty"`
	Container string   `json:"container,omitempty"`
	Bucket    string   `json:"bucket,omitempty"`
	Key       string   `json:"key,omitempty"`
}
