package rules

import (
	"cmp"
	"fmt"
	"regexp"
	"strings"

	"github.com/flytedoctor/flytedoctor/collectors/evidence"
)

// Image-pull causes, as the JSON contract names them.
const (
	pullNotFound    = "image-not-found"
	pullAuth        = "registry-auth"
	pullUnreachable = "registry-unreachable"
	pullRateLimited = "rate-limited"
	pullInvalidName = "invalid-image-name"
	pullPlatform    = "platform-mismatch"
)

var (
	// pullContext marks a message as the kubelet's or the runtime's account of an image pull, so
	// that "401", "i/o timeout" or "not found" in a user's traceback are not read as pull errors.
	pullContext = regexp.MustCompile(`(?i)(failed to pull|pulling image|pull image|ErrImagePull|ImagePullBackOff|pull access denied|failed to resolve reference|pull and unpack|PullImage)`)

	// The runtime's reasons, in the order pullCause tries them: a message that names a platform,
	// a rate limit or a denial is about that even when it also says "not found".
	pullPlatformRe = regexp.MustCompile(`(?i)(no match for platform in manifest|no matching manifest for \S+ in the manifest list entries|does not match the specified platform)`)
	pullRateRe     = regexp.MustCompile(`(?i)(429 Too Many Requests|toomanyrequests|pull rate limit|Rate exceeded)`)
	// Docker Hub, GHCR and Harbor answer "pull access denied, repository does not exist or may
	// require authorization" for a private repository and a missing one alike; it is read as auth.
	pullAuthRe = regexp.MustCompile(`(?i)(pull access denied|unauthorized: authentication required|no basic auth credentials|\b401 Unauthorized|\b403 Forbidden|authorization failed|failed to authorize|requested access to the resource is denied|insufficient_scope|unauthorized: |: denied: |\bdenied: Permission)`)
	// containerd: `failed to resolve reference "x": x: not found`; Docker and CRI-O: "manifest
	// unknown", "manifest for x not found", "name unknown"; ECR: "Requested image not found".
	imageNotFound = regexp.MustCompile(`(?i)(failed to resolve reference "[^"]+"[^\n]*: not found|manifest unknown|manifest for \S+ not found|name unknown|Requested image not found|repository \S+ not found)`)
	// Network, DNS and TLS failures between the node and the registry.
	pullUnreachableRe = regexp.MustCompile(`(?i)(i/o timeout|connect: connection timed out|connection refused|no such host|network is unreachable|no route to host|TLS handshake timeout|x509: |tls: failed to verify|server misbehaving|connection reset by peer|Client\.Timeout exceeded)`)

	// InvalidImageName: the kubelet could not parse the reference at all.
	pullInvalidRe = regexp.MustCompile(`(?i)(Failed to apply default image tag "([^"]*)"|couldn't parse image (?:name|reference) "([^"]*)")`)
	// A binary built for another CPU: runc's message in the log tail of the crashed container.
	execFormatRe = regexp.MustCompile(`(exec (\S+): exec format error|exec user process caused:? "?exec format error)`)

	imageRef      = regexp.MustCompile(`(?i)(?:pulling|pull|unpack) image "([^"]+)"`)
	imageRefOther = regexp.MustCompile(`(?:resolve reference|default image tag) "([^"]+)"`)
	pullBackoffRe = regexp.MustCompile(`(ImagePullBackOff|ErrImagePull)`)
	registryHost  = regexp.MustCompile(`(?i)https?://([^/"\s]+)/v2/|dial tcp: lookup ([^\s:]+)|pulling from host ([^\s]+) `)
)

// pullCause classifies one pull message; "" means it names no reason flytedoctor knows.
func pullCause(text string) string {
	if !pullContext.MatchString(text) {
		return ""
	}
	switch {
	case pullPlatformRe.MatchString(text):
		return pullPlatform
	case pullRateRe.MatchString(text):
		return pullRateLimited
	case pullAuthRe.MatchString(text):
		return pullAuth
	case imageNotFound.MatchString(text):
		return pullNotFound
	case pullUnreachableRe.MatchString(text):
		return pullUnreachable
	}
	return ""
}

// pullText is one message of a site and where it came from, for evidence lines.
type pullText struct {
	Source string
	Text   string
	Pod    *evidence.Pod
	Ctr    *evidence.Container
	Event  *evidence.Event
	// Admin is true for Flyte's own error and reasons.
	Admin bool
	cause string // pullCause(Text), read once
}

func (t pullText) line() string { return t.Source + ": " + t.Text }

// pullTexts lists the site's messages like Site.Texts, each with its source: Admin's errors and
// reasons, pod and container states, then events (warnings first).
func pullTexts(s *Site) []pullText {
	return siteOnce(s, "pull-texts", func() []pullText { return pullRead(s) })
}

