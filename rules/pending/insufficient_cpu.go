package pending

import (
	"github.com/flytedoctor/flytedoctor/rules/rule"
)

// InsufficientCPU is FD2009: no node has the CPU the task requests.
func InsufficientCPU() *rule.Rule {
	return &rule.Rule{
		ID: "FD2009", Name: "insufficient-cpu", Title: "No node has the CPU the task requests",
		Category: rule.CatResourcePending, Causes: []string{"insufficient-cpu"}, Severity: rule.Error, Requires: []rule.Evidence{rule.Admin}, Reads: []rule.Evidence{rule.Kube},
		Doc: `The scheduler's dominant reason is "Insufficient cpu": no node has the pod's CPU request free. With the
node summary the detail tells a request larger than any node's allocatable CPU from a busy cluster.` + timeoutDoc,
		Fixes: []rule.Fix{
			{Action: "see the nodes' allocatable and allocated CPU", Commands: []string{"kubectl describe nodes"}},
			{Action: "lower the task's CPU request, or add larger nodes", Commands: []string{`@task(requests=Resources(cpu="2"))`}},
		},
		Run: causeSite("insufficient-cpu"),
	}
}
