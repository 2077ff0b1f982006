package read

import (
	"cmp"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/flytedoctor/flytedoctor/collectors/evidence"
	"github.com/flytedoctor/flytedoctor/rules/rule"
)

// StuckPlace is what a stuck site shows: how long it has not progressed, in which state, and
// the warnings that say why (the pods' Warning events, the scheduler's and kubelet's messages,
// Admin's reasons, termination messages of containers that gave up).
type StuckPlace struct {
	// State is the attempt's open state ("waiting for resources", "initializing"), or "Pending"
	// for a pod of a running attempt (an array subtask).
	State string
	// For is how long, up to the snapshot's collection time; Since when.
	For   time.Duration
	Since time.Time
	// Pod is the pod that waits, when one is known.
	Pod string
	// Warning is the latest warning about the place; Evidence quotes it and the others.
	Warning  string
	Evidence []string
}

// Stuck reads a stuck site; nil when the site is not stuck or its latest attempt is unknown.
func Stuck(s *rule.Site) *StuckPlace {
	return rule.SiteOnce(s, "stuck", func() *StuckPlace { return readStuck(s) })
}

func readStuck(s *rule.Site) *StuckPlace {
	if !s.Stuck || s.Node == nil {
		return nil
	}
	if len(s.Attempts) == 0 {
		st := &StuckPlace{State: "queued in Flyte without a task execution", Since: s.Node.CreatedAt,
			Evidence: []string{fmt.Sprintf("node %s is %s and Admin has no task execution for it", s.Node.ID, s.Node.Phase)}}
		if !st.Since.IsZero() && !s.Now.IsZero() {
			st.For = s.Now.Sub(st.Since)
		}
		return st
	}
	last := s.Attempts[len(s.Attempts)-1]
	st := &StuckPlace{}
	// The warning quoted, most specific first: a container's own error (its termination
	// message), the timeline's latest warning, a Warning event, a waiting reason, Admin's reason.
	var warnings [5]string
	defer func() {
		for _, w := range warnings {
			if w != "" {
				st.Warning = w
				return
			}
		}
	}()
	tls := evidence.NewIndex(s.Snapshot).Timeline(s.Node)
	for _, tl := range tls {
		if tl.RetryAttempt != last.RetryAttempt {
			continue
		}
		if sp, ok := tl.Stuck(); ok {
			st.State, st.Since, st.For, st.Pod = sp.State.Words(), sp.Start, sp.Duration(), tl.Pod
			if sp.Warning {
				warnings[1] = sp.Because
			}
		}
	}
	// A running attempt with a pod still Pending: the pod's own age says how long.
	for _, name := range s.PodNames() {
		p := s.Pods[name]
		if st.State != "" || p.Phase != "Pending" || p.CreatedAt.IsZero() {
			continue
		}
		st.State, st.Since, st.For, st.Pod = "Pending", p.CreatedAt, s.Now.Sub(p.CreatedAt), p.Name
	}
	if st.State == "" {
		st.State = strings.ToLower(strings.ReplaceAll(last.Phase, "_", " "))
		if !last.CreatedAt.IsZero() && !s.Now.IsZero() {
			st.Since, st.For = last.CreatedAt, s.Now.Sub(last.CreatedAt)
		}
	}
	for _, e := range s.Events {
		if e.Type != "Warning" || len(st.Evidence) == 4 {
			continue
		}
		line := fmt.Sprintf("event %s on pod %s", e.Reason, e.Name)
		if e.Count > 1 {
			line += fmt.Sprintf(" (×%d since %s)", e.Count, e.FirstTime.UTC().Format("15:04:05"))
		}
		if e.Source != "" {
			line += " from " + e.Source
		}
		st.Evidence = append(st.Evidence, line+": "+Clip(e.Message, 300))
		warnings[2] = cmp.Or(warnings[2], e.Reason+": "+e.Message)
	}
	for _, pc := range s.Containers() {
		for _, cs := range []evidence.ContainerState{pc.Container.State, pc.Container.LastState} {
			if cs.State == "waiting" && cs.Reason != "" && cs.Reason != "ContainerCreating" && cs.Reason != "PodInitializing" {
				st.Evidence = append(st.Evidence, fmt.Sprintf("container %s waiting: %s %s", pc.Container.Name, cs.Reason, Clip(cs.Message, 300)))
				warnings[3] = cmp.Or(warnings[3], strings.TrimSpace(cs.Reason+": "+cs.Message))
			}
			if cs.State == "terminated" && cs.ExitCode != 0 {
				tail := TailLine(cs.Message)
				st.Evidence = append(st.Evidence, fmt.Sprintf("container %s terminated with exit code %d (%s): %s", pc.Container.Name, cs.ExitCode,
					OrUnknown(cs.Reason), Clip(cmp.Or(tail, cs.Message), 300)))
				warnings[0] = cmp.Or(warnings[0], fmt.Sprintf("container %s exited %d: %s", pc.Container.Name, cs.ExitCode, Clip(cmp.Or(tail, cs.Reason), 200)))
			}
		}
	}
	if r := latestReason(last); r.Message != "" {
		line := "Admin's latest reason"
		if !r.OccurredAt.IsZero() {
			line += " (" + r.OccurredAt.UTC().Format("15:04:05") + ")"
		}
		st.Evidence = append(st.Evidence, line+": "+Clip(r.Message, 300))
		if r.Message != "task submitted to K8s" && r.Message != "Scheduling" {
			warnings[4] = r.Message
		}
	}
	return st
}

// ClipMiddle shortens s to about n bytes by cutting its middle: kubelet and CSI messages put
// the operation first and the decisive cause last.
func ClipMiddle(s string, n int) string {
	s = strings.TrimSpace(s)
	if len(s) <= n || n < 20 {
		return s
	}
	head, tail := n/3, n-n/3
	for head > 0 && !utf8.RuneStart(s[head]) {
		head--
	}
	from := len(s) - tail
	for from < len(s) && !utf8.RuneStart(s[from]) {
		from++
	}
	return s[:head] + " ... " + s[from:]
}

func latestReason(a *evidence.TaskAttempt) evidence.Reason {
	if n := len(a.Reasons); n > 0 {
		return a.Reasons[n-1]
	}
	return evidence.Reason{Message: a.Reason}
}
