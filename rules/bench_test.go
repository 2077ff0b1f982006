package rules_test

import (
	"testing"

	"github.com/flytedoctor/flytedoctor/collectors/evidence"
	"github.com/flytedoctor/flytedoctor/rules"
	"github.com/flytedoctor/flytedoctor/rules/internal/casetest"
)

// BenchmarkRun runs the whole table over every fixture snapshot.
func BenchmarkRun(b *testing.B) {
	paths, err := casetest.Snapshots(".")
	if err != nil {
		b.Fatal(err)
	}
	var snaps []*evidence.Snapshot
	for _, p := range paths {
		snaps = append(snaps, casetest.LoadSnapshot(b, p))
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
