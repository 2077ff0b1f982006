package imagepull

import (
	"cmp"
	"fmt"
	"strings"

	"github.com/flytedoctor/flytedoctor/rules/internal/read"
	"github.com/flytedoctor/flytedoctor/rules/rule"
)

// InvalidImageName is FD1002: container image reference cannot be parsed.
func InvalidImageName() *rule.Rule {
	return &rule.Rule{
		ID: "FD1002", Name: "invalid-image-name", Title: "Container image reference cannot be parsed",
		Category: rule.CatImagePull, Causes: []string{invalidName}, Severity: rule.Error, Requires: []rule.Evidence{rule.Admin},
		Doc: `The kubelet could not parse the task's image reference, so it never tried to pull it: the
container waits with reason InvalidImageName and the kubelet's event says "Failed to apply default
image tag ...: couldn't parse image name ...: invalid reference format". Typical causes are upper-case
letters in the repository, a scheme ("https://") in front of the registry, two tags, or an image
setting that was never filled in (for example "None:None").

Flyte does not wait for this one: there is no grace period, the attempt fails at once with code
ContainersNotReady|InvalidImageName, kind USER, and it is permanent (no retries), because the same
registered task always produces the same reference.`,
		Fixes: []rule.Fix{{Action: "register the task with a valid image reference (lower-case repository, no scheme, one tag), e.g. pyflyte register --image ghcr.io/org/image:tag"}},
		Run: func(pass *rule.Pass) {
			s := pass.Site
			var hits []read.PullText
			var bad string
			for _, t := range read.PullTexts(s) {
				m := read.PullInvalidRe.FindStringSubmatch(t.Text)
				switch {
				case m != nil:
					bad = cmp.Or(bad, m[2], m[3])
				case strings.Contains(t.Source, "InvalidImageName"):
				default:
					continue
				}
				hits = append(hits, t)
			}
			code, _, _ := s.Error()
			for _, pc := range s.Containers() {
				if pc.Container.State.Reason == "InvalidImageName" && bad == "" {
					bad = pc.Container.Image
				}
			}
			if len(hits) == 0 && !strings.HasSuffix(code, "|InvalidImageName") {
				return
			}
			if len(hits) == 0 {
				_, msg, _ := s.Error()
				hits = append(hits, read.PullText{Source: "Admin error " + code, Text: msg})
			}
			quote := hits[0]
			for _, t := range hits {
				if !t.Admin {
					quote = t
					break
				}
			}
			h := rule.Hit{
				Summary:  fmt.Sprintf("image reference %q is not a valid image name (InvalidImageName)", read.OrUnknown(bad)),
				Detail:   "the kubelet rejected the reference before pulling: " + read.FirstLine(quote.Text) + "; Flyte fails this at once (no grace period) and does not retry",
				Evidence: read.PullEvidence(hits),
				Subject:  read.PullSubject(s, hits...),
			}
			if bad != "" {
				fix := rule.Fix{Action: fmt.Sprintf("fix the image reference %q: lower-case repository, no scheme, a single :tag or @digest", bad)}
				if good := suggestRef(bad); good != bad {
					fix.Action += fmt.Sprintf(" (perhaps %s), and check that it exists", good)
					fix.Commands = []string{"crane manifest " + good}
				}
				h.Fixes = []rule.Fix{fix,
					{Action: "register the task again with the corrected image (pyflyte register --image ..., or container_image= / ImageSpec in @task) and relaunch"}}
			}
			pass.Report(h)
		},
	}
}
