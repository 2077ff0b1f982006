package kube

import (
	"context"
	"fmt"
	"os"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/flytedoctor/flytedoctor/collectors/evidence"
)

// The benchmark namespace is seeded once and reused by later runs (a ConfigMap marks it
// complete); bump the version when the contents change.
const (
	benchNS          = "bench-kube-v1"
	benchPods        = 2000
	benchBigPods     = 1000 // execution "big": an array node with 1,000 subtasks, 3 failed
	benchSmallPods   = 10   // execution "small": 10 subtasks, 1 failed
	benchEventsByPod = 10
	benchParallel    = 32
	benchMarker      = "flytedoctor-bench-seeded"
)

// BenchmarkCollect runs the collector against the real apiserver of scripts/stack on a namespace
// of 2,000 pods and 20,000 events, for an execution with 1,000 pods and one with 10.
func BenchmarkCollect(b *testing.B) {
	admin := stackAdmin(b)
	seedBench(b, admin)
	path := os.Getenv("STACK_KUBECONFIG")
	for _, tc := range []struct {
		exec   string
		pods   int
		failed []int
	}{
		{"big", benchBigPods, []int{100, 500, 900}},
		{"small", benchSmallPods, []int{3}},
	} {
		b.Run(fmt.Sprintf("exec-pods=%d", tc.pods), func(b *testing.B) {
			ex := benchExecution(tc.exec, tc.pods, tc.failed)
			collect := func() (*evidence.Kube, evidence.CollectorRecord) {
				// A fresh client each time, as each diagnosis is a new process (connection included).
				cs, info, err := NewClient(ClientOptions{Kubeconfig: path, Timeout: 30 * time.Second})
				if err != nil {
					b.Fatal(err)
				}
				c := &Collector{Client: cs, Namespace: benchNS, NamespaceSource: SourceAdmin, Context: info.Context, Server: info.Server}
				return c.Collect(context.Background(), ex)
			}
			collect() // warm the apiserver's caches and this process
			var runs []evidence.CollectorRecord
			var k *evidence.Kube
			b.ResetTimer()
			for range b.N {
				var rec evidence.CollectorRecord
				k, rec = collect()
				if rec.Status != evidence.StatusOK {
					b.Fatalf("status %s %+v", rec.Status, rec.Errors)
				}
				runs = append(runs, rec)
			}
			b.StopTimer()
			sort.Slice(runs, func(i, j int) bool { return runs[i].Duration < runs[j].Duration })
			rec := runs[len(runs)/2]
			if len(k.Pods) != tc.pods || len(k.MissingPods) != 0 {
				b.Fatalf("kept %d pods (want %d), %d missing", len(k.Pods), tc.pods, len(k.MissingPods))
			}
			podsMS, eventsMS := chainTimes(b, path, ex)
			b.ReportMetric(podsMS, "pod-list-ms")
			b.ReportMetric(eventsMS, "event-list-ms")
			b.ReportMetric(float64(rec.TotalCalls()), "calls")
			b.ReportMetric(float64(rec.Calls[callListPods]), "pod-pages")
			b.ReportMetric(float64(rec.Calls[callListEvents]), "event-pages")
			b.ReportMetric(float64(rec.Duration.Std().Milliseconds()), "wall-ms")
			b.ReportMetric(float64(len(k.Pods)), "pods-kept")
			b.ReportMetric(float64(len(k.Events)), "events-kept")
			b.Logf("%s: %d pods of %d in the namespace, wall %s (median of %d), calls %d (%s), critical path %d, kept %d pods and %d events; "+
				"alone, the pod LIST chain takes %.0f ms and the event LIST chain %.0f ms",
				tc.exec, tc.pods, benchPods, rec.Duration.Std().Round(time.Millisecond), len(runs), rec.TotalCalls(), callsLine(rec.Calls),
				rec.CriticalPath, len(k.Pods), len(k.Events), podsMS, eventsMS)
		})
	}
}

