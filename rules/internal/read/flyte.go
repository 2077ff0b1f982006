package read

import (
	"cmp"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/flytedoctor/flytedoctor/collectors/evidence"
	"github.com/flytedoctor/flytedoctor/rules/internal/pattern"
	"github.com/flytedoctor/flytedoctor/rules/rule"
)

// DemystifyFailure: "\r\n[<ctr>] terminated with exit code (137). Reason [OOMKilled]. Message: \n<tail>."
var flyteTermRe = pattern.MustCompile(`\[([^\[\]\r\n]+)\] terminated with exit code \((-?\d+)\)\. Reason \[([^\]\r\n]*)\]\. Message: ?\n?`)

var UserCodeRe = pattern.MustCompile(`^USER:([A-Za-z_][\w.]*)$`)

var flyteExcLineRe = pattern.MustCompile(`(?m)^[ \t]*((?:[A-Za-z_]\w*\.)*_?[A-Z]\w*(?:Error|Exception|Exit|Interrupt|Timeout|Failure|Warning))(?:: (.*?))?[ \t]*$`)

var GPUOOMRe = pattern.MustCompile(`CUDA out of memory|CUDA error: out of memory|OutOfMemoryError: CUDA|RESOURCE_EXHAUSTED: Out of memory while trying to allocate`)

var MemEvictRe = pattern.MustCompile(`The node was low on resource: memory\.`)

var EvictRe = pattern.MustCompile(`The node was low on resource: ([\w-]+)\.|Pod ephemeral local storage usage exceeds the total limit of containers (\d+\w*)|Container (\S+) exceeded its local ephemeral storage limit "([^"]+)"|The node had condition: \[\w+\]`)

var ExecTimeoutRe = pattern.MustCompile(`task execution timeout \[([^\]]+)\] expired`)

var ActiveTimeoutRe = pattern.MustCompile(`task active timeout \[([^\]]+)\] expired`)

var NotFoundRe = pattern.MustCompile(`resource not found, name \[([^\]]+)\]`)

var BackgroundRe = pattern.MustCompile(`object \[([^\]]+)\] terminated in the background, manually`)

var LPAbortedRe = pattern.MustCompile(`launchplan \[([^\]]+)\] aborted`)

var flyteShutdownTextRe = pattern.MustCompile(`imminent node shutdown|Node is in progress of shutting down|node is shutting down`)

var flytePreemptTextRe = pattern.MustCompile(`preempting to accommodate a higher priority|Preempted in order to admit critical pod`)

var flyteArrayStartRe = pattern.MustCompile(`(?m)^((?:\[\d+(?:-\d+)?\])+): `)

var flyteArrayRangeRe = pattern.MustCompile(`\[(\d+)(?:-(\d+))?\]`)

var flyteLegacySubRe = pattern.MustCompile(`(?s)^code:"([^"]*)" message:"(.*)"$`)

var flyteVersionRe = pattern.MustCompile(`v?(\d+)\.(\d+)\.(\d+)`)

var flyteSysCodeRe = pattern.MustCompile(`\bSYSTEM:\w+`)

var flyteErrorLineRe = pattern.MustCompile(`(?i)^(?:fatal\b|error\b|.*\berror:|.*\bfailed\b|.*\bnot found\b|.*\bno such file\b|.*\bpermission denied\b)`)

// flyteChildAborted: the site is a launch-plan node whose child execution was aborted.
func ChildAborted(s *rule.Site) bool {
	if s.Node == nil {
		return false
	}
	if c := s.Node.ChildExecution; c != nil && c.Phase == evidence.PhaseAborted {
		return true
	}
	code, msg, _ := s.Error()
	return code == "RemoteChildWorkflowExecutionFailed" && LPAbortedRe.MatchString(msg)
}

// flyteIsOOM says whether an Admin error reports an OOM kill.
func IsOOM(code, msg string) bool {
	return code == "OOMKilled" || strings.Contains(msg, "Reason [OOMKilled]") || strings.Contains(msg, "despite being OOMKilled")
}

