package system

import (
	"fmt"
	"strings"
	"time"

	"github.com/flytedoctor/flytedoctor/collectors/evidence"
	"github.com/flytedoctor/flytedoctor/rules/internal/read"
	"github.com/flytedoctor/flytedoctor/rules/rule"
)

// Cases: fires-initializing-pod-completed-2032 quotes the reason of
// https://github.com/flyteorg/flyte/issues/2032 verbatim (a node left at ContainerCreating while
// its pod completed); fires-orphan-pod-runs-after-failure-3239 is
// https://github.com/flyteorg/flyte/issues/3239 (a pod still running after Flyte failed its
// attempt on "Back-off pulling image").
//
// staleAfter is how long Admin and the cluster may disagree before it counts: propeller
// re-evaluates a running workflow every few seconds to half a minute, so five minutes of a
// finished or vanished pod under a running attempt is not a lag.
const staleAfter = 5 * time.Minute

const causeLostTrack = "propeller-lost-track"

const causeUntracked = "pod-without-task-execution"

const causeOrphan = "orphan-pod"

const causeUnknownPhase = "phase-unknown"

// PropellerLostTrack is FD8005: Flyte Admin and the cluster disagree about a task attempt.
func PropellerLostTrack() *rule.Rule {
	return &rule.Rule{
		ID: "FD8005", Name: "propeller-lost-track", Title: "Flyte Admin and the cluster disagree about a task attempt",
		Category: rule.CatSystem, Causes: []string{causeLostTrack, causeUntracked, causeOrphan, causeUnknownPhase}, Severity: rule.Error,
		Requires: []rule.Evidence{rule.Admin, rule.Kube},
		Doc: `Admin's phase comes from the events flytepropeller sends while it evaluates the workflow; the pod's
phase comes from the kubelet. When they disagree for minutes, propeller has lost track of the
attempt, which is a failure class of its own: no task rule applies, and the execution never
finishes by itself. flytedoctor reports, once the disagreement is older than five minutes:
Admin says an attempt is QUEUED, INITIALIZING or RUNNING but its pod is gone or has finished
(propeller is not evaluating the workflow: it is down or overloaded, its workflow round keeps
failing, for instance "etcdserver: request is too large" when the FlyteWorkflow resource outgrows
etcd, or it cannot send events to flyteadmin); a live pod of the execution that no task execution
in Admin names (propeller created it but the task event never reached flyteadmin); a pod still
running after Admin finished its attempt or execution (an orphan that holds resources, and may
start late once a pull secret appears); a pod in phase Unknown (its node stopped reporting) or an
attempt still UNDEFINED in a finished execution. The finding names the places, and says what
propeller's log and the FlyteWorkflow resource show.`,
		Fixes: []rule.Fix{{Action: "read flytepropeller's log for the execution and the FlyteWorkflow resource's status",
			Commands: []string{"kubectl logs -n flyte deploy/flytepropeller --since=1h | grep EXECUTION", "kubectl get flyteworkflow -n NAMESPACE EXECUTION -o yaml"}}},
		// A place whose pod finished or vanished while Admin says it waits is not stuck: the
		// stuck fallback's "waiting for 1h35m" would send the user after the wrong thing.
		Supersedes: []string{"FD2901"},
		Scope:      rule.WholeSnapshot,
		Run:        lostTrack,
	}
}

