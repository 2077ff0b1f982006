package config

import (
	"cmp"
	"fmt"
	"strings"

	"github.com/flytedoctor/flytedoctor/collectors/evidence"
	"github.com/flytedoctor/flytedoctor/rules/internal/pattern"
	"github.com/flytedoctor/flytedoctor/rules/internal/read"
	"github.com/flytedoctor/flytedoctor/rules/rule"
)

// The kubelet's CreateContainerConfigError and FailedMount texts. The kubelet says
// `secret "x" not found` (singular); the API's own NotFound says `secrets "x" not found`.
// fires-secret-volume-key-missing-2822 (FD4001) quotes the kubelet's events in
// https://github.com/flyteorg/flyte/issues/2822 verbatim.
//
// A secret or config map volume whose items name a key the object lacks: "MountVolume.SetUp
// failed for volume "x" : references non-existent secret key: username" (the object is named by
// the pod's volume, not the message).
var secretRe = pattern.MustCompile(`(?:^|[^A-Za-z])secret "([^"]+)" not found|couldn't find key (\S+) in Secret ([^/\s]+)/(\S+)|references non-existent secret key: (\S+)`)

var configMapRe = pattern.MustCompile(`(?i)(?:^|[^A-Za-z])configmap "([^"]+)" not found|couldn't find key (\S+) in ConfigMap ([^/\s]+)/(\S+)|references non-existent config key: (\S+)`)

var mountRe = pattern.MustCompile(`MountVolume\.SetUp failed for volume "([^"]+)"`)

// The ServiceAccount admission plugin refusing the pod:
// pods "x" is forbidden: error looking up service account ns/sa: serviceaccount "sa" not found
var sARe = pattern.MustCompile(`error looking up service account ([^/\s]+)/([^:\s]+): serviceaccount "([^"]+)" not found`)

// flytekit's SecretsManager.get when neither the env var nor the file exists.
var flyteSecretRe = pattern.MustCompile(`Unable to find secret for key (\S+) in group (\S+) in Env Var:\s*(\S+) and FilePath: (\S+)`)

// missing is a missing secret or config map the kubelet reported.
type missing struct {
	Name, Key, Namespace string
	Volume               string // set when a volume mount failed rather than an env reference
	Hits                 []read.PullText
}

// findMissing looks for the kubelet's account of a missing object of one kind, in the
// texts that come from the kubelet: container states, events, and Flyte's
// CreateContainerConfigError errors and reasons.
func findMissing(s *rule.Site, re *pattern.Regexp) *missing {
	var found *missing
	for _, t := range read.PullTexts(s) {
		kubelet := t.Ctr != nil || t.Event != nil || strings.Contains(t.Source, "CreateContainerConfigError") ||
			strings.Contains(t.Text, "CreateContainerConfigError") || mountRe.MatchString(t.Text)
		m := re.FindStringSubmatch(t.Text)
		if m == nil || !kubelet {
			continue
		}
		if found == nil {
			found = &missing{Name: cmp.Or(m[1], m[4]), Key: cmp.Or(m[2], m[5]), Namespace: m[3]}
			if v := mountRe.FindStringSubmatch(t.Text); v != nil {
				found.Volume = v[1]
			}
			if found.Name == "" && found.Volume != "" {
				found.Name = volumeSource(s, found.Volume)
			}
		}
		found.Hits = append(found.Hits, t)
	}
	return found
}

// volumeSource is the secret or config map a pod volume of that name mounts.
func volumeSource(s *rule.Site, volume string) string {
	for _, pc := range s.Containers() {
		for _, v := range pc.Pod.Spec.Volumes {
			if v.Name == volume && (v.Kind == "secret" || v.Kind == "configMap") {
				return v.Ref
			}
		}
	}
	return ""
}

// refKeys lists the keys the pod's containers read from a secret or config map ("name/key"
// references), for the fix.
func refKeys(p *evidence.Pod, name string, secret bool) []string {
	if p == nil {
		return nil
	}
	var keys []string
	seen := map[string]bool{}
	for _, c := range append(append([]evidence.Container{}, p.InitContainers...), p.Containers...) {
		refs := c.ConfigMapRefs
		if secret {
			refs = c.SecretRefs
		}
		for _, r := range refs {
			if n, k, ok := strings.Cut(r, "/"); ok && n == name && !seen[k] {
				seen[k] = true
				keys = append(keys, k)
			}
		}
	}
	return keys
}

// flyteInjected reports whether the pod's reference to a secret came from Flyte's secret
// webhook (a task's secret_requests): the pod is labelled for injection and reads _FSEC_ variables.
func flyteInjected(p *evidence.Pod) bool {
	if p == nil || p.Labels["inject-flyte-secrets"] != "true" {
		return false
	}
	for _, c := range p.Containers {
		for _, e := range c.EnvNames {
			if strings.HasPrefix(e, "_FSEC_") {
				return true
			}
		}
	}
	return len(p.Spec.Volumes) > 0
}