// flytePyMemoryError: the task's Python code raised MemoryError (or numpy's _ArrayMemoryError);
// a CUDA out-of-memory error is FD5003's.
func PyMemoryError(code, msg string) bool {
	if !strings.HasPrefix(code, "USER") || GPUOOMRe.MatchString(msg) {
		return false
	}
	exc, _, _ := strings.Cut(ExceptionLine(msg), ":")
	exc = exc[strings.LastIndex(exc, ".")+1:]
	return exc == "MemoryError" || exc == "_ArrayMemoryError"
}

// flyteWhere names the place: "task workflows.etl.aggregate (node n1-0-n1)".
func Where(s *rule.Site) string {
	if s.Node == nil {
		return "execution " + s.Execution.ID.Name
	}
	task := ""
	for _, a := range s.Attempts {
		if a.TaskID.Name != "" {
			task = a.TaskID.Name
		}
	}
	if task == "" {
		return "node " + s.Node.ID
	}
	return fmt.Sprintf("task %s (node %s)", task, s.Node.ID)
}

// flyteOnAttempts collapses retries: " on both attempts", " on all 3 attempts", " on 2 of 3
// attempts"; "" for a single attempt.
func OnAttempts(n, total int) string {
	switch {
	case total <= 1:
		return ""
	case n == total && n == 2:
		return " on both attempts"
	case n == total:
		return fmt.Sprintf(" on all %d attempts", n)
	}
	return fmt.Sprintf(" on %d of %d attempts", max(n, 1), total)
}

// flyteTermSummary is the decisive part of a pod-failure message: the termination line and the
// last line of the log tail.
func TermSummary(msg string) string {
	if strings.Contains(msg, "despite being OOMKilled") {
		return "Pod reported success despite being OOMKilled"
	}
	ts := flyteTermsIn(msg)
	if len(ts) == 0 {
		return FirstLine(msg)
	}
	return ts[len(ts)-1].Line()
}

// flyteTerm is a container termination, from the pod or from Admin's message.
type Term struct {
	Container string
	Exit      int
	Reason    string
	Tail      string
	Pc        *rule.PodContainer
}

func (t Term) Line() string {
	s := fmt.Sprintf("[%s] terminated with exit code (%d). Reason [%s]", t.Container, t.Exit, t.Reason)
	if l := TailLine(t.Tail); l != "" {
		s += "; log tail: " + Clip(l, 300)
	}
	return s
}

func flyteTermsIn(msg string) []Term {
	locs := flyteTermRe.FindAllStringSubmatchIndex(msg, -1)
	var out []Term
	for i, l := range locs {
		end := len(msg)
		if i+1 < len(locs) {
			// The tail ends at the last "\r\n" before the next termination, searched for
			// between the two only (from the start of msg it was quadratic in terminations).
			end = locs[i+1][0]
			if j := strings.LastIndex(msg[l[1]:end], "\r\n"); j >= 0 {
				end = l[1] + j
			}
		}
		exit, _ := strconv.Atoi(msg[l[4]:l[5]])
		tail := strings.TrimSpace(msg[l[1]:end])
		tail = strings.TrimSpace(strings.TrimSuffix(tail, "."))
		out = append(out, Term{Container: msg[l[2]:l[3]], Exit: exit, Reason: msg[l[6]:l[7]], Tail: tail})
	}
	return out
}

// flyteTerms are the site's terminated containers: from the pods when they exist, else from
// Admin's messages (latest last).
func Terms(s *rule.Site) []Term {
	var out []Term
	for _, pc := range s.Containers() {
		for _, st := range []evidence.ContainerState{pc.Container.LastState, pc.Container.State} {
			if st.State == "terminated" && (st.ExitCode != 0 || st.Reason == "OOMKilled") {
				pc := pc
				out = append(out, Term{Container: pc.Container.Name, Exit: int(st.ExitCode), Reason: st.Reason,
					Tail: strings.TrimSpace(st.Message), Pc: &pc})
			}
		}
	}
	if len(out) == 0 {
		_, msg, _ := s.Error()
		out = flyteTermsIn(msg)
	}
	for i := range out {
		if out[i].Tail == "" {
			out[i].Tail = flyteLogTail(s, out[i].Container)
		}
	}
	return out
}

