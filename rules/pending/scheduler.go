package pending

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/flytedoctor/flytedoctor/collectors/evidence"
	"github.com/flytedoctor/flytedoctor/rules/rule"
)

// reason is one clause of "0/N nodes are available: <clause>, <clause>".
type reason struct {
	Count    int    // nodes it covers
	Text     string // the clause without its count
	Kind     string // one of the pk* kinds
	Resource string // pkInsufficient: the resource
	TaintKey string // pkTaint, pkUnavailable
	TaintVal string
}

const pkInsufficient = "insufficient"

const pkTaint = "taint"

const pkUnavailable = "unavailable" // not ready, cordoned, control plane: not the task's problem

const pkSelector = "selector"

const pkPodAffinity = "pod-affinity"

const pkVolumeAffinity = "volume-affinity"

const pkPVC = "pvc"

const pkPorts = "ports" // another pod holds a host port the pod asks for

const pkOther = "other"

type sched struct {
	Message string // the scheduler's message, without Flyte's "Unschedulable:" prefix
	From    string // where it was read
	Total   int    // N of "0/N nodes"; -1 when unknown
	Reasons []reason
	// ScaleUp is a recent TriggeredScaleUp event; NoScaleUp the autoscaler's refusal.
	ScaleUp, NoScaleUp string
}

// Body is the reasons part of the message, without the preemption postscript.
func (ps *sched) Body() string {
	b := ps.Message
	if m := nodesRe.FindStringSubmatch(b); m != nil {
		b = m[0]
	}
	if i := strings.Index(b, ". preemption:"); i >= 0 {
		b = b[:i]
	}
	return strings.TrimSuffix(strings.TrimSpace(b), ".")
}

func findSched(s *rule.Site, podName string) *sched {
	type cand struct{ text, from string }
	var cands []cand
	for _, e := range s.Events { // latest first
		if e.Reason == "FailedScheduling" && (podName == "" || e.Name == podName) {
			cands = append(cands, cand{e.Message, "event " + eventLabel(e)})
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
			c, m := rule.Unwrap(a.Error.Code, a.Error.Message)
			cands = append(cands, cand{m, fmt.Sprintf("attempt %d error %s", a.RetryAttempt, c)})
		}
	}
	if c, m, _ := s.Error(); m != "" {
		cands = append(cands, cand{m, "Flyte error " + c})
	}
	for _, c := range cands {
		if schedRe.MatchString(c.text) {
			ps := parse(c.text)
			ps.From = c.from
			for _, e := range s.Events {
				if podName != "" && e.Name != podName {
					continue
				}
				switch e.Reason {
				case "TriggeredScaleUp":
					if ps.ScaleUp == "" && !e.LastTime.IsZero() && s.Now.Sub(e.LastTime) <= scaleUpWindow {
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

func eventLabel(e evidence.Event) string {
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

func parse(text string) *sched {
	msg := strings.TrimSpace(text)
	if i := strings.Index(msg, "Unschedulable:"); i >= 0 {
		msg = strings.TrimSpace(msg[i+len("Unschedulable:"):])
	}
	ps := &sched{Message: msg, Total: -1}
	body := msg
	if m := nodesRe.FindStringSubmatch(msg); m != nil {
		ps.Total, _ = strconv.Atoi(m[2])
		body = m[3]
	} else if strings.Contains(msg, "no nodes available to schedule pods") {
		ps.Total = 0
		ps.Reasons = []reason{{Text: "no nodes available to schedule pods", Kind: pkOther}}
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
		if i > 0 && countRe.MatchString(part) {
			clauses = append(clauses, body[from:at-len(", ")])
			from = at
		}
		at += len(part) + len(", ")
	}
	clauses = append(clauses, body[from:])
	for _, c := range clauses {
		r := reason{Count: ps.Total, Text: c}
		if m := countRe.FindStringSubmatch(c); m != nil {
			r.Count, _ = strconv.Atoi(m[1])
			r.Text = m[2]
		}
		classify(&r)
		ps.Reasons = append(ps.Reasons, r)
	}
	return ps
}

func classify(r *reason) {
	t := r.Text
	switch {
	case insuffRe.MatchString(t):
		r.Kind, r.Resource = pkInsufficient, insuffRe.FindStringSubmatch(t)[1]
	case t == "Too many pods":
		r.Kind, r.Resource = pkInsufficient, "pods"
	case taintRe.MatchString(t):
		m := taintRe.FindStringSubmatch(t)
		r.TaintKey, r.TaintVal = strings.TrimSpace(m[1]), strings.TrimSpace(m[2])
		r.Kind = pkTaint
		if systemTaint(r.TaintKey) {
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
	case strings.Contains(t, "didn't have free ports"):
		r.Kind = pkPorts
	case strings.Contains(t, "PersistentVolumeClaims") || claimRe.MatchString(t) ||
		strings.Contains(t, "persistent volumes to bind"):
		r.Kind = pkPVC
	default:
		r.Kind = pkOther
	}
}

// systemTaint reports taints Kubernetes or autoscalers put on unusable nodes.
func systemTaint(key string) bool {
	switch key {
	case "node-role.kubernetes.io/control-plane", "node-role.kubernetes.io/master",
		"ToBeDeletedByClusterAutoscaler", "DeletionCandidateOfClusterAutoscaler",
		"karpenter.sh/disrupted", "karpenter.sh/disruption":
		return true
	}
	return strings.HasPrefix(key, "node.kubernetes.io/") || strings.HasPrefix(key, "node.cloudprovider.kubernetes.io/")
}

// cause maps a resource to its cause slug ("" for pods and unknown resources).
func cause(resource string) string {
	switch {
	case resource == "cpu":
		return "insufficient-cpu"
	case resource == "memory":
		return "insufficient-memory"
	case resource == "ephemeral-storage":
		return "insufficient-ephemeral-storage"
	case accelerator(resource):
		return "insufficient-gpu"
	}
	return ""
}

func accelerator(r string) bool {
	for _, p := range []string{"nvidia.com/", "amd.com/", "gpu.intel.com/", "google.com/tpu", "aws.amazon.com/neuron", "habana.ai/"} {
		if strings.HasPrefix(r, p) {
			return true
		}
	}
	return strings.Contains(r, "gpu")
}

// rank orders resources when counts tie: scarce accelerators first.
func rank(resource string) int {
	switch cause(resource) {
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
