package pending

import (
	"github.com/flytedoctor/flytedoctor/rules/rule"
)

// InsufficientGPU is FD2007: no node has the GPUs the task requests.
func InsufficientGPU() *rule.Rule {
	return &rule.Rule{
		ID: "FD2007", Name: "insufficient-gpu", Title: "No node has the GPUs the task requests",
		Category: rule.CatResourcePending, Causes: []string{"insufficient-gpu"}, Severity: rule.Error, Requires: []rule.Evidence{rule.Admin}, Reads: []rule.Evidence{rule.Kube},
		Doc: `The scheduler's dominant reason is "Insufficient nvidia.com/gpu" (or another accelerator resource):
no node has that many GPUs free. When the node summary is available the detail says whether the
request can ever fit (the largest allocatable count among nodes versus the request) or whether the
GPUs exist but running pods hold them; nodes a taint, node selector or affinity rules out do not count
as capacity (FD2004, FD2005, FD2006 report those). A task gets GPUs with @task(requests=Resources(gpu="1"));
Flyte requests them as plugins.k8s.gpu-resource-name (default nvidia.com/gpu).` + timeoutDoc,
		Fixes: []rule.Fix{
			{Action: "see which nodes offer GPUs and how many are allocated", Commands: []string{"kubectl describe nodes"}},
			{Action: "request no more GPUs than one node has, or add (or scale up) a GPU node group", Commands: []string{`@task(requests=Resources(gpu="1"))`}},
		},
		Run: causeSite("insufficient-gpu"),
	}
}
