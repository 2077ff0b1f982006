package plan

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"google.golang.org/grpc/status"
	"k8s.io/client-go/kubernetes"

	"github.com/flytedoctor/flytedoctor/collectors/evidence"
	"github.com/flytedoctor/flytedoctor/collectors/flyteadmin"
	"github.com/flytedoctor/flytedoctor/collectors/kube"
	"github.com/flytedoctor/flytedoctor/collectors/s3"
)

// Inputs is everything Collect needs: the target, the Admin connection, and for each other
// collector its client (or why there is none) and options. A nil Kube or Storage skips that
// collector (--skip).
type Inputs struct {
	Target  evidence.ExecutionID
	Now     func() time.Time
	Version string // flytedoctor's, for the snapshot's tool

	Admin          flyteadmin.AdminAPI
	Endpoint       string
	PageSize       uint32
	MaxConcurrency int

	Kube    *Kube
	Storage *Storage
}

// Kube is the Kubernetes collector's part of the plan.
type Kube struct {
	// Client is built before Admin is asked anything (so a wrong --kubeconfig fails at once);
	// Err says why there is none, and the collector is then skipped with it.
	Client            kubernetes.Interface
	Info              kube.ClusterInfo
	Err               error
	Namespace         string // -n; empty: Admin's, else NamespaceTemplate
	NamespaceTemplate string
	Logs              bool
	LogLines          int64
}

// Storage is the storage collector's part of the plan.
type Storage struct {
	// Clients resolves credentials and builds the clients; s3.ErrNoCredentials skips the
	// collector with the reason.
	Clients func(ctx context.Context, o s3.ClientOptions) (*s3.Clients, error)
	// Options are the clients' options; AsTaskRole is filled in from the execution when
	// AssumeTaskRole is set.
	Options    s3.ClientOptions
	WriteProbe bool
}

// Collect runs the collectors and assembles the snapshot: Admin first, since the pods and
// paths to look at come from it, then Kubernetes and storage side by side; both start early
// what needs less than the tree (the root's pods from t = 0, its service account and storage's
// identity and bucket probes once GetExecution answered). When the run stops (its context
// ends with TimedOut or Interrupted) collectors get StopGrace to return what they have; the
// snapshot then holds what was read and says what the stop cut short. The error is Admin's
// when the execution itself could not be read: there is no snapshot then.
func Collect(ctx context.Context, in Inputs) (*evidence.Snapshot, error) {
	abandon, release := abandonAfterStop(ctx)
	defer release()
	c := &flyteadmin.Collector{
		API:            in.Admin,
		Endpoint:       in.Endpoint,
		PageSize:       in.PageSize,
		MaxConcurrency: in.MaxConcurrency,
		Now:            in.Now,
	}
	// Storage starts when GetExecution answered (credentials, identity, the buckets of the
	// raw output prefix) and gets the whole execution, or nil, when Admin is done.
	runS3 := in.Storage != nil
	var s3Ch <-chan outcome[*evidence.Storage]
	final := make(chan *evidence.Execution, 1)
	// Kubernetes lists the root's pods before Admin answers anything when the namespace is
	// known without Admin (--namespace) or can be guessed (the template's, moved when
	// GetExecution names another), reads its service account from GetExecution on; the rest
	// waits for the whole tree.
	var kubeEarly *kube.Collector
	var open openNodes
	if in.Kube != nil {
		if kubeEarly, _ = in.kubeCollector(&evidence.Execution{ID: in.Target}); kubeEarly != nil {
			kubeEarly.StartPods(ctx, in.Target.Name)
		}
		c.OnNode = func(ex evidence.ExecutionID, n evidence.Node) {
			// A child execution of another project or domain runs its pods elsewhere.
			if ex.Project == in.Target.Project && ex.Domain == in.Target.Domain {
				open.add(ctx, n)
			}
		}
	}
	if runS3 || in.Kube != nil {
		c.OnExecution = func(ex *evidence.Execution) {
			// Both are read by this goroutine only after done, or not at all.
			if in.Kube != nil {
				kubeEarly = in.kubeFor(kubeEarly, ex)
				if kubeEarly != nil {
					kubeEarly.Start(ctx, ex)
					open.found(ctx, kubeEarly)
				}
			}
			if runS3 {
				s3Ch = goCollect(ctx, func() (*evidence.Storage, evidence.CollectorRecord) {
					return in.collectStorageEarly(ctx, ex, final)
				})
			}
		}
	}
	var res *flyteadmin.Result
	var err error
	done := make(chan bool, 1)
	go func() { res, err = c.Collect(ctx, in.Target); done <- ctx.Err() != nil }()
	var adminStopped bool
	select {
	case adminStopped = <-done:
	case <-abandon:
		final <- nil
		// As a call cut by the deadline reads, so that Explain can still tell what answered.
		return nil, status.FromContextError(ctx.Err()).Err()
	}
	if err != nil {
		final <- nil
		return nil, err
	}
	if adminStopped {
		markStopped(&res.Record, StopOf(ctx))
	}
	admin := res.Admin
	snap := &evidence.Snapshot{
		SchemaVersion: evidence.SchemaVersion,
		CollectedAt:   in.Now().UTC(),
		Tool:          evidence.Tool{Name: "flytedoctor", Version: in.Version},
		Target:        in.Target,
		Admin:         &admin,
		Execution:     res.Execution,
	}
	kubeRec, s3Rec := skipped(kube.Name, "--skip kube"), skipped(s3.Name, "--skip s3")
	var kubeCh <-chan outcome[*evidence.Kube]
	start := in.Now()
	runKube := in.Kube != nil
	if stop := StopOf(ctx); stop != nil {
		// The stop came while Admin was read: the others would only fail at once.
		const what = "not started: the run stopped while Flyte Admin was read"
		if runKube {
			kubeRec = stopped(kube.Name, what, stop, time.Time{}, start)
		}
		if runS3 {
			s3Rec = stopped(s3.Name, what, stop, time.Time{}, start)
		}
		runKube, runS3 = false, false
		final <- nil // what storage started early is dropped with it
		s3Ch = nil
	} else {
		final <- res.Execution
	}
	if runKube {
		kubeCh = goCollect(ctx, func() (*evidence.Kube, evidence.CollectorRecord) {
			if kubeEarly != nil {
				return kubeEarly.Collect(ctx, res.Execution)
			}
			return in.collectKube(ctx, res.Execution)
		})
	}
	if runS3 && s3Ch == nil {
		s3Ch = goCollect(ctx, func() (*evidence.Storage, evidence.CollectorRecord) {
			return in.collectStorage(ctx, res.Execution, nil)
		})
	}
	if kubeCh != nil {
		snap.Kube, kubeRec = await(ctx, kubeCh, abandon, kube.Name, start, in.Now)
	}
	if s3Ch != nil {
		snap.Storage, s3Rec = await(ctx, s3Ch, abandon, s3.Name, start, in.Now)
	}
	snap.Collection = []evidence.CollectorRecord{res.Record, kubeRec, s3Rec}
	return snap, nil
}

