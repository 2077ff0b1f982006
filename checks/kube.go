package checks

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/google/go-containerregistry/pkg/authn"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/flytedoctor/flytedoctor/collectors/evidence"
	"github.com/flytedoctor/flytedoctor/collectors/kube"
	"github.com/flytedoctor/flytedoctor/internal/oneline"
)

// Kubernetes probe names.
const (
	probeNamespace      = "kube-namespace"
	probeLimitRanges    = "kube-limit-ranges"
	probeQuotas         = "kube-quotas"
	probeNodes          = "kube-nodes"
	probeServiceAccount = "kube-service-account"
	probePullSecrets    = "kube-pull-secrets"
	probeSecret         = "kube-secret"
)

// RoleARNAnnotation maps a service account to an IAM role (EKS IRSA).
const RoleARNAnnotation = "eks.amazonaws.com/role-arn"

// nodesSubject is the subject of the cluster-wide node list.
const nodesSubject = "nodes"

func namespaceOf(s *evidence.PreflightSpec) []string { return []string{s.Namespace} }

func serviceAccounts(s *evidence.PreflightSpec) []string {
	var sa []string
	for _, t := range s.Tasks {
		sa = append(sa, cmp.Or(t.ServiceAccount, DefaultServiceAccount))
	}
	return uniq(sa)
}

func kubeProbes() []*Probe {
	return []*Probe{
		{
			Name: probeNamespace, Layer: Kube, Subjects: namespaceOf,
			Run: func(ctx context.Context, env *Env, ns string, _ *View) evidence.ProbeRecord {
				n, err := env.Kube.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{})
				out := &evidence.KubeProbe{Namespace: ns}
				if apierrors.IsNotFound(err) {
					return evidence.ProbeRecord{Kube: out}
				}
				if err != nil {
					return evidence.ProbeRecord{Error: kubeError(ctx, err)}
				}
				out.Found, out.Phase = true, string(n.Status.Phase)
				return evidence.ProbeRecord{Kube: out}
			},
		},
		{
			Name: probeLimitRanges, Layer: Kube, Subjects: namespaceOf,
			Run: func(ctx context.Context, env *Env, ns string, _ *View) evidence.ProbeRecord {
				l, err := env.Kube.CoreV1().LimitRanges(ns).List(ctx, metav1.ListOptions{})
				if err != nil {
					return evidence.ProbeRecord{Error: kubeError(ctx, err)}
				}
				out := &evidence.KubeProbe{Namespace: ns}
				for i := range l.Items {
					out.LimitRanges = append(out.LimitRanges, kube.LimitRangeEvidence(&l.Items[i]))
				}
				return evidence.ProbeRecord{Kube: out}
			},
		},
		{
			Name: probeQuotas, Layer: Kube, Subjects: namespaceOf,
			Run: func(ctx context.Context, env *Env, ns string, _ *View) evidence.ProbeRecord {
				l, err := env.Kube.CoreV1().ResourceQuotas(ns).List(ctx, metav1.ListOptions{})
				if err != nil {
					return evidence.ProbeRecord{Error: kubeError(ctx, err)}
				}
				out := &evidence.KubeProbe{Namespace: ns}
				for i := range l.Items {
					out.Quotas = append(out.Quotas, kube.QuotaEvidence(&l.Items[i]))
				}
				return evidence.ProbeRecord{Kube: out}
			},
		},
		{
			Name: probeNodes, Layer: Kube,
			Subjects: func(*evidence.PreflightSpec) []string { return []string{nodesSubject} },
			Run: func(ctx context.Context, env *Env, _ string, _ *View) evidence.ProbeRecord {
				l, err := env.Kube.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
				if err != nil {
					return evidence.ProbeRecord{Error: kubeError(ctx, err)}
				}
				sum := &evidence.NodeSummary{Total: len(l.Items)}
				for i := range l.Items {
					sum.Nodes = append(sum.Nodes, kube.NodeEvidence(&l.Items[i]))
				}
				return evidence.ProbeRecord{Kube: &evidence.KubeProbe{Nodes: sum}}
			},
		},
		{
			Name: probeServiceAccount, Layer: Kube, Subjects: serviceAccounts,
			Run: func(ctx context.Context, env *Env, name string, v *View) evidence.ProbeRecord {
				ns := v.Spec.Namespace
				sa, err := env.Kube.CoreV1().ServiceAccounts(ns).Get(ctx, name, metav1.GetOptions{})
				out := &evidence.KubeProbe{Namespace: ns}
				if apierrors.IsNotFound(err) {
					return evidence.ProbeRecord{Kube: out}
				}
				if err != nil {
					return evidence.ProbeRecord{Error: kubeError(ctx, err)}
				}
				e := kube.ServiceAccountEvidence(sa)
				out.Found, out.ServiceAccount = true, &e
				return evidence.ProbeRecord{Kube: out}
			},
		},
		{
			// The pull secrets are read whole: the kubelet authenticates with them and so does
			// the image probe. Only the registries they cover are recorded.
			Name: probePullSecrets, Layer: Kube, After: []string{probeServiceAccount}, Subjects: serviceAccounts,
			Run: func(ctx context.Context, env *Env, name string, v *View) evidence.ProbeRecord {
				ns := v.Spec.Namespace
				sa := v.Probe(probeServiceAccount, name)
				out := &evidence.KubeProbe{Namespace: ns}
				if sa == nil || sa.Kube == nil || sa.Kube.ServiceAccount == nil {
					return evidence.ProbeRecord{Skipped: "the service account could not be read"}
				}
				for _, sn := range sa.Kube.ServiceAccount.ImagePullSecrets {
					ps := evidence.PullSecret{Name: sn}
					s, err := env.Kube.CoreV1().Secrets(ns).Get(ctx, sn, metav1.GetOptions{})
					switch {
					case apierrors.IsNotFound(err):
					case err != nil:
						e := kubeError(ctx, err)
						ps.Found, ps.Error = !apierrors.IsForbidden(err), e.Code+": "+e.Message
					default:
						ps.Found = true
						auths, err := dockerAuths(s)
						if err != nil {
							ps.Error = err.Error()
						}
						for _, k := range sortedKeys(auths) {
							ps.Registries = append(ps.Registries, registryHost(k))
						}
						env.pull.add(pullSecret{name: sn, auths: auths})
					}
					out.PullSecrets = append(out.PullSecrets, ps)
				}
				return evidence.ProbeRecord{Kube: out}
			},
		},
		{
			// Metadata only (PartialObjectMetadata): the secret's data never leaves the server.
			Name: probeSecret, Layer: Kube,
			Subjects: func(s *evidence.PreflightSpec) []string {
				var g []string
				for _, t := range s.Tasks {
					for _, sec := range t.Secrets {
						g = append(g, sec.Group)
					}
				}
				return uniq(g)
			},
			Run: func(ctx context.Context, env *Env, group string, v *View) evidence.ProbeRecord {
				ns := v.Spec.Namespace
				if env.KubeMeta == nil {
					return evidence.ProbeRecord{Skipped: "no metadata-only Kubernetes client"}
				}
				_, err := env.KubeMeta.Resource(corev1.SchemeGroupVersion.WithResource("secrets")).Namespace(ns).Get(ctx, group, metav1.GetOptions{})
				out := &evidence.KubeProbe{Namespace: ns}
				if apierrors.IsNotFound(err) {
					return evidence.ProbeRecord{Kube: out}
				}
				if err != nil {
					return evidence.ProbeRecord{Error: kubeError(ctx, err)}
				}
				out.Found = true
				return evidence.ProbeRecord{Kube: out}
			},
		},
	}
}

