package collection

import (
	"github.com/flytedoctor/flytedoctor/rules/rule"
)

// TaskRoleNotAssumed is FD9005: the storage probes could not run as the task's role.
func TaskRoleNotAssumed() *rule.Rule {
	return &rule.Rule{
		ID: "FD9005", Name: "task-role-not-assumed", Title: "The storage probes could not run as the task's role",
		Category: rule.CatCollection, Causes: []string{forbidden, notConfigured}, Severity: rule.Warning, Requires: []rule.Evidence{rule.Storage},
		Doc: `--as-task-role asks the storage collector to assume the execution's IAM role
(security_context.run_as.iam_role) so that the probes answer for the task, not for flytedoctor.
When STS refused (cause "forbidden", a warning: the caller is not in the role's trust policy) or
there was no role or no STS to ask (cause "not-configured", info), the probes ran as flytedoctor's
own identity, which may have more or fewer rights than the task.`,
		Fixes: []rule.Fix{{Action: "allow flytedoctor's identity to assume the task's role, or read the probe results as flytedoctor's own"}},
		Scope: rule.WholeSnapshot,
		Run:   reportTaskRole,
	}
}
