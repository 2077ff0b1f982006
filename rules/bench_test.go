package rules

import (
	"path/filepath"
	"testing"

	"github.com/flytedoctor/flytedoctor/collectors/evidence"
)

// BenchmarkRun runs the whole table over every golden case's snapshot.
func BenchmarkRun(b *testing.B) {
	dirs, _ := filepath.Glob("testdata/cases/FD*/*")
	var snaps []*evidence.Snapshot
	for _, d := range dirs {
		snaps = append(snaps, loadSnapshot(b, filepath.Join(d, "snapshot.json")))
	}
	table := Table()
	b.ResetTimer()
	for range b.N {
		for _, s := range snaps {
			Run(s, table, Config{})
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*len(snaps)), "µs/snapshot")
}
