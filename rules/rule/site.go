package rule

import (
	"sort"
	"strings"
	"time"

	"github.com/flytedoctor/flytedoctor/collectors/evidence"
	"github.com/flytedoctor/flytedoctor/rules/internal/pattern"
)

// Site is one place where something went wrong, with every layer's evidence about it.
type Site struct {
	Snapshot *evidence.Snapshot
	// Execution owns Node; Path leads from the top execution to Node (through child executions).
	Execution *evidence.Execution
	Path      []evidence.Step
	// Node is nil for an execution-level site (failed or aborted without a failed node).
	Node *evidence.Node
	// Attempts are Node's attempts that did not succeed, in retry order.
	Attempts []*evidence.TaskAttempt
	// Pods are the Kubernetes pods of those attempts (and failed array subtasks), by name.
	Pods map[string]*evidence.Pod
	// Missing names attempts' pods that no longer exist.
	Missing map[string]bool
	// Events are about Pods and Missing pods: warnings first, then latest first.
	Events []evidence.Event
	// Probes are the storage probes of paths that belong to Node.
	Probes []evidence.StorageProbe
	// Stuck is true when Node has not failed but waits (queued, waiting for resources, pending).
	Stuck bool
	// Now is when the snapshot was taken.
	Now time.Time

	memo map[string]any // see SiteOnce
}

// SiteOnce computes a per-site value the first time a rule asks for it. A rule family shares
// one reading of the site (its texts, the storage failure, the scheduling diagnosis, the image
// pull messages), which should run once per site, not once per rule of the family. Callers
// must not modify what it returns.
func SiteOnce[T any](s *Site, key string, compute func() T) T {
	if v, ok := s.memo[key]; ok {
		return v.(T)
	}
	if s.memo == nil {
		s.memo = map[string]any{}
	}
	v := compute()
	s.memo[key] = v
	return v
}

// Kube returns the Kubernetes evidence, or an empty one.
func (s *Site) Kube() *evidence.Kube {
	if s.Snapshot.Kube == nil {
		return &evidence.Kube{}
	}
	return s.Snapshot.Kube
}

// Error is the site's own error: the node's, else its last failed attempt's, else the
// execution's, unwrapped from retry and node wrappers. kind is the kind of what really
// happened: the retry wrapper is always USER, but keeps the last attempt's kind in its message
// ("Last Error: SYSTEM::"). It is read once per site: dozens of rules ask for it.
func (s *Site) Error() (code, message, kind string) {
	e := SiteOnce(s, "error", s.readError)
	return e.code, e.message, e.kind
}

type siteError struct{ code, message, kind string }

func (s *Site) readError() siteError {
	var e *evidence.ExecutionError
	if s.Node != nil && s.Node.Error != nil {
		e = s.Node.Error
	}
	for i := len(s.Attempts) - 1; i >= 0 && e == nil; i-- {
		e = s.Attempts[i].Error
	}
	if e == nil {
		e = s.Execution.Error
	}
	if e == nil {
		return siteError{}
	}
	kind := e.Kind
	if m := retryWrapper.FindStringSubmatch(e.Message); m != nil && m[1] != "" {
		kind = m[1]
	}
	code, message := Unwrap(e.Code, e.Message)
	return siteError{code, message, kind}
}

// Texts are every message the site has, for pattern matching: errors (unwrapped), reasons,
// container states, pod conditions and event messages.
func (s *Site) Texts() []string { return SiteOnce(s, "texts", s.texts) }

func (s *Site) texts() []string {
	var out []string
	add := func(t string) {
		if t = strings.TrimSpace(t); t != "" {
			out = append(out, t)
		}
	}
	if _, m, _ := s.Error(); m != "" {
		add(m)
	}
	for _, a := range s.Attempts {
		if a.Error != nil {
			_, m := Unwrap(a.Error.Code, a.Error.Message)
			add(m)
		}
		add(a.Reason)
		for _, r := range a.Reasons {
			add(r.Message)
		}
	}
	for _, name := range s.PodNames() {
		p := s.Pods[name]
		add(p.Message)
		for _, c := range p.Conditions {
			add(c.Message)
		}
		for _, c := range append(append([]evidence.Container{}, p.InitContainers...), p.Containers...) {
			add(c.State.Message)
			add(c.LastState.Message)
		}
	}
	for _, e := range s.Events {
		add(e.Message)
	}
	return out
}

// Find returns the first text matching re, and its submatches.
func (s *Site) Find(re *pattern.Regexp) (text string, sub []string) {
	for _, t := range s.Texts() {
		if m := re.FindStringSubmatch(t); m != nil {
			return t, m
		}
	}
	return "", nil
}

// Containers returns every container (init first) of the site's pods, with the pod.
func (s *Site) Containers() []PodContainer {
	var out []PodContainer
	for _, name := range s.PodNames() {
		p := s.Pods[name]
		for i := range p.InitContainers {
			out = append(out, PodContainer{Pod: p, Container: &p.InitContainers[i], Init: true})
		}
		for i := range p.Containers {
			out = append(out, PodContainer{Pod: p, Container: &p.Containers[i]})
		}
	}
	return out
}

// PodContainer is a container and the pod it runs in.
type PodContainer struct {
	Pod       *evidence.Pod
	Container *evidence.Container
	Init      bool
}

func (s *Site) PodNames() []string {
	names := make([]string, 0, len(s.Pods))
	for n := range s.Pods {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Subject describes the site for a finding.
func (s *Site) Subject() Subject {
	sub := Subject{Execution: s.Execution.ID.String()}
	for _, st := range s.Path {
		sub.Path = append(sub.Path, st.Node.ID)
	}
	if s.Node != nil {
		sub.Node = s.Node.ID
	}
	for _, a := range s.Attempts {
		sub.Attempts = append(sub.Attempts, a.RetryAttempt)
	}
	if names := s.PodNames(); len(names) > 0 {
		sub.Pod = names[len(names)-1]
	}
	return sub
}

var retryWrapper = pattern.MustCompile(`^\[\d+/\d+\] currentAttempt done\. Last Error: ([A-Z]*)::`)

var nodeWrapper = pattern.MustCompile(`^failed at Node\[[^\]]*\]\. [A-Za-z]+: `)

var wfWrapper = pattern.MustCompile(`^Workflow\[[^\]]*\] failed\. [A-Za-z]+: `)

// Unwrap removes Flyte's wrappers: "RetriesExhausted|X" codes (nested ones too), the retry
// message prefix "[n/m] currentAttempt done. Last Error: KIND::", "failed at Node[..]. Code: "
// and "Workflow[..] failed. Code: ".
func Unwrap(code, message string) (string, string) {
	for strings.HasPrefix(code, "RetriesExhausted|") {
		code = strings.TrimPrefix(code, "RetriesExhausted|")
	}
	for changed := true; changed; {
		changed = false
		for _, re := range []*pattern.Regexp{retryWrapper, nodeWrapper, wfWrapper} {
			if loc := re.FindStringIndex(message); loc != nil {
				message, changed = message[loc[1]:], true
			}
		}
	}
	return code, message
}
