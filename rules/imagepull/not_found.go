package imagepull

import (
	"fmt"

	"github.com/flytedoctor/flytedoctor/rules/internal/read"
	"github.com/flytedoctor/flytedoctor/rules/rule"
)

// fires-library-pull-access-denied-288 quotes https://github.com/flyteorg/flytesnacks/pull/288
// verbatim: Docker Hub's denial for docker.io/library/flytecookbook.
//
// NotFound is FD1001: container image or tag does not exist.
func NotFound() *rule.Rule {
	return &rule.Rule{
		ID: "FD1001", Name: "image-not-found", Title: "Container image or tag does not exist",
		Category: rule.CatImagePull, Causes: []string{read.PullNotFound}, Severity: rule.Error, Requires: []rule.Evidence{rule.Admin},
		Doc: `The kubelet could not pull the task's image because the registry has no such repository or tag
(containerd: "failed to resolve reference ...: not found", Docker and CRI-O: "manifest unknown").
Flyte reports ErrImagePull / ImagePullBackOff as INITIALIZING until the image-pull grace period (3m by
default) runs out, then fails the attempt with code ContainersNotReady|ImagePullBackOff, kind USER,
retryable. Retrying does not help: the image was never pushed, or the task was registered with a tag
that was not. A reference without a registry ("flytecookbook:v1") is pulled from Docker Hub's official
images, docker.io/library/: Docker Hub answers "pull access denied ... repository does not exist"
there, which for an official image means it does not exist, so flytedoctor reads that denial as not
found and says where the image should have been pushed.`,
		Fixes: []rule.Fix{{Action: "push the image, or register the task with an image tag that exists"}},
		Run: func(pass *rule.Pass) {
			s := pass.Site
			hits := read.PullFind(s, read.PullNotFound)
			if len(hits) == 0 {
				return
			}
			img := read.PullImage(s, hits...)
			h := rule.Hit{
				Summary:  fmt.Sprintf("image %s does not exist in its registry%s", read.OrUnknown(img), read.PullAttempts(s)),
				Detail:   "the kubelet's pull failed with: " + read.FirstLine(hits[0].Text) + libraryDetail(img, hits) + read.PullStuckNote(s),
				Evidence: read.PullEvidence(hits),
				Subject:  read.PullSubject(s, hits...),
			}
			if img != "" {
				h.Fixes = []rule.Fix{{Action: "check that the image exists", Commands: []string{"crane manifest " + img}},
					{Action: "push it, or register the task with an existing tag (pyflyte register --image ...)"}}
			}
			if read.LibraryNote(img) != "" {
				h.Summary = fmt.Sprintf("image %s names no registry, so the node pulled it from Docker Hub's official images (docker.io/library/), where it does not exist%s", img, read.PullAttempts(s))
				h.Fixes = libraryFixes(img)
			}
			pass.Report(h)
		},
	}
}
