package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/flytedoctor/flytedoctor/cmd/internal/demo"
	"github.com/flytedoctor/flytedoctor/cmd/internal/demo/s3stub"
	"github.com/flytedoctor/flytedoctor/cmd/internal/iostreams"
	"github.com/flytedoctor/flytedoctor/collectors/evidence"
	"github.com/flytedoctor/flytedoctor/collectors/flyteadmin"
	"github.com/flytedoctor/flytedoctor/collectors/flyteadmin/fakeadmin"
	"github.com/flytedoctor/flytedoctor/collectors/flyteconfig"
	"github.com/flytedoctor/flytedoctor/collectors/kube"
	"github.com/flytedoctor/flytedoctor/collectors/s3"
	"github.com/flytedoctor/flytedoctor/report"
)

// The whole run under one latency model: every call on every layer waits benchRTT before it
// is served (the fake Admin's latency; a delaying transport in front of the dev stack's real
// kube-apiserver and versitygw). Needs the dev stack (STACK_KUBECONFIG, STACK_S3_ENDPOINT).

// benchRTT is the latency of every call: 20 ms, or FLYTEDOCTOR_BENCH_RTT (0 for make profile).
var benchRTT = func() time.Duration {
	if d, err := time.ParseDuration(os.Getenv("FLYTEDOCTOR_BENCH_RTT")); err == nil {
		return d
	}
	return 20 * time.Millisecond
}()

const (
	// benchRunNS holds the cases' pods and events and thousands of other events; bump the
	// version when the seeding changes (a ConfigMap marks it complete).
	benchRunNS     = "bench-run-v1"
	benchRunMarker = "flytedoctor-bench-seeded"
	benchRunNoise  = 3000
)

