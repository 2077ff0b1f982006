package read

import (
	"fmt"
	"strings"

	"github.com/flytedoctor/flytedoctor/rules/rule"
)

// ExitMeaning says what a container's exit code means when Kubernetes gives no reason ("Reason
// [Error]"), as one sentence; "" for 0 and codes with no conventional meaning.
func ExitMeaning(code int) string {
	switch code {
	case 0:
		return ""
	case 1:
		return "exit code 1 is a general failure: an exception outside flytekit's handler (while importing the task's module, in a script the command runs), sys.exit(1) or a failing shell command"
	case 2:
		return "exit code 2 is a usage error: the command or a shell builtin was called with arguments it does not accept (argparse and click exit 2)"
	case 126:
		return "exit code 126 means the command was found but could not be executed: no execute permission, or a script for an interpreter the image lacks"
	case 127:
		return "exit code 127 means command not found: the entrypoint, or a program the command runs, is not on the image's PATH"
	case 128:
		return "exit code 128 means the container runtime could not start the process (Reason StartError names why)"
	case 255:
		return "exit code 255 is an exit status of -1 or out of range: the process reported failure without a code of its own (ssh, some launchers)"
	case 247:
		return "exit code 247 is a process killed by SIGKILL reported as -9 (Flyte treats it like 137)"
	}
	if code > 128 && code < 160 {
		n := code - 128
		name, why := signalName(n)
		s := fmt.Sprintf("exit code %d is 128+%d: the process was killed by %s", code, n, name)
		if why != "" {
			s += ", " + why
		}
		return s
	}
	return ""
}

func signalName(n int) (name, why string) {
	switch n {
	case 6:
		return "SIGABRT", "which a native library raises on a fatal error (a C++ exception nobody caught, a failed assertion, \"double free or corruption\", a CUDA or NCCL abort)"
	case 7:
		return "SIGBUS", "most often a full /dev/shm (PyTorch DataLoader workers share batches through it, and a container gets 64Mi unless a memory-backed volume is mounted there) or a memory-mapped file that shrank"
	case 8:
		return "SIGFPE", "an arithmetic fault in native code (integer division by zero)"
	case 9:
		return "SIGKILL", "which cannot be caught: the cgroup OOM killer (then the reason is OOMKilled), the kubelet ending a container that did not stop within its grace period after a deletion, eviction or preemption, the node's kernel OOM killer under node-wide memory pressure, or someone killing it by hand"
	case 11:
		return "SIGSEGV", "a segmentation fault in native code: a C extension or library built for another CPU, driver or library version (torch, numpy, CUDA wheels that do not match), a stack overflow from deep recursion, or memory corruption"
	case 13:
		return "SIGPIPE", "it wrote to a pipe or socket whose reader had gone"
	case 15:
		return "SIGTERM", "the polite stop: the pod was deleted (an abort or a Flyte timeout deletes it), evicted, preempted, drained, or its spot node was reclaimed, and the process exited on the signal instead of finishing"
	}
	return fmt.Sprintf("signal %d", n), ""
}

// KillTerm is the site's latest termination by SIGKILL or SIGTERM that is not an OOM kill.
func KillTerm(s *rule.Site) *Term {
	terms := Terms(s)
	for i := len(terms) - 1; i >= 0; i-- {
		t := terms[i]
		if t.Pc != nil && !IsPrimary(s, t.Pc) {
			continue
		}
		if SignalExit(t.Exit) && t.Reason != "OOMKilled" {
			return &terms[i]
		}
		return nil
	}
	return nil
}

