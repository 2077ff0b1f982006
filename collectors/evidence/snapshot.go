package evidence

import (
	"encoding/json"
	"fmt"
	"time"
)

// SchemaVersion identifies the JSON layout of a Snapshot. Bump it on incompatible changes.
const SchemaVersion = "flytedoctor.evidence/v1"

// Snapshot is everything flytedoctor learned about one execution.
type Snapshot struct {
	SchemaVersion string      `json:"schema_version"`
	CollectedAt   time.Time   `json:"collected_at"`
	Tool          Tool        `json:"tool"`
	Target        ExecutionID `json:"target"`
	Admin         *AdminInfo  `json:"admin,omitempty"`
	// Execution is the root execution with its node tree; nil when it could not be read.
	Execution *Execution `json:"execution,omitempty"`
	// Kube is the Kubernetes view of the execution's pods; nil when not collected.
	Kube *Kube `json:"kube,omitempty"`
	// Storage is what the execution's data paths allow; nil when not collected.
	Storage *Storage `json:"storage,omitempty"`
	// Checks are a preflight run's probes and verdicts; nil for a diagnosis.
	Checks *Checks `json:"checks,omitempty"`
	// Collection records what each collector did: calls, durations, errors, skips.
	Collection []CollectorRecord `json:"collection"`
}

// Tool names the program that produced a snapshot.
type Tool struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// AdminInfo describes the Flyte Admin the snapshot was read from.
type AdminInfo struct {
	Endpoint string `json:"endpoint"`
	// Version is flyteadmin's control-plane version, when GetVersion answered.
	Version string `json:"version,omitempty"`
}

// ExecutionID identifies a workflow execution.
type ExecutionID struct {
	Project string `json:"project"`
	Domain  string `json:"domain"`
	Name    string `json:"name"`
}

func (id ExecutionID) String() string { return id.Project + "/" + id.Domain + "/" + id.Name }

// Identifier identifies a task, workflow or launch plan version.
type Identifier struct {
	ResourceType string `json:"resource_type,omitempty"`
	Project      string `json:"project,omitempty"`
	Domain       string `json:"domain,omitempty"`
	Name         string `json:"name,omitempty"`
	Version      string `json:"version,omitempty"`
}

// IsZero reports whether the identifier is empty.
func (i Identifier) IsZero() bool { return i == Identifier{} }

// Duration is a time.Duration that reads and writes as a Go duration string ("3m0s").
type Duration time.Duration

// MarshalJSON writes the duration as a string. Its characters (digits, '.', '-', h m s µ n)
// need no escaping, so it is quoted as it is, not through json.Marshal once per node.
func (d Duration) MarshalJSON() ([]byte, error) {
	b := make([]byte, 0, 26)
	b = append(b, '"')
	b = append(b, time.Duration(d).String()...)
	return append(b, '"'), nil
}

// UnmarshalJSON reads a Go duration string.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("duration must be a string like \"3m0s\": %w", err)
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

// Std returns the value as a time.Duration.
func (d Duration) Std() time.Duration { return time.Duration(d) }