// BenchmarkRunLatency reports, per case, wall / (RTT × ideal round trips), the calls and peak
// in flight per layer. The ideal is Admin's (its critical path, or its calls over
// --max-concurrency if more) plus the one round trip of Kubernetes and storage reads that need
// what Admin said (pod names, data paths).
func BenchmarkRunLatency(b *testing.B) {
	env := stackEnv(b)
	scenarios, err := demo.Scenarios()
	if err != nil {
		b.Fatal(err)
	}
	byName := map[string]demo.Scenario{}
	for _, s := range scenarios {
		byName[s.Name] = s
	}
	type benchCase struct {
		name    string
		fixture *fakeadmin.Fixture
		id      evidence.ExecutionID
		kube    []*corev1.Pod // pods seeded with their status
		events  []*corev1.Event
		storage *s3stub.Spec
	}
	var cases []benchCase
	for _, sc := range []struct{ name, scenario string }{{"1-pod", "image-pull"}, {"1000-children-3-failed", "dynamic-fanout"}} {
		s := byName[sc.scenario]
		fx, err := fakeadmin.ParseFixture(s.Fixture)
		if err != nil {
			b.Fatal(err)
		}
		pods, events := scenarioKube(b, s)
		spec, err := s3stub.ParseSpec(s.Storage)
		if err != nil {
			b.Fatal(err)
		}
		cases = append(cases, benchCase{sc.name, fx, s.Root, pods, events, &spec})
	}
	synthID := evidence.ExecutionID{Project: "flytesnacks", Domain: "development", Name: "run10000"}
	synth := fakeadmin.Synthetic(synthID.Name, 10000)
	pods, events := synthKube(b, synth, synthID)
	cases = append(cases, benchCase{"10000-nodes-100-failed", synth, synthID, pods, events, nil})

	admin := benchKubeAdmin(b, env)
	var all []*corev1.Pod
	var allEvents []*corev1.Event
	for _, c := range cases {
		all, allEvents = append(all, c.kube...), append(allEvents, c.events...)
	}
	seedRunNamespace(b, admin, all, allEvents)
	for _, c := range cases {
		if c.storage != nil {
			seedBuckets(b, env, c.storage)
		}
	}

	rows := map[string]string{} // the table's row of each case, from its last run
	var fanoutWall time.Duration
	var fanoutFound int
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			srv := fakeadmin.New(c.fixture, fakeadmin.Options{Latency: benchRTT})
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			addr, stop, err := srv.Start(ctx)
			if err != nil {
				b.Fatal(err)
			}
			defer stop()
			runOnce := func() (*report.Report, time.Duration) {
				layers := &benchLayers{kube: &delayLayer{d: benchRTT}, s3: &delayLayer{d: benchRTT}}
				f, out := benchFactory(b, env, layers)
				start := time.Now()
				code := Main(context.Background(), f, []string{"--admin-endpoint", addr, "--insecure", "-o", "json", "--fail-on", "never",
					"-n", benchRunNS, "--s3-endpoint", env["STACK_S3_ENDPOINT"], c.id.String()})
				wall := time.Since(start)
				if code != 0 {
					b.Fatalf("exit %d", code)
				}
				var r report.Report
				if err := json.Unmarshal(out.Bytes(), &r); err != nil {
					b.Fatal(err)
				}
				return &r, wall
			}
			runOnce() // warm the servers and this process
			type sample struct {
				r    *report.Report
				wall time.Duration
			}
			var runs []sample
			b.ResetTimer()
			for range b.N {
				r, wall := runOnce()
				runs = append(runs, sample{r, wall})
			}
			b.StopTimer()
			sort.Slice(runs, func(i, j int) bool { return runs[i].wall < runs[j].wall })
			med := runs[len(runs)/2]
			rec := map[string]evidence.CollectorRecord{}
			for _, cr := range med.r.Snapshot.Collection {
				rec[cr.Collector] = cr
				if cr.Status != evidence.StatusOK && cr.Status != evidence.StatusSkipped {
					b.Fatalf("%s: %s %+v", cr.Collector, cr.Status, cr.Errors)
				}
			}
			ad := rec[flyteadmin.Name]
			ideal := max(ad.CriticalPath, (ad.TotalCalls()+flyteadmin.DefaultMaxConcurrency-1)/flyteadmin.DefaultMaxConcurrency) + 1
			ratio := float64(med.wall) / float64(max(time.Duration(ideal)*benchRTT, 1))
			b.ReportMetric(ratio, "wall/ideal")
			b.ReportMetric(float64(med.wall.Milliseconds()), "wall-ms")
			b.ReportMetric(float64(ad.TotalCalls()), "admin-calls")
			b.ReportMetric(float64(rec[kube.Name].TotalCalls()), "kube-calls")
			b.ReportMetric(float64(rec[s3.Name].TotalCalls()), "s3-calls")
			var lines []string
			row := fmt.Sprintf("| %s | %s | %.2f (%d) |", c.name, med.wall.Round(time.Millisecond), ratio, ideal)
			for _, name := range []string{flyteadmin.Name, kube.Name, s3.Name} {
				r := rec[name]
				lines = append(lines, fmt.Sprintf("%s %s: %d calls (%s), peak %d, critical %d, %s", name, r.Status, r.TotalCalls(),
					callsText(r.Calls), r.PeakInFlight, r.CriticalPath, r.Duration.Std().Round(time.Millisecond)))
				row += fmt.Sprintf(" %d calls, %s, peak %d |", r.TotalCalls(), r.Duration.Std().Round(time.Millisecond), r.PeakInFlight)
			}
			rows[c.name] = row
			found := len(med.r.Snapshot.Execution.FailurePaths())
			if c.name == "1000-children-3-failed" {
				fanoutWall, fanoutFound = med.wall, found
			}
			b.Logf("%s at %s per call: wall %s (median of %d), ideal %d round trips, wall/ideal %.2f, %d failure paths\n  %s",
				c.name, benchRTT, med.wall.Round(time.Millisecond), len(runs), ideal, ratio, found, strings.Join(lines, "\n  "))
		})
	}
	table := []string{fmt.Sprintf("the whole run at %s a call on every layer (medians; a layer's time is from the run's start to its end):", benchRTT),
		"| case | wall | wall/ideal (ideal round trips) | Admin | Kubernetes | S3 |", "|---|---|---|---|---|---|"}
	for _, c := range cases {
		table = append(table, rows[c.name])
	}
	table = append(table, "before issue 10's work (same model, recorded then): 1-pod 321 ms (5.35), 1000-children-3-failed 407 ms (4.07), 10000-nodes-100-failed 1,082 ms (1.80)")
	if fanoutWall > 0 && benchRTT == 20*time.Millisecond {
		// flytectl get execution --details on a fake Admin serving the same shape at 20 ms a call,
		// as issue 10 measured it: ~205 sequential calls, and only the first 100 children shown.
		const flytectl = 4500 * time.Millisecond
		table = append(table, fmt.Sprintf("1000-children-3-failed, whole run: %d of 3 failures in %s, %.0fx below flytectl --details (%s recorded, none of the 3 shown)",
			fanoutFound, fanoutWall.Round(time.Millisecond), float64(flytectl)/float64(fanoutWall), flytectl))
	}
	// Printed, not logged: a parent benchmark's log is not shown when its sub-benchmarks ran.
	fmt.Println(strings.Join(table, "\n"))
}

