package memory

import (
	"fmt"

	"github.com/flytedoctor/flytedoctor/rules/internal/read"
	"github.com/flytedoctor/flytedoctor/rules/rule"
)

func GPUOutOfMemory() *rule.Rule {
	return &rule.Rule{
		ID: "FD5003", Name: "gpu-out-of-memory", Title: "The task ran out of GPU memory",
		Category: rule.CatOutOfMemory, Causes: []string{causeGPUOOM}, Severity: rule.Error, Requires: []rule.Evidence{rule.Admin},
		Doc: `The task's code failed allocating GPU memory ("torch.OutOfMemoryError: CUDA out of memory. Tried
to allocate ...", "CUDA error: out of memory", XLA "RESOURCE_EXHAUSTED: Out of memory"). flytekit
reports the exception as a USER error (USER:OutOfMemoryError or USER:RuntimeError), non-recoverable,
so retries= does not retry it. More container memory does not help: the batch or the model has to
fit the GPU, or the task needs a GPU with more memory.`,
		Fixes: []rule.Fix{
			{Action: "lower the batch size or sequence length, or use mixed precision / gradient checkpointing"},
			{Action: "or request a GPU with more memory", Commands: []string{`@task(requests=Resources(gpu="1"), accelerator=A100_80GB)`}},
		},
		Run: func(pass *rule.Pass) {
			s := pass.Site
			if s.Stuck {
				return
			}
			if subs, ok := read.ArraySubs(s); ok {
				if h := read.ArrayHit(s, subs, rule.CatOutOfMemory, []string{"gpu-oom"}, "ran out of GPU memory"); h != nil {
					pass.Report(*h)
				}
				return
			}
			code, msg, _ := s.Error()
			if !read.GPUOOMRe.MatchString(msg) {
				return
			}
			line := lineMatching(msg, read.GPUOOMRe)
			pass.Report(rule.Hit{
				Summary:  fmt.Sprintf("%s ran out of GPU memory", read.Where(s)),
				Detail:   fmt.Sprintf("%s: %s", read.OrUnknown(code), line),
				Evidence: []string{line},
			})
		},
	}
}
