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
// paths to look at come from it, then Kubernetes and storage side by side. When the run stops
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
	var res *flyteadmin.Result
	var err error
	done := make(chan bool, 1)
	go func() { res, err = c.Collect(ctx, id); done <- ctx.Err() != nil }()
	var adminStopped bool
	select {
	case adminStopped = <-done:
	case <-abandon:
		// As a call cut by the deadline reads, so that Explain can still tell what answered.
		return nil, status.FromContextError(ctx.Err()).Err()
	}
	if err != nil {
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
	var s3Ch <-chan outcome[*evidence.Storage]
	start := f.Now()
	runKube, runS3 := kc != nil, !slices.Contains(o.Skip, s3.Name)
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
	}
	if runKube {
		kubeCh = goCollect(ctx, func() (*evidence.Kube, evidence.CollectorRecord) { return collectKube(ctx, f, o, kc, res.Execution) })
	}
	if runS3 {
		s3Ch = goCollect(ctx, func() (*evidence.Storage, evidence.CollectorRecord) {
			return collectStorage(ctx, f, o, cfg, res.Execution)
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
	client, info, err := kc.client, kc.info, kc.err
	if err != nil {
		// No cluster access says nothing about the execution: skip, with the reason.
		return nil, skipped(kube.Name, fmt.Sprintf("no Kubernetes access (%v); pass --kubeconfig/--context or --skip kube", err))
	}
	ns, src, err := kube.ResolveNamespace(ex, o.Namespace, o.NamespaceTemplate)
	if err != nil {
		return nil, skipped(kube.Name, err.Error())
	}
	c := &kube.Collector{
		Client: client, Namespace: ns, NamespaceSource: src, Context: info.Context, Server: info.Server,
		Logs: o.Logs, LogLines: o.LogLines, Now: f.Now,
	}
	return c.Collect(ctx, ex)
}

func collectStorage(ctx context.Context, f *Factory, o *diagnoseOptions, cfg *flyteconfig.Config, ex *evidence.Execution) (*evidence.Storage, evidence.CollectorRecord) {
	probe, unprobed := s3.Paths(ex, "")
	if len(probe) == 0 {
		// Nothing on s3:// (the data may be on gs:// or abfs://): no credentials are needed to
		// record that, and the collector says it was skipped.
		return (&s3.Collector{Now: f.Now}).Collect(ctx, unprobed)
	}
	// The collector keeps the other schemes' paths in Storage.Unprobed.
	paths := append(probe, unprobed...)
	start := f.Now()
	clients, err := f.StorageClients(ctx, s3.ClientOptions{
		Profile: o.AWSProfile, Region: o.AWSRegion, Endpoint: o.S3Endpoint,
		Connection:     s3.ConnectionFromStorage(cfg.Storage),
		AssumeTaskRole: o.AsTaskRole, AsTaskRole: taskRole(o, ex), Getenv: f.Getenv,
		Stdin: f.IO.In, StdinTerminal: f.IO.InTTY, Stderr: f.IO.ErrOut,
	})
	if errors.Is(err, s3.ErrNoCredentials) {
		return unprobedOnly(unprobed), skipped(s3.Name, err.Error())
	}
	if err != nil {
		code := "ConfigError"
		switch {
		case errors.Is(ctx.Err(), context.DeadlineExceeded):
			code = "DeadlineExceeded" // credential resolution was still running at the run's stop
		case ctx.Err() != nil:
			code = "Canceled"
		}
		return unprobedOnly(unprobed), evidence.CollectorRecord{Collector: s3.Name, Status: evidence.StatusFailed, StartedAt: start, Duration: evidence.Duration(f.Now().Sub(start)),
			Errors: []evidence.CollectionError{{Method: "NewClients", Target: "aws", Code: code, Message: err.Error()}}}
	}
	c := &s3.Collector{S3: clients.S3, STS: clients.STS, Identity: clients.Identity, WriteProbe: o.WriteProbe, Now: f.Now}
	return c.Collect(ctx, paths)
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
