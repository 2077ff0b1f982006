package timeout

import (
	"cmp"
	"fmt"

	"github.com/flytedoctor/flytedoctor/rules/internal/read"
	"github.com/flytedoctor/flytedoctor/rules/rule"
)

func SDKTimeout() *rule.Rule {
	return &rule.Rule{
		ID: "FD6003", Name: "sdk-timeout", Title: "The task's code gave up waiting (flytekit timeout)",
		Category: rule.CatTimeout, Causes: []string{causeSDKTimeout}, Severity: rule.Error, Requires: []rule.Evidence{rule.Admin},
		Doc: `flytekit raised FlyteTimeout inside the task (code USER:Timeout, kind USER): a wait in the
task's own code timed out, such as FlyteRemote.wait(timeout=...) or an eager workflow waiting for a
sub-execution. It is not propeller's deadline; the task's timeout= does not cover it.`,
		Fixes: []rule.Fix{{Action: "raise the timeout passed to the wait in the task's code, or check why the awaited execution is slow"}},
		Run: func(pass *rule.Pass) {
			s := pass.Site
			if s.Stuck {
				return
			}
			code, msg, _ := s.Error()
			if code != "USER:Timeout" {
				return
			}
			line := cmp.Or(read.ExceptionLine(msg), read.FirstLine(msg))
			pass.Report(rule.Hit{
				Summary:  fmt.Sprintf("%s timed out waiting inside its own code: %s", read.Where(s), read.Clip(line, 160)),
				Detail:   "flytekit reported USER:Timeout: " + line,
				Evidence: []string{code + ": " + line},
			})
		},
	}
}
