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
		return "flyteadmin"
	case Kube:
		return "kube"
	case Storage:
		return "s3"
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

// Rule is one classification. Exactly one of Site and Global is set.
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
	// Site classifies one place where something went wrong.
	Site func(*Site) *Hit
	// Global looks at the snapshot as a whole.
	Global func(*evidence.Snapshot) []Hit
}

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
