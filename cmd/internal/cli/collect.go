package cli

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"google.golang.org/grpc/status"
	"k8s.io/client-go/kubernetes"

	"github.com/flytedoctor/flytedoctor/collectors/evidence"
	"github.com/flytedoctor/flytedoctor/collectors/flyteadmin"
	"github.com/flytedoctor/flytedoctor/collectors/flyteconfig"
	"github.com/flytedoctor/flytedoctor/collectors/kube"
	"github.com/flytedoctor/flytedoctor/collectors/s3"
)

// collect runs the collectors and assembles the snapshot: Admin first, since the pods and
// paths to look at come from it, then Kubernetes and storage side by side; both start what
// the root execution alone names as soon as GetExecution answered (the root's pods, its
// service account; storage's identity and bucket probes). When the run stops
// (--timeout, Ctrl-C) collectors get stopGrace to return what they have; the snapshot then
// holds what was read and says what the stop cut short.
func collect(ctx context.Context, f *Factory, o *diagnoseOptions, cfg *flyteconfig.Config, sess *AdminSession, id evidence.ExecutionID, kc *kubeSetup) (*evidence.Snapshot, error) {
	abandon, release := abandonAfterStop(ctx)
	defer release()
	c := &flyteadmin.Collector{
		API:            sess.API,
		Endpoint:       sess.Endpoint,
		PageSize:       o.PageSize,
		MaxConcurrency: o.MaxConcurrency,
		Now:            f.Now,
	}
	// Storage starts when GetExecution answered (credentials, identity, the buckets of the
	// raw output prefix) and gets the whole execution, or nil, when Admin is done.
	runS3 := !slices.Contains(o.Skip, s3.Name)
	var s3Ch <-chan outcome[*evidence.Storage]
	final := make(chan *evidence.Execution, 1)
	// Kubernetes lists the root's pods and reads its service account from GetExecution on;
	// the rest waits for the whole tree.
	var kubeEarly *kube.Collector
	if runS3 || kc != nil {
		c.OnExecution = func(ex *evidence.Execution) {
			// Both are read by this goroutine only after done, or not at all.
			if kc != nil {
				if kubeEarly, _ = kubeCollector(f, o, kc, ex); kubeEarly != nil {
					kubeEarly.Start(ctx, ex)
				}
			}
			if runS3 {
				s3Ch = goCollect(ctx, func() (*evidence.Storage, evidence.CollectorRecord) {
					return collectStorageEarly(ctx, f, o, cfg, ex, final)
				})
			}
		}
	}
	var res *flyteadmin.Result
	var err error
	done := make(chan bool, 1)
	go func() { res, err = c.Collect(ctx, id); done <- ctx.Err() != nil }()
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
		markStopped(&res.Record, stopOf(ctx))
	}
	admin := res.Admin
	snap := &evidence.Snapshot{
		SchemaVersion: evidence.SchemaVersion,
		CollectedAt:   f.Now().UTC(),
		Tool:          evidence.Tool{Name: "flytedoctor", Version: f.Version},
		Target:        id,
		Admin:         &admin,
		Execution:     res.Execution,
	}
	kubeRec, s3Rec := skipped(kube.Name, "--skip kube"), skipped(s3.Name, "--skip s3")
	var kubeCh <-chan outcome[*evidence.Kube]
	start := f.Now()
	runKube := kc != nil
	if stop := stopOf(ctx); stop != nil {
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
			return collectKube(ctx, f, o, kc, res.Execution)
		})
	}
	if runS3 && s3Ch == nil {
		s3Ch = goCollect(ctx, func() (*evidence.Storage, evidence.CollectorRecord) {
			return collectStorage(ctx, f, o, cfg, res.Execution, nil)
		})
	}
	if kubeCh != nil {
		snap.Kube, kubeRec = await(ctx, kubeCh, abandon, kube.Name, start, f.Now)
	}
	if s3Ch != nil {
		snap.Storage, s3Rec = await(ctx, s3Ch, abandon, s3.Name, start, f.Now)
	}
	snap.Collection = []evidence.CollectorRecord{res.Record, kubeRec, s3Rec}
	return snap, nil
}

// await is a collector's result, with what the run's stop cut short marked as such, or the
// record of a collector abandoned at the stop.
func await[T any](ctx context.Context, ch <-chan outcome[T], abandon <-chan struct{}, collector string, start time.Time, now func() time.Time) (T, evidence.CollectorRecord) {
	select {
	case out := <-ch:
		if out.stopped {
			markStopped(&out.rec, stopOf(ctx))
		}
		return out.val, out.rec
	case <-abandon:
		var zero T
		return zero, stopped(collector, fmt.Sprintf("still busy %s after the stop; abandoned", stopGrace), stopOf(ctx), start, now())
	}
}

func skipped(collector, why string) evidence.CollectorRecord {
	return evidence.CollectorRecord{Collector: collector, Status: evidence.StatusSkipped, SkipReason: why}
}

// kubeSetup is the Kubernetes client built before Admin is asked anything, or why there is none.
type kubeSetup struct {
	client kubernetes.Interface
	info   kube.ClusterInfo
	err    error
}

