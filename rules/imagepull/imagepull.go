package imagepull

import (
	"fmt"
	"strings"

	"github.com/flytedoctor/flytedoctor/collectors/evidence"
	"github.com/flytedoctor/flytedoctor/rules/internal/pattern"
	"github.com/flytedoctor/flytedoctor/rules/internal/read"
	"github.com/flytedoctor/flytedoctor/rules/rule"
)

const invalidName = "invalid-image-name"

var registryHost = pattern.MustCompile(`(?i)https?://([^/"\s]+)/v2/|dial tcp: lookup ([^\s:]+)|pulling from host ([^\s]+) `)

// reasonRe finds the reason in a kubelet pull failure: `Failed to pull image "x": <reason>`.
var reasonRe = pattern.MustCompile(`Failed to pull image "[^"]+": (.+)`)

// lastClause is the innermost error of a wrapped message ("a: b: no space left on device" →
// "no space left on device").
func lastClause(msg string) string {
	msg = strings.TrimSpace(read.FirstLine(msg))
	if i := strings.LastIndex(msg, ": "); i >= 0 && i+2 < len(msg) {
		return msg[i+2:]
	}
	return msg
}

// libraryDetail adds, for a reference without a registry, where it was pulled from; for a
// Docker Hub denial, that it means the image does not exist.
func libraryDetail(img string, hits []read.PullText) string {
	note := read.LibraryNote(img)
	if note == "" {
		return ""
	}
	for _, t := range hits {
		if strings.Contains(t.Text, "pull access denied") {
			return "; Docker Hub answers a pull of an official image that does not exist with this denial. " + note
		}
	}
	return "; " + note
}

// resolves says, for a reference without a registry, which image the node really pulled.
func resolves(img string) string {
	if read.LibraryNote(img) == "" {
		return ""
	}
	return fmt.Sprintf("; %s names no registry, so the node pulls docker.io/library/%s from Docker Hub", img, strings.TrimPrefix(img, "library/"))
}

// libraryFixes push an image that only exists locally and register the task with its full name.
func libraryFixes(img string) []rule.Fix {
	name := strings.TrimPrefix(img, "library/")
	return []rule.Fix{
		{Action: "push the image to a registry the cluster can pull from, and register the task with the full reference", Commands: []string{
			fmt.Sprintf("docker tag %s <registry>/%s && docker push <registry>/%s", img, name, name),
			fmt.Sprintf("pyflyte register --image <registry>/%s ...", name)}},
		{Action: "on the flytectl demo sandbox, push to its registry instead", Commands: []string{
			fmt.Sprintf("docker tag %s localhost:30000/%s && docker push localhost:30000/%s", img, name, name),
			fmt.Sprintf("pyflyte register --image localhost:30000/%s ...", name)}},
		{Action: "with ImageSpec, set registry= so the image is pushed where the cluster pulls it", Commands: []string{`ImageSpec(registry="localhost:30000", ...)`}},
	}
}

