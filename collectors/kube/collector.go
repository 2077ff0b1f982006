package kube

import (
	"context"
	"errors"
	"net"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/selection"
	"k8s.io/client-go/kubernetes"

	"github.com/flytedoctor/flytedoctor/collectors/evidence"
)

// Name is the collector's name in evidence records and --skip.
const Name = "kube"

// Defaults.
const (
	DefaultPageSize = 500
	DefaultLogLines = 200
	DefaultLogBytes = 64 << 10
	DefaultMaxLogs  = 10
)

const (
	// A label selector with hundreds of child execution names would make a very long URL; one
	// LIST chain per 50 names keeps requests ordinary.
	namesPerSelector = 50
	// Log reads go to kubelets; a few at a time is enough and spares them.
	logParallelism = 4
	// Service accounts read at most (a pod spec names one; executions rarely mix more).
	maxServiceAccounts = 5
	// Up to this many pods that matter, their events are read pod by pod (one LIST each with a
	// field selector on the pod's name), all at once; beyond it, one paged LIST of the
	// namespace's pod events. kube-apiserver keeps no watch cache for events, so each read,
	// per pod or per page, scans the namespace's events in etcd: pod by pod saves round trips
	// but costs the server a scan per pod. Measured (BenchmarkEventReads, kube-apiserver v1.37
	// on 127.0.0.1, 2 shared cores at load 3.3, 20,000 events in the namespace, no added
	// latency; medians of 5): pod by pod 1 pod 168 ms, 2 226 ms, 3 255 ms, 4 376 ms, 8 834 ms;
	// the namespace LIST 471 ms in 40 pages of 500, 289 ms in 4 pages of 5,000. Both grow
	// with the namespace, so the break-even count does not: 3 pods at zero latency, 4 at 20 ms
	// a round trip (the LIST's 3 extra pages).
	maxPodEventReads = 3
	// Rows per page of the namespace's pod events: a page costs the server about as much as
	// the scan it continues, so fewer, larger pages (10 MiB at most of protobuf) save round
	// trips; 40 pages of 500 took 471 ms, 4 of 5,000 289 ms (above).
	eventPageSize = 5000
)

// Call names, as counted in the record and used in errors.
const (
	callListPods        = "list pods"
	callListEvents      = "list events"
	callListQuotas      = "list resourcequotas"
	callListLimitRanges = "list limitranges"
	callListNodes       = "list nodes"
	callGetLog          = "get pods/log"
	callGetSA           = "get serviceaccounts"
)

// Collector reads the Kubernetes objects of one execution. It never writes.
type Collector struct {
	Client kubernetes.Interface
	// Namespace is where the execution's pods run; NamespaceSource is "admin", "template" or
	// "flag" (see ResolveNamespace). Context and Server are recorded only.
	Namespace, NamespaceSource string
	Context, Server            string
	// PageSize is the LIST limit (DefaultPageSize when 0).
	PageSize int64
	// Logs enables log tails of failed containers: LogLines lines (DefaultLogLines), at most
	// LogBytes bytes (DefaultLogBytes) each, for at most MaxLogs containers (DefaultMaxLogs).
	Logs     bool
	LogLines int64
	LogBytes int64
	MaxLogs  int
	Now      func() time.Time

	started *run // by Start
}

// StartPods begins, from the execution's name alone (before Admin has answered anything),
// the reads that need nothing more than it and the namespace: the pods labelled with the name
// and, as soon as they are listed, the events of those that did not succeed, unless Collect
// has the whole tree by then. Call it at most once, before Start and Collect, with the
// Collector's fields set; it does not block.
func (c *Collector) StartPods(ctx context.Context, execution string) {
	r := c.run()
	if r.early != nil || c.Client == nil || c.Namespace == "" {
		return
	}
	e := &earlyReads{root: execution, podsDone: make(chan struct{})}
	r.early = e
	go func() {
		defer close(e.podsDone)
		e.pods = r.listPods(ctx, []string{execution})
		var failing []string
		for i := range e.pods.items {
			if pod := &e.pods.items[i]; pod.Status.Phase != corev1.PodSucceeded {
				failing = append(failing, pod.Name)
			}
		}
		r.events.start(ctx, r, failing, e.pods.depth, true)
	}()
}

