package rules

import (
	"cmp"
	"fmt"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/flytedoctor/flytedoctor/collectors/evidence"
)

// Resource-pending rules (FD2xxx): the task's pod could not be created (ResourceQuota,
// LimitRange) or could not be placed on a node (the scheduler's FailedScheduling verdict).
//
// The scheduler rules (FD2003-FD2010) share one analysis, pendingDiagnose: it parses the
// scheduler's "0/N nodes are available: ..." message and picks ONE dominant reason, using the
// pod's requests, tolerations and node selector against the node summary when the collector
// read them. Exactly one of those rules fires per site; the other reasons go into its detail.

const (
	// pendingQuietFor is how long a task may sit QUEUED without any scheduler verdict before
	// FD2011 calls it out.
	pendingQuietFor = 5 * time.Minute
	// pendingScaleUpWindow is how recent a TriggeredScaleUp event must be to count as "a node
	// is on its way".
	pendingScaleUpWindow = 10 * time.Minute
)

var (
	pendingSchedRe     = regexp.MustCompile(`\d+/\d+ nodes are available|no nodes available to schedule pods|unbound immediate PersistentVolumeClaims|persistentvolumeclaim "[^"]+" (?:not found|is being deleted)`)
	pendingNodesRe     = regexp.MustCompile(`(\d+)/(\d+) nodes are available:\s*(.*)`)
	pendingCountRe     = regexp.MustCompile(`^(\d+) (.+)$`)
	pendingInsuffRe    = regexp.MustCompile(`^Insufficient (\S+)$`)
	pendingTaintRe     = regexp.MustCompile(`had (?:untolerated )?taint \{([^:}]*):\s*([^}]*)\}`)
	pendingClaimRe     = regexp.MustCompile(`persistentvolumeclaim "([^"]+)" (not found|is being deleted)`)
	pendingQuotaRe     = regexp.MustCompile(`exceeded quota: ([^,]+), requested: (\S+), used: (\S+), limited: ([^\s"\]]+)`)
	pendingQuotaSpecRe = regexp.MustCompile(`failed quota: ([^:]+): must specify ([^"\]\n]+)`)
	pendingLimitRe     = regexp.MustCompile(`(maximum|minimum) (\S+) usage per (Container|Pod) is (\S+), but (limit|request) is ([^,\]\s]+)`)
	pendingRatioRe     = regexp.MustCompile(`(\S+) max limit to request ratio per (Container|Pod) is (\S+), but provided ratio is ([0-9.]+)`)
	pendingNodeReqRe   = regexp.MustCompile(`node requires (\S+) In \[([^\]]*)\]`)
	pendingImagePullRe = regexp.MustCompile(`ErrImagePull|ImagePullBackOff|InvalidImageName`)
	pendingPodAffRe    = regexp.MustCompile(`(pod (?:anti-)?affinity) requires (\S+) per (\S+)`)
	pendingForRe       = regexp.MustCompile(`([A-Za-z0-9./_-]+) for: `)
	pendingWaitingRe   = regexp.MustCompile(`^\[[^|\]]*\|([^\]]+)\]`)
)

const pendingTimeoutDoc = `
Flyte reports an unschedulable pod as task phase QUEUED with reason
"Unschedulable:<scheduler message>" (DemystifyPending), not as an error. Its pending timeout,
plugins.k8s.pod-pending-timeout, is 0 (off) by default, so the task stays QUEUED until the pod
schedules, the node's active deadline (node-active-deadline, which counts queue time) expires, or
someone aborts the execution: flytedoctor says how long it has waited. When a deployment sets the
timeout, Flyte fails the attempt with code PodPendingTimeout, kind USER, retryable, and the
message is the last pending reason; each retry then waits again and usually meets the same wall.
While the cluster autoscaler reports a recent TriggeredScaleUp for the pod, the finding is only a
warning: a node is on its way.`

func pendingRules() []*Rule {
	return []*Rule{{
		ID: "FD2001", Name: "resource-quota-exceeded", Title: "The namespace's ResourceQuota has no room for the task's pod",
		Category: CatResourcePending, Causes: []string{"quota-exceeded"}, Severity: Error, Requires: []string{"admin", "kube"},
		Doc: `The API server refused to create the task's pod because a ResourceQuota in the execution's namespace
would be exceeded ("pods "x" is forbidden: exceeded quota: project-quota, requested: limits.cpu=4,
used: limits.cpu=8, limited: limits.cpu=10"). flytepropeller does not fail the task for this: it
moves the attempt to WAITING_FOR_RESOURCES with reason "Exceeded resourcequota: <error>" and keeps
retrying the creation with back-off ([BackOffError] "The operation was attempted but failed"),
without using a retry, until quota frees up or the node's active deadline passes. When the request
alone is at or above the quota's hard limit it can never fit, and Flyte fails the attempt at once
with code ResourceRequestsExceedLimits, kind USER, permanent ("requested resources exceed limits:
..."). A quota on limits.* or requests.* also rejects pods that do not set them ("failed quota: q:
must specify limits.cpu"), which Flyte reports as RuntimeFailure (USER, retryable). flyte-core's
EKS Helm values create a quota named project-quota in every project-domain namespace from
flyteadmin's cluster resource templates. The detail compares the rejected request with the quota's hard and used
values.`,
		Fixes: []Fix{
			{Action: "compare the quota's hard limits with what is used", Commands: []string{"kubectl get resourcequota -n NAMESPACE -o yaml"}},
			{Action: "wait for other tasks in the namespace to finish, lower the task's requests, or raise the quota (per project and domain with flyteadmin's cluster resource attributes)",
				Commands: []string{"flytectl update cluster-resource-attribute --attrFile cra.yaml"}},
		},
		Site: pendingQuotaSite,
	}, {
		ID: "FD2002", Name: "limit-range-rejected", Title: "A LimitRange rejected the task's resource requests or limits",
		Category: CatResourcePending, Causes: []string{"request-exceeds-limit-range"}, Severity: Error, Requires: []string{"admin", "kube"},
		Doc: `The LimitRanger admission plugin refused the task's pod because a container's (or the pod's) request or
limit is outside the bounds of a LimitRange in the namespace: "pods "x" is forbidden: maximum cpu
usage per Container is 2, but limit is 4", "minimum memory usage per Container is 64Mi, but request
is 32Mi", or a list of such violations in brackets. The pod is never created. Flyte treats this
Forbidden error as code RuntimeFailure, kind USER, retryable, so every retry is rejected the same
way. Flyte sets a container's limit to its request when the task gives only requests, so
@task(requests=Resources(cpu="4")) also asks for a limit of 4.`,
		Fixes: []Fix{
			{Action: "read the namespace's LimitRange bounds", Commands: []string{"kubectl get limitrange -n NAMESPACE -o yaml"}},
			{Action: "keep the task's requests and limits inside the bounds, or ask the platform team to widen the LimitRange"},
		},
		Site: pendingLimitRangeSite,
	}, {
		ID: "FD2003", Name: "pvc-unbound", Title: "The task's pod waits for a PersistentVolumeClaim that is unbound or missing",
		Category: CatResourcePending, Causes: []string{"pvc-unbound"}, Severity: Error, Requires: []string{"admin", "kube"},
		Doc: `The scheduler cannot place the pod because a PersistentVolumeClaim it mounts is not bound ("pod has
unbound immediate PersistentVolumeClaims", "didn't find available persistent volumes to bind") or
does not exist ("persistentvolumeclaim "x" not found"). This happens to tasks whose pod template
mounts a claim: the claim must exist in the execution's namespace (project-domain) and its
StorageClass must be able to provision or bind a volume.` + pendingTimeoutDoc,
		Fixes: []Fix{
			{Action: "check the claim's status and events", Commands: []string{"kubectl get pvc -n NAMESPACE", "kubectl describe pvc -n NAMESPACE CLAIM"}},
			{Action: "create the claim in the execution's namespace, or fix its StorageClass so a volume is provisioned"},
		},
		Site: pendingCauseSite("pvc-unbound"),
	}, {
		ID: "FD2004", Name: "untolerated-taint", Title: "The only nodes that fit the task carry a taint it does not tolerate",
		Category: CatResourcePending, Causes: []string{"untolerated-taint"}, Severity: Error, Requires: []string{"admin", "kube"},
		Doc: `The scheduler rejected nodes because of a taint the pod does not tolerate ("1 node(s) had untolerated
taint {nvidia.com/gpu: present}"), and those are the nodes that have room for the task's request.
GPU node groups are usually tainted (nvidia.com/gpu=present:NoSchedule) so that only GPU pods land
there; the pod must carry a matching toleration, from the task's pod template or from Flyte's
plugins.k8s.resource-tolerations (added to every pod that requests the named resource) or
default-tolerations. System taints (not-ready, unreachable, control-plane, cordoned) are not
reported here: adding a toleration for them is not a fix.` + pendingTimeoutDoc,
		Fixes: []Fix{
			{Action: "add a toleration for the taint to the task's pod template"},
			{Action: "see the nodes' taints", Commands: []string{"kubectl describe nodes"}},
		},
		Site: pendingCauseSite("untolerated-taint"),
	}, {
		ID: "FD2005", Name: "node-selector-mismatch", Title: "No node carries the labels the task's node selector asks for",
		Category: CatResourcePending, Causes: []string{"node-selector-mismatch"}, Severity: Error, Requires: []string{"admin", "kube"},
		Doc: `The scheduler rejected every node that could hold the pod because its labels do not match the pod's
nodeSelector ("N node(s) didn't match Pod's node affinity/selector"). In Flyte the selector comes
from the task's pod template, a default pod template, or plugins.k8s.default-node-selector; a
typo'd or retired node-group label leaves the task QUEUED.` + pendingTimeoutDoc,
		Fixes: []Fix{
			{Action: "list the nodes with the selector's labels", Commands: []string{"kubectl get nodes --show-labels"}},
			{Action: "change the selector in the task's pod template to a label the nodes carry, or label the intended nodes"},
		},
		Site: pendingCauseSite("node-selector-mismatch"),
	}, {
		ID: "FD2006", Name: "affinity-mismatch", Title: "No node satisfies the task's node or pod affinity",
		Category: CatResourcePending, Causes: []string{"affinity-mismatch"}, Severity: Error, Requires: []string{"admin", "kube"},
		Doc: `The scheduler rejected the nodes because of the pod's required node affinity ("didn't match Pod's node
affinity/selector" with no nodeSelector), its pod (anti-)affinity or topology spread constraints, or
the node affinity of a PersistentVolume it mounts ("volume node affinity conflict", usually a zone).
Flyte itself adds a required node affinity to tasks with accelerator=...: the key is
plugins.k8s.gpu-device-node-label (default k8s.amazonaws.com/accelerator), so GPU nodes that do not
carry that label never match.` + pendingTimeoutDoc,
		Fixes: []Fix{
			{Action: "compare the pod's affinity with the nodes' labels", Commands: []string{"kubectl get nodes --show-labels"}},
			{Action: "relax the affinity in the task's pod template, or label the intended nodes"},
		},
		Site: pendingCauseSite("affinity-mismatch"),
	}, {
		ID: "FD2007", Name: "insufficient-gpu", Title: "No node has the GPUs the task requests",
		Category: CatResourcePending, Causes: []string{"insufficient-gpu"}, Severity: Error, Requires: []string{"admin", "kube"},
		Doc: `The scheduler's dominant reason is "Insufficient nvidia.com/gpu" (or another accelerator resource):
no node has that many GPUs free. When the node summary is available the detail says whether the
request can ever fit (the largest allocatable count among nodes versus the request) or whether the
GPUs exist but running pods hold them. A task gets GPUs with @task(requests=Resources(gpu="1"));
Flyte requests them as plugins.k8s.gpu-resource-name (default nvidia.com/gpu).` + pendingTimeoutDoc,
		Fixes: []Fix{
			{Action: "see which nodes offer GPUs and how many are allocated", Commands: []string{"kubectl describe nodes"}},
			{Action: "request no more GPUs than one node has, or add (or scale up) a GPU node group", Commands: []string{`@task(requests=Resources(gpu="1"))`}},
		},
		Site: pendingCauseSite("insufficient-gpu"),
	}, {
		ID: "FD2008", Name: "insufficient-memory", Title: "No node has the memory the task requests",
		Category: CatResourcePending, Causes: []string{"insufficient-memory"}, Severity: Error, Requires: []string{"admin", "kube"},
		Doc: `The scheduler's dominant reason is "Insufficient memory": no node has the pod's memory request free.
With the node summary the detail tells a request larger than any node's allocatable memory (it
will never schedule) from a busy cluster (it fits, but running pods hold the memory).` + pendingTimeoutDoc,
		Fixes: []Fix{
			{Action: "see the nodes' allocatable and allocated memory", Commands: []string{"kubectl describe nodes"}},
			{Action: "lower the task's memory request, or add larger nodes", Commands: []string{`@task(requests=Resources(mem="4Gi"))`}},
		},
		Site: pendingCauseSite("insufficient-memory"),
	}, {
		ID: "FD2009", Name: "insufficient-cpu", Title: "No node has the CPU the task requests",
		Category: CatResourcePending, Causes: []string{"insufficient-cpu"}, Severity: Error, Requires: []string{"admin", "kube"},
		Doc: `The scheduler's dominant reason is "Insufficient cpu": no node has the pod's CPU request free. With the
node summary the detail tells a request larger than any node's allocatable CPU from a busy cluster.` + pendingTimeoutDoc,
		Fixes: []Fix{
			{Action: "see the nodes' allocatable and allocated CPU", Commands: []string{"kubectl describe nodes"}},
			{Action: "lower the task's CPU request, or add larger nodes", Commands: []string{`@task(requests=Resources(cpu="2"))`}},
		},
		Site: pendingCauseSite("insufficient-cpu"),
	}, {
		ID: "FD2010", Name: "insufficient-ephemeral-storage", Title: "No node has the ephemeral storage the task requests",
		Category: CatResourcePending, Causes: []string{"insufficient-ephemeral-storage"}, Severity: Error, Requires: []string{"admin", "kube"},
		Doc: `The scheduler's dominant reason is "Insufficient ephemeral-storage": no node has the pod's
ephemeral-storage request free on its root disk. Flyte tasks request it with
Resources(ephemeral_storage=...); node groups with small root volumes cannot hold large requests.` + pendingTimeoutDoc,
		Fixes: []Fix{
			{Action: "see the nodes' allocatable ephemeral storage", Commands: []string{"kubectl describe nodes"}},
			{Action: "lower the request, write large data to the blob store instead of local disk, or use nodes with larger root volumes",
				Commands: []string{`@task(requests=Resources(ephemeral_storage="20Gi"))`}},
		},
		Site: pendingCauseSite("insufficient-ephemeral-storage"),
	}, {
		ID: "FD2011", Name: "pod-pending-too-long", Title: "The task's pod stays Pending without a recognised reason",
		Category: CatResourcePending, Causes: []string{"pending-too-long"}, Severity: Error, Requires: []string{"admin", "kube"},
		Doc: `The task's pod has been Pending for a long time and no more specific FD2 rule explains why: the
scheduler gave a reason flytedoctor does not classify (Too many pods, no free ports, every node not
ready or cordoned), gave no verdict at all (for example the pod names a schedulerName that is not
running), or Flyte gave up with code PodPendingTimeout (kind USER, retryable) after
plugins.k8s.pod-pending-timeout. The finding is an error when Flyte failed the task, and a warning
while the task is still waiting (QUEUED for at least 5 minutes).` + pendingTimeoutDoc,
		Fixes: []Fix{
			{Action: "read the pod's events and conditions", Commands: []string{"kubectl describe pod -n NAMESPACE POD"}},
			{Action: "set plugins.k8s.pod-pending-timeout in the propeller config so stuck tasks fail instead of waiting forever"},
		},
		Site: pendingGenericSite,
	}}
}

