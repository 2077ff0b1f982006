package demo

import (
	_ "embed"
	"encoding/json"
	"fmt"

	"github.com/flytedoctor/flytedoctor/collectors/evidence"
)

// A preflight of a three-task pyflyte package, as `flytedoctor preflight -o json` records it:
// what the probes saw at Flyte Admin, the registries, the cluster and S3, with the verdicts.
// The demo judges the probes again with the same verdicts, no cluster needed.
//
//go:embed preflight/recorded.json
var preflightRecording []byte

// PreflightFile is the recording's path inside this package, for the test that keeps its
// verdicts current.
const PreflightFile = "preflight/recorded.json"

// PreflightSnapshot decodes the recorded preflight run.
func PreflightSnapshot() (*evidence.Snapshot, error) {
	var s evidence.Snapshot
	if err := json.Unmarshal(preflightRecording, &s); err != nil {
		return nil, fmt.Errorf("demo preflight recording: %w", err)
	}
	if s.Checks == nil {
		return nil, fmt.Errorf("demo preflight recording has no checks")
	}
	return &s, nil
}
