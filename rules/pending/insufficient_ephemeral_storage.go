package pending

import (
	"github.com/flytedoctor/flytedoctor/rules/rule"
)

// InsufficientEphemeralStorage is FD2010: no node has the ephemeral storage the task requests.
func InsufficientEphemeralStorage() *rule.Rule {
	return &rule.Rule{
		ID: "FD2010", Name: "insufficient-ephemeral-storage", Title: "No node has the ephemeral storage the task requests",
		Category: rule.CatResourcePending, Causes: []string{"insufficient-ephemeral-storage"}, Severity: rule.Error, Requires: []rule.Evidence{rule.Admin}, Reads: []rule.Evidence{rule.Kube},
		Doc: `The scheduler's dominant reason is "Insufficient ephemeral-storage": no node has the pod's
ephemeral-storage request free on its root disk. Flyte tasks request it with
Resources(ephemeral_storage=...); node groups with small root volumes cannot hold large requests.` + timeoutDoc,
		Fixes: []rule.Fix{
			{Action: "see the nodes' allocatable ephemeral storage", Commands: []string{"kubectl describe nodes"}},
			{Action: "lower the request, write large data to the blob store instead of local disk, or use nodes with larger root volumes",
				Commands: []string{`@task(requests=Resources(ephemeral_storage="20Gi"))`}},
		},
		Run: causeSite("insufficient-ephemeral-storage"),
	}
}