// ---------------------------------------------------------------------------------------------
// Shared context

// pendingCtx is what the FD2 rules know about a site's latest attempt.
type pendingCtx struct {
	s         *Site
	last      *evidence.TaskAttempt
	pod       *evidence.Pod // the latest attempt's pod, when it is visible
	podName   string
	code, msg string
	timedOut  int // attempts Flyte failed with PodPendingTimeout
	sched     *pendingSched
	since     time.Time
	until     time.Time
}

func pendingLoad(s *Site) *pendingCtx {
	return siteOnce(s, "pending", func() *pendingCtx { return pendingRead(s) })
}

func pendingRead(s *Site) *pendingCtx {
	if s.Node == nil || len(s.Attempts) == 0 {
		return nil
	}
	p := &pendingCtx{s: s, last: s.Attempts[len(s.Attempts)-1]}
	p.code, p.msg, _ = s.Error()
	for _, a := range s.Attempts {
		if a.Error != nil {
			if c, _ := Unwrap(a.Error.Code, a.Error.Message); c == "PodPendingTimeout" {
				p.timedOut++
			}
		}
	}
	if p.timedOut == 0 && p.code == "PodPendingTimeout" {
		p.timedOut = 1
	}
	p.pod = pendingPod(s, p.last)
	p.podName = cmp.Or(p.last.PrimaryPodName, p.last.PodName)
	if p.pod != nil {
		p.podName = p.pod.Name
	}
	p.sched = pendingFindSched(s, p.podName)
	p.since, p.until = pendingWindow(p)
	return p
}

func pendingPod(s *Site, a *evidence.TaskAttempt) *evidence.Pod {
	for _, n := range []string{a.PrimaryPodName, a.PodName} {
		if p := s.Pods[n]; n != "" && p != nil {
			return p
		}
	}
	for _, l := range a.Pods {
		if p := s.Pods[l.PodName]; p != nil {
			return p
		}
	}
	if len(a.ExternalResources) > 0 { // array subtasks: the first one still waiting for a node
		for _, n := range s.podNames() {
			if p := s.Pods[n]; p.Phase == "Pending" && !pendingScheduled(p) {
				return p
			}
		}
	}
	return nil
}

func pendingScheduled(p *evidence.Pod) bool {
	if p.NodeName != "" || (p.Phase != "Pending" && p.Phase != "") {
		return true
	}
	for _, c := range p.Conditions {
		if c.Type == "PodScheduled" && c.Status == "True" {
			return true
		}
	}
	return false
}

// waitingForNode reports whether the latest attempt never got a node: its pod is visible and
// unscheduled, or Admin's phase, error and latest reason say so.
func (p *pendingCtx) waitingForNode() bool {
	if p.pod != nil {
		return !pendingScheduled(p.pod)
	}
	if p.s.Stuck {
		switch p.last.Phase {
		case "QUEUED", "WAITING_FOR_RESOURCES", "UNDEFINED":
			return true
		}
		return false
	}
	switch p.code {
	case "PodPendingTimeout":
		return true
	case "", "Timeout", "TimeoutExpired":
		return pendingSchedRe.MatchString(pendingLatestReason(p.last))
	}
	return false
}

func pendingLatestReason(a *evidence.TaskAttempt) string {
	if a.Reason != "" {
		return a.Reason
	}
	if n := len(a.Reasons); n > 0 {
		return a.Reasons[n-1].Message
	}
	return ""
}

// pendingWindow is when the latest attempt started waiting, and until when (now, when stuck).
func pendingWindow(p *pendingCtx) (since, until time.Time) {
	since = p.last.CreatedAt
	if since.IsZero() {
		since = p.last.StartedAt
	}
	if since.IsZero() && p.pod != nil {
		since = p.pod.CreatedAt
	}
	if since.IsZero() {
		for _, e := range p.s.Events {
			if e.Reason == "FailedScheduling" && e.Name == p.podName && !e.FirstTime.IsZero() && (since.IsZero() || e.FirstTime.Before(since)) {
				since = e.FirstTime
			}
		}
	}
	switch {
	case p.s.Stuck:
		until = p.s.Now
	case !p.last.UpdatedAt.IsZero():
		until = p.last.UpdatedAt
	case p.last.Duration > 0 && !since.IsZero():
		until = since.Add(p.last.Duration.Std())
	}
	return since, until
}

func (p *pendingCtx) waited() time.Duration {
	if p.since.IsZero() || p.until.IsZero() || p.until.Before(p.since) {
		return 0
	}
	return p.until.Sub(p.since)
}

func (p *pendingCtx) namespace() string {
	if p.pod != nil && p.pod.Namespace != "" {
		return p.pod.Namespace
	}
	return pendingNamespace(p.s)
}

// pendingNamespace is the execution's namespace, as Kubernetes or Admin knows it.
func pendingNamespace(s *Site) string {
	ns := ""
	if s.Snapshot.Kube != nil {
		ns = s.Snapshot.Kube.Namespace
	}
	return cmp.Or(ns, s.Execution.Namespace, "NAMESPACE")
}

