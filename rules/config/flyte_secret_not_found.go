package config

import (
	"fmt"

	"github.com/flytedoctor/flytedoctor/rules/internal/read"
	"github.com/flytedoctor/flytedoctor/rules/rule"
)

// FlyteSecretNotFound is FD4005: the task could not read a secret it requested from Flyte.
func FlyteSecretNotFound() *rule.Rule {
	return &rule.Rule{
		ID: "FD4005", Name: "flyte-secret-not-found", Title: "The task could not read a secret it requested from Flyte",
		Category: rule.CatConfigError, Causes: []string{"missing-secret"}, Severity: rule.Error, Requires: []rule.Evidence{rule.Admin},
		Doc: `flytekit raised 'Unable to find secret for key K in group G in Env Var:_FSEC_G_K and FilePath:
/etc/secrets/g/k' when the task called current_context().secrets.get(...): the secret was not in the
container. Flyte's pod webhook injects each of a task's secret_requests as an optional reference to
the Kubernetes secret named by the group, so a missing secret or key no longer stops the pod
(CreateContainerConfigError); the task starts and fails when it reads the secret. The secret is also
absent when the task does not declare it in secret_requests, or when the webhook did not mutate the
pod (it is not running, or the pod lacks the inject-flyte-secrets label).

The error is a user exception (code USER:ValueError, kind USER), non-recoverable, so Flyte does not
retry it.`,
		Fixes: []rule.Fix{{Action: "create the Kubernetes secret named by the group, with the key, in the execution's namespace; declare it in @task(secret_requests=[Secret(group=..., key=...)])"}},
		Run: func(pass *rule.Pass) {
			s := pass.Site
			var hits []read.PullText
			var key, group, env, file string
			for _, t := range read.PullTexts(s) {
				if m := flyteSecretRe.FindStringSubmatch(t.Text); m != nil {
					if group == "" {
						key, group, env, file = m[1], m[2], m[3], m[4]
					}
					hits = append(hits, t)
				}
			}
			if group == "" {
				return
			}
			p := read.PullPod(s, hits...)
			ns := read.PullNamespace(s, p)
			h := rule.Hit{
				Summary: fmt.Sprintf("the task asked for Flyte secret %s/%s but it was not in the container (neither %s nor %s)", group, key, env, file),
				Detail: "flytekit raised: " + secretLine(hits[0].Text) +
					"; the error is a non-recoverable USER error, so Flyte did not retry",
				Subject: read.PullSubject(s, hits...),
			}
			for i, t := range hits {
				if i < 3 {
					h.Evidence = append(h.Evidence, t.Source+": "+secretLine(t.Text))
				}
			}
			refd := p != nil && (len(refKeys(p, group, true)) > 0 || volumeRefs(p, group))
			switch {
			case refd:
				h.Detail += fmt.Sprintf("; the pod did reference secret %q, so the secret or its key %q is missing in namespace %s", group, key, ns)
			case p != nil:
				h.Detail += fmt.Sprintf("; the pod has no reference to secret %q: the task does not request it, or Flyte's secret webhook did not run", group)
			}
			create := rule.Fix{Action: fmt.Sprintf("create secret %s with key %s in namespace %s (or add the key if the secret exists)", group, key, ns),
				Commands: []string{fmt.Sprintf("kubectl get secret %s -n %s -o jsonpath='{.data}'", group, ns),
					fmt.Sprintf("kubectl create secret generic %s -n %s --from-literal=%s=<value>", group, ns, key)}}
			declare := rule.Fix{Action: fmt.Sprintf("declare the secret on the task: @task(secret_requests=[Secret(group=%q, key=%q)]), register and relaunch", group, key)}
			webhook := rule.Fix{Action: "check that Flyte's pod webhook is running and mutates task pods (label inject-flyte-secrets=true)",
				Commands: []string{"kubectl get mutatingwebhookconfigurations | grep -i flyte"}}
			switch {
			case refd:
				h.Fixes = []rule.Fix{create}
			case p != nil:
				h.Fixes = []rule.Fix{declare, webhook, create}
			default:
				h.Fixes = []rule.Fix{create, declare, webhook}
			}
			pass.Report(h)
		},
	}
}
