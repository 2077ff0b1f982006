package interruption

import (
	"cmp"
	"fmt"

	"github.com/flytedoctor/flytedoctor/rules/internal/read"
	"github.com/flytedoctor/flytedoctor/rules/rule"
)

func PodEvicted() *rule.Rule {
	return &rule.Rule{
		ID: "FD7004", Name: "pod-evicted", Title: "The kubelet evicted the task's pod",
		Category: rule.CatInterrupted, Causes: []string{causeEvicted, causeEphemeralStorage}, Severity: rule.Error, Requires: []rule.Evidence{rule.Admin}, Reads: []rule.Evidence{rule.Kube},
		Doc: `The kubelet evicted the pod (pod reason Evicted): the node ran short of disk or another
resource, or the pod wrote more to its local disk (container writable layer, emptyDir, /tmp) than
its ephemeral-storage limit ("Pod ephemeral local storage usage exceeds the total limit of
containers 1Gi."). Flyte reports the pod's reason (code Evicted, USER, retryable) or, when the
container was SIGKILLed, Interrupted (SYSTEM). Memory-pressure evictions are FD5002.`,
		Fixes: []rule.Fix{{Action: "give the task enough local disk, or write large files to the raw output prefix instead of local disk",
			Commands: []string{`@task(requests=Resources(ephemeral_storage="20Gi"), limits=Resources(ephemeral_storage="20Gi"))`}}},
		Run: func(pass *rule.Pass) {
			s := pass.Site
			if s.Stuck {
				return
			}
			if subs, ok := read.ArraySubs(s); ok {
				if h := read.ArrayHit(s, subs, rule.CatInterrupted, []string{"evicted"}, "were evicted"); h != nil {
					pass.Report(*h)
				}
				return
			}
			text, m := s.Find(read.EvictRe)
			code, _, _ := s.Error()
			evictedPod := ""
			for _, name := range s.PodNames() {
				if s.Pods[name].Reason == "Evicted" {
					evictedPod = name
				}
			}
			if m == nil && code != "Evicted" && evictedPod == "" {
				return
			}
			if s2, _ := s.Find(read.MemEvictRe); s2 != "" {
				return // FD5002
			}
			h := rule.Hit{Cause: causeEvicted, Summary: fmt.Sprintf("%s was evicted by the kubelet", read.Where(s))}
			if text != "" {
				h.Detail = "kubelet: " + read.FirstLine(text)
				h.Evidence = append(h.Evidence, read.FirstLine(text))
			} else {
				h.Detail = "pod reason Evicted"
				h.Evidence = append(h.Evidence, "pod "+evictedPod+": reason Evicted")
			}
			if m != nil && (m[2] != "" || m[4] != "") {
				h.Cause = causeEphemeralStorage
				limit := cmp.Or(m[2], m[4])
				h.Summary = fmt.Sprintf("%s was evicted for writing more local disk than its ephemeral-storage limit of %s", read.Where(s), limit)
				h.Fixes = []rule.Fix{{Action: fmt.Sprintf("raise the task's ephemeral-storage above %s, or write large files to the raw output prefix (FlyteFile/FlyteDirectory) instead of local disk", limit),
					Commands: []string{fmt.Sprintf(`@task(requests=Resources(ephemeral_storage=%q), limits=Resources(ephemeral_storage=%q))`, read.SuggestMem(limit), read.SuggestMem(limit))}}}
			} else if m != nil && m[1] != "" {
				h.Summary = fmt.Sprintf("%s was evicted because its node ran low on %s", read.Where(s), m[1])
			}
			pass.Report(h)
		},
	}
}