func callsText(m map[string]int) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s %d", k, m[k]))
	}
	return strings.Join(parts, ", ")
}

// stackEnv is the dev stack's environment, or skips.
func stackEnv(b *testing.B) map[string]string {
	env := map[string]string{}
	for _, k := range []string{"STACK_KUBECONFIG", "STACK_S3_ENDPOINT", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"} {
		if env[k] = os.Getenv(k); env[k] == "" {
			b.Skipf("no dev stack: %s is unset (source the stack's env.sh)", k)
		}
	}
	b.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	b.Setenv("AWS_REGION", "us-east-1")
	// The SDK takes only its own client type with a CA bundle; the stack's S3 is plain HTTP.
	b.Setenv("AWS_CA_BUNDLE", "")
	return env
}

// benchLayers are the delaying transports of one run.
type benchLayers struct{ kube, s3 *delayLayer }

// delayLayer holds every request d before sending it: one round trip of latency.
type delayLayer struct{ d time.Duration }

func (l *delayLayer) wrap(next http.RoundTripper) http.RoundTripper {
	return roundTripFunc(func(req *http.Request) (*http.Response, error) {
		t := time.NewTimer(l.d)
		select {
		case <-t.C:
		case <-req.Context().Done():
			t.Stop()
			return nil, req.Context().Err()
		}
		return next.RoundTrip(req)
	})
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// benchFactory is production wiring against the dev stack, every request delayed.
func benchFactory(b *testing.B, env map[string]string, layers *benchLayers) (*Factory, *bytes.Buffer) {
	io, out, _ := iostreams.Test()
	home := b.TempDir()
	f := NewFactory()
	f.IO = io
	f.Getenv = func(k string) string {
		if k == "HOME" {
			return home
		}
		return ""
	}
	f.HomeDir = func() (string, error) { return home, nil }
	f.Version = "bench"
	f.KubeClient = func(o kube.ClientOptions) (kubernetes.Interface, kube.ClusterInfo, error) {
		o.Kubeconfig, o.Wrap = env["STACK_KUBECONFIG"], layers.kube.wrap
		return kube.NewClient(o)
	}
	f.StorageClients = func(ctx context.Context, o s3.ClientOptions) (*s3.Clients, error) {
		o.HTTPClient = &http.Client{Transport: layers.s3.wrap(http.DefaultTransport.(*http.Transport).Clone())}
		return s3.NewClients(ctx, o)
	}
	return f, out
}

func benchKubeAdmin(b *testing.B, env map[string]string) kubernetes.Interface {
	cfg, err := clientcmd.BuildConfigFromFlags("", env["STACK_KUBECONFIG"])
	if err != nil {
		b.Fatal(err)
	}
	cfg.QPS = -1
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		b.Fatal(err)
	}
	return cs
}