func pullRead(s *Site) []pullText {
	var out []pullText
	seen := map[string]bool{}
	add := func(t pullText) {
		t.Text = strings.TrimSpace(t.Text)
		if t.Text == "" || seen[t.Text] {
			return
		}
		seen[t.Text] = true
		t.cause = pullCause(t.Text)
		out = append(out, t)
	}
	if code, m, _ := s.Error(); m != "" {
		add(pullText{Source: "Admin error " + orUnknown(code), Text: m, Admin: true})
	}
	for _, a := range s.Attempts {
		if a.Error != nil {
			c, m := Unwrap(a.Error.Code, a.Error.Message)
			add(pullText{Source: fmt.Sprintf("attempt %d error %s", a.RetryAttempt, orUnknown(c)), Text: m, Admin: true})
		}
		add(pullText{Source: fmt.Sprintf("attempt %d reason", a.RetryAttempt), Text: a.Reason, Admin: true})
		for _, r := range a.Reasons {
			add(pullText{Source: fmt.Sprintf("attempt %d reason", a.RetryAttempt), Text: r.Message, Admin: true})
		}
	}
	for _, pc := range s.Containers() {
		for _, st := range []evidence.ContainerState{pc.Container.State, pc.Container.LastState} {
			if st.Message != "" {
				add(pullText{Source: fmt.Sprintf("pod %s container %s %s (%s)", pc.Pod.Name, pc.Container.Name, st.State, st.Reason),
					Text: st.Message, Pod: pc.Pod, Ctr: pc.Container})
			}
		}
	}
	for _, name := range s.podNames() {
		p := s.Pods[name]
		if p.Message != "" {
			add(pullText{Source: fmt.Sprintf("pod %s status (%s)", p.Name, p.Reason), Text: p.Message, Pod: p})
		}
	}
	for i := range s.Events {
		e := &s.Events[i]
		add(pullText{Source: pullEventSource(e), Text: e.Message, Pod: s.Pods[e.Name], Event: e})
	}
	return out
}

// pullEventSource names an event for an evidence line: "event Failed on pod x (x4)".
func pullEventSource(e *evidence.Event) string {
	src := fmt.Sprintf("event %s on pod %s", e.Reason, e.Name)
	if e.Count > 1 {
		src += fmt.Sprintf(" (x%d)", e.Count)
	}
	return src
}

// pullFind returns the site's messages whose pull cause is cause, first the decisive one.
func pullFind(s *Site, cause string) []pullText {
	var out []pullText
	for _, t := range pullTexts(s) {
		if t.cause == cause {
			out = append(out, t)
		}
	}
	return out
}

// pullFailing reports whether the site shows an image pull that did not succeed: Flyte's
// ImagePullBackOff / ErrImagePull code or reason, a container waiting on one, or a kubelet
// warning about a pull.
func pullFailing(s *Site) bool {
	code, _, _ := s.Error()
	if pullBackoffRe.MatchString(code) {
		return true
	}
	for _, a := range s.Attempts {
		if a.Error != nil && pullBackoffRe.MatchString(a.Error.Code) {
			return true
		}
		for _, r := range append([]evidence.Reason{{Message: a.Reason}}, a.Reasons...) {
			if strings.Contains(r.Message, "|ImagePullBackOff]") || strings.Contains(r.Message, "|ErrImagePull]") {
				return true
			}
		}
	}
	for _, pc := range s.Containers() {
		if pullBackoffRe.MatchString(pc.Container.State.Reason) {
			return true
		}
	}
	for _, e := range s.Events {
		if e.Type == "Warning" && (e.Reason == "Failed" || e.Reason == "BackOff") && pullContext.MatchString(e.Message) &&
			!strings.HasPrefix(e.Message, "Successfully") {
			return true
		}
	}
	for _, t := range pullTexts(s) {
		if t.cause != "" {
			return true
		}
	}
	return false
}

// pullUnexplained reports whether the site's image pull failed and no specific rule can say why.
func pullUnexplained(s *Site) bool {
	if !pullFailing(s) {
		return false
	}
	for _, t := range pullTexts(s) {
		if t.cause != "" || execFormatRe.MatchString(t.Text) || pullInvalidRe.MatchString(t.Text) {
			return false
		}
	}
	return true
}

// pullReasonRe finds the reason in a kubelet pull failure: `Failed to pull image "x": <reason>`.
var pullReasonRe = regexp.MustCompile(`Failed to pull image "[^"]+": (.+)`)

// pullLastClause is the innermost error of a wrapped message ("a: b: no space left on device" →
// "no space left on device").
func pullLastClause(msg string) string {
	msg = strings.TrimSpace(firstLine(msg))
	if i := strings.LastIndex(msg, ": "); i >= 0 && i+2 < len(msg) {
		return msg[i+2:]
	}
	return msg
}

// pullWhyLost says why the kubelet's own messages are missing.
func pullWhyLost(s *Site) string {
	if s.Snapshot.Kube == nil {
		return "Kubernetes was not read"
	}
	var why []string
	if len(s.Pods) == 0 {
		why = append(why, "pod deleted")
	}
	warn := false
	for _, e := range s.Events {
		warn = warn || e.Type == "Warning"
	}
	if !warn {
		why = append(why, "events expired")
	}
	if len(why) == 0 {
		return "the pod's messages name no reason"
	}
	return strings.Join(why, ", ")
}

