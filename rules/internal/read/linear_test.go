package read

import (
	"testing"

	"github.com/flytedoctor/flytedoctor/collectors/evidence"
	"github.com/flytedoctor/flytedoctor/internal/growth"
	"github.com/flytedoctor/flytedoctor/rules/rule"
)

func TestTracebackLinear(t *testing.T) {
	for _, u := range append(TracebackSeeds(), "[c] terminated with exit code (1). Reason [Error]. Message: ",
		"  File \"x\", line 1, in f\n", "ValueError: x\n") {
		growth.AssertLinear(t, "flyteClass", u, func(s string) { flyteClass("", s); Decisive("", s); TermSummary(s) })
	}
}

func TestArrayLinear(t *testing.T) {
	read := func(msg string) {
		flyteReadArraySubs(&rule.Site{Snapshot: &evidence.Snapshot{}, Execution: &evidence.Execution{},
			Node: &evidence.Node{IsArray: true, Error: &evidence.ExecutionError{Message: msg}}})
	}
	for _, u := range append(ArraySeeds(), "[1]: x\n", "[0-99999]: x\n") {
		growth.AssertLinear(t, "flyteReadArraySubs", u, read)
	}
	// One line of many ranges: "[0-99999][0-99999]...: x".
	growth.AssertLinear(t, "flyteReadArraySubs", "[0-99999]", func(s string) { read(s + ": x") })
}
