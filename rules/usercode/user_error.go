package usercode

import (
	"fmt"

	"github.com/flytedoctor/flytedoctor/collectors/evidence"
	"github.com/flytedoctor/flytedoctor/rules/internal/read"
	"github.com/flytedoctor/flytedoctor/rules/rule"
)

// UserError is FD5901: the task failed with a user error.
func UserError() *rule.Rule {
	return &rule.Rule{
		ID: "FD5901", Name: "user-error", Title: "The task failed with a user error",
		Category: rule.CatUserCode, Causes: []string{"user-error"}, Severity: rule.Error, Requires: []rule.Evidence{rule.Admin}, Fallback: true,
		Doc: `Flyte reports the failure with kind USER and no more specific rule recognised it: an exception in
the task's code (flytekit writes USER:<ExceptionType> codes to error.pb), a container that exited
non-zero, or a plugin's permanent failure. USER failures use the task's own retry budget (retries=),
and flytekit marks uncaught exceptions non-recoverable, so they are not retried unless the code
raises FlyteRecoverableException. The kind is the failing attempt's: Flyte's "RetriesExhausted|X"
wrapper is always kind USER, but its message keeps the real kind ("Last Error: SYSTEM::..."), and a
SYSTEM error inside it is left to the system-error fallback.`,
		Fixes: []rule.Fix{{Action: "read the error and the task's log for the exception, fix the code or its inputs, and relaunch"}},
		Run: func(pass *rule.Pass) {
			s := pass.Site
			code, msg, kind := s.Error()
			if kind != evidence.ErrorKindUser || s.Stuck {
				return
			}
			line := read.FallbackLine(msg)
			h := rule.Hit{Summary: fmt.Sprintf("%s failed with %s", read.Where(s), read.FallbackCode(code, line)),
				Detail: line, Evidence: []string{read.Clip(msg, 2000)}}
			if f := logFix(s); f != nil {
				h.Fixes = []rule.Fix{{Action: "read the error and the task's log, fix the code or its inputs, and relaunch"}, *f}
			}
			pass.Report(h)
		},
	}
}
