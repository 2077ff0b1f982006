package interruption

import (
	"fmt"

	"github.com/flytedoctor/flytedoctor/rules/internal/read"
	"github.com/flytedoctor/flytedoctor/rules/rule"
)

func Interrupted() *rule.Rule {
	return &rule.Rule{
		ID: "FD7005", Name: "interrupted", Title: "Flyte reported the attempt as Interrupted",
		Category: rule.CatInterrupted, Causes: []string{causeSigkilled, causeInterrupted, causeSigterm}, Severity: rule.Error, Requires: []rule.Evidence{rule.Admin}, Reads: []rule.Evidence{rule.Kube},
		Doc: `Flyte reported code Interrupted (kind SYSTEM, retryable: system retry budget) and no more specific
evidence of a node shutdown, preemption or eviction was found. Flyte uses Interrupted for a pod
whose reason is Shutdown, Terminated, NodeShutdown or NodeAffinity, for a primary container killed
by SIGKILL (exit code 137 or 247) that was not OOMKilled, and, since v1.15.1, for any pod that failed
without a pod-level reason (up to v1.14 that was UnknownError, kind USER). flytedoctor reads the
Admin version to say which semantics apply; a plain non-zero exit with an application log tail is
classified as user code instead (FD5102). A SIGKILL without OOMKilled usually means the node went
away or the container was killed from outside (kubectl delete --grace-period=0, a node problem).`,
		Fixes: []rule.Fix{{Action: "relaunch; if it repeats, look at the node the pod ran on and the pod's events"}},
		Run: func(pass *rule.Pass) {
			s := pass.Site
			if s.Stuck {
				return
			}
			if subs, ok := read.ArraySubs(s); ok {
				if h := read.ArrayHit(s, subs, rule.CatInterrupted, []string{"interrupted"}, "were interrupted"); h != nil {
					pass.Report(*h)
				}
				return
			}
			code, msg, _ := s.Error()
			if code != "Interrupted" {
				return
			}
			if c, _, _ := read.ShutdownEvidence(s); c != "" {
				return // FD7001
			}
			if t, _ := s.Find(read.EvictRe); t != "" {
				return // FD7004, FD5002
			}
			if read.OOMContainer(s) != nil {
				return // FD5001
			}
			if read.AppExit(s) != nil {
				return // FD5102
			}
			terms := read.Terms(s)
			if read.SystemTail(terms) {
				return // flytekit's own error before error.pb: storage rules or the system fallback
			}
			h := rule.Hit{Cause: causeInterrupted, Summary: fmt.Sprintf("%s was interrupted", read.Where(s))}
			var t *read.Term
			if len(terms) > 0 {
				t = &terms[len(terms)-1]
			}
			if t != nil && read.SignalExit(t.Exit) {
				h.Cause = causeSigkilled
				h.Summary = fmt.Sprintf("%s was killed by a signal (exit code %d, not OOMKilled)", read.Where(s), t.Exit)
				h.Evidence = append(h.Evidence, t.Line())
			} else if t != nil {
				h.Evidence = append(h.Evidence, t.Line())
			} else {
				h.Evidence = append(h.Evidence, "Admin error Interrupted: "+read.FirstLine(msg))
			}
			h.Detail = "Flyte code Interrupted (kind SYSTEM, retryable: system retry budget)" + read.VersionNote(s, code)
			if t != nil && !read.SignalExit(t.Exit) && t.Exit != 0 {
				h.Detail += fmt.Sprintf("; the container exited with code %d and left no log tail, so it may be the task's own exit: check its log", t.Exit)
				if m := read.ExitMeaning(t.Exit); m != "" {
					h.Detail += "; " + m
				}
			}
			if t == nil && noContainerLine(msg) {
				h.Detail += "; " + noReasonDetail(s)
			}
			if p := read.LastPod(s); p != nil {
				h.Fixes = []rule.Fix{{Action: "relaunch; if it repeats, look at the pod's events and its node", Commands: []string{read.Describe(s, p)}}}
				if p.NodeName != "" {
					h.Fixes = append(h.Fixes, rule.Fix{Action: "check the node it ran on", Commands: []string{"kubectl describe node " + p.NodeName}})
				}
			}
			if t != nil && read.SignalExit(t.Exit) && t.Reason != "OOMKilled" {
				if t.Exit == 143 {
					h.Cause = causeSigterm
					h.Summary = fmt.Sprintf("%s was stopped by SIGTERM (exit code 143): something deleted or evicted its pod", read.Where(s))
				}
				detail, clues := read.KillAdvice(s, t)
				h.Detail = detail + ". " + h.Detail
				h.Evidence = append(h.Evidence, clues...)
				h.Fixes = read.KillFixes(s, t)
			}
			pass.Report(h)
		},
	}
}
