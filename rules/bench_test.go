package rules_test

import (
	"github.com/flytedoctor/flytedoctor/rules"
	"path/filepath"
	"testing"

	"github.com/flytedoctor/flytedoctor/collectors/evidence"
	"github.com/flytedoctor/flytedoctor/rules/internal/casetest"
)

// BenchmarkRun runs the whole table over every golden case's snapshot.
func BenchmarkRun(b *testing.B) {
	dirs, _ := filepath.Glob("*/testdata/FD*/*")
	var snaps []*evidence.Snapshot
	for _, d := range dirs {
		snaps = append(snaps, casetest.LoadSnapshot(b, filepath.Join(d, "snapshot.json")))
	}
	table := rules.Table()
	b.ResetTimer()
	for range b.N {
		for _, s := range snaps {
			rules.Run(s, table, rules.Config{})
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*len(snaps)), "µs/snapshot")
}
