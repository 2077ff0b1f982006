package rules

import (
	"cmp"
	"fmt"
	"regexp"
	"strings"

	"github.com/flytedoctor/flytedoctor/collectors/evidence"
)

var (
	// The kubelet's CreateContainerConfigError and FailedMount texts. The kubelet says
	// `secret "x" not found` (singular); the API's own NotFound says `secrets "x" not found`.
	configSecretRe    = regexp.MustCompile(`(?:^|[^A-Za-z])secret "([^"]+)" not found|couldn't find key (\S+) in Secret ([^/\s]+)/(\S+)`)
	configConfigMapRe = regexp.MustCompile(`(?i)(?:^|[^A-Za-z])configmap "([^"]+)" not found|couldn't find key (\S+) in ConfigMap ([^/\s]+)/(\S+)`)
	configMountRe     = regexp.MustCompile(`MountVolume\.SetUp failed for volume "([^"]+)"`)

	// The ServiceAccount admission plugin refusing the pod:
	// pods "x" is forbidden: error looking up service account ns/sa: serviceaccount "sa" not found
	configSARe = regexp.MustCompile(`error looking up service account ([^/\s]+)/([^:\s]+): serviceaccount "([^"]+)" not found`)

	// kubelet event FailedToRetrieveImagePullSecret.
	missingPullSecretRe = regexp.MustCompile(`Unable to retrieve some image pull secrets \(([^)]*)\); attempting to pull the image may not succeed`)

	// flytekit's SecretsManager.get when neither the env var nor the file exists.
	configFlyteSecretRe = regexp.MustCompile(`Unable to find secret for key (\S+) in group (\S+) in Env Var:\s*(\S+) and FilePath: (\S+)`)
)

// configMissing is a missing secret or config map the kubelet reported.
type configMissing struct {
	Name, Key, Namespace string
	Volume               string // set when a volume mount failed rather than an env reference
	Hits                 []pullText
}

// configFindMissing looks for the kubelet's account of a missing object of one kind, in the
// texts that come from the kubelet: container states, events, and Flyte's
// CreateContainerConfigError errors and reasons.
func configFindMissing(s *Site, re *regexp.Regexp) *configMissing {
	var found *configMissing
	for _, t := range pullTexts(s) {
		kubelet := t.Ctr != nil || t.Event != nil || strings.Contains(t.Source, "CreateContainerConfigError") ||
			strings.Contains(t.Text, "CreateContainerConfigError") || configMountRe.MatchString(t.Text)
		m := re.FindStringSubmatch(t.Text)
		if m == nil || !kubelet {
			continue
		}
		if found == nil {
			found = &configMissing{Name: cmp.Or(m[1], m[4]), Key: m[2], Namespace: m[3]}
			if v := configMountRe.FindStringSubmatch(t.Text); v != nil {
				found.Volume = v[1]
			}
		}
		found.Hits = append(found.Hits, t)
	}
	return found
}