// Start begins, from the root execution alone (GetExecution's answer, before its nodes are
// known), the reads that need nothing more: StartPods' (unless it ran) and the service account
// the execution runs as ("default" when it names none and did not succeed). Collect then reads
// only what the tree adds. Call it at most once, before Collect; it does not block.
func (c *Collector) Start(ctx context.Context, root *evidence.Execution) {
	if root == nil {
		c.run()
		return
	}
	c.StartPods(ctx, root.ID.Name)
	r := c.started
	e := r.early
	if e == nil || e.sasDone != nil {
		return
	}
	e.sasDone = make(chan struct{})
	if sa := root.ServiceAccount; sa != "" {
		e.accounts = []string{sa}
	} else if !evidence.Succeeded(root.Phase) {
		e.accounts = []string{"default"}
	}
	if len(e.accounts) == 0 {
		close(e.sasDone)
		return
	}
	go func() {
		defer close(e.sasDone)
		e.sas = r.serviceAccounts(ctx, e.accounts, 0)
	}()
}

// Moved is the collector for the namespace Admin named after c was started (StartPods) in
// another, guessed one: what the guess read is dropped and so are its failures (they say
// nothing about the execution's namespace), but its requests still count in the record.
func (c *Collector) Moved(namespace, source string) *Collector {
	n := *c
	n.Namespace, n.NamespaceSource, n.started = namespace, source, nil
	if guess := c.started; guess != nil {
		n.started = n.newRun(guess.start)
		n.started.guess = guess
	}
	return &n
}

// AtLeast tells the collector, before Collect has the tree, that at least n pods matter (the
// Admin walk counts the unsuccessful task nodes as it finds them): above maxPodEventReads the
// namespace's pod events are read now, in one paged LIST, instead of once the walk is over.
// Call it only after Start; it is safe for concurrent use and does not block.
func (c *Collector) AtLeast(ctx context.Context, n int) {
	if r := c.started; n > maxPodEventReads && r != nil && c.Client != nil && c.Namespace != "" {
		r.events.readAll(ctx, r)
	}
}

// earlyReads are the reads StartPods and Start began.
type earlyReads struct {
	root     string // the execution whose pods are listed
	podsDone chan struct{}
	pods     podList
	accounts []string      // service accounts read, by Start
	sasDone  chan struct{} // nil until Start
	sas      []evidence.ServiceAccount
}

// wait waits for what was started.
func (e *earlyReads) wait() {
	<-e.podsDone
	if e.sasDone != nil {
		<-e.sasDone
	}
}

// run is the collector's run, begun by the first of StartPods, Start and Collect.
func (c *Collector) run() *run {
	if c.started == nil {
		c.started = c.newRun(time.Time{})
	}
	return c.started
}

// newRun is a run begun at start, or now when start is zero.
func (c *Collector) newRun(start time.Time) *run {
	r := &run{c: c, events: &eventReads{set: newEventSet(), pods: map[string]bool{}, ok: true}}
	if start.IsZero() {
		start = r.now()
	}
	r.start, r.rec = start, evidence.NewRecorder(Name, start)
	return r
}