// flyteLogTail is the end of a container's log, when the Kubernetes collector fetched it (the
// container is named like its pod for python tasks).
func flyteLogTail(s *rule.Site, container string) string {
	for _, l := range s.Kube().Logs {
		if l.Container == container && !l.Previous && (s.Pods[l.Pod] != nil || s.Missing[l.Pod] || l.Pod == container) {
			lines := strings.Split(strings.TrimSpace(l.Text), "\n")
			if len(lines) > 30 {
				lines = lines[len(lines)-30:]
			}
			return strings.Join(lines, "\n")
		}
	}
	return ""
}

// flyteSystemTail: the log tail is flytekit's own SYSTEM error (for example the fast-register
// download, which runs before error.pb handling): not the task's code, and not an interruption.
func SystemTail(terms []Term) bool {
	for _, t := range terms {
		if flyteSysCodeRe.MatchString(t.Tail) {
			return true
		}
	}
	return false
}

func SignalExit(code int) bool { return code == 137 || code == 143 || code == 247 }

// flyteAppExit is the termination that shows the task's own process failed: a plain non-zero
// exit (not a signal, not OOMKilled) of the primary container, with no node shutdown, eviction
// or deletion in the evidence. Flyte may call it Interrupted (v1.15.1+) or UnknownError.
func AppExit(s *rule.Site) *Term {
	code, msg, _ := s.Error()
	switch code {
	case "UnknownError", "Interrupted", "Error", "StartError", "ContainerCannotRun", "":
	default:
		return nil
	}
	if IsOOM(code, msg) {
		return nil
	}
	if c, _, _ := ShutdownEvidence(s); c != "" {
		return nil
	}
	if t, _ := s.Find(EvictRe); t != "" {
		return nil
	}
	if t, _ := s.Find(ExecFormatRe); t != "" {
		return nil // image-pull: platform-mismatch
	}
	for _, name := range s.PodNames() {
		if p := s.Pods[name]; p.Reason != "" || !p.DeletionTimestamp.IsZero() {
			return nil
		}
	}
	terms := Terms(s)
	if SystemTail(terms) {
		return nil
	}
	for i := len(terms) - 1; i >= 0; i-- {
		t := terms[i]
		if t.Pc != nil && !IsPrimary(s, t.Pc) {
			continue
		}
		if t.Exit == 0 || SignalExit(t.Exit) || t.Reason == "OOMKilled" {
			return nil
		}
		// With Interrupted, insist on an application log tail: without one the exit is ambiguous.
		if code == "Interrupted" && t.Tail == "" && t.Reason != "StartError" && t.Reason != "ContainerCannotRun" {
			return nil
		}
		return &terms[i]
	}
	return nil
}

