package bundle

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"sort"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/flytedoctor/flytedoctor/collectors/evidence"
	"github.com/flytedoctor/flytedoctor/internal/oneline"
)

// Log is one container log as the bundle keeps it.
type Log struct {
	Pod, Namespace, Container string
	Previous                  bool
	Text                      string
	// Read is how many bytes were read; Cut says the middle was left out.
	Read int64
	Cut  bool
}

// File is where the log lives in the bundle.
func (l Log) File() string {
	name := "logs/" + seg(l.Pod) + "/" + seg(l.Container)
	if l.Previous {
		name += ".previous"
	}
	return name + ".log"
}

// scanBytes is the most read of one log in one pass; a longer log's tail is asked for
// separately (tailLines), since the API cannot skip to the end of a log by bytes.
const scanBytes = 32 << 20

const tailLines = 20000

// logWorkers bounds the log requests in flight.
const logWorkers = 4

type logTarget struct {
	pod, ns, container string
	previous           bool
}

// logTargets picks the containers whose logs a bundle keeps: every container, init
// containers included, of the pods that did not succeed, and the previous log of each that
// restarted; pods in the order given, at most maxPods of them (the rest are counted).
func logTargets(pods []corev1.Pod, maxPods int) (targets []logTarget, skipped int) {
	n := 0
	for i := range pods {
		p := &pods[i]
		if p.Status.Phase == corev1.PodSucceeded {
			continue
		}
		if maxPods > 0 && n >= maxPods {
			skipped++
			continue
		}
		n++
		status := map[string]corev1.ContainerStatus{}
		for _, s := range append(append([]corev1.ContainerStatus(nil), p.Status.InitContainerStatuses...), p.Status.ContainerStatuses...) {
			status[s.Name] = s
		}
		for _, c := range append(append([]corev1.Container(nil), p.Spec.InitContainers...), p.Spec.Containers...) {
			s, started := status[c.Name]
			if started && s.State.Waiting != nil && s.LastTerminationState.Terminated == nil && s.RestartCount == 0 {
				started = false // never ran: no log to read
			}
			if started {
				targets = append(targets, logTarget{pod: p.Name, ns: p.Namespace, container: c.Name})
			}
			if s.LastTerminationState.Terminated != nil {
				targets = append(targets, logTarget{pod: p.Name, ns: p.Namespace, container: c.Name, previous: true})
			}
		}
	}
	return targets, skipped
}

// FetchLogs reads the logs of pods that did not succeed, each bounded to limits.LogBytes:
// its head (a quarter) and its tail, the cut marked in the text. Failed reads are the run's
// errors; the logs read are returned in target order.
func FetchLogs(ctx context.Context, client kubernetes.Interface, pods []corev1.Pod, limits Limits, now func() time.Time) ([]Log, []LimitHit, CollectorRun) {
	start := now()
	run := CollectorRun{Name: "logs", Status: evidence.StatusOK}
	targets, skipped := logTargets(pods, limits.LogPods)
	var hits []LimitHit
	if skipped > 0 {
		hits = append(hits, LimitHit{Limit: "log_pods", Detail: fmt.Sprintf("logs of %d more pods that did not succeed were not read (the first %d were)", skipped, limits.LogPods)})
	}
	if len(targets) == 0 {
		run.Status = evidence.StatusSkipped
		run.SkipReason = "no pod that did not succeed has a container that ran"
		return nil, hits, run
	}
	logs := make([]*Log, len(targets))
	errs := make([]string, len(targets))
	var wg sync.WaitGroup
	sem := make(chan struct{}, logWorkers)
	for i, t := range targets {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			l, err := fetchLog(ctx, client, t, limits.LogBytes)
			if err != nil {
				errs[i] = fmt.Sprintf("get pods/log %s/%s container %s: %s", t.ns, t.pod, t.container, oneline.Fold(err.Error()))
				return
			}
			logs[i] = l
		})
	}
	wg.Wait()
	var out []Log
	for i, l := range logs {
		if errs[i] != "" {
			run.Errors = append(run.Errors, errs[i])
		}
		if l != nil {
			out = append(out, *l)
			if l.Cut {
				hits = append(hits, LimitHit{Limit: "log_bytes", File: l.File(), Detail: cutDetail(l, limits.LogBytes)})
			}
		}
	}
	run.Calls = len(targets)
	switch {
	case len(out) == 0:
		run.Status = evidence.StatusFailed
	case len(run.Errors) > 0:
		run.Status = evidence.StatusPartial
	}
	run.Duration = evidence.Duration(now().Sub(start))
	sort.SliceStable(hits, func(i, j int) bool { return hits[i].File < hits[j].File })
	return out, hits, run
}

func cutDetail(l *Log, limit int64) string {
	if l.Read > scanBytes {
		return fmt.Sprintf("the log is longer than %d bytes; its first and last bytes were kept, %d in all", scanBytes, limit)
	}
	return fmt.Sprintf("the log has %d bytes; its first and last bytes were kept, %d in all", l.Read, limit)
}

