package usercode

import (
	"fmt"
	"strings"

	"github.com/flytedoctor/flytedoctor/rules/internal/read"
	"github.com/flytedoctor/flytedoctor/rules/rule"
)

func UserException() *rule.Rule {
	return &rule.Rule{
		ID: "FD5101", Name: "user-exception", Title: "The task's code raised an exception",
		Category: rule.CatUserCode, Causes: []string{causeException, causeMissingModule}, Severity: rule.Error, Requires: []rule.Evidence{rule.Admin}, Reads: []rule.Evidence{rule.Kube},
		Doc: `flytekit caught an exception from the task function (or from importing the task's module) and
wrote it to error.pb as a ContainerError with origin USER and the traceback as the message
("Trace: ... Message: ValueError: ..."); the pod itself exits 0. Current flytekit uses code
USER:RuntimeError for any uncaught exception and a typed code for its own exceptions
(USER:ValueError, USER:TypeError, USER:AssertionError, USER:Recoverable, ...); older flytekit
named the exception type in the code. Propeller copies the code, message and origin (kind USER).
Uncaught exceptions are NON_RECOVERABLE: the attempt fails permanently and retries= does not apply;
only FlyteRecoverableException (code USER:Recoverable) is retried. The finding names the exception
type from the traceback, quotes its message and the innermost frame of the user's code.
ModuleNotFoundError / ImportError mean the image lacks a package (cause missing-module). In an array
node (map task) the subtasks that raised are listed by index: the array node's error is a summary
with one "[3-4]: <message>" line per distinct message, empty code, kind UNKNOWN. USER:Timeout
(FD6003), Python MemoryError (FD5001) and CUDA out-of-memory errors (FD5003) are left to their rules.`,
		Fixes: []rule.Fix{
			{Action: "fix the code or the input that raised the exception, then relaunch"},
			{Action: "if the failure is transient, raise FlyteRecoverableException so that retries= applies"},
		},
		Run: func(pass *rule.Pass) {
			s := pass.Site
			if s.Stuck {
				return
			}
			if subs, ok := read.ArraySubs(s); ok {
				h := read.ArrayHit(s, subs, rule.CatUserCode, []string{"user-exception"}, "raised an exception")
				if h != nil {
					if m := moduleRe.FindStringSubmatch(h.Detail); m != nil {
						h.Cause = causeMissingModule
						h.Fixes = moduleFixes(m[1])
					}
					pass.Report(*h)
				}
				return
			}
			code, msg, _ := s.Error()
			m := read.UserCodeRe.FindStringSubmatch(code)
			if m == nil || userCodeExcluded(code, msg) {
				return
			}
			exc := read.ExceptionLine(msg)
			if exc == "" {
				exc = m[1]
			}
			h := rule.Hit{
				Summary:  fmt.Sprintf("%s raised %s", read.Where(s), read.Clip(exc, 200)),
				Evidence: []string{fmt.Sprintf("Admin error %s (kind USER): %s", code, read.Clip(exc, 300))},
			}
			n := attemptsWithCode(s, code)
			if n > 1 {
				h.Summary += attemptsParen(n, len(s.Attempts))
			}
			recoverable := m[1] == "Recoverable"
			detail := "flytekit reported " + code
			if recoverable {
				detail += " (FlyteRecoverableException: retried within retries=)"
			} else {
				detail += " (non-recoverable: retries= does not apply)"
			}
			if f := read.UserFrame(msg); f != "" {
				detail += "; raised at " + f
				h.Evidence = append(h.Evidence, "raised at "+f)
			}
			h.Detail = detail + ": " + exc
			if mm := moduleRe.FindStringSubmatch(msg); mm != nil {
				h.Cause = causeMissingModule
				h.Fixes = moduleFixes(mm[1])
				pass.Report(h)
				return
			}
			excType, _, _ := strings.Cut(exc, ":")
			if i := strings.LastIndex(excType, "."); i >= 0 {
				excType = excType[i+1:]
			}
			fixes := []rule.Fix{{Action: fmt.Sprintf("fix the code or the input that raised %s, then relaunch", excType)}}
			if f := logFix(s); f != nil {
				fixes = append(fixes, *f)
			}
			if !recoverable {
				fixes = append(fixes, rule.Fix{Action: "if the failure is transient, raise FlyteRecoverableException so that retries= applies"})
			}
			h.Fixes = fixes
			pass.Report(h)
		},
	}
}
