package pending

import (
	"github.com/flytedoctor/flytedoctor/rules/rule"
)

// ResourceQuotaExceeded is FD2001: the namespace's ResourceQuota has no room for the task's pod.
func ResourceQuotaExceeded() *rule.Rule {
	return &rule.Rule{
		ID: "FD2001", Name: "resource-quota-exceeded", Title: "The namespace's ResourceQuota has no room for the task's pod",
		Category: rule.CatResourcePending, Causes: []string{"quota-exceeded"}, Severity: rule.Error, Requires: []rule.Evidence{rule.Admin}, Reads: []rule.Evidence{rule.Kube},
		Doc: `The API server refused to create the task's pod because a ResourceQuota in the execution's namespace
would be exceeded ("pods "x" is forbidden: exceeded quota: project-quota, requested: limits.cpu=4,
used: limits.cpu=8, limited: limits.cpu=10"). flytepropeller does not fail the task for this: it
moves the attempt to WAITING_FOR_RESOURCES with reason "Exceeded resourcequota: <error>" and keeps
retrying the creation with back-off ([BackOffError] "The operation was attempted but failed"),
without using a retry, until quota frees up or the node's active deadline passes. When the request
alone is at or above the quota's hard limit it can never fit, and Flyte fails the attempt at once
with code ResourceRequestsExceedLimits, kind USER, permanent ("requested resources exceed limits:
..."). A quota on limits.* or requests.* also rejects pods that do not set them ("failed quota: q:
must specify limits.cpu"), which Flyte reports as RuntimeFailure (USER, retryable). flyte-core's
EKS Helm values create a quota named project-quota in every project-domain namespace from
flyteadmin's cluster resource templates. The detail compares the rejected request with the quota's hard and used
values.`,
		Fixes: []rule.Fix{
			{Action: "compare the quota's hard limits with what is used", Commands: []string{"kubectl get resourcequota -n NAMESPACE -o yaml"}},
			{Action: "wait for other tasks in the namespace to finish, lower the task's requests, or raise the quota (per project and domain with flyteadmin's cluster resource attributes)",
				Commands: []string{"flytectl update cluster-resource-attribute --attrFile cra.yaml"}},
		},
		Run: quotaSite,
	}
}