// chainTimes times the pod and the event LIST chains alone (median of 5), since in Collect they
// overlap and the longer one hides the other.
func chainTimes(b *testing.B, path string, ex *evidence.Execution) (podsMS, eventsMS float64) {
	cs, _, err := NewClient(ClientOptions{Kubeconfig: path, QPS: 1000, Burst: 1000})
	if err != nil {
		b.Fatal(err)
	}
	r := &run{c: &Collector{Client: cs, Namespace: benchNS}, rec: evidence.NewRecorder(Name, time.Now())}
	execs := planFor(ex, benchNS, false).executions
	median := func(fn func()) float64 {
		var ds []time.Duration
		for range 5 {
			s := time.Now()
			fn()
			ds = append(ds, time.Since(s))
		}
		slices.Sort(ds)
		return float64(ds[len(ds)/2].Microseconds()) / 1000
	}
	ctx := context.Background()
	podsMS = median(func() { r.listPods(ctx, execs) })
	eventsMS = median(func() { r.listEvents(ctx, "Pod", 0) })
	return podsMS, eventsMS
}

func callsLine(m map[string]int) string {
	var parts []string
	for _, k := range []string{callListPods, callListEvents, callListQuotas, callListLimitRanges, callListNodes, callGetSA, callGetLog} {
		if m[k] > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", k, m[k]))
		}
	}
	return strings.Join(parts, ", ")
}

func benchPodName(exec string, i int) string { return fmt.Sprintf("%s-n0-0-n%d-0", exec, i) }

func benchExecution(exec string, pods int, failed []int) *evidence.Execution {
	var ext []evidence.ExternalResource
	for i := range pods {
		phase := "SUCCEEDED"
		for _, f := range failed {
			if i == f {
				phase = "FAILED"
			}
		}
		ext = append(ext, evidence.ExternalResource{ExternalID: benchPodName(exec, i), Index: uint32(i), Phase: phase})
	}
	return &evidence.Execution{ID: execID(exec), Phase: "FAILED", Namespace: benchNS, Nodes: []*evidence.Node{
		{ID: "n0", Phase: "FAILED", Kind: evidence.KindArray, IsArray: true, Attempts: []*evidence.TaskAttempt{
			{Phase: "FAILED", TaskType: "k8s-array", PodName: exec + "-n0-0", ExternalResources: ext}}},
	}}
}

// seedBench fills benchNS unless a previous run completed it. Every create tolerates
// AlreadyExists, so an interrupted seeding resumes.
func seedBench(b *testing.B, cs kubernetes.Interface) {
	ctx := context.Background()
	if _, err := cs.CoreV1().ConfigMaps(benchNS).Get(ctx, benchMarker, metav1.GetOptions{}); err == nil {
		return
	}
	start := time.Now()
	if _, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: benchNS}}, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		b.Fatal(err)
	}
	type podJob struct {
		exec, node, name string
		status           func(*corev1.Pod)
	}
	var jobs []podJob
	failedBig := map[int]bool{100: true, 500: true, 900: true}
	for i := range benchBigPods {
		st := func(p *corev1.Pod) { succeeded(p, "node-a") }
		if failedBig[i] {
			st = func(p *corev1.Pod) { oomKilled(p, "node-a") }
		}
		jobs = append(jobs, podJob{"big", "n0", benchPodName("big", i), st})
	}
	for i := range benchSmallPods {
		st := func(p *corev1.Pod) { succeeded(p, "node-a") }
		if i == 3 {
			st = func(p *corev1.Pod) { oomKilled(p, "node-a") }
		}
		jobs = append(jobs, podJob{"small", "n0", benchPodName("small", i), st})
	}
	for i := range benchPods - benchBigPods - benchSmallPods {
		exec := fmt.Sprintf("other%d", i/10)
		jobs = append(jobs, podJob{exec, "n0", benchPodName(exec, i%10), nil})
	}
	parallel(b, len(jobs), func(i int) error {
		j := jobs[i]
		p := newPod(benchNS, j.name, j.exec, j.node)
		p.Spec.NodeName = "node-a"
		if j.status == nil {
			_, err := cs.CoreV1().Pods(benchNS).Create(ctx, p, metav1.CreateOptions{})
			return ignoreExists(err)
		}
		got, err := cs.CoreV1().Pods(benchNS).Create(ctx, p, metav1.CreateOptions{})
		if apierrors.IsAlreadyExists(err) {
			if got, err = cs.CoreV1().Pods(benchNS).Get(ctx, j.name, metav1.GetOptions{}); err != nil {
				return err
			}
		} else if err != nil {
			return err
		}
		j.status(got)
		_, err = cs.CoreV1().Pods(benchNS).UpdateStatus(ctx, got, metav1.UpdateOptions{})
		return err
	})
	reasons := []struct{ typ, reason, msg, comp string }{
		{"Normal", "Scheduled", "Successfully assigned " + benchNS + "/%s to node-a", "default-scheduler"},
		{"Normal", "Pulling", `Pulling image "` + trainerImage + `"`, "kubelet"},
		{"Normal", "Pulled", `Successfully pulled image "` + trainerImage + `" in 2.1s (2.1s including waiting). Image size: 812345678 bytes.`, "kubelet"},
		{"Normal", "Created", "Created container: %s", "kubelet"},
		{"Normal", "Started", "Started container %s", "kubelet"},
	}
	parallel(b, len(jobs)*benchEventsByPod, func(i int) error {
		j, n := jobs[i/benchEventsByPod], i%benchEventsByPod
		r := reasons[n%len(reasons)] // events 5..9 repeat 0..4: duplicates to merge
		msg := r.msg
		if strings.Contains(msg, "%s") {
			msg = fmt.Sprintf(msg, j.name)
		}
		e := podEvent(benchNS, fmt.Sprintf("%s.%d", j.name, n), j.name, r.typ, r.reason, msg, r.comp, 1,
			t0.Add(time.Duration(n)*time.Second), t0.Add(time.Duration(n)*time.Second))
		_, err := cs.CoreV1().Events(benchNS).Create(ctx, e, metav1.CreateOptions{})
		return ignoreExists(err)
	})
	marker := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: benchMarker, Namespace: benchNS},
		Data: map[string]string{"pods": fmt.Sprint(benchPods), "events": fmt.Sprint(benchPods * benchEventsByPod)}}
	if _, err := cs.CoreV1().ConfigMaps(benchNS).Create(ctx, marker, metav1.CreateOptions{}); ignoreExists(err) != nil {
		b.Fatal(err)
	}
	b.Logf("seeded %s: %d pods, %d events in %s", benchNS, benchPods, benchPods*benchEventsByPod, time.Since(start).Round(time.Second))
}