// Collect reads the execution's pods, events and, when something waited for resources, the
// namespace's quotas, limit ranges and the nodes. Failed calls are recorded in the record;
// the returned Kube holds whatever could be read (nil when skipped or without client/namespace).
// After Start, what Start read is used and not read again.
func (c *Collector) Collect(ctx context.Context, ex *evidence.Execution) (*evidence.Kube, evidence.CollectorRecord) {
	r := c.run()
	start := r.start
	if ex == nil {
		return nil, evidence.CollectorRecord{Collector: Name, Status: evidence.StatusSkipped, SkipReason: "no execution was read", StartedAt: start}
	}
	if c.Client == nil || c.Namespace == "" {
		r.rec.Fail(evidence.CollectionError{Method: callListPods, Target: "namespace " + c.Namespace,
			Code: "Invalid", Message: "no Kubernetes client or namespace"})
		return nil, r.rec.Record(evidence.StatusFailed, r.now())
	}
	k := &evidence.Kube{Context: c.Context, Server: c.Server, Namespace: c.Namespace, NamespaceSource: c.NamespaceSource}
	p := planFor(ex, c.Namespace, c.NamespaceSource == SourceFlag)
	k.Executions = p.executions

	// The events of the pods that matter (those of attempts that did not succeed) are read pod
	// by pod, at once with the pod LIST; only when there are more of them than
	// maxPodEventReads does one paged LIST of the namespace's pod events cost less.
	matter := p.podsThatMatter()
	r.events.start(ctx, r, matter, 0, false)
	// The pods of the executions Start did not list, and the service accounts the executions
	// name (or "default"), beside the events; those only the pod specs name are read after.
	executions, read := p.executions, []string(nil)
	if e := r.early; e != nil {
		executions, read = without(executions, []string{e.root}), e.accounts
	}
	early := without(serviceAccountNames(ex, nil, p), read)
	var pods podList
	var sas []evidence.ServiceAccount
	var first, later sync.WaitGroup
	pods.ok = true
	if len(executions) > 0 {
		first.Go(func() { pods = r.listPods(ctx, executions) })
	}
	if len(early) > 0 {
		first.Go(func() { sas = r.serviceAccounts(ctx, early, 0) })
	}
	var sched schedResult
	if p.waiting {
		k.SchedulingContext = true
		later.Go(func() { sched = r.scheduling(ctx, 0) })
	}
	first.Wait()
	if e := r.early; e != nil {
		e.wait()
		pods = mergePods(e.pods, pods)
		sas, read = append(e.sas, sas...), append(read, early...)
	} else {
		read = early
	}

	// Failing pods the execution's label found that Admin did not name.
	var extra []string
	for i := range pods.items {
		if pod := &pods.items[i]; !matters(pod, p) {
			continue
		} else if _, named := p.byName[pod.Name]; !named {
			extra = append(extra, pod.Name)
		}
	}
	r.events.start(ctx, r, extra, pods.depth, false)
	if !k.SchedulingContext && anyUnscheduled(pods.items) {
		k.SchedulingContext = true
		later.Go(func() { sched = r.scheduling(ctx, pods.depth) })
	}
	var logs []evidence.ContainerLog
	if c.Logs {
		later.Go(func() { logs = r.readLogs(ctx, logTargets(pods.items, p, r.maxLogs()), pods.depth) })
	}
	var moreSAs []evidence.ServiceAccount
	names := serviceAccountNames(ex, pods.items, p)
	if rest := without(names, read); len(rest) > 0 {
		later.Go(func() { moreSAs = r.serviceAccounts(ctx, rest, pods.depth) })
	}
	later.Wait()
	events, eventsOK := r.events.wait()
	sas = orderedAccounts(names, append(sas, moreSAs...))

	listed := map[string]bool{}
	for i := range pods.items {
		pod := &pods.items[i]
		listed[pod.Name] = true
		ep := convertPod(pod)
		if ref, ok := p.match(pod); ok {
			ep.Attempt = &ref
		}
		k.Pods = append(k.Pods, ep)
	}
	sortPods(k.Pods, p)
	if pods.ok {
		for _, w := range p.wants {
			if w.expected && !listed[w.ref.Name] {
				k.MissingPods = append(k.MissingPods, w.ref)
			}
		}
	}
	if events != nil {
		keep := map[string]bool{}
		for _, name := range matter {
			keep[name] = true
		}
		for i := range pods.items {
			if matters(&pods.items[i], p) {
				keep[pods.items[i].Name] = true
			}
		}
		for _, e := range events.list() {
			// Events outlive pods, so those of missing pods are kept too.
			if keep[e.Name] {
				k.Events = append(k.Events, e)
			}
		}
	}
	if len(sched.events) > 0 {
		k.Events = append(k.Events, sched.events...)
		sortEvents(k.Events)
	}
	k.Quotas, k.LimitRanges, k.Nodes = sched.quotas, sched.limitRanges, sched.nodes
	selectorLabels(k.Nodes, sched.nodeLabels, pods.items)
	k.Logs, k.ServiceAccounts = logs, sas

	if g := r.guess; g != nil {
		if g.early != nil {
			g.early.wait()
		}
		g.events.wait()
		r.rec.AddCalls(g.rec)
	}
	status := evidence.StatusOK
	switch {
	case !pods.ok && !eventsOK:
		status = evidence.StatusFailed
	case r.rec.Failures() > 0:
		status = evidence.StatusPartial
	}
	return k, r.rec.Record(status, r.now())
}

// mergePods is a's pods then those of b not in a.
func mergePods(a, b podList) podList {
	out := podList{items: a.items, depth: max(a.depth, b.depth), ok: a.ok && b.ok}
	seen := map[string]bool{}
	for i := range a.items {
		seen[a.items[i].Name] = true
	}
	for _, p := range b.items {
		if !seen[p.Name] {
			out.items = append(out.items, p)
		}
	}
	return out
}

