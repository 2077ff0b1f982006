package checks

import (
	"cmp"
	"context"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/metadata"

	"github.com/flytedoctor/flytedoctor/collectors/evidence"
	"github.com/flytedoctor/flytedoctor/collectors/s3"
)

// Defaults.
const (
	DefaultConcurrency  = 8
	DefaultProbeTimeout = 15 * time.Second
	// DefaultPlatform is what an image must have when neither --platform nor the task says.
	DefaultPlatform = "linux/amd64"
	// DefaultServiceAccount is what Flyte's pods run as when nothing names one.
	DefaultServiceAccount = "default"
)

// Env is what the probes talk to. A layer without a client is skipped with its reason.
type Env struct {
	// Admin is Flyte Admin's API; nil skips the Admin probes, AdminSkip saying why.
	Admin     AdminAPI
	AdminSkip string
	// Explain, if set, says what kind of server answered a call that failed before gRPC got
	// going (adminclient's TransportError), or returns nil.
	Explain func(ctx context.Context, err error) error

	// Kube is the typed client, KubeMeta the metadata-only client secrets are read with.
	Kube     kubernetes.Interface
	KubeMeta metadata.Interface
	KubeSkip string

	// Transport carries registry requests; nil means go-containerregistry's default.
	Transport http.RoundTripper
	// Keychain holds the local registry credentials (docker config and credential helpers);
	// nil means authn.DefaultKeychain.
	Keychain     authn.Keychain
	RegistrySkip string

	// Storage builds S3 clients that act as role ("" is the caller's own identity); nil skips
	// the storage probes, StorageSkip saying why.
	Storage     func(ctx context.Context, role string) (*s3.Clients, error)
	StorageSkip string
	WriteProbe  bool

	// MaxConcurrency bounds the probes in flight; ProbeTimeout bounds each.
	MaxConcurrency int
	ProbeTimeout   time.Duration
	Now            func() time.Time
	UserAgent      string

	pull *pullCreds // pull-secret credentials of this run, for the image probe; never recorded
}

func (e *Env) now() time.Time {
	if e.Now != nil {
		return e.Now()
	}
	return time.Now()
}

// skip is why a layer cannot be probed, "" when it can.
func (e *Env) skip(l Layer) string {
	switch l {
	case Admin:
		if e.Admin == nil {
			return cmp.Or(e.AdminSkip, "no Flyte Admin to ask")
		}
	case Kube:
		if e.Kube == nil {
			return cmp.Or(e.KubeSkip, "no Kubernetes access")
		}
	case Storage:
		if e.Storage == nil {
			return cmp.Or(e.StorageSkip, "no AWS credentials")
		}
	case Registry:
		return e.RegistrySkip
	}
	return ""
}

