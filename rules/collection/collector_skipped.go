package collection

import (
	"github.com/flytedoctor/flytedoctor/rules/rule"
)

// CollectorSkipped is FD9004: A collector was skipped for want of access.
func CollectorSkipped() *rule.Rule {
	return &rule.Rule{
		ID: "FD9004", Name: "collector-skipped", Title: "A collector was skipped for want of access",
		Category: rule.CatCollection, Causes: []string{notConfigured}, Severity: rule.Info,
		Doc: `A collector did not run because flytedoctor had nothing to run it with: no kubeconfig or cluster
access, no AWS credentials, no namespace, or execution data only on schemes it does not probe
(gs://, abfs://). This is information, not a warning: the findings rely on Admin's error for that
layer. Collectors the user turned off with --skip produce no finding. Cause "not-configured".`,
		Fixes: []rule.Fix{{Action: "give flytedoctor the missing access (--kubeconfig / --context, --aws-profile) to see that layer"}},
		Scope: rule.WholeSnapshot,
		Run:   reportSkipped,
	}
}
