package pending

import (
	"cmp"
	"fmt"
	"strings"
	"time"

	"github.com/flytedoctor/flytedoctor/collectors/evidence"
	"github.com/flytedoctor/flytedoctor/rules/internal/pattern"
	"github.com/flytedoctor/flytedoctor/rules/internal/read"
	"github.com/flytedoctor/flytedoctor/rules/rule"
)

// quietFor is how long a task may sit QUEUED without any scheduler verdict before
// FD2011 calls it out.
const quietFor = 5 * time.Minute

// scaleUpWindow is how recent a TriggeredScaleUp event must be to count as "a node
// is on its way".
const scaleUpWindow = 10 * time.Minute

var schedRe = pattern.MustCompile(`\d+/\d+ nodes are available|no nodes available to schedule pods|unbound immediate PersistentVolumeClaims|persistentvolumeclaim "[^"]+" (?:not found|is being deleted)`)

var nodesRe = pattern.MustCompile(`(\d+)/(\d+) nodes are available:\s*(.*)`)

var countRe = pattern.MustCompile(`^(\d+) (.+)$`)

var insuffRe = pattern.MustCompile(`^Insufficient (\S+)$`)

var taintRe = pattern.MustCompile(`had (?:untolerated )?taint \{([^:}]*):\s*([^}]*)\}`)

var claimRe = pattern.MustCompile(`persistentvolumeclaim "([^"]+)" (not found|is being deleted)`)

var quotaRe = pattern.MustCompile(`exceeded quota: ([^,]+), requested: (\S+), used: (\S+), limited: ([^\s"\]]+)`)

var quotaSpecRe = pattern.MustCompile(`failed quota: ([^:]+): must specify ([^"\]\n]+)`)

var limitRe = pattern.MustCompile(`(maximum|minimum) (\S+) usage per (Container|Pod) is (\S+), but (limit|request) is ([^,\]\s]+)`)

var ratioRe = pattern.MustCompile(`(\S+) max limit to request ratio per (Container|Pod) is (\S+), but provided ratio is ([0-9.]+)`)

var nodeReqRe = pattern.MustCompile(`node requires (\S+) In \[([^\]]*)\]`)

var imagePullRe = pattern.MustCompile(`ErrImagePull|ImagePullBackOff|InvalidImageName`)

var podAffRe = pattern.MustCompile(`(pod (?:anti-)?affinity) requires (\S+) per (\S+)`)

var forRe = pattern.MustCompile(`([A-Za-z0-9./_-]+) for: `)

var waitingRe = pattern.MustCompile(`^\[[^|\]]*\|([^\]]+)\]`)

const timeoutDoc = `
Flyte reports an unschedulable pod as task phase QUEUED with reason
"Unschedulable:<scheduler message>" (DemystifyPending), not as an error. Its pending timeout,
plugins.k8s.pod-pending-timeout, is 0 (off) by default, so the task stays QUEUED until the pod
schedules, the node's active deadline (node-active-deadline, which counts queue time) expires, or
someone aborts the execution: flytedoctor says how long it has waited. When a deployment sets the
timeout, Flyte fails the attempt with code PodPendingTimeout, kind USER, retryable, and the
message is the last pending reason; each retry then waits again and usually meets the same wall.
While the cluster autoscaler reports a recent TriggeredScaleUp for the pod, the finding is only a
warning: a node is on its way.`

// state is what the FD2 rules know about a site's latest attempt.
type state struct {
	s         *rule.Site
	last      *evidence.TaskAttempt
	pod       *evidence.Pod // the latest attempt's pod, when it is visible
	podName   string
	code, msg string
	timedOut  int // attempts Flyte failed with PodPendingTimeout
	sched     *sched
	since     time.Time
	until     time.Time
}

// stateOf is what the family reads from a site (its waiting pod, the scheduler's message, the
// nodes and quotas), read once per site by readState.
func stateOf(s *rule.Site) *state {
	return rule.SiteOnce(s, "pending", func() *state { return readState(s) })
}