// scenarioKube is a demo scenario's pods and events, moved to benchRunNS (nodes are left out:
// they are cluster-wide and other tests count them).
func scenarioKube(b *testing.B, s demo.Scenario) ([]*corev1.Pod, []*corev1.Event) {
	objs, err := s.KubeObjects()
	if err != nil {
		b.Fatal(err)
	}
	var pods []*corev1.Pod
	var events []*corev1.Event
	for _, o := range objs {
		switch o := o.(type) {
		case *corev1.Pod:
			o.Namespace, o.ResourceVersion, o.UID = benchRunNS, "", ""
			pods = append(pods, o)
		case *corev1.Event:
			o.Namespace, o.ResourceVersion, o.UID, o.InvolvedObject.Namespace = benchRunNS, "", "", benchRunNS
			events = append(events, o)
		}
	}
	return pods, events
}

// synthKube is a pod (OOMKilled) with three events for every attempt of the synthetic
// execution's failed nodes, read from the fixture through the Admin collector.
func synthKube(b *testing.B, fx *fakeadmin.Fixture, id evidence.ExecutionID) ([]*corev1.Pod, []*corev1.Event) {
	srv := fakeadmin.New(fx, fakeadmin.Options{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	addr, stop, err := srv.Start(ctx)
	if err != nil {
		b.Fatal(err)
	}
	defer stop()
	sess, err := NewFactory().ConnectAdmin(ctx, insecureConfig(addr), "bench")
	if err != nil {
		b.Fatal(err)
	}
	defer sess.Close()
	res, err := (&flyteadmin.Collector{API: sess.API}).Collect(ctx, id)
	if err != nil {
		b.Fatal(err)
	}
	var pods []*corev1.Pod
	var events []*corev1.Event
	t0 := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	res.Execution.Walk(func(path []evidence.Step) bool {
		n := path[len(path)-1].Node
		for _, a := range n.Attempts {
			if a.PodName == "" || n.IsParent {
				continue
			}
			pods = append(pods, &corev1.Pod{
				ObjectMeta: metav1.ObjectMeta{Name: a.PodName, Namespace: benchRunNS,
					Labels: map[string]string{kube.LabelExecutionID: id.Name, kube.LabelNodeID: kube.SanitizeLabel(n.ID)}},
				Spec: corev1.PodSpec{NodeName: "node-a", RestartPolicy: corev1.RestartPolicyNever,
					Containers: []corev1.Container{{Name: "main", Image: "ghcr.io/acme/trainer:v1"}}},
				Status: corev1.PodStatus{Phase: corev1.PodFailed, ContainerStatuses: []corev1.ContainerStatus{{Name: "main",
					State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 137, Reason: "OOMKilled"}}}}},
			})
			for j, reason := range []string{"Scheduled", "Pulled", "Started"} {
				events = append(events, &corev1.Event{
					ObjectMeta:     metav1.ObjectMeta{Name: fmt.Sprintf("%s.%d", a.PodName, j), Namespace: benchRunNS},
					InvolvedObject: corev1.ObjectReference{Kind: "Pod", Namespace: benchRunNS, Name: a.PodName, APIVersion: "v1"},
					Type:           "Normal", Reason: reason, Message: reason + " " + a.PodName, Count: 1,
					Source:         corev1.EventSource{Component: "kubelet"},
					FirstTimestamp: metav1.Time{Time: t0}, LastTimestamp: metav1.Time{Time: t0},
				})
			}
		}
		return true
	})
	return pods, events
}