// pullImage names the image the site failed to pull: from the decisive message, else any pull
// message, else the first container stuck waiting on a pull.
func pullImage(s *Site, texts ...pullText) string {
	for _, t := range texts {
		if img := pullImageIn(t.Text); img != "" {
			return img
		}
	}
	for _, t := range pullTexts(s) {
		if pullContext.MatchString(t.Text) {
			if img := pullImageIn(t.Text); img != "" {
				return img
			}
		}
	}
	for _, pc := range s.Containers() {
		if pullBackoffRe.MatchString(pc.Container.State.Reason) || pc.Container.State.Reason == "InvalidImageName" {
			return pc.Container.Image
		}
	}
	return ""
}

func pullImageIn(text string) string {
	if m := imageRef.FindStringSubmatch(text); m != nil {
		return m[1]
	}
	if m := imageRefOther.FindStringSubmatch(text); m != nil {
		return m[1]
	}
	return ""
}

// pullRegistry is the registry host of an image reference ("docker.io" when it names none).
func pullRegistry(img string) string {
	img = strings.TrimPrefix(strings.TrimPrefix(img, "https://"), "http://")
	i := strings.IndexByte(img, '/')
	if i < 0 {
		return "docker.io"
	}
	if host := img[:i]; strings.ContainsAny(host, ".:") || host == "localhost" {
		return host
	}
	return "docker.io"
}

// pullPod is the pod the decisive messages are about, else the site's latest pod.
func pullPod(s *Site, texts ...pullText) *evidence.Pod {
	for _, t := range texts {
		if t.Pod != nil {
			return t.Pod
		}
	}
	if names := s.podNames(); len(names) > 0 {
		return s.Pods[names[len(names)-1]]
	}
	return nil
}

// pullNamespace is where the site's pods run.
func pullNamespace(s *Site, p *evidence.Pod) string {
	switch {
	case p != nil && p.Namespace != "":
		return p.Namespace
	case s.Execution.Namespace != "":
		return s.Execution.Namespace
	}
	return s.Kube().Namespace
}

// pullServiceAccount is the service account the site's pods run as (or would).
func pullServiceAccount(s *Site, p *evidence.Pod) string {
	switch {
	case p != nil && p.Spec.ServiceAccount != "":
		return p.Spec.ServiceAccount
	case s.Execution.ServiceAccount != "":
		return s.Execution.ServiceAccount
	}
	return "default"
}

// pullSubject is the site's subject, narrowed to the pod and container of the decisive message.
func pullSubject(s *Site, texts ...pullText) Subject {
	sub := s.Subject()
	for _, t := range texts {
		if t.Pod != nil {
			sub.Pod = t.Pod.Name
		} else if t.Event != nil && sub.Pod == "" {
			sub.Pod = t.Event.Name
		}
		if t.Ctr != nil {
			sub.Container = t.Ctr.Name
			break
		}
	}
	if sub.Pod == "" && len(s.Attempts) > 0 {
		// The pod is gone; name the one the last attempt ran.
		a := s.Attempts[len(s.Attempts)-1]
		sub.Pod = cmp.Or(a.PodName, a.PrimaryPodName)
	}
	return sub
}

// pullEvidence quotes the decisive messages, at most three.
func pullEvidence(texts []pullText) []string {
	var out []string
	for i, t := range texts {
		if i == 3 {
			break
		}
		out = append(out, t.line())
	}
	return out
}

// pullAttempts describes the attempts when several failed the same way ("3 attempts, all
// ImagePullBackOff"), for the summary; "" for one attempt.
func pullAttempts(s *Site) string {
	if len(s.Attempts) < 2 {
		return ""
	}
	codes := map[string]bool{}
	for _, a := range s.Attempts {
		if a.Error == nil {
			return ""
		}
		c, _ := Unwrap(a.Error.Code, a.Error.Message)
		codes[c] = true
	}
	if len(codes) != 1 {
		return fmt.Sprintf(" (%d attempts)", len(s.Attempts))
	}
	for c := range codes {
		if i := strings.LastIndexByte(c, '|'); i >= 0 {
			c = c[i+1:]
		}
		return fmt.Sprintf(" (%d attempts, all %s)", len(s.Attempts), c)
	}
	return ""
}

// pullStuckNote is added to a detail when Flyte still waits on the pull.
func pullStuckNote(s *Site) string {
	if !s.Stuck {
		return ""
	}
	return "; Flyte still reports the task INITIALIZING and fails the attempt once the image-pull grace period (3m by default) runs out"
}

// pullSecretsOf returns the image pull secrets a pod uses: its own, and its service account's.
func pullSecretsOf(s *Site, p *evidence.Pod, sa string) (pod, fromSA []string, saKnown bool) {
	if p != nil {
		pod = p.Spec.ImagePullSecrets
	}
	for _, a := range s.Kube().ServiceAccounts {
		if a.Name == sa && !a.NotFound {
			return pod, a.ImagePullSecrets, true
		}
	}
	return pod, nil, false
}

// pullMissingSecrets returns the pull secrets the kubelet said it could not find.
func pullMissingSecrets(s *Site) ([]string, *evidence.Event) {
	for i := range s.Events {
		e := &s.Events[i]
		if m := missingPullSecretRe.FindStringSubmatch(e.Message); m != nil {
			var names []string
			for _, n := range strings.Split(m[1], ",") {
				if n = strings.TrimSpace(n); n != "" {
					names = append(names, n)
				}
			}
			return names, e
		}
	}
	return nil, nil
}

