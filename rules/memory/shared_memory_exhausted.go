package memory

import (
	"fmt"

	"github.com/flytedoctor/flytedoctor/rules/internal/pattern"
	"github.com/flytedoctor/flytedoctor/rules/internal/read"
	"github.com/flytedoctor/flytedoctor/rules/rule"
)

// Cases quote a Flyte user verbatim: fires-dataloader-worker-exited-4423,
// https://github.com/flyteorg/flyte/issues/4423 ("DataLoader worker (pid(s) 468) exited
// unexpectedly"); quiet-dataloader-oomkilled is the same text under an OOM kill.
//
// shmRe: PyTorch's and NCCL's words for a full /dev/shm. "exited unexpectedly" is PyTorch's
// message when a worker dies without a Python error, which in a pod is mostly the 64Mi /dev/shm
// (flyteorg/flyte#4423); a worker the OOM killer took says "killed by signal: Killed" instead.
var shmRe = pattern.MustCompile(`DataLoader worker \(pid\(s\) [\d, ]+\) exited unexpectedly|is killed by signal: Bus error|insufficient shared memory \(shm\)|out of shared memory|No space left on device: '/dev/shm|Error while creating shared memory segment /dev/shm`)

const causeShm = "shared-memory-exhausted"

// SharedMemoryExhausted is FD5004: the task ran out of shared memory (/dev/shm).
func SharedMemoryExhausted() *rule.Rule {
	return &rule.Rule{
		ID: "FD5004", Name: "shared-memory-exhausted", Title: "The task ran out of shared memory (/dev/shm)",
		Category: rule.CatOutOfMemory, Causes: []string{causeShm}, Severity: rule.Error, Requires: []rule.Evidence{rule.Admin}, Reads: []rule.Evidence{rule.Kube},
		Supersedes: []string{"FD5101", "FD5102"}, // the exception and the exit are the symptom
		Doc: `PyTorch DataLoader workers (and NCCL, and multiprocessing queues) pass data through /dev/shm, and a
Kubernetes container gets the runtime's default of 64Mi there unless a memory-backed volume is
mounted: with num_workers > 0 and real batches it fills, and the worker dies with a bus error.
PyTorch then raises "RuntimeError: DataLoader worker (pid(s) 468) exited unexpectedly" or "... is
killed by signal: Bus error. It is possible that dataloader's workers are out of shared memory",
which flytekit reports as a USER exception; more memory or retries do not help. Since flytekit and
Flyte 1.15, @task(shared_memory=True) mounts a memory-backed /dev/shm sized to the node (or
shared_memory="8Gi"); before, a pod template with an emptyDir of medium Memory at /dev/shm does the
same. Its usage counts against the pod's memory limit. A pod the OOM killer ended is FD5001's.`,
		Fixes: []rule.Fix{
			{Action: "give the task shared memory (flytekit and Flyte 1.15 or later)", Commands: []string{`@task(shared_memory=True)`, `@task(shared_memory="8Gi")`}},
			{Action: "or mount a memory-backed volume at /dev/shm in the task's pod template", Commands: []string{
				`PodTemplate(primary_container_name="primary", pod_spec=V1PodSpec(containers=[V1Container(name="primary", volume_mounts=[V1VolumeMount(mount_path="/dev/shm", name="dshm")])], volumes=[V1Volume(name="dshm", empty_dir=V1EmptyDirVolumeSource(medium="Memory", size_limit="8Gi"))]))`}},
			{Action: "and keep the memory limit above what the workers put in /dev/shm; num_workers=0 confirms the diagnosis"},
		},
		Run: func(pass *rule.Pass) {
			s := pass.Site
			if s.Stuck || read.OOMContainer(s) != nil {
				return
			}
			code, msg, _ := s.Error()
			if read.IsOOM(code, msg) {
				return
			}
			text, _ := s.Find(shmRe)
			if text == "" {
				for _, t := range read.Terms(s) {
					if shmRe.MatchString(t.Tail) {
						text = t.Tail
					}
				}
			}
			if text == "" {
				return
			}
			line := lineMatching(text, shmRe)
			h := rule.Hit{
				Summary:  fmt.Sprintf("%s ran out of shared memory (/dev/shm): %s", read.Where(s), read.Clip(line, 200)),
				Detail:   "A DataLoader worker (or another process passing data through /dev/shm) died when /dev/shm filled; a container has 64Mi there unless a memory-backed volume is mounted",
				Evidence: []string{read.Clip(line, 400)},
			}
			if limit := memLimit(s); limit != "" {
				h.Detail += fmt.Sprintf("; the pod's memory limit is %s, which a memory-backed /dev/shm counts against", limit)
			}
			pass.Report(h)
		},
	}
}

// memLimit is the memory limit of the site's primary container, when a pod shows it.
func memLimit(s *rule.Site) string {
	if pc := primaryContainer(s); pc != nil {
		return pc.Container.Limits["memory"]
	}
	return ""
}