// openNodes counts, as the Admin walk lists them, the unsuccessful nodes that run pods, each
// a pod at least whose events matter, and tells the Kubernetes collector (once its namespace
// is Admin's) so that it can read the namespace's pod events at once when they are many.
type openNodes struct {
	mu    sync.Mutex
	count int
	kube  *kube.Collector
}

func (o *openNodes) add(ctx context.Context, n evidence.Node) {
	if n.Kind != evidence.KindTask && !n.IsDynamic && !n.IsArray { // the nodes whose attempts the walk lists
		return
	}
	o.mu.Lock()
	o.count++
	k, count := o.kube, o.count
	o.mu.Unlock()
	if k != nil {
		k.AtLeast(ctx, count)
	}
}

// found is the collector of the execution's namespace, started.
func (o *openNodes) found(ctx context.Context, k *kube.Collector) {
	o.mu.Lock()
	o.kube = k
	count := o.count
	o.mu.Unlock()
	k.AtLeast(ctx, count)
}

// await is a collector's result, with what the run's stop cut short marked as such, or the
// record of a collector abandoned at the stop.
func await[T any](ctx context.Context, ch <-chan outcome[T], abandon <-chan struct{}, collector string, start time.Time, now func() time.Time) (T, evidence.CollectorRecord) {
	select {
	case out := <-ch:
		if out.stopped {
			markStopped(&out.rec, StopOf(ctx))
		}
		return out.val, out.rec
	case <-abandon:
		var zero T
		return zero, stopped(collector, fmt.Sprintf("still busy %s after the stop; abandoned", StopGrace), StopOf(ctx), start, now())
	}
}

func skipped(collector, why string) evidence.CollectorRecord {
	return evidence.CollectorRecord{Collector: collector, Status: evidence.StatusSkipped, SkipReason: why}
}

func (in *Inputs) collectKube(ctx context.Context, ex *evidence.Execution) (*evidence.Kube, evidence.CollectorRecord) {
	c, rec := in.kubeCollector(ex)
	if c == nil {
		return nil, rec
	}
	return c.Collect(ctx, ex)
}

// kubeFor is the Kubernetes collector of the execution GetExecution returned: guessed (started
// before it answered) when it is in the namespace that names, else one for that namespace.
func (in *Inputs) kubeFor(guessed *kube.Collector, ex *evidence.Execution) *kube.Collector {
	c, _ := in.kubeCollector(ex)
	switch {
	case c == nil || guessed == nil:
		return c
	case guessed.Namespace == c.Namespace:
		guessed.NamespaceSource = c.NamespaceSource
		return guessed
	}
	return guessed.Moved(c.Namespace, c.NamespaceSource)
}

