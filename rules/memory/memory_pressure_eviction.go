package memory

import (
	"fmt"

	"github.com/flytedoctor/flytedoctor/rules/internal/read"
	"github.com/flytedoctor/flytedoctor/rules/rule"
)

func MemoryPressureEviction() *rule.Rule {
	return &rule.Rule{
		ID: "FD5002", Name: "memory-pressure-eviction", Title: "The kubelet evicted the pod because its node ran out of memory",
		Category: rule.CatOutOfMemory, Causes: []string{causeMemoryEviction}, Severity: rule.Error, Requires: []rule.Evidence{rule.Admin}, Reads: []rule.Evidence{rule.Kube},
		Doc: `The node ran low on memory and the kubelet evicted the pod ("The node was low on resource:
memory. ... Container x was using 5Gi, request is 1Gi, has larger consumption of memory."). The
kubelet evicts the pods that use most memory above their request first, so a task whose memory
request is far below its real use (Burstable QoS) is the first to go, even if it never reached its
limit. Flyte reports the pod's reason (code Evicted, USER, retryable) or, when the container was
SIGKILLed, Interrupted (SYSTEM). Setting the request equal to the limit (Guaranteed QoS) and to
what the task really uses prevents it.`,
		Fixes: []rule.Fix{{Action: "request the memory the task really uses, equal to its limit (Guaranteed QoS)",
			Commands: []string{`@task(requests=Resources(mem="4Gi"), limits=Resources(mem="4Gi"))`}}},
		Run: func(pass *rule.Pass) {
			s := pass.Site
			if s.Stuck {
				return
			}
			if subs, ok := read.ArraySubs(s); ok {
				if h := read.ArrayHit(s, subs, rule.CatOutOfMemory, []string{"memory-eviction"}, "were evicted for node memory pressure"); h != nil {
					pass.Report(*h)
				}
				return
			}
			text, _ := s.Find(read.MemEvictRe)
			if text == "" {
				return
			}
			h := rule.Hit{
				Summary:  fmt.Sprintf("%s was evicted because its node ran low on memory", read.Where(s)),
				Detail:   "kubelet: " + read.FirstLine(text),
				Evidence: []string{read.FirstLine(text)},
			}
			if m := evictUsageRe.FindStringSubmatch(text); m != nil {
				h.Summary += fmt.Sprintf(" (it used %s against a request of %s)", humanMem(m[2]), m[3])
				h.Fixes = []rule.Fix{{Action: fmt.Sprintf("request at least what the task uses (%s), equal to its limit", humanMem(m[2])),
					Commands: []string{fmt.Sprintf(`@task(requests=Resources(mem=%q), limits=Resources(mem=%q))`,
						read.SuggestMem(m[2]), read.SuggestMem(m[2]))}}}
			}
			pass.Report(h)
		},
	}
}