// flyteShutdownEvidence finds a node shutdown, preemption, node loss, drain or affinity
// rejection, and returns its cause, the decisive evidence and the node's name.
func ShutdownEvidence(s *rule.Site) (cause string, ev []string, node string) {
	for _, name := range s.PodNames() {
		p := s.Pods[name]
		for _, c := range p.Conditions {
			if c.Type != "DisruptionTarget" || c.Status != "True" {
				continue
			}
			line := fmt.Sprintf("pod %s: condition DisruptionTarget %s: %s", p.Name, c.Reason, c.Message)
			switch {
			case c.Reason == "PreemptionByScheduler":
				return CausePreempted, []string{line}, p.NodeName
			case c.Reason == "DeletionByTaintManager":
				return CauseNodeLost, []string{line}, p.NodeName
			case c.Reason == "EvictionByEvictionAPI":
				return CauseNodeDrained, []string{line}, p.NodeName
			case c.Reason == "TerminationByKubelet" && !EvictRe.MatchString(c.Message):
				return CauseNodeShutdown, []string{line}, p.NodeName
			}
		}
		switch p.Reason {
		case "Shutdown", "Terminated", "NodeShutdown":
			return CauseNodeShutdown, []string{fmt.Sprintf("pod %s: phase %s, reason %s: %s", p.Name, p.Phase, p.Reason, p.Message)}, p.NodeName
		case "NodeAffinity":
			return CauseNodeAffinity, []string{fmt.Sprintf("pod %s: reason NodeAffinity: %s", p.Name, p.Message)}, p.NodeName
		case "NodeLost":
			return CauseNodeLost, []string{fmt.Sprintf("pod %s: reason NodeLost: %s", p.Name, p.Message)}, p.NodeName
		}
	}
	if t, _ := s.Find(flyteShutdownTextRe); t != "" {
		return CauseNodeShutdown, []string{FirstLine(t)}, ""
	}
	if t, _ := s.Find(flytePreemptTextRe); t != "" {
		return CausePreempted, []string{FirstLine(t)}, ""
	}
	return "", nil, ""
}

// LastPod is the site's latest pod (its name sorts last), or nil.
func LastPod(s *rule.Site) *evidence.Pod {
	names := s.PodNames()
	if len(names) == 0 {
		return nil
	}
	return s.Pods[names[len(names)-1]]
}

// flyteOOMContainer is the OOMKilled container of the latest pod, if a pod shows one.
func OOMContainer(s *rule.Site) *rule.PodContainer {
	var found *rule.PodContainer
	for _, pc := range s.Containers() {
		if pc.Container.State.Reason == "OOMKilled" || pc.Container.LastState.Reason == "OOMKilled" {
			pc := pc
			found = &pc
		}
	}
	return found
}

// flyteIsPrimary: the container is the task's primary one (named in the attempt's log context,
// or named like the pod, as Flyte names python tasks' containers, or the pod's only container).
func IsPrimary(s *rule.Site, pc *rule.PodContainer) bool {
	if pc.Init {
		return false
	}
	for _, a := range s.Attempts {
		for _, p := range a.Pods {
			if p.PodName == pc.Pod.Name && p.PrimaryContainer != "" {
				return p.PrimaryContainer == pc.Container.Name
			}
		}
	}
	return pc.Container.Name == pc.Pod.Name || len(pc.Pod.Containers) == 1
}

func ContainerLine(pc *rule.PodContainer) string {
	st := pc.Container.State
	if st.State != "terminated" && pc.Container.LastState.State == "terminated" {
		st = pc.Container.LastState
	}
	line := fmt.Sprintf("pod %s container %s: %s", pc.Pod.Name, pc.Container.Name, OrUnknown(st.State))
	if st.Reason != "" {
		line += ", reason " + st.Reason
	}
	if st.State == "terminated" {
		line += fmt.Sprintf(", exit code %d", st.ExitCode)
	}
	return line
}

// flyteSuggestMem doubles a quantity ("2Gi" → "4Gi", "1536Mi" → "3Gi", "5242880Ki" → "10Gi").
func SuggestMem(q string) string {
	b, ok := ParseQuantity(q)
	if !ok || b <= 0 {
		return q
	}
	return FormatBytes(2 * b)
}

// flyteFormatBytes rounds up to a whole Gi (or 256Mi steps below 1Gi).
func FormatBytes(b float64) string {
	if b >= 1<<30 {
		return fmt.Sprintf("%dGi", int(math.Ceil(b/(1<<30))))
	}
	mi := int(math.Ceil(b/(1<<20)/256)) * 256
	if mi >= 1024 {
		return "1Gi"
	}
	return fmt.Sprintf("%dMi", mi)
}

// flyteExceptionLine is the last "Type: message" line of a traceback.
func ExceptionLine(msg string) string {
	ms := flyteExcLineRe.FindAllStringSubmatch(msg, -1)
	if len(ms) == 0 {
		return ""
	}
	m := ms[len(ms)-1]
	if m[2] = strings.TrimSuffix(strings.TrimSpace(m[2]), ":"); m[2] == "" {
		return m[1]
	}
	return m[1] + ": " + m[2]
}

