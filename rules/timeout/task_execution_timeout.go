package timeout

import (
	"cmp"
	"fmt"
	"time"

	"github.com/flytedoctor/flytedoctor/collectors/evidence"
	"github.com/flytedoctor/flytedoctor/rules/internal/read"
	"github.com/flytedoctor/flytedoctor/rules/rule"
)

func TaskExecutionTimeout() *rule.Rule {
	return &rule.Rule{
		ID: "FD6001", Name: "task-execution-timeout", Title: "An attempt ran longer than the task's timeout",
		Category: rule.CatTimeout, Causes: []string{causeExecutionTimeout}, Severity: rule.Error, Requires: []rule.Evidence{rule.Admin},
		Doc: `Propeller aborted an attempt that ran longer than its execution deadline: the task's
timeout (@task(timeout=...), TaskMetadata.timeout), or else propeller's
node-config.default-deadlines.node-execution-deadline (unset, i.e. no limit, by default). The error
is code TimeoutExpired, kind USER, retryable: "task execution timeout [1h0m0s] expired". The deadline
counts from the start of each attempt. Note the second deadline that comes with it: when a task sets
a timeout T, the node's active deadline is 2T and counts queueing and all retries, so a task with
timeout=T and retries=10 usually gets only two attempts before the node times out (see FD6002).`,
		Fixes: []rule.Fix{{Action: "raise the task's timeout, or make each attempt faster (smaller inputs, checkpoints)",
			Commands: []string{"@task(timeout=timedelta(hours=2))"}}},
		Run: func(pass *rule.Pass) {
			s := pass.Site
			if s.Stuck {
				return
			}
			if subs, ok := read.ArraySubs(s); ok {
				if h := read.ArrayHit(s, subs, rule.CatTimeout, []string{"timeout"}, "timed out"); h != nil {
					pass.Report(*h)
				}
				return
			}
			code, msg, _ := s.Error()
			text, m := s.Find(read.ExecTimeoutRe)
			if code != "TimeoutExpired" && m == nil {
				return
			}
			d := ""
			if m != nil {
				d = m[1]
			}
			h := rule.Hit{
				Summary:  fmt.Sprintf("%s ran longer than its timeout", read.Where(s)),
				Detail:   fmt.Sprintf("propeller: %s (code TimeoutExpired, kind USER, retryable)", cmp.Or(text, msg)),
				Evidence: []string{cmp.Or(text, msg)},
			}
			if d != "" {
				h.Summary += " of " + d
			}
			n := 0
			for _, a := range s.Attempts {
				// A timed-out attempt is aborted by propeller; the error is the node's.
				if a.Error == nil && a.Phase == evidence.PhaseAborted {
					n++
				} else if a.Error != nil {
					if c, _ := rule.Unwrap(a.Error.Code, a.Error.Message); c == "TimeoutExpired" {
						n++
					}
				}
			}
			if n > 1 {
				h.Summary += read.OnAttempts(n, len(s.Attempts))
			}
			if dur, err := time.ParseDuration(d); err == nil && dur > 0 {
				h.Fixes = []rule.Fix{{Action: fmt.Sprintf("raise the task's timeout above %s (the node's active deadline becomes twice the timeout), or make each attempt faster", d),
					Commands: []string{fmt.Sprintf("@task(timeout=%s)", pyTimedelta(2*dur))}}}
			}
			pass.Report(h)
		},
	}
}