// whyLost says why the kubelet's own messages are missing.
func whyLost(s *rule.Site) string {
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

// authAdvice fills a hit's fixes (and detail) for a pull the registry refused: which pull
// secrets the pod had, from where, which are missing, and how to add one.
func authAdvice(s *rule.Site, h *rule.Hit, img string, hits []read.PullText) {
	reg := read.PullRegistry(img)
	p := read.PullPod(s, hits...)
	ns, sa := read.PullNamespace(s, p), read.PullServiceAccount(s, p)
	podSecrets, saSecrets, saKnown := read.PullSecretsOf(s, p, sa)
	missing, ev := read.PullMissingSecrets(s)
	ecr := strings.Contains(reg, ".dkr.ecr.")
	var fixes []rule.Fix
	switch {
	case len(missing) > 0:
		h.Detail += fmt.Sprintf("; the kubelet could not find pull secret %s in namespace %s, so it pulled without it", strings.Join(missing, ", "), ns)
		h.Evidence = append(h.Evidence, read.PullEventSource(ev)+": "+ev.Message)
		fixes = append(fixes, rule.Fix{Action: fmt.Sprintf("create the missing pull secret %s in namespace %s with credentials for %s", missing[0], ns, reg),
			Commands: []string{fmt.Sprintf("kubectl create secret docker-registry %s -n %s --docker-server=%s --docker-username=<user> --docker-password=<token>", missing[0], ns, read.PullServer(reg))}})
	case len(podSecrets)+len(saSecrets) > 0:
		all := append(append([]string{}, podSecrets...), saSecrets...)
		src := "the pod spec"
		if len(podSecrets) == 0 {
			src = "service account " + sa
		}
		h.Detail += fmt.Sprintf("; the pod pulled with secret %s (from %s), which the registry did not accept", strings.Join(all, ", "), src)
		fixes = append(fixes, rule.Fix{Action: fmt.Sprintf("check that pull secret %s holds current credentials for %s that may read %s", all[0], reg, read.OrUnknown(img)),
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
		name := secretName(reg) + "-pull"
		user, pass, what := "<user>", "<token>", fmt.Sprintf("create a pull secret for %s and add it to service account %s, which the task runs as", reg, sa)
		if ecr {
			user, pass = "AWS", fmt.Sprintf(`"$(aws ecr get-login-password --region %s)"`, eCRRegion(reg))
			what = fmt.Sprintf("or give the pods a pull secret for ECR on service account %s (ECR passwords expire after 12 hours, so this needs a refresher)", sa)
		}
		fixes = append(fixes, rule.Fix{Action: what,
			Commands: []string{
				fmt.Sprintf("kubectl create secret docker-registry %s -n %s --docker-server=%s --docker-username=%s --docker-password=%s", name, ns, read.PullServer(reg), user, pass),
				patchSA(s, p, sa, ns, name)}})
	}
	if ecr {
		fixes = append([]rule.Fix{{Action: "for ECR, let the nodes pull with their own role: attach AmazonEC2ContainerRegistryReadOnly to the node group's IAM role (and allow it in the repository policy)",
			Commands: []string{"aws iam attach-role-policy --role-name <node-role> --policy-arn arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly"}}}, fixes...)
	}
	if img != "" {
		fixes = append(fixes, rule.Fix{Action: "check the image name and that your credentials can read it", Commands: []string{"crane manifest " + img}})
	}
	h.Fixes = fixes
}

// suggestRef repairs the usual mistakes in an image reference: a scheme in front and
// upper-case letters in the repository (tags may have them).
func suggestRef(ref string) string {
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

// patchSA is the command that adds a pull secret to a service account, keeping the ones it
// has (a merge patch replaces the whole list).
func patchSA(s *rule.Site, p *evidence.Pod, sa, ns, name string) string {
	_, have, _ := read.PullSecretsOf(s, p, sa)
	var items []string
	for _, n := range append(append([]string{}, have...), name) {
		items = append(items, fmt.Sprintf(`{"name":"%s"}`, n))
	}
	return fmt.Sprintf(`kubectl patch serviceaccount %s -n %s -p '{"imagePullSecrets":[%s]}'`, sa, ns, strings.Join(items, ","))
}

// from names the registry after an image reference that does not spell it (" from docker.io").
func from(img string) string {
	if img == "" || strings.HasPrefix(img, read.PullRegistry(img)+"/") {
		return ""
	}
	return " from " + read.PullRegistry(img)
}

// secretName derives a secret name from a registry host ("ghcr.io" → "ghcr-io", ECR → "ecr").
func secretName(reg string) string {
	if strings.Contains(reg, ".dkr.ecr.") {
		return "ecr"
	}
	n := strings.ToLower(hostOnly(reg))
	n = strings.NewReplacer(".", "-", "_", "-").Replace(n)
	for len(n) > 40 && strings.Contains(n, "-") {
		n = n[:strings.LastIndexByte(n, '-')]
	}
	return strings.Trim(n, "-")
}

// eCRRegion is the region of an ECR registry host (<account>.dkr.ecr.<region>.amazonaws.com).
func eCRRegion(reg string) string {
	parts := strings.Split(reg, ".")
	for i, p := range parts {
		if p == "ecr" && i+1 < len(parts) {
			return parts[i+1]
		}
	}
	return "<region>"
}

// hostPort is a registry host with its port (443 when it names none).
func hostPort(reg string) string {
	if strings.Contains(reg, ":") {
		return reg
	}
	return reg + ":443"
}

func hostOnly(reg string) string {
	if i := strings.LastIndexByte(reg, ':'); i > 0 {
		return reg[:i]
	}
	return reg
}
