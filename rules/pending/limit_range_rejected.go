package pending

import (
	"github.com/flytedoctor/flytedoctor/rules/rule"
)

// LimitRangeRejected is FD2002: A LimitRange rejected the task's resource requests or limits.
func LimitRangeRejected() *rule.Rule {
	return &rule.Rule{
		ID: "FD2002", Name: "limit-range-rejected", Title: "A LimitRange rejected the task's resource requests or limits",
		Category: rule.CatResourcePending, Causes: []string{"request-exceeds-limit-range"}, Severity: rule.Error, Requires: []rule.Evidence{rule.Admin}, Reads: []rule.Evidence{rule.Kube},
		Doc: `The LimitRanger admission plugin refused the task's pod because a container's (or the pod's) request or
limit is outside the bounds of a LimitRange in the namespace: "pods "x" is forbidden: maximum cpu
usage per Container is 2, but limit is 4", "minimum memory usage per Container is 64Mi, but request
is 32Mi", or a list of such violations in brackets. The pod is never created. Flyte treats this
Forbidden error as code RuntimeFailure, kind USER, retryable, so every retry is rejected the same
way. Flyte sets a container's limit to its request when the task gives only requests, so
@task(requests=Resources(cpu="4")) also asks for a limit of 4.`,
		Fixes: []rule.Fix{
			{Action: "read the namespace's LimitRange bounds", Commands: []string{"kubectl get limitrange -n NAMESPACE -o yaml"}},
			{Action: "keep the task's requests and limits inside the bounds, or ask the platform team to widen the LimitRange"},
		},
		Run: limitRangeSite,
	}
}
