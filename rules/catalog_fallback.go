package rules

import "fmt"

// fallbackRules classify what no specific rule explained, from Admin's error alone.
func fallbackRules() []*Rule {
	return []*Rule{{
		ID: "FD5901", Name: "user-error", Title: "The task failed with a user error",
		Category: CatUserCode, Causes: []string{"user-error"}, Severity: Error, Requires: []string{"admin"}, Fallback: true,
		Doc: `Flyte reports the failure with kind USER and no more specific rule recognised it: an exception in
the task's code (flytekit writes USER:<ExceptionType> codes to error.pb), or a container that exited
non-zero. USER failures use the task's own retry budget (retries=), and flytekit marks uncaught
exceptions non-recoverable, so they are not retried unless the code raises FlyteRecoverableException.`,
		Fixes: []Fix{{Action: "read the error and the task's log for the exception, fix the code or its inputs, and relaunch"}},
		Site: func(s *Site) *Hit {
			code, msg, kind := s.Error()
			if kind != "USER" || s.Stuck {
				return nil
			}
			return &Hit{Summary: fmt.Sprintf("the task failed with %s", orUnknown(code)), Detail: firstLine(msg), Evidence: []string{msg}}
		},
	}, {
		ID: "FD8901", Name: "system-error", Title: "Flyte reported a system error",
		Category: CatSystem, Causes: []string{"system-error"}, Severity: Error, Requires: []string{"admin"}, Fallback: true,
		Doc: `The failure has kind SYSTEM (or UNKNOWN) and no more specific rule recognised it. SYSTEM errors come
from Flyte itself or the platform (propeller, the plugin, storage, Kubernetes) rather than the task's
code; they use the system retry budget (max-node-retries-system-failures, 3 by default).`,
		Fixes: []Fix{{Action: "read the error; if it names a Flyte component, check that component's logs (flytepropeller, flyteadmin)"}},
		Site: func(s *Site) *Hit {
			code, msg, kind := s.Error()
			if kind == "USER" || s.Stuck || (code == "" && msg == "") {
				return nil
			}
			return &Hit{Summary: fmt.Sprintf("Flyte failed the task with %s", orUnknown(code)), Detail: firstLine(msg), Evidence: []string{msg}}
		},
	}}
}