// eventReads are the pod event reads of one run, begun as the pod names become known (from
// Start's pod LIST, from the execution tree, from the pods listed), each pod's read once.
type eventReads struct {
	mu      sync.Mutex
	set     *eventSet
	pods    map[string]bool // pods whose events are read or being read
	all     bool            // the namespace's pod events are read or being read
	planned bool            // Collect has the tree: Start's guesses stop
	ok      bool
	wg      sync.WaitGroup
}

// start reads the events of the named pods not read yet: pod by pod, or, when more than
// maxPodEventReads of them are new, the namespace's pod events in one paged LIST. early reads
// (Start's, from the pod list) are dropped once Collect has the tree.
func (ev *eventReads) start(ctx context.Context, r *run, names []string, depth int, early bool) {
	ev.mu.Lock()
	defer ev.mu.Unlock()
	if early && ev.planned || ev.all {
		return
	}
	ev.planned = ev.planned || !early
	var unread []string
	for _, n := range names {
		if !ev.pods[n] && !slices.Contains(unread, n) {
			unread = append(unread, n)
		}
	}
	if len(unread) == 0 {
		return
	}
	if len(unread) > maxPodEventReads {
		ev.listAll(ctx, r, depth)
		return
	}
	for _, n := range unread {
		ev.pods[n] = true
	}
	ev.wg.Go(func() { ev.done(r.podEventsInto(ctx, ev.set, unread, depth)) })
}

// readAll starts the paged LIST of the namespace's pod events, unless it runs already.
func (ev *eventReads) readAll(ctx context.Context, r *run) {
	ev.mu.Lock()
	defer ev.mu.Unlock()
	ev.listAll(ctx, r, 0)
}

// listAll is readAll with ev.mu held; depth is that of the reads it waited for.
func (ev *eventReads) listAll(ctx context.Context, r *run, depth int) {
	if !ev.all {
		ev.all = true
		ev.wg.Go(func() { ev.done(r.listEventsInto(ctx, ev.set, "Pod", depth)) })
	}
}

func (ev *eventReads) done(ok bool) {
	ev.mu.Lock()
	ev.ok = ev.ok && ok
	ev.mu.Unlock()
}

// wait returns the events read once every read is over, and whether all of them succeeded.
func (ev *eventReads) wait() (*eventSet, bool) {
	ev.wg.Wait()
	ev.mu.Lock()
	defer ev.mu.Unlock()
	return ev.set, ev.ok
}

// run is the state of one StartPods, Start and Collect.
type run struct {
	c      *Collector
	rec    *evidence.Recorder
	start  time.Time
	early  *earlyReads // nil without StartPods
	events *eventReads
	// guess is the run Moved replaced, in a namespace that was not the execution's: its
	// calls count in this run's record, nothing else of it is kept.
	guess *run
}

func (r *run) now() time.Time {
	if r.c.Now != nil {
		return r.c.Now()
	}
	return time.Now()
}

func (r *run) pageSize() int64 {
	if r.c.PageSize <= 0 {
		return DefaultPageSize
	}
	return r.c.PageSize
}

func (r *run) maxLogs() int {
	if r.c.MaxLogs <= 0 {
		return DefaultMaxLogs
	}
	return r.c.MaxLogs
}

// call counts one request, sent by fn with the context it is given (so that the client's
// transport counts its attempts). depth is the number of requests this one had to wait for,
// plus one. It returns the attempts made, retries by client-go included.
func (r *run) call(ctx context.Context, method string, depth int, fn func(ctx context.Context) error) (int, error) {
	cctx, c := r.rec.Start(ctx, method, depth)
	defer c.End()
	err := fn(cctx)
	return c.Attempts(), err
}

// fail records a failed call and the attempts it made.
func (r *run) fail(method, target string, err error, attempts int) {
	code, msg := classify(err)
	r.rec.Fail(evidence.CollectionError{Method: method, Target: target, Code: code, Message: "cannot " + method + ": " + msg, Attempts: attempts})
}