// dockerAuths reads the credentials of a kubernetes.io/dockerconfigjson or dockercfg secret.
func dockerAuths(s *corev1.Secret) (map[string]authn.AuthConfig, error) {
	switch s.Type {
	case corev1.SecretTypeDockerConfigJson:
		var cfg struct {
			Auths map[string]authn.AuthConfig `json:"auths"`
		}
		if err := json.Unmarshal(s.Data[corev1.DockerConfigJsonKey], &cfg); err != nil {
			return nil, errors.New("its .dockerconfigjson does not parse")
		}
		return cfg.Auths, nil
	case corev1.SecretTypeDockercfg:
		var cfg map[string]authn.AuthConfig
		if err := json.Unmarshal(s.Data[corev1.DockerConfigKey], &cfg); err != nil {
			return nil, errors.New("its .dockercfg does not parse")
		}
		return cfg, nil
	}
	return nil, fmt.Errorf("its type is %s, not kubernetes.io/dockerconfigjson: the kubelet ignores it", s.Type)
}

// kubeError records a failed request: the API's reason (Forbidden, Unauthorized, ...), or
// Unreachable when no API answered.
func kubeError(ctx context.Context, err error) *evidence.ProbeFailure {
	code := string(apierrors.ReasonForError(err))
	switch {
	case code != "" && code != string(metav1.StatusReasonUnknown):
	case ctx.Err() != nil:
		code = "Timeout"
	default:
		code = "Unreachable"
	}
	return &evidence.ProbeFailure{Code: code, Message: oneline.Clip(oneline.Fold(err.Error()), 300)}
}

