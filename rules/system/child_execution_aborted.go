package system

import (
	"fmt"

	"github.com/flytedoctor/flytedoctor/rules/internal/read"
	"github.com/flytedoctor/flytedoctor/rules/rule"
)

func ChildExecutionAborted() *rule.Rule {
	return &rule.Rule{
		ID: "FD8102", Name: "child-execution-aborted", Title: "A child execution was aborted, failing its parent",
		Category: rule.CatAborted, Causes: []string{causeChildAborted}, Severity: rule.Warning, Requires: []rule.Evidence{rule.Admin},
		Supersedes: []string{"FD5901"}, // an aborted child is a warning, not a user error
		Doc: `A launch-plan node's child execution was aborted; propeller fails the parent node with code
RemoteChildWorkflowExecutionFailed, kind USER ("launchplan [<child>] aborted, caused by: launchplan
execution aborted"), and the parent execution fails. Nothing broke: someone aborted the child (its
abort cause and principal are shown), so this is a warning, not an error.`,
		Fixes: []rule.Fix{{Action: "relaunch the parent if the child was aborted by mistake"}},
		Run: func(pass *rule.Pass) {
			s := pass.Site
			if s.Node == nil {
				return
			}
			if !read.ChildAborted(s) {
				return
			}
			code, msg, _ := s.Error()
			child := s.Node.ChildExecution
			name := ""
			if m := read.LPAbortedRe.FindStringSubmatch(msg); m != nil {
				name = m[1]
			}
			h := rule.Hit{Evidence: []string{code + ": " + msg}}
			if child != nil {
				name = child.ID.Name
				h.Evidence = append(h.Evidence, fmt.Sprintf("child execution %s: phase %s, abort_principal %q, abort_cause %q",
					child.ID, child.Phase, child.AbortPrincipal, child.AbortCause))
			}
			h.Summary = fmt.Sprintf("child execution %s of node %s was aborted", read.OrUnknown(name), s.Node.ID)
			if child != nil && child.AbortPrincipal != "" {
				h.Summary += " by " + child.AbortPrincipal
			}
			if child != nil && child.AbortCause != "" {
				h.Summary += ": " + read.Clip(child.AbortCause, 200)
			}
			h.Detail = fmt.Sprintf("the parent node failed with %s: %s", read.OrUnknown(code), read.FirstLine(msg))
			id := s.Execution.ID
			h.Fixes = []rule.Fix{{Action: "relaunch the parent (recover reuses the nodes that finished) if the child was aborted by mistake",
				Commands: []string{fmt.Sprintf("flytectl create execution -p %s -d %s --recover %s", id.Project, id.Domain, id.Name)}}}
			pass.Report(h)
		},
	}
}
