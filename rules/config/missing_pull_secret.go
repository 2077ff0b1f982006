package config

import (
	"fmt"
	"strings"

	"github.com/flytedoctor/flytedoctor/rules/internal/read"
	"github.com/flytedoctor/flytedoctor/rules/rule"
)

// MissingPullSecret is FD4004: an image pull secret the pod references does not exist.
func MissingPullSecret() *rule.Rule {
	return &rule.Rule{
		ID: "FD4004", Name: "missing-pull-secret", Title: "An image pull secret the pod references does not exist",
		Category: rule.CatConfigError, Causes: []string{"missing-pull-secret"}, Severity: rule.Warning, Requires: []rule.Evidence{rule.Kube},
		Doc: `The kubelet warned 'Unable to retrieve some image pull secrets (x); attempting to pull the image
may not succeed' (event FailedToRetrieveImagePullSecret): the pod, or the service account it runs as,
lists an imagePullSecret that does not exist in the namespace, and the kubelet pulls without it.

When the pull then failed and the registry's answer was not captured, the missing secret is the
explanation and this rule is the root cause (error). When the registry's answer says the pull was
unauthorized, the image-pull finding (registry-auth) is the root cause and names the missing secret
in its detail and fixes, so this rule stays quiet. When the pull failed for another reason (not
found, unreachable) or is still waiting, it is a warning next to that finding. Flyte reports a
failing pull as INITIALIZING during the image-pull grace period (3m by default), then as
ContainersNotReady|ImagePullBackOff, kind USER, retryable.`,
		Fixes: []rule.Fix{{Action: "create the pull secret (kubectl create secret docker-registry <name> -n <namespace> ...), or remove it from the service account's imagePullSecrets"}},
		Run: func(pass *rule.Pass) {
			s := pass.Site
			names, ev := read.PullMissingSecrets(s)
			if ev == nil {
				return
			}
			failing, unexplained := read.PullFailing(s), read.PullUnexplained(s)
			if code, msg, _ := s.Error(); !failing && (code != "" || msg != "") {
				// The pull worked and the site failed for another reason: that reason is the finding.
				return
			}
			p := s.Pods[ev.Name]
			ns, sa := read.PullNamespace(s, p), read.PullServiceAccount(s, p)
			podSecrets, saSecrets, _ := read.PullSecretsOf(s, p, sa)
			from := "the pod spec or its service account"
			for _, n := range podSecrets {
				if len(names) > 0 && n == names[0] {
					from = "the pod spec"
				}
			}
			for _, n := range saSecrets {
				if len(names) > 0 && n == names[0] {
					from = "service account " + sa
				}
			}
			name := "<name>"
			if len(names) > 0 {
				name = names[0]
			}
			sub := s.Subject()
			sub.Pod = ev.Name
			h := rule.Hit{
				Summary:  fmt.Sprintf("image pull secret %s (from %s) does not exist in namespace %s", strings.Join(names, ", "), from, ns),
				Detail:   "the kubelet warned: " + strings.TrimSuffix(ev.Message, "."),
				Evidence: []string{read.PullEventSource(ev) + ": " + ev.Message},
				Subject:  sub,
			}
			create := rule.Fix{Action: fmt.Sprintf("create pull secret %s in namespace %s with credentials for the image's registry", name, ns),
				Commands: []string{fmt.Sprintf("kubectl create secret docker-registry %s -n %s --docker-server=<registry> --docker-username=<user> --docker-password=<token>", name, ns)}}
			remove := rule.Fix{Action: fmt.Sprintf("or remove it from the imagePullSecrets of service account %s", sa),
				Commands: []string{fmt.Sprintf("kubectl edit serviceaccount %s -n %s", sa, ns)}}
			if from == "the pod spec" {
				remove = rule.Fix{Action: "or remove it from the imagePullSecrets of the task's pod template"}
			}
			h.Fixes = []rule.Fix{create, remove}
			if unexplained {
				img := read.PullImage(s)
				reg := read.PullRegistry(img)
				sev := rule.Error
				h.Severity = &sev
				h.Summary = fmt.Sprintf("image %s could not be pulled: its pull secret %s (from %s) does not exist in namespace %s%s",
					read.OrUnknown(img), strings.Join(names, ", "), from, ns, read.PullAttempts(s))
				h.Detail += "; the pull then failed (ImagePullBackOff) and no other reason was recorded, so the node most likely pulled from " +
					reg + " without credentials" + read.PullStuckNote(s)
				for _, t := range read.PullTexts(s) {
					if read.PullContext.MatchString(t.Text) && (t.Event == nil || t.Event.Type == "Warning") && len(h.Evidence) < 3 {
						h.Evidence = append(h.Evidence, t.Line())
					}
				}
				h.Fixes[0].Commands[0] = fmt.Sprintf("kubectl create secret docker-registry %s -n %s --docker-server=%s --docker-username=<user> --docker-password=<token>", name, ns, read.PullServer(reg))
				if img != "" {
					h.Fixes = append(h.Fixes, rule.Fix{Action: "check the image name and that the credentials can read it", Commands: []string{"crane manifest " + img}})
				}
			} else if failing {
				h.Detail += "; the pull failed for another reason, reported separately"
			} else {
				h.Detail += "; the image was pulled without it, but a private image will fail"
			}
			pass.Report(h)
		},
	}
}
