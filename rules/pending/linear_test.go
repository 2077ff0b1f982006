package pending

import (
	"testing"

	"github.com/flytedoctor/flytedoctor/internal/growth"
)

func TestSchedulerLinear(t *testing.T) {
	for _, u := range append(SchedulerSeeds(), ", x", "0/1 nodes are available: ", ", 1 node(s) had untolerated taint {a: b}",
		", 1 Insufficient cpu", "Unschedulable:") {
		growth.AssertLinear(t, "parse", u, func(s string) { parse(s).Body() })
	}
}
