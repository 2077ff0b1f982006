package checks

import (
	"cmp"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"

	"github.com/flytedoctor/flytedoctor/collectors/evidence"
	"github.com/flytedoctor/flytedoctor/internal/oneline"
)

const probeImage = "image-manifest"

// Auth sources of an image probe (evidence.ImageProbe.Auth).
const (
	authAnonymous    = "anonymous"
	authDockerConfig = "docker-config"
	authPullSecret   = "pull-secret:"
)

func imageProbes() []*Probe {
	return []*Probe{{
		Name: probeImage, Layer: Registry,
		// The pull secrets of the tasks' service accounts are read first: the kubelet pulls
		// with them, so the probe does too.
		After: []string{probePullSecrets},
		Subjects: func(s *evidence.PreflightSpec) []string {
			var all []string
			for _, t := range s.Tasks {
				all = append(all, t.Images...)
			}
			return uniq(all)
		},
		Run: probeManifest,
	}}
}

// probeManifest fetches the image's manifest (GET, so a missing tag says MANIFEST_UNKNOWN
// rather than a bare 404), and the platforms: the index's, or the image config's.
func probeManifest(ctx context.Context, env *Env, image string, _ *View) evidence.ProbeRecord {
	ref, err := name.ParseReference(image)
	if err != nil {
		return evidence.ProbeRecord{Skipped: "not a valid image reference"}
	}
	reg := ref.Context().Registry
	out := &evidence.ImageProbe{Registry: reg.RegistryStr(), Repository: ref.Context().RepositoryStr()}
	auth, source, err := env.resolveAuth(ctx, reg)
	if err != nil {
		out.Outcome, out.Auth, out.Message = evidence.ImageError, authDockerConfig, "cannot read the docker config: "+oneline.Clip(oneline.Fold(err.Error()), 200)
		return evidence.ProbeRecord{Image: out}
	}
	out.Auth = source
	desc, err := remote.Get(ref, env.remoteOptions(ctx, auth)...)
	if err != nil {
		classifyRegistryError(ctx, err, out)
		return evidence.ProbeRecord{Image: out}
	}
	out.Outcome, out.Digest, out.MediaType = evidence.ImageOK, desc.Digest.String(), string(desc.MediaType)
	if desc.MediaType.IsIndex() {
		if idx, err := desc.ImageIndex(); err == nil {
			if im, err := idx.IndexManifest(); err == nil {
				for _, m := range im.Manifests {
					if p := m.Platform; p != nil && p.OS != "unknown" { // unknown/unknown: attestations
						out.Platforms = append(out.Platforms, platformString(*p))
					}
				}
			}
		}
	} else if img, err := desc.Image(); err == nil {
		if cf, err := img.ConfigFile(); err == nil && cf.OS != "" {
			out.Platforms = []string{platformString(v1.Platform{OS: cf.OS, Architecture: cf.Architecture, Variant: cf.Variant})}
		}
	}
	if source != authAnonymous {
		// The kubelet has neither this machine's docker config nor, for another service
		// account, that one's pull secret: does the image need credentials at all?
		_, err := remote.Head(ref, env.remoteOptions(ctx, authn.Anonymous)...)
		ok := err == nil
		out.AnonymousOK = &ok
	}
	return evidence.ProbeRecord{Image: out}
}

func platformString(p v1.Platform) string {
	s := p.OS + "/" + p.Architecture
	if p.Variant != "" {
		s += "/" + p.Variant
	}
	return s
}

func (e *Env) remoteOptions(ctx context.Context, auth authn.Authenticator) []remote.Option {
	tr := e.Transport
	if tr == nil {
		tr = remote.DefaultTransport
	}
	opts := []remote.Option{
		remote.WithContext(ctx), remote.WithAuth(auth), remote.WithTransport(tr),
		// A probe reports what one request gets: a 429 is evidence, not something to wait out.
		remote.WithRetryBackoff(remote.Backoff{Steps: 1}),
		remote.WithRetryPredicate(func(error) bool { return false }),
		remote.WithRetryStatusCodes(),
	}
	if e.UserAgent != "" {
		opts = append(opts, remote.WithUserAgent(e.UserAgent))
	}
	return opts
}

