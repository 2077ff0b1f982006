package read

import (
	"cmp"
	"fmt"
	"strings"

	"github.com/flytedoctor/flytedoctor/collectors/evidence"
	"github.com/flytedoctor/flytedoctor/rules/internal/pattern"
	"github.com/flytedoctor/flytedoctor/rules/rule"
)

const PullNotFound = "image-not-found"

const PullAuth = "registry-auth"

const PullUnreachable = "registry-unreachable"

const PullRateLimited = "rate-limited"

const PullPlatform = "platform-mismatch"

// pullContext marks a message as the kubelet's or the runtime's account of an image pull, so
// that "401", "i/o timeout" or "not found" in a user's traceback are not read as pull errors.
var PullContext = pattern.MustCompile(`(?i)(failed to pull|pulling image|pull image|ErrImagePull|ImagePullBackOff|pull access denied|failed to resolve reference|pull and unpack|PullImage)`)

// The runtime's reasons, in the order pullCause tries them: a message that names a platform,
// a rate limit or a denial is about that even when it also says "not found".
var pullPlatformRe = pattern.MustCompile(`(?i)(no match for platform in manifest|no matching manifest for \S+ in the manifest list entries|does not match the specified platform)`)

var pullRateRe = pattern.MustCompile(`(?i)(429 Too Many Requests|toomanyrequests|pull rate limit|Rate exceeded)`)

// Docker Hub, GHCR and Harbor answer "pull access denied, repository does not exist or may
// require authorization" for a private repository and a missing one alike; it is read as auth.
var pullAuthRe = pattern.MustCompile(`(?i)(pull access denied|unauthorized: authentication required|no basic auth credentials|\b401 Unauthorized|\b403 Forbidden|authorization failed|failed to authorize|requested access to the resource is denied|insufficient_scope|unauthorized: |: denied: |\bdenied: Permission)`)

// containerd: `failed to resolve reference "x": x: not found`; Docker and CRI-O: "manifest
// unknown", "manifest for x not found", "name unknown"; ECR: "Requested image not found".
var imageNotFound = pattern.MustCompile(`(?i)(failed to resolve reference "[^"]+"[^\n]*: not found|manifest unknown|manifest for \S+ not found|name unknown|Requested image not found|repository \S+ not found)`)

// Network, DNS and TLS failures between the node and the registry.
var pullUnreachableRe = pattern.MustCompile(`(?i)(i/o timeout|connect: connection timed out|connection refused|no such host|network is unreachable|no route to host|TLS handshake timeout|x509: |tls: failed to verify|server misbehaving|connection reset by peer|Client\.Timeout exceeded)`)

// InvalidImageName: the kubelet could not parse the reference at all.
var PullInvalidRe = pattern.MustCompile(`(?i)(Failed to apply default image tag "([^"]*)"|couldn't parse image (?:name|reference) "([^"]*)")`)

// A binary built for another CPU: runc's message in the log tail of the crashed container.
var ExecFormatRe = pattern.MustCompile(`(exec (\S+): exec format error|exec user process caused:? "?exec format error)`)

var imageRef = pattern.MustCompile(`(?i)(?:pulling|pull|unpack) image "([^"]+)"`)

var imageRefOther = pattern.MustCompile(`(?:resolve reference|default image tag) "([^"]+)"`)

var pullBackoffRe = pattern.MustCompile(`(ImagePullBackOff|ErrImagePull)`)

// pullCause classifies one pull message; "" means it names no reason flytedoctor knows.
func PullCause(text string) string {
	if !PullContext.MatchString(text) {
		return ""
	}
	switch {
	case pullPlatformRe.MatchString(text):
		return PullPlatform
	case pullRateRe.MatchString(text):
		return PullRateLimited
	case pullAuthRe.MatchString(text):
		return PullAuth
	case imageNotFound.MatchString(text):
		return PullNotFound
	case pullUnreachableRe.MatchString(text):
		return PullUnreachable
	}
	return ""
}

// pullText is one message of a site and where it came from, for evidence lines.
type PullText struct {
	Source string
	Text   string
	Pod    *evidence.Pod
	Ctr    *evidence.Container
	Event  *evidence.Event
	// Admin is true for Flyte's own error and reasons.
	Admin bool
	cause string // pullCause(Text), read once
}

func (t PullText) Line() string { return t.Source + ": " + t.Text }

// pullTexts lists the site's messages like Site.Texts, each with its source: Admin's errors and
// reasons, pod and container states, then events (warnings first).
func PullTexts(s *rule.Site) []PullText {
	return rule.SiteOnce(s, "pull-texts", func() []PullText { return collectPullTexts(s) })
}