// classify turns an error into a short code (the API's reason, e.g. "Forbidden") and the
// server's one-line message.
func classify(err error) (code, msg string) {
	var st apierrors.APIStatus
	if errors.As(err, &st) {
		s := st.Status()
		code = string(s.Reason)
		if code == "" || code == string(metav1.StatusReasonUnknown) {
			code = strings.ReplaceAll(http.StatusText(int(s.Code)), " ", "")
		}
		if code == "" {
			code = "Unknown"
		}
		return code, oneLine(s.Message)
	}
	// No request was sent: the URL in client-go's wrapping would only add noise.
	var pe *ExecPluginError
	if errors.As(err, &pe) {
		switch {
		case errors.Is(err, context.DeadlineExceeded):
			return "DeadlineExceeded", pe.Error()
		case errors.Is(err, context.Canceled):
			return "Canceled", pe.Error()
		}
		return "ConfigError", pe.Error()
	}
	var ne net.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return "DeadlineExceeded", "timed out (raise --timeout): " + oneLine(err.Error())
	case errors.Is(err, context.Canceled):
		return "Canceled", oneLine(err.Error())
	case errors.As(err, &ne):
		return "Unavailable", oneLine(err.Error())
	}
	return "Unknown", oneLine(err.Error())
}

func oneLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i] + " ..."
	}
	return s
}

// pages runs a paged LIST; each page waits for the previous one's continue token. page issues
// one request with the given options and returns the next token.
func (r *run) pages(ctx context.Context, method, target string, depth int,
	page func(ctx context.Context, opts metav1.ListOptions) (string, error)) (int, bool) {
	token := ""
	for {
		depth++
		var next string
		attempts, err := r.call(ctx, method, depth, func(ctx context.Context) error {
			var err error
			next, err = page(ctx, metav1.ListOptions{Limit: r.pageSize(), Continue: token})
			return err
		})
		if err != nil {
			r.fail(method, target, err, attempts)
			return depth, false
		}
		if next == "" || next == token {
			return depth, true
		}
		token = next
	}
}

type podList struct {
	items []corev1.Pod
	depth int  // longest page chain
	ok    bool // every page of every selector was read
}

// listPods lists the pods labelled with any of the execution names, one chain per chunk.
func (r *run) listPods(ctx context.Context, executions []string) podList {
	ns := r.c.Namespace
	var mu sync.Mutex
	var wg sync.WaitGroup
	res := podList{ok: true}
	seen := map[string]bool{}
	for i := 0; i < len(executions); i += namesPerSelector {
		names := executions[i:min(i+namesPerSelector, len(executions))]
		req, err := labels.NewRequirement(LabelExecutionID, selection.In, names)
		if err != nil {
			r.fail(callListPods, "namespace "+ns, err, 0)
			res.ok = false
			continue
		}
		selector := labels.NewSelector().Add(*req).String()
		wg.Go(func() {
			depth, ok := r.pages(ctx, callListPods, "namespace "+ns, 0, func(ctx context.Context, o metav1.ListOptions) (string, error) {
				o.LabelSelector = selector
				l, err := r.c.Client.CoreV1().Pods(ns).List(ctx, o)
				if err != nil {
					return "", err
				}
				mu.Lock()
				defer mu.Unlock()
				for _, p := range l.Items {
					if !seen[p.Name] {
						seen[p.Name] = true
						res.items = append(res.items, p)
					}
				}
				return l.Continue, nil
			})
			mu.Lock()
			defer mu.Unlock()
			res.depth = max(res.depth, depth)
			res.ok = res.ok && ok
		})
	}
	wg.Wait()
	return res
}

// listEvents lists the namespace's events about objects of one kind (field selector on the
// server; checked again here, since not every server or fake honours it).
func (r *run) listEvents(ctx context.Context, kind string, depth int) (*eventSet, bool) {
	set := newEventSet()
	return set, r.listEventsInto(ctx, set, kind, depth)
}

func (r *run) listEventsInto(ctx context.Context, set *eventSet, kind string, depth int) bool {
	ns := r.c.Namespace
	selector := "involvedObject.kind=" + kind
	_, ok := r.pages(ctx, callListEvents, "namespace "+ns+" "+kind+" events", depth, func(ctx context.Context, o metav1.ListOptions) (string, error) {
		o.FieldSelector = selector
		if r.c.PageSize <= 0 {
			o.Limit = eventPageSize
		}
		// Any recent state will do for events: a serializable read from etcd instead of a
		// quorum read (about 40 % less per page on 20,000 events).
		o.ResourceVersion = "0"
		l, err := r.c.Client.CoreV1().Events(ns).List(ctx, o)
		if err != nil {
			return "", err
		}
		for i := range l.Items {
			if l.Items[i].InvolvedObject.Kind == kind {
				set.add(&l.Items[i])
			}
		}
		return l.Continue, nil
	})
	return ok
}