// KillClues is what the evidence says about who sent a SIGKILL or SIGTERM: the pod's warning
// and kill events, its reason and disruption condition, and the container's memory limit (the
// cgroup OOM killer would have said OOMKilled). Each clue is one evidence line.
func KillClues(s *rule.Site, t *Term) (clues []string, memLimit string) {
	for _, name := range s.PodNames() {
		p := s.Pods[name]
		if p.Reason != "" {
			clues = append(clues, fmt.Sprintf("pod %s: status reason %s: %s", p.Name, p.Reason, Clip(p.Message, 200)))
		}
		if !p.DeletionTimestamp.IsZero() {
			clues = append(clues, fmt.Sprintf("pod %s: deleted at %s", p.Name, p.DeletionTimestamp.UTC().Format("2006-01-02T15:04:05Z")))
		}
		for _, c := range p.Conditions {
			if c.Type == "DisruptionTarget" && c.Status == "True" {
				clues = append(clues, fmt.Sprintf("pod %s: condition DisruptionTarget %s: %s", p.Name, c.Reason, Clip(c.Message, 200)))
			}
		}
	}
	for _, e := range s.Events {
		switch e.Reason {
		case "Killing", "Evicted", "Preempted", "Preempting", "OOMKilling", "NodeNotReady", "TaintManagerEviction", "ExceededGracePeriod", "FailedKillPod":
			clues = append(clues, fmt.Sprintf("event %s on %s %s: %s", e.Reason, strings.ToLower(e.Kind), e.Name, Clip(e.Message, 200)))
		}
	}
	if t != nil && t.Pc != nil {
		memLimit = t.Pc.Container.Limits["memory"]
	}
	if memLimit == "" {
		for _, pc := range s.Containers() {
			if t != nil && pc.Container.Name == t.Container {
				memLimit = pc.Container.Limits["memory"]
			}
		}
	}
	return clues, memLimit
}

// KillAdvice explains a SIGKILL or SIGTERM with no reason, for a finding's detail: what the
// code means, what the evidence shows, and how to tell an OOM kill from an eviction or a
// deletion. It also returns the clues as evidence lines.
func KillAdvice(s *rule.Site, t *Term) (detail string, evidence []string) {
	detail = ExitMeaning(t.Exit)
	clues, limit := KillClues(s, t)
	switch {
	case len(clues) > 0:
		detail += ". The pod's evidence says who sent it: " + strings.Join(clues, "; ")
	case len(s.Pods) == 0 && len(s.Events) == 0:
		detail += ". The pod and its events are gone, so the evidence cannot say who sent it"
	default:
		detail += ". The pod's events name no deletion, eviction or preemption"
	}
	if t.Exit == 137 || t.Exit == 247 {
		switch {
		case limit != "":
			detail += fmt.Sprintf("; the container's memory limit is %s, and a kill by its cgroup OOM killer would say OOMKilled, so compare the limit with its peak usage and look at the node for a system OOM (kubectl describe node: MemoryPressure, \"System OOM encountered\")", limit)
		default:
			detail += "; no memory limit was seen, so a cgroup OOM kill is unlikely: look at the node for a system OOM (kubectl describe node: MemoryPressure, \"System OOM encountered\") and at its events for a drain or deletion"
		}
	}
	return detail, clues
}

// KillFixes are the commands that tell an OOM kill from an eviction or a deletion.
func KillFixes(s *rule.Site, t *Term) []rule.Fix {
	var fixes []rule.Fix
	p := LastPod(s)
	if p != nil {
		fixes = append(fixes, rule.Fix{Action: "read the container's last state and the pod's events while they exist (reason OOMKilled, Evicted, Killing, Preempted)",
			Commands: []string{Describe(s, p)}})
		if p.NodeName != "" {
			fixes = append(fixes, rule.Fix{Action: "look at the node it ran on for memory pressure, a system OOM or a drain",
				Commands: []string{"kubectl describe node " + p.NodeName, "kubectl get events -A --field-selector involvedObject.kind=Node,involvedObject.name=" + p.NodeName}})
		}
	} else if len(s.Attempts) > 0 {
		a := s.Attempts[len(s.Attempts)-1]
		if name := a.PodName; name != "" {
			fixes = append(fixes, rule.Fix{Action: "read the pod's events; they outlive the pod for about an hour",
				Commands: []string{fmt.Sprintf("kubectl get events -n %s --field-selector involvedObject.name=%s", Namespace(s, nil), name)}})
		}
	}
	if t.Exit == 137 || t.Exit == 247 {
		fixes = append(fixes, rule.Fix{Action: "if it ran close to its memory limit, raise it", Commands: []string{`@task(limits=Resources(mem="..."))`}})
	}
	return fixes
}
