package imagepull

import (
	"fmt"
	"strings"

	"github.com/flytedoctor/flytedoctor/rules/internal/read"
	"github.com/flytedoctor/flytedoctor/rules/rule"
)

// Unauthorized is FD1005: registry refused the image pull: credentials missing or not allowed.
func Unauthorized() *rule.Rule {
	return &rule.Rule{
		ID: "FD1005", Name: "image-pull-unauthorized", Title: "Registry refused the image pull: credentials missing or not allowed",
		Category: rule.CatImagePull, Causes: []string{read.PullAuth}, Severity: rule.Error, Requires: []rule.Evidence{rule.Admin}, Reads: []rule.Evidence{rule.Kube},
		Supersedes: []string{"FD4004"}, // names the missing pull secret in its own detail and fixes
		Doc: `The registry answered the pull with 401 or 403: "pull access denied", "unauthorized:
authentication required", "no basic auth credentials", "insufficient_scope: authorization failed".
The node pulled without credentials, with credentials for another registry, or with credentials
that may not read this repository (or have expired: ECR tokens last 12 hours). The kubelet uses the
pod's imagePullSecrets, which Kubernetes copies from the service account the task runs as, plus any
credentials of the node itself (on EKS the node role's ECR permissions). Docker Hub, GHCR and Harbor
give the same answer for a repository that does not exist, so check the name too.

Flyte reports ErrImagePull / ImagePullBackOff as INITIALIZING until the image-pull grace period (3m by
default) runs out, then fails the attempt with ContainersNotReady|ImagePullBackOff, kind USER,
retryable; retries fail the same way until the credentials are fixed.`,
		Fixes: []rule.Fix{{Action: "create a docker-registry secret for the registry and add it to the imagePullSecrets of the service account the task runs as",
			Commands: []string{"kubectl create secret docker-registry <name> -n <namespace> --docker-server=<registry> --docker-username=<user> --docker-password=<token>",
				`kubectl patch serviceaccount <sa> -n <namespace> -p '{"imagePullSecrets":[{"name":"<name>"}]}'`}}},
		Run: func(pass *rule.Pass) {
			s := pass.Site
			hits := read.PullFind(s, read.PullAuth)
			if len(hits) == 0 {
				return
			}
			img := read.PullImage(s, hits...)
			h := rule.Hit{
				Summary:  fmt.Sprintf("the registry refused to let the node pull %s%s (unauthorized)%s", read.OrUnknown(img), from(img), read.PullAttempts(s)),
				Detail:   "the pull failed with: " + read.FirstLine(hits[0].Text),
				Evidence: read.PullEvidence(hits),
				Subject:  read.PullSubject(s, hits...),
			}
			if strings.Contains(hits[0].Text, "does not exist or may require") {
				h.Detail += "; this registry gives the same answer for a repository that does not exist, so check the name too"
			}
			authAdvice(s, &h, img, hits)
			h.Detail += read.PullStuckNote(s)
			pass.Report(h)
		},
	}
}