// resolveAuth picks the credentials for reg the way the kubelet would, then the local ones: a
// pull secret of the tasks' service accounts, else this machine's docker config (and credential
// helpers), else anonymous.
func (e *Env) resolveAuth(ctx context.Context, reg name.Registry) (authn.Authenticator, string, error) {
	if secret, cfg, ok := e.pull.lookup(reg.RegistryStr()); ok {
		return authn.FromConfig(cfg), authPullSecret + secret, nil
	}
	kc := e.Keychain
	if kc == nil {
		kc = authn.DefaultKeychain
	}
	a, err := authn.Resolve(ctx, kc, reg)
	if err != nil {
		return nil, "", err
	}
	if a == authn.Anonymous {
		return a, authAnonymous, nil
	}
	return a, authDockerConfig, nil
}

// classifyRegistryError tells not found, unauthorized, rate limited and unreachable apart.
func classifyRegistryError(ctx context.Context, err error, out *evidence.ImageProbe) {
	out.Message = oneline.Clip(oneline.Fold(err.Error()), 300)
	var te *transport.Error
	if errors.As(err, &te) {
		out.HTTPStatus = te.StatusCode
		if len(te.Errors) > 0 {
			out.ErrorCode = string(te.Errors[0].Code)
		}
		switch {
		case te.StatusCode == http.StatusNotFound || out.ErrorCode == string(transport.ManifestUnknownErrorCode) || out.ErrorCode == string(transport.NameUnknownErrorCode):
			out.Outcome = evidence.ImageNotFound
		case te.StatusCode == http.StatusTooManyRequests || out.ErrorCode == string(transport.TooManyRequestsErrorCode):
			out.Outcome = evidence.ImageRateLimited
		case te.StatusCode == http.StatusUnauthorized || te.StatusCode == http.StatusForbidden:
			out.Outcome = evidence.ImageUnauthorized
		default:
			out.Outcome = evidence.ImageError
		}
		return
	}
	var opErr *net.OpError
	var dnsErr *net.DNSError
	var certErr *tls.CertificateVerificationError
	var unknownAuthority x509.UnknownAuthorityError
	switch {
	case errors.As(err, &certErr), errors.As(err, &unknownAuthority):
		out.Outcome, out.ErrorCode = evidence.ImageUnreachable, "TLS"
	case errors.As(err, &dnsErr):
		out.Outcome, out.ErrorCode = evidence.ImageUnreachable, "DNS"
	case errors.As(err, &opErr):
		out.Outcome, out.ErrorCode = evidence.ImageUnreachable, "Connect"
	case ctx.Err() != nil || errors.Is(err, context.DeadlineExceeded):
		out.Outcome, out.ErrorCode = evidence.ImageUnreachable, "Timeout"
	default:
		out.Outcome = evidence.ImageError
	}
}

// pullCreds are the registry credentials of the service accounts' pull secrets, held for
// the image probe only; they never reach the snapshot.
type pullCreds struct {
	mu      sync.Mutex
	secrets []pullSecret
}

type pullSecret struct {
	name  string
	auths map[string]authn.AuthConfig // by registry host as written in the secret
}

func (p *pullCreds) add(s pullSecret) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !slices.ContainsFunc(p.secrets, func(o pullSecret) bool { return o.name == s.name }) {
		p.secrets = append(p.secrets, s)
	}
}