// namespaceGone is the skip of a namespaced check when the namespace is missing or unreadable.
func namespaceGone(v *View) (skip, bool) {
	rec := v.Probe(probeNamespace, v.Spec.Namespace)
	if rec != nil && rec.Kube != nil && !rec.Kube.Found {
		return skip{"namespace " + v.Spec.Namespace + " does not exist (FDP301)"}, true
	}
	return skip{}, false
}

// kubeFailed turns a probe that got no answer into a result.
func kubeFailed(r evidence.CheckResult, e *evidence.ProbeFailure) evidence.CheckResult {
	r.Status, r.Summary = evidence.CheckFail, "the Kubernetes API answered "+e.Code+": "+e.Message
	r.Fix = "check --kubeconfig / --context: they must name the cluster Flyte runs the tasks on"
	return r
}

var roleARN = regexp.MustCompile(`^arn:aws(-cn|-us-gov|-iso|-iso-b)?:iam::\d{12}:role/[\w+=,.@/-]{1,512}$`)

// ValidRoleARN checks an IAM role ARN's syntax.
func ValidRoleARN(s string) bool { return roleARN.MatchString(s) }

func kubeChecks() []*Check {
	return []*Check{
		{
			ID: "FDP301", Name: "kube-namespace", Title: "the namespace exists", Layer: Kube,
			Needs: []string{probeNamespace},
			Doc: `Reads the namespace the tasks' pods will run in (--namespace, else flyteadmin's
namespace_mapping template, {{ project }}-{{ domain }} by default). Flyte's cluster resource
manager creates it for each project and domain; when it is missing, no pod can be created.`,
			Verdict: func(v *View) []evidence.CheckResult {
				ns := v.Spec.Namespace
				r := evidence.CheckResult{Subject: ns}
				rec := v.Probe(probeNamespace, ns)
				if s, ok := skipped(rec); ok {
					return []evidence.CheckResult{s.at(r)}
				}
				switch {
				case rec.Error != nil:
					r = kubeFailed(r, rec.Error)
				case !rec.Kube.Found:
					r.Status, r.Summary = evidence.CheckFail, "namespace "+ns+" does not exist"
					r.Fix = "check that flyteadmin's cluster resource manager runs and the project exists, or pass the right -n / --namespace-template"
					r.Commands = []string{"kubectl get namespaces"}
				case rec.Kube.Phase == string(corev1.NamespaceTerminating):
					r.Status, r.Summary = evidence.CheckFail, "namespace "+ns+" is being deleted (Terminating)"
					r.Fix = "wait for it to go and be created again"
				default:
					r.Status, r.Summary = evidence.CheckPass, "exists"
				}
				return []evidence.CheckResult{r}
			},
		},
		{
			ID: "FDP302", Name: "kube-limit-range", Title: "the resources are within the LimitRange", Layer: Kube,
			Needs: []string{probeLimitRanges, probeNamespace},
			Doc: `Compares each task's requests and limits with the namespace's LimitRanges (Container and
Pod items). Flyte sets a missing limit to the request. A limit above the LimitRange's max, or a
request below its min, makes the API server reject the pod at creation ("maximum cpu usage per
Container is 2, but limit is 4"), on every attempt.`,
			Verdict: func(v *View) []evidence.CheckResult {
				return perTask(v, probeLimitRanges, func(r evidence.CheckResult, t evidence.TaskSpec, k *evidence.KubeProbe) evidence.CheckResult {
					req, lim := effective(t)
					var bad []string
					for _, lr := range k.LimitRanges {
						for _, it := range lr.Items {
							if it.Type != string(corev1.LimitTypeContainer) && it.Type != string(corev1.LimitTypePod) {
								continue
							}
							for _, res := range sortedKeys(it.Max) {
								mx, ok1 := quantity(it.Max[res])
								l, ok2 := lim[res]
								if ok1 && ok2 && l.Cmp(mx) > 0 {
									bad = append(bad, fmt.Sprintf("%s limit %s is above the max %s (LimitRange %s, %s)", res, l.String(), mx.String(), lr.Name, it.Type))
								}
							}
							for _, res := range sortedKeys(it.Min) {
								mn, ok1 := quantity(it.Min[res])
								q, ok2 := req[res]
								if ok1 && ok2 && q.Cmp(mn) < 0 {
									bad = append(bad, fmt.Sprintf("%s request %s is below the min %s (LimitRange %s, %s)", res, q.String(), mn.String(), lr.Name, it.Type))
								}
							}
						}
					}
					switch {
					case len(bad) > 0:
						r.Status, r.Summary = evidence.CheckFail, "the pod would be rejected: "+strings.Join(bad, "; ")
						r.Fix = "lower the task's resources (Resources(limits=...) in @task) within the LimitRange, or ask for the LimitRange to be raised"
					case len(k.LimitRanges) == 0:
						r.Status, r.Summary = evidence.CheckPass, "no LimitRange in the namespace"
					default:
						r.Status, r.Summary = evidence.CheckPass, fmt.Sprintf("within %d LimitRange(s)", len(k.LimitRanges))
					}
					return r
				})
			},
		},
		{
			ID: "FDP303", Name: "kube-quota", Title: "the resources fit the ResourceQuota", Layer: Kube,
			Needs: []string{probeQuotas, probeNamespace},
			Doc: `Compares each task's requests and limits with the namespace's ResourceQuotas (cpu,
memory, ephemeral-storage, extended resources such as requests.nvidia.com/gpu, pods). A request
above a quota's hard limit can never run: Flyte fails the task with ResourceRequestsExceedLimits.
One above today's headroom (hard minus used) waits: the task stays WAITING_FOR_RESOURCES with
"exceeded quota" until other pods finish.`,
			Verdict: func(v *View) []evidence.CheckResult {
				return perTask(v, probeQuotas, func(r evidence.CheckResult, t evidence.TaskSpec, k *evidence.KubeProbe) evidence.CheckResult {
					req, lim := effective(t)
					var never, waits []string
					for _, q := range k.Quotas {
						for _, key := range sortedKeys(q.Hard) {
							amount, ok := quotaAmount(key, req, lim)
							hard, okh := quantity(q.Hard[key])
							if !ok || !okh {
								continue
							}
							if amount.Cmp(hard) > 0 {
								never = append(never, fmt.Sprintf("%s %s is above the hard limit %s (ResourceQuota %s)", key, amount.String(), hard.String(), q.Name))
								continue
							}
							used, _ := quantity(q.Used[key])
							head := hard.DeepCopy()
							head.Sub(used)
							if amount.Cmp(head) > 0 {
								waits = append(waits, fmt.Sprintf("%s %s is above the headroom %s (hard %s, used %s, ResourceQuota %s)", key, amount.String(), head.String(), hard.String(), used.String(), q.Name))
							}
						}
					}
					switch {
					case len(never) > 0:
						r.Status, r.Summary = evidence.CheckFail, "can never run: "+strings.Join(never, "; ")
						r.Fix = "lower the task's resources below the quota, or ask for the quota to be raised"
						r.Commands = []string{"kubectl describe resourcequota -n " + v.Spec.Namespace}
					case len(waits) > 0:
						r.Status, r.Summary = evidence.CheckWarn, "would wait for other pods to finish: "+strings.Join(waits, "; ")
						r.Fix = "expect WAITING_FOR_RESOURCES until the quota frees up, or lower the task's resources"
						r.Commands = []string{"kubectl describe resourcequota -n " + v.Spec.Namespace}
					case len(k.Quotas) == 0:
						r.Status, r.Summary = evidence.CheckPass, "no ResourceQuota in the namespace"
					default:
						r.Status, r.Summary = evidence.CheckPass, fmt.Sprintf("fits %d ResourceQuota(s) with today's headroom", len(k.Quotas))
					}
					return r
				})
			},
		},
		{
			ID: "FDP304", Name: "kube-node-fit", Title: "a node can take the pod", Layer: Kube,
			Needs: []string{probeNodes},
			Doc: `Looks for at least one node that could take each task's pod: Ready and not cordoned, its
kubernetes.io/os and kubernetes.io/arch labels matching the task's platform, no NoSchedule or
NoExecute taint the pod does not tolerate, and enough allocatable cpu, memory, ephemeral storage
and extended resources (GPUs) for the requests. A taint whose key is a requested extended resource
(nvidia.com/gpu) counts as tolerated, since Flyte adds tolerations for requested resources
(plugins.k8s.resource-tolerations). Allocatable is the node's size, not what is free now. With no
node that fits the pod stays Pending (Unschedulable) unless an autoscaler adds one.`,
			Verdict: func(v *View) []evidence.CheckResult {
				var out []evidence.CheckResult
				rec := v.Probe(probeNodes, nodesSubject)
				for _, t := range v.Spec.Tasks {
					r := evidence.CheckResult{Subject: "nodes", Task: t.Name}
					if s, ok := skipped(rec); ok {
						out = append(out, s.at(r))
						continue
					}
					if rec.Error != nil {
						out = append(out, kubeFailed(r, rec.Error))
						continue
					}
					out = append(out, nodeFit(r, t, rec.Kube.Nodes))
				}
				return out
			},
		},
		{
			ID: "FDP305", Name: "kube-service-account", Title: "the service account exists", Layer: Kube,
			Needs: []string{probeServiceAccount, probeNamespace},
			Doc: `Reads the service account each task's pod runs as (security_context.run_as.k8s_service_account
of the launch plan or --service-account, "default" otherwise). A missing one makes pod creation
fail ("error looking up service account").`,
			Verdict: func(v *View) []evidence.CheckResult {
				return perServiceAccount(v, func(r evidence.CheckResult, sa string, _ []evidence.TaskSpec, k *evidence.KubeProbe) evidence.CheckResult {
					if !k.Found {
						r.Status, r.Summary = evidence.CheckFail, "service account "+sa+" does not exist in "+v.Spec.Namespace
						r.Fix = "create it (with the IAM role annotation and pull secrets the tasks need), or run the tasks as another one"
						r.Commands = []string{"kubectl create serviceaccount " + sa + " -n " + v.Spec.Namespace}
						return r
					}
					r.Status, r.Summary = evidence.CheckPass, "exists"
					return r
				})
			},
		},
		{
			ID: "FDP306", Name: "kube-pull-secrets", Title: "the service account can pull the images", Layer: Kube,
			Needs: []string{probeServiceAccount, probePullSecrets, probeImage, probeNamespace},
			Doc: `For each image, checks that the kubelet will have credentials for its registry: the image
pulls anonymously, or a pull secret of the task's service account covers the registry. When only
this machine's docker config could pull it, the kubelet cannot (it does not have that config), so
the pull fails with "unauthorized" — unless the nodes have credentials of their own (ECR through
the node's instance role, GCR/Artifact Registry through the node's service account), which is a
warning. Pull secrets that do not exist are named, since the kubelet skips them silently.`,
			Verdict: func(v *View) []evidence.CheckResult {
				var out []evidence.CheckResult
				for _, u := range imageUses(v.Spec) {
					bySA := map[string][]evidence.TaskSpec{}
					var order []string
					for _, t := range u.tasks {
						sa := cmp.Or(t.ServiceAccount, DefaultServiceAccount)
						if bySA[sa] == nil {
							order = append(order, sa)
						}
						bySA[sa] = append(bySA[sa], t)
					}
					for _, sa := range order {
						r := evidence.CheckResult{Subject: u.image + " as " + sa, Task: taskNames(bySA[sa])}
						out = append(out, pullable(v, r, u.image, sa))
					}
				}
				return out
			},
		},
		{
			ID: "FDP307", Name: "kube-iam-role", Title: "the service account's IAM role matches", Layer: Kube,
			Needs: []string{probeServiceAccount, probeNamespace},
			Doc: `Reads the eks.amazonaws.com/role-arn annotation of the task's service account (IRSA on
EKS): it must be a well-formed role ARN (arn:aws:iam::123456789012:role/NAME), and when the task
names an IAM role (--iam-role, the launch plan's security_context.run_as.iam_role) it must be
that role, since with IRSA the pod gets the service account's role whatever the task asks for.`,
			Verdict: func(v *View) []evidence.CheckResult {
				var out []evidence.CheckResult
				type key struct{ sa, role string }
				groups := map[key][]evidence.TaskSpec{}
				var order []key
				for _, t := range v.Spec.Tasks {
					k := key{cmp.Or(t.ServiceAccount, DefaultServiceAccount), t.IAMRole}
					if groups[k] == nil {
						order = append(order, k)
					}
					groups[k] = append(groups[k], t)
				}
				for _, k := range order {
					r := evidence.CheckResult{Subject: k.sa, Task: taskNames(groups[k])}
					rec := v.Probe(probeServiceAccount, k.sa)
					if s, ok := skipped(rec); ok {
						out = append(out, s.at(r))
						continue
					}
					if s, ok := namespaceGone(v); ok {
						out = append(out, s.at(r))
						continue
					}
					if rec.Error != nil {
						out = append(out, kubeFailed(r, rec.Error))
						continue
					}
					out = append(out, iamRole(r, k.role, rec.Kube))
				}
				return out
			},
		},
		{
			ID: "FDP308", Name: "kube-secrets", Title: "the requested secrets exist", Layer: Kube,
			Needs: []string{probeSecret, probeNamespace},
			Doc: `For each secret a task requests (--secret GROUP/KEY, the task's secret_requests), checks
that a Kubernetes Secret named GROUP exists in the namespace, which is what Flyte's default secret
injector mounts. Only the Secret's metadata is read (a PartialObjectMetadata GET), never its data,
so whether KEY is in it is not checked. A missing Secret fails the pod with
CreateContainerConfigError ("secret ... not found"), at once and without retries.`,
			Verdict: func(v *View) []evidence.CheckResult {
				var out []evidence.CheckResult
				type use struct {
					ref   evidence.SecretRef
					tasks []evidence.TaskSpec
				}
				var uses []use
				for _, t := range v.Spec.Tasks {
					for _, s := range t.Secrets {
						i := slices.IndexFunc(uses, func(u use) bool { return u.ref == s })
						if i < 0 {
							uses = append(uses, use{ref: s})
							i = len(uses) - 1
						}
						uses[i].tasks = append(uses[i].tasks, t)
					}
				}
				for _, u := range uses {
					r := evidence.CheckResult{Subject: u.ref.String(), Task: taskNames(u.tasks)}
					rec := v.Probe(probeSecret, u.ref.Group)
					if s, ok := skipped(rec); ok {
						out = append(out, s.at(r))
						continue
					}
					if s, ok := namespaceGone(v); ok {
						out = append(out, s.at(r))
						continue
					}
					switch {
					case rec.Error != nil:
						r = kubeFailed(r, rec.Error)
					case !rec.Kube.Found:
						r.Status, r.Summary = evidence.CheckFail, "no Secret "+u.ref.Group+" in "+v.Spec.Namespace+": the pod would fail with CreateContainerConfigError"
						r.Fix = "create the Secret in the namespace the tasks run in"
						r.Commands = []string{"kubectl create secret generic " + u.ref.Group + " -n " + v.Spec.Namespace + " --from-literal=" + cmp.Or(u.ref.Key, "KEY") + "=..."}
					default:
						r.Status, r.Summary = evidence.CheckPass, "Secret "+u.ref.Group+" exists (only its metadata was read, so the key is not checked)"
					}
					out = append(out, r)
				}
				return out
			},
		},
	}
}

