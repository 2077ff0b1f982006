package imagepull

import (
	"slices"
	"strings"
	"testing"

	"github.com/flytedoctor/flytedoctor/rules/internal/read"
)

func PullSeeds() []string {
	return []string{
		`Failed to pull image "ghcr.io/acme/trainer:v1.2.3": rpc error: code = NotFound desc = failed to pull and unpack image "ghcr.io/acme/trainer:v1.2.3": failed to resolve reference "ghcr.io/acme/trainer:v1.2.3": ghcr.io/acme/trainer:v1.2.3: not found`,
		`Failed to pull image "docker.io/library/python:3.11-slim": rpc error: code = Unknown desc = failed to pull and unpack image "docker.io/library/python:3.11-slim": failed to copy: httpReadSeeker: failed open: unexpected status code https://registry-1.docker.io/v2/library/python/manifests/sha256:abc: 429 Too Many Requests - Server message: toomanyrequests: You have reached your pull rate limit.`,
		`Failed to pull image "123456789012.dkr.ecr.us-east-1.amazonaws.com/train:1": rpc error: code = Unknown desc = failed to pull and unpack image "123456789012.dkr.ecr.us-east-1.amazonaws.com/train:1": failed to resolve reference "123456789012.dkr.ecr.us-east-1.amazonaws.com/train:1": pull access denied, repository does not exist or may require authorization: authorization failed: no basic auth credentials`,
		`Failed to pull image "registry.internal:5000/team/app:2": rpc error: code = Unknown desc = failed to pull and unpack image "registry.internal:5000/team/app:2": failed to resolve reference "registry.internal:5000/team/app:2": failed to do request: Head "https://registry.internal:5000/v2/team/app/manifests/2": dial tcp: lookup registry.internal on 10.96.0.10:53: no such host`,
		`Back-off pulling image "quay.io/Acme/Trainer:latest"`,
		`Failed to apply default image tag "Acme/Trainer": couldn't parse image reference "Acme/Trainer": invalid reference format: repository name must be lowercase`,
		`[ContainersNotReady|ErrImagePull]: containers with unready status: [a4t8-n1-0]|rpc error: code = NotFound desc = failed to pull and unpack image "x:1": no match for platform in manifest: not found`,
	}
}

func FuzzPullMessage(f *testing.F) {
	for _, s := range PullSeeds() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		cause := read.PullCause(text)
		if !oneOf(cause, "", read.PullNotFound, read.PullAuth, read.PullUnreachable, read.PullRateLimited, read.PullPlatform) {
			t.Errorf("read.PullCause(%q) = %q", text, cause)
		}
		if cause != "" && !read.PullContext.MatchString(text) {
			t.Errorf("read.PullCause(%q) = %q without a pull context", text, cause)
		}
		img := read.PullImageIn(text)
		if img != "" && !strings.Contains(text, `"`+img+`"`) {
			t.Errorf("image %q is not quoted in %q", img, text)
		}
		if reg := read.PullRegistry(img); reg != "docker.io" && !strings.Contains(img, reg) {
			t.Errorf("registry %q is not part of image %q", reg, img)
		}
		if last := lastClause(text); !strings.Contains(text, last) {
			t.Errorf("last clause %q is not part of %q", last, text)
		}
		if ref := suggestRef(img); len(ref) > len(img) {
			t.Errorf("suggestRef(%q) = %q grew", img, ref)
		}
	})
}

// oneOf reports whether v is one of allowed.
func oneOf(v string, allowed ...string) bool { return slices.Contains(allowed, v) }
