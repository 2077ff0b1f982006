package system

import (
	"fmt"
	"strings"

	"github.com/flytedoctor/flytedoctor/rules/internal/pattern"
	"github.com/flytedoctor/flytedoctor/rules/internal/read"
	"github.com/flytedoctor/flytedoctor/rules/rule"
)

// fires-input-file-missing-5439 quotes https://github.com/flyteorg/flyte/issues/5439 verbatim;
// quiet-output-conversion is the same failure on the task's outputs.
//
// flytekit's dispatch_execute: "Failed to convert inputs of task 'name':\n  <exception>".
var inputsRe = pattern.MustCompile(`(?s)(\w+(?:Error|Exception)): Failed to convert inputs of task '([^']+)':\s*(.*?)(?:\n\s*\n|$)`)

const causeInputConversion = "input-conversion-failed"

// InputConversionFailed is FD8008: flytekit could not turn the task's inputs into Python values.
func InputConversionFailed() *rule.Rule {
	return &rule.Rule{
		ID: "FD8008", Name: "input-conversion-failed", Title: "flytekit could not turn the task's inputs into Python values",
		Category: rule.CatSystem, Causes: []string{causeInputConversion}, Severity: rule.Error, Requires: []rule.Evidence{rule.Admin}, Reads: []rule.Evidence{rule.Storage},
		Supersedes: []string{"FD8901", "FD5101"}, // says which step failed instead of quoting the traceback
		Doc: `Before the task function runs, flytekit downloads inputs.pb and converts each literal into the
Python type the signature declares; for a FlyteFile, FlyteDirectory or dataframe that means
downloading the data it points at. When that fails, flytekit raises "Failed to convert inputs of
task '<name>': <exception>" and reports "SYSTEM ERROR! Contact platform administrators." (kind
SYSTEM, retried on the system retry budget, flyteorg/flyte#5439). The exception says why: a
FileNotFoundError for a blob that is gone (deleted by a lifecycle rule, written by another
execution, or never uploaded), an access error for data the task's role cannot read (the storage
rules report those), a type that does not match the literal after a re-registration.`,
		Fixes: []rule.Fix{{Action: "check that the data the inputs point at still exists and is readable by the task's role, then relaunch with fresh inputs"}},
		Run: func(pass *rule.Pass) {
			s := pass.Site
			if s.Stuck {
				return
			}
			_, msg, kind := s.Error()
			m := inputsRe.FindStringSubmatch(msg)
			if m == nil {
				return
			}
			why := strings.Join(strings.Fields(m[3]), " ")
			h := rule.Hit{
				Summary:  fmt.Sprintf("flytekit could not convert the inputs of %s (%s): %s", m[2], m[1], read.Clip(why, 200)),
				Evidence: []string{read.Clip(m[0], 600)},
			}
			h.Detail = fmt.Sprintf("The task function never ran: flytekit failed turning its inputs into Python values, kind %s", read.OrUnknown(kind))
			if m[1] == "FileNotFoundError" || strings.Contains(why, "No such file or directory") {
				h.Detail += "; the data behind a file or directory input was not there to download (deleted, expired by a lifecycle rule, or never uploaded), and a retry meets the same gap"
				h.Fixes = []rule.Fix{
					{Action: "find the input that points at missing data: read the execution's inputs and check each blob's URI", Commands: []string{
						fmt.Sprintf("flytectl get execution -p %s -d %s %s --details", s.Execution.ID.Project, s.Execution.ID.Domain, s.Execution.ID.Name)}},
					{Action: "relaunch with inputs whose data exists (or rerun the upstream node that produces it)"},
				}
			} else {
				h.Fixes = []rule.Fix{{Action: "read the exception: a type that no longer matches the literal (re-registered task) or data the task's role cannot read; fix it and relaunch"}}
			}
			pass.Report(h)
		},
	}
}
