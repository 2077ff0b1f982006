package imagepull

import (
	"fmt"
	"strings"

	"github.com/flytedoctor/flytedoctor/rules/internal/read"
	"github.com/flytedoctor/flytedoctor/rules/rule"
)

// Cases quote Flyte users verbatim: fires-library-image-never-pushed-1319,
// https://github.com/flyteorg/flyte/issues/1319, and fires-library-image-sandbox-2466,
// https://github.com/flyteorg/flyte/issues/2466 (an image without a registry, built on the laptop);
// quiet-library-image-registry-unreachable is an official image the node could not reach.
//
// Failed is FD1007: image pull failed; the registry's reason was not captured.
func Failed() *rule.Rule {
	return &rule.Rule{
		ID: "FD1007", Name: "image-pull-failed", Title: "Image pull failed; the registry's reason was not captured",
		Category: rule.CatImagePull, Causes: []string{read.PullAuth, read.PullNotFound}, Severity: rule.Error, Requires: []rule.Evidence{rule.Admin},
		Doc: `The task's image could not be pulled (ImagePullBackOff / ErrImagePull in Admin's error code,
the container's waiting reason or the kubelet's events), but no message that says why survived:
Admin's final error only says "Back-off pulling image", the pod has been deleted and its events
have expired; or the kubelet's message names a reason flytedoctor does not know (it is then quoted).
This rule runs after the specific image-pull rules and only when none of them matched (and FD4004
takes over when the kubelet said a pull secret is missing).

The cause it reports is registry-auth, as the most likely of the permanent causes: a pull that keeps
failing for the whole grace period is rarely a network blip, and registries commonly answer both a
missing repository and missing credentials with a denial. The finding says the reason was not
captured; check the name and the credentials. A reference without a registry ("flyte-example:1.0")
is the exception: it resolves to docker.io/library/, Docker Hub's official images, so the image
was built locally and never pushed (cause image-not-found), and the finding says where to push it.

Flyte reports the pull as INITIALIZING until the image-pull grace period (3m by default) runs out,
then fails the attempt with ContainersNotReady|ImagePullBackOff, kind USER, retryable.`,
		Fixes: []rule.Fix{{Action: "check that the image exists and that your credentials can read it (crane manifest <image>)"},
			{Action: "relaunch and read the kubelet's reason while the pod exists (kubectl describe pod -n <namespace> <pod>)"}},
		Run: func(pass *rule.Pass) {
			s := pass.Site
			if !read.PullUnexplained(s) {
				return
			}
			if _, ev := read.PullMissingSecrets(s); ev != nil {
				return // FD4004 names the missing pull secret
			}
			var hits []read.PullText
			for _, t := range read.PullTexts(s) {
				if read.PullContext.MatchString(t.Text) && !strings.HasPrefix(t.Text, "Successfully") &&
					(t.Event == nil || t.Event.Type == "Warning") {
					hits = append(hits, t)
				}
			}
			if len(hits) == 0 {
				code, msg, _ := s.Error()
				hits = append(hits, read.PullText{Source: "Admin error " + code, Text: msg})
			}
			img := read.PullImage(s, hits...)
			h := rule.Hit{
				Summary: fmt.Sprintf("image %s could not be pulled (ImagePullBackOff); the registry's reason was not captured%s",
					read.OrUnknown(img), read.PullAttempts(s)),
				Detail: "the pull failure left only: " + read.FirstLine(hits[0].Text) + " — the kubelet's message with the registry's answer is gone (" +
					whyLost(s) + "); reported as registry-auth, the likeliest permanent cause, but a missing tag looks the same" + read.PullStuckNote(s),
				Evidence: read.PullEvidence(hits),
				Subject:  read.PullSubject(s, hits...),
			}
			// A kubelet message with a reason flytedoctor does not know: quote it rather than
			// claim it was lost.
			for _, t := range hits {
				if m := reasonRe.FindStringSubmatch(t.Text); m != nil {
					h.Summary = fmt.Sprintf("image %s could not be pulled: %s%s", read.OrUnknown(img), lastClause(m[1]), read.PullAttempts(s))
					h.Detail = "the pull failed with: " + read.FirstLine(t.Text) + " — flytedoctor does not recognise this reason; " +
						"reported as registry-auth by default, read the message" + read.PullStuckNote(s)
					first := []read.PullText{t}
					for _, o := range hits {
						if o.Text != t.Text {
							first = append(first, o)
						}
					}
					h.Evidence = read.PullEvidence(first)
					h.Subject = read.PullSubject(s, t)
					break
				}
			}
			if note := read.LibraryNote(img); note != "" {
				// Not a registry's refusal: a name only a local Docker knows.
				h.Cause = read.PullNotFound
				h.Summary = fmt.Sprintf("image %s names no registry, so the node pulled it from Docker Hub's official images (docker.io/library/); unless it is one, it was built locally and never pushed (ImagePullBackOff)%s",
					img, read.PullAttempts(s))
				h.Detail = "the pull failure left only: " + read.FirstLine(hits[0].Text) + "; " + note + read.PullStuckNote(s)
				h.Fixes = libraryFixes(img)
				pass.Report(h)
				return
			}
			authAdvice(s, &h, img, hits)
			p := read.PullPod(s, hits...)
			ns := read.PullNamespace(s, p)
			cmd := fmt.Sprintf("kubectl describe pods -n %s -l execution-id=<new-execution>", ns)
			if p != nil {
				cmd = fmt.Sprintf("kubectl describe pod -n %s %s", ns, p.Name)
			}
			h.Fixes = append([]rule.Fix{{Action: "find the registry's answer: relaunch and read the kubelet's Failed events while the pod waits in ImagePullBackOff (its first 3 minutes)",
				Commands: []string{cmd}}}, h.Fixes...)
			pass.Report(h)
		},
	}
}
