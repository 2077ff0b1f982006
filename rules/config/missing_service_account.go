package config

import (
	"cmp"
	"fmt"

	"github.com/flytedoctor/flytedoctor/rules/internal/read"
	"github.com/flytedoctor/flytedoctor/rules/rule"
)

// MissingServiceAccount is FD4003: the service account the task runs as does not exist.
func MissingServiceAccount() *rule.Rule {
	return &rule.Rule{
		ID: "FD4003", Name: "missing-service-account", Title: "The service account the task runs as does not exist",
		Category: rule.CatConfigError, Causes: []string{"missing-service-account"}, Severity: rule.Error, Requires: []rule.Evidence{rule.Admin}, Reads: []rule.Evidence{rule.Kube},
		Doc: `Kubernetes refused to create the task's pod because its service account does not exist in the
execution's namespace: 'pods "x" is forbidden: error looking up service account ns/sa:
serviceaccount "sa" not found'. The service account comes from the launch (pyflyte run
--service-account, the launch plan's or the project's security context) and defaults to "default";
a "default" that is missing usually means the namespace is new or being deleted.

Flyte turns a Forbidden pod creation into code RuntimeFailure, kind USER, retryable, so the node
uses up its retries with the same refusal and fails with RetriesExhausted|RuntimeFailure. No pod is
ever created, so there are no pod events; flytedoctor also reads the service account and reports
it missing.`,
		Fixes: []rule.Fix{{Action: "create the service account in the execution's namespace, or launch with one that exists (pyflyte run --remote --service-account <sa> ...)"}},
		Run: func(pass *rule.Pass) {
			s := pass.Site
			var hits []read.PullText
			var ns, sa string
			for _, t := range read.PullTexts(s) {
				if m := sARe.FindStringSubmatch(t.Text); m != nil {
					if sa == "" {
						ns, sa = m[1], m[3]
					}
					hits = append(hits, t)
				}
			}
			if sa == "" {
				// Without the message: a missing service account and a pod that never existed.
				code, _, _ := s.Error()
				want := cmp.Or(s.Execution.ServiceAccount, "default")
				if len(s.Pods) > 0 || !(code == "RuntimeFailure" || (s.Stuck && code == "")) {
					return
				}
				for _, a := range s.Kube().ServiceAccounts {
					if a.NotFound && a.Name == want {
						sa, ns = a.Name, read.PullNamespace(s, nil)
					}
				}
				if sa == "" {
					return
				}
				if code != "" {
					_, msg, _ := s.Error()
					hits = append(hits, read.PullText{Source: "Admin error " + code, Text: msg})
				}
			}
			ev := read.PullEvidence(hits)
			for _, a := range s.Kube().ServiceAccounts {
				if a.NotFound && a.Name == sa {
					ev = append(ev, fmt.Sprintf("kube: serviceaccount %s/%s not found", ns, sa))
				}
			}
			h := rule.Hit{
				Summary:  fmt.Sprintf("service account %q does not exist in namespace %s, so Kubernetes refused to create the task's pod%s", sa, ns, read.PullAttempts(s)),
				Evidence: ev,
			}
			if len(hits) > 0 {
				h.Detail = "pod creation was refused: " + read.FirstLine(hits[0].Text)
				if s.Node != nil && s.Node.ErrorTrimmed && sARe.FindString(hits[0].Text) == "" {
					h.Detail += " (Admin's message is trimmed; the service account's absence is from Kubernetes)"
				}
				h.Detail += "; Flyte reports this as RuntimeFailure (USER, retryable), and every retry is refused the same way"
			} else {
				h.Detail = fmt.Sprintf("the task has no pod and service account %s/%s does not exist", ns, sa)
			}
			create := rule.Fix{Action: fmt.Sprintf("create service account %s in namespace %s", sa, ns),
				Commands: []string{fmt.Sprintf("kubectl create serviceaccount %s -n %s", sa, ns)}}
			if role := s.Execution.IAMRole; role != "" {
				create.Commands = append(create.Commands, fmt.Sprintf("kubectl annotate serviceaccount %s -n %s eks.amazonaws.com/role-arn=%s", sa, ns, role))
			}
			h.Fixes = []rule.Fix{create,
				{Action: "or relaunch with a service account that exists (pyflyte run --remote --service-account <sa> ...)",
					Commands: []string{fmt.Sprintf("kubectl get serviceaccounts -n %s", ns)}}}
			if sa == "default" {
				h.Fixes = append(h.Fixes, rule.Fix{Action: fmt.Sprintf("check that namespace %s is fully provisioned (flyteadmin's cluster resource manager creates per-project namespaces)", ns),
					Commands: []string{fmt.Sprintf("kubectl get namespace %s -o yaml", ns)}})
			}
			pass.Report(h)
		},
	}
}
