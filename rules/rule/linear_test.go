package rule

import (
	"testing"

	"github.com/flytedoctor/flytedoctor/internal/growth"
)

func TestUnwrapLinear(t *testing.T) {
	var units []string
	for _, s := range UnwrapSeeds() {
		units = append(units, s[1])
	}
	units = append(units, "[1/1] currentAttempt done. Last Error: USER::", "failed at Node[n1]. RuntimeExecutionError: ",
		"Workflow[p:d:wf] failed. CausedByError: ", "failed at Node[")
	for _, u := range units {
		growth.AssertLinear(t, "Unwrap", u, func(s string) { Unwrap("RetriesExhausted|X", s) })
	}
}