func fetchLog(ctx context.Context, client kubernetes.Interface, t logTarget, limit int64) (*Log, error) {
	if limit <= 0 {
		limit = DefaultLogBytes
	}
	l := &Log{Pod: t.pod, Namespace: t.ns, Container: t.container, Previous: t.previous}
	scan := int64(scanBytes + 1)
	body, err := stream(ctx, client, t, &corev1.PodLogOptions{Container: t.container, Previous: t.previous, LimitBytes: &scan})
	if err != nil {
		return nil, err
	}
	headLen := limit / 4
	ht := newHeadTail(headLen, limit-headLen)
	n, err := io.Copy(ht, body)
	body.Close()
	if err != nil {
		return nil, err
	}
	l.Read = n
	if !ht.cut() {
		l.Text = string(ht.head) + string(ht.tailBytes())
		return l, nil
	}
	l.Cut = true
	tail := ht.tailBytes()
	omitted := fmt.Sprintf("%d bytes", n-int64(len(ht.head))-int64(len(tail)))
	if n > scanBytes {
		// Longer than one pass reads: the tail is the log's last lines, asked for as such.
		lines := int64(tailLines)
		tb, err := stream(ctx, client, t, &corev1.PodLogOptions{Container: t.container, Previous: t.previous, TailLines: &lines})
		if err != nil {
			return nil, err
		}
		tt := newHeadTail(0, limit-headLen)
		_, err = io.Copy(tt, tb)
		tb.Close()
		if err != nil {
			return nil, err
		}
		tail = tt.tailBytes()
		omitted = fmt.Sprintf("more than %d bytes", scanBytes-len(ht.head)-len(tail))
	}
	head, tail := lineHead(ht.head), lineTail(tail)
	l.Text = string(head) + fmt.Sprintf("\n[flytedoctor: %s of this log left out here: the bundle keeps %d bytes of each log, its head and its tail]\n", omitted, limit) + string(tail)
	return l, nil
}

func stream(ctx context.Context, client kubernetes.Interface, t logTarget, o *corev1.PodLogOptions) (io.ReadCloser, error) {
	return client.CoreV1().Pods(t.ns).GetLogs(t.pod, o).Stream(ctx)
}

// lineHead ends the head at its last full line, when it has one.
func lineHead(b []byte) []byte {
	if i := bytes.LastIndexByte(b, '\n'); i > 0 {
		return b[:i+1]
	}
	return b
}

// lineTail starts the tail at its first full line, when it has one.
func lineTail(b []byte) []byte {
	if i := bytes.IndexByte(b, '\n'); i >= 0 && i+1 < len(b) {
		return b[i+1:]
	}
	return b
}

// headTail keeps the first h and the last t bytes written to it.
type headTail struct {
	head  []byte
	h, t  int64
	ring  []byte
	pos   int   // next write in ring
	total int64 // bytes written after the head filled
}

func newHeadTail(h, t int64) *headTail {
	return &headTail{h: h, t: t, head: make([]byte, 0, min(h, 1<<16))}
}

func (w *headTail) Write(p []byte) (int, error) {
	n := len(p)
	if room := w.h - int64(len(w.head)); room > 0 {
		k := min(room, int64(len(p)))
		w.head = append(w.head, p[:k]...)
		p = p[k:]
	}
	if len(p) == 0 || w.t == 0 {
		w.total += int64(len(p))
		return n, nil
	}
	if w.ring == nil {
		w.ring = make([]byte, 0, min(w.t, 1<<16))
	}
	w.total += int64(len(p))
	if int64(len(p)) >= w.t {
		w.ring = append(w.ring[:0], p[int64(len(p))-w.t:]...)
		w.pos = 0
		return n, nil
	}
	for len(p) > 0 {
		if int64(len(w.ring)) < w.t { // still filling
			k := min(w.t-int64(len(w.ring)), int64(len(p)))
			w.ring = append(w.ring, p[:k]...)
			p = p[k:]
			continue
		}
		k := copy(w.ring[w.pos:], p)
		w.pos = (w.pos + k) % len(w.ring)
		p = p[k:]
	}
	return n, nil
}

// cut says whether more was written than kept.
func (w *headTail) cut() bool { return w.total > w.t }

// tailBytes is the tail in order (and, when nothing was cut, all that followed the head).
func (w *headTail) tailBytes() []byte {
	if int64(len(w.ring)) < w.t || w.pos == 0 {
		return w.ring
	}
	return append(append([]byte(nil), w.ring[w.pos:]...), w.ring[:w.pos]...)
}

// AddLogs adds the logs as logs/POD/CONTAINER.log, redacted.
func (b *Builder) AddLogs(logs []Log) {
	for _, l := range logs {
		b.AddText(l.File(), l.Text)
	}
}