// podEvents reads the events of each named pod, all at once: one LIST per pod with a field
// selector on its kind and name (checked again here: fakes ignore field selectors).
func (r *run) podEvents(ctx context.Context, names []string, depth int) (*eventSet, bool) {
	set := newEventSet()
	return set, r.podEventsInto(ctx, set, names, depth)
}

func (r *run) podEventsInto(ctx context.Context, set *eventSet, names []string, depth int) bool {
	ns := r.c.Namespace
	var mu sync.Mutex
	var wg sync.WaitGroup
	ok := true
	for _, name := range names {
		wg.Go(func() {
			selector := fields.Set{"involvedObject.kind": "Pod", "involvedObject.name": name}.String()
			_, done := r.pages(ctx, callListEvents, "pod "+ns+"/"+name+" events", depth, func(ctx context.Context, o metav1.ListOptions) (string, error) {
				o.FieldSelector = selector
				o.ResourceVersion = "0" // any recent state, as for the namespace LIST
				l, err := r.c.Client.CoreV1().Events(ns).List(ctx, o)
				if err != nil {
					return "", err
				}
				mu.Lock()
				defer mu.Unlock()
				for i := range l.Items {
					if e := &l.Items[i]; e.InvolvedObject.Kind == "Pod" && e.InvolvedObject.Name == name {
						set.add(e)
					}
				}
				return l.Continue, nil
			})
			mu.Lock()
			ok = ok && done
			mu.Unlock()
		})
	}
	wg.Wait()
	return ok
}

// podsThatMatter are the pods whose events can explain the failure: those of attempts that
// did not succeed (plan.wants marked expected), in tree order.
func (p *plan) podsThatMatter() []string {
	var out []string
	for _, w := range p.wants {
		if w.expected {
			out = append(out, w.ref.Name)
		}
	}
	return out
}

// matters reports a listed pod whose events are kept: a pod that matters, or one Admin did not
// name (found by the execution's label) that did not succeed.
func matters(pod *corev1.Pod, p *plan) bool {
	if i, ok := p.byName[pod.Name]; ok {
		return p.wants[i].expected
	}
	return pod.Status.Phase != corev1.PodSucceeded
}

// without is names minus those in read.
func without(names, read []string) []string {
	var out []string
	for _, n := range names {
		if !slices.Contains(read, n) {
			out = append(out, n)
		}
	}
	return out
}

// orderedAccounts keeps the accounts read whose names are wanted, in the order of names.
func orderedAccounts(names []string, read []evidence.ServiceAccount) []evidence.ServiceAccount {
	var out []evidence.ServiceAccount
	for _, n := range names {
		for _, sa := range read {
			if sa.Name == n {
				out = append(out, sa)
				break
			}
		}
	}
	return out
}

type schedResult struct {
	quotas      []evidence.ResourceQuota
	limitRanges []evidence.LimitRange
	nodes       *evidence.NodeSummary
	nodeLabels  map[string]map[string]string // every label of every node, for selectorLabels
	events      []evidence.Event             // about ResourceQuotas
}