func imagePullRules() []*Rule {
	return []*Rule{{
		ID: "FD1002", Name: "invalid-image-name", Title: "Container image reference cannot be parsed",
		Category: CatImagePull, Causes: []string{pullInvalidName}, Severity: Error, Requires: []string{"admin"},
		Doc: `The kubelet could not parse the task's image reference, so it never tried to pull it: the
container waits with reason InvalidImageName and the kubelet's event says "Failed to apply default
image tag ...: couldn't parse image name ...: invalid reference format". Typical causes are upper-case
letters in the repository, a scheme ("https://") in front of the registry, two tags, or an image
setting that was never filled in (for example "None:None").

Flyte does not wait for this one: there is no grace period, the attempt fails at once with code
ContainersNotReady|InvalidImageName, kind USER, and it is permanent (no retries), because the same
registered task always produces the same reference.`,
		Fixes: []Fix{{Action: "register the task with a valid image reference (lower-case repository, no scheme, one tag), e.g. pyflyte register --image ghcr.io/org/image:tag"}},
		Site: func(s *Site) *Hit {
			var hits []pullText
			var bad string
			for _, t := range pullTexts(s) {
				m := pullInvalidRe.FindStringSubmatch(t.Text)
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
				return nil
			}
			if len(hits) == 0 {
				_, msg, _ := s.Error()
				hits = append(hits, pullText{Source: "Admin error " + code, Text: msg})
			}
			quote := hits[0]
			for _, t := range hits {
				if !t.Admin {
					quote = t
					break
				}
			}
			h := &Hit{
				Summary:  fmt.Sprintf("image reference %q is not a valid image name (InvalidImageName)", orUnknown(bad)),
				Detail:   "the kubelet rejected the reference before pulling: " + firstLine(quote.Text) + "; Flyte fails this at once (no grace period) and does not retry",
				Evidence: pullEvidence(hits),
				Subject:  pullSubject(s, hits...),
			}
			if bad != "" {
				fix := Fix{Action: fmt.Sprintf("fix the image reference %q: lower-case repository, no scheme, a single :tag or @digest", bad)}
				if good := pullSuggestRef(bad); good != bad {
					fix.Action += fmt.Sprintf(" (perhaps %s), and check that it exists", good)
					fix.Commands = []string{"crane manifest " + good}
				}
				h.Fixes = []Fix{fix,
					{Action: "register the task again with the corrected image (pyflyte register --image ..., or container_image= / ImageSpec in @task) and relaunch"}}
			}
			return h
		},
	}, {
		ID: "FD1003", Name: "image-platform-mismatch", Title: "Container image has no variant for the node's CPU architecture",
		Category: CatImagePull, Causes: []string{pullPlatform}, Severity: Error, Requires: []string{"admin"},
		Doc: `The image exists but was not built for the node's platform. Either the pull fails because the
manifest list has no entry for the node (containerd: "no match for platform in manifest: not found"),
or an image built for one architecture was pulled by a node of another and its entrypoint dies at
once with "exec /usr/local/bin/pyflyte-execute: exec format error" (for example an image built on an
Apple-silicon laptop, linux/arm64, run on amd64 nodes).

A failed pull is reported like any other: INITIALIZING during the image-pull grace period (3m by
default), then ContainersNotReady|ImagePullBackOff, kind USER, retryable. A crashing entrypoint is a
failed pod: code UnknownError (kind USER) up to Flyte v1.14, Interrupted (kind SYSTEM) from v1.15.1,
both retryable, and every retry fails the same way.`,
		Fixes: []Fix{{Action: "build and push the image for the nodes' platform (docker buildx build --platform linux/amd64,linux/arm64 --push, or ImageSpec(platform=\"linux/amd64\"))"},
			{Action: "or pin the task to nodes of the image's architecture with a node selector on kubernetes.io/arch"}},
		Site: func(s *Site) *Hit {
			hits := pullFind(s, pullPlatform)
			crashed := false
			if len(hits) == 0 {
				for _, t := range pullTexts(s) {
					if execFormatRe.MatchString(t.Text) {
						hits = append(hits, t)
					}
				}
				crashed = len(hits) > 0
			}
			if len(hits) == 0 {
				return nil
			}
			img := pullImage(s, hits...)
			p := pullPod(s, hits...)
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
			h := &Hit{Evidence: pullEvidence(hits), Subject: pullSubject(s, hits...)}
			if crashed {
				m := execFormatRe.FindStringSubmatch(hits[0].Text)
				h.Summary = fmt.Sprintf("image %s was built for another CPU architecture: its entrypoint fails with exec format error%s%s",
					orUnknown(img), on, pullAttempts(s))
				h.Detail = "the container exited at once with: " + m[0] + " — the binary does not match the node's architecture"
			} else {
				h.Summary = fmt.Sprintf("image %s has no variant for the node's platform%s%s", orUnknown(img), on, pullAttempts(s))
				h.Detail = "the pull failed with: " + firstLine(hits[0].Text) + pullStuckNote(s)
			}
			if img != "" {
				plat, forWhat := "linux/amd64", "the nodes' platform (usually linux/amd64)"
				if arch != "" {
					plat = "linux/" + arch
					forWhat = plat
				}
				h.Fixes = []Fix{{Action: "list the platforms the image was built for", Commands: []string{"crane manifest " + img}},
					{Action: fmt.Sprintf("build and push %s for %s (docker buildx build --platform %s --push, or ImageSpec(platform=%q)) and register the task again", img, forWhat, plat, plat)},
					{Action: "or pin the task to nodes of the image's architecture with a node selector on kubernetes.io/arch"}}
			}
			return h
		},
	}, {
		ID: "FD1004", Name: "image-pull-rate-limited", Title: "Registry rate-limited the image pull",
		Category: CatImagePull, Causes: []string{pullRateLimited}, Severity: Error, Requires: []string{"admin"},
		Doc: `The registry refused the pull with HTTP 429 ("429 Too Many Requests", Docker Hub's
"toomanyrequests: You have reached your pull rate limit"). Docker Hub limits anonymous pulls per
source IP, and a whole cluster behind one NAT gateway shares that limit.

Flyte v1 treats it like any pull failure: INITIALIZING during the image-pull grace period (3m by
default), then ContainersNotReady|ImagePullBackOff, kind USER, retryable against the task's own
retry budget (Flyte 2 reports 429 pulls as SYSTEM instead). Retries may succeed once the window
resets, but the fix is to pull with credentials or from a mirror.`,
		Fixes: []Fix{{Action: "pull with registry credentials (an imagePullSecret on the service account), or mirror the image into a registry you control (e.g. an ECR pull-through cache)"}},
		Site: func(s *Site) *Hit {
			hits := pullFind(s, pullRateLimited)
			if len(hits) == 0 {
				return nil
			}
			img := pullImage(s, hits...)
			reg := pullRegistry(img)
			p := pullPod(s, hits...)
			ns, sa := pullNamespace(s, p), pullServiceAccount(s, p)
			h := &Hit{
				Summary:  fmt.Sprintf("the registry rate-limited the pull of %s%s with 429 Too Many Requests%s", orUnknown(img), pullFrom(img), pullAttempts(s)),
				Detail:   "the pull failed with: " + firstLine(hits[0].Text) + pullStuckNote(s),
				Evidence: pullEvidence(hits),
				Subject:  pullSubject(s, hits...),
			}
			h.Fixes = []Fix{{Action: fmt.Sprintf("pull %s with credentials: create a registry secret and add it to service account %s", reg, sa),
				Commands: []string{
					fmt.Sprintf("kubectl create secret docker-registry %s-pull -n %s --docker-server=%s --docker-username=<user> --docker-password=<access-token>", pullSecretName(reg), ns, pullServer(reg)),
					pullPatchSA(s, p, sa, ns, pullSecretName(reg)+"-pull")}},
				{Action: "or mirror the image into a registry you control (ECR pull-through cache, Artifact Registry remote repository, Harbor proxy) and register the task with the mirrored image"},
				{Action: "relaunch once the rate-limit window has reset"}}
			return h
		},
	}, {
		ID: "FD1005", Name: "image-pull-unauthorized", Title: "Registry refused the image pull: credentials missing or not allowed",
		Category: CatImagePull, Causes: []string{pullAuth}, Severity: Error, Requires: []string{"admin", "kube"},
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
		Fixes: []Fix{{Action: "create a docker-registry secret for the registry and add it to the imagePullSecrets of the service account the task runs as",
			Commands: []string{"kubectl create secret docker-registry <name> -n <namespace> --docker-server=<registry> --docker-username=<user> --docker-password=<token>",
				`kubectl patch serviceaccount <sa> -n <namespace> -p '{"imagePullSecrets":[{"name":"<name>"}]}'`}}},
		Site: func(s *Site) *Hit {
			hits := pullFind(s, pullAuth)
			if len(hits) == 0 {
				return nil
			}
			img := pullImage(s, hits...)
			h := &Hit{
				Summary:  fmt.Sprintf("the registry refused to let the node pull %s%s (unauthorized)%s", orUnknown(img), pullFrom(img), pullAttempts(s)),
				Detail:   "the pull failed with: " + firstLine(hits[0].Text),
				Evidence: pullEvidence(hits),
				Subject:  pullSubject(s, hits...),
			}
			if strings.Contains(hits[0].Text, "does not exist or may require") {
				h.Detail += "; this registry gives the same answer for a repository that does not exist, so check the name too"
			}
			pullAuthAdvice(s, h, img, hits)
			h.Detail += pullStuckNote(s)
			return h
		},
	}, {
		ID: "FD1001", Name: "image-not-found", Title: "Container image or tag does not exist",
		Category: CatImagePull, Causes: []string{pullNotFound}, Severity: Error, Requires: []string{"admin"},
		Doc: `The kubelet could not pull the task's image because the registry has no such repository or tag
(containerd: "failed to resolve reference ...: not found", Docker and CRI-O: "manifest unknown").
Flyte reports ErrImagePull / ImagePullBackOff as INITIALIZING until the image-pull grace period (3m by
default) runs out, then fails the attempt with code ContainersNotReady|ImagePullBackOff, kind USER,
retryable. Retrying does not help: the image was never pushed, or the task was registered with a tag
that was not.`,
		Fixes: []Fix{{Action: "push the image, or register the task with an image tag that exists"}},
		Site: func(s *Site) *Hit {
			hits := pullFind(s, pullNotFound)
			if len(hits) == 0 {
				return nil
			}
			img := pullImage(s, hits...)
			h := &Hit{
				Summary:  fmt.Sprintf("image %s does not exist in its registry%s", orUnknown(img), pullAttempts(s)),
				Detail:   "the kubelet's pull failed with: " + firstLine(hits[0].Text) + pullStuckNote(s),
				Evidence: pullEvidence(hits),
				Subject:  pullSubject(s, hits...),
			}
			if img != "" {
				h.Fixes = []Fix{{Action: "check that the image exists", Commands: []string{"crane manifest " + img}},
					{Action: "push it, or register the task with an existing tag (pyflyte register --image ...)"}}
			}
			return h
		},
	}, {
		ID: "FD1006", Name: "registry-unreachable", Title: "Node could not reach the image registry",
		Category: CatImagePull, Causes: []string{pullUnreachable}, Severity: Error, Requires: []string{"admin"},
		Doc: `The node could not talk to the registry at all: the DNS name did not resolve ("no such host"),
the connection timed out or was refused ("dial tcp ...: i/o timeout", "connection refused"), or TLS
failed ("x509: certificate signed by unknown authority"). The image may well exist; the node has no
route, DNS or trust to the registry (private subnets without NAT or VPC endpoints, a firewall or
proxy, a registry on "localhost" that only exists on the machine that built the image, a self-signed
registry certificate that containerd does not trust).

Flyte reports it as INITIALIZING during the image-pull grace period (3m by default), then as
ContainersNotReady|ImagePullBackOff, kind USER, retryable; a short outage can heal on retry, a
missing route cannot.`,
		Fixes: []Fix{{Action: "check DNS, routing and TLS from the node to the registry (kubectl debug node/<node> -it --image=busybox), and fix the network path or the registry's CA on the nodes"}},
		Site: func(s *Site) *Hit {
			hits := pullFind(s, pullUnreachable)
			if len(hits) == 0 {
				return nil
			}
			img := pullImage(s, hits...)
			reg := pullRegistry(img)
			if m := registryHost.FindStringSubmatch(hits[0].Text); m != nil {
				reg = cmp.Or(m[1], m[2], m[3], reg)
			}
			what, fix := "could not connect to", "check the route, security groups, NAT or VPC endpoints and proxy settings between the nodes and the registry"
			switch t := strings.ToLower(hits[0].Text); {
			case strings.Contains(t, "no such host") || strings.Contains(t, "server misbehaving"):
				what, fix = "could not resolve", "check the registry's DNS name and the nodes' DNS resolution"
			case strings.Contains(t, "x509") || strings.Contains(t, "tls:"):
				what, fix = "does not trust the TLS certificate of", "give containerd the registry's CA (/etc/containerd/certs.d/"+reg+"/hosts.toml) or use a certificate from a public CA"
			case strings.Contains(t, "connection refused"):
				what = "was refused a connection by"
			}
			p := pullPod(s, hits...)
			node := "<node>"
			if p != nil && p.NodeName != "" {
				node = p.NodeName
			}
			h := &Hit{
				Summary:  fmt.Sprintf("the node %s registry %s while pulling %s%s", what, reg, orUnknown(img), pullAttempts(s)),
				Detail:   "the pull failed with: " + firstLine(hits[0].Text) + pullStuckNote(s),
				Evidence: pullEvidence(hits),
				Subject:  pullSubject(s, hits...),
				Fixes: []Fix{{Action: fix},
					{Action: "test the registry from the node", Commands: []string{
						fmt.Sprintf("kubectl debug node/%s -it --image=busybox -- sh -c 'nslookup %s && wget -S -O- https://%s/v2/'", node, pullHostOnly(reg), reg)}}},
			}
			switch {
			case pullHostOnly(reg) == "localhost" || strings.HasPrefix(reg, "127."):
				h.Fixes = []Fix{{Action: "push the image to a registry the cluster can reach and register the task with that image: " + reg + " is the node's own loopback address, not the machine that built the image"},
					{Action: "with ImageSpec, set registry= to that registry (ImageSpec(registry=\"ghcr.io/<org>\", ...)) so pyflyte builds, pushes and registers the reachable name"}}
			case strings.Contains(strings.ToLower(hits[0].Text), "x509") || strings.Contains(hits[0].Text, "tls:"):
				h.Fixes[1] = Fix{Action: "inspect the certificate chain the registry presents", Commands: []string{
					fmt.Sprintf("openssl s_client -connect %s -showcerts </dev/null", pullHostPort(reg))}}
			}
			return h
		},
	}, {
		ID: "FD1007", Name: "image-pull-failed", Title: "Image pull failed; the registry's reason was not captured",
		Category: CatImagePull, Causes: []string{pullAuth}, Severity: Error, Requires: []string{"admin"},
		Doc: `The task's image could not be pulled (ImagePullBackOff / ErrImagePull in Admin's error code,
the container's waiting reason or the kubelet's events), but no message that says why survived:
Admin's final error only says "Back-off pulling image", the pod has been deleted and its events
have expired; or the kubelet's message names a reason flytedoctor does not know (it is then quoted).
This rule runs after the specific image-pull rules and only when none of them matched (and FD4004
takes over when the kubelet said a pull secret is missing).

The cause it reports is registry-auth, as the most likely of the permanent causes: a pull that keeps
failing for the whole grace period is rarely a network blip, and registries commonly answer both a
missing repository and missing credentials with a denial. The finding says the reason was not
captured; check the name and the credentials.

Flyte reports the pull as INITIALIZING until the image-pull grace period (3m by default) runs out,
then fails the attempt with ContainersNotReady|ImagePullBackOff, kind USER, retryable.`,
		Fixes: []Fix{{Action: "check that the image exists and that your credentials can read it (crane manifest <image>)"},
			{Action: "relaunch and read the kubelet's reason while the pod exists (kubectl describe pod -n <namespace> <pod>)"}},
		Site: func(s *Site) *Hit {
			if !pullUnexplained(s) {
				return nil
			}
			if _, ev := pullMissingSecrets(s); ev != nil {
				return nil // FD4004 names the missing pull secret
			}
			var hits []pullText
			for _, t := range pullTexts(s) {
				if pullContext.MatchString(t.Text) && !strings.HasPrefix(t.Text, "Successfully") &&
					(t.Event == nil || t.Event.Type == "Warning") {
					hits = append(hits, t)
				}
			}
			if len(hits) == 0 {
				code, msg, _ := s.Error()
				hits = append(hits, pullText{Source: "Admin error " + code, Text: msg})
			}
			img := pullImage(s, hits...)
			h := &Hit{
				Summary: fmt.Sprintf("image %s could not be pulled (ImagePullBackOff); the registry's reason was not captured%s",
					orUnknown(img), pullAttempts(s)),
				Detail: "the pull failure left only: " + firstLine(hits[0].Text) + " — the kubelet's message with the registry's answer is gone (" +
					pullWhyLost(s) + "); reported as registry-auth, the likeliest permanent cause, but a missing tag looks the same" + pullStuckNote(s),
				Evidence: pullEvidence(hits),
				Subject:  pullSubject(s, hits...),
			}
			// A kubelet message with a reason flytedoctor does not know: quote it rather than
			// claim it was lost.
			for _, t := range hits {
				if m := pullReasonRe.FindStringSubmatch(t.Text); m != nil {
					h.Summary = fmt.Sprintf("image %s could not be pulled: %s%s", orUnknown(img), pullLastClause(m[1]), pullAttempts(s))
					h.Detail = "the pull failed with: " + firstLine(t.Text) + " — flytedoctor does not recognise this reason; " +
						"reported as registry-auth by default, read the message" + pullStuckNote(s)
					first := []pullText{t}
					for _, o := range hits {
						if o.Text != t.Text {
							first = append(first, o)
						}
					}
					h.Evidence = pullEvidence(first)
					h.Subject = pullSubject(s, t)
					break
				}
			}
			pullAuthAdvice(s, h, img, hits)
			p := pullPod(s, hits...)
			ns := pullNamespace(s, p)
			cmd := fmt.Sprintf("kubectl describe pods -n %s -l execution-id=<new-execution>", ns)
			if p != nil {
				cmd = fmt.Sprintf("kubectl describe pod -n %s %s", ns, p.Name)
			}
			h.Fixes = append([]Fix{{Action: "find the registry's answer: relaunch and read the kubelet's Failed events while the pod waits in ImagePullBackOff (its first 3 minutes)",
				Commands: []string{cmd}}}, h.Fixes...)
			return h
		},
	}}
}

