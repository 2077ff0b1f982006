package system

import (
	"fmt"
	"regexp"

	"github.com/flytedoctor/flytedoctor/rules/internal/read"
	"github.com/flytedoctor/flytedoctor/rules/rule"
)

// containerd's "failed to reserve container name "<ctr>_<pod>_<ns>_<uid>_<n>": name "..." is
// reserved for "<id>"", after a CreateContainer call that timed out on a slow node.
var reservedRe = regexp.MustCompile(`failed to reserve container name "([^"]+)": name "[^"]+" is reserved for "([^"]+)"`)

const causeNameReserved = "container-name-reserved"

// ContainerNameReserved is FD8005: the container runtime was still busy with an earlier attempt to create the container.
func ContainerNameReserved() *rule.Rule {
	return &rule.Rule{
		ID: "FD8005", Name: "container-name-reserved", Title: "The container runtime was still busy with an earlier attempt to create the container",
		Category: rule.CatSystem, Causes: []string{causeNameReserved}, Severity: rule.Error, Requires: []rule.Evidence{rule.Admin}, Reads: []rule.Evidence{rule.Kube},
		Supersedes: []string{"FD5901"}, // Flyte calls it USER; nothing in the task caused it
		Doc: `The kubelet's CreateContainer call timed out (a slow disk or an overloaded containerd, often while a
large image unpacks), and its retry found the name still "reserved" by the first, unfinished
attempt: "failed to reserve container name "primary_..._0": name "..." is reserved for "<id>"".
containerd resolves it on its own within minutes. Flyte reports the waiting container as
ContainersNotReady|CreateContainerError and, once create-container-error-grace-period (3m by
default) has passed, fails the attempt with kind USER, permanently, so neither the task's retries
nor the system retries run, though nothing in the task caused it (flyteorg/flyte#6786,
flyteorg/flyte#1234).`,
		Fixes: []rule.Fix{
			{Action: "relaunch the execution; the runtime frees the name within minutes"},
			{Action: "give the runtime more time before Flyte gives up: raise plugins.k8s.create-container-error-grace-period in the propeller config", Commands: []string{"plugins.k8s.create-container-error-grace-period: 10m"}},
		},
		Run: func(pass *rule.Pass) {
			s := pass.Site
			text, m := s.Find(reservedRe)
			if m == nil {
				return
			}
			code, _, kind := s.Error()
			h := rule.Hit{
				Summary: fmt.Sprintf("the container runtime on the node could not create the container of %s: an earlier, timed-out attempt still held its name", read.Where(s)),
				Detail: fmt.Sprintf("containerd reserved %s for container %s while an earlier CreateContainer call was still running, which happens on a node whose disk or runtime is slow (a large image unpacking); it frees the name by itself. Flyte failed the attempt with %s, kind %s, permanently, so no retry ran",
					m[1], read.Clip(m[2], 16), read.OrUnknown(code), read.OrUnknown(kind)),
				Evidence: []string{read.Clip(text, 600)},
			}
			if s.Stuck {
				w := rule.Warning
				h.Severity = &w
				h.Detail = fmt.Sprintf("containerd reserved %s for an earlier CreateContainer call that is still running; it frees the name by itself, and Flyte fails the attempt if it has not within create-container-error-grace-period", m[1])
			}
			if p := read.LastPod(s); p != nil && p.NodeName != "" {
				h.Fixes = append(h.Fixes, rule.Fix{Action: "relaunch; if it keeps happening on one node, look at that node's disk and containerd", Commands: []string{"kubectl describe node " + p.NodeName}})
			} else {
				h.Fixes = append(h.Fixes, rule.Fix{Action: "relaunch the execution; the runtime frees the name within minutes"})
			}
			h.Fixes = append(h.Fixes, rule.Fix{Action: "give the runtime more time before Flyte gives up: raise plugins.k8s.create-container-error-grace-period in the propeller config",
				Commands: []string{"plugins.k8s.create-container-error-grace-period: 10m"}})
			pass.Report(h)
		},
	}
}