func lostTrack(pass *rule.Pass) {
	snap := pass.Snapshot
	root, k := snap.Execution, snap.Kube
	if root == nil || k == nil {
		return
	}
	x := evidence.NewIndex(snap)
	now := snap.CollectedAt
	named := map[string]bool{} // pods some attempt names
	execs := map[string]*evidence.Execution{root.ID.Name: root}
	root.Walk(func(path []evidence.Step) bool {
		st := path[len(path)-1]
		ex, n := st.Execution, st.Node
		if c := n.ChildExecution; c != nil {
			execs[c.ID.Name] = c
		}
		for _, a := range n.Attempts {
			for _, ap := range x.AttemptPods(a) {
				named[ap.Name] = true
				sub, ok := subtask(a, ap.Name)
				if !ok {
					continue
				}
				if h, ok := disagreement(snap, ex, path, sub, ap, now); ok {
					pass.Report(h)
				}
			}
			for _, er := range a.ExternalResources {
				named[er.ExternalID] = true
			}
		}
		return true
	})
	for i := range k.Pods {
		p := &k.Pods[i]
		if p.Attempt != nil || named[p.Name] || !live(p) || p.CreatedAt.IsZero() || now.Sub(p.CreatedAt) < staleAfter {
			continue
		}
		ex := execs[p.Labels["execution-id"]]
		if ex == nil {
			continue
		}
		w := rule.Warning
		pass.Report(rule.Hit{
			Cause:    causeUntracked,
			Severity: &w,
			Summary:  fmt.Sprintf("pod %s of execution %s is %s, but no task execution in Flyte Admin names it", p.Name, ex.ID.Name, p.Phase),
			Detail: fmt.Sprintf("The pod carries the execution's labels (node-id %s) and was created %s ago, yet Admin has no attempt that ran it: propeller created it and could not record the task event in flyteadmin (admin unreachable, or the event rejected), or it is left over from an earlier evaluation of the node. Flyte does not watch it, so nothing will clean it up or read its outputs",
				read.OrUnknown(p.Labels["node-id"]), age(now.Sub(p.CreatedAt))),
			Evidence: []string{podLine(p, now)},
			Subject:  rule.Subject{Execution: ex.ID.String(), Pod: p.Name},
			Fixes: []rule.Fix{
				{Action: "look in flytepropeller's log for failed events of the execution", Commands: []string{propellerLog(ex)}},
				{Action: "once you are sure no attempt uses it, delete the pod", Commands: []string{fmt.Sprintf("kubectl delete pod -n %s %s", p.Namespace, p.Name)}},
			},
		})
	}
}

// subtask is what Admin says about the pod: the attempt itself, or for an array node the
// subtask that ran in it (the array's attempt runs while its subtasks end one by one). The
// array attempt's own name is no pod.
func subtask(a *evidence.TaskAttempt, pod string) (*evidence.TaskAttempt, bool) {
	if len(a.ExternalResources) == 0 {
		return a, true
	}
	for _, er := range a.ExternalResources {
		if er.ExternalID == pod {
			sub := *a
			sub.Phase, sub.Reason = er.Phase, ""
			return &sub, true
		}
	}
	return nil, false
}