func collectPullTexts(s *rule.Site) []PullText {
	var out []PullText
	seen := map[string]bool{}
	add := func(t PullText) {
		t.Text = strings.TrimSpace(t.Text)
		if t.Text == "" || seen[t.Text] {
			return
		}
		seen[t.Text] = true
		t.cause = PullCause(t.Text)
		if t.cause == PullAuth && LibraryImage(deniedImage(t.Text)) {
			// Docker Hub's official images are public: a denial for docker.io/library/<name>
			// means there is no such image, not missing credentials.
			t.cause = PullNotFound
		}
		out = append(out, t)
	}
	if code, m, _ := s.Error(); m != "" {
		add(PullText{Source: "Admin error " + OrUnknown(code), Text: m, Admin: true})
	}
	for _, a := range s.Attempts {
		if a.Error != nil {
			c, m := rule.Unwrap(a.Error.Code, a.Error.Message)
			add(PullText{Source: fmt.Sprintf("attempt %d error %s", a.RetryAttempt, OrUnknown(c)), Text: m, Admin: true})
		}
		add(PullText{Source: fmt.Sprintf("attempt %d reason", a.RetryAttempt), Text: a.Reason, Admin: true})
		for _, r := range a.Reasons {
			add(PullText{Source: fmt.Sprintf("attempt %d reason", a.RetryAttempt), Text: r.Message, Admin: true})
		}
	}
	for _, pc := range s.Containers() {
		for _, st := range []evidence.ContainerState{pc.Container.State, pc.Container.LastState} {
			if st.Message != "" {
				add(PullText{Source: fmt.Sprintf("pod %s container %s %s (%s)", pc.Pod.Name, pc.Container.Name, st.State, st.Reason),
					Text: st.Message, Pod: pc.Pod, Ctr: pc.Container})
			}
		}
	}
	for _, name := range s.PodNames() {
		p := s.Pods[name]
		if p.Message != "" {
			add(PullText{Source: fmt.Sprintf("pod %s status (%s)", p.Name, p.Reason), Text: p.Message, Pod: p})
		}
	}
	for i := range s.Events {
		e := &s.Events[i]
		add(PullText{Source: PullEventSource(e), Text: e.Message, Pod: s.Pods[e.Name], Event: e})
	}
	return out
}

// pullEventSource names an event for an evidence line: "event Failed on pod x (x4)".
func PullEventSource(e *evidence.Event) string {
	src := fmt.Sprintf("event %s on pod %s", e.Reason, e.Name)
	if e.Count > 1 {
		src += fmt.Sprintf(" (x%d)", e.Count)
	}
	return src
}

// pullFind returns the site's messages whose pull cause is cause, first the decisive one.
func PullFind(s *rule.Site, cause string) []PullText {
	var out []PullText
	for _, t := range PullTexts(s) {
		if t.cause == cause {
			out = append(out, t)
		}
	}
	return out
}

// pullFailing reports whether the site shows an image pull that did not succeed: Flyte's
// ImagePullBackOff / ErrImagePull code or reason, a container waiting on one, or a kubelet
// warning about a pull.
func PullFailing(s *rule.Site) bool {
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
		if e.Type == "Warning" && (e.Reason == "Failed" || e.Reason == "BackOff") && PullContext.MatchString(e.Message) &&
			!strings.HasPrefix(e.Message, "Successfully") {
			return true
		}
	}
	for _, t := range PullTexts(s) {
		if t.cause != "" {
			return true
		}
	}
	return false
}

// pullUnexplained reports whether the site's image pull failed and no specific rule can say why.
func PullUnexplained(s *rule.Site) bool {
	if !PullFailing(s) {
		return false
	}
	for _, t := range PullTexts(s) {
		if t.cause != "" || ExecFormatRe.MatchString(t.Text) || PullInvalidRe.MatchString(t.Text) {
			return false
		}
	}
	return true
}

