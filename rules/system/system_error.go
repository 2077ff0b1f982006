package system

import (
	"fmt"
	"strings"

	"github.com/flytedoctor/flytedoctor/collectors/evidence"
	"github.com/flytedoctor/flytedoctor/rules/internal/read"
	"github.com/flytedoctor/flytedoctor/rules/rule"
)

// SystemError is FD8901: flyte reported a system error.
func SystemError() *rule.Rule {
	return &rule.Rule{
		ID: "FD8901", Name: "system-error", Title: "Flyte reported a system error",
		Category: rule.CatSystem, Causes: []string{"system-error"}, Severity: rule.Error, Requires: []rule.Evidence{rule.Admin}, Fallback: true,
		Doc: `The failure has kind SYSTEM (or UNKNOWN) and no more specific rule recognised it. SYSTEM errors come
from Flyte itself or the platform (propeller, the plugin, storage, Kubernetes) rather than the task's
code; they use the system retry budget (max-node-retries-system-failures, 3 by default) and do not
count against the task's retries=. flytekit's own failures are SYSTEM too (codes SYSTEM,
SYSTEM:Unknown, SYSTEM:DownloadDataError, ...). An array node whose subtasks failed reports kind
UNKNOWN with one "[indices]: message" line per distinct failure; the finding lists them.`,
		Fixes: []rule.Fix{{Action: "read the error; if it names a Flyte component, check that component's logs (flytepropeller, flyteadmin)",
			Commands: []string{"kubectl logs -n flyte deploy/flytepropeller | grep EXECUTION"}}},
		Run: func(pass *rule.Pass) {
			s := pass.Site
			code, msg, kind := s.Error()
			if kind == evidence.ErrorKindUser || s.Stuck || (code == "" && msg == "") {
				return
			}
			h := rule.Hit{Evidence: []string{read.Clip(msg, 2000)}}
			if subs, ok := read.ArraySubs(s); ok {
				n := 0
				var lines []string
				for _, sub := range subs {
					n += len(sub.Indices)
					lines = append(lines, sub.Ranges+" "+read.Clip(read.Decisive(sub.Code, sub.Text), 200))
				}
				h.Summary = fmt.Sprintf("%s: %d subtasks failed: %s", read.Where(s), n, read.Clip(lines[0], 200))
				h.Detail = strings.Join(lines, "; ")
			} else {
				line := read.FallbackLine(msg)
				h.Summary = fmt.Sprintf("Flyte failed %s with %s", read.Where(s), read.FallbackCode(code, line))
				h.Detail = line
			}
			h.Fixes = []rule.Fix{{Action: "read the error; if it names a Flyte component, check that component's logs",
				Commands: []string{"kubectl logs -n flyte deploy/flytepropeller | grep " + s.Execution.ID.Name}}}
			pass.Report(h)
		},
	}
}
