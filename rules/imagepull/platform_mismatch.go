package imagepull

import (
	"fmt"

	"github.com/flytedoctor/flytedoctor/rules/internal/read"
	"github.com/flytedoctor/flytedoctor/rules/rule"
)

// PlatformMismatch is FD1003: container image has no variant for the node's CPU architecture.
func PlatformMismatch() *rule.Rule {
	return &rule.Rule{
		ID: "FD1003", Name: "image-platform-mismatch", Title: "Container image has no variant for the node's CPU architecture",
		Category: rule.CatImagePull, Causes: []string{read.PullPlatform}, Severity: rule.Error, Requires: []rule.Evidence{rule.Admin}, Reads: []rule.Evidence{rule.Kube},
		Doc: `The image exists but was not built for the node's platform. Either the pull fails because the
manifest list has no entry for the node (containerd: "no match for platform in manifest: not found"),
or an image built for one architecture was pulled by a node of another and its entrypoint dies at
once with "exec /usr/local/bin/pyflyte-execute: exec format error" (for example an image built on an
Apple-silicon laptop, linux/arm64, run on amd64 nodes).

A failed pull is reported like any other: INITIALIZING during the image-pull grace period (3m by
default), then ContainersNotReady|ImagePullBackOff, kind USER, retryable. A crashing entrypoint is a
failed pod: code UnknownError (kind USER) up to Flyte v1.14, Interrupted (kind SYSTEM) from v1.15.1,
both retryable, and every retry fails the same way.`,
		Fixes: []rule.Fix{{Action: "build and push the image for the nodes' platform (docker buildx build --platform linux/amd64,linux/arm64 --push, or ImageSpec(platform=\"linux/amd64\"))"},
			{Action: "or pin the task to nodes of the image's architecture with a node selector on kubernetes.io/arch"}},
		Run: func(pass *rule.Pass) {
			s := pass.Site
			hits := read.PullFind(s, read.PullPlatform)
			crashed := false
			if len(hits) == 0 {
				for _, t := range read.PullTexts(s) {
					if read.ExecFormatRe.MatchString(t.Text) {
						hits = append(hits, t)
					}
				}
				crashed = len(hits) > 0
			}
			if len(hits) == 0 {
				return
			}
			img := read.PullImage(s, hits...)
			p := read.PullPod(s, hits...)
			arch := ""
			if p != nil && p.NodeName != "" && s.Kube().Nodes != nil {
				for _, n := range s.Kube().Nodes.Nodes {
					if n.Name == p.NodeName {
						arch = n.Labels["kubernetes.io/arch"]
					}
				}
			}
			if img == "" && p != nil && len(p.Containers) > 0 {
				img = p.Containers[0].Image
			}
			on := ""
			if arch != "" {
				on = " on " + arch + " node " + p.NodeName
			}
			h := rule.Hit{Evidence: read.PullEvidence(hits), Subject: read.PullSubject(s, hits...)}
			if crashed {
				m := read.ExecFormatRe.FindStringSubmatch(hits[0].Text)
				h.Summary = fmt.Sprintf("image %s was built for another CPU architecture: its entrypoint fails with exec format error%s%s",
					read.OrUnknown(img), on, read.PullAttempts(s))
				h.Detail = "the container exited at once with: " + m[0] + " — the binary does not match the node's architecture"
			} else {
				h.Summary = fmt.Sprintf("image %s has no variant for the node's platform%s%s", read.OrUnknown(img), on, read.PullAttempts(s))
				h.Detail = "the pull failed with: " + read.FirstLine(hits[0].Text) + read.PullStuckNote(s)
			}
			if img != "" {
				plat, forWhat := "linux/amd64", "the nodes' platform (usually linux/amd64)"
				if arch != "" {
					plat = "linux/" + arch
					forWhat = plat
				}
				h.Fixes = []rule.Fix{{Action: "list the platforms the image was built for", Commands: []string{"crane manifest " + img}},
					{Action: fmt.Sprintf("build and push %s for %s (docker buildx build --platform %s --push, or ImageSpec(platform=%q)) and register the task again", img, forWhat, plat, plat)},
					{Action: "or pin the task to nodes of the image's architecture with a node selector on kubernetes.io/arch"}}
			}
			pass.Report(h)
		},
	}
}
