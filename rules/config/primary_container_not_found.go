package config

import (
	"fmt"
	"slices"
	"strings"

	"github.com/flytedoctor/flytedoctor/rules/internal/pattern"
	"github.com/flytedoctor/flytedoctor/rules/internal/read"
	"github.com/flytedoctor/flytedoctor/rules/rule"
)

// fires-pod-template-names-missing-container-4332: the failure of
// https://github.com/flyteorg/flyte/issues/4332, in the plugin's wording (the issue names the check,
// DeterminePrimaryContainerPhase, rather than quoting its message).
//
// The pod plugin's "Primary container [x] not found in pod's container statuses".
var primaryRe = pattern.MustCompile(`Primary container \[([^\]]+)\] not found in pod's container statuses`)

// PrimaryContainerNotFound is FD4006: the task's primary container is not among the pod's containers.
func PrimaryContainerNotFound() *rule.Rule {
	return &rule.Rule{
		ID: "FD4006", Name: "primary-container-not-found", Title: "The task's primary container is not among the pod's containers",
		Category: rule.CatConfigError, Causes: []string{"primary-container-not-found"}, Severity: rule.Error, Requires: []rule.Evidence{rule.Admin}, Reads: []rule.Evidence{rule.Kube},
		Supersedes: []string{"FD5901"}, // names the container and what the pod has
		Doc: `Flyte follows a pod task by its primary container, named by the pod template's
primary_container_name (the task's own container otherwise). When the pod's container statuses do
not list that name, the plugin fails the attempt with code PrimaryContainerNotFound, kind USER,
permanently: "Primary container [x] not found in pod's container statuses". Either the pod template
names a container its pod spec does not have (a typo, or a template whose container list was
renamed), or, on Flyte releases before flyteorg/flyte#4339 (late 2023), the API server was slow to
fill in the statuses of a container that exists (flyteorg/flyte#4332).`,
		Fixes: []rule.Fix{{Action: "make primary_container_name in the task's pod template equal the name of a container in its pod spec"}},
		Run: func(pass *rule.Pass) {
			s := pass.Site
			text, m := s.Find(primaryRe)
			if m == nil {
				return
			}
			want := m[1]
			h := rule.Hit{
				Summary:  fmt.Sprintf("the pod of %s has no container named %q, which Flyte follows as the task's primary container", read.Where(s), want),
				Evidence: []string{read.Clip(text, 400)},
			}
			var have []string
			for _, pc := range s.Containers() {
				if !pc.Init {
					have = append(have, pc.Container.Name)
				}
			}
			switch {
			case len(have) > 0 && !slices.Contains(have, want):
				h.Detail = fmt.Sprintf("The pod's containers are %s: the pod template's primary_container_name does not match any of them, so every attempt fails the same way", strings.Join(have, ", "))
				h.Fixes = []rule.Fix{{Action: fmt.Sprintf("set primary_container_name to one of %s (or rename the container to %q) in the task's pod template, re-register and relaunch", strings.Join(have, ", "), want),
					Commands: []string{fmt.Sprintf(`PodTemplate(primary_container_name="%s", pod_spec=V1PodSpec(containers=[V1Container(name="%s", ...)]))`, have[0], have[0])}}}
			case len(have) > 0:
				h.Detail = fmt.Sprintf("The pod does have container %s: its status was not reported yet when Flyte looked, the API-server race fixed in flyteorg/flyte#4339; relaunch, and upgrade Flyte if it recurs", want)
				h.Fixes = []rule.Fix{{Action: "relaunch; upgrade flytepropeller to a release with flyteorg/flyte#4339 if it recurs"}}
			default:
				h.Detail = "The pod is gone, so its containers cannot be compared: check that the pod template's primary_container_name names a container of its pod spec; if it does, the API server was slow to report the container (flyteorg/flyte#4332), which newer Flyte releases wait for"
			}
			pass.Report(h)
		},
	}
}