// seedRunNamespace writes the cases' pods and events and benchRunNoise events of other pods
// into benchRunNS, once (later runs find the marker).
func seedRunNamespace(b *testing.B, cs kubernetes.Interface, pods []*corev1.Pod, events []*corev1.Event) {
	ctx := context.Background()
	if _, err := cs.CoreV1().ConfigMaps(benchRunNS).Get(ctx, benchRunMarker, metav1.GetOptions{}); err == nil {
		return
	}
	start := time.Now()
	if _, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: benchRunNS}}, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		b.Fatal(err)
	}
	t0 := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	for i := range benchRunNoise {
		pod := fmt.Sprintf("other%d-n0-0", i/5)
		events = append(events, &corev1.Event{
			ObjectMeta:     metav1.ObjectMeta{Name: fmt.Sprintf("%s.%d", pod, i%5), Namespace: benchRunNS},
			InvolvedObject: corev1.ObjectReference{Kind: "Pod", Namespace: benchRunNS, Name: pod, APIVersion: "v1"},
			Type:           "Normal", Reason: "Started", Message: "Started container main", Count: 1,
			Source:         corev1.EventSource{Component: "kubelet"},
			FirstTimestamp: metav1.Time{Time: t0}, LastTimestamp: metav1.Time{Time: t0},
		})
	}
	work := func(n int, fn func(i int) error) {
		next := make(chan int)
		var wg sync.WaitGroup
		var mu sync.Mutex
		var first error
		for range 16 {
			wg.Go(func() {
				for i := range next {
					if err := fn(i); err != nil && !apierrors.IsAlreadyExists(err) {
						mu.Lock()
						first = errors.Join(first, err)
						mu.Unlock()
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
			b.Fatalf("seeding %s: %v", benchRunNS, first)
		}
	}
	work(len(pods), func(i int) error {
		want := pods[i].DeepCopy()
		status := want.Status
		want.Status = corev1.PodStatus{}
		got, err := cs.CoreV1().Pods(benchRunNS).Create(ctx, want, metav1.CreateOptions{})
		if err != nil {
			return err
		}
		got.Status = status
		_, err = cs.CoreV1().Pods(benchRunNS).UpdateStatus(ctx, got, metav1.UpdateOptions{})
		return err
	})
	work(len(events), func(i int) error {
		_, err := cs.CoreV1().Events(benchRunNS).Create(ctx, events[i], metav1.CreateOptions{})
		return err
	})
	marker := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: benchRunMarker, Namespace: benchRunNS}}
	if _, err := cs.CoreV1().ConfigMaps(benchRunNS).Create(ctx, marker, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		b.Fatal(err)
	}
	b.Logf("seeded %s: %d pods, %d events in %s", benchRunNS, len(pods), len(events), time.Since(start).Round(time.Second))
}

// seedBuckets creates a scenario's buckets and objects in the dev stack's S3 server (denials
// are left out: the run's identity may read everything).
func seedBuckets(b *testing.B, env map[string]string, spec *s3stub.Spec) {
	ctx := context.Background()
	cfg, err := config.LoadDefaultConfig(ctx, config.WithRegion("us-east-1"))
	if err != nil {
		b.Fatal(err)
	}
	c := awss3.NewFromConfig(cfg, func(o *awss3.Options) {
		o.BaseEndpoint, o.UsePathStyle = aws.String(env["STACK_S3_ENDPOINT"]), true
	})
	for _, bk := range spec.Buckets {
		if _, err := c.HeadBucket(ctx, &awss3.HeadBucketInput{Bucket: aws.String(bk.Name)}); err != nil {
			if _, err := c.CreateBucket(ctx, &awss3.CreateBucketInput{Bucket: aws.String(bk.Name)}); err != nil {
				b.Fatalf("create bucket %s: %v", bk.Name, err)
			}
		}
		for _, o := range bk.Objects {
			body := bytes.Repeat([]byte{'x'}, int(min(o.Size, 1<<16)))
			if _, err := c.PutObject(ctx, &awss3.PutObjectInput{Bucket: aws.String(bk.Name), Key: aws.String(o.Key), Body: bytes.NewReader(body)}); err != nil {
				b.Fatalf("put s3://%s/%s: %v", bk.Name, o.Key, err)
			}
		}
	}
}

func insecureConfig(addr string) *flyteconfig.Config {
	cfg := flyteconfig.Default()
	cfg.Admin.Endpoint, cfg.Admin.Insecure = "dns:///"+addr, true
	return cfg
}