// kubeCollector is the Kubernetes collector of the execution (the root's fields are enough:
// the namespace comes from them), or the record of why it is skipped.
func (in *Inputs) kubeCollector(ex *evidence.Execution) (*kube.Collector, evidence.CollectorRecord) {
	k := in.Kube
	if k.Err != nil {
		// No cluster access says nothing about the execution: skip, with the reason.
		return nil, skipped(kube.Name, fmt.Sprintf("no Kubernetes access (%v); pass --kubeconfig/--context or --skip kube", k.Err))
	}
	ns, src, err := kube.ResolveNamespace(ex, k.Namespace, k.NamespaceTemplate)
	if err != nil {
		return nil, skipped(kube.Name, err.Error())
	}
	return &kube.Collector{
		Client: k.Client, Namespace: ns, NamespaceSource: src, Context: k.Info.Context, Server: k.Info.Server,
		Logs: k.Logs, LogLines: k.LogLines, Now: in.Now,
	}, evidence.CollectorRecord{}
}

// collectStorageEarly builds the storage clients and starts the probes of what the execution
// alone names (early: from GetExecution), then probes every path of the execution Admin
// delivers on final; nil there means the run goes on without storage.
func (in *Inputs) collectStorageEarly(ctx context.Context, early *evidence.Execution, final <-chan *evidence.Execution) (*evidence.Storage, evidence.CollectorRecord) {
	var c *s3.Collector
	if probe, _ := s3.Paths(early, ""); len(probe) > 0 {
		var rec evidence.CollectorRecord
		if c, _, rec = in.storageCollector(ctx, early, nil); c == nil {
			ex := <-final
			if ex == nil {
				return nil, evidence.CollectorRecord{}
			}
			_, unprobed := s3.Paths(ex, "")
			return unprobedOnly(unprobed), rec
		}
		c.Start(ctx, probe)
	}
	ex := <-final
	if ex == nil {
		return nil, evidence.CollectorRecord{}
	}
	return in.collectStorage(ctx, ex, c)
}

// collectStorage probes the execution's storage paths, with c when the clients are built.
func (in *Inputs) collectStorage(ctx context.Context, ex *evidence.Execution, c *s3.Collector) (*evidence.Storage, evidence.CollectorRecord) {
	probe, unprobed := s3.Paths(ex, "")
	if len(probe) == 0 && c == nil {
		// Nothing on s3:// (the data may be on gs:// or abfs://): no credentials are needed to
		// record that, and the collector says it was skipped.
		return (&s3.Collector{Now: in.Now}).Collect(ctx, unprobed)
	}
	// The collector keeps the other schemes' paths in Storage.Unprobed.
	paths := append(probe, unprobed...)
	if c == nil {
		var st *evidence.Storage
		var rec evidence.CollectorRecord
		if c, st, rec = in.storageCollector(ctx, ex, unprobed); c == nil {
			return st, rec
		}
	}
	return c.Collect(ctx, paths)
}

// storageCollector resolves credentials and builds the clients; without them, the storage
// evidence (the unprobed paths) and the record that says why.
func (in *Inputs) storageCollector(ctx context.Context, ex *evidence.Execution, unprobed []evidence.StoragePath) (*s3.Collector, *evidence.Storage, evidence.CollectorRecord) {
	start := in.Now()
	o := in.Storage.Options
	o.AsTaskRole = ""
	if o.AssumeTaskRole && ex != nil {
		o.AsTaskRole = ex.IAMRole
	}
	clients, err := in.Storage.Clients(ctx, o)
	if errors.Is(err, s3.ErrNoCredentials) {
		return nil, unprobedOnly(unprobed), skipped(s3.Name, err.Error())
	}
	if err != nil {
		code := "ConfigError"
		switch {
		case errors.Is(ctx.Err(), context.DeadlineExceeded):
			code = "DeadlineExceeded" // credential resolution was still running at the run's stop
		case ctx.Err() != nil:
			code = "Canceled"
		}
		return nil, unprobedOnly(unprobed), evidence.CollectorRecord{Collector: s3.Name, Status: evidence.StatusFailed, StartedAt: start, Duration: evidence.Duration(in.Now().Sub(start)),
			Errors: []evidence.CollectionError{{Method: "NewClients", Target: "aws", Code: code, Message: err.Error()}}}
	}
	return &s3.Collector{S3: clients.S3, STS: clients.STS, Identity: clients.Identity, WriteProbe: in.Storage.WriteProbe, Now: in.Now}, nil, evidence.CollectorRecord{}
}

// unprobedOnly is the storage evidence of a run that probed nothing: the paths it would not
// have probed anyway, or nil when there are none.
func unprobedOnly(unprobed []evidence.StoragePath) *evidence.Storage {
	if len(unprobed) == 0 {
		return nil
	}
	return &evidence.Storage{Unprobed: unprobed}
}
