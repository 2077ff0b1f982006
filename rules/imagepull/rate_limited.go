package imagepull

import (
	"fmt"

	"github.com/flytedoctor/flytedoctor/rules/internal/read"
	"github.com/flytedoctor/flytedoctor/rules/rule"
)

// RateLimited is FD1004: registry rate-limited the image pull.
func RateLimited() *rule.Rule {
	return &rule.Rule{
		ID: "FD1004", Name: "image-pull-rate-limited", Title: "Registry rate-limited the image pull",
		Category: rule.CatImagePull, Causes: []string{read.PullRateLimited}, Severity: rule.Error, Requires: []rule.Evidence{rule.Admin},
		Doc: `The registry refused the pull with HTTP 429 ("429 Too Many Requests", Docker Hub's
"toomanyrequests: You have reached your pull rate limit"). Docker Hub limits anonymous pulls per
source IP, and a whole cluster behind one NAT gateway shares that limit.

Flyte v1 treats it like any pull failure: INITIALIZING during the image-pull grace period (3m by
default), then ContainersNotReady|ImagePullBackOff, kind USER, retryable against the task's own
retry budget (Flyte 2 reports 429 pulls as SYSTEM instead). Retries may succeed once the window
resets, but the fix is to pull with credentials or from a mirror.`,
		Fixes: []rule.Fix{{Action: "pull with registry credentials (an imagePullSecret on the service account), or mirror the image into a registry you control (e.g. an ECR pull-through cache)"}},
		Run: func(pass *rule.Pass) {
			s := pass.Site
			hits := read.PullFind(s, read.PullRateLimited)
			if len(hits) == 0 {
				return
			}
			img := read.PullImage(s, hits...)
			reg := read.PullRegistry(img)
			p := read.PullPod(s, hits...)
			ns, sa := read.PullNamespace(s, p), read.PullServiceAccount(s, p)
			h := rule.Hit{
				Summary:  fmt.Sprintf("the registry rate-limited the pull of %s%s with 429 Too Many Requests%s", read.OrUnknown(img), from(img), read.PullAttempts(s)),
				Detail:   "the pull failed with: " + read.FirstLine(hits[0].Text) + resolves(img) + read.PullStuckNote(s),
				Evidence: read.PullEvidence(hits),
				Subject:  read.PullSubject(s, hits...),
			}
			h.Fixes = []rule.Fix{{Action: fmt.Sprintf("pull %s with credentials: create a registry secret and add it to service account %s", reg, sa),
				Commands: []string{
					fmt.Sprintf("kubectl create secret docker-registry %s-pull -n %s --docker-server=%s --docker-username=<user> --docker-password=<access-token>", secretName(reg), ns, read.PullServer(reg)),
					patchSA(s, p, sa, ns, secretName(reg)+"-pull")}},
				{Action: "or mirror the image into a registry you control (ECR pull-through cache, Artifact Registry remote repository, Harbor proxy) and register the task with the mirrored image"},
				{Action: "relaunch once the rate-limit window has reset"}}
			pass.Report(h)
		},
	}
}
