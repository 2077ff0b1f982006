package pending

import (
	"github.com/flytedoctor/flytedoctor/rules/rule"
)

// AffinityMismatch is FD2006: no node satisfies the task's node or pod affinity.
func AffinityMismatch() *rule.Rule {
	return &rule.Rule{
		ID: "FD2006", Name: "affinity-mismatch", Title: "No node satisfies the task's node or pod affinity",
		Category: rule.CatResourcePending, Causes: []string{"affinity-mismatch"}, Severity: rule.Error, Requires: []rule.Evidence{rule.Admin}, Reads: []rule.Evidence{rule.Kube},
		Doc: `The scheduler rejected the nodes because of the pod's required node affinity ("didn't match Pod's node
affinity/selector" with no nodeSelector), its pod (anti-)affinity or topology spread constraints, or
the node affinity of a PersistentVolume it mounts ("volume node affinity conflict", usually a zone).
Flyte itself adds a required node affinity to tasks with accelerator=...: the key is
plugins.k8s.gpu-device-node-label (default k8s.amazonaws.com/accelerator), so GPU nodes that do not
carry that label never match.` + timeoutDoc,
		Fixes: []rule.Fix{
			{Action: "compare the pod's affinity with the nodes' labels", Commands: []string{"kubectl get nodes --show-labels"}},
			{Action: "relax the affinity in the task's pod template, or label the intended nodes"},
		},
		Run: causeSite("affinity-mismatch"),
	}
}
