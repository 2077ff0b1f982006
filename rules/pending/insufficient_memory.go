package pending

import (
	"github.com/flytedoctor/flytedoctor/rules/rule"
)

// InsufficientMemory is FD2008: no node has the memory the task requests.
func InsufficientMemory() *rule.Rule {
	return &rule.Rule{
		ID: "FD2008", Name: "insufficient-memory", Title: "No node has the memory the task requests",
		Category: rule.CatResourcePending, Causes: []string{"insufficient-memory"}, Severity: rule.Error, Requires: []rule.Evidence{rule.Admin}, Reads: []rule.Evidence{rule.Kube},
		Doc: `The scheduler's dominant reason is "Insufficient memory": no node has the pod's memory request free.
With the node summary the detail tells a request larger than any node's allocatable memory (it
will never schedule) from a busy cluster (it fits, but running pods hold the memory).` + timeoutDoc,
		Fixes: []rule.Fix{
			{Action: "see the nodes' allocatable and allocated memory", Commands: []string{"kubectl describe nodes"}},
			{Action: "lower the task's memory request, or add larger nodes", Commands: []string{`@task(requests=Resources(mem="4Gi"))`}},
		},
		Run: causeSite("insufficient-memory"),
	}
}
