package interruption

import (
	"cmp"
	"fmt"
	"strings"

	"github.com/flytedoctor/flytedoctor/rules/internal/read"
	"github.com/flytedoctor/flytedoctor/rules/rule"
)

func PodDeletedExternally() *rule.Rule {
	return &rule.Rule{
		ID: "FD7002", Name: "pod-deleted-externally", Title: "The task's pod was deleted while Flyte was watching it",
		Category: rule.CatInterrupted, Causes: []string{causeDeletedExternally}, Severity: rule.Error, Requires: []rule.Evidence{rule.Admin},
		Doc: `Propeller looked for the task's pod and it was gone: code ResourceDeletedExternally, kind SYSTEM,
retryable, "resource not found, name [<namespace>/<pod>]. reason: pods "<pod>" not found". Someone or
something deleted it (kubectl delete, a cleanup job, a node that was removed with its pods, or the
garbage collector removing a finished pod before propeller read its final status).`,
		Fixes: []rule.Fix{{Action: "find what deletes pods in the namespace (cleanup jobs, kubectl delete, node removal) and stop it, then relaunch"}},
		Run: func(pass *rule.Pass) {
			s := pass.Site
			if s.Stuck {
				return
			}
			if subs, ok := read.ArraySubs(s); ok {
				if h := read.ArrayHit(s, subs, rule.CatInterrupted, []string{"deleted"}, "had their pods deleted externally"); h != nil {
					pass.Report(*h)
				}
				return
			}
			code, msg, _ := s.Error()
			text, m := s.Find(read.NotFoundRe)
			if code != "ResourceDeletedExternally" && m == nil {
				return
			}
			pod := ""
			if m != nil {
				pod = m[1]
			}
			h := rule.Hit{
				Summary:  fmt.Sprintf("the pod of %s was deleted while it ran", read.Where(s)),
				Detail:   "propeller: " + read.FirstLine(cmp.Or(text, msg)) + " (code ResourceDeletedExternally, kind SYSTEM, retryable)",
				Evidence: []string{cmp.Or(text, msg)},
			}
			if pod != "" {
				h.Summary = fmt.Sprintf("pod %s of %s was deleted while it ran", pod, read.Where(s))
				ns, name, _ := strings.Cut(pod, "/")
				h.Fixes = []rule.Fix{
					{Action: "find who deleted the pod in the API server audit log or the namespace's events", Commands: []string{
						fmt.Sprintf("kubectl get events -n %s --field-selector involvedObject.name=%s", ns, name)}},
					{Action: "stop the process that deletes running pods, then relaunch"},
				}
			}
			pass.Report(h)
		},
	}
}
