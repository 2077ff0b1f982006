package system

import (
	"fmt"

	"github.com/flytedoctor/flytedoctor/rules/internal/pattern"
	"github.com/flytedoctor/flytedoctor/rules/internal/read"
	"github.com/flytedoctor/flytedoctor/rules/rule"
)

// Cases quote a Flyte user verbatim: fires-secret-cache-timeout-4309,
// https://github.com/flyteorg/flyte/issues/4309; quiet-secret-not-found is a secret that is missing.
//
// The kubelet's "failed to sync secret cache: timed out waiting for the condition" (or
// configmap cache): it could not fetch an object the container's env or volumes reference.
var cacheSyncRe = pattern.MustCompile(`failed to sync (secret|configmap) cache: timed out waiting for the condition`)

const causeCacheTimeout = "kubelet-cache-timeout"

// KubeletCacheTimeout is FD8006: the kubelet timed out fetching a secret or config map the container needs.
func KubeletCacheTimeout() *rule.Rule {
	return &rule.Rule{
		ID: "FD8006", Name: "kubelet-cache-timeout", Title: "The kubelet timed out fetching a secret or config map the container needs",
		Category: rule.CatSystem, Causes: []string{causeCacheTimeout}, Severity: rule.Error, Requires: []rule.Evidence{rule.Admin}, Reads: []rule.Evidence{rule.Kube},
		Supersedes: []string{"FD5901"}, // Flyte calls it USER; the object exists
		Doc: `"failed to sync secret cache: timed out waiting for the condition" is the kubelet, not a missing
secret: it could not read the secret (or config map) from the API server in time, which happens
when the API server is slow or a node starts many pods at once (flyteorg/flyte#4309, 50,000 tasks at
parallelism 500). The object exists, and the pod usually starts a moment later. Flyte sees the
container waiting with CreateContainerConfigError, and since create-container-config-error-grace-
period is 0 by default it fails the attempt at once, kind USER, permanently: no retry runs, while
the pod may go on to run and even write its outputs.`,
		Fixes: []rule.Fix{
			{Action: "relaunch the execution"},
			{Action: "let Flyte wait for the kubelet: set plugins.k8s.create-container-config-error-grace-period in the propeller config", Commands: []string{"plugins.k8s.create-container-config-error-grace-period: 2m"}},
		},
		Run: func(pass *rule.Pass) {
			s := pass.Site
			text, m := s.Find(cacheSyncRe)
			if m == nil {
				return
			}
			code, _, kind := s.Error()
			h := rule.Hit{
				Summary: fmt.Sprintf("the kubelet timed out fetching a %s for the container of %s; Flyte failed the attempt at once", m[1], read.Where(s)),
				Detail: fmt.Sprintf("This is the kubelet waiting on the API server, not a missing %s: the object exists and the pod usually starts moments later. Flyte failed the attempt with %s, kind %s, because plugins.k8s.create-container-config-error-grace-period is 0 by default, and no retry ran",
					m[1], read.OrUnknown(code), read.OrUnknown(kind)),
				Evidence: []string{read.Clip(text, 600)},
				Fixes: []rule.Fix{
					{Action: "relaunch the execution"},
					{Action: "let Flyte wait for the kubelet: set plugins.k8s.create-container-config-error-grace-period in the propeller config", Commands: []string{"plugins.k8s.create-container-config-error-grace-period: 2m"}},
					{Action: "if many pods start at once, lower the workflow's max_parallelism or check the API server's load"},
				},
			}
			if s.Stuck {
				w := rule.Warning
				h.Severity = &w
			}
			pass.Report(h)
		},
	}
}