func ignoreExists(err error) error {
	if apierrors.IsAlreadyExists(err) {
		return nil
	}
	return err
}

// parallel runs fn(0..n-1) on benchParallel workers and fails on the first error.
func parallel(b *testing.B, n int, fn func(i int) error) {
	next := make(chan int)
	var wg sync.WaitGroup
	var once sync.Once
	var first error
	for range benchParallel {
		wg.Go(func() {
			for i := range next {
				if err := fn(i); err != nil {
					once.Do(func() { first = err })
				}
			}
		})
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	if first != nil {
		b.Fatalf("seeding %s: %v", benchNS, first)
	}
}

// BenchmarkEventReads measures what maxPodEventReads trades: the events of n pods read pod by
// pod (all at once, the production client's rate limiter) against one paged LIST of the pod
// events of the benchmark namespace (20,000 events), on the real apiserver.
func BenchmarkEventReads(b *testing.B) {
	admin := stackAdmin(b)
	seedBench(b, admin)
	path := os.Getenv("STACK_KUBECONFIG")
	var names []string
	for i := range 128 {
		names = append(names, benchPodName("big", i))
	}
	newRun := func() *run {
		cs, _, err := NewClient(ClientOptions{Kubeconfig: path, Timeout: 30 * time.Second})
		if err != nil {
			b.Fatal(err)
		}
		return &run{c: &Collector{Client: cs, Namespace: benchNS}, rec: evidence.NewRecorder(Name, time.Now())}
	}
	ctx := context.Background()
	report := func(b *testing.B, read func(r *run) *eventSet) {
		read(newRun()) // warm the apiserver and this process
		var ds []time.Duration
		var got int
		for range b.N {
			r := newRun() // a fresh client (and rate limiter) per run, as per diagnosis
			start := time.Now()
			got = len(read(r).list())
			ds = append(ds, time.Since(start))
		}
		slices.Sort(ds)
		b.ReportMetric(float64(ds[len(ds)/2].Microseconds())/1000, "median-ms")
		b.ReportMetric(float64(got), "events")
	}
	for _, n := range []int{1, 2, 3, 4, 8} {
		b.Run(fmt.Sprintf("per-pod/pods=%d", n), func(b *testing.B) {
			report(b, func(r *run) *eventSet { s, _ := r.podEvents(ctx, names[:n], 0); return s })
		})
	}
	for _, limit := range []int64{500, 5000} {
		b.Run(fmt.Sprintf("namespace-list/limit=%d", limit), func(b *testing.B) {
			report(b, func(r *run) *eventSet { r.c.PageSize = limit; s, _ := r.listEvents(ctx, "Pod", 0); return s })
		})
	}
}