// flyteUserFrame is the innermost frame of the traceback outside flytekit and site-packages:
// "/root/workflows/fanout.py:31 in parse_shard".
func UserFrame(msg string) string {
	ms := flyteFrameRe.FindAllStringSubmatch(msg, -1)
	for i := len(ms) - 1; i >= 0; i-- {
		if f := ms[i][1]; !strings.Contains(f, "site-packages") && !strings.Contains(f, "/flytekit/") {
			return fmt.Sprintf("%s:%s in %s", f, ms[i][2], ms[i][3])
		}
	}
	return ""
}

// flyteTailLine is the telling line of a log tail: the last exception or error line, else the
// last line.
func TailLine(tail string) string {
	if l := ExceptionLine(tail); l != "" {
		return l
	}
	lines := strings.Split(tail, "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		if l := strings.TrimSpace(lines[i]); flyteErrorLineRe.MatchString(l) {
			return l
		}
	}
	return flyteLastLine(tail)
}

func flyteLastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		if l := strings.TrimSpace(lines[i]); l != "" {
			return strings.TrimSuffix(l, "\r")
		}
	}
	return ""
}

// flyteClip cuts s to at most n bytes, at a character boundary, marking the cut with "...".
func Clip(s string, n int) string {
	s = strings.TrimSpace(s)
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "..."
}

// Relaunch is the flytectl command that relaunches execution id.
func Relaunch(id evidence.ExecutionID) string {
	return fmt.Sprintf("flytectl create execution -p %s -d %s --relaunch %s", id.Project, id.Domain, id.Name)
}

func Namespace(s *rule.Site, p *evidence.Pod) string {
	if p != nil && p.Namespace != "" {
		return p.Namespace
	}
	return cmp.Or(s.Execution.Namespace, s.Kube().Namespace, s.Execution.ID.Project+"-"+s.Execution.ID.Domain)
}

func Describe(s *rule.Site, p *evidence.Pod) string {
	return fmt.Sprintf("kubectl describe pod -n %s %s", Namespace(s, p), p.Name)
}

// flyteVersionNote explains Interrupted/UnknownError for a pod that failed without a pod-level
// reason, by the Admin version when it is known.
func VersionNote(s *rule.Site, code string) string {
	if code != "Interrupted" && code != "UnknownError" {
		return ""
	}
	v := ""
	if s.Snapshot.Admin != nil {
		v = s.Snapshot.Admin.Version
	}
	after, known := flyteVersionAtLeast(v, 1, 15, 1)
	switch {
	case !known && code == "Interrupted":
		return "; since Flyte v1.15.1 a pod that fails without a pod-level reason is reported as Interrupted (SYSTEM, system retry budget); up to v1.14 it was UnknownError (USER)"
	case !known:
		return "; up to Flyte v1.14 a pod that fails without a pod-level reason is UnknownError (USER); since v1.15.1 it is Interrupted (SYSTEM)"
	case after:
		return fmt.Sprintf("; Flyte %s (v1.15.1 or later) reports a pod that fails without a pod-level reason as Interrupted, kind SYSTEM, retried on the system retry budget (max-node-retries-system-failures)", v)
	}
	return fmt.Sprintf("; Flyte %s (before v1.15.1) reports a pod that fails without a pod-level reason as UnknownError, kind USER, retried on the task's retries=", v)
}

func flyteVersionAtLeast(v string, major, minor, patch int) (atLeast, known bool) {
	m := flyteVersionRe.FindStringSubmatch(v)
	if m == nil {
		return false, false
	}
	got := [3]int{}
	for i := range got {
		got[i], _ = strconv.Atoi(m[i+1])
	}
	want := [3]int{major, minor, patch}
	for i := range got {
		if got[i] != want[i] {
			return got[i] > want[i], true
		}
	}
	return true, true
}
