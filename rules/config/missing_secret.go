package config

import (
	"github.com/flytedoctor/flytedoctor/rules/rule"
)

// MissingSecret is FD4001: A secret the task's pod references does not exist.
func MissingSecret() *rule.Rule {
	return &rule.Rule{
		ID: "FD4001", Name: "missing-secret", Title: "A secret the task's pod references does not exist",
		Category: rule.CatConfigError, Causes: []string{"missing-secret"}, Severity: rule.Error, Requires: []rule.Evidence{rule.Admin}, Reads: []rule.Evidence{rule.Kube},
		Doc: `The kubelet could not start the task's container because a Kubernetes secret it reads is missing
from the execution's namespace: the container waits with reason CreateContainerConfigError and the
message 'secret "x" not found', or 'couldn't find key K in Secret ns/x' when the secret exists but
lacks the key. A secret volume that cannot be mounted shows instead as a FailedMount event
('MountVolume.SetUp failed for volume "v" : secret "x" not found') with the pod stuck in
ContainerCreating.

Flyte fails a CreateContainerConfigError at once: its grace period
(create-container-config-error-grace-period) is 0 by default, and the failure is permanent, kind
USER, with code ContainersNotReady|CreateContainerConfigError and a message like
'Grace period [0s] exceeded|containers with unready status: [..]|secret "x" not found'. No retry
can help until the secret exists. A FailedMount pod is not failed by Flyte at all: the task stays
INITIALIZING until the secret appears or a node timeout fires. Secrets come from a pod template, the
task's environment, or Flyte's secret webhook for secret_requests (older webhooks inject
non-optional references).`,
		Fixes: []rule.Fix{{Action: "create the secret in the execution's namespace (kubectl create secret generic <name> -n <namespace> --from-literal=<key>=<value>), or fix the task's reference, then relaunch"}},
		Run: func(pass *rule.Pass) {
			s := pass.Site
			miss := findMissing(s, secretRe)
			if miss == nil {
				return
			}
			pass.Report(missingHit(s, miss, "secret"))
		},
	}
}
