package interruption

import (
	"fmt"

	"github.com/flytedoctor/flytedoctor/rules/internal/read"
	"github.com/flytedoctor/flytedoctor/rules/rule"
)

// KilledBySignal is FD7006: the task's container was killed by SIGKILL or SIGTERM, and Kubernetes gave no reason.
func KilledBySignal() *rule.Rule {
	return &rule.Rule{
		ID: "FD7006", Name: "killed-by-signal", Title: "The task's container was killed by SIGKILL or SIGTERM, and Kubernetes gave no reason",
		Category: rule.CatInterrupted, Causes: []string{causeSigkilled, causeSigterm}, Severity: rule.Error,
		Requires: []rule.Evidence{rule.Admin}, Reads: []rule.Evidence{rule.Kube},
		Doc: `Flyte's message is only "Pod failed. No message received from kubernetes. [<container>] terminated
with exit code (137). Reason [Error]." (or 143): the container died from a signal, and neither the
pod nor the container says why. Exit codes above 128 are 128 plus the signal. 137 is SIGKILL, which
cannot be caught: the cgroup OOM killer (but then the reason would be OOMKilled and FD5001 reports
it), the kubelet ending a container that did not stop within its termination grace period after a
deletion, eviction or preemption (SIGTERM first, SIGKILL 30 s later by default), the node's kernel
OOM killer under node-wide memory pressure, or someone killing it by hand. 143 is SIGTERM: the pod
was deleted (an abort, a Flyte timeout, a drain, a spot reclaim) and the process exited on the
signal. To tell which: the container's lastState reason, the pod's status reason (Evicted), its
events (Killing, Evicted, Preempted), the node's events (MemoryPressure, "System OOM encountered")
and the memory limit against the container's peak usage. The finding quotes what the snapshot has.
Flyte up to v1.14 reports this as UnknownError (kind USER, the task's retries=); from v1.15.1 it is
Interrupted (kind SYSTEM), which FD7005 reports with the same explanation.`,
		Fixes: []rule.Fix{{Action: "read the pod's events and the node's while they exist; relaunch if it was a one-off"}},
		Run: func(pass *rule.Pass) {
			s := pass.Site
			code, msg, ok := genericFailure(s)
			if !ok {
				return
			}
			if read.IsOOM(code, msg) || read.OOMContainer(s) != nil {
				return // FD5001
			}
			if c, _, _ := read.ShutdownEvidence(s); c != "" {
				return // FD7001
			}
			if t, _ := s.Find(read.EvictRe); t != "" {
				return // FD7004, FD5002
			}
			if read.SystemTail(read.Terms(s)) {
				return
			}
			t := read.KillTerm(s)
			if t == nil {
				return
			}
			h := rule.Hit{Cause: causeSigkilled, Evidence: []string{t.Line()}}
			h.Summary = fmt.Sprintf("%s was killed by SIGKILL (exit code %d) and Kubernetes gave no reason; not an OOM kill of its memory limit", read.Where(s), t.Exit)
			if t.Exit == 143 {
				h.Cause = causeSigterm
				h.Summary = fmt.Sprintf("%s was stopped by SIGTERM (exit code 143): something deleted or evicted its pod", read.Where(s))
			}
			detail, clues := read.KillAdvice(s, t)
			h.Detail = detail + read.VersionNote(s, code)
			h.Evidence = append(h.Evidence, clues...)
			h.Fixes = read.KillFixes(s, t)
			pass.Report(h)
		},
	}
}
