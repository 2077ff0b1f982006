package pending

import (
	"github.com/flytedoctor/flytedoctor/rules/rule"
)

// UntoleratedTaint is FD2004: the only nodes that fit the task carry a taint it does not tolerate.
func UntoleratedTaint() *rule.Rule {
	return &rule.Rule{
		ID: "FD2004", Name: "untolerated-taint", Title: "The only nodes that fit the task carry a taint it does not tolerate",
		Category: rule.CatResourcePending, Causes: []string{"untolerated-taint"}, Severity: rule.Error, Requires: []rule.Evidence{rule.Admin}, Reads: []rule.Evidence{rule.Kube},
		Doc: `The scheduler rejected nodes because of a taint the pod does not tolerate ("1 node(s) had untolerated
taint {nvidia.com/gpu: present}"), and those are the nodes that would otherwise take the pod. Each node is
judged as kube-scheduler filters it (readiness and system taints, the pod's tolerations, node
selector and required node affinity, then whether its allocatable could hold the request at all):
in "1 node(s) had untolerated taint {nvidia.com/gpu: present}, 3 Insufficient nvidia.com/gpu" the
GPU node's taint is the cause and the CPU nodes' missing GPUs are context, so waiting or adding
CPU nodes never helps. The finding names the nodes that fit once the pod tolerates the taint, and
says when even they are too small for the rest of the request. Without the pod (deleted) the
resources the scheduler found short stand in for the request; without the nodes (not read) a taint
on an accelerator key beside "Insufficient <accelerator>" on every other node is read the same way.
GPU node groups are usually tainted (nvidia.com/gpu=present:NoSchedule) so that only GPU pods land
there; the pod must carry a matching toleration, from the task's pod template or from Flyte's
plugins.k8s.resource-tolerations (added to every pod that requests the named resource) or
default-tolerations. System taints (not-ready, unreachable, control-plane, cordoned) are not
reported here: adding a toleration for them is not a fix.` + timeoutDoc,
		Fixes: []rule.Fix{
			{Action: "add a toleration for the taint to the task's pod template"},
			{Action: "see the nodes' taints", Commands: []string{"kubectl describe nodes"}},
		},
		Run: causeSite("untolerated-taint"),
	}
}