// disagreement compares one attempt with one of its pods.
func disagreement(snap *evidence.Snapshot, ex *evidence.Execution, path []evidence.Step, a *evidence.TaskAttempt, ap evidence.AttemptPod, now time.Time) (rule.Hit, bool) {
	sub := rule.Subject{Execution: ex.ID.String(), Node: path[len(path)-1].Node.ID, Attempts: []uint32{a.RetryAttempt}, Pod: ap.Name}
	for _, st := range path {
		sub.Path = append(sub.Path, st.Node.ID)
	}
	where := fmt.Sprintf("attempt %d of node %s", a.RetryAttempt, sub.Node)
	running := !terminal(a.Phase) && !terminal(ex.Phase) && !evidence.Failed(ex.Phase)
	since := a.UpdatedAt
	if since.IsZero() {
		since = a.CreatedAt
	}
	admin := fmt.Sprintf("Admin: attempt %d %s", a.RetryAttempt, a.Phase)
	if !since.IsZero() {
		admin += fmt.Sprintf(", last updated %s (%s before the snapshot)", since.UTC().Format(time.RFC3339), age(now.Sub(since)))
	}
	if r := strings.TrimSpace(a.Reason); r != "" {
		admin += fmt.Sprintf(", reason %q", read.Clip(r, 200))
	}
	p := ap.Pod
	switch {
	case running && p == nil && hadPod(a) && !since.IsZero() && now.Sub(since) >= staleAfter:
		return lostHit(ex, sub, fmt.Sprintf("Flyte Admin says %s is %s, but its pod %s no longer exists", where, a.Phase, ap.Name),
			fmt.Sprintf("The pod is gone and Admin has not heard of it for %s. Had propeller evaluated the workflow, it would have failed the attempt with ResourceDeletedExternally and retried it; it has not, so it is not evaluating this workflow", age(now.Sub(since))),
			[]string{admin, fmt.Sprintf("Kubernetes: pod %s not found", ap.Name)}), true
	case running && p != nil && (p.Phase == "Succeeded" || p.Phase == "Failed"):
		end := finishedAt(p)
		if end.IsZero() || now.Sub(end) < staleAfter {
			return rule.Hit{}, false
		}
		return lostHit(ex, sub, fmt.Sprintf("Flyte Admin says %s is %s, but its pod %s %s %s ago", where, a.Phase, p.Name, strings.ToLower(p.Phase), age(now.Sub(end))),
			fmt.Sprintf("The pod ended at %s and Admin still shows the attempt %s: propeller has not evaluated the workflow since, so the execution will not move on by itself", end.UTC().Format(time.RFC3339), a.Phase),
			[]string{admin, podLine(p, now)}), true
	case terminal(a.Phase) && p != nil && live(p) && !since.IsZero() && now.Sub(since) >= staleAfter:
		// Propeller deletes the pod of an attempt it ends (after the grace of a deletion);
		// minutes later it should be gone.
		w := rule.Warning
		return rule.Hit{
			Cause: causeOrphan, Severity: &w, Subject: sub,
			Summary: fmt.Sprintf("pod %s is still %s although Flyte Admin finished %s as %s", p.Name, p.Phase, where, a.Phase),
			Detail: fmt.Sprintf("Propeller ended the attempt %s ago but did not delete its pod, which holds its resources and may still run (a pod stuck in ImagePullBackOff starts once the image or its pull secret appears, then runs beside the retry)",
				age(now.Sub(since))),
			Evidence: []string{admin, podLine(p, now)},
			Fixes: []rule.Fix{{Action: "delete the orphaned pod", Commands: []string{fmt.Sprintf("kubectl delete pod -n %s %s", p.Namespace, p.Name)}},
				{Action: "if it happens often, upgrade flytepropeller (older versions skipped the cleanup of pods of failed attempts) and read its log for failed deletions", Commands: []string{propellerLog(ex)}}},
		}, true
	case p != nil && p.Phase == "Unknown":
		w := rule.Warning
		return rule.Hit{
			Cause: causeUnknownPhase, Severity: &w, Subject: sub,
			Summary:  fmt.Sprintf("pod %s of %s is in phase Unknown: its node %s stopped reporting", p.Name, where, read.OrUnknown(p.NodeName)),
			Detail:   fmt.Sprintf("Kubernetes no longer hears from the kubelet, so neither it nor Flyte knows whether the task still runs; Admin shows %s. The node controller evicts the pod once the node has been unreachable for its toleration (300 s by default), and Flyte then retries the attempt", a.Phase),
			Evidence: []string{admin, podLine(p, now)},
			Fixes:    []rule.Fix{{Action: "check the node", Commands: []string{"kubectl describe node " + read.OrUnknown(p.NodeName)}}},
		}, true
	case a.Phase == "UNDEFINED" && terminal(ex.Phase):
		w := rule.Warning
		return rule.Hit{
			Cause: causeUnknownPhase, Severity: &w, Subject: sub,
			Summary:  fmt.Sprintf("Flyte Admin never learned how %s ended: its phase is still UNDEFINED in a %s execution", where, ex.Phase),
			Detail:   "The final task event never reached flyteadmin, so the console shows the attempt as unknown; the execution's own phase is right",
			Evidence: []string{admin},
		}, true
	}
	return rule.Hit{}, false
}