// lookup finds the first pull secret with credentials for registry, matched as the kubelet
// matches docker config keys: by host, with "*." wildcards, Docker Hub under any of its names.
func (p *pullCreds) lookup(registry string) (string, authn.AuthConfig, bool) {
	if p == nil {
		return "", authn.AuthConfig{}, false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, s := range p.secrets {
		for key, cfg := range s.auths {
			if registryMatches(key, registry) {
				return s.name, cfg, true
			}
		}
	}
	return "", authn.AuthConfig{}, false
}

// registryHost is the host of a docker config key ("https://index.docker.io/v1/" → index.docker.io).
func registryHost(key string) string {
	k := strings.TrimPrefix(strings.TrimPrefix(strings.ToLower(key), "https://"), "http://")
	k, _, _ = strings.Cut(k, "/")
	switch k {
	case "docker.io", "registry-1.docker.io":
		return name.DefaultRegistry
	}
	return k
}

func registryMatches(key, registry string) bool {
	h, r := registryHost(key), strings.ToLower(registry)
	if h == r {
		return true
	}
	if rest, ok := strings.CutPrefix(h, "*."); ok {
		host, _, _ := strings.Cut(r, ":")
		return strings.HasSuffix(host, "."+rest) && !strings.Contains(strings.TrimSuffix(host, "."+rest), ".")
	}
	return false
}

// parsedImage is a reference as the checks read it.
type parsedImage struct {
	ref        name.Reference
	err        error
	noRegistry bool // no registry in the name: Docker Hub
	tag        string
	digest     bool
	template   bool // an unresolved {{ ... }} placeholder
}

func parseImage(s string) parsedImage {
	p := parsedImage{template: strings.Contains(s, "{{")}
	p.ref, p.err = name.ParseReference(s)
	if p.err != nil {
		return p
	}
	first, _, found := strings.Cut(s, "/")
	p.noRegistry = !found || !strings.ContainsAny(first, ".:") && first != "localhost"
	switch r := p.ref.(type) {
	case name.Tag:
		p.tag = r.TagStr()
		// name fills in "latest" when there is no tag: was one written?
		last := s[strings.LastIndex(s, "/")+1:]
		if !strings.Contains(last, ":") {
			p.tag = ""
		}
	case name.Digest:
		p.digest = true
	}
	return p
}

// imageUses maps each image to the tasks that run it, in spec order.
type imageUse struct {
	image string
	tasks []evidence.TaskSpec
}

func imageUses(s *evidence.PreflightSpec) []imageUse {
	var out []imageUse
	for _, t := range s.Tasks {
		for _, img := range uniq(t.Images) {
			i := slices.IndexFunc(out, func(u imageUse) bool { return u.image == img })
			if i < 0 {
				out = append(out, imageUse{image: img})
				i = len(out) - 1
			}
			out[i].tasks = append(out[i].tasks, t)
		}
	}
	return out
}

func taskNames(ts []evidence.TaskSpec) string {
	var n []string
	for _, t := range ts {
		n = append(n, t.Name)
	}
	return strings.Join(uniq(n), ", ")
}

func imageChecks() []*Check {
	return []*Check{
		{
			ID: "FDP201", Name: "image-reference", Title: "the image reference is valid", Layer: Registry,
			Doc: `Parses each task's image as the kubelet would (registry/repository[:tag][@digest]). An
invalid reference (upper-case letters in the repository, a stray space, an unresolved
{{ .image... }} template left by serialization) fails with InvalidImageName right away, and
Flyte does not retry it.`,
			Verdict: func(v *View) []evidence.CheckResult {
				var out []evidence.CheckResult
				for _, u := range imageUses(v.Spec) {
					r := evidence.CheckResult{Subject: u.image, Task: taskNames(u.tasks)}
					p := parseImage(u.image)
					switch {
					case p.template:
						r.Status, r.Summary = evidence.CheckFail, "the image is an unresolved template"
						r.Fix = "serialize with the image set (pyflyte package --image NAME=REF, or an ImageSpec that resolves)"
					case p.err != nil:
						r.Status, r.Summary = evidence.CheckFail, "not a valid image reference: "+oneline.Clip(p.err.Error(), 200)
						r.Fix = "use registry/repository:tag with a lower-case repository"
					default:
						r.Status, r.Summary = evidence.CheckPass, "valid"
					}
					out = append(out, r)
				}
				return out
			},
		},
		{
			ID: "FDP202", Name: "image-pinned", Title: "the image names its registry and a fixed tag", Layer: Registry,
			Doc: `Warns on an image without a tag or with :latest, which changes under a registered task
(and makes the kubelet pull on every start, imagePullPolicy Always), and on a name without a
registry host, which resolves to Docker Hub (index.docker.io) with its anonymous pull rate limits.
A digest (@sha256:...) is the most stable pin.`,
			Verdict: func(v *View) []evidence.CheckResult {
				var out []evidence.CheckResult
				for _, u := range imageUses(v.Spec) {
					r := evidence.CheckResult{Subject: u.image, Task: taskNames(u.tasks)}
					p := parseImage(u.image)
					if p.err != nil {
						r.Status, r.Summary = evidence.CheckSkip, "skipped: not a valid reference (FDP201)"
						out = append(out, r)
						continue
					}
					var warns []string
					switch {
					case p.digest:
					case p.tag == "":
						warns = append(warns, "no tag: it means :latest")
					case p.tag == "latest":
						warns = append(warns, ":latest changes under a registered task")
					}
					if p.noRegistry {
						warns = append(warns, "no registry in the name: it resolves to Docker Hub ("+p.ref.Context().Name()+"), which rate-limits anonymous pulls")
					}
					if len(warns) == 0 {
						r.Status, r.Summary = evidence.CheckPass, "pinned"
						if p.digest {
							r.Summary = "pinned by digest"
						}
					} else {
						r.Status, r.Summary = evidence.CheckWarn, strings.Join(warns, "; ")
						r.Fix = "name the registry and a version tag or digest, e.g. ghcr.io/org/image:v1.2.3"
					}
					out = append(out, r)
				}
				return out
			},
		},
		{
			ID: "FDP203", Name: "image-exists", Title: "the image exists in its registry", Layer: Registry,
			Needs: []string{probeImage},
			Doc: `Fetches the image's manifest from its registry (go-containerregistry) with the credentials
the kubelet would use: a pull secret of the task's service account when one covers the registry,
else this machine's docker config and credential helpers (DOCKER_CONFIG), else anonymously. It
tells apart a tag or repository that does not exist (ErrImagePull, then ImagePullBackOff in Flyte),
credentials the registry refuses, a registry that cannot be reached (DNS, TLS, connection) and a
registry that rate-limits (429), and reports the digest the tag points to.`,
			Verdict: func(v *View) []evidence.CheckResult {
				var out []evidence.CheckResult
				for _, u := range imageUses(v.Spec) {
					r := evidence.CheckResult{Subject: u.image, Task: taskNames(u.tasks)}
					rec := v.Probe(probeImage, u.image)
					if s, ok := skipped(rec); ok {
						out = append(out, s.at(r))
						continue
					}
					out = append(out, imageExists(r, rec.Image))
				}
				return out
			},
		},
		{
			ID: "FDP204", Name: "image-platform", Title: "the image has the task's platform", Layer: Registry,
			Needs: []string{probeImage},
			Doc: `Compares the platforms of the image (the entries of a multi-platform index, or the single
image's config) with the platform the task runs on: --platform, the task's container
architecture, else linux/amd64. A missing platform makes the kubelet fail with "no matching
manifest for linux/amd64" or the container die with "exec format error".`,
			Verdict: func(v *View) []evidence.CheckResult {
				var out []evidence.CheckResult
				for _, u := range imageUses(v.Spec) {
					rec := v.Probe(probeImage, u.image)
					for _, plat := range taskPlatforms(u.tasks) {
						r := evidence.CheckResult{Subject: u.image, Task: taskNames(tasksOn(u.tasks, plat))}
						if s, ok := skipped(rec); ok {
							out = append(out, s.at(r))
							continue
						}
						img := rec.Image
						switch {
						case img.Outcome != evidence.ImageOK:
							r.Status, r.Summary = evidence.CheckSkip, "skipped: the manifest could not be read (FDP203)"
						case len(img.Platforms) == 0:
							r.Status, r.Summary = evidence.CheckSkip, "skipped: the image's config names no platform"
						case slices.ContainsFunc(img.Platforms, func(p string) bool { return platformMatches(plat, p) }):
							r.Status, r.Summary = evidence.CheckPass, "has "+plat
						default:
							r.Status = evidence.CheckFail
							r.Summary = fmt.Sprintf("the image has %s, not %s", strings.Join(img.Platforms, ", "), plat)
							r.Fix = "build and push the image for " + plat + " (docker buildx build --platform " + plat + "), or run the task on nodes of the image's platform"
						}
						out = append(out, r)
					}
				}
				return out
			},
		},
	}
}

func imageExists(r evidence.CheckResult, img *evidence.ImageProbe) evidence.CheckResult {
	via := img.Auth
	switch img.Outcome {
	case evidence.ImageOK:
		r.Status, r.Summary = evidence.CheckPass, "exists, "+img.Digest+" (auth: "+via+")"
	case evidence.ImageNotFound:
		r.Status = evidence.CheckFail
		r.Summary = "not found in " + img.Registry + ": " + cmp.Or(img.ErrorCode, "404") + " (auth: " + via + ")"
		r.Fix = "push the image, or fix the tag"
		r.Commands = []string{"crane ls " + img.Registry + "/" + img.Repository}
	case evidence.ImageUnauthorized:
		r.Status = evidence.CheckFail
		r.Summary = fmt.Sprintf("%s refused the pull (%d %s, auth: %s)", img.Registry, img.HTTPStatus, cmp.Or(img.ErrorCode, "no code"), via)
		if img.Registry == name.DefaultRegistry {
			r.Summary += "; Docker Hub also answers this for a repository that does not exist"
		}
		r.Fix = "give the task's service account an image pull secret for " + img.Registry + " (and log in locally to check)"
		r.Commands = []string{"crane auth login " + img.Registry + " -u USER -p PASSWORD"}
	case evidence.ImageUnreachable:
		r.Status = evidence.CheckFail
		r.Summary = img.Registry + " cannot be reached (" + cmp.Or(img.ErrorCode, "network") + "): " + img.Message
		r.Fix = "check the registry host name, the network path from here and from the cluster, and its TLS certificate"
	case evidence.ImageRateLimited:
		r.Status = evidence.CheckWarn
		r.Summary = img.Registry + " is rate-limiting pulls (429 " + img.ErrorCode + "): could not tell whether the image exists; the kubelet may be limited the same way"
		r.Fix = "authenticate pulls (an image pull secret), or mirror the image to your own registry"
	default:
		r.Status = evidence.CheckFail
		r.Summary = "the registry answered with an error: " + img.Message
		r.Fix = "check the image reference and the registry's health"
	}
	return r
}

// taskPlatforms are the distinct platforms the tasks need.
func taskPlatforms(ts []evidence.TaskSpec) []string {
	var p []string
	for _, t := range ts {
		p = append(p, cmp.Or(t.Platform, DefaultPlatform))
	}
	return uniq(p)
}

func tasksOn(ts []evidence.TaskSpec, plat string) []evidence.TaskSpec {
	var out []evidence.TaskSpec
	for _, t := range ts {
		if cmp.Or(t.Platform, DefaultPlatform) == plat {
			out = append(out, t)
		}
	}
	return out
}

// platformMatches: os and architecture equal, and the variant too when the task names one.
func platformMatches(want, have string) bool {
	w, h := strings.Split(want, "/"), strings.Split(have, "/")
	if len(w) < 2 || len(h) < 2 || w[0] != h[0] || w[1] != h[1] {
		return false
	}
	return len(w) < 3 || len(h) >= 3 && w[2] == h[2]
}

// ParsePlatform checks an os/arch[/variant] platform.
func ParsePlatform(s string) (string, error) {
	if !platformPattern.MatchString(s) {
		return "", fmt.Errorf("want os/arch[/variant], e.g. linux/amd64")
	}
	return s, nil
}

var platformPattern = regexp.MustCompile(`^[a-z0-9]+/[a-z0-9_]+(/[a-z0-9]+)?$`)

// ValidImage checks an image reference given on the command line.
func ValidImage(s string) error {
	if strings.TrimSpace(s) == "" {
		return errors.New("is empty: pass an image such as ghcr.io/org/image:v1")
	}
	if _, err := name.ParseReference(s); err != nil {
		return fmt.Errorf("is not a valid image reference (registry/repository:tag, lower-case repository)")
	}
	return nil
}