// perTask runs judge for each task on a namespaced probe's record.
func perTask(v *View, probe string, judge func(evidence.CheckResult, evidence.TaskSpec, *evidence.KubeProbe) evidence.CheckResult) []evidence.CheckResult {
	var out []evidence.CheckResult
	rec := v.Probe(probe, v.Spec.Namespace)
	for _, t := range v.Spec.Tasks {
		r := evidence.CheckResult{Subject: v.Spec.Namespace, Task: t.Name}
		if s, ok := skipped(rec); ok {
			out = append(out, s.at(r))
			continue
		}
		if s, ok := namespaceGone(v); ok {
			out = append(out, s.at(r))
			continue
		}
		if rec.Error != nil {
			out = append(out, kubeFailed(r, rec.Error))
			continue
		}
		out = append(out, judge(r, t, rec.Kube))
	}
	return out
}

// perServiceAccount runs judge for each distinct service account of the tasks.
func perServiceAccount(v *View, judge func(evidence.CheckResult, string, []evidence.TaskSpec, *evidence.KubeProbe) evidence.CheckResult) []evidence.CheckResult {
	var out []evidence.CheckResult
	for _, sa := range serviceAccounts(v.Spec) {
		var ts []evidence.TaskSpec
		for _, t := range v.Spec.Tasks {
			if cmp.Or(t.ServiceAccount, DefaultServiceAccount) == sa {
				ts = append(ts, t)
			}
		}
		r := evidence.CheckResult{Subject: sa, Task: taskNames(ts)}
		rec := v.Probe(probeServiceAccount, sa)
		if s, ok := skipped(rec); ok {
			out = append(out, s.at(r))
			continue
		}
		if s, ok := namespaceGone(v); ok {
			out = append(out, s.at(r))
			continue
		}
		if rec.Error != nil {
			out = append(out, kubeFailed(r, rec.Error))
			continue
		}
		out = append(out, judge(r, sa, ts, rec.Kube))
	}
	return out
}