// eventsFix points at the pod's events: describe while the pod exists, else the events, which
// outlive it for about an hour.
func (p *pendingCtx) eventsFix() Fix {
	ns, pod := p.namespace(), orUnknown(p.podName)
	events := fmt.Sprintf("kubectl get events -n %s --field-selector involvedObject.name=%s", ns, pod)
	switch {
	case p.pod != nil:
		return Fix{Action: "read the pod's events and conditions", Commands: []string{fmt.Sprintf("kubectl describe pod -n %s %s", ns, pod)}}
	case p.s.Missing[p.podName]:
		return Fix{Action: "read the pod's events (the pod itself is gone)", Commands: []string{events}}
	}
	return Fix{Action: "read the pod's events and conditions", Commands: []string{fmt.Sprintf("kubectl describe pod -n %s %s", ns, pod), events}}
}

func (p *pendingCtx) podLabel() string {
	if p.podName != "" {
		return "pod " + p.podName
	}
	return "the task's pod"
}

// waitSummary says how long the attempt has waited, for the end of a summary.
func (p *pendingCtx) waitSummary() string {
	age := pendingAge(p.waited())
	n := len(p.s.Attempts)
	switch {
	case p.s.Stuck && age != "":
		return fmt.Sprintf("%s for %s, and Flyte will not time it out", p.last.Phase, age)
	case p.s.Stuck:
		return fmt.Sprintf("still %s, and Flyte will not time it out", p.last.Phase)
	case p.timedOut > 1 && p.timedOut == n:
		return fmt.Sprintf("%d attempts, all failed with PodPendingTimeout", n)
	case p.timedOut > 0 && age != "":
		return "Flyte failed it with PodPendingTimeout after " + age
	case p.timedOut > 0:
		return "Flyte failed it with PodPendingTimeout"
	case age != "":
		return fmt.Sprintf("it failed after %s pending", age)
	}
	return ""
}

// waitDetail explains Flyte's pending semantics for this site.
func (p *pendingCtx) waitDetail() string {
	switch {
	case p.s.Stuck:
		t := fmt.Sprintf("The task is %s", p.last.Phase)
		if age := pendingAge(p.waited()); age != "" {
			t += fmt.Sprintf(" and has waited %s (since %s)", age, p.since.UTC().Format(time.RFC3339))
		}
		return t + ". Flyte's plugins.k8s.pod-pending-timeout is off by default, so it keeps waiting until the pod schedules, the node's active deadline passes, or the execution is aborted."
	case p.timedOut > 1:
		return fmt.Sprintf("Flyte failed %d attempts with PodPendingTimeout (kind USER, retryable): plugins.k8s.pod-pending-timeout is set on this deployment, and each retry met the same wall.", p.timedOut)
	case p.timedOut > 0:
		return "Flyte failed the attempt with PodPendingTimeout (kind USER, retryable): plugins.k8s.pod-pending-timeout is set on this deployment, and a retry usually meets the same wall."
	}
	return ""
}

func pendingJoin(parts ...string) string {
	var out []string
	for _, p := range parts {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, "; ")
}

func pendingSentences(parts ...string) string {
	var out []string
	for _, p := range parts {
		if p = strings.TrimSpace(p); p != "" {
			if !strings.HasSuffix(p, ".") {
				p += "."
			}
			out = append(out, p)
		}
	}
	return strings.Join(out, " ")
}

// ---------------------------------------------------------------------------------------------
// The scheduler's message

// pendingReason is one clause of "0/N nodes are available: <clause>, <clause>".
type pendingReason struct {
	Count    int    // nodes it covers
	Text     string // the clause without its count
	Kind     string // one of the pk* kinds
	Resource string // pkInsufficient: the resource
	TaintKey string // pkTaint, pkUnavailable
	TaintVal string
}

const (
	pkInsufficient   = "insufficient"
	pkTaint          = "taint"
	pkUnavailable    = "unavailable" // not ready, cordoned, control plane: not the task's problem
	pkSelector       = "selector"
	pkPodAffinity    = "pod-affinity"
	pkVolumeAffinity = "volume-affinity"
	pkPVC            = "pvc"
	pkOther          = "other"
)

type pendingSched struct {
	Message string // the scheduler's message, without Flyte's "Unschedulable:" prefix
	From    string // where it was read
	Total   int    // N of "0/N nodes"; -1 when unknown
	Reasons []pendingReason
	// ScaleUp is a recent TriggeredScaleUp event; NoScaleUp the autoscaler's refusal.
	ScaleUp, NoScaleUp string
}

// Body is the reasons part of the message, without the preemption postscript.
func (ps *pendingSched) Body() string {
	b := ps.Message
	if m := pendingNodesRe.FindStringSubmatch(b); m != nil {
		b = m[0]
	}
	if i := strings.Index(b, ". preemption:"); i >= 0 {
		b = b[:i]
	}
	return strings.TrimSuffix(strings.TrimSpace(b), ".")
}

func pendingFindSched(s *Site, podName string) *pendingSched {
	type cand struct{ text, from string }
	var cands []cand
	for _, e := range s.Events { // latest first
		if e.Reason == "FailedScheduling" && (podName == "" || e.Name == podName) {
			cands = append(cands, cand{e.Message, "event " + pendingEventLabel(e)})
		}
	}
	if p := s.Pods[podName]; p != nil {
		for _, c := range p.Conditions {
			if c.Type == "PodScheduled" && c.Status == "False" {
				cands = append(cands, cand{c.Message, fmt.Sprintf("pod %s condition PodScheduled=False %s", p.Name, c.Reason)})
			}
		}
	}
	for i := len(s.Attempts) - 1; i >= 0; i-- {
		a := s.Attempts[i]
		cands = append(cands, cand{a.Reason, fmt.Sprintf("attempt %d reason", a.RetryAttempt)})
		for j := len(a.Reasons) - 1; j >= 0; j-- {
			cands = append(cands, cand{a.Reasons[j].Message, fmt.Sprintf("attempt %d reason", a.RetryAttempt)})
		}
		if a.Error != nil {
			c, m := Unwrap(a.Error.Code, a.Error.Message)
			cands = append(cands, cand{m, fmt.Sprintf("attempt %d error %s", a.RetryAttempt, c)})
		}
	}
	if c, m, _ := s.Error(); m != "" {
		cands = append(cands, cand{m, "Flyte error " + c})
	}
	for _, c := range cands {
		if pendingSchedRe.MatchString(c.text) {
			ps := pendingParse(c.text)
			ps.From = c.from
			for _, e := range s.Events {
				if podName != "" && e.Name != podName {
					continue
				}
				switch e.Reason {
				case "TriggeredScaleUp":
					if ps.ScaleUp == "" && !e.LastTime.IsZero() && s.Now.Sub(e.LastTime) <= pendingScaleUpWindow {
						ps.ScaleUp = e.Message
					}
				case "NotTriggerScaleUp":
					if ps.NoScaleUp == "" {
						ps.NoScaleUp = e.Message
					}
				}
			}
			return ps
		}
	}
	return nil
}

func pendingEventLabel(e evidence.Event) string {
	t := fmt.Sprintf("%s on %s %s", e.Reason, strings.ToLower(e.Kind), e.Name)
	var extra []string
	if e.Count > 1 {
		extra = append(extra, fmt.Sprintf("%d times", e.Count))
	}
	if !e.FirstTime.IsZero() {
		extra = append(extra, "since "+e.FirstTime.UTC().Format(time.RFC3339))
	}
	if len(extra) > 0 {
		t += " (" + strings.Join(extra, ", ") + ")"
	}
	return t
}

func pendingParse(text string) *pendingSched {
	msg := strings.TrimSpace(text)
	if i := strings.Index(msg, "Unschedulable:"); i >= 0 {
		msg = strings.TrimSpace(msg[i+len("Unschedulable:"):])
	}
	ps := &pendingSched{Message: msg, Total: -1}
	body := msg
	if m := pendingNodesRe.FindStringSubmatch(msg); m != nil {
		ps.Total, _ = strconv.Atoi(m[2])
		body = m[3]
	} else if strings.Contains(msg, "no nodes available to schedule pods") {
		ps.Total = 0
		ps.Reasons = []pendingReason{{Text: "no nodes available to schedule pods", Kind: pkOther}}
		return ps
	}
	if i := strings.Index(body, ". preemption:"); i >= 0 {
		body = body[:i]
	}
	body = strings.TrimSuffix(strings.TrimSpace(body), ".")
	// A part without a count continues the clause before it; clauses are sliced out of body
	// (appending part by part was quadratic in the number of parts).
	var clauses []string
	from, at := 0, 0 // where the current clause and the current part start in body
	for i, part := range strings.Split(body, ", ") {
		if i > 0 && pendingCountRe.MatchString(part) {
			clauses = append(clauses, body[from:at-len(", ")])
			from = at
		}
		at += len(part) + len(", ")
	}
	clauses = append(clauses, body[from:])
	for _, c := range clauses {
		r := pendingReason{Count: ps.Total, Text: c}
		if m := pendingCountRe.FindStringSubmatch(c); m != nil {
			r.Count, _ = strconv.Atoi(m[1])
			r.Text = m[2]
		}
		pendingClassify(&r)
		ps.Reasons = append(ps.Reasons, r)
	}
	return ps
}

func pendingClassify(r *pendingReason) {
	t := r.Text
	switch {
	case pendingInsuffRe.MatchString(t):
		r.Kind, r.Resource = pkInsufficient, pendingInsuffRe.FindStringSubmatch(t)[1]
	case t == "Too many pods":
		r.Kind, r.Resource = pkInsufficient, "pods"
	case pendingTaintRe.MatchString(t):
		m := pendingTaintRe.FindStringSubmatch(t)
		r.TaintKey, r.TaintVal = strings.TrimSpace(m[1]), strings.TrimSpace(m[2])
		r.Kind = pkTaint
		if pendingSystemTaint(r.TaintKey) {
			r.Kind = pkUnavailable
		}
	case strings.Contains(t, "were unschedulable") || strings.Contains(t, "not ready") ||
		strings.Contains(t, "had disk pressure") || strings.Contains(t, "had memory pressure"):
		r.Kind = pkUnavailable
	case strings.Contains(t, "node affinity/selector") || strings.Contains(t, "didn't match node selector"):
		r.Kind = pkSelector
	case strings.Contains(t, "volume node affinity conflict") || strings.Contains(t, "volume zone conflict"):
		r.Kind = pkVolumeAffinity
	case strings.Contains(t, "pod affinity") || strings.Contains(t, "anti-affinity") || strings.Contains(t, "topology spread"):
		r.Kind = pkPodAffinity
	case strings.Contains(t, "PersistentVolumeClaims") || pendingClaimRe.MatchString(t) ||
		strings.Contains(t, "persistent volumes to bind"):
		r.Kind = pkPVC
	default:
		r.Kind = pkOther
	}
}

