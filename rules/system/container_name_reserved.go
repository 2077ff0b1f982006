package system

import (
	"fmt"

	"github.com/flytedoctor/flytedoctor/rules/internal/pattern"
	"github.com/flytedoctor/flytedoctor/rules/internal/read"
	"github.com/flytedoctor/flytedoctor/rules/rule"
)

// containerd's answer when an earlier CreateContainer call for the same name has not been cleaned
// up. The cases quote Flyte users verbatim: fires-containerd-name-reserved
// https://github.com/flyteorg/flyte/issues/1234, fires-name-reserved-after-grace-period (Flyte
// 1.15.3) https://github.com/flyteorg/flyte/issues/6786; quiet-containerd-mount-input-output-error
// is another CreateContainerError, https://github.com/dragonflyoss/helm-charts/issues/316.
var nameReservedRe = pattern.MustCompile(`failed to reserve container name "([^"]+)": name "[^"]+" is reserved for "([^"]+)"`)

// ContainerNameReserved is FD8004: the container runtime could not create the task's container
// because its name was still reserved.
func ContainerNameReserved() *rule.Rule {
	return &rule.Rule{
		ID: "FD8004", Name: "container-name-reserved", Title: "The container runtime could not create the task's container: its name was still reserved",
		Category: rule.CatSystem, Causes: []string{"container-name-reserved"}, Severity: rule.Error, Requires: []rule.Evidence{rule.Admin}, Reads: []rule.Evidence{rule.Kube},
		Doc: `The kubelet asked the node's container runtime to create the task's container and got "failed to
reserve container name "<ctr>_<pod>_<namespace>_<uid>_0": name ... is reserved for "<id>"" (containerd).
An earlier CreateContainer call for the same name timed out on a busy node (slow disk, image
unpacking) and the runtime still holds the name; the kubelet usually clears it within minutes.
Flyte reports ContainersNotReady|CreateContainerError and, once
plugins.k8s.create-container-error-grace-period (3m by default) has passed, fails the attempt as a
permanent USER error, so neither the task's retries= nor the system retry budget applies
(flyteorg/flyte#6786). Nothing is wrong with the task's code or image.`,
		Fixes: []rule.Fix{
			{Action: "relaunch: a reserved container name is a transient state of the node's container runtime"},
			{Action: "give the kubelet more time before Flyte fails the task: raise plugins.k8s.create-container-error-grace-period in flytepropeller's configuration (3m by default)"},
		},
		Run: func(pass *rule.Pass) {
			s := pass.Site
			if s.Stuck {
				return
			}
			text, m := s.Find(nameReservedRe)
			if m == nil {
				return
			}
			name, holder := m[1], m[2]
			h := rule.Hit{
				Summary: fmt.Sprintf("the container runtime could not create the container of %s: its name is still reserved by an earlier container", read.Where(s)),
				Detail: fmt.Sprintf("the runtime said: name %s is reserved for %s; Flyte reports CreateContainerError as a permanent USER error once the grace period has passed, so retries did not apply",
					read.Clip(name, 160), read.Clip(holder, 80)),
				Evidence: []string{read.Clip(read.FirstLine(text), 500)},
			}
			h.Fixes = []rule.Fix{{Action: "relaunch: a reserved container name is a transient state of the node's container runtime",
				Commands: []string{read.Relaunch(s.Execution.ID)}}}
			if p := read.LastPod(s); p != nil && p.NodeName != "" {
				h.Detail += "; on node " + p.NodeName
				h.Fixes = append(h.Fixes, rule.Fix{Action: fmt.Sprintf("if it recurs on node %s, check its container runtime (disk and CPU pressure slow CreateContainer down) and drain the node if it does not recover", p.NodeName),
					Commands: []string{"kubectl describe node " + p.NodeName}})
			}
			h.Fixes = append(h.Fixes, rule.Fix{Action: "give the kubelet more time before Flyte fails the task: raise plugins.k8s.create-container-error-grace-period in flytepropeller's configuration (3m by default)"})
			pass.Report(h)
		},
	}
}
