package interruption

import (
	"fmt"
	"strings"

	"github.com/flytedoctor/flytedoctor/rules/internal/read"
	"github.com/flytedoctor/flytedoctor/rules/rule"
)

// bareFailure is Flyte's message for a Failed pod whose status has no message.
const bareFailure = "Pod failed. No message received from kubernetes."

// noContainerLine: Flyte's message is the bare failure, with no "[ctr] terminated with exit
// code" line after it.
func noContainerLine(msg string) bool {
	return strings.Contains(msg, bareFailure) && !strings.Contains(msg, "terminated with exit code")
}

// noReasonDetail says what a bare pod failure means and what the snapshot adds to it.
func noReasonDetail(s *rule.Site) string {
	d := "Kubernetes marked the pod Failed with no message and no terminated container, so there is no exit code: the kubelet never reported how the containers ended. That happens when the node went away before it could (a spot reclaim, a scale-down, a node crash) or when the pod failed before its containers started"
	switch {
	case len(s.Pods) == 0 && len(s.Events) == 0 && s.Snapshot.Kube != nil:
		d += "; the pod and its events are gone, so the cluster cannot say more now"
	case s.Snapshot.Kube == nil:
		d += "; Kubernetes was not read"
	}
	if clues, _ := read.KillClues(s, nil); len(clues) > 0 {
		d += "; the pod's evidence: " + strings.Join(clues, "; ")
	}
	return d
}

// PodFailedWithoutReason is FD7007: Kubernetes failed the pod without a message or an exit code.
func PodFailedWithoutReason() *rule.Rule {
	return &rule.Rule{
		ID: "FD7007", Name: "pod-failed-without-reason", Title: "Kubernetes failed the pod without a message or an exit code",
		Category: rule.CatInterrupted, Causes: []string{causeNoReason}, Severity: rule.Error,
		Requires: []rule.Evidence{rule.Admin}, Reads: []rule.Evidence{rule.Kube}, Fallback: true,
		Supersedes: []string{"FD5901", "FD8901"}, // says what the bare text means instead of quoting it
		Doc: `Flyte's whole message is "Pod failed. No message received from kubernetes.": the pod's phase is
Failed, its status has no message and no container reports a termination, so there is no exit
code to read. The kubelet did not record how the containers ended, which happens when the node
went away first (spot or preemptible reclaim, scale-down, a node crash: the pod garbage collector
then fails the pod) or when the pod failed before its containers started. Flyte up to v1.14 calls
it UnknownError (kind USER, the task's retries=), from v1.15.1 Interrupted (kind SYSTEM); FD7005
reports the Interrupted case. A fallback: any rule that finds a cause in the pod's evidence (an
eviction, a node shutdown, an OOM kill) reports it instead.`,
		Fixes: []rule.Fix{{Action: "relaunch; if it repeats, read the node's events and the cluster autoscaler's log for the node the pod ran on"}},
		Run: func(pass *rule.Pass) {
			s := pass.Site
			code, msg, ok := genericFailure(s)
			if !ok {
				return
			}
			if !noContainerLine(msg) || len(read.Terms(s)) > 0 {
				return
			}
			h := rule.Hit{
				Summary:  fmt.Sprintf("the pod of %s failed without a message or an exit code (Flyte %s): the kubelet never said how its containers ended", read.Where(s), read.OrUnknown(code)),
				Detail:   noReasonDetail(s) + read.VersionNote(s, code),
				Evidence: []string{fmt.Sprintf("Admin error %s: %s", read.OrUnknown(code), read.FirstLine(msg))},
			}
			if p := read.LastPod(s); p != nil {
				h.Fixes = []rule.Fix{{Action: "read the pod's events and status", Commands: []string{read.Describe(s, p)}}}
				if p.NodeName != "" {
					h.Fixes = append(h.Fixes, rule.Fix{Action: "read the events of the node it ran on",
						Commands: []string{"kubectl get events -A --field-selector involvedObject.kind=Node,involvedObject.name=" + p.NodeName}})
				}
			} else if len(s.Attempts) > 0 && s.Attempts[len(s.Attempts)-1].PodName != "" {
				h.Fixes = []rule.Fix{{Action: "read the pod's events; they outlive the pod for about an hour",
					Commands: []string{fmt.Sprintf("kubectl get events -n %s --field-selector involvedObject.name=%s", read.Namespace(s, nil), s.Attempts[len(s.Attempts)-1].PodName)}}}
			}
			h.Fixes = append(h.Fixes, rule.Fix{Action: "relaunch; if it repeats, look for the node in the cluster autoscaler's log or the cloud's spot interruption notices"})
			pass.Report(h)
		},
	}
}