// pendingSystemTaint reports taints Kubernetes or autoscalers put on unusable nodes.
func pendingSystemTaint(key string) bool {
	switch key {
	case "node-role.kubernetes.io/control-plane", "node-role.kubernetes.io/master",
		"ToBeDeletedByClusterAutoscaler", "DeletionCandidateOfClusterAutoscaler",
		"karpenter.sh/disrupted", "karpenter.sh/disruption":
		return true
	}
	return strings.HasPrefix(key, "node.kubernetes.io/") || strings.HasPrefix(key, "node.cloudprovider.kubernetes.io/")
}

// pendingCause maps a resource to its cause slug ("" for pods and unknown resources).
func pendingCause(resource string) string {
	switch {
	case resource == "cpu":
		return "insufficient-cpu"
	case resource == "memory":
		return "insufficient-memory"
	case resource == "ephemeral-storage":
		return "insufficient-ephemeral-storage"
	case pendingAccelerator(resource):
		return "insufficient-gpu"
	}
	return ""
}

func pendingAccelerator(r string) bool {
	for _, p := range []string{"nvidia.com/", "amd.com/", "gpu.intel.com/", "google.com/tpu", "aws.amazon.com/neuron", "habana.ai/"} {
		if strings.HasPrefix(r, p) {
			return true
		}
	}
	return strings.Contains(r, "gpu")
}

// pendingRank orders resources when counts tie: scarce accelerators first.
func pendingRank(resource string) int {
	switch pendingCause(resource) {
	case "insufficient-gpu":
		return 0
	case "insufficient-memory":
		return 1
	case "insufficient-cpu":
		return 2
	case "insufficient-ephemeral-storage":
		return 3
	}
	return 4
}

// ---------------------------------------------------------------------------------------------
// Quantities, requests, nodes, taints

func pendingBytesLike(resource string) bool {
	return resource == "memory" || resource == "ephemeral-storage" || strings.HasPrefix(resource, "hugepages-") || strings.HasPrefix(resource, "requests.memory") ||
		strings.HasSuffix(resource, ".memory") || strings.HasSuffix(resource, "ephemeral-storage")
}

// pendingShow formats a quantity for people: memory in Gi/Mi, CPU in cores.
func pendingShow(resource string, v float64) string {
	trim := func(f float64) string { return strconv.FormatFloat(math.Round(f*10)/10, 'f', -1, 64) }
	if pendingBytesLike(resource) {
		switch {
		case v >= 1<<30:
			return trim(v/(1<<30)) + "Gi"
		case v >= 1<<20:
			return trim(v/(1<<20)) + "Mi"
		}
		return trim(v)
	}
	if v > 0 && v < 1 {
		return strconv.FormatFloat(math.Round(v*1000), 'f', -1, 64) + "m"
	}
	return strconv.FormatFloat(math.Round(v*1000)/1000, 'f', -1, 64)
}

// pendingRequests is the pod's effective request per resource: the sum over containers, or
// the largest init container when that is more. A limit stands in for a missing request.
func pendingRequests(p *evidence.Pod) map[string]float64 {
	if p == nil {
		return nil
	}
	get := func(c evidence.Container) map[string]float64 {
		out := map[string]float64{}
		for k, v := range c.Limits {
			if q, ok := parseQuantity(v); ok {
				out[k] = q
			}
		}
		for k, v := range c.Requests {
			if q, ok := parseQuantity(v); ok {
				out[k] = q
			}
		}
		return out
	}
	sum := map[string]float64{}
	for _, c := range p.Containers {
		for k, v := range get(c) {
			sum[k] += v
		}
	}
	for _, c := range p.InitContainers {
		for k, v := range get(c) {
			if v > sum[k] {
				sum[k] = v
			}
		}
	}
	if len(sum) == 0 {
		return nil
	}
	return sum
}

func (p *pendingCtx) nodes() []evidence.NodeInfo {
	if k := p.s.Snapshot.Kube; k != nil && k.Nodes != nil {
		return k.Nodes.Nodes
	}
	return nil
}

func pendingAlloc(n evidence.NodeInfo, resource string) float64 {
	v, _ := parseQuantity(n.Allocatable[resource])
	return v
}

// pendingMaxAlloc is the largest allocatable amount of a resource among ready nodes.
func pendingMaxAlloc(nodes []evidence.NodeInfo, resource string) (float64, string) {
	best, name := 0.0, ""
	for _, n := range nodes {
		if v := pendingAlloc(n, resource); n.Ready && v > best {
			best, name = v, n.Name
		}
	}
	return best, name
}

func pendingFits(n evidence.NodeInfo, req map[string]float64) bool {
	for r, v := range req {
		if v > 0 && pendingAlloc(n, r) < v {
			return false
		}
	}
	return true
}

type pendingTaint struct{ key, value, effect string }

func (t pendingTaint) String() string {
	s := t.key
	if t.value != "" {
		s += "=" + t.value
	}
	if t.effect != "" {
		s += ":" + t.effect
	}
	return s
}

func pendingParseTaint(s string) pendingTaint {
	var t pendingTaint
	if i := strings.LastIndex(s, ":"); i >= 0 {
		s, t.effect = s[:i], s[i+1:]
	}
	t.key, t.value, _ = strings.Cut(s, "=")
	return t
}

// pendingTolerates reports whether a toleration as the collector renders it ("key=value:Effect",
// "key:Exists:Effect", "*:Exists", with an optional " for Ns") tolerates the taint.
func pendingTolerates(tol string, t pendingTaint) bool {
	tol, _, _ = strings.Cut(tol, " for ")
	effect := ""
	for _, e := range []string{"NoSchedule", "PreferNoSchedule", "NoExecute"} {
		if strings.HasSuffix(tol, ":"+e) {
			tol, effect = strings.TrimSuffix(tol, ":"+e), e
			break
		}
	}
	if effect != "" && effect != t.effect {
		return false
	}
	if key, ok := strings.CutSuffix(tol, ":Exists"); ok {
		return key == "*" || key == t.key
	}
	key, value, _ := strings.Cut(tol, "=")
	return key == t.key && value == t.value
}

// pendingBlocking returns the node's NoSchedule/NoExecute taints the pod does not tolerate.
func pendingBlocking(n evidence.NodeInfo, tolerations []string, system bool) []pendingTaint {
	var out []pendingTaint
	for _, s := range n.Taints {
		t := pendingParseTaint(s)
		if t.effect == "PreferNoSchedule" || pendingSystemTaint(t.key) != system {
			continue
		}
		tolerated := false
		for _, tol := range tolerations {
			tolerated = tolerated || pendingTolerates(tol, t)
		}
		if !tolerated {
			out = append(out, t)
		}
	}
	return out
}

func (p *pendingCtx) tolerations() []string {
	if p.pod == nil {
		return nil
	}
	return p.pod.Spec.Tolerations
}

// usable nodes are ready, not cordoned and free of system taints the pod does not tolerate.
func (p *pendingCtx) usable(n evidence.NodeInfo) bool {
	return n.Ready && !n.Unschedulable && len(pendingBlocking(n, p.tolerations(), true)) == 0
}

func pendingNames(nodes []evidence.NodeInfo) string {
	var names []string
	for _, n := range nodes {
		names = append(names, n.Name)
	}
	if len(names) > 3 {
		return strings.Join(names[:3], ", ") + fmt.Sprintf(" and %d more", len(names)-3)
	}
	return strings.Join(names, ", ")
}

