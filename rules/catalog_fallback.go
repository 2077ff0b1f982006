package rules

import (
	"cmp"
	"fmt"
	"strings"
)

// fallbackRules classify what no specific rule explained, from Admin's error alone.
func fallbackRules() []*Rule {
	return []*Rule{{
		ID: "FD5901", Name: "user-error", Title: "The task failed with a user error",
		Category: CatUserCode, Causes: []string{"user-error"}, Severity: Error, Requires: []string{"admin"}, Fallback: true,
		Doc: `Flyte reports the failure with kind USER and no more specific rule recognised it: an exception in
the task's code (flytekit writes USER:<ExceptionType> codes to error.pb), a container that exited
non-zero, or a plugin's permanent failure. USER failures use the task's own retry budget (retries=),
and flytekit marks uncaught exceptions non-recoverable, so they are not retried unless the code
raises FlyteRecoverableException. The kind is the failing attempt's: Flyte's "RetriesExhausted|X"
wrapper is always kind USER, but its message keeps the real kind ("Last Error: SYSTEM::..."), and a
SYSTEM error inside it is left to the system-error fallback.`,
		Fixes: []Fix{{Action: "read the error and the task's log for the exception, fix the code or its inputs, and relaunch"}},
		Site: func(s *Site) *Hit {
			code, msg, kind := s.Error()
			if kind != "USER" || s.Stuck || flyteChildAborted(s) {
				return nil // an aborted child is FD8102's warning, not a user error
			}
			line := fallbackLine(msg)
			h := &Hit{Summary: fmt.Sprintf("%s failed with %s", flyteWhere(s), fallbackCode(code, line)),
				Detail: line, Evidence: []string{flyteClip(msg, 2000)}}
			if f := flyteLogFix(s); f != nil {
				h.Fixes = []Fix{{Action: "read the error and the task's log, fix the code or its inputs, and relaunch"}, *f}
			}
			return h
		},
	}, {
		ID: "FD8901", Name: "system-error", Title: "Flyte reported a system error",
		Category: CatSystem, Causes: []string{"system-error"}, Severity: Error, Requires: []string{"admin"}, Fallback: true,
		Doc: `The failure has kind SYSTEM (or UNKNOWN) and no more specific rule recognised it. SYSTEM errors come
from Flyte itself or the platform (propeller, the plugin, storage, Kubernetes) rather than the task's
code; they use the system retry budget (max-node-retries-system-failures, 3 by default) and do not
count against the task's retries=. flytekit's own failures are SYSTEM too (codes SYSTEM,
SYSTEM:Unknown, SYSTEM:DownloadDataError, ...). An array node whose subtasks failed reports kind
UNKNOWN with one "[indices]: message" line per distinct failure; the finding lists them.`,
		Fixes: []Fix{{Action: "read the error; if it names a Flyte component, check that component's logs (flytepropeller, flyteadmin)",
			Commands: []string{"kubectl logs -n flyte deploy/flytepropeller | grep EXECUTION"}}},
		Site: func(s *Site) *Hit {
			code, msg, kind := s.Error()
			if kind == "USER" || s.Stuck || (code == "" && msg == "") {
				return nil
			}
			if flyteSysRetriesRe.MatchString(msg) || contains([]string{"OffloadedInputsReadFailure", "MetadataPrefixCreationFailure", "BadSpecificationError"}, code) {
				return nil // FD8002, FD8003 say more
			}
			h := &Hit{Evidence: []string{flyteClip(msg, 2000)}}
			if subs, ok := flyteArraySubs(s); ok {
				n := 0
				var lines []string
				for _, sub := range subs {
					n += len(sub.Indices)
					lines = append(lines, sub.Ranges+" "+flyteClip(flyteDecisive(sub.Code, sub.Text), 200))
				}
				h.Summary = fmt.Sprintf("%s: %d subtasks failed: %s", flyteWhere(s), n, flyteClip(lines[0], 200))
				h.Detail = strings.Join(lines, "; ")
			} else {
				line := fallbackLine(msg)
				h.Summary = fmt.Sprintf("Flyte failed %s with %s", flyteWhere(s), fallbackCode(code, line))
				h.Detail = line
			}
			h.Fixes = []Fix{{Action: "read the error; if it names a Flyte component, check that component's logs",
				Commands: []string{"kubectl logs -n flyte deploy/flytepropeller | grep " + s.Execution.ID.Name}}}
			return h
		},
	}}
}

// fallbackLine is the decisive line of an error no rule recognised.
func fallbackLine(msg string) string {
	return flyteClip(cmp.Or(flyteDecisive("", msg), firstLine(msg)), 400)
}

// fallbackCode names the error in a summary: its code, or its first line when it has none.
func fallbackCode(code, line string) string {
	if code != "" {
		return code
	}
	return flyteClip(orUnknown(line), 160)
}