// readState reads the site's pending state; nil for a site without attempts.
func readState(s *rule.Site) *state {
	if s.Node == nil || len(s.Attempts) == 0 {
		return nil
	}
	p := &state{s: s, last: s.Attempts[len(s.Attempts)-1]}
	p.code, p.msg, _ = s.Error()
	for _, a := range s.Attempts {
		if a.Error != nil {
			if c, _ := rule.Unwrap(a.Error.Code, a.Error.Message); c == "PodPendingTimeout" {
				p.timedOut++
			}
		}
	}
	if p.timedOut == 0 && p.code == "PodPendingTimeout" {
		p.timedOut = 1
	}
	p.pod = pod(s, p.last)
	p.podName = cmp.Or(p.last.PrimaryPodName, p.last.PodName)
	if p.pod != nil {
		p.podName = p.pod.Name
	}
	p.sched = findSched(s, p.podName)
	p.since, p.until = window(p)
	return p
}

func pod(s *rule.Site, a *evidence.TaskAttempt) *evidence.Pod {
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
		for _, n := range s.PodNames() {
			if p := s.Pods[n]; p.Phase == "Pending" && !scheduled(p) {
				return p
			}
		}
	}
	return nil
}

func scheduled(p *evidence.Pod) bool {
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
func (p *state) waitingForNode() bool {
	if p.pod != nil {
		return !scheduled(p.pod)
	}
	if p.s.Stuck {
		switch p.last.Phase {
		case evidence.PhaseQueued, evidence.PhaseWaitingForResources, evidence.PhaseUndefined:
			return true
		}
		return false
	}
	switch p.code {
	case "PodPendingTimeout":
		return true
	case "", "Timeout", "TimeoutExpired":
		return schedRe.MatchString(latestReason(p.last))
	}
	return false
}

func latestReason(a *evidence.TaskAttempt) string {
	if a.Reason != "" {
		return a.Reason
	}
	if n := len(a.Reasons); n > 0 {
		return a.Reasons[n-1].Message
	}
	return ""
}

// window is when the latest attempt started waiting, and until when (now, when stuck).
func window(p *state) (since, until time.Time) {
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

func (p *state) waited() time.Duration {
	if p.since.IsZero() || p.until.IsZero() || p.until.Before(p.since) {
		return 0
	}
	return p.until.Sub(p.since)
}

func (p *state) namespace() string {
	if p.pod != nil && p.pod.Namespace != "" {
		return p.pod.Namespace
	}
	return namespace(p.s)
}

// namespace is the execution's namespace, as Kubernetes or Admin knows it.
func namespace(s *rule.Site) string {
	ns := ""
	if s.Snapshot.Kube != nil {
		ns = s.Snapshot.Kube.Namespace
	}
	return cmp.Or(ns, s.Execution.Namespace, "NAMESPACE")
}

// eventsFix points at the pod's events: describe while the pod exists, else the events, which
// outlive it for about an hour.
func (p *state) eventsFix() rule.Fix {
	ns, pod := p.namespace(), read.OrUnknown(p.podName)
	events := fmt.Sprintf("kubectl get events -n %s --field-selector involvedObject.name=%s", ns, pod)
	switch {
	case p.pod != nil:
		return rule.Fix{Action: "read the pod's events and conditions", Commands: []string{fmt.Sprintf("kubectl describe pod -n %s %s", ns, pod)}}
	case p.s.Missing[p.podName]:
		return rule.Fix{Action: "read the pod's events (the pod itself is gone)", Commands: []string{events}}
	}
	return rule.Fix{Action: "read the pod's events and conditions", Commands: []string{fmt.Sprintf("kubectl describe pod -n %s %s", ns, pod), events}}
}

func (p *state) podLabel() string {
	if p.podName != "" {
		return "pod " + p.podName
	}
	return "the task's pod"
}

// waitSummary says how long the attempt has waited, for the end of a summary.
func (p *state) waitSummary() string {
	age := age(p.waited())
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
func (p *state) waitDetail() string {
	switch {
	case p.s.Stuck:
		t := fmt.Sprintf("The task is %s", p.last.Phase)
		if age := age(p.waited()); age != "" {
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

func join(parts ...string) string {
	var out []string
	for _, p := range parts {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, "; ")
}

func sentences(parts ...string) string {
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