// hadPod reports an attempt whose pod must have existed: it ran, started, or the scheduler
// spoke about it. A QUEUED attempt held back by a quota never got one.
func hadPod(a *evidence.TaskAttempt) bool {
	switch a.Phase {
	case "RUNNING", "INITIALIZING":
		return true
	}
	return strings.HasPrefix(a.Reason, "Unschedulable:")
}

func lostHit(ex *evidence.Execution, sub rule.Subject, summary, detail string, ev []string) rule.Hit {
	return rule.Hit{
		Cause: causeLostTrack, Subject: sub, Summary: summary, Evidence: ev,
		Detail: detail + ". Look for why in propeller's log (\"etcdserver: request is too large\" or \"Failed to update workflow\": the FlyteWorkflow resource outgrew etcd; \"EventRecordingFailed\": flyteadmin refuses its events; nothing at all: the execution's shard is not being processed)",
		Fixes: []rule.Fix{
			{Action: "read flytepropeller's log for the execution and the FlyteWorkflow resource's status", Commands: []string{
				propellerLog(ex), fmt.Sprintf("kubectl get flyteworkflow -n %s %s -o jsonpath='{.status.phase} {.status.message}'", read.OrUnknown(ex.Namespace), ex.ID.Name)}},
			{Action: "if the resource is too large, offload the static workflow closure (flyteadmin useOffloadedWorkflowClosure: true) and split the fan-out into launch plans; if propeller is wedged, restart it", Commands: []string{"kubectl rollout restart -n flyte deploy/flytepropeller"}},
			{Action: "abort the execution and relaunch it", Commands: []string{fmt.Sprintf("flytectl delete execution -p %s -d %s %s", ex.ID.Project, ex.ID.Domain, ex.ID.Name)}},
		},
	}
}

func propellerLog(ex *evidence.Execution) string {
	return "kubectl logs -n flyte deploy/flytepropeller --since=1h | grep " + ex.ID.Name
}

// terminal phases, for task attempts and executions alike.
func terminal(phase string) bool {
	switch phase {
	case "SUCCEEDED", "FAILED", "ABORTED", "TIMED_OUT", "RETRYABLE_FAILED", "SKIPPED", "RECOVERED":
		return true
	}
	return false
}

// live pods hold a node or wait for one, and are not on their way out.
func live(p *evidence.Pod) bool {
	return (p.Phase == "Running" || p.Phase == "Pending") && p.DeletionTimestamp.IsZero()
}

// finishedAt is when the pod's last container ended.
func finishedAt(p *evidence.Pod) time.Time {
	var end time.Time
	for _, c := range append(append([]evidence.Container{}, p.InitContainers...), p.Containers...) {
		if t := c.State.FinishedAt; t.After(end) {
			end = t
		}
	}
	return end
}

func podLine(p *evidence.Pod, now time.Time) string {
	s := fmt.Sprintf("Kubernetes: pod %s %s", p.Name, p.Phase)
	if p.NodeName != "" {
		s += " on " + p.NodeName
	}
	for _, c := range p.Containers {
		if st := c.State; st.State == "terminated" {
			s += fmt.Sprintf(", container %s exited %d", c.Name, st.ExitCode)
			if !st.FinishedAt.IsZero() {
				s += fmt.Sprintf(" at %s", st.FinishedAt.UTC().Format(time.RFC3339))
			}
		} else if st.State != "" {
			s += fmt.Sprintf(", container %s %s", c.Name, st.State)
			if st.Reason != "" {
				s += " (" + st.Reason + ")"
			}
		}
	}
	if !p.CreatedAt.IsZero() {
		s += fmt.Sprintf(", created %s ago", age(now.Sub(p.CreatedAt)))
	}
	return s
}

func age(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh%dm", int(d.Hours()), int(d.Minutes())%60)
	}
	return fmt.Sprintf("%dd", int(d.Hours())/24)
}