// missingHit builds the finding for a missing secret or config map.
func missingHit(s *rule.Site, miss *missing, kind string) rule.Hit {
	p := read.PullPod(s, miss.Hits...)
	ns := cmp.Or(miss.Namespace, read.PullNamespace(s, p))
	pod := "the task's pod"
	if sub := read.PullSubject(s, miss.Hits...); sub.Pod != "" {
		pod = "pod " + sub.Pod
	}
	then := "then relaunch"
	if s.Stuck {
		then = "the waiting pod picks it up without a relaunch"
	}
	secret := kind == "secret"
	what := fmt.Sprintf("%s %q does not exist in namespace %s", kind, miss.Name, ns)
	switch {
	case miss.Key != "" && miss.Name == "":
		// The kubelet named only the key; the pod that names the object is gone.
		what = fmt.Sprintf("the %s that volume %q mounts has no key %q", kind, miss.Volume, miss.Key)
		m := *miss
		m.Name = "<name>"
		miss = &m
	case miss.Key != "":
		what = fmt.Sprintf("%s %s/%s has no key %q", kind, ns, miss.Name, miss.Key)
	}
	h := rule.Hit{Evidence: read.PullEvidence(miss.Hits), Subject: read.PullSubject(s, miss.Hits...)}
	if miss.Volume != "" {
		h.Summary = fmt.Sprintf("%s, so %s cannot mount volume %q (FailedMount)", what, pod, miss.Volume)
		h.Detail = quote(miss.Hits[0]) +
			"; the pod waits in ContainerCreating and Flyte reports the task INITIALIZING until the " + kind + " appears or a node timeout fires (no pending timeout by default)"
	} else {
		h.Summary = fmt.Sprintf("%s, so %s could not start (CreateContainerConfigError)", what, pod)
		h.Detail = quote(miss.Hits[0]) +
			"; Flyte fails the attempt at once (create-container-config-error grace period 0s) as a permanent USER error, so it is not retried"
	}
	if secret && flyteInjected(p) {
		h.Detail += fmt.Sprintf("; the reference was injected by Flyte for the task's secret_requests (group %q)", miss.Name)
	}
	keys := refKeys(p, miss.Name, secret)
	if miss.Key != "" {
		keys = []string{miss.Key}
	}
	var lits []string
	for _, k := range keys {
		lits = append(lits, fmt.Sprintf("--from-literal=%s=<value>", k))
	}
	if len(lits) == 0 {
		lits = []string{"--from-literal=<key>=<value>"}
	}
	create := "secret generic"
	if !secret {
		create = "configmap"
	}
	switch {
	case miss.Key != "":
		field := "stringData"
		if !secret {
			field = "data"
		}
		h.Fixes = []rule.Fix{{Action: fmt.Sprintf("add key %q to %s %s in namespace %s", miss.Key, kind, miss.Name, ns),
			Commands: []string{fmt.Sprintf(`kubectl patch %s %s -n %s --type merge -p '{"%s":{"%s":"<value>"}}'`, kind, miss.Name, ns, field, miss.Key)}},
			{Action: "or change the task's reference to a key that exists, register and relaunch",
				Commands: []string{fmt.Sprintf("kubectl describe %s %s -n %s", kind, miss.Name, ns)}}}
	default:
		h.Fixes = []rule.Fix{{Action: fmt.Sprintf("create %s %s in namespace %s (the namespace the execution runs in); %s", kind, miss.Name, ns, then),
			Commands: []string{fmt.Sprintf("kubectl create %s %s -n %s %s", create, miss.Name, ns, strings.Join(lits, " "))}},
			{Action: "or fix the reference: check the name the task (or its pod template) uses against what exists",
				Commands: []string{fmt.Sprintf("kubectl get %ss -n %s", kind, ns)}}}
	}
	return h
}

// quote introduces a decisive message by who said it.
func quote(t read.PullText) string {
	if t.Admin {
		return "Flyte reported: " + read.FirstLine(t.Text)
	}
	return "the kubelet reported: " + read.FirstLine(t.Text)
}

// volumeRefs reports whether the pod mounts the named secret as a volume.
func volumeRefs(p *evidence.Pod, name string) bool {
	for _, v := range p.Spec.Volumes {
		if v.Kind == "secret" && v.Ref == name {
			return true
		}
	}
	return false
}

// secretLine returns the line of a traceback that carries flytekit's secret error.
func secretLine(text string) string {
	for _, l := range strings.Split(text, "\n") {
		if flyteSecretRe.MatchString(l) {
			return strings.TrimSpace(l)
		}
	}
	return read.FirstLine(text)
}
