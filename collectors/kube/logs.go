package kube

import (
	"bytes"
	"context"
	"sort"
	"sync"

	corev1 "k8s.io/api/core/v1"

	"github.com/flytedoctor/flytedoctor/collectors/evidence"
)

// primaryContainerAnnotation is set by Flyte's pod plugin on pod tasks.
const primaryContainerAnnotation = "primary_container_name"

type logTarget struct {
	pod, container string
	previous       bool
}

// logTargets picks the containers whose logs explain a failure: terminated non-zero now
// (current log) or terminated before a restart (previous log); for a failed pod with neither,
// its primary container. Pods of attempts come first, in tree order; at most limit targets.
func logTargets(pods []corev1.Pod, p *plan, limit int) []logTarget {
	type ranked struct {
		rank int
		t    logTarget
	}
	var all []ranked
	for i := range pods {
		pod := &pods[i]
		rank := len(p.wants)
		if j, ok := p.byName[pod.Name]; ok {
			rank = j
		}
		failed := pod.Status.Phase == corev1.PodFailed
		n := len(all)
		statuses := append(append([]corev1.ContainerStatus(nil), pod.Status.InitContainerStatuses...), pod.Status.ContainerStatuses...)
		for _, s := range statuses {
			if t := s.State.Terminated; t != nil && (t.ExitCode != 0 || failed && t.Reason != "Completed") {
				all = append(all, ranked{rank, logTarget{pod: pod.Name, container: s.Name}})
			}
			if s.LastTerminationState.Terminated != nil {
				all = append(all, ranked{rank, logTarget{pod: pod.Name, container: s.Name, previous: true}})
			}
		}
		if failed && len(all) == n && len(pod.Spec.Containers) > 0 {
			c := pod.Annotations[primaryContainerAnnotation]
			if c == "" {
				c = pod.Spec.Containers[0].Name
			}
			all = append(all, ranked{rank, logTarget{pod: pod.Name, container: c}})
		}
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].rank < all[j].rank })
	var out []logTarget
	for _, r := range all[:min(limit, len(all))] {
		out = append(out, r.t)
	}
	return out
}

// readLogs reads bounded tails, a few at a time. A failed read is recorded and skipped.
func (r *run) readLogs(ctx context.Context, targets []logTarget, depth int) []evidence.ContainerLog {
	lines, limit := r.c.LogLines, r.c.LogBytes
	if lines <= 0 {
		lines = DefaultLogLines
	}
	if limit <= 0 {
		limit = DefaultLogBytes
	}
	out := make([]*evidence.ContainerLog, len(targets))
	sem := make(chan struct{}, logParallelism)
	var wg sync.WaitGroup
	for i, t := range targets {
		wg.Go(func() {
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				return
			}
			defer func() { <-sem }()
			opts := &corev1.PodLogOptions{Container: t.container, Previous: t.previous, TailLines: &lines, LimitBytes: &limit}
			var body []byte
			attempts, err := r.call(ctx, callGetLog, depth+1, func(ctx context.Context) error {
				var err error
				body, err = r.c.Client.CoreV1().Pods(r.c.Namespace).GetLogs(t.pod, opts).DoRaw(ctx)
				return err
			})
			if err != nil {
				target := "pod " + r.c.Namespace + "/" + t.pod + " container " + t.container
				if t.previous {
					target += " (previous)"
				}
				r.fail(callGetLog, target, err, attempts)
				return
			}
			out[i] = &evidence.ContainerLog{Pod: t.pod, Container: t.container, Previous: t.previous, Text: string(body),
				Truncated: int64(len(body)) >= limit || int64(bytes.Count(body, []byte{'\n'})) >= lines}
		})
	}
	wg.Wait()
	var logs []evidence.ContainerLog
	for _, l := range out {
		if l != nil {
			logs = append(logs, *l)
		}
	}
	return logs
}
