package report

import (
	"fmt"
	"strings"
	"time"

	"github.com/flytedoctor/flytedoctor/collectors/evidence"
)

// maxEvents caps the events printed under one pod; -o json has them all.
const maxEvents = 5

// kubeIndex looks up the Kubernetes and storage evidence of a task attempt or node, through
// the same association index the rules use.
type kubeIndex struct {
	x        *evidence.Index
	identity string
	now      time.Time
}

func newKubeIndex(snap *evidence.Snapshot) kubeIndex {
	k := kubeIndex{x: evidence.NewIndex(snap), now: snap.CollectedAt}
	if st := snap.Storage; st != nil {
		id := st.Identity
		who := id.ARN
		if who == "" {
			who = "unknown"
		}
		k.identity = who
		if d := joinNonEmpty(", ", "credentials from "+id.Source, id.Region, id.Endpoint); d != "" {
			k.identity += " (" + d + ")"
		}
		if id.AssumedRole != "" {
			k.identity += ", assumed " + id.AssumedRole
		} else if id.AssumeError != "" {
			k.identity += ", could not assume the task role: " + id.AssumeError
		}
	}
	return k
}

func nonEmptyAll(s ...string) []string {
	var out []string
	for _, v := range s {
		if v != "" {
			out = append(out, v)
		}
	}
	return out
}

func (t *textWriter) pods(ind string, a *evidence.TaskAttempt) {
	for _, ap := range t.k.x.AttemptPods(a) {
		p := ap.Pod
		if p == nil {
			t.fieldAt(ind, "pod", ap.Name+t.s.Dim("  no longer exists (Flyte deletes finished pods)"))
			continue
		}
		var b strings.Builder
		b.WriteString(p.Name + "  " + t.s.KubePhase(p.Phase))
		if p.Reason != "" {
			b.WriteString(" " + p.Reason)
		}
		if p.NodeName != "" {
			b.WriteString(t.s.Dim("  on " + p.NodeName))
		}
		if p.Message != "" {
			b.WriteString("\n" + p.Message)
		}
		for _, c := range p.Conditions {
			if c.Type == "PodScheduled" && c.Status == "False" {
				b.WriteString("\n" + strings.TrimSpace("not scheduled: "+c.Reason+" "+c.Message))
			}
		}
		for _, c := range append(append([]evidence.Container{}, p.InitContainers...), p.Containers...) {
			if c.Name == p.Name { // Flyte names the task container after the pod
				c.Name = "container"
			}
			if line := containerLine(c); line != "" {
				b.WriteString("\n" + line)
			}
		}
		t.fieldAt(ind, "pod", b.String())
		if evs := t.k.x.PodEvents(p.Name); len(evs) > 0 {
			t.fieldAt(ind, "events", t.eventLines(evs))
		}
	}
}

// containerLine describes a container that is not simply running fine.
func containerLine(c evidence.Container) string {
	st := c.State
	switch st.State {
	case "waiting":
		return fmt.Sprintf("%s waiting: %s", c.Name, joinNonEmpty(": ", st.Reason, st.Message))
	case "terminated":
		return fmt.Sprintf("%s terminated: %s, exit code %d", c.Name, joinNonEmpty(": ", st.Reason, firstLine(st.Message)), st.ExitCode)
	}
	if ls := c.LastState; ls.State == "terminated" {
		return fmt.Sprintf("%s restarted %d times, last: %s, exit code %d", c.Name, c.RestartCount, ls.Reason, ls.ExitCode)
	}
	return ""
}

func (t *textWriter) eventLines(evs []evidence.Event) string {
	var lines []string
	for i, e := range evs {
		if i == maxEvents {
			lines = append(lines, t.s.Dim(fmt.Sprintf("… %d more (-o json shows all)", len(evs)-maxEvents)))
			break
		}
		count := ""
		if e.Count > 1 {
			count = fmt.Sprintf(" ×%d", e.Count)
		}
		when := ""
		switch {
		case e.LastTime.IsZero():
		case !t.k.now.IsZero() && t.k.now.Sub(e.LastTime) < 24*time.Hour:
			when = t.s.Dim(ago(t.k.now.Sub(e.LastTime))) + "  "
		default:
			when = t.s.Dim(e.LastTime.UTC().Format("Jan 2 15:04")) + "  "
		}
		typ := e.Type
		if typ == "Warning" {
			typ = t.s.warnText(typ)
		}
		lines = append(lines, fmt.Sprintf("%s%s %s%s  %s", when, typ, e.Reason, count, firstLine(e.Message)))
	}
	return strings.Join(lines, "\n")
}

// failedProbes describes the probes of node nodeID of execution ex that did not succeed.
func (k kubeIndex) failedProbes(ex evidence.ExecutionID, nodeID string) []string {
	var out []string
	for _, p := range k.x.NodeProbes(ex, nodeID) {
		if p.Outcome == evidence.ProbeOK || p.Outcome == evidence.ProbeSkipped {
			continue
		}
		what := "s3://" + p.Bucket
		if p.Key != "" {
			what += "/" + p.Key
		}
		out = append(out, fmt.Sprintf("%s %s: %s", p.Operation, what, joinNonEmpty(" ", p.ErrorCode, httpStatus(p.HTTPStatus))))
	}
	return out
}

func httpStatus(code int) string {
	if code == 0 {
		return ""
	}
	return fmt.Sprintf("(HTTP %d)", code)
}

func joinNonEmpty(sep string, s ...string) string { return strings.Join(nonEmptyAll(s...), sep) }

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i] + " …"
	}
	return s
}

func ago(d time.Duration) string {
	switch {
	case d < 0:
		return "now"
	case d < time.Minute:
		return fmt.Sprintf("%ds ago", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm ago", int(d.Minutes()))
	}
	return fmt.Sprintf("%dh ago", int(d.Hours()))
}