// pullAuthAdvice fills a hit's fixes (and detail) for a pull the registry refused: which pull
// secrets the pod had, from where, which are missing, and how to add one.
func pullAuthAdvice(s *Site, h *Hit, img string, hits []pullText) {
	reg := pullRegistry(img)
	p := pullPod(s, hits...)
	ns, sa := pullNamespace(s, p), pullServiceAccount(s, p)
	podSecrets, saSecrets, saKnown := pullSecretsOf(s, p, sa)
	missing, ev := pullMissingSecrets(s)
	ecr := strings.Contains(reg, ".dkr.ecr.")
	var fixes []Fix
	switch {
	case len(missing) > 0:
		h.Detail += fmt.Sprintf("; the kubelet could not find pull secret %s in namespace %s, so it pulled without it", strings.Join(missing, ", "), ns)
		h.Evidence = append(h.Evidence, pullEventSource(ev)+": "+ev.Message)
		fixes = append(fixes, Fix{Action: fmt.Sprintf("create the missing pull secret %s in namespace %s with credentials for %s", missing[0], ns, reg),
			Commands: []string{fmt.Sprintf("kubectl create secret docker-registry %s -n %s --docker-server=%s --docker-username=<user> --docker-password=<token>", missing[0], ns, pullServer(reg))}})
	case len(podSecrets)+len(saSecrets) > 0:
		all := append(append([]string{}, podSecrets...), saSecrets...)
		src := "the pod spec"
		if len(podSecrets) == 0 {
			src = "service account " + sa
		}
		h.Detail += fmt.Sprintf("; the pod pulled with secret %s (from %s), which the registry did not accept", strings.Join(all, ", "), src)
		fixes = append(fixes, Fix{Action: fmt.Sprintf("check that pull secret %s holds current credentials for %s that may read %s", all[0], reg, orUnknown(img)),
			Commands: []string{fmt.Sprintf(`kubectl get secret %s -n %s -o jsonpath='{.data.\.dockerconfigjson}' | base64 -d`, all[0], ns)}})
	default:
		switch {
		case p == nil && !saKnown:
			h.Detail += fmt.Sprintf("; the pod and its service account (%s) were not collected, so its pull secrets are unknown", sa)
		case !saKnown:
			h.Detail += fmt.Sprintf("; the pod spec has no imagePullSecrets (service account %s was not collected)", sa)
		case p == nil:
			h.Detail += fmt.Sprintf("; service account %s has no imagePullSecrets (the pod itself is gone)", sa)
		default:
			h.Detail += fmt.Sprintf("; the pod had no imagePullSecrets, neither in its spec nor from service account %s", sa)
		}
		name := pullSecretName(reg) + "-pull"
		user, pass, what := "<user>", "<token>", fmt.Sprintf("create a pull secret for %s and add it to service account %s, which the task runs as", reg, sa)
		if ecr {
			user, pass = "AWS", fmt.Sprintf(`"$(aws ecr get-login-password --region %s)"`, pullECRRegion(reg))
			what = fmt.Sprintf("or give the pods a pull secret for ECR on service account %s (ECR passwords expire after 12 hours, so this needs a refresher)", sa)
		}
		fixes = append(fixes, Fix{Action: what,
			Commands: []string{
				fmt.Sprintf("kubectl create secret docker-registry %s -n %s --docker-server=%s --docker-username=%s --docker-password=%s", name, ns, pullServer(reg), user, pass),
				pullPatchSA(s, p, sa, ns, name)}})
	}
	if ecr {
		fixes = append([]Fix{{Action: "for ECR, let the nodes pull with their own role: attach AmazonEC2ContainerRegistryReadOnly to the node group's IAM role (and allow it in the repository policy)",
			Commands: []string{"aws iam attach-role-policy --role-name <node-role> --policy-arn arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly"}}}, fixes...)
	}
	if img != "" {
		fixes = append(fixes, Fix{Action: "check the image name and that your credentials can read it", Commands: []string{"crane manifest " + img}})
	}
	h.Fixes = fixes
}