// Run probes what the checks of table need for spec, concurrently under env.MaxConcurrency, and
// judges the result. A probe runs once its After probes are done.
func Run(ctx context.Context, env *Env, table []*Check, probes []*Probe, spec *evidence.PreflightSpec) *evidence.Checks {
	// Each run reads its own pull secrets: credentials do not outlive the run that read them.
	e := *env
	e.pull = &pullCreds{}
	env = &e
	byName := map[string]*Probe{}
	for _, p := range probes {
		byName[p.Name] = p
	}
	need := map[string]bool{}
	var want func(name string)
	want = func(name string) {
		if need[name] || byName[name] == nil {
			return
		}
		if _, skipped := spec.Skipped[string(byName[name].Layer)]; skipped {
			return // --skip: not even recorded; a probe that runs after it does without
		}
		need[name] = true
		for _, a := range byName[name].After {
			want(a)
		}
	}
	for _, c := range table {
		if _, skipped := spec.Skipped[string(c.Layer)]; skipped {
			continue
		}
		for _, n := range c.Needs {
			want(n)
		}
	}
	limit := env.MaxConcurrency
	if limit <= 0 {
		limit = DefaultConcurrency
	}
	timeout := env.ProbeTimeout
	if timeout <= 0 {
		timeout = DefaultProbeTimeout
	}
	sem := make(chan struct{}, limit)
	done := map[string]chan struct{}{}
	records := map[string][]evidence.ProbeRecord{}
	for _, p := range probes {
		if need[p.Name] {
			done[p.Name] = make(chan struct{})
			records[p.Name] = make([]evidence.ProbeRecord, len(p.Subjects(spec)))
		}
	}
	var all sync.WaitGroup
	for _, p := range probes {
		if !need[p.Name] {
			continue
		}
		all.Go(func() {
			defer close(done[p.Name])
			var prior []evidence.ProbeRecord
			for _, a := range p.After {
				if ch := done[a]; ch != nil {
					<-ch
					prior = append(prior, records[a]...)
				}
			}
			view := NewView(spec, prior)
			out := records[p.Name]
			var wg sync.WaitGroup
			for i, subject := range p.Subjects(spec) {
				if why := env.skip(p.Layer); why != "" {
					out[i] = evidence.ProbeRecord{Probe: p.Name, Subject: subject, Skipped: why}
					continue
				}
				wg.Go(func() {
					select {
					case sem <- struct{}{}:
					case <-ctx.Done():
						out[i] = evidence.ProbeRecord{Probe: p.Name, Subject: subject, Skipped: "not run: " + stopReason(ctx)}
						return
					}
					defer func() { <-sem }()
					pctx, cancel := context.WithTimeout(ctx, timeout)
					defer cancel()
					t0 := env.now()
					rec := p.Run(pctx, env, subject, view)
					if ctx.Err() != nil && rec.Skipped == "" {
						// What the run's stop cut short says nothing about the subject.
						rec = evidence.ProbeRecord{Skipped: "cut short: " + stopReason(ctx)}
					}
					rec.Probe, rec.Subject = p.Name, subject
					rec.Duration = evidence.Duration(env.now().Sub(t0))
					out[i] = rec
				})
			}
			wg.Wait()
		})
	}
	all.Wait()
	var recs []evidence.ProbeRecord
	for _, p := range probes {
		recs = append(recs, records[p.Name]...)
	}
	out := &evidence.Checks{Spec: *spec, Probes: recs, Results: Evaluate(table, spec, recs)}
	if ctx.Err() != nil {
		out.Stopped = stopReason(ctx)
	}
	return out
}

func stopReason(ctx context.Context) string {
	if c := context.Cause(ctx); c != nil {
		return c.Error()
	}
	return "the run stopped"
}

// uniq returns s without duplicates and empty strings, in first-seen order.
func uniq(s []string) []string {
	var out []string
	for _, x := range s {
		if x != "" && !slices.Contains(out, x) {
			out = append(out, x)
		}
	}
	return out
}

// Records sums up the probes by layer the way collectors record themselves: calls by probe,
// the time the slowest took, skipped when none could run.
func Records(c *evidence.Checks) []evidence.CollectorRecord {
	layer := map[string]Layer{}
	for _, p := range Probes() {
		layer[p.Name] = p.Layer
	}
	var out []evidence.CollectorRecord
	for _, l := range Layers {
		rec := evidence.CollectorRecord{Collector: string(l), Calls: map[string]int{}}
		ran, skips, errs := 0, []string{}, 0
		for _, p := range c.Probes {
			if layer[p.Probe] != l {
				continue
			}
			if p.Skipped != "" {
				skips = append(skips, p.Skipped)
				continue
			}
			ran++
			rec.Calls[p.Probe]++
			rec.Duration = max(rec.Duration, p.Duration)
			if p.Error != nil {
				errs++
			}
		}
		switch {
		case ran == 0 && len(skips) == 0:
			if why, ok := c.Spec.Skipped[string(l)]; ok {
				rec.Status, rec.SkipReason = evidence.StatusSkipped, why
			} else {
				continue
			}
		case ran == 0:
			rec.Status, rec.SkipReason = evidence.StatusSkipped, skips[0]
		case errs > 0 || len(skips) > 0:
			rec.Status = evidence.StatusPartial
		default:
			rec.Status = evidence.StatusOK
		}
		if len(rec.Calls) == 0 {
			rec.Calls = nil
		}
		out = append(out, rec)
	}
	return out
}

// AdminVersion is the version Admin reported, "" when it did not answer.
func AdminVersion(c *evidence.Checks) string {
	for _, p := range c.Probes {
		if p.Probe == probeAdminVersion && p.Admin != nil {
			return p.Admin.Version
		}
	}
	return ""
}
