package rules

import (
	"strings"
	"testing"

	"github.com/flytedoctor/flytedoctor/collectors/evidence"
	"github.com/flytedoctor/flytedoctor/internal/growth"
)

// The growth tests feed each reader 25 KiB and 100 KiB inputs made by repeating real messages
// and the separators it splits on, and fail when one is super-linear (see growth.AssertLinear).

func linearUnits(seeds []string, extra ...string) []string {
	return append(append([]string{}, seeds...), extra...)
}

func TestPullLinear(t *testing.T) {
	for _, u := range linearUnits(pullSeeds(), `pull image "`, "a: ") {
		growth.AssertLinear(t, "pullCause", u, func(s string) { pullCause(s); pullImageIn(s); pullLastClause(s) })
	}
}

func TestStorageLinear(t *testing.T) {
	for _, u := range linearUnits(storageSeeds(), "s3://b/", "when calling the GetObject operation", "User: arn:aws:x ") {
		growth.AssertLinear(t, "storageClassify", u, func(s string) { storageClassify(s) })
	}
}

func TestUnwrapLinear(t *testing.T) {
	var units []string
	for _, s := range unwrapSeeds() {
		units = append(units, s[1])
	}
	units = append(units, "[1/1] currentAttempt done. Last Error: USER::", "failed at Node[n1]. RuntimeExecutionError: ",
		"Workflow[p:d:wf] failed. CausedByError: ", "failed at Node[")
	for _, u := range units {
		growth.AssertLinear(t, "Unwrap", u, func(s string) { Unwrap("RetriesExhausted|X", s) })
	}
}

func TestSchedulerLinear(t *testing.T) {
	for _, u := range linearUnits(schedulerSeeds(), ", x", "0/1 nodes are available: ", ", 1 node(s) had untolerated taint {a: b}",
		", 1 Insufficient cpu", "Unschedulable:") {
		growth.AssertLinear(t, "pendingParse", u, func(s string) { pendingParse(s).Body() })
	}
}

func TestTracebackLinear(t *testing.T) {
	for _, u := range linearUnits(tracebackSeeds(), "[c] terminated with exit code (1). Reason [Error]. Message: ",
		"  File \"x\", line 1, in f\n", "ValueError: x\n") {
		growth.AssertLinear(t, "flyteClass", u, func(s string) { flyteClass("", s); flyteDecisive("", s); flyteTermSummary(s) })
	}
}

func TestArrayLinear(t *testing.T) {
	read := func(msg string) {
		flyteReadArraySubs(&Site{Snapshot: &evidence.Snapshot{}, Execution: &evidence.Execution{},
			Node: &evidence.Node{IsArray: true, Error: &evidence.ExecutionError{Message: msg}}})
	}
	for _, u := range linearUnits(arraySeeds(), "[1]: x\n", "[0-99999]: x\n") {
		growth.AssertLinear(t, "flyteReadArraySubs", u, read)
	}
	// One line of many ranges: "[0-99999][0-99999]...: x".
	growth.AssertLinear(t, "flyteReadArraySubs", "[0-99999]", func(s string) { read(s + ": x") })
}

// TestRunLinear runs the whole table over golden snapshots whose every text is long.
func TestRunLinear(t *testing.T) {
	if testing.Short() {
		t.Skip("slow")
	}
	bases := fuzzBases(t)
	table := Table()
	// Two bases of each rule family (FD1xxx image pull, FD2xxx pending, ...) keep this short.
	perFamily := map[string]int{}
	for i := range bases {
		family := strings.TrimPrefix(bases[i], "testdata/cases/")[:3]
		if perFamily[family]++; perFamily[family] > 2 {
			continue
		}
		for _, u := range []string{"[1/1] currentAttempt done. Last Error: USER::", "0/3 nodes are available: 3 Insufficient cpu, x",
			"\r\n[c] terminated with exit code (1). Reason [Error]. Message: \n", "s3://b/k when calling the GetObject operation: Access Denied\n"} {
			// Every text of the snapshot gets an eighth: about as much text in all as one
			// large message.
			growth.AssertLinear(t, "Run "+bases[i], u, func(s string) {
				Run(fuzzSnapshot(t, bases, uint8(i), 1, s[:len(s)/8]), table, Config{})
			})
		}
	}
}