// quotaAmount is what one pod of the task adds to a quota's key.
func quotaAmount(key string, req, lim map[string]resource.Quantity) (resource.Quantity, bool) {
	switch key {
	case "pods", "count/pods":
		return resource.MustParse("1"), true
	case "cpu", "memory", "ephemeral-storage":
		q, ok := req[key]
		return q, ok
	}
	if res, ok := strings.CutPrefix(key, "requests."); ok {
		q, ok := req[res]
		return q, ok
	}
	if res, ok := strings.CutPrefix(key, "limits."); ok {
		q, ok := lim[res]
		return q, ok
	}
	return resource.Quantity{}, false
}

// nodeFit finds the nodes that could take the task's pod, or says why none can, the way the
// scheduler's "0/3 nodes are available" message does.
func nodeFit(r evidence.CheckResult, t evidence.TaskSpec, nodes *evidence.NodeSummary) evidence.CheckResult {
	req, _ := effective(t)
	plat := strings.Split(cmp.Or(t.Platform, DefaultPlatform), "/")
	reasons := map[string]int{}
	var fit []string
	for _, n := range nodes.Nodes {
		why := nodeMisfit(n, req, plat)
		if why == "" {
			fit = append(fit, n.Name)
			continue
		}
		reasons[why]++
	}
	switch {
	case len(nodes.Nodes) == 0:
		r.Status, r.Summary = evidence.CheckWarn, "the cluster has no nodes: the pod waits for an autoscaler to add one, if there is one"
		r.Fix = "check the cluster's node groups (a scale-from-zero group must allow " + resourceText(req) + ")"
	case len(fit) == 0:
		var parts []string
		for _, k := range sortedKeys(reasons) {
			parts = append(parts, fmt.Sprintf("%d %s", reasons[k], k))
		}
		r.Status = evidence.CheckFail
		r.Summary = fmt.Sprintf("0/%d nodes can take the pod (%s): %s", len(nodes.Nodes), cmp.Or(resourceText(req), "no requests"), strings.Join(parts, ", "))
		r.Fix = "lower the task's requests, or add nodes that have them (and the platform " + cmp.Or(t.Platform, DefaultPlatform) + "); the pod would stay Pending (Unschedulable) unless an autoscaler adds one"
	default:
		r.Status = evidence.CheckPass
		r.Summary = fmt.Sprintf("%d/%d nodes can take the pod (e.g. %s; by allocatable, not counting running pods)", len(fit), len(nodes.Nodes), fit[0])
	}
	return r
}