// pullSuggestRef repairs the usual mistakes in an image reference: a scheme in front and
// upper-case letters in the repository (tags may have them).
func pullSuggestRef(ref string) string {
	r := strings.TrimPrefix(strings.TrimPrefix(strings.TrimSpace(ref), "https://"), "http://")
	name, tail := r, ""
	if i := strings.IndexByte(r, '@'); i >= 0 {
		name, tail = r[:i], r[i:]
	} else if i := strings.LastIndexByte(r, ':'); i > strings.LastIndexByte(r, '/') {
		name, tail = r[:i], r[i:]
	}
	return asciiLower(name) + tail
}

// asciiLower lowers A-Z only: references are ASCII, and strings.ToLower would turn a stray
// invalid byte into a three-byte U+FFFD.
func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// pullPatchSA is the command that adds a pull secret to a service account, keeping the ones it
// has (a merge patch replaces the whole list).
func pullPatchSA(s *Site, p *evidence.Pod, sa, ns, name string) string {
	_, have, _ := pullSecretsOf(s, p, sa)
	var items []string
	for _, n := range append(append([]string{}, have...), name) {
		items = append(items, fmt.Sprintf(`{"name":"%s"}`, n))
	}
	return fmt.Sprintf(`kubectl patch serviceaccount %s -n %s -p '{"imagePullSecrets":[%s]}'`, sa, ns, strings.Join(items, ","))
}