// pullImage names the image the site failed to pull: from the decisive message, else any pull
// message, else the first container stuck waiting on a pull.
func PullImage(s *rule.Site, texts ...PullText) string {
	for _, t := range texts {
		if img := PullImageIn(t.Text); img != "" {
			return img
		}
	}
	for _, t := range PullTexts(s) {
		if PullContext.MatchString(t.Text) {
			if img := PullImageIn(t.Text); img != "" {
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

func PullImageIn(text string) string {
	if m := imageRef.FindStringSubmatch(text); m != nil {
		return m[1]
	}
	if m := imageRefOther.FindStringSubmatch(text); m != nil {
		return m[1]
	}
	return ""
}

// deniedRe finds the repository a registry refused: Docker's "pull access denied for
// <repo>," and containerd's reference.
var deniedRe = pattern.MustCompile(`pull access denied for ([^\s,]+),|failed to resolve reference "([^"]+)": pull access denied`)

// deniedImage is the repository a pull denial names, else the image the message pulls.
func deniedImage(text string) string {
	if m := deniedRe.FindStringSubmatch(text); m != nil {
		return m[1] + m[2]
	}
	return PullImageIn(text)
}

// LibraryImage reports a reference that resolves to Docker Hub's official images: no registry and
// no namespace ("flytecookbook:abc", "docker.io/library/python:3.11").
func LibraryImage(img string) bool {
	if img == "" || strings.ContainsAny(img, " \t") {
		return false
	}
	img = strings.TrimPrefix(img, "index.docker.io/")
	img = strings.TrimPrefix(img, "docker.io/")
	img = strings.TrimPrefix(img, "library/")
	return !strings.Contains(img, "/")
}

// LibraryNote says where a reference without a registry is pulled from, for a detail: "" for
// references that name their registry or a Docker Hub namespace.
func LibraryNote(img string) string {
	if !LibraryImage(img) || strings.HasPrefix(img, "docker.io/") || strings.HasPrefix(img, "index.docker.io/") {
		return ""
	}
	name := img
	if i := strings.IndexAny(name, ":@"); i >= 0 {
		name = name[:i]
	}
	return fmt.Sprintf("%s names no registry, so the node pulls docker.io/library/%s: Docker Hub's official images, which have no %s. An image built on your machine (docker build, ImageSpec without registry=) exists only there: push it to a registry the cluster can reach and register the task with the full reference (on the flytectl demo sandbox, localhost:30000/%s)",
		img, strings.TrimPrefix(img, "library/"), name, strings.TrimPrefix(img, "library/"))
}

// pullRegistry is the registry host of an image reference ("docker.io" when it names none).
func PullRegistry(img string) string {
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
func PullPod(s *rule.Site, texts ...PullText) *evidence.Pod {
	for _, t := range texts {
		if t.Pod != nil {
			return t.Pod
		}
	}
	return LastPod(s)
}

// pullNamespace is where the site's pods run.
func PullNamespace(s *rule.Site, p *evidence.Pod) string {
	switch {
	case p != nil && p.Namespace != "":
		return p.Namespace
	case s.Execution.Namespace != "":
		return s.Execution.Namespace
	}
	return s.Kube().Namespace
}

// pullServiceAccount is the service account the site's pods run as (or would).
func PullServiceAccount(s *rule.Site, p *evidence.Pod) string {
	switch {
	case p != nil && p.Spec.ServiceAccount != "":
		return p.Spec.ServiceAccount
	case s.Execution.ServiceAccount != "":
		return s.Execution.ServiceAccount
	}
	return "default"
}

// pullSubject is the site's subject, narrowed to the pod and container of the decisive message.
func PullSubject(s *rule.Site, texts ...PullText) rule.Subject {
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
func PullEvidence(texts []PullText) []string {
	var out []string
	for i, t := range texts {
		if i == 3 {
			break
		}
		out = append(out, t.Line())
	}
	return out
}

// pullAttempts describes the attempts when several failed the same way ("3 attempts, all
// ImagePullBackOff"), for the summary; "" for one attempt.
func PullAttempts(s *rule.Site) string {
	if len(s.Attempts) < 2 {
		return ""
	}
	codes := map[string]bool{}
	for _, a := range s.Attempts {
		if a.Error == nil {
			return ""
		}
		c, _ := rule.Unwrap(a.Error.Code, a.Error.Message)
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
func PullStuckNote(s *rule.Site) string {
	if !s.Stuck {
		return ""
	}
	return "; Flyte still reports the task INITIALIZING and fails the attempt once the image-pull grace period (3m by default) runs out"
}

// pullSecretsOf returns the image pull secrets a pod uses: its own, and its service account's.
func PullSecretsOf(s *rule.Site, p *evidence.Pod, sa string) (pod, fromSA []string, saKnown bool) {
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
func PullMissingSecrets(s *rule.Site) ([]string, *evidence.Event) {
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

// pullServer is the --docker-server value for a registry host.
func PullServer(reg string) string {
	if reg == "docker.io" {
		return "https://index.docker.io/v1/"
	}
	return reg
}