func nodeMisfit(n evidence.NodeInfo, req map[string]resource.Quantity, plat []string) string {
	switch {
	case !n.Ready:
		return "not Ready"
	case n.Unschedulable:
		return "cordoned (unschedulable)"
	}
	if os, ok := n.Labels[corev1.LabelOSStable]; ok && len(plat) > 0 && os != plat[0] {
		return "of os " + os
	}
	if arch, ok := n.Labels[corev1.LabelArchStable]; ok && len(plat) > 1 && arch != plat[1] {
		return "of architecture " + arch
	}
	for _, taint := range n.Taints {
		rest, effect, _ := strings.Cut(taint, ":")
		if effect != string(corev1.TaintEffectNoSchedule) && effect != string(corev1.TaintEffectNoExecute) {
			continue
		}
		key, _, _ := strings.Cut(rest, "=")
		if _, requested := req[key]; requested && extended(key) {
			continue
		}
		return "with untolerated taint " + taint
	}
	for _, res := range sortedKeys(req) {
		q := req[res]
		if q.IsZero() {
			continue
		}
		have, ok := quantity(n.Allocatable[res])
		if !ok || have.Cmp(q) < 0 {
			return "Insufficient " + res
		}
	}
	return ""
}

// pullable judges whether the kubelet can pull image as service account sa.
func pullable(v *View, r evidence.CheckResult, image, sa string) evidence.CheckResult {
	img := v.Probe(probeImage, image)
	sar := v.Probe(probeServiceAccount, sa)
	if s, ok := skipped(sar); ok {
		return s.at(r)
	}
	if s, ok := namespaceGone(v); ok {
		return s.at(r)
	}
	if sar.Error != nil {
		return kubeFailed(r, sar.Error)
	}
	if !sar.Kube.Found {
		r.Status, r.Summary = evidence.CheckSkip, "skipped: service account "+sa+" does not exist (FDP305)"
		return r
	}
	if s, ok := skipped(img); ok {
		return s.at(r)
	}
	secrets := sar.Kube.ServiceAccount.ImagePullSecrets
	var missing []string
	var pulls []evidence.PullSecret
	if ps := v.Probe(probePullSecrets, sa); ps != nil && ps.Kube != nil {
		pulls = ps.Kube.PullSecrets
	}
	for _, p := range pulls {
		if !p.Found {
			missing = append(missing, p.Name)
		}
	}
	note := ""
	if len(missing) > 0 {
		note = "; its pull secrets " + strings.Join(missing, ", ") + " do not exist"
	}
	i := img.Image
	covering := ""
	for _, p := range pulls {
		if slices.ContainsFunc(p.Registries, func(h string) bool { return registryMatches(h, i.Registry) }) {
			covering = p.Name
		}
	}
	switch {
	case i.Outcome == evidence.ImageOK && i.Auth == authAnonymous:
		r.Status, r.Summary = evidence.CheckPass, "the image pulls anonymously; no pull secret needed"+note
	case covering != "" && i.Outcome == evidence.ImageOK:
		r.Status, r.Summary = evidence.CheckPass, "pull secret "+covering+" of "+sa+" covers "+i.Registry+note
	case i.Outcome == evidence.ImageOK && i.AnonymousOK != nil && *i.AnonymousOK:
		r.Status, r.Summary = evidence.CheckPass, "the image also pulls anonymously; no pull secret needed"+note
	case i.Outcome == evidence.ImageOK || i.Outcome == evidence.ImageUnauthorized:
		what := "only this machine's docker config can pull it"
		switch {
		case i.Outcome == evidence.ImageUnauthorized:
			what = "the registry refused the pull"
		case strings.HasPrefix(i.Auth, authPullSecret):
			what = "it pulls with " + strings.TrimPrefix(i.Auth, authPullSecret) + ", a pull secret of another service account"
		}
		r.Summary = fmt.Sprintf("%s; service account %s has no pull secret for %s (pull secrets: %s)%s", what, sa, i.Registry, cmp.Or(strings.Join(secrets, ", "), "none"), note)
		r.Fix = "add an image pull secret for " + i.Registry + " to service account " + sa
		r.Commands = []string{
			"kubectl create secret docker-registry regcred -n " + v.Spec.Namespace + " --docker-server=" + i.Registry + " --docker-username=USER --docker-password=PASSWORD",
			"kubectl patch serviceaccount " + sa + ` -n ` + v.Spec.Namespace + ` -p '{"imagePullSecrets":[{"name":"regcred"}]}'`,
		}
		r.Status = evidence.CheckFail
		if cloudRegistry(i.Registry) {
			r.Status = evidence.CheckWarn
			r.Summary += "; nodes of " + i.Registry + "'s cloud usually pull with their own identity"
		}
	default:
		r.Status, r.Summary = evidence.CheckSkip, "skipped: the image could not be read (FDP203)"
	}
	return r
}