// configRefKeys lists the keys the pod's containers read from a secret or config map ("name/key"
// references), for the fix.
func configRefKeys(p *evidence.Pod, name string, secret bool) []string {
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

// configFlyteInjected reports whether the pod's reference to a secret came from Flyte's secret
// webhook (a task's secret_requests): the pod is labelled for injection and reads _FSEC_ variables.
func configFlyteInjected(p *evidence.Pod) bool {
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

// configMissingHit builds the finding for a missing secret or config map.
func configMissingHit(s *Site, miss *configMissing, kind string) *Hit {
	p := pullPod(s, miss.Hits...)
	ns := cmp.Or(miss.Namespace, pullNamespace(s, p))
	pod := "the task's pod"
	if sub := pullSubject(s, miss.Hits...); sub.Pod != "" {
		pod = "pod " + sub.Pod
	}
	then := "then relaunch"
	if s.Stuck {
		then = "the waiting pod picks it up without a relaunch"
	}
	secret := kind == "secret"
	what := fmt.Sprintf("%s %q does not exist in namespace %s", kind, miss.Name, ns)
	if miss.Key != "" {
		what = fmt.Sprintf("%s %s/%s has no key %q", kind, ns, miss.Name, miss.Key)
	}
	h := &Hit{Evidence: pullEvidence(miss.Hits), Subject: pullSubject(s, miss.Hits...)}
	if miss.Volume != "" {
		h.Summary = fmt.Sprintf("%s, so %s cannot mount volume %q (FailedMount)", what, pod, miss.Volume)
		h.Detail = configQuote(miss.Hits[0]) +
			"; the pod waits in ContainerCreating and Flyte reports the task INITIALIZING until the " + kind + " appears or a node timeout fires (no pending timeout by default)"
	} else {
		h.Summary = fmt.Sprintf("%s, so %s could not start (CreateContainerConfigError)", what, pod)
		h.Detail = configQuote(miss.Hits[0]) +
			"; Flyte fails the attempt at once (create-container-config-error grace period 0s) as a permanent USER error, so it is not retried"
	}
	if secret && configFlyteInjected(p) {
		h.Detail += fmt.Sprintf("; the reference was injected by Flyte for the task's secret_requests (group %q)", miss.Name)
	}
	keys := configRefKeys(p, miss.Name, secret)
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
		h.Fixes = []Fix{{Action: fmt.Sprintf("add key %q to %s %s in namespace %s", miss.Key, kind, miss.Name, ns),
			Commands: []string{fmt.Sprintf(`kubectl patch %s %s -n %s --type merge -p '{"%s":{"%s":"<value>"}}'`, kind, miss.Name, ns, field, miss.Key)}},
			{Action: "or change the task's reference to a key that exists, register and relaunch",
				Commands: []string{fmt.Sprintf("kubectl describe %s %s -n %s", kind, miss.Name, ns)}}}
	default:
		h.Fixes = []Fix{{Action: fmt.Sprintf("create %s %s in namespace %s (the namespace the execution runs in); %s", kind, miss.Name, ns, then),
			Commands: []string{fmt.Sprintf("kubectl create %s %s -n %s %s", create, miss.Name, ns, strings.Join(lits, " "))}},
			{Action: "or fix the reference: check the name the task (or its pod template) uses against what exists",
				Commands: []string{fmt.Sprintf("kubectl get %ss -n %s", kind, ns)}}}
	}
	return h
}

func configRules() []*Rule {
	return []*Rule{{
		ID: "FD4001", Name: "missing-secret", Title: "A secret the task's pod references does not exist",
		Category: CatConfigError, Causes: []string{"missing-secret"}, Severity: Error, Requires: []string{"admin", "kube"},
		Doc: `The kubelet could not start the task's container because a Kubernetes secret it reads is missing
from the execution's namespace: the container waits with reason CreateContainerConfigError and the
message 'secret "x" not found', or 'couldn't find key K in Secret ns/x' when the secret exists but
lacks the key. A secret volume that cannot be mounted shows instead as a FailedMount event
('MountVolume.SetUp failed for volume "v" : secret "x" not found') with the pod stuck in
ContainerCreating.

Flyte fails a CreateContainerConfigError at once: its grace period
(create-container-config-error-grace-period) is 0 by default, and the failure is permanent, kind
USER, with code ContainersNotReady|CreateContainerConfigError and a message like
'Grace period [0s] exceeded|containers with unready status: [..]|secret "x" not found'. No retry
can help until the secret exists. A FailedMount pod is not failed by Flyte at all: the task stays
INITIALIZING until the secret appears or a node timeout fires. Secrets come from a pod template, the
task's environment, or Flyte's secret webhook for secret_requests (older webhooks inject
non-optional references).`,
		Fixes: []Fix{{Action: "create the secret in the execution's namespace (kubectl create secret generic <name> -n <namespace> --from-literal=<key>=<value>), or fix the task's reference, then relaunch"}},
		Site: func(s *Site) *Hit {
			miss := configFindMissing(s, configSecretRe)
			if miss == nil {
				return nil
			}
			return configMissingHit(s, miss, "secret")
		},
	}, {
		ID: "FD4002", Name: "missing-configmap", Title: "A config map the task's pod references does not exist",
		Category: CatConfigError, Causes: []string{"missing-configmap"}, Severity: Error, Requires: []string{"admin", "kube"},
		Doc: `The kubelet could not start the task's container because a config map it reads (env, envFrom or
a volume, usually from a pod template) is missing from the execution's namespace: the container waits
with reason CreateContainerConfigError and the message 'configmap "x" not found', or
'couldn't find key K in ConfigMap ns/x'; a config-map volume fails with a FailedMount event instead.

Flyte fails a CreateContainerConfigError at once (grace period 0 by default) as a permanent USER
error with code ContainersNotReady|CreateContainerConfigError; a FailedMount pod stays in
ContainerCreating and the task INITIALIZING, with no pending timeout by default.`,
		Fixes: []Fix{{Action: "create the config map in the execution's namespace (kubectl create configmap <name> -n <namespace> --from-literal=<key>=<value>), or fix the reference, then relaunch"}},
		Site: func(s *Site) *Hit {
			miss := configFindMissing(s, configConfigMapRe)
			if miss == nil {
				return nil
			}
			return configMissingHit(s, miss, "configmap")
		},
	}, {
		ID: "FD4003", Name: "missing-service-account", Title: "The service account the task runs as does not exist",
		Category: CatConfigError, Causes: []string{"missing-service-account"}, Severity: Error, Requires: []string{"admin", "kube"},
		Doc: `Kubernetes refused to create the task's pod because its service account does not exist in the
execution's namespace: 'pods "x" is forbidden: error looking up service account ns/sa:
serviceaccount "sa" not found'. The service account comes from the launch (pyflyte run
--service-account, the launch plan's or the project's security context) and defaults to "default";
a "default" that is missing usually means the namespace is new or being deleted.

Flyte turns a Forbidden pod creation into code RuntimeFailure, kind USER, retryable, so the node
uses up its retries with the same refusal and fails with RetriesExhausted|RuntimeFailure. No pod is
ever created, so there are no pod events; flytedoctor also reads the service account and reports
it missing.`,
		Fixes: []Fix{{Action: "create the service account in the execution's namespace, or launch with one that exists (pyflyte run --remote --service-account <sa> ...)"}},
		Site: func(s *Site) *Hit {
			var hits []pullText
			var ns, sa string
			for _, t := range pullTexts(s) {
				if m := configSARe.FindStringSubmatch(t.Text); m != nil {
					if sa == "" {
						ns, sa = m[1], m[3]
					}
					hits = append(hits, t)
				}
			}
			if sa == "" {
				// Without the message: a missing service account and a pod that never existed.
				code, _, _ := s.Error()
				want := cmp.Or(s.Execution.ServiceAccount, "default")
				if len(s.Pods) > 0 || !(code == "RuntimeFailure" || (s.Stuck && code == "")) {
					return nil
				}
				for _, a := range s.Kube().ServiceAccounts {
					if a.NotFound && a.Name == want {
						sa, ns = a.Name, pullNamespace(s, nil)
					}
				}
				if sa == "" {
					return nil
				}
				if code != "" {
					_, msg, _ := s.Error()
					hits = append(hits, pullText{Source: "Admin error " + code, Text: msg})
				}
			}
			ev := pullEvidence(hits)
			for _, a := range s.Kube().ServiceAccounts {
				if a.NotFound && a.Name == sa {
					ev = append(ev, fmt.Sprintf("kube: serviceaccount %s/%s not found", ns, sa))
				}
			}
			h := &Hit{
				Summary:  fmt.Sprintf("service account %q does not exist in namespace %s, so Kubernetes refused to create the task's pod%s", sa, ns, pullAttempts(s)),
				Evidence: ev,
			}
			if len(hits) > 0 {
				h.Detail = "pod creation was refused: " + firstLine(hits[0].Text)
				if s.Node != nil && s.Node.ErrorTrimmed && configSARe.FindString(hits[0].Text) == "" {
					h.Detail += " (Admin's message is trimmed; the service account's absence is from Kubernetes)"
				}
				h.Detail += "; Flyte reports this as RuntimeFailure (USER, retryable), and every retry is refused the same way"
			} else {
				h.Detail = fmt.Sprintf("the task has no pod and service account %s/%s does not exist", ns, sa)
			}
			create := Fix{Action: fmt.Sprintf("create service account %s in namespace %s", sa, ns),
				Commands: []string{fmt.Sprintf("kubectl create serviceaccount %s -n %s", sa, ns)}}
			if role := s.Execution.IAMRole; role != "" {
				create.Commands = append(create.Commands, fmt.Sprintf("kubectl annotate serviceaccount %s -n %s eks.amazonaws.com/role-arn=%s", sa, ns, role))
			}
			h.Fixes = []Fix{create,
				{Action: "or relaunch with a service account that exists (pyflyte run --remote --service-account <sa> ...)",
					Commands: []string{fmt.Sprintf("kubectl get serviceaccounts -n %s", ns)}}}
			if sa == "default" {
				h.Fixes = append(h.Fixes, Fix{Action: fmt.Sprintf("check that namespace %s is fully provisioned (flyteadmin's cluster resource manager creates per-project namespaces)", ns),
					Commands: []string{fmt.Sprintf("kubectl get namespace %s -o yaml", ns)}})
			}
			return h
		},
	}, {
		ID: "FD4004", Name: "missing-pull-secret", Title: "An image pull secret the pod references does not exist",
		Category: CatConfigError, Causes: []string{"missing-pull-secret"}, Severity: Warning, Requires: []string{"kube"},
		Doc: `The kubelet warned 'Unable to retrieve some image pull secrets (x); attempting to pull the image
may not succeed' (event FailedToRetrieveImagePullSecret): the pod, or the service account it runs as,
lists an imagePullSecret that does not exist in the namespace, and the kubelet pulls without it.

When the pull then failed and the registry's answer was not captured, the missing secret is the
explanation and this rule is the root cause (error). When the registry's answer says the pull was
unauthorized, the image-pull finding (registry-auth) is the root cause and names the missing secret
in its detail and fixes, so this rule stays quiet. When the pull failed for another reason (not
found, unreachable) or is still waiting, it is a warning next to that finding. Flyte reports a
failing pull as INITIALIZING during the image-pull grace period (3m by default), then as
ContainersNotReady|ImagePullBackOff, kind USER, retryable.`,
		Fixes: []Fix{{Action: "create the pull secret (kubectl create secret docker-registry <name> -n <namespace> ...), or remove it from the service account's imagePullSecrets"}},
		Site: func(s *Site) *Hit {
			names, ev := pullMissingSecrets(s)
			if ev == nil || len(pullFind(s, pullAuth)) > 0 {
				return nil
			}
			failing, unexplained := pullFailing(s), pullUnexplained(s)
			if code, msg, _ := s.Error(); !failing && (code != "" || msg != "") {
				// The pull worked and the site failed for another reason: that reason is the finding.
				return nil
			}
			p := s.Pods[ev.Name]
			ns, sa := pullNamespace(s, p), pullServiceAccount(s, p)
			podSecrets, saSecrets, _ := pullSecretsOf(s, p, sa)
			from := "the pod spec or its service account"
			for _, n := range podSecrets {
				if len(names) > 0 && n == names[0] {
					from = "the pod spec"
				}
			}
			for _, n := range saSecrets {
				if len(names) > 0 && n == names[0] {
					from = "service account " + sa
				}
			}
			name := "<name>"
			if len(names) > 0 {
				name = names[0]
			}
			sub := s.Subject()
			sub.Pod = ev.Name
			h := &Hit{
				Summary:  fmt.Sprintf("image pull secret %s (from %s) does not exist in namespace %s", strings.Join(names, ", "), from, ns),
				Detail:   "the kubelet warned: " + strings.TrimSuffix(ev.Message, "."),
				Evidence: []string{pullEventSource(ev) + ": " + ev.Message},
				Subject:  sub,
			}
			create := Fix{Action: fmt.Sprintf("create pull secret %s in namespace %s with credentials for the image's registry", name, ns),
				Commands: []string{fmt.Sprintf("kubectl create secret docker-registry %s -n %s --docker-server=<registry> --docker-username=<user> --docker-password=<token>", name, ns)}}
			remove := Fix{Action: fmt.Sprintf("or remove it from the imagePullSecrets of service account %s", sa),
				Commands: []string{fmt.Sprintf("kubectl edit serviceaccount %s -n %s", sa, ns)}}
			if from == "the pod spec" {
				remove = Fix{Action: "or remove it from the imagePullSecrets of the task's pod template"}
			}
			h.Fixes = []Fix{create, remove}
			if unexplained {
				img := pullImage(s)
				reg := pullRegistry(img)
				sev := Error
				h.Severity = &sev
				h.Summary = fmt.Sprintf("image %s could not be pulled: its pull secret %s (from %s) does not exist in namespace %s%s",
					orUnknown(img), strings.Join(names, ", "), from, ns, pullAttempts(s))
				h.Detail += "; the pull then failed (ImagePullBackOff) and no other reason was recorded, so the node most likely pulled from " +
					reg + " without credentials" + pullStuckNote(s)
				for _, t := range pullTexts(s) {
					if pullContext.MatchString(t.Text) && (t.Event == nil || t.Event.Type == "Warning") && len(h.Evidence) < 3 {
						h.Evidence = append(h.Evidence, t.line())
					}
				}
				h.Fixes[0].Commands[0] = fmt.Sprintf("kubectl create secret docker-registry %s -n %s --docker-server=%s --docker-username=<user> --docker-password=<token>", name, ns, pullServer(reg))
				if img != "" {
					h.Fixes = append(h.Fixes, Fix{Action: "check the image name and that the credentials can read it", Commands: []string{"crane manifest " + img}})
				}
			} else if failing {
				h.Detail += "; the pull failed for another reason, reported separately"
			} else {
				h.Detail += "; the image was pulled without it, but a private image will fail"
			}
			return h
		},
	}, {
		ID: "FD4005", Name: "flyte-secret-not-found", Title: "The task could not read a secret it requested from Flyte",
		Category: CatConfigError, Causes: []string{"missing-secret"}, Severity: Error, Requires: []string{"admin"},
		Doc: `flytekit raised 'Unable to find secret for key K in group G in Env Var:_FSEC_G_K and FilePath:
/etc/secrets/g/k' when the task called current_context().secrets.get(...): the secret was not in the
container. Flyte's pod webhook injects each of a task's secret_requests as an optional reference to
the Kubernetes secret named by the group, so a missing secret or key no longer stops the pod
(CreateContainerConfigError); the task starts and fails when it reads the secret. The secret is also
absent when the task does not declare it in secret_requests, or when the webhook did not mutate the
pod (it is not running, or the pod lacks the inject-flyte-secrets label).

The error is a user exception (code USER:ValueError, kind USER), non-recoverable, so Flyte does not
retry it.`,
		Fixes: []Fix{{Action: "create the Kubernetes secret named by the group, with the key, in the execution's namespace; declare it in @task(secret_requests=[Secret(group=..., key=...)])"}},
		Site: func(s *Site) *Hit {
			var hits []pullText
			var key, group, env, file string
			for _, t := range pullTexts(s) {
				if m := configFlyteSecretRe.FindStringSubmatch(t.Text); m != nil {
					if group == "" {
						key, group, env, file = m[1], m[2], m[3], m[4]
					}
					hits = append(hits, t)
				}
			}
			if group == "" {
				return nil
			}
			p := pullPod(s, hits...)
			ns := pullNamespace(s, p)
			h := &Hit{
				Summary: fmt.Sprintf("the task asked for Flyte secret %s/%s but it was not in the container (neither %s nor %s)", group, key, env, file),
				Detail: "flytekit raised: " + configSecretLine(hits[0].Text) +
					"; the error is a non-recoverable USER error, so Flyte did not retry",
				Subject: pullSubject(s, hits...),
			}
			for i, t := range hits {
				if i < 3 {
					h.Evidence = append(h.Evidence, t.Source+": "+configSecretLine(t.Text))
				}
			}
			refd := p != nil && (len(configRefKeys(p, group, true)) > 0 || configVolumeRefs(p, group))
			switch {
			case refd:
				h.Detail += fmt.Sprintf("; the pod did reference secret %q, so the secret or its key %q is missing in namespace %s", group, key, ns)
			case p != nil:
				h.Detail += fmt.Sprintf("; the pod has no reference to secret %q: the task does not request it, or Flyte's secret webhook did not run", group)
			}
			create := Fix{Action: fmt.Sprintf("create secret %s with key %s in namespace %s (or add the key if the secret exists)", group, key, ns),
				Commands: []string{fmt.Sprintf("kubectl get secret %s -n %s -o jsonpath='{.data}'", group, ns),
					fmt.Sprintf("kubectl create secret generic %s -n %s --from-literal=%s=<value>", group, ns, key)}}
			declare := Fix{Action: fmt.Sprintf("declare the secret on the task: @task(secret_requests=[Secret(group=%q, key=%q)]), register and relaunch", group, key)}
			webhook := Fix{Action: "check that Flyte's pod webhook is running and mutates task pods (label inject-flyte-secrets=true)",
				Commands: []string{"kubectl get mutatingwebhookconfigurations | grep -i flyte"}}
			switch {
			case refd:
				h.Fixes = []Fix{create}
			case p != nil:
				h.Fixes = []Fix{declare, webhook, create}
			default:
				h.Fixes = []Fix{create, declare, webhook}
			}
			return h
		},
	}}
}

// configQuote introduces a decisive message by who said it.
func configQuote(t pullText) string {
	if t.Admin {
		return "Flyte reported: " + firstLine(t.Text)
	}
	return "the kubelet reported: " + firstLine(t.Text)
}

// configVolumeRefs reports whether the pod mounts the named secret as a volume.
func configVolumeRefs(p *evidence.Pod, name string) bool {
	for _, v := range p.Spec.Volumes {
		if v.Kind == "secret" && v.Ref == name {
			return true
		}
	}
	return false
}

// configSecretLine returns the line of a traceback that carries flytekit's secret error.
func configSecretLine(text string) string {
	for _, l := range strings.Split(text, "\n") {
		if configFlyteSecretRe.MatchString(l) {
			return strings.TrimSpace(l)
		}
	}
	return firstLine(text)
}
