package pending

import (
	"cmp"
	"fmt"
	"time"

	"github.com/flytedoctor/flytedoctor/collectors/evidence"
	"github.com/flytedoctor/flytedoctor/rules/internal/read"
	"github.com/flytedoctor/flytedoctor/rules/rule"
)

// A place that has not moved for stuckFrom is stuck (scheduling and pulls take seconds, a
// node scale-up a few minutes); from stuckAfter on it is an error rather than a warning: Flyte
// itself never times a waiting task out by default.
const (
	stuckFrom  = time.Minute
	stuckAfter = 5 * time.Minute
)

// Stuck is FD2901: a task in an unfinished execution has not progressed, and no rule said why.
func Stuck() *rule.Rule {
	return &rule.Rule{
		ID: "FD2901", Name: "stuck", Title: "A task in a running execution has not progressed, for a reason no other rule names",
		Category: rule.CatResourcePending, Causes: []string{"stuck"}, Severity: rule.Error, Fallback: true,
		Requires: []rule.Evidence{rule.Admin}, Reads: []rule.Evidence{rule.Kube},
		Doc: `In an execution that is still running, an attempt that stays QUEUED, WAITING_FOR_RESOURCES or
INITIALIZING, a pod that stays Pending or ContainerCreating (an array node's subtask among them), or
an attempt whose pod was never created, is a failing place even though nothing has failed: Flyte
does not time a waiting task out unless plugins.k8s.pod-pending-timeout is set, so the execution
waits until someone notices. When no specific rule explains the place, this one quotes the latest
warning (the pods' Warning events, the scheduler's and kubelet's messages, Admin's reasons, the
termination message of a container that gave up) and says how long the place has not progressed,
measured to the snapshot's collection time. It is an error from 5 minutes on, a warning from 1
minute (scheduling and image pulls take seconds; a node scale-up a few minutes).`,
		Fixes: []rule.Fix{
			{Action: "read the pod's events and conditions", Commands: []string{"kubectl describe pod -n NAMESPACE POD"}},
			{Action: "set plugins.k8s.pod-pending-timeout in the propeller config so that stuck tasks fail instead of waiting forever"},
		},
		Run: func(pass *rule.Pass) {
			s := pass.Site
			st := read.Stuck(s)
			if st == nil || st.For > 0 && st.For < stuckFrom {
				return
			}
			where := read.Where(s)
			for_ := "for " + evidence.ShortDuration(st.For)
			if st.For <= 0 {
				for_ = "since an unknown time"
			}
			h := rule.Hit{Summary: fmt.Sprintf("%s has been %s %s, and was still at collection", where, st.State, for_)}
			if st.Pod != "" && st.State == "Pending" {
				h.Summary = fmt.Sprintf("pod %s of %s has been Pending %s, and was still at collection", st.Pod, where, for_)
			}
			if st.Warning != "" {
				h.Summary += ": " + read.ClipMiddle(st.Warning, 300)
			} else if len(s.Attempts) == 0 {
				h.Detail = "flytepropeller has not started the task: with cache_serializable another execution may hold the cache reservation for the same inputs; otherwise look at flytepropeller's logs and its workqueue for this execution"
			} else {
				h.Detail = "No warning was recorded: no Warning event, no scheduler or kubelet message, no Admin reason beyond the task's submission; check that flytepropeller created the pod and that the scheduler sees it"
			}
			if !st.Since.IsZero() {
				h.Detail = stuckSentences(fmt.Sprintf("Not progressing since %s (%s before the snapshot was taken)", st.Since.UTC().Format("2006-01-02 15:04:05 UTC"), evidence.ShortDuration(st.For)), h.Detail)
			}
			h.Evidence = st.Evidence
			if st.For < stuckAfter {
				sev := rule.Warning
				h.Severity = &sev
				h.Detail = stuckSentences(h.Detail, fmt.Sprintf("Under %s so far: it may still start; run flytedoctor again if it stays", evidence.ShortDuration(stuckAfter)))
			}
			ns := cmp.Or(s.Kube().Namespace, s.Execution.Namespace, "NAMESPACE")
			pod := cmp.Or(st.Pod, "POD")
			id := s.Execution.ID
			h.Fixes = []rule.Fix{
				{Action: "read the pod's events and conditions: the warning above says what it waits for",
					Commands: []string{fmt.Sprintf("kubectl describe pod -n %s %s", ns, pod),
						fmt.Sprintf("kubectl get events -n %s --field-selector involvedObject.name=%s --sort-by=.lastTimestamp", ns, pod)}},
				{Action: "if it cannot recover, abort the execution, fix what the warning names and relaunch",
					Commands: []string{fmt.Sprintf("flytectl delete execution -p %s -d %s %s", id.Project, id.Domain, id.Name)}},
				{Action: "set plugins.k8s.pod-pending-timeout in the propeller config so that stuck tasks fail instead of waiting forever"},
			}
			if len(s.Attempts) == 0 {
				h.Fixes = []rule.Fix{
					{Action: "look for this execution in flytepropeller's log (flyte-core: deploy/flytepropeller; flyte-binary: deploy/flyte-binary): why the node is not started",
						Commands: []string{fmt.Sprintf("kubectl logs -n flyte deploy/flytepropeller | grep %s", id.Name)}},
					{Action: "if the task is cache_serializable, find the running execution of the same task and inputs that holds the cache reservation, and let it finish or abort it",
						Commands: []string{fmt.Sprintf("flytectl get execution -p %s -d %s --filter.fieldSelector \"execution.phase=RUNNING\"", id.Project, id.Domain)}},
					h.Fixes[1],
				}
			}
			pass.Report(h)
		},
	}
}

func stuckSentences(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return a + ". " + b
}
