package interruption

import (
	"fmt"

	"github.com/flytedoctor/flytedoctor/rules/internal/read"
	"github.com/flytedoctor/flytedoctor/rules/rule"
)

func NodeShutdown() *rule.Rule {
	return &rule.Rule{
		ID: "FD7001", Name: "node-shutdown", Title: "The pod's node shut down or the pod was preempted",
		Category: rule.CatInterrupted, Causes: []string{read.CauseNodeShutdown, read.CausePreempted, read.CauseNodeLost, read.CauseNodeDrained, read.CauseNodeAffinity},
		Severity: rule.Error, Requires: []rule.Evidence{rule.Admin}, Reads: []rule.Evidence{rule.Kube},
		Doc: `The pod was stopped from outside: the node shut down (spot or preemptible reclaim, scale-down,
maintenance; kubelet graceful node shutdown: pod reason Shutdown or Terminated, "Pod was terminated
in response to imminent node shutdown."), the scheduler preempted it for a higher-priority pod
(DisruptionTarget PreemptionByScheduler), the node was lost (taint manager NoExecute), drained
(Eviction API), or the node no longer matched its affinity after a restart (reason NodeAffinity).
Flyte reports code Interrupted, kind SYSTEM, retryable: it uses the system retry budget
(max-node-retries-system-failures, 3 by default), not the task's retries=. For interruptible tasks,
propeller's interruptible-failure-threshold decides how many attempts may run on interruptible
nodes (default -1: all but the last, which runs non-interruptible). Retrying usually succeeds; when
every attempt is interrupted, run the task on on-demand nodes (interruptible=False).`,
		Fixes: []rule.Fix{
			{Action: "relaunch; if this node is a spot/preemptible node, run the task non-interruptible", Commands: []string{"@task(interruptible=False)"}},
			{Action: "or raise the system retry budget (propeller node-config max-node-retries-system-failures) or make the task resume from a checkpoint"},
		},
		Run: func(pass *rule.Pass) {
			s := pass.Site
			if s.Stuck {
				return
			}
			if subs, ok := read.ArraySubs(s); ok {
				if h := read.ArrayHit(s, subs, rule.CatInterrupted, []string{"shutdown"}, "were stopped by a node shutdown or preemption"); h != nil {
					pass.Report(*h)
				}
				return
			}
			cause, ev, node := read.ShutdownEvidence(s)
			if cause == "" {
				return
			}
			n := 0
			for _, a := range s.Attempts {
				if a.Error != nil {
					if c, _ := rule.Unwrap(a.Error.Code, a.Error.Message); c == "Interrupted" {
						n++
					}
				}
			}
			what := map[string]string{read.CauseNodeShutdown: "its node shut down", read.CausePreempted: "the scheduler preempted it",
				read.CauseNodeLost: "its node was lost", read.CauseNodeDrained: "its node was drained", read.CauseNodeAffinity: "its node no longer matched the pod's affinity"}[cause]
			if node != "" {
				what += " (" + node + ")"
			}
			h := rule.Hit{Cause: cause, Summary: fmt.Sprintf("%s was interrupted: %s", read.Where(s), what), Evidence: ev}
			if n > 1 {
				h.Summary = fmt.Sprintf("%s was interrupted%s; on the last one %s", read.Where(s), read.OnAttempts(n, len(s.Attempts)), what)
			}
			h.Detail = ev[0] + "; Flyte reports this as Interrupted (SYSTEM, retryable: system retry budget, not retries=)"
			fixes := []rule.Fix{}
			if interruptible(s) {
				fixes = append(fixes, rule.Fix{Action: "the task runs interruptible (on spot/preemptible nodes); make it non-interruptible if it must not be interrupted",
					Commands: []string{"@task(interruptible=False)"}})
			} else {
				fixes = append(fixes, rule.Fix{Action: "relaunch: interruptions are usually transient", Commands: []string{read.Relaunch(s.Execution.ID)}})
			}
			fixes = append(fixes, rule.Fix{Action: "if every attempt is interrupted, raise the system retry budget (propeller node-config max-node-retries-system-failures, 3 by default) or checkpoint so that a retry resumes"})
			h.Fixes = fixes
			pass.Report(h)
		},
	}
}
