// Package bundle writes and reads flytedoctor support bundles: one tar.gz with everything a
// run read about an execution, redacted before anything is written, that another machine can
// analyze without access to the cluster.
//
// A bundle holds, under one top-level directory:
//
//	manifest.json       what is where: version, time, command line, collectors, file index, limits hit
//	snapshot.json       the evidence snapshot (flytedoctor.evidence/v1), what the rules judge
//	report.json, report.md (or report.txt)   the report of the redacted snapshot
//	redactions.json     what was removed where: rule, file, count; never the secret
//	admin/api/v1/...    the Admin responses the collector read, as protojson, at the paths of
//	                    Admin's HTTP API; admin/calls.json says which request each answered
//	kube/*.json         pods, events, nodes, quotas, limit ranges, service accounts: v1 Lists
//	logs/POD/CONTAINER.log   bounded: head and tail, the cut marked
//	storage/probes.json the storage probes and their results
//	config/flytectl-config.json  the flytectl config read, redacted
//
// Reading (Open) is hardened against hostile archives and directories: see Limits.
package bundle

import (
	"time"

	"github.com/flytedoctor/flytedoctor/collectors/evidence"
)

// SchemaVersion identifies the manifest's layout and the bundle's file layout.
const SchemaVersion = "flytedoctor.bundle/v1"

const schemaName = "flytedoctor.bundle/"

// CheckManifestVersion reads a manifest's schema version as evidence.CheckVersion does: a
// newer minor reads with a warning, another major does not.
func CheckManifestVersion(schema string) (warning string, err error) {
	return evidence.CheckVersion(schema, SchemaVersion, schemaName)
}

// Member names at the bundle's top level.
const (
	ManifestFile   = "manifest.json"
	SnapshotFile   = "snapshot.json"
	RedactionsFile = "redactions.json"
	ReportJSONFile = "report.json"
	CallsFile      = "admin/calls.json"
	ProbesFile     = "storage/probes.json"
	ConfigFile     = "config/flytectl-config.json"
)

// Kubernetes List members.
const (
	PodsFile            = "kube/pods.json"
	EventsFile          = "kube/events.json"
	NodesFile           = "kube/nodes.json"
	QuotasFile          = "kube/resourcequotas.json"
	LimitRangesFile     = "kube/limitranges.json"
	ServiceAccountsFile = "kube/serviceaccounts.json"
)

// Manifest is manifest.json.
type Manifest struct {
	SchemaVersion string        `json:"schema_version"`
	Tool          evidence.Tool `json:"tool"`
	CreatedAt     time.Time     `json:"created_at"`
	// CommandLine is how flytedoctor was run, secrets masked.
	CommandLine []string             `json:"command_line"`
	Target      evidence.ExecutionID `json:"target"`
	// Error says why there is no snapshot (Admin could not read the execution), if so.
	Error      string         `json:"error,omitempty"`
	Collectors []CollectorRun `json:"collectors"`
	Limits     Limits         `json:"limits"`
	LimitsHit  []LimitHit     `json:"limits_hit,omitempty"`
	// Redactions is the number of secrets removed; redactions.json says which and where.
	Redactions int `json:"redactions"`
	// Notes say how members were made where that is not obvious.
	Notes []string `json:"notes,omitempty"`
	Files []File   `json:"files"`
}

// CollectorRun is what one collector (or one of the bundle's own steps) did.
type CollectorRun struct {
	Name       string            `json:"name"`
	Status     evidence.Status   `json:"status"`
	SkipReason string            `json:"skip_reason,omitempty"`
	Duration   evidence.Duration `json:"duration"`
	Calls      int               `json:"calls,omitempty"`
	Errors     []string          `json:"errors,omitempty"`
}

// Limits are the size limits the bundle was written with.
type Limits struct {
	// LogBytes is the most kept of one log: its head and its tail.
	LogBytes int64 `json:"log_bytes"`
	// LogPods is the most pods whose logs are read.
	LogPods int `json:"log_pods"`
	// TotalBytes bounds the members' sizes together (manifest.json and redactions.json aside).
	TotalBytes int64 `json:"total_bytes"`
}

// Default limits.
const (
	DefaultLogBytes   = 1 << 20
	DefaultLogPods    = 20
	DefaultTotalBytes = 256 << 20
)

// DefaultLimits are the limits of a bundle written without flags.
func DefaultLimits() Limits {
	return Limits{LogBytes: DefaultLogBytes, LogPods: DefaultLogPods, TotalBytes: DefaultTotalBytes}
}

// LimitHit is a limit that changed what the bundle holds.
type LimitHit struct {
	Limit  string `json:"limit"` // "log_bytes", "log_pods", "total_bytes"
	File   string `json:"file,omitempty"`
	Detail string `json:"detail"`
}

// File is one member of the bundle.
type File struct {
	Path   string `json:"path"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}
