package config

import (
	"github.com/flytedoctor/flytedoctor/rules/rule"
)

// MissingConfigMap is FD4002: A config map the task's pod references does not exist.
func MissingConfigMap() *rule.Rule {
	return &rule.Rule{
		ID: "FD4002", Name: "missing-configmap", Title: "A config map the task's pod references does not exist",
		Category: rule.CatConfigError, Causes: []string{"missing-configmap"}, Severity: rule.Error, Requires: []rule.Evidence{rule.Admin}, Reads: []rule.Evidence{rule.Kube},
		Doc: `The kubelet could not start the task's container because a config map it reads (env, envFrom or
a volume, usually from a pod template) is missing from the execution's namespace: the container waits
with reason CreateContainerConfigError and the message 'configmap "x" not found', or
'couldn't find key K in ConfigMap ns/x'; a config-map volume fails with a FailedMount event instead.

Flyte fails a CreateContainerConfigError at once (grace period 0 by default) as a permanent USER
error with code ContainersNotReady|CreateContainerConfigError; a FailedMount pod stays in
ContainerCreating and the task INITIALIZING, with no pending timeout by default.`,
		Fixes: []rule.Fix{{Action: "create the config map in the execution's namespace (kubectl create configmap <name> -n <namespace> --from-literal=<key>=<value>), or fix the reference, then relaunch"}},
		Run: func(pass *rule.Pass) {
			s := pass.Site
			miss := findMissing(s, configMapRe)
			if miss == nil {
				return
			}
			pass.Report(missingHit(s, miss, "configmap"))
		},
	}
}
