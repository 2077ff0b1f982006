package collection

import (
	"github.com/flytedoctor/flytedoctor/rules/rule"
)

// Forbidden is FD9001: flytedoctor was not allowed to read some evidence.
func Forbidden() *rule.Rule {
	return &rule.Rule{
		ID: "FD9001", Name: "collection-forbidden", Title: "flytedoctor was not allowed to read some evidence",
		Category: rule.CatCollection, Causes: []string{forbidden}, Severity: rule.Warning,
		Doc: `A collector's call was refused: Kubernetes RBAC answered Forbidden (e.g. "nodes is forbidden: User
"x" cannot list resource "nodes" in API group "" at the cluster scope") or Unauthorized, or Flyte
Admin answered PermissionDenied or Unauthenticated. The evidence that call would have brought is
missing from the report (nodes explain unschedulable pods, events explain image pulls and
scheduling, service accounts carry the task's IAM role), so findings that need it cannot fire.
Cause "forbidden". docs/rbac.yaml grants exactly the read-only verbs the Kubernetes collector
uses; without its flytedoctor-nodes role the report still has pods, events and quotas.`,
		Fixes: []rule.Fix{{Action: "grant flytedoctor the read-only roles in docs/rbac.yaml, or read access to the project in Flyte Admin"}},
		Scope: rule.WholeSnapshot,
		Run:   reportForbidden,
	}
}
