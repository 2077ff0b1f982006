package interruption

import (
	"cmp"
	"fmt"

	"github.com/flytedoctor/flytedoctor/rules/internal/read"
	"github.com/flytedoctor/flytedoctor/rules/rule"
)

func PodTerminatedInBackground() *rule.Rule {
	return &rule.Rule{
		ID: "FD7003", Name: "pod-terminated-in-background", Title: "The task's pod was being deleted before it finished",
		Category: rule.CatInterrupted, Causes: []string{causeDeletedExternally}, Severity: rule.Error, Requires: []rule.Evidence{rule.Admin},
		Doc: `Propeller found the task's pod with a deletion timestamp while it had not finished: code
UnexpectedObjectDeletion, kind SYSTEM, retryable, "object [<namespace>/<pod>] terminated in the
background, manually". The pod was deleted (by hand, by a controller, or because its node went away
and the pod garbage collector removed it).`,
		Fixes: []rule.Fix{{Action: "find what deleted the pod (kubectl delete, node removal, a cleanup controller) and relaunch"}},
		Run: func(pass *rule.Pass) {
			s := pass.Site
			if s.Stuck {
				return
			}
			code, msg, _ := s.Error()
			text, m := s.Find(read.BackgroundRe)
			if code != "UnexpectedObjectDeletion" && m == nil {
				return
			}
			h := rule.Hit{
				Summary:  fmt.Sprintf("the pod of %s was deleted before it finished", read.Where(s)),
				Detail:   "propeller: " + read.FirstLine(cmp.Or(text, msg)) + " (code UnexpectedObjectDeletion, kind SYSTEM, retryable)",
				Evidence: []string{cmp.Or(text, msg)},
			}
			if m != nil {
				h.Summary = fmt.Sprintf("pod %s of %s was deleted before it finished", m[1], read.Where(s))
			}
			pass.Report(h)
		},
	}
}
