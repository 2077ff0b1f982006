package kube

import (
	"encoding/base32"
	"hash/fnv"
	"regexp"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/flytedoctor/flytedoctor/collectors/evidence"
)

// Pod labels flytepropeller sets (facts C2).
const (
	LabelExecutionID = "execution-id"
	LabelNodeID      = "node-id"
	LabelTaskName    = "task-name"
)

// Flyte names pods FixedLengthUniqueIDForParts(50, exec, node unique id, attempt): the parts
// joined by "-", or "f" + base32(fnv32a) with this alphabet when longer than 50.
const (
	generatedNameMax = 50
	flyteBase32      = "abcdefghijklmnopqrstuvwxyz123456"
)

var flyteEncoding = base32.NewEncoding(flyteBase32).WithPadding(base32.NoPadding)

// generatedName is the name Flyte gives a task attempt's pod.
func generatedName(parts ...string) string { return UniqueID(generatedNameMax, parts...) }

// UniqueID is flyteplugins' FixedLengthUniqueIDForParts with the default 32-bit hash: the parts
// joined by "-", or "f" + base32(fnv32a) when longer than maxLen. Pod names and unique node ids.
func UniqueID(maxLen int, parts ...string) string {
	var b strings.Builder
	for i, p := range parts {
		if i > 0 && b.Len() > 0 {
			b.WriteByte('-')
		}
		b.WriteString(p)
	}
	s := b.String()
	if len(s) <= maxLen {
		return s
	}
	h := fnv.New32a()
	h.Write([]byte(s))
	return "f" + flyteEncoding.EncodeToString(h.Sum(nil))
}

var invalidLabelChars = regexp.MustCompile(`[^-a-z0-9]+`)

// SanitizeLabel is flytepropeller's SanitizeLabelValue, used for the node-id and other labels.
func SanitizeLabel(s string) string {
	s = invalidLabelChars.ReplaceAllString(strings.ToLower(s), "-")
	if len(s) > validation.DNS1123LabelMaxLength {
		s = s[:validation.DNS1123LabelMaxLength]
	}
	return strings.Trim(s, "-")
}

// runsPods reports an attempt whose pods are named after generated_name (or listed in its log
// context). Other plugins (Spark, Ray, external services) name their objects differently, so a
// missing pod would mean nothing.
func runsPods(a *evidence.TaskAttempt) bool {
	if len(a.Pods) > 0 {
		return true
	}
	if a.PluginID != "" {
		switch a.PluginID {
		case "container", "pod", "sidecar", "k8s-array", "array":
			return true
		}
		return false
	}
	switch a.TaskType {
	case "", "python-task", "container", "raw-container", "sidecar", "pod", "k8s-array", "container_array":
		return true
	}
	return false
}

// want is a pod an attempt ran (or should have run).
type want struct {
	ref PodRef
	// expected is true when the pod should exist for diagnosis: a pod-running attempt of a node
	// that did not succeed (for array subtasks: a subtask that did not succeed).
	expected bool
}

// PodRef aliases the evidence type for brevity.
type PodRef = evidence.PodRef

// candidate is a node with attempts, for matching pods by label when names do not.
type candidate struct {
	exec evidence.ExecutionID
	node *evidence.Node
}

// plan is what the execution tree says about pods: names to look for, in tree order.
type plan struct {
	executions []string                  // execution names whose pods to list
	wants      []want                    // in tree order
	byName     map[string]int            // pod name → index in wants
	byLabel    map[[2]string][]candidate // (execution-id, node-id label) → nodes
	// waiting is true when an attempt is queued or waits for resources (quota, scheduling).
	waiting      bool
	namespace    string
	anyNamespace bool
}

// planFor walks the execution and its child executions that run in namespace ns.
func planFor(root *evidence.Execution, ns string, anyNamespace bool) *plan {
	p := &plan{byName: map[string]int{}, byLabel: map[[2]string][]candidate{}, namespace: ns, anyNamespace: anyNamespace}
	inNS := func(ex *evidence.Execution) bool {
		return ex == root || anyNamespace || ex.Namespace == "" || ex.Namespace == ns
	}
	seenExec := map[string]bool{}
	addExec := func(ex *evidence.Execution) {
		if !seenExec[ex.ID.Name] {
			seenExec[ex.ID.Name] = true
			p.executions = append(p.executions, ex.ID.Name)
		}
	}
	addExec(root)
	root.Walk(func(path []evidence.Step) bool {
		st := path[len(path)-1]
		if !inNS(st.Execution) {
			return false
		}
		if c := st.Node.ChildExecution; c != nil && inNS(c) {
			addExec(c)
		}
		n := st.Node
		if len(n.Attempts) == 0 {
			return true
		}
		spec := n.SpecNodeID
		if spec == "" {
			spec = n.ID
		}
		key := [2]string{st.Execution.ID.Name, SanitizeLabel(spec)}
		p.byLabel[key] = append(p.byLabel[key], candidate{exec: st.Execution.ID, node: n})
		open := !evidence.Succeeded(n.Phase)
		for _, a := range n.Attempts {
			if open && waitsForResources(a) {
				p.waiting = true
			}
			p.addAttempt(st.Execution.ID, n, a, open)
		}
		return true
	})
	return p
}