// pendingNodeLine summarises a node for evidence: the allocatable amounts of the requested
// resources, its taints and selected labels.
func pendingNodeLine(n evidence.NodeInfo, req map[string]float64, labelKeys []string) string {
	var parts []string
	keys := make([]string, 0, len(req))
	for k := range req {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var alloc []string
	for _, k := range keys {
		v := orUnknown(n.Allocatable[k])
		if q, ok := parseQuantity(v); ok && pendingBytesLike(k) {
			if h := pendingShow(k, q); h != v {
				v += " (" + h + ")"
			}
		}
		alloc = append(alloc, k+"="+v)
	}
	if len(alloc) > 0 {
		parts = append(parts, "allocatable "+strings.Join(alloc, " "))
	}
	if len(n.Taints) > 0 {
		parts = append(parts, "taints "+strings.Join(n.Taints, ", "))
	}
	var labels []string
	for _, k := range labelKeys {
		if v, ok := n.Labels[k]; ok {
			labels = append(labels, k+"="+v)
		}
	}
	if len(labels) > 0 {
		parts = append(parts, "labels "+strings.Join(labels, " "))
	}
	if !n.Ready {
		parts = append(parts, "NotReady")
	}
	if n.Unschedulable {
		parts = append(parts, "cordoned")
	}
	if len(parts) == 0 {
		return ""
	}
	return "node " + n.Name + ": " + strings.Join(parts, "; ")
}

func (p *pendingCtx) requestLine(req map[string]float64) string {
	if p.pod == nil || len(req) == 0 {
		return ""
	}
	keys := make([]string, 0, len(req))
	for k := range req {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		parts = append(parts, k+"="+pendingShow(k, req[k]))
	}
	t := fmt.Sprintf("pod %s requests %s", p.pod.Name, strings.Join(parts, " "))
	if len(p.pod.Spec.Tolerations) > 0 {
		t += "; tolerations " + strings.Join(p.pod.Spec.Tolerations, ", ")
	}
	if len(p.pod.Spec.NodeSelector) > 0 {
		t += "; node selector " + pendingSelector(p.pod.Spec.NodeSelector)
	}
	if p.pod.Spec.Affinity != "" {
		t += "; affinity " + p.pod.Spec.Affinity
	}
	return t
}

func pendingSelector(sel map[string]string) string {
	keys := make([]string, 0, len(sel))
	for k := range sel {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		parts = append(parts, k+"="+sel[k])
	}
	return strings.Join(parts, ",")
}

// pendingSelectorMisses reports whether the node's known labels contradict the selector; a
// label the collector did not keep on any node proves nothing.
func pendingSelectorMisses(n evidence.NodeInfo, sel map[string]string, nodes []evidence.NodeInfo) bool {
	for k, v := range sel {
		known := false
		for _, o := range nodes {
			if _, ok := o.Labels[k]; ok {
				known = true
			}
		}
		if known && n.Labels[k] != v {
			return true
		}
	}
	return false
}

// pendingAge formats a wait: "45s", "46m", "2h5m", "3d4h".
func pendingAge(d time.Duration) string {
	switch {
	case d <= 0:
		return ""
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 24*time.Hour:
		h, m := int(d.Hours()), int(d.Minutes())%60
		if m == 0 {
			return fmt.Sprintf("%dh", h)
		}
		return fmt.Sprintf("%dh%dm", h, m)
	}
	days, h := int(d.Hours())/24, int(d.Hours())%24
	if h == 0 {
		return fmt.Sprintf("%dd", days)
	}
	return fmt.Sprintf("%dd%dh", days, h)
}

// ---------------------------------------------------------------------------------------------
// The dominant reason

type pendingDiag struct {
	Cause      string // "" when no FD2003-FD2010 cause applies
	Reason     *pendingReason
	Resource   string
	Impossible bool                // no node has that much allocatable
	Fit        []evidence.NodeInfo // usable nodes with room for the whole request
	Taint      *pendingTaint       // the taint on every fitting node
	Req        map[string]float64  // the pod's requests, when known
	Nodes      []evidence.NodeInfo // the node summary, when known
}

// pendingDiagnose picks one dominant reason from the scheduler's message: a missing claim; a
// request no node can ever hold; a taint or selector that excludes exactly the nodes that would
// fit; else the Insufficient resource that covers most nodes; else the exclusion that does.
func pendingDiagnose(p *pendingCtx) *pendingDiag {
	return siteOnce(p.s, "pending-diagnosis", func() *pendingDiag { return pendingDiagnoseOnce(p) })
}

func pendingDiagnoseOnce(p *pendingCtx) *pendingDiag {
	d := &pendingDiag{Req: pendingRequests(p.pod), Nodes: p.nodes()}
	rs := p.sched.Reasons
	find := func(kind string) *pendingReason {
		var best *pendingReason
		for i := range rs {
			if rs[i].Kind == kind && (best == nil || rs[i].Count > best.Count) {
				best = &rs[i]
			}
		}
		return best
	}
	if r := find(pkPVC); r != nil {
		d.Cause, d.Reason = "pvc-unbound", r
		return d
	}
	var insuff []*pendingReason
	for i := range rs {
		if rs[i].Kind == pkInsufficient && pendingCause(rs[i].Resource) != "" {
			insuff = append(insuff, &rs[i])
		}
	}
	sort.SliceStable(insuff, func(i, j int) bool {
		if insuff[i].Count != insuff[j].Count {
			return insuff[i].Count > insuff[j].Count
		}
		return pendingRank(insuff[i].Resource) < pendingRank(insuff[j].Resource)
	})
	if len(d.Req) > 0 && len(d.Nodes) > 0 {
		byRank := append([]*pendingReason(nil), insuff...)
		sort.SliceStable(byRank, func(i, j int) bool { return pendingRank(byRank[i].Resource) < pendingRank(byRank[j].Resource) })
		for _, r := range byRank {
			if v := d.Req[r.Resource]; v > 0 {
				if max, _ := pendingMaxAlloc(d.Nodes, r.Resource); v > max {
					d.Cause, d.Reason, d.Resource, d.Impossible = pendingCause(r.Resource), r, r.Resource, true
					return d
				}
			}
		}
		for _, n := range d.Nodes {
			if p.usable(n) && pendingFits(n, d.Req) {
				d.Fit = append(d.Fit, n)
			}
		}
		if r := find(pkTaint); r != nil && len(d.Fit) > 0 {
			var first *pendingTaint
			all := true
			for _, n := range d.Fit {
				b := pendingBlocking(n, p.tolerations(), false)
				if len(b) == 0 {
					all = false
					break
				}
				if first == nil {
					first = &b[0]
				}
			}
			if all {
				d.Cause, d.Reason, d.Taint = "untolerated-taint", r, first
				return d
			}
		}
		if r := find(pkSelector); r != nil && len(d.Fit) > 0 && p.pod != nil && len(p.pod.Spec.NodeSelector) > 0 {
			all := true
			for _, n := range d.Fit {
				all = all && pendingSelectorMisses(n, p.pod.Spec.NodeSelector, d.Nodes)
			}
			if all {
				d.Cause, d.Reason = "node-selector-mismatch", r
				return d
			}
		}
	}
	if len(insuff) > 0 {
		d.Cause, d.Reason, d.Resource = pendingCause(insuff[0].Resource), insuff[0], insuff[0].Resource
		if v := d.Req[d.Resource]; v > 0 && len(d.Nodes) > 0 {
			max, _ := pendingMaxAlloc(d.Nodes, d.Resource)
			d.Impossible = v > max
		}
		return d
	}
	var excl *pendingReason
	for _, kind := range []string{pkSelector, pkPodAffinity, pkTaint, pkVolumeAffinity} {
		if r := find(kind); r != nil && (excl == nil || r.Count > excl.Count) {
			excl = r
		}
	}
	if excl == nil {
		return d
	}
	d.Reason = excl
	switch excl.Kind {
	case pkTaint:
		d.Cause = "untolerated-taint"
	case pkPodAffinity, pkVolumeAffinity:
		d.Cause = "affinity-mismatch"
	case pkSelector:
		d.Cause = "node-selector-mismatch"
		if p.pod != nil && strings.Contains(p.pod.Spec.Affinity, "node requires") {
			d.Cause = "affinity-mismatch"
			if sel := p.pod.Spec.NodeSelector; len(sel) > 0 && len(d.Nodes) > 0 {
				missAll := true
				for _, n := range d.Nodes {
					missAll = missAll && (!p.usable(n) || pendingSelectorMisses(n, sel, d.Nodes))
				}
				if missAll {
					d.Cause = "node-selector-mismatch"
				}
			}
		}
	}
	return d
}

// others lists the scheduler's other reasons, for the detail.
func (d *pendingDiag) others(ps *pendingSched) string {
	var out []string
	for i := range ps.Reasons {
		r := &ps.Reasons[i]
		if r == d.Reason {
			continue
		}
		t := r.Text
		if r.Count > 0 && !strings.HasPrefix(r.Text, "pod has") {
			t = fmt.Sprintf("%d %s", r.Count, r.Text)
		}
		if r.Kind == pkUnavailable {
			t += " (not usable for tasks)"
		}
		if r.Kind == pkInsufficient && len(d.Nodes) > 0 {
			none := 0
			for _, n := range d.Nodes {
				if pendingAlloc(n, r.Resource) == 0 {
					none++
				}
			}
			if none >= r.Count && r.Count > 0 {
				t += fmt.Sprintf(" (those nodes have no %s at all)", r.Resource)
			}
		}
		out = append(out, t)
	}
	if len(out) == 0 {
		return ""
	}
	return "The scheduler's other reasons: " + strings.Join(out, ", ") + "."
}

// ---------------------------------------------------------------------------------------------
// FD2003-FD2010

func pendingCauseSite(cause string) func(*Site) *Hit {
	return func(s *Site) *Hit {
		p := pendingLoad(s)
		if p == nil || p.sched == nil || !p.waitingForNode() {
			return nil
		}
		d := pendingDiagnose(p)
		if d.Cause != cause {
			return nil
		}
		var h *Hit
		switch cause {
		case "pvc-unbound":
			h = pendingPVCHit(p, d)
		case "untolerated-taint":
			h = pendingTaintHit(p, d)
		case "node-selector-mismatch":
			h = pendingSelectorHit(p, d)
		case "affinity-mismatch":
			h = pendingAffinityHit(p, d)
		default:
			h = pendingInsufficientHit(p, d)
		}
		h.Summary = pendingJoin(h.Summary, p.waitSummary())
		if p.s.Stuck && p.sched.ScaleUp != "" {
			h.Summary = pendingJoin(h.Summary, "the cluster autoscaler is adding a node")
			w := Warning
			h.Severity = &w
		}
		var auto string
		switch {
		case p.s.Stuck && p.sched.ScaleUp != "":
			auto = "The cluster autoscaler is adding a node: " + p.sched.ScaleUp
		case p.sched.NoScaleUp != "":
			auto = "The cluster autoscaler will not add a node: " + p.sched.NoScaleUp
		}
		h.Detail = pendingSentences("The scheduler: "+p.sched.Body(), h.Detail, d.others(p.sched), auto, p.waitDetail())
		h.Evidence = append([]string{p.sched.From + ": " + p.sched.Message}, h.Evidence...)
		if l := p.requestLine(d.Req); l != "" {
			h.Evidence = append(h.Evidence, l)
		}
		h.Fixes = append(h.Fixes, p.eventsFix())
		return h
	}
}

func (d *pendingDiag) count(ps *pendingSched) string {
	if d.Reason == nil {
		return ""
	}
	if ps.Total >= 0 {
		return fmt.Sprintf("%d of %d nodes", d.Reason.Count, ps.Total)
	}
	return fmt.Sprintf("%d nodes", d.Reason.Count)
}

func pendingInsufficientHit(p *pendingCtx, d *pendingDiag) *Hit {
	r := d.Resource
	req := d.Req[r]
	reqS := ""
	if req > 0 {
		reqS = pendingShow(r, req)
	}
	max, maxNode := pendingMaxAlloc(d.Nodes, r)
	h := &Hit{}
	var analysis string
	switch {
	case d.Impossible && max == 0:
		h.Summary = fmt.Sprintf("%s requests %s=%s but no node offers %s", p.podLabel(), r, reqS, r)
		analysis = fmt.Sprintf("None of the %d nodes has any allocatable %s, so the pod can never schedule on the current nodes", len(d.Nodes), r)
	case d.Impossible:
		h.Summary = fmt.Sprintf("%s requests %s=%s but no node has more than %s allocatable", p.podLabel(), r, reqS, pendingShow(r, max))
		analysis = fmt.Sprintf("The largest allocatable %s is %s, on %s, below the request of %s, so the pod can never schedule on the current nodes", r, pendingShow(r, max), maxNode, reqS)
	case reqS != "":
		h.Summary = fmt.Sprintf("no node has %s=%s free for %s (Insufficient %s on %s)", r, reqS, p.podLabel(), r, d.count(p.sched))
		if maxNode != "" {
			analysis = fmt.Sprintf("The request fits the allocatable %s of %s (%s), so the capacity exists but running pods hold it", r, maxNode, pendingShow(r, max))
		}
	default:
		h.Summary = fmt.Sprintf("no node has the %s %s needs (Insufficient %s on %s)", r, p.podLabel(), r, d.count(p.sched))
	}
	h.Detail = analysis
	if maxNode != "" {
		for _, n := range d.Nodes {
			if n.Name == maxNode {
				h.Evidence = append(h.Evidence, pendingNodeLine(n, d.Req, nil))
			}
		}
	}
	col := strings.ReplaceAll(r, ".", `\.`)
	h.Fixes = []Fix{{Action: fmt.Sprintf("see each node's allocatable %s and what is already allocated", r), Commands: []string{
		fmt.Sprintf("kubectl get nodes -o custom-columns=NAME:.metadata.name,%s:.status.allocatable.%s", strings.ToUpper(pendingResArg(r)), col),
		"kubectl describe nodes",
	}}}
	arg := pendingResArg(r)
	if d.Impossible {
		fit := "1"
		if max > 0 {
			fit = pendingFloor(r, max)
		}
		action := fmt.Sprintf("request at most what one node has (%s allocatable), or add a node group with larger instances", pendingShow(r, max))
		if max == 0 {
			action = fmt.Sprintf("add (or let the autoscaler create) nodes that offer %s, or drop the request", r)
		}
		h.Fixes = append(h.Fixes, Fix{Action: action, Commands: []string{fmt.Sprintf(`@task(requests=Resources(%s="%s"))`, arg, fit)}})
	} else if len(d.Nodes) == 0 || req == 0 {
		h.Fixes = append(h.Fixes, Fix{Action: fmt.Sprintf("if no node has that much %s even when empty, lower the request or add larger nodes; otherwise wait for running pods to finish or scale the node group up", r)})
	} else {
		h.Fixes = append(h.Fixes, Fix{Action: fmt.Sprintf("wait for running pods to release %s, scale the node group up (check the autoscaler's max size), or lower the request", r)})
	}
	return h
}

// pendingResArg is flytekit's Resources argument for a Kubernetes resource.
func pendingResArg(r string) string {
	r = strings.TrimPrefix(strings.TrimPrefix(r, "requests."), "limits.")
	switch {
	case r == "memory":
		return "mem"
	case r == "ephemeral-storage":
		return "ephemeral_storage"
	case pendingAccelerator(r):
		return "gpu"
	}
	return r
}

// pendingFloor rounds an amount down to a value a task can request.
func pendingFloor(r string, v float64) string {
	if pendingBytesLike(r) {
		if g := math.Floor(v / (1 << 30)); g >= 1 {
			return fmt.Sprintf("%.0fGi", g)
		}
		return fmt.Sprintf("%.0fMi", math.Floor(v/(1<<20)))
	}
	if v >= 1 {
		return fmt.Sprintf("%.0f", math.Floor(v))
	}
	return fmt.Sprintf("%.0fm", math.Floor(v*1000))
}

func pendingTaintHit(p *pendingCtx, d *pendingDiag) *Hit {
	t := pendingTaint{key: d.Reason.TaintKey, value: d.Reason.TaintVal}
	if d.Taint != nil {
		t = *d.Taint
	}
	h := &Hit{}
	if len(d.Fit) > 0 {
		where := "the only node with room for its request"
		if len(d.Fit) > 1 {
			where = fmt.Sprintf("the %d nodes with room for its request", len(d.Fit))
		}
		h.Summary = fmt.Sprintf("%s does not tolerate taint %s on %s, %s", p.podLabel(), t, pendingNames(d.Fit), where)
		if len(d.Fit) == 1 {
			h.Detail = fmt.Sprintf("Only %s can hold the request, and it carries %s", d.Fit[0].Name, t)
		} else {
			h.Detail = fmt.Sprintf("Only %s can hold the request, and each carries a taint the pod does not tolerate", pendingNames(d.Fit))
		}
		for _, n := range d.Fit {
			h.Evidence = append(h.Evidence, pendingNodeLine(n, d.Req, nil))
		}
	} else {
		h.Summary = fmt.Sprintf("%s does not tolerate taint %s (%s)", p.podLabel(), t, d.count(p.sched))
	}
	tols := "none besides the defaults"
	if p.pod != nil && len(p.pod.Spec.Tolerations) > 0 {
		tols = strings.Join(p.pod.Spec.Tolerations, ", ")
	}
	if p.pod != nil {
		h.Detail = pendingSentences(h.Detail, "The pod's tolerations: "+tols)
	}
	op := `operator="Equal", value="` + t.value + `"`
	yamlOp := "operator: Equal, value: " + t.value
	if t.value == "" {
		op, yamlOp = `operator="Exists"`, "operator: Exists"
	}
	eff, yamlEff := "", ""
	if t.effect != "" {
		eff, yamlEff = fmt.Sprintf(`, effect="%s"`, t.effect), ", effect: "+t.effect
	}
	h.Fixes = []Fix{{Action: fmt.Sprintf("add a toleration for %s to the task's pod template", t), Commands: []string{
		fmt.Sprintf(`@task(pod_template=PodTemplate(pod_spec=V1PodSpec(containers=[], tolerations=[V1Toleration(key="%s", %s%s)])))`, t.key, op, eff),
	}}}
	res := ""
	for r := range d.Req {
		if pendingAccelerator(r) {
			res = r
		}
	}
	if res == "" && pendingAccelerator(t.key) {
		res = "nvidia.com/gpu"
	}
	if res != "" {
		h.Fixes = append(h.Fixes, Fix{Action: fmt.Sprintf("or have Flyte add it to every pod that requests %s, in the propeller config", res), Commands: []string{
			fmt.Sprintf("plugins.k8s.resource-tolerations: {%s: [{key: %s, %s%s}]}", res, t.key, yamlOp, yamlEff),
		}})
	}
	cmd := "kubectl describe nodes"
	if len(d.Fit) > 0 {
		cmd = "kubectl describe node " + d.Fit[0].Name
	}
	h.Fixes = append(h.Fixes, Fix{Action: "check the node's taints", Commands: []string{cmd}})
	return h
}

func pendingSelectorHit(p *pendingCtx, d *pendingDiag) *Hit {
	h := &Hit{}
	var sel map[string]string
	if p.pod != nil {
		sel = p.pod.Spec.NodeSelector
	}
	if len(sel) == 0 {
		h.Summary = fmt.Sprintf("%s didn't match %s's node affinity/selector", d.count(p.sched), p.podLabel())
		h.Fixes = []Fix{{Action: "compare the pod's node selector with the nodes' labels", Commands: []string{"kubectl get nodes --show-labels"}}}
		return h
	}
	keys := make([]string, 0, len(sel))
	for k := range sel {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	h.Summary = fmt.Sprintf("no node with room for %s matches its node selector %s (%s didn't match)", p.podLabel(), pendingSelector(sel), d.count(p.sched))
	var seen []string
	for _, k := range keys {
		vals := map[string]bool{}
		for _, n := range d.Nodes {
			if v, ok := n.Labels[k]; ok {
				vals[v] = true
			}
		}
		if len(vals) == 0 {
			if len(d.Nodes) > 0 {
				seen = append(seen, fmt.Sprintf("the node summary shows no label %s (it keeps only well-known scheduling labels)", k))
			}
			continue
		}
		var vs []string
		for v := range vals {
			vs = append(vs, v)
		}
		sort.Strings(vs)
		seen = append(seen, fmt.Sprintf("nodes carry %s=%s", k, strings.Join(vs, "|")))
	}
	if len(seen) > 0 {
		h.Detail = fmt.Sprintf("The pod selects %s, but %s", pendingSelector(sel), strings.Join(seen, "; "))
	}
	for _, n := range d.Nodes {
		if l := pendingNodeLine(n, nil, keys); l != "" {
			h.Evidence = append(h.Evidence, l)
		}
	}
	h.Fixes = []Fix{
		{Action: "list the nodes with the selector's labels", Commands: []string{"kubectl get nodes -L " + strings.Join(keys, ",")}},
		{Action: fmt.Sprintf("change node selector %s in the task's pod template to labels the nodes carry, or label the intended nodes", pendingSelector(sel))},
	}
	return h
}

func pendingAffinityHit(p *pendingCtx, d *pendingDiag) *Hit {
	h := &Hit{}
	aff := ""
	if p.pod != nil {
		aff = p.pod.Spec.Affinity
	}
	switch d.Reason.Kind {
	case pkVolumeAffinity:
		h.Summary = fmt.Sprintf("%s conflict with the node affinity of a volume %s mounts (%s)", d.count(p.sched), p.podLabel(), d.Reason.Text)
		h.Detail = "A PersistentVolume can only attach in its own zone; the nodes there are full or absent"
		h.Fixes = []Fix{{Action: "check the volume's zone against the nodes' zones", Commands: []string{
			"kubectl get pv -o custom-columns=NAME:.metadata.name,CLAIM:.spec.claimRef.name,AFFINITY:.spec.nodeAffinity.required",
			"kubectl get nodes -L topology.kubernetes.io/zone"}}}
		return h
	case pkPodAffinity:
		h.Summary = fmt.Sprintf("%s fail %s's pod affinity rules (%s)", d.count(p.sched), p.podLabel(), d.Reason.Text)
		if m := pendingPodAffRe.FindStringSubmatch(aff); m != nil {
			why := fmt.Sprintf("Pods labelled %s already occupy every %s the pod may use", m[2], m[3])
			if !strings.Contains(m[1], "anti") {
				why = fmt.Sprintf("No pod labelled %s runs in a %s the pod may use", m[2], m[3])
			}
			h.Detail = pendingSentences("The pod's affinity: "+aff, why)
			h.Fixes = []Fix{
				{Action: fmt.Sprintf("see where the pods labelled %s run", m[2]), Commands: []string{fmt.Sprintf("kubectl get pods -A -l %s -o wide", m[2])}},
				{Action: fmt.Sprintf("relax the %s in the task's pod template (preferred instead of required), or add nodes", m[1])},
			}
			return h
		}
	default:
		h.Summary = fmt.Sprintf("no node satisfies %s's required node affinity (%s didn't match)", p.podLabel(), d.count(p.sched))
	}
	if aff != "" {
		h.Detail = "The pod's affinity: " + aff
	}
	h.Fixes = []Fix{{Action: "compare the pod's affinity with the nodes' labels", Commands: []string{"kubectl get nodes --show-labels"}}}
	if m := pendingNodeReqRe.FindStringSubmatch(aff); m != nil {
		key, vals := m[1], m[2]
		carried := map[string]bool{}
		for _, n := range d.Nodes {
			if v, ok := n.Labels[key]; ok {
				carried[v] = true
			}
		}
		var vs []string
		for v := range carried {
			vs = append(vs, v)
		}
		sort.Strings(vs)
		switch {
		case len(d.Nodes) > 0 && len(vs) == 0:
			h.Detail = pendingSentences(h.Detail, fmt.Sprintf("The node summary shows no label %s on any node (it keeps only well-known scheduling labels, so confirm with kubectl get nodes -L %s)", key, key))
		case len(vs) > 0:
			h.Detail = pendingSentences(h.Detail, fmt.Sprintf("Nodes carry %s=%s, not %s", key, strings.Join(vs, "|"), vals))
		}
		h.Fixes[0].Commands = []string{"kubectl get nodes -L " + key}
		if strings.Contains(key, "accelerator") {
			h.Detail = pendingSentences(h.Detail, fmt.Sprintf("Flyte adds this requirement to tasks with accelerator=...: %s is plugins.k8s.gpu-device-node-label, and the value comes from the task's accelerator", key))
			gpuLabel := ""
			for _, n := range d.Nodes {
				for k := range n.Labels {
					if k == "nvidia.com/gpu.product" || k == "cloud.google.com/gke-accelerator" {
						gpuLabel = k
					}
				}
			}
			action := fmt.Sprintf("set plugins.k8s.gpu-device-node-label to the label your GPU nodes carry, or label the GPU nodes %s=%s", key, vals)
			if gpuLabel != "" {
				action = fmt.Sprintf("set plugins.k8s.gpu-device-node-label to a label your GPU nodes carry (they have %s), or label them %s=%s", gpuLabel, key, vals)
			}
			h.Fixes = append(h.Fixes, Fix{Action: action})
		} else {
			h.Fixes = append(h.Fixes, Fix{Action: fmt.Sprintf("relax the node affinity on %s in the task's pod template, or label the intended nodes %s=%s", key, key, vals)})
		}
		for _, n := range d.Nodes {
			if l := pendingNodeLine(n, nil, []string{key, "nvidia.com/gpu.product"}); n.Ready && l != "" {
				h.Evidence = append(h.Evidence, l)
			}
		}
		return h
	}
	h.Fixes = append(h.Fixes, Fix{Action: "relax the affinity in the task's pod template, or add nodes that satisfy it"})
	return h
}

func pendingPVCHit(p *pendingCtx, d *pendingDiag) *Hit {
	h := &Hit{}
	ns := p.namespace()
	var claims []string
	if m := pendingClaimRe.FindStringSubmatch(d.Reason.Text); m != nil {
		claims = []string{m[1]}
		if m[2] == "not found" {
			h.Summary = fmt.Sprintf("%s mounts PersistentVolumeClaim %q, which does not exist in %s", p.podLabel(), m[1], ns)
		} else {
			h.Summary = fmt.Sprintf("%s mounts PersistentVolumeClaim %q, which is being deleted", p.podLabel(), m[1])
		}
	} else {
		if p.pod != nil {
			for _, v := range p.pod.Spec.Volumes {
				if v.Kind == "persistentVolumeClaim" {
					claims = append(claims, v.Ref)
				}
			}
		}
		what := "a PersistentVolumeClaim"
		if len(claims) > 0 {
			what = "PersistentVolumeClaim " + strings.Join(claims, ", ")
		}
		if strings.Contains(d.Reason.Text, "persistent volumes to bind") {
			h.Summary = fmt.Sprintf("no PersistentVolume is available to bind %s of %s", what, p.podLabel())
		} else {
			h.Summary = fmt.Sprintf("%s waits for %s to be bound", p.podLabel(), what)
		}
		h.Detail = "The claim has no volume: its StorageClass has no provisioner, the provisioner failed, or no static PersistentVolume matches"
	}
	cmds := []string{"kubectl get pvc -n " + ns}
	for _, c := range claims {
		cmds = append(cmds, fmt.Sprintf("kubectl describe pvc -n %s %s", ns, c))
	}
	h.Fixes = []Fix{
		{Action: "check the claim's status and events", Commands: cmds},
		{Action: "create the claim in the execution's namespace, or fix its StorageClass so a volume is provisioned"},
	}
	return h
}

// ---------------------------------------------------------------------------------------------
// FD2001: ResourceQuota

type pendingQuota struct {
	name, text     string
	req, used, lim map[string]string
	order          []string
	mustSpecify    string
	permanent      bool
}

func pendingQuotaList(s string) (map[string]string, []string) {
	out := map[string]string{}
	var order []string
	for _, kv := range strings.Split(s, ",") {
		if k, v, ok := strings.Cut(strings.TrimSpace(kv), "="); ok {
			out[k] = v
			order = append(order, k)
		}
	}
	return out, order
}

func pendingFindQuota(s *Site, p *pendingCtx) *pendingQuota {
	var texts []string
	switch {
	case p.code == "ResourceRequestsExceedLimits" || p.code == "RuntimeFailure":
		texts = []string{p.msg}
	case p.s.Stuck && p.last.Phase == "WAITING_FOR_RESOURCES":
		texts = append(texts, p.last.Reason)
		for j := len(p.last.Reasons) - 1; j >= 0; j-- {
			texts = append(texts, p.last.Reasons[j].Message)
		}
	case !p.s.Stuck && (p.code == "" || p.code == "Timeout" || p.code == "TimeoutExpired"):
		// the node's deadline ran out while the attempt still waited for quota
		texts = []string{pendingLatestReason(p.last)}
	}
	for _, t := range texts {
		if m := pendingQuotaRe.FindStringSubmatch(t); m != nil {
			q := &pendingQuota{name: strings.TrimSpace(m[1]), text: t, permanent: p.code == "ResourceRequestsExceedLimits"}
			q.req, q.order = pendingQuotaList(m[2])
			q.used, _ = pendingQuotaList(m[3])
			q.lim, _ = pendingQuotaList(m[4])
			return q
		}
		if m := pendingQuotaSpecRe.FindStringSubmatch(t); m != nil {
			// "must specify limits.cpu for: c; limits.memory for: c" (1.27+) or "must specify limits.cpu,limits.memory"
			what := strings.TrimSpace(m[2])
			if fs := pendingForRe.FindAllStringSubmatch(what, -1); len(fs) > 0 {
				var rs []string
				for _, f := range fs {
					rs = append(rs, f[1])
				}
				what = strings.Join(rs, ", ")
			} else {
				what = strings.ReplaceAll(what, ",", ", ")
			}
			return &pendingQuota{name: strings.TrimSpace(m[1]), text: t, mustSpecify: what}
		}
	}
	return nil
}

func pendingQuotaSite(s *Site) *Hit {
	p := pendingLoad(s)
	if p == nil {
		return nil
	}
	q := pendingFindQuota(s, p)
	if q == nil {
		return nil
	}
	ns := p.namespace()
	var cur *evidence.ResourceQuota
	for i := range s.Kube().Quotas {
		if s.Kube().Quotas[i].Name == q.name {
			cur = &s.Kube().Quotas[i]
		}
	}
	h := &Hit{Evidence: []string{q.text}}
	getCmd := fmt.Sprintf("kubectl get resourcequota -n %s %s -o yaml", ns, q.name)
	if q.mustSpecify != "" {
		h.Summary = fmt.Sprintf("quota %s in %s requires every pod to set %s, and %s does not", q.name, ns, q.mustSpecify, p.podLabel())
		h.Detail = pendingSentences("The API server refused the pod: "+firstLine(q.text),
			"Flyte reports this as RuntimeFailure (USER, retryable), and each retry is refused the same way")
		example := map[string]string{"cpu": "1", "mem": "2Gi", "ephemeral_storage": "10Gi", "gpu": "1"}
		var args []string
		seen := map[string]bool{}
		for _, r := range strings.Split(q.mustSpecify, ", ") {
			a := pendingResArg(r)
			if v, ok := example[a]; ok && !seen[a] {
				seen[a] = true
				args = append(args, fmt.Sprintf(`%s="%s"`, a, v))
			}
		}
		if len(args) == 0 {
			args = []string{`cpu="1"`, `mem="2Gi"`}
		}
		h.Fixes = []Fix{
			{Action: fmt.Sprintf("set %s on the task (sizes here are examples; Flyte copies requests to limits when limits are not set)", q.mustSpecify),
				Commands: []string{pendingTaskResources("limits", args)}},
			{Action: "or give the namespace a LimitRange with defaults, so pods that set nothing still get limits", Commands: []string{getCmd, "kubectl get limitrange -n " + ns}},
		}
		return h
	}
	// The resources that do not fit: at or above the hard limit when permanent, else used+requested above it.
	var over, phrases []string
	for _, r := range q.order {
		req, ok1 := parseQuantity(q.req[r])
		lim, ok2 := parseQuantity(q.lim[r])
		used, _ := parseQuantity(q.used[r])
		if !ok1 || !ok2 {
			continue
		}
		if (q.permanent && req >= lim) || (!q.permanent && used+req > lim) {
			over = append(over, r)
		}
	}
	if len(over) == 0 {
		over = q.order
	}
	for _, r := range over {
		if q.permanent {
			phrases = append(phrases, fmt.Sprintf("%s=%s against a hard limit of %s", r, q.req[r], q.lim[r]))
		} else {
			phrases = append(phrases, fmt.Sprintf("%s=%s with %s of %s used", r, q.req[r], orUnknown(q.used[r]), q.lim[r]))
		}
	}
	if q.permanent {
		h.Summary = fmt.Sprintf("%s asks for %s in quota %s, more than the whole namespace may use; Flyte failed it permanently (ResourceRequestsExceedLimits)",
			p.podLabel(), strings.Join(phrases, ", "), q.name)
		h.Detail = "Flyte fails a task at once when its request is at or above the quota's hard limit, because it could never be admitted: code ResourceRequestsExceedLimits, kind USER, not retried"
	} else {
		h.Summary = pendingJoin(fmt.Sprintf("quota %s in %s has no room for %s: %s", q.name, ns, p.podLabel(), strings.Join(phrases, ", ")), p.quotaWait())
		h.Detail = "Flyte keeps the attempt in WAITING_FOR_RESOURCES and retries the pod creation with back-off; this does not use a retry and has no timeout other than the node's active deadline"
		if p.s.Stuck {
			if age := pendingAge(p.waited()); age != "" {
				h.Detail = pendingSentences(h.Detail, fmt.Sprintf("It has waited %s", age))
			}
		}
	}
	h.Detail = pendingSentences("The API server refused the pod: "+pendingQuotaQuote(q.text), h.Detail)
	if cur != nil {
		var now []string
		for _, r := range over {
			if hv, ok := cur.Hard[r]; ok {
				now = append(now, fmt.Sprintf("%s used %s of %s", r, orUnknown(cur.Used[r]), hv))
			}
		}
		if len(now) > 0 {
			line := fmt.Sprintf("quota %s now: %s", q.name, strings.Join(now, ", "))
			h.Detail = pendingSentences(h.Detail, "Now: "+strings.Join(now, ", "))
			h.Evidence = append(h.Evidence, line)
		}
	}
	// A concrete request that would fit.
	var args []string
	kind := "requests"
	for _, r := range over {
		lim, _ := parseQuantity(q.lim[r])
		used, _ := parseQuantity(q.used[r])
		room := lim
		if !q.permanent {
			room = lim - used
		}
		if room <= 0 {
			continue
		}
		if strings.HasPrefix(r, "limits.") {
			kind = "limits"
		}
		if q.permanent {
			room = room * 0.99 // strictly below the hard limit
		}
		args = append(args, fmt.Sprintf(`%s="%s"`, pendingResArg(r), pendingFloor(strings.TrimPrefix(strings.TrimPrefix(r, "requests."), "limits."), room)))
	}
	h.Fixes = []Fix{{Action: "compare the quota's hard limits with what is used", Commands: []string{getCmd}}}
	if q.permanent {
		fix := Fix{Action: fmt.Sprintf("request less than quota %s's hard limit, or raise the quota for the project and domain", q.name)}
		if len(args) > 0 {
			fix.Commands = []string{pendingTaskResources(kind, args)}
		}
		h.Fixes = append(h.Fixes, fix)
	} else {
		fix := Fix{Action: "wait for the namespace's other pods to finish, run fewer tasks at once (map_task concurrency), or lower the task's request to what is free"}
		if len(args) > 0 {
			fix.Commands = []string{pendingTaskResources(kind, args)}
		}
		h.Fixes = append(h.Fixes, fix)
	}
	h.Fixes = append(h.Fixes, Fix{Action: "or raise the quota; flyte-core's project-quota comes from flyteadmin's cluster resource templates and can be set per project and domain",
		Commands: []string{"flytectl update cluster-resource-attribute --attrFile cra.yaml"}})
	return h
}

// pendingTaskResources is the @task change: a limit is lowered together with the request, since
// a request above its limit is invalid.
func pendingTaskResources(kind string, args []string) string {
	a := strings.Join(args, ", ")
	if kind == "limits" {
		return fmt.Sprintf("@task(requests=Resources(%s), limits=Resources(%s))", a, a)
	}
	return fmt.Sprintf("@task(requests=Resources(%s))", a)
}

func (p *pendingCtx) quotaWait() string {
	if !p.s.Stuck {
		return p.waitSummary()
	}
	if age := pendingAge(p.waited()); age != "" {
		return fmt.Sprintf("%s for %s", p.last.Phase, age)
	}
	return p.last.Phase
}

// pendingQuotaQuote cuts Flyte's wrappers off the API server's words.
func pendingQuotaQuote(t string) string {
	if i := strings.Index(t, "pods \""); i >= 0 {
		return t[i:]
	}
	return firstLine(t)
}

// ---------------------------------------------------------------------------------------------
// FD2002: LimitRange

func pendingLimitRangeSite(s *Site) *Hit {
	if s.Node == nil || len(s.Attempts) == 0 || s.Stuck {
		return nil
	}
	var text string
	rejected := 0
	for _, a := range s.Attempts {
		if a.Error == nil {
			continue
		}
		_, m := Unwrap(a.Error.Code, a.Error.Message)
		if pendingLimitRe.MatchString(m) || pendingRatioRe.MatchString(m) {
			rejected++
			text = m
		}
	}
	if text == "" {
		if _, m, _ := s.Error(); pendingLimitRe.MatchString(m) || pendingRatioRe.MatchString(m) {
			text, rejected = m, 1
		}
	}
	if text == "" {
		return nil
	}
	ns := pendingNamespace(s)
	type violation struct{ bound, resource, scope, allowed, what, asked string }
	var vs []violation
	for _, m := range pendingLimitRe.FindAllStringSubmatch(text, -1) {
		vs = append(vs, violation{m[1], m[2], m[3], m[4], m[5], m[6]})
	}
	var phrases []string
	for _, v := range vs {
		word := "at most"
		if v.bound == "minimum" {
			word = "at least"
		}
		phrases = append(phrases, fmt.Sprintf("%s %s=%s per %s, the task's %s is %s", word, v.resource, v.allowed, v.scope, v.what, v.asked))
	}
	for _, m := range pendingRatioRe.FindAllStringSubmatch(text, -1) {
		phrases = append(phrases, fmt.Sprintf("a %s limit/request ratio of at most %s per %s, the task's is %s", m[1], m[3], m[2], m[4]))
	}
	// Name the LimitRange that sets the violated bound.
	lrName := ""
	for _, lr := range s.Kube().LimitRanges {
		for _, it := range lr.Items {
			for _, v := range vs {
				b := it.Max
				if v.bound == "minimum" {
					b = it.Min
				}
				if it.Type == v.scope && b[v.resource] == v.allowed {
					lrName = lr.Name
				}
			}
		}
	}
	who := "a LimitRange"
	if lrName != "" {
		who = "LimitRange " + lrName
	}
	h := &Hit{Summary: fmt.Sprintf("%s in %s requires %s", who, ns, strings.Join(phrases, "; "))}
	if n := len(s.Attempts); rejected > 1 && rejected == n {
		h.Summary += fmt.Sprintf("; all %d attempts were refused", n)
	}
	h.Detail = pendingSentences("The API server refused the pod: "+pendingQuotaQuote(text),
		"Flyte reports this as RuntimeFailure (USER, retryable), so every retry is refused the same way; when a task sets only requests, Flyte uses them as limits too")
	h.Evidence = []string{text}
	var args []string
	kind := "limits"
	for _, v := range vs {
		if v.what == "request" {
			kind = "requests"
		}
		args = append(args, fmt.Sprintf(`%s="%s"`, pendingResArg(v.resource), v.allowed))
	}
	lrCmd := "kubectl get limitrange -n " + ns + " -o yaml"
	if lrName != "" {
		lrCmd = fmt.Sprintf("kubectl get limitrange -n %s %s -o yaml", ns, lrName)
	}
	h.Fixes = []Fix{{Action: "read the LimitRange's bounds", Commands: []string{lrCmd}}}
	fix := Fix{Action: "keep the task's requests and limits inside the bounds, or ask the platform team to widen the LimitRange"}
	if len(args) > 0 {
		fix.Commands = []string{pendingTaskResources(kind, args)}
	}
	h.Fixes = append(h.Fixes, fix)
	return h
}

// ---------------------------------------------------------------------------------------------
// FD2011: pending without a recognised reason

func pendingGenericSite(s *Site) *Hit {
	p := pendingLoad(s)
	if p == nil || pendingFindQuota(s, p) != nil {
		return nil
	}
	unsched := p.waitingForNode()
	if p.sched != nil && unsched && pendingDiagnose(p).Cause != "" {
		return nil // a specific FD2 rule explains it
	}
	h := &Hit{}
	var fixes []Fix
	stillWaiting := p.s.Stuck && p.timedOut == 0
	switch {
	case p.sched != nil && unsched:
		h.Summary = fmt.Sprintf("%s is unschedulable (%s)", p.podLabel(), p.sched.Body())
		h.Detail = "The scheduler: " + p.sched.Body()
		if pendingAllUnavailable(p.sched) {
			h.Summary = fmt.Sprintf("no node is usable for %s (%s)", p.podLabel(), p.sched.Body())
			h.Detail = pendingSentences(h.Detail, "Every node the scheduler looked at is unusable (not ready, unreachable, cordoned or a control-plane node): this is a cluster problem, not the task's")
			fixes = append(fixes, Fix{Action: "find out why the nodes are not usable", Commands: []string{"kubectl get nodes", "kubectl describe nodes"}})
		}
		h.Evidence = []string{p.sched.From + ": " + p.sched.Message}
	case p.timedOut > 0:
		last := pendingLatestReason(p.last)
		if c, m := pendingErr(p.last); c == "PodPendingTimeout" && m != "" {
			last = m
		}
		state := "Pending"
		if m := pendingWaitingRe.FindStringSubmatch(last); m != nil {
			state = m[1]
		}
		h.Summary = fmt.Sprintf("%s was still %s when Flyte's pod-pending-timeout failed it", p.podLabel(), state)
		if age := pendingAge(p.waited()); age != "" && p.timedOut == 1 {
			h.Summary += " after " + age
		} else if n := len(p.s.Attempts); p.timedOut > 1 && p.timedOut == n {
			h.Summary += fmt.Sprintf(" (%d attempts, all timed out)", n)
		}
		if last != "" {
			h.Detail = "The last pending reason: " + last
			h.Evidence = []string{last}
		}
		if pendingImagePullRe.MatchString(last) {
			h.Detail = pendingSentences(h.Detail, "The pod was pulling its image: see the image-pull finding")
		}
	case stillWaiting && unsched && (p.last.Phase == "QUEUED" || p.last.Phase == "WAITING_FOR_RESOURCES" || p.last.Phase == "UNDEFINED") && p.waited() >= pendingQuietFor:
		switch {
		case p.pod != nil && p.pod.Spec.SchedulerName != "" && p.pod.Spec.SchedulerName != "default-scheduler":
			h.Summary = fmt.Sprintf("%s names scheduler %q, which has not placed it", p.podLabel(), p.pod.Spec.SchedulerName)
			h.Detail = fmt.Sprintf("No scheduler event or condition exists for the pod: check that %s is installed and running", p.pod.Spec.SchedulerName)
		case p.pod != nil:
			h.Summary = fmt.Sprintf("%s is Pending with no scheduling decision", p.podLabel())
			h.Detail = "The pod has no PodScheduled condition and no scheduler event: check kube-scheduler (or the pod's schedulerName) and admission webhooks"
		default:
			h.Summary = fmt.Sprintf("the task is %s and its pod is not visible", p.last.Phase)
			h.Detail = "flytedoctor found no pod for the attempt: flytepropeller may not have created it (check its logs), or the pod was deleted"
		}
		h.Evidence = []string{fmt.Sprintf("attempt %d phase %s, reason %q", p.last.RetryAttempt, p.last.Phase, pendingLatestReason(p.last))}
	default:
		return nil
	}
	if p.timedOut == 0 {
		h.Summary = pendingJoin(h.Summary, p.waitSummary())
	}
	h.Detail = pendingSentences(h.Detail, p.waitDetail())
	if stillWaiting {
		w := Warning
		h.Severity = &w
	}
	h.Fixes = append([]Fix{p.eventsFix()}, fixes...)
	if stillWaiting {
		h.Fixes = append(h.Fixes, Fix{Action: "set plugins.k8s.pod-pending-timeout in the propeller config so tasks that cannot start fail instead of waiting forever"})
	} else {
		h.Fixes = append(h.Fixes, Fix{Action: "fix what keeps the pod Pending, then relaunch; raise plugins.k8s.pod-pending-timeout if pods legitimately wait for new nodes"})
	}
	return h
}

func pendingErr(a *evidence.TaskAttempt) (string, string) {
	if a.Error == nil {
		return "", ""
	}
	return Unwrap(a.Error.Code, a.Error.Message)
}

func pendingAllUnavailable(ps *pendingSched) bool {
	if len(ps.Reasons) == 0 {
		return false
	}
	for _, r := range ps.Reasons {
		if r.Kind != pkUnavailable {
			return false
		}
	}
	return true
}
