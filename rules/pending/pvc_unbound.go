package pending

import (
	"github.com/flytedoctor/flytedoctor/rules/rule"
)

// PVCUnbound is FD2003: the task's pod waits for a PersistentVolumeClaim that is unbound or missing.
func PVCUnbound() *rule.Rule {
	return &rule.Rule{
		ID: "FD2003", Name: "pvc-unbound", Title: "The task's pod waits for a PersistentVolumeClaim that is unbound or missing",
		Category: rule.CatResourcePending, Causes: []string{"pvc-unbound"}, Severity: rule.Error, Requires: []rule.Evidence{rule.Admin}, Reads: []rule.Evidence{rule.Kube},
		Doc: `The scheduler cannot place the pod because a PersistentVolumeClaim it mounts is not bound ("pod has
unbound immediate PersistentVolumeClaims", "didn't find available persistent volumes to bind") or
does not exist ("persistentvolumeclaim "x" not found"). This happens to tasks whose pod template
mounts a claim: the claim must exist in the execution's namespace (project-domain) and its
StorageClass must be able to provision or bind a volume.` + timeoutDoc,
		Fixes: []rule.Fix{
			{Action: "check the claim's status and events", Commands: []string{"kubectl get pvc -n NAMESPACE", "kubectl describe pvc -n NAMESPACE CLAIM"}},
			{Action: "create the claim in the execution's namespace, or fix its StorageClass so a volume is provisioned"},
		},
		Run: causeSite("pvc-unbound"),
	}
}
