package pending

import (
	"github.com/flytedoctor/flytedoctor/rules/rule"
)

// PodPendingTooLong is FD2011: the task's pod stays Pending without a recognised reason.
func PodPendingTooLong() *rule.Rule {
	return &rule.Rule{
		ID: "FD2011", Name: "pod-pending-too-long", Title: "The task's pod stays Pending without a recognised reason",
		Category: rule.CatResourcePending, Causes: []string{"pending-too-long"}, Severity: rule.Error, Requires: []rule.Evidence{rule.Admin}, Reads: []rule.Evidence{rule.Kube},
		Doc: `The task's pod has been Pending for a long time and no more specific FD2 rule explains why: the
scheduler gave a reason flytedoctor does not classify (Too many pods, no free ports, every node not
ready or cordoned), gave no verdict at all (for example the pod names a schedulerName that is not
running), or Flyte gave up with code PodPendingTimeout (kind USER, retryable) after
plugins.k8s.pod-pending-timeout. The finding is an error when Flyte failed the task, and a warning
while the task is still waiting (QUEUED for at least 5 minutes).` + timeoutDoc,
		Fixes: []rule.Fix{
			{Action: "read the pod's events and conditions", Commands: []string{"kubectl describe pod -n NAMESPACE POD"}},
			{Action: "set plugins.k8s.pod-pending-timeout in the propeller config so stuck tasks fail instead of waiting forever"},
		},
		Run: genericSite,
	}
}
