package rules

import (
	"fmt"
	"regexp"
)

var (
	// containerd/CRI-O: `failed to resolve reference "x": x: not found`, `manifest unknown`,
	// `repository does not exist or may require 'docker login'`.
	imageNotFound = regexp.MustCompile(`(?i)(?:failed to resolve reference "([^"]+)"[^\n]*not found|manifest unknown|manifest for (\S+) not found|repository [^\n]*does not exist)`)
	imageRef      = regexp.MustCompile(`(?:pulling|pull) image "([^"]+)"`)
)

func imagePullRules() []*Rule {
	return []*Rule{{
		ID: "FD1001", Name: "image-not-found", Title: "Container image or tag does not exist",
		Category: CatImagePull, Causes: []string{"image-not-found"}, Severity: Error, Requires: []string{"admin"},
		Doc: `The kubelet could not pull the task's image because the registry has no such repository or tag
(containerd: "failed to resolve reference ...: not found", "manifest unknown"). Flyte reports
ErrImagePull / ImagePullBackOff as INITIALIZING until the image-pull grace period (3m by default)
runs out, then fails the attempt with code ContainersNotReady|ImagePullBackOff, kind USER. Retrying
does not help: the image was never pushed, or the task was registered with a tag that was not.`,
		Fixes: []Fix{{Action: "push the image, or register the task with an image tag that exists"}},
		Site: func(s *Site) *Hit {
			text, m := s.Find(imageNotFound)
			if m == nil {
				return nil
			}
			img := firstNonEmpty(m[1], m[2])
			if img == "" {
				if _, r := s.Find(imageRef); r != nil {
					img = r[1]
				}
			}
			h := &Hit{
				Summary:  fmt.Sprintf("image %s does not exist in its registry", orUnknown(img)),
				Detail:   "the kubelet's pull failed with: " + firstLine(text),
				Evidence: []string{text},
			}
			if img != "" {
				h.Fixes = []Fix{{Action: "check that the image exists", Commands: []string{"crane manifest " + img}},
					{Action: "push it, or register the task with an existing tag (pyflyte register --image ...)"}}
			}
			return h
		},
	}}
}