// prepareKube builds the client (no request is sent) so that a wrong --kubeconfig or
// --context is a usage error at once; nil with --skip kube.
func prepareKube(f *Factory, o *diagnoseOptions) (*kubeSetup, error) {
	if slices.Contains(o.Skip, kube.Name) {
		return nil, nil
	}
	client, info, err := f.KubeClient(kube.ClientOptions{
		Kubeconfig: o.Kubeconfig, Context: o.KubeContext, UserAgent: "flytedoctor/" + f.Version,
		QPS: kube.DefaultQPS, Burst: kube.DefaultBurst, Timeout: 30 * time.Second, Getenv: f.Getenv,
		Stdin: f.IO.In, StdinTerminal: f.IO.InTTY, Stderr: f.IO.ErrOut,
	})
	var ie *kube.InputError
	if errors.As(err, &ie) {
		return nil, &usageError{err}
	}
	return &kubeSetup{client: client, info: info, err: err}, nil
}

func collectKube(ctx context.Context, f *Factory, o *diagnoseOptions, kc *kubeSetup, ex *evidence.Execution) (*evidence.Kube, evidence.CollectorRecord) {
	c, rec := kubeCollector(f, o, kc, ex)
	if c == nil {
		return nil, rec
	}
	return c.Collect(ctx, ex)
}

// kubeCollector is the Kubernetes collector of the execution (the root's fields are enough:
// the namespace comes from them), or the record of why it is skipped.
func kubeCollector(f *Factory, o *diagnoseOptions, kc *kubeSetup, ex *evidence.Execution) (*kube.Collector, evidence.CollectorRecord) {
	client, info, err := kc.client, kc.info, kc.err
	if err != nil {
		// No cluster access says nothing about the execution: skip, with the reason.
		return nil, skipped(kube.Name, fmt.Sprintf("no Kubernetes access (%v); pass --kubeconfig/--context or --skip kube", err))
	}
	ns, src, err := kube.ResolveNamespace(ex, o.Namespace, o.NamespaceTemplate)
	if err != nil {
		return nil, skipped(kube.Name, err.Error())
	}
	return &kube.Collector{
		Client: client, Namespace: ns, NamespaceSource: src, Context: info.Context, Server: info.Server,
		Logs: o.Logs, LogLines: o.LogLines, Now: f.Now,
	}, evidence.CollectorRecord{}
}

// collectStorageEarly builds the storage clients and starts the probes of what the execution
// alone names (early: from GetExecution), then probes every path of the execution Admin
// delivers on final; nil there means the run goes on without storage.
func collectStorageEarly(ctx context.Context, f *Factory, o *diagnoseOptions, cfg *flyteconfig.Config, early *evidence.Execution, final <-chan *evidence.Execution) (*evidence.Storage, evidence.CollectorRecord) {
	var c *s3.Collector
	if probe, _ := s3.Paths(early, ""); len(probe) > 0 {
		var rec evidence.CollectorRecord
		if c, _, rec = storageCollector(ctx, f, o, cfg, early, nil); c == nil {
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
	return collectStorage(ctx, f, o, cfg, ex, c)
}

// collectStorage probes the execution's storage paths, with c when the clients are built.
func collectStorage(ctx context.Context, f *Factory, o *diagnoseOptions, cfg *flyteconfig.Config, ex *evidence.Execution, c *s3.Collector) (*evidence.Storage, evidence.CollectorRecord) {
	probe, unprobed := s3.Paths(ex, "")
	if len(probe) == 0 && c == nil {
		// Nothing on s3:// (the data may be on gs:// or abfs://): no credentials are needed to
		// record that, and the collector says it was skipped.
		return (&s3.Collector{Now: f.Now}).Collect(ctx, unprobed)
	}
	// The collector keeps the other schemes' paths in Storage.Unprobed.
	paths := append(probe, unprobed...)
	if c == nil {
		var st *evidence.Storage
		var rec evidence.CollectorRecord
		if c, st, rec = storageCollector(ctx, f, o, cfg, ex, unprobed); c == nil {
			return st, rec
		}
	}
	return c.Collect(ctx, paths)
}

// storageCollector resolves credentials and builds the clients; without them, the storage
// evidence (the unprobed paths) and the record that says why.
func storageCollector(ctx context.Context, f *Factory, o *diagnoseOptions, cfg *flyteconfig.Config, ex *evidence.Execution, unprobed []evidence.StoragePath) (*s3.Collector, *evidence.Storage, evidence.CollectorRecord) {
	start := f.Now()
	clients, err := f.StorageClients(ctx, s3.ClientOptions{
		Profile: o.AWSProfile, Region: o.AWSRegion, Endpoint: o.S3Endpoint,
		Connection:     s3.ConnectionFromStorage(cfg.Storage),
		AssumeTaskRole: o.AsTaskRole, AsTaskRole: taskRole(o, ex), Getenv: f.Getenv,
		Stdin: f.IO.In, StdinTerminal: f.IO.InTTY, Stderr: f.IO.ErrOut,
	})
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
		return nil, unprobedOnly(unprobed), evidence.CollectorRecord{Collector: s3.Name, Status: evidence.StatusFailed, StartedAt: start, Duration: evidence.Duration(f.Now().Sub(start)),
			Errors: []evidence.CollectionError{{Method: "NewClients", Target: "aws", Code: code, Message: err.Error()}}}
	}
	return &s3.Collector{S3: clients.S3, STS: clients.STS, Identity: clients.Identity, WriteProbe: o.WriteProbe, Now: f.Now}, nil, evidence.CollectorRecord{}
}

// unprobedOnly is the storage evidence of a run that probed nothing: the paths it would not
// have probed anyway, or nil when there are none.
func unprobedOnly(unprobed []evidence.StoragePath) *evidence.Storage {
	if len(unprobed) == 0 {
		return nil
	}
	return &evidence.Storage{Unprobed: unprobed}
}

func taskRole(o *diagnoseOptions, ex *evidence.Execution) string {
	if !o.AsTaskRole || ex == nil {
		return ""
	}
	return ex.IAMRole
}