// pullFrom names the registry after an image reference that does not spell it (" from docker.io").
func pullFrom(img string) string {
	if img == "" || strings.HasPrefix(img, pullRegistry(img)+"/") {
		return ""
	}
	return " from " + pullRegistry(img)
}

// pullServer is the --docker-server value for a registry host.
func pullServer(reg string) string {
	if reg == "docker.io" {
		return "https://index.docker.io/v1/"
	}
	return reg
}

// pullSecretName derives a secret name from a registry host ("ghcr.io" → "ghcr-io", ECR → "ecr").
func pullSecretName(reg string) string {
	if strings.Contains(reg, ".dkr.ecr.") {
		return "ecr"
	}
	n := strings.ToLower(pullHostOnly(reg))
	n = strings.NewReplacer(".", "-", "_", "-").Replace(n)
	for len(n) > 40 && strings.Contains(n, "-") {
		n = n[:strings.LastIndexByte(n, '-')]
	}
	return strings.Trim(n, "-")
}

// pullECRRegion is the region of an ECR registry host (<account>.dkr.ecr.<region>.amazonaws.com).
func pullECRRegion(reg string) string {
	parts := strings.Split(reg, ".")
	for i, p := range parts {
		if p == "ecr" && i+1 < len(parts) {
			return parts[i+1]
		}
	}
	return "<region>"
}

// pullHostPort is a registry host with its port (443 when it names none).
func pullHostPort(reg string) string {
	if strings.Contains(reg, ":") {
		return reg
	}
	return reg + ":443"
}

func pullHostOnly(reg string) string {
	if i := strings.LastIndexByte(reg, ':'); i > 0 {
		return reg[:i]
	}
	return reg
}
