package pending

import (
	"github.com/flytedoctor/flytedoctor/rules/rule"
)

// NodeSelectorMismatch is FD2005: no node carries the labels the task's node selector asks for.
func NodeSelectorMismatch() *rule.Rule {
	return &rule.Rule{
		ID: "FD2005", Name: "node-selector-mismatch", Title: "No node carries the labels the task's node selector asks for",
		Category: rule.CatResourcePending, Causes: []string{"node-selector-mismatch"}, Severity: rule.Error, Requires: []rule.Evidence{rule.Admin}, Reads: []rule.Evidence{rule.Kube},
		Doc: `The scheduler rejected every node that could hold the pod because its labels do not match the pod's
nodeSelector ("N node(s) didn't match Pod's node affinity/selector"). In Flyte the selector comes
from the task's pod template, a default pod template, or plugins.k8s.default-node-selector; a
typo'd or retired node-group label leaves the task QUEUED.` + timeoutDoc,
		Fixes: []rule.Fix{
			{Action: "list the nodes with the selector's labels", Commands: []string{"kubectl get nodes --show-labels"}},
			{Action: "change the selector in the task's pod template to a label the nodes carry, or label the intended nodes"},
		},
		Run: causeSite("node-selector-mismatch"),
	}
}
