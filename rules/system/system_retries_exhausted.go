package system

import (
	"fmt"
	"strings"

	"github.com/flytedoctor/flytedoctor/rules/internal/read"
	"github.com/flytedoctor/flytedoctor/rules/rule"
)

func SystemRetriesExhausted() *rule.Rule {
	return &rule.Rule{
		ID: "FD8003", Name: "system-retries-exhausted", Title: "Propeller gave up after repeated system errors",
		Category: rule.CatSystem, Causes: []string{causeSystemRetries, causeEventRecording}, Severity: rule.Error,
		Requires: []rule.Evidence{rule.Admin}, Fallback: true,
		Supersedes: []string{"FD8901"}, // says which system retries ran out, and on what
		Doc: `Propeller failed to process the workflow more times than propeller's max-workflow-retries (10 by
default) and failed it: code RuntimeExecutionError or "Workflow abort failed", kind SYSTEM, "max
number of system retry attempts [11/10] exhausted. Last known status message: ...". The last known
message says what kept failing, most often EventRecordingFailed (propeller could not record a node
or task event in flyteadmin: admin down or overloaded, or a gRPC message larger than admin accepts)
or a storage error. A fallback: when another rule recognises the last message, that rule reports it.`,
		Fixes: []rule.Fix{{Action: "read flytepropeller's log for the execution; fix what the last known status message names",
			Commands: []string{"kubectl logs -n flyte deploy/flytepropeller | grep EXECUTION"}}},
		Run: func(pass *rule.Pass) {
			s := pass.Site
			code, msg, _ := s.Error()
			m := sysRetriesRe.FindStringSubmatch(msg)
			if m == nil && code != "RuntimeExecutionError" {
				return
			}
			last := ""
			if m != nil {
				last = strings.TrimSpace(m[3])
			}
			h := rule.Hit{Cause: causeSystemRetries, Evidence: []string{code + ": " + msg}}
			h.Summary = "propeller gave up on the workflow after repeated system errors"
			if m != nil {
				h.Summary += fmt.Sprintf(" (%s/%s attempts)", m[1], m[2])
			}
			h.Detail = read.FirstLine(msg)
			grep := "kubectl logs -n flyte deploy/flytepropeller | grep " + s.Execution.ID.Name
			h.Fixes = []rule.Fix{{Action: "read flytepropeller's log for the execution", Commands: []string{grep}}}
			if strings.Contains(last, "EventRecordingFailed") || strings.Contains(last, "failed to record") {
				h.Cause = causeEventRecording
				h.Summary = "propeller could not record the workflow's events in flyteadmin and gave up"
				h.Fixes = append(h.Fixes, rule.Fix{Action: "check that flyteadmin is up and reachable from propeller", Commands: []string{"kubectl logs -n flyte deploy/flyteadmin --since=1h"}})
				if mm := gRPCSizeRe.FindStringSubmatch(last); mm != nil {
					h.Fixes = append(h.Fixes, rule.Fix{Action: fmt.Sprintf("an event (%s bytes) is larger than flyteadmin's gRPC limit (%s bytes): raise flyteadmin's server.grpc.maxMessageSizeBytes or shrink the error message / outputs the task produces", mm[1], mm[2])})
				}
			}
			if last != "" {
				h.Detail = "last known status message: " + read.Clip(last, 400)
			}
			pass.Report(h)
		},
	}
}
