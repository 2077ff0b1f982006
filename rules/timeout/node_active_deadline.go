package timeout

import (
	"fmt"
	"strings"
	"time"

	"github.com/flytedoctor/flytedoctor/collectors/evidence"
	"github.com/flytedoctor/flytedoctor/rules/internal/read"
	"github.com/flytedoctor/flytedoctor/rules/rule"
)

func NodeActiveDeadline() *rule.Rule {
	return &rule.Rule{
		ID: "FD6002", Name: "node-active-deadline", Title: "The node exceeded its active deadline",
		Category: rule.CatTimeout, Causes: []string{causeActiveDeadline, causeFailureNodeTmo}, Severity: rule.Error, Requires: []rule.Evidence{rule.Admin},
		Doc: `The node ran out of its active deadline, which counts the time spent queued, running and in every
retry. Propeller moves the node to TIMED_OUT ("task active timeout [<d>] expired") and aborts the
running attempt; this is not retried. The workflow then fails with code Timeout, message "Timeout in
node", kind USER. A task with timeout=T gets an active deadline of 2T (so retries rarely get past the
second attempt); without a timeout the deadline is propeller's
node-config.default-deadlines.node-active-deadline (unset, i.e. no limit, by default). A long wait in
the queue (for resources, quota or a GPU) eats into the same deadline. When the node that timed out
is the workflow's failure node (on_failure=, node fn0), the workflow fails with code TimedOut,
"FailureNode Timed-out" (cause failure-node-timeout); the original failure is the node that failed
before it.`,
		Fixes: []rule.Fix{{Action: "raise the task's timeout (the active deadline is twice the timeout), lower retries so they fit, or remove what kept the node queued",
			Commands: []string{"@task(timeout=timedelta(hours=2), retries=1)"}}},
		Run: func(pass *rule.Pass) {
			s := pass.Site
			if s.Stuck {
				return
			}
			code, msg, _ := s.Error()
			text, m := s.Find(read.ActiveTimeoutRe)
			timedOut := s.Node != nil && s.Node.Phase == evidence.PhaseTimedOut
			failureNode := code == "TimedOut" || strings.Contains(msg, "FailureNode Timed-out")
			if !timedOut && m == nil && !failureNode && !(code == "Timeout" && strings.Contains(msg, "Timeout in node")) {
				return
			}
			where := read.Where(s)
			h := rule.Hit{Cause: causeActiveDeadline, Summary: where + " exceeded its active deadline (queueing, running and retries together)"}
			if m != nil {
				h.Summary = fmt.Sprintf("%s exceeded its active deadline of %s (queueing, running and retries together)", where, m[1])
				h.Evidence = append(h.Evidence, "propeller: "+text)
			}
			var parts []string
			if timedOut {
				parts = append(parts, "node phase TIMED_OUT")
				h.Evidence = append(h.Evidence, fmt.Sprintf("node %s: phase TIMED_OUT", s.Node.ID))
			}
			if code != "" {
				parts = append(parts, fmt.Sprintf("workflow error %s: %s (kind USER, not retried)", code, read.FirstLine(msg)))
				h.Evidence = append(h.Evidence, "Admin error "+code+": "+read.FirstLine(msg))
			}
			if len(parts) == 0 {
				parts = append(parts, text)
			}
			h.Detail = strings.Join(parts, "; ")
			if s.Node != nil && !s.Node.StartedAt.IsZero() && !s.Node.UpdatedAt.IsZero() {
				h.Detail += fmt.Sprintf("; the node ran %s from its start", s.Node.UpdatedAt.Sub(s.Node.StartedAt).Round(time.Second))
			}
			if failureNode {
				h.Cause = causeFailureNodeTmo
				h.Summary = "the workflow's failure node (on_failure=) timed out"
				if s.Node != nil {
					h.Summary = fmt.Sprintf("the workflow's failure node, %s, timed out", where)
				}
				h.Fixes = []rule.Fix{{Action: "raise the failure handler's timeout or make it faster; the workflow's first failure is the node that failed before it"}}
			}
			pass.Report(h)
		},
	}
}
