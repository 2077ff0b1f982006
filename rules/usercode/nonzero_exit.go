package usercode

import (
	"cmp"
	"fmt"
	"strings"

	"github.com/flytedoctor/flytedoctor/rules/internal/read"
	"github.com/flytedoctor/flytedoctor/rules/rule"
)

func NonzeroExit() *rule.Rule {
	return &rule.Rule{
		ID: "FD5102", Name: "nonzero-exit", Title: "The task's container exited non-zero without reporting an error",
		Category: rule.CatUserCode, Causes: []string{causeNonzeroExit, causeMissingModule, causeStartFailed, causeNativeCrash}, Severity: rule.Error,
		Requires: []rule.Evidence{rule.Admin}, Reads: []rule.Evidence{rule.Kube},
		Doc: `The task's process exited with a non-zero code before flytekit could write error.pb: a crash
while importing the task's module, a sys.exit(1), a failing shell command, or an entrypoint that is
not pyflyte-execute. Flyte's message is "Pod failed. No message received from kubernetes.
[<container>] terminated with exit code (N). Reason [Error]. Message: <log tail>." (containers use
terminationMessagePolicy FallbackToLogsOnError, so the log tail is quoted). Flyte's code for this
changed in v1.15.1: up to v1.14 a pod that failed without a pod-level reason was UnknownError, kind
USER (user retry budget); from v1.15.1 it is Interrupted, kind SYSTEM (system retry budget,
max-node-retries-system-failures, 3 by default). flytedoctor uses the Admin version to say which
applies, and classifies a plain non-zero exit (not a signal: not 137, 143 or 247) with no node
shutdown, eviction or deletion in the pod's evidence as user code, even when Flyte calls it
Interrupted. Reason [StartError] / exit 128 means the container could not start at all (for example
"exec: \"pyflyte-fast-execute\": executable file not found in $PATH": the image lacks flytekit).`,
		Fixes: []rule.Fix{{Action: "read the container's log for the error, fix the code or the image, and relaunch"}},
		Run: func(pass *rule.Pass) {
			s := pass.Site
			if s.Stuck {
				return
			}
			if subs, ok := read.ArraySubs(s); ok {
				if h := read.ArrayHit(s, subs, rule.CatUserCode, []string{"nonzero-exit"}, "exited non-zero"); h != nil {
					pass.Report(*h)
				}
				return
			}
			code, _, _ := s.Error()
			if read.UserCodeRe.MatchString(code) || strings.HasPrefix(code, "SYSTEM") {
				return // flytekit wrote error.pb: the process did not crash
			}
			t := read.AppExit(s)
			if t == nil {
				return
			}
			where := read.Where(s)
			h := rule.Hit{Cause: causeNonzeroExit, Evidence: []string{t.Line()}}
			last := read.TailLine(t.Tail)
			switch {
			case t.Reason == "StartError" || t.Reason == "ContainerCannotRun":
				h.Cause = causeStartFailed
				h.Summary = fmt.Sprintf("the container of %s could not start (exit code %d, %s)", where, t.Exit, t.Reason)
				h.Detail = "the runtime said: " + read.Clip(cmp.Or(last, t.Tail), 300)
				h.Fixes = []rule.Fix{{Action: "make the image runnable by Flyte: flytekit installed and the task's command (pyflyte-fast-execute / pyflyte-execute) on PATH; do not override the image's command in a way that drops it"}}
				if img := image(s, t); img != "" {
					h.Fixes = append(h.Fixes, rule.Fix{Action: "check the image's entrypoint and installed tools", Commands: []string{
						"docker run --rm --entrypoint pyflyte-execute " + img + " --help"}})
				}
			default:
				h.Summary = fmt.Sprintf("the container of %s exited with code %d before flytekit reported an error", where, t.Exit)
				if last != "" {
					h.Summary += ": " + read.Clip(last, 160)
				}
				h.Detail = fmt.Sprintf("[%s] terminated with exit code (%d), reason %s, with no error document", t.Container, t.Exit, read.OrUnknown(t.Reason))
				if last != "" {
					h.Detail += "; log tail: " + read.Clip(last, 300)
				}
				if m := read.ExitMeaning(t.Exit); m != "" {
					h.Detail += "; " + m
				}
				if sig := nativeSignal(t.Exit); sig != "" {
					h.Cause = causeNativeCrash
					h.Summary = fmt.Sprintf("the container of %s crashed with %s (exit code %d) before flytekit reported an error", where, sig, t.Exit)
					if last != "" {
						h.Summary += ": " + read.Clip(last, 160)
					}
				}
				if m := moduleRe.FindStringSubmatch(t.Tail); m != nil {
					h.Cause = causeMissingModule
					h.Fixes = moduleFixes(m[1])
				} else if h.Cause == causeNativeCrash {
					h.Fixes = nativeFixes(t.Exit)
					if f := logFix(s); f != nil {
						h.Fixes = append(h.Fixes, *f)
					}
				} else if f := logFix(s); f != nil {
					h.Fixes = []rule.Fix{{Action: "fix the failing command or code shown in the log tail, and relaunch"}, *f}
				}
			}
			h.Detail += read.VersionNote(s, code)
			if n := attemptsWithCode(s, code); n > 1 {
				h.Summary += attemptsParen(n, len(s.Attempts))
			}
			pass.Report(h)
		},
	}
}