// scheduling reads what decides whether a pod can be placed: quotas (and their events), limit
// ranges and nodes, all at once.
func (r *run) scheduling(ctx context.Context, depth int) schedResult {
	ns := r.c.Namespace
	var out schedResult
	var wg sync.WaitGroup
	wg.Go(func() {
		var quotas []evidence.ResourceQuota
		if _, ok := r.pages(ctx, callListQuotas, "namespace "+ns, depth, func(ctx context.Context, o metav1.ListOptions) (string, error) {
			l, err := r.c.Client.CoreV1().ResourceQuotas(ns).List(ctx, o)
			if err != nil {
				return "", err
			}
			for i := range l.Items {
				quotas = append(quotas, convertQuota(&l.Items[i]))
			}
			return l.Continue, nil
		}); ok || len(quotas) > 0 {
			out.quotas = quotas
		}
	})
	wg.Go(func() {
		r.pages(ctx, callListLimitRanges, "namespace "+ns, depth, func(ctx context.Context, o metav1.ListOptions) (string, error) {
			l, err := r.c.Client.CoreV1().LimitRanges(ns).List(ctx, o)
			if err != nil {
				return "", err
			}
			for i := range l.Items {
				out.limitRanges = append(out.limitRanges, convertLimitRange(&l.Items[i]))
			}
			return l.Continue, nil
		})
	})
	wg.Go(func() {
		sum := &evidence.NodeSummary{}
		labels := map[string]map[string]string{}
		if _, ok := r.pages(ctx, callListNodes, "cluster", depth, func(ctx context.Context, o metav1.ListOptions) (string, error) {
			l, err := r.c.Client.CoreV1().Nodes().List(ctx, o)
			if err != nil {
				return "", err
			}
			for i := range l.Items {
				sum.Nodes = append(sum.Nodes, convertNode(&l.Items[i]))
				labels[l.Items[i].Name] = l.Items[i].Labels
			}
			return l.Continue, nil
		}); ok {
			sum.Total = len(sum.Nodes)
			out.nodes, out.nodeLabels = sum, labels
		}
	})
	wg.Go(func() {
		if set, _ := r.listEvents(ctx, "ResourceQuota", depth); set != nil {
			out.events = set.list()
		}
	})
	wg.Wait()
	return out
}

// anyUnscheduled reports a pod the scheduler has not placed (or said it cannot).
func anyUnscheduled(pods []corev1.Pod) bool {
	for i := range pods {
		p := &pods[i]
		if p.Status.Phase != corev1.PodPending && p.Status.Phase != "" {
			continue
		}
		if p.Spec.NodeName == "" {
			return true
		}
		for _, c := range p.Status.Conditions {
			if c.Type == corev1.PodScheduled && c.Status == corev1.ConditionFalse {
				return true
			}
		}
	}
	return false
}

// sortPods puts pods in the tree order of their attempts, unmatched pods last by name.
func sortPods(pods []evidence.Pod, p *plan) {
	rank := func(ep *evidence.Pod) int {
		if ep.Attempt != nil {
			if i, ok := p.byName[ep.Attempt.Name]; ok {
				return i
			}
			return len(p.wants)
		}
		return len(p.wants) + 1
	}
	sort.SliceStable(pods, func(i, j int) bool {
		ri, rj := rank(&pods[i]), rank(&pods[j])
		if ri != rj {
			return ri < rj
		}
		return pods[i].Name < pods[j].Name
	})
}

// serviceAccountNames are the service accounts the pods run as, or the executions ask for; with
// neither, "default" when some attempt should have a pod.
func serviceAccountNames(root *evidence.Execution, pods []corev1.Pod, p *plan) []string {
	seen := map[string]bool{}
	var names []string
	add := func(n string) {
		if n != "" && !seen[n] && len(names) < maxServiceAccounts {
			seen[n] = true
			names = append(names, n)
		}
	}
	for i := range pods {
		add(pods[i].Spec.ServiceAccountName)
	}
	add(root.ServiceAccount)
	root.Walk(func(path []evidence.Step) bool {
		if c := path[len(path)-1].Node.ChildExecution; c != nil && (c.Namespace == "" || c.Namespace == p.namespace) {
			add(c.ServiceAccount)
		}
		return true
	})
	if len(names) == 0 && len(p.wants) > 0 {
		add("default")
	}
	return names
}

func (r *run) serviceAccounts(ctx context.Context, names []string, depth int) []evidence.ServiceAccount {
	ns := r.c.Namespace
	out := make([]evidence.ServiceAccount, len(names))
	found := make([]bool, len(names))
	var wg sync.WaitGroup
	for i, name := range names {
		wg.Go(func() {
			var sa *corev1.ServiceAccount
			attempts, err := r.call(ctx, callGetSA, depth+1, func(ctx context.Context) error {
				var err error
				sa, err = r.c.Client.CoreV1().ServiceAccounts(ns).Get(ctx, name, metav1.GetOptions{})
				return err
			})
			switch {
			case err == nil:
				out[i], found[i] = convertServiceAccount(sa), true
			case apierrors.IsNotFound(err):
				out[i], found[i] = evidence.ServiceAccount{Name: name, NotFound: true}, true
			default:
				r.fail(callGetSA, "serviceaccount "+ns+"/"+name, err, attempts)
			}
		})
	}
	wg.Wait()
	var kept []evidence.ServiceAccount
	for i := range out {
		if found[i] {
			kept = append(kept, out[i])
		}
	}
	return kept
}