func (p *plan) add(name string, ref PodRef, expected bool) {
	if name == "" {
		return
	}
	if i, ok := p.byName[name]; ok {
		p.wants[i].expected = p.wants[i].expected || expected
		return
	}
	ref.Name = name
	p.byName[name] = len(p.wants)
	p.wants = append(p.wants, want{ref: ref, expected: expected})
}

func (p *plan) addAttempt(ex evidence.ExecutionID, n *evidence.Node, a *evidence.TaskAttempt, open bool) {
	ref := PodRef{Execution: ex, NodeID: n.ID, RetryAttempt: a.RetryAttempt}
	pods := runsPods(a)
	if len(a.ExternalResources) > 0 {
		// Array node: the attempt's own generated name is not a pod; each subtask is.
		for _, er := range a.ExternalResources {
			if er.ChildExecutionID != nil || !isPodName(er.ExternalID) {
				continue
			}
			r := ref
			idx := er.Index
			r.ExternalIndex, r.ExternalRetryAttempt = &idx, er.RetryAttempt
			p.add(podName(er.ExternalID), r, open && pods && !evidence.Succeeded(er.Phase))
		}
		return
	}
	// The log context (v1.16) lists the pods that really ran; generated_name is the pod only for
	// pod plugins and is then the same name.
	named := a.PrimaryPodName != ""
	for _, pc := range a.Pods {
		if pc.Namespace == "" || pc.Namespace == p.namespace || p.anyNamespace {
			p.add(podName(pc.PodName), ref, open)
			named = named || pc.PodName != ""
		}
	}
	if a.PrimaryPodName != "" {
		p.add(podName(a.PrimaryPodName), ref, open)
	}
	if a.PodName != "" {
		p.add(podName(a.PodName), ref, open && pods && !named)
	} else if !named && pods {
		// No event named the pod (yet): Flyte's own naming rule tells.
		p.add(generatedName(ex.Name, n.ID, strconv.FormatUint(uint64(a.RetryAttempt), 10)), ref, open)
	}
}

// podName turns a generated name into the pod name Flyte uses: a valid DNS-1123 subdomain.
func podName(s string) string {
	if len(validation.IsDNS1123Subdomain(s)) == 0 {
		return s
	}
	s = strings.Trim(invalidSubdomainChars.ReplaceAllString(strings.ToLower(s), "-"), "-.")
	if len(s) > validation.DNS1123SubdomainMaxLength {
		s = strings.Trim(s[:validation.DNS1123SubdomainMaxLength], "-.")
	}
	return s
}

var invalidSubdomainChars = regexp.MustCompile(`[^-a-z0-9.]+`)

func isPodName(s string) bool { return s != "" && len(validation.IsDNS1123Subdomain(podName(s))) == 0 }

// waitsForResources reports an attempt Flyte holds back for want of resources: queued (the pod is
// unschedulable) or waiting for quota.
func waitsForResources(a *evidence.TaskAttempt) bool {
	switch a.Phase {
	case "QUEUED", "WAITING_FOR_RESOURCES":
		return true
	}
	texts := []string{a.Reason}
	for _, r := range a.Reasons {
		texts = append(texts, r.Message)
	}
	if a.Error != nil {
		texts = append(texts, a.Error.Code, a.Error.Message)
	}
	for _, t := range texts {
		l := strings.ToLower(t)
		if strings.Contains(l, "unschedulable") || strings.Contains(l, "exceeded quota") ||
			strings.Contains(l, "insufficient ") || strings.Contains(l, "podpendingtimeout") {
			return true
		}
	}
	return false
}

// match finds the attempt a listed pod belongs to: by a name Admin gave, else by the node-id
// label and Flyte's naming rule for each attempt of the nodes with that template id.
func (p *plan) match(pod *corev1.Pod) (PodRef, bool) {
	if i, ok := p.byName[pod.Name]; ok {
		return p.wants[i].ref, true
	}
	exec, node := pod.Labels[LabelExecutionID], pod.Labels[LabelNodeID]
	for _, c := range p.byLabel[[2]string{exec, node}] {
		for _, a := range c.node.Attempts {
			retry := strconv.FormatUint(uint64(a.RetryAttempt), 10)
			if pod.Name == generatedName(c.exec.Name, c.node.ID, retry) || pod.Name == c.exec.Name+"-"+c.node.ID+"-"+retry {
				return PodRef{Name: pod.Name, Execution: c.exec, NodeID: c.node.ID, RetryAttempt: a.RetryAttempt}, true
			}
		}
	}
	return PodRef{}, false
}
