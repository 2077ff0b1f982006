package memory

import (
	"github.com/flytedoctor/flytedoctor/rules/rule"
)

func OOMKilled() *rule.Rule {
	return &rule.Rule{
		ID: "FD5001", Name: "oom-killed", Title: "A container was killed for exceeding its memory limit",
		Category: rule.CatOutOfMemory, Causes: []string{causeOOMKilled, causeSidecarOOM, causeMemoryError},
		Severity: rule.Error, Requires: []rule.Evidence{rule.Admin}, Reads: []rule.Evidence{rule.Kube},
		Doc: `The kernel's OOM killer stopped a container of the task because it used more memory than its
limit (container state terminated, reason OOMKilled, exit code 137). Flyte reports it with code
OOMKilled, kind USER, retryable: "Pod failed. No message received from kubernetes.
[<container>] terminated with exit code (137). Reason [OOMKilled]. Message: <log tail>.". When the
pod nevertheless ended Succeeded (a sidecar or a child process was killed, or the primary exited 0
after its child was killed), Flyte fails the attempt with "Pod reported success despite being
OOMKilled". OOMKilled is a USER error and uses the task's retries= budget; retrying with the same
memory usually fails the same way, so the finding collapses the attempts ("2 attempts, both
OOMKilled"). When the pod still exists its memory request and limit are shown and the fix proposes
about twice the limit. A Python MemoryError raised by the task (MemoryError, numpy's _ArrayMemoryError: "Unable to
allocate 37.3 GiB for an array") has the same fix (cause memory-error).
In an array node (map task) the subtasks that were OOMKilled are listed by index.`,
		Fixes: []rule.Fix{
			{Action: "give the task 1.5-2x more memory than it peaks at (requests and limits), and re-register",
				Commands: []string{`@task(requests=Resources(mem="4Gi"), limits=Resources(mem="4Gi"))`}},
			{Action: "or lower the task's peak memory: process the data in chunks, or override one call with .with_overrides(limits=Resources(mem=...))"},
		},
		Run: oomKilled,
	}
}