// cloudRegistry is a registry whose cloud's nodes pull with their own identity.
func cloudRegistry(reg string) bool {
	host, _, _ := strings.Cut(reg, ":")
	return strings.Contains(host, ".dkr.ecr.") && (strings.HasSuffix(host, ".amazonaws.com") || strings.HasSuffix(host, ".amazonaws.com.cn")) ||
		host == "gcr.io" || strings.HasSuffix(host, ".gcr.io") || strings.HasSuffix(host, "-docker.pkg.dev") ||
		strings.HasSuffix(host, ".azurecr.io")
}

func iamRole(r evidence.CheckResult, want string, k *evidence.KubeProbe) evidence.CheckResult {
	if !k.Found {
		r.Status, r.Summary = evidence.CheckSkip, "skipped: service account "+r.Subject+" does not exist (FDP305)"
		return r
	}
	got := k.ServiceAccount.Annotations[RoleARNAnnotation]
	switch {
	case want != "" && !ValidRoleARN(want):
		r.Status, r.Summary = evidence.CheckFail, fmt.Sprintf("the task's IAM role %q is not a role ARN", oneline.Clip(want, 200))
		r.Fix = "set the launch plan's security_context.run_as.iam_role to arn:aws:iam::ACCOUNT:role/NAME"
	case got != "" && !ValidRoleARN(got):
		r.Status, r.Summary = evidence.CheckFail, fmt.Sprintf("its %s annotation %q is not a role ARN: pods get no AWS credentials", RoleARNAnnotation, oneline.Clip(got, 200))
		r.Fix = "set it to arn:aws:iam::ACCOUNT:role/NAME"
		r.Commands = []string{"kubectl annotate serviceaccount " + r.Subject + " --overwrite " + RoleARNAnnotation + "=arn:aws:iam::ACCOUNT:role/NAME"}
	case want != "" && got == "":
		r.Status, r.Summary = evidence.CheckWarn, "the task asks for "+want+" but "+r.Subject+" has no "+RoleARNAnnotation+" annotation: with IRSA the pod gets no role"
		r.Fix = "annotate the service account with the role (unless the cluster maps roles another way, e.g. kube2iam)"
		r.Commands = []string{"kubectl annotate serviceaccount " + r.Subject + " " + RoleARNAnnotation + "=" + want}
	case want != "" && got != want:
		r.Status, r.Summary = evidence.CheckFail, "the task asks for "+want+" but "+r.Subject+" maps to "+got+": the pod runs as the service account's role"
		r.Fix = "run the task as a service account annotated with " + want + ", or ask for " + got
	case got != "":
		r.Status, r.Summary = evidence.CheckPass, "pods get "+got
	default:
		r.Status, r.Summary = evidence.CheckPass, "no IAM role asked for or annotated"
	}
	return r
}
