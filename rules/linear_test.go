package rules_test

import (
	"github.com/flytedoctor/flytedoctor/rules"
	"strings"
	"testing"

	"github.com/flytedoctor/flytedoctor/internal/growth"
)

// TestRunLinear runs the whole table over golden snapshots whose every text is long.
func TestRunLinear(t *testing.T) {
	if testing.Short() {
		t.Skip("slow")
	}
	bases := fuzzBases(t)
	table := rules.Table()
	// Two bases of each rule family (FD1xxx image pull, FD2xxx pending, ...) keep this short.
	perFamily := map[string]int{}
	for i := range bases {
		family := strings.Split(bases[i], "/")[2][:3]
		if perFamily[family]++; perFamily[family] > 2 {
			continue
		}
		for _, u := range []string{"[1/1] currentAttempt done. Last Error: USER::", "0/3 nodes are available: 3 Insufficient cpu, x",
			"\r\n[c] terminated with exit code (1). Reason [Error]. Message: \n", "s3://b/k when calling the GetObject operation: Access Denied\n"} {
			// Every text of the snapshot gets an eighth: about as much text in all as one
			// large message.
			growth.AssertLinear(t, "Run "+bases[i], u, func(s string) {
				rules.Run(fuzzSnapshot(t, bases, uint8(i), 1, s[:len(s)/8]), table, rules.Config{})
			})
		}
	}
}
