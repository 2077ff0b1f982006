package system

import (
	"fmt"
	"strings"

	"github.com/flytedoctor/flytedoctor/collectors/evidence"
	"github.com/flytedoctor/flytedoctor/rules/internal/read"
	"github.com/flytedoctor/flytedoctor/rules/rule"
)

func ExecutionAborted() *rule.Rule {
	return &rule.Rule{
		ID: "FD8101", Name: "execution-aborted", Title: "The execution was aborted",
		Category: rule.CatAborted, Causes: []string{causeAborted}, Severity: rule.Info, Requires: []rule.Evidence{rule.Admin},
		Doc: `Someone (or something: a schedule, a parent execution, flytekit's remote.terminate) aborted the
execution; Admin keeps the cause and principal (closure.abort_metadata). It is not a failure and is
reported as information, never as an error. Running nodes are aborted and their pods deleted.
A healthy SUCCEEDED execution produces no finding at all.`,
		Fixes: []rule.Fix{{Action: "nothing to fix; relaunch or recover the execution if the abort was a mistake"}},
		Run: func(pass *rule.Pass) {
			s := pass.Site
			if s.Node != nil || s.Execution.Phase != evidence.PhaseAborted {
				return
			}
			who := read.OrUnknown(s.Execution.AbortPrincipal)
			h := rule.Hit{Summary: "the execution was aborted by " + who}
			if c := strings.TrimSpace(s.Execution.AbortCause); c != "" {
				h.Summary += ": " + read.Clip(c, 200)
				h.Detail = "abort cause: " + c
			}
			h.Evidence = []string{fmt.Sprintf("execution phase ABORTED, abort_principal %q, abort_cause %q", s.Execution.AbortPrincipal, s.Execution.AbortCause)}
			id := s.Execution.ID
			h.Fixes = []rule.Fix{{Action: "nothing to fix; to run it again, relaunch it, or recover it to reuse the outputs of the nodes that finished",
				Commands: []string{fmt.Sprintf("flytectl create execution -p %s -d %s --recover %s", id.Project, id.Domain, id.Name)}}}
			pass.Report(h)
		},
	}
}
