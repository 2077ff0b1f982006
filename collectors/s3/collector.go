package s3

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmw "github.com/aws/aws-sdk-go-v2/aws/middleware"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/flytedoctor/flytedoctor/collectors/evidence"
	"github.com/flytedoctor/flytedoctor/internal/deadline"
)

// Defaults.
const (
	// DefaultConcurrency: an object store serves thousands of HEADs a second; what bounds a
	// diagnosis is round trips. The 1,000-children case's 22 path probes after the Admin walk
	// took three waves at 8 (S3 done 158-186 ms after start at 20 ms a call), one or two at 32
	// (107-128 ms).
	DefaultConcurrency  = 32
	DefaultProbeTimeout = 10 * time.Second
	// earlyPathsPerBucket bounds the paths probed before their bucket is known to exist: what
	// a missing bucket can cost in wasted requests (a HEAD and its confirming GET each).
	earlyPathsPerBucket = 8
	// WriteMarkerPrefix starts the name of the empty object a write probe puts and deletes.
	WriteMarkerPrefix = ".flytedoctor-write-probe-"
)

// Collector probes storage paths with the identity in use.
type Collector struct {
	S3 S3API
	// STS answers GetCallerIdentity; nil records the identity as "unknown".
	STS STSAPI
	// Identity is what NewClients learned (source, region, endpoint, assumed role).
	Identity evidence.StorageIdentity
	// WriteProbe allows PutObject and DeleteObject of an empty marker under each raw output
	// prefix. Without it no write request is sent.
	WriteProbe bool
	// Concurrency bounds requests in flight; 0 means DefaultConcurrency.
	Concurrency int
	// ProbeTimeout bounds each request (with its SDK retry); 0 means DefaultProbeTimeout.
	ProbeTimeout time.Duration
	Now          func() time.Time

	started *run // by Start
}

// target is a path ready to probe.
type target struct {
	path   evidence.StoragePath
	loc    location
	kind   string
	prefix string // ListObjectsV2 prefix, for prefixes
}

// bucketState is what the bucket probes learned that later probes need.
type bucketState struct {
	missing bool   // NoSuchBucket: path probes would only repeat it
	region  string // sign for this region: the bucket redirected us there
}

// Collect probes every s3 path once and each bucket once. It never fails: denied or missing
// paths are evidence; requests that got no answer are recorded as collection errors too.
func (c *Collector) Collect(ctx context.Context, paths []evidence.StoragePath) (*evidence.Storage, evidence.CollectorRecord) {
	r := c.started
	if r == nil {
		r = c.newRun()
	}
	st := &evidence.Storage{Identity: c.Identity, WriteProbe: c.WriteProbe}

	targets, buckets := plan(paths, st)
	if len(targets) == 0 && r.ident == nil {
		rec := r.rec.Record(evidence.StatusSkipped, r.now())
		rec.SkipReason = "no s3:// paths to probe"
		return st, rec
	}
	r.startIdentity(ctx)
	for _, b := range buckets {
		r.startBucket(ctx, b)
	}
	// Buckets probed early (Start) but named by none of paths are reported too.
	buckets = r.bucketOrder
	var wg sync.WaitGroup
	pprobes := make([][]evidence.StorageProbe, len(targets))
	for i, t := range targets {
		wg.Go(func() { pprobes[i] = []evidence.StorageProbe{r.probePathOf(ctx, t, r.buckets[t.loc.bucket])} })
	}
	st.Identity = r.ident.wait()
	bprobes := make([][]evidence.StorageProbe, len(buckets))
	state := map[string]bucketState{}
	for i, b := range buckets {
		f := r.buckets[b]
		<-f.done
		bprobes[i], state[b] = f.probes, f.state
	}
	var wprobes [][]evidence.StorageProbe
	if c.WriteProbe {
		var raw []target
		for _, t := range targets {
			if t.path.Purpose == evidence.PurposeRawOutputPrefix {
				raw = append(raw, t)
			}
		}
		wprobes = make([][]evidence.StorageProbe, len(raw))
		for i, t := range raw {
			wg.Go(func() { wprobes[i] = r.writeProbe(ctx, t, state[t.loc.bucket]) })
		}
		if len(raw) == 0 {
			wprobes = [][]evidence.StorageProbe{{{Operation: "PutObject", Outcome: evidence.ProbeSkipped,
				Message: "no s3:// raw output prefix to write under"}}}
		}
	}
	wg.Wait()

	for _, g := range [][][]evidence.StorageProbe{bprobes, pprobes, wprobes} {
		for _, ps := range g {
			st.Probes = append(st.Probes, ps...)
		}
	}
	return st, r.finish(st.Probes, ctx.Err())
}

// Start probes the identity and the buckets of paths before the rest of the paths is known
// (the raw output prefix comes with GetExecution, the node paths with the whole Admin walk);
// the Collect that follows waits for these probes instead of repeating them. Not safe for use
// by several goroutines; call it at most once, before Collect.
func (c *Collector) Start(ctx context.Context, paths []evidence.StoragePath) {
	r := c.newRun()
	c.started = r
	_, buckets := plan(paths, &evidence.Storage{})
	if len(buckets) == 0 {
		return
	}
	r.startIdentity(ctx)
	for _, b := range buckets {
		r.startBucket(ctx, b)
	}
}

func (c *Collector) newRun() *run {
	r := &run{c: c, sem: make(chan struct{}, c.concurrency()), buckets: map[string]*bucketProbe{}}
	r.rec = evidence.NewRecorder(Name, r.now())
	return r
}

// bucketProbe is one bucket's probes, running or done.
type bucketProbe struct {
	done   chan struct{}
	probes []evidence.StorageProbe
	state  bucketState
	early  atomic.Int32 // paths probed before done
}

// identityProbe is GetCallerIdentity, running or done.
type identityProbe struct {
	done chan struct{}
	id   evidence.StorageIdentity
}

func (p *identityProbe) wait() evidence.StorageIdentity {
	<-p.done
	return p.id
}

func (r *run) startIdentity(ctx context.Context) {
	if r.ident != nil {
		return
	}
	p := &identityProbe{done: make(chan struct{})}
	r.ident = p
	go func() {
		defer close(p.done)
		p.id = r.identity(ctx)
	}()
}

func (r *run) startBucket(ctx context.Context, bucket string) {
	if r.buckets[bucket] != nil {
		return
	}
	p := &bucketProbe{done: make(chan struct{})}
	r.buckets[bucket] = p
	r.bucketOrder = append(r.bucketOrder, bucket)
	go func() {
		defer close(p.done)
		p.probes, p.state = r.probeBucket(ctx, bucket)
	}()
}

// plan turns paths into targets (one per object or prefix) and the buckets they touch, in
// order; other paths go to st.Unprobed.
func plan(paths []evidence.StoragePath, st *evidence.Storage) ([]target, []string) {
	var targets []target
	var buckets []string
	seenT, seenB := map[string]bool{}, map[string]bool{}
	for _, p := range paths {
		l, ok := parseURI(p.URI)
		if p.Reason != "" || !ok || !l.s3() || l.bucket == "" {
			if p.Reason == "" {
				p.Reason = SchemeNotProbed(l.scheme)
				if !ok || l.bucket == "" {
					p.Reason = "not an s3 URI"
				}
			}
			st.Unprobed = append(st.Unprobed, p)
			continue
		}
		t := target{path: p, loc: l, kind: p.Kind}
		if t.kind == "" {
			t.kind = evidence.PathObject
			if l.key == "" || strings.HasSuffix(l.key, "/") {
				t.kind = evidence.PathPrefix
			}
		}
		if t.kind == evidence.PathPrefix {
			t.prefix = l.key
			// Flyte's directories are listed as directories; a quoted path may be a file or a
			// directory, so its key is the prefix as is.
			if p.Purpose != evidence.PurposeQuotedInError && p.Purpose != evidence.PurposeOffloadedLiteral &&
				t.prefix != "" && !strings.HasSuffix(t.prefix, "/") {
				t.prefix += "/"
			}
		}
		k := t.kind + " " + l.bucket + "/" + l.key + "|" + t.prefix
		if !seenT[k] {
			seenT[k] = true
			targets = append(targets, t)
		}
		if !seenB[l.bucket] {
			seenB[l.bucket] = true
			buckets = append(buckets, l.bucket)
		}
	}
	return targets, buckets
}

func (c *Collector) concurrency() int {
	if c.Concurrency <= 0 {
		return DefaultConcurrency
	}
	return c.Concurrency
}

func (c *Collector) probeTimeout() time.Duration {
	if c.ProbeTimeout <= 0 {
		return DefaultProbeTimeout
	}
	return c.ProbeTimeout
}

// run is the state of one Start and Collect.
type run struct {
	c   *Collector
	sem chan struct{}
	rec *evidence.Recorder
	// Probes started, by Start or Collect; only the goroutine that calls them touches these.
	ident       *identityProbe
	buckets     map[string]*bucketProbe
	bucketOrder []string
}

func (r *run) now() time.Time {
	if r.c.Now != nil {
		return r.c.Now()
	}
	return time.Now()
}

// result is one request's answer.
type result struct {
	ok       bool
	status   int
	fail     failure
	reqID    string
	latency  time.Duration
	attempts int // requests the SDK sent, retries included
}

// call runs one request under the concurrency bound and the per-probe timeout. depth is the
// number of requests this one waited for, plus one.
func (r *run) call(ctx context.Context, method string, depth int, fn func(context.Context) (middleware.Metadata, error)) result {
	notRun := func(err error) result {
		return result{fail: failure{outcome: evidence.ProbeSkipped, code: networkCode(err), msg: "not run: " + err.Error()}}
	}
	if err := deadline.Ended(ctx); err != nil {
		return notRun(err)
	}
	select {
	case r.sem <- struct{}{}:
	case <-ctx.Done():
		return notRun(ctx.Err())
	}
	defer func() { <-r.sem }()
	if err := deadline.Ended(ctx); err != nil { // the turn came as the run ended: nothing is sent
		return notRun(err)
	}
	cctx, c := r.rec.Start(ctx, method, depth)
	defer c.End()

	pctx, cancel := context.WithTimeout(cctx, r.c.probeTimeout())
	defer cancel()
	t0 := r.now()
	md, err := fn(pctx)
	res := result{latency: r.now().Sub(t0), attempts: c.Attempts()}
	if err != nil {
		res.fail = classify(err)
		res.reqID = res.fail.reqID
		return res
	}
	res.ok, res.status = true, 200
	res.reqID, _ = awsmw.GetRequestIDMetadata(md)
	if raw, ok := awsmw.GetRawResponse(md).(*smithyhttp.Response); ok {
		res.status = raw.StatusCode
	}
	return res
}

func (res result) fill(p *evidence.StorageProbe) {
	p.Latency += evidence.Duration(res.latency)
	p.RequestID = res.reqID
	p.Attempts = res.attempts
	if res.ok {
		p.Outcome, p.HTTPStatus = evidence.ProbeOK, res.status
		return
	}
	p.Outcome, p.ErrorCode, p.HTTPStatus, p.Message = res.fail.outcome, res.fail.code, res.fail.status, res.fail.msg
	if res.fail.region != "" {
		p.Region = res.fail.region
	}
}

// reqOpts are a request's options: its signing region, if any, and the attempt counter.
func reqOpts(region string) []func(*awss3.Options) {
	opts := []func(*awss3.Options){awss3.WithAPIOptions(countAttempts)}
	if region != "" {
		opts = append(opts, func(o *awss3.Options) { o.Region = region })
	}
	return opts
}

// countAttempts adds a middleware that counts every request the SDK sends, retries included,
// for the call in the request's context (evidence.CountAttempt). The retry middleware runs the
// rest of the finalize step once per attempt, so the end of that step sees each one.
func countAttempts(st *middleware.Stack) error {
	return st.Finalize.Add(middleware.FinalizeMiddlewareFunc("flytedoctor.CountAttempt",
		func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
			evidence.CountAttempt(ctx)
			return next.HandleFinalize(ctx, in)
		}), middleware.After)
}

// identity asks STS who the credentials belong to; "unknown" when it cannot say.
func (r *run) identity(ctx context.Context) evidence.StorageIdentity {
	id := r.c.Identity
	if r.c.STS == nil {
		id.ARN = "unknown"
		if id.IdentityError == "" {
			id.IdentityError = "no STS client"
		}
		return id
	}
	var out *sts.GetCallerIdentityOutput
	res := r.call(ctx, "GetCallerIdentity", 1, func(ctx context.Context) (middleware.Metadata, error) {
		var err error
		out, err = r.c.STS.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}, sts.WithAPIOptions(countAttempts))
		if err != nil {
			return middleware.Metadata{}, err
		}
		return out.ResultMetadata, nil
	})
	if !res.ok {
		id.ARN, id.IdentityError = "unknown", "STS GetCallerIdentity: "+res.fail.describe()
		return id
	}
	id.ARN, id.Account = aws.ToString(out.Arn), aws.ToString(out.Account)
	return id
}

// probeBucket runs HeadBucket and GetBucketLocation. A HEAD error has no body, so a 403 or
// 404 is confirmed with ListObjectsV2, which needs the same permission and returns the code.
func (r *run) probeBucket(ctx context.Context, bucket string) ([]evidence.StorageProbe, bucketState) {
	path := evidence.StoragePath{URI: "s3://" + bucket, Purpose: evidence.PurposeBucket}
	head := evidence.StorageProbe{Operation: "HeadBucket", Bucket: bucket, Path: path}
	loc := evidence.StorageProbe{Operation: "GetBucketLocation", Bucket: bucket, Path: path}
	var wg sync.WaitGroup
	wg.Go(func() {
		var out *awss3.HeadBucketOutput
		res := r.call(ctx, "HeadBucket", 1, func(ctx context.Context) (middleware.Metadata, error) {
			var err error
			out, err = r.c.S3.HeadBucket(ctx, &awss3.HeadBucketInput{Bucket: aws.String(bucket)}, reqOpts("")...)
			if err != nil {
				return middleware.Metadata{}, err
			}
			return out.ResultMetadata, nil
		})
		res.fill(&head)
		if res.ok {
			head.Region = aws.ToString(out.BucketRegion)
			return
		}
		if headNeedsBody(head.HTTPStatus) {
			r.confirmList(ctx, &head, bucket, "", 2, reqOpts(""))
		}
	})
	wg.Go(func() {
		var out *awss3.GetBucketLocationOutput
		res := r.call(ctx, "GetBucketLocation", 1, func(ctx context.Context) (middleware.Metadata, error) {
			var err error
			out, err = r.c.S3.GetBucketLocation(ctx, &awss3.GetBucketLocationInput{Bucket: aws.String(bucket)}, reqOpts("")...)
			if err != nil {
				return middleware.Metadata{}, err
			}
			return out.ResultMetadata, nil
		})
		res.fill(&loc)
		if res.ok {
			loc.Region = locationRegion(string(out.LocationConstraint))
		}
	})
	wg.Wait()

	var s bucketState
	s.missing = head.ErrorCode == "NoSuchBucket" || loc.ErrorCode == "NoSuchBucket"
	region := cmp.Or(head.Region, loc.Region)
	mine := r.c.Identity.Region
	if region != "" && mine != "" && region != mine {
		msg := fmt.Sprintf("bucket is in %s, requests were signed for %s", region, mine)
		for _, p := range []*evidence.StorageProbe{&head, &loc} {
			if p.Outcome == evidence.ProbeOK || p.Outcome == evidence.ProbeRedirect {
				p.Message = joinMsg(p.Message, msg)
			}
		}
		if head.Outcome == evidence.ProbeRedirect || loc.Outcome == evidence.ProbeRedirect {
			// Probe the paths where the bucket lives, so they say what the identity may do.
			s.region = region
		}
	}
	return []evidence.StorageProbe{head, loc}, s
}

// headNeedsBody: a HEAD client error (403, 404, but also 400 ExpiredToken) carries no code, so
// a request that returns a body must say which it is. Redirects carry the region in a header.
func headNeedsBody(status int) bool { return status >= 400 && status < 500 }

// locationRegion maps a LocationConstraint: empty is us-east-1, the legacy "EU" eu-west-1.
func locationRegion(lc string) string {
	switch lc {
	case "":
		return "us-east-1"
	case "EU":
		return "eu-west-1"
	}
	return lc
}

// probePathOf probes t beside its bucket's probes when those are still running: nearly always
// the bucket exists in the region requests are signed for, and then the path's answer needs
// nothing from them (a round trip saved). When they say otherwise (no such bucket, or it
// lives elsewhere) the path's probe is what it would have been after waiting: skipped, or
// sent again where the bucket lives. At most earlyPathsPerBucket paths go to a bucket before
// it is known to exist; further paths wait.
func (r *run) probePathOf(ctx context.Context, t target, f *bucketProbe) evidence.StorageProbe {
	select {
	case <-f.done:
	default:
		if f.early.Add(1) <= earlyPathsPerBucket {
			p := r.probePath(ctx, t, bucketState{}, 1)
			if <-f.done; f.state == (bucketState{}) {
				return p
			}
		}
		<-f.done
	}
	return r.probePath(ctx, t, f.state, 2)
}

// probePath runs HeadObject on an object or ListObjectsV2 (one key) on a prefix; depth is that
// of its first request.
func (r *run) probePath(ctx context.Context, t target, b bucketState, depth int) evidence.StorageProbe {
	p := evidence.StorageProbe{Bucket: t.loc.bucket, Key: t.loc.key, Path: t.path, Region: b.region}
	if t.kind == evidence.PathPrefix {
		p.Operation, p.Key = "ListObjectsV2", t.prefix
	} else {
		p.Operation = "HeadObject"
	}
	if b.missing {
		p.Outcome, p.ErrorCode = evidence.ProbeSkipped, "NoSuchBucket"
		p.Message = "bucket " + t.loc.bucket + " does not exist"
		return p
	}
	opts := reqOpts(b.region)
	if t.kind == evidence.PathPrefix {
		r.list(ctx, &p, t.loc.bucket, t.prefix, depth, opts)
		return p
	}
	// The owner's listing does not wait for the HEAD: both take one round trip.
	var owner ownerListing
	var wg sync.WaitGroup
	if t.path.Compare {
		wg.Go(func() { owner = r.owner(ctx, t.loc.bucket, t.loc.key, depth, opts) })
	}
	var head *awss3.HeadObjectOutput
	res := r.call(ctx, "HeadObject", depth, func(ctx context.Context) (middleware.Metadata, error) {
		var err error
		head, err = r.c.S3.HeadObject(ctx, &awss3.HeadObjectInput{Bucket: aws.String(t.loc.bucket), Key: aws.String(t.loc.key)}, opts...)
		if err != nil {
			return middleware.Metadata{}, err
		}
		return head.ResultMetadata, nil
	})
	res.fill(&p)
	if res.ok {
		p.Object = headMeta(head)
	}
	if !res.ok && headNeedsBody(p.HTTPStatus) {
		r.confirmGet(ctx, &p, t.loc.bucket, t.loc.key, depth+1, opts)
	}
	wg.Wait()
	if t.path.Compare {
		owner.fill(&p)
	}
	return p
}

// headMeta keeps what a HEAD says that can set one object apart from its siblings.
func headMeta(h *awss3.HeadObjectOutput) *evidence.ObjectMeta {
	return &evidence.ObjectMeta{
		Size: aws.ToInt64(h.ContentLength), ETag: aws.ToString(h.ETag), LastModified: aws.ToTime(h.LastModified).UTC(),
		StorageClass: string(h.StorageClass), SSE: string(h.ServerSideEncryption), KMSKeyID: aws.ToString(h.SSEKMSKeyId),
		BucketKeyEnabled: aws.ToBool(h.BucketKeyEnabled), SSECustomerAlgorithm: aws.ToString(h.SSECustomerAlgorithm),
		From: []string{"HeadObject"},
	}
}

// ownerListing is a one-key listing of an object, with its owner.
type ownerListing struct {
	res result
	obj *types.Object // nil when the key was not listed
}

// owner lists the object's key alone with FetchOwner. A listing needs s3:ListBucket, not
// s3:GetObject, so it also answers for an object the HEAD was refused: its size and owner then
// still compare with the siblings'.
func (r *run) owner(ctx context.Context, bucket, key string, depth int, opts []func(*awss3.Options)) ownerListing {
	var out *awss3.ListObjectsV2Output
	res := r.call(ctx, "ListObjectsV2", depth, func(ctx context.Context) (middleware.Metadata, error) {
		var err error
		out, err = r.c.S3.ListObjectsV2(ctx, &awss3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String(key),
			MaxKeys: aws.Int32(1), FetchOwner: aws.Bool(true)}, opts...)
		if err != nil {
			return middleware.Metadata{}, err
		}
		return out.ResultMetadata, nil
	})
	l := ownerListing{res: res}
	if res.ok && len(out.Contents) > 0 && aws.ToString(out.Contents[0].Key) == key {
		l.obj = &out.Contents[0]
	}
	return l
}

// fill adds the listing to the HEAD's probe. Its failure is a note, not the probe's outcome:
// the HEAD decides that.
func (l ownerListing) fill(p *evidence.StorageProbe) {
	p.Latency = max(p.Latency, evidence.Duration(l.res.latency)) // concurrent with the HEAD
	if !l.res.ok {
		p.Message = joinMsg(p.Message, "ListObjectsV2 for the owner: "+l.res.fail.describe())
		return
	}
	o := l.obj
	if o == nil {
		return
	}
	m := p.Object
	if m == nil {
		m = &evidence.ObjectMeta{Size: aws.ToInt64(o.Size), ETag: aws.ToString(o.ETag), LastModified: aws.ToTime(o.LastModified).UTC(),
			StorageClass: string(o.StorageClass)}
		p.Object = m
	}
	if ow := o.Owner; ow != nil {
		m.Owner = aws.ToString(ow.ID)
		if d := aws.ToString(ow.DisplayName); d != "" && d != m.Owner {
			m.Owner += " (" + d + ")"
		}
	}
	m.From = append(m.From, "ListObjectsV2")
}

// list runs ListObjectsV2 with MaxKeys=1 and fills p.
func (r *run) list(ctx context.Context, p *evidence.StorageProbe, bucket, prefix string, depth int, opts []func(*awss3.Options)) result {
	var out *awss3.ListObjectsV2Output
	res := r.call(ctx, "ListObjectsV2", depth, func(ctx context.Context) (middleware.Metadata, error) {
		var err error
		out, err = r.c.S3.ListObjectsV2(ctx, &awss3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String(prefix), MaxKeys: aws.Int32(1)}, opts...)
		if err != nil {
			return middleware.Metadata{}, err
		}
		return out.ResultMetadata, nil
	})
	res.fill(p)
	if res.ok {
		p.Empty = len(out.Contents) == 0 && len(out.CommonPrefixes) == 0
	}
	return res
}

// confirmList learns the error code of a bodiless HEAD 403/404 on a bucket.
func (r *run) confirmList(ctx context.Context, p *evidence.StorageProbe, bucket, prefix string, depth int, opts []func(*awss3.Options)) {
	var c evidence.StorageProbe
	res := r.list(ctx, &c, bucket, prefix, depth, opts)
	r.confirmed(p, "ListObjectsV2", res, c)
}

// confirmGet learns the error code of a bodiless HEAD 403/404 on an object with a one-byte GET.
func (r *run) confirmGet(ctx context.Context, p *evidence.StorageProbe, bucket, key string, depth int, opts []func(*awss3.Options)) {
	var c evidence.StorageProbe
	res := r.call(ctx, "GetObject", depth, func(ctx context.Context) (middleware.Metadata, error) {
		out, err := r.c.S3.GetObject(ctx, &awss3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Range: aws.String("bytes=0-0")}, opts...)
		if err != nil {
			return middleware.Metadata{}, err
		}
		_, _ = io.Copy(io.Discard, out.Body)
		_ = out.Body.Close()
		return out.ResultMetadata, nil
	})
	res.fill(&c)
	r.confirmed(p, "GetObject", res, c)
}

// confirmed takes the error code from the confirming request when it answered with one.
func (r *run) confirmed(p *evidence.StorageProbe, op string, res result, c evidence.StorageProbe) {
	p.Latency += c.Latency
	switch {
	case res.ok:
		p.Message = joinMsg(p.Message, op+" succeeded where the HEAD did not")
	case c.HTTPStatus != 0 && c.ErrorCode != "":
		p.ConfirmedBy = op
		p.ErrorCode, p.Outcome = c.ErrorCode, c.Outcome
		p.Message = c.Message
		if c.Region != "" {
			p.Region = c.Region
		}
	default:
		p.Message = joinMsg(p.Message, op+" to confirm: "+joinMsg(c.ErrorCode, c.Message))
	}
}

// writeProbe puts an empty, uniquely named marker under the raw output prefix and deletes it.
// The delete runs on a fresh context, so an interrupted run still removes what it wrote; it
// also runs when the put's answer was lost, since the object may exist anyway.
func (r *run) writeProbe(ctx context.Context, t target, b bucketState) []evidence.StorageProbe {
	key := t.prefix + WriteMarkerPrefix + randomSuffix()
	put := evidence.StorageProbe{Operation: "PutObject", Bucket: t.loc.bucket, Key: key, Path: t.path, Region: b.region}
	if b.missing {
		put.Outcome, put.ErrorCode = evidence.ProbeSkipped, "NoSuchBucket"
		put.Message = "bucket " + t.loc.bucket + " does not exist"
		return []evidence.StorageProbe{put}
	}
	opts := reqOpts(b.region)
	res := r.call(ctx, "PutObject", 2, func(ctx context.Context) (middleware.Metadata, error) {
		out, err := r.c.S3.PutObject(ctx, &awss3.PutObjectInput{Bucket: aws.String(t.loc.bucket), Key: aws.String(key),
			Body: strings.NewReader(""), ContentLength: aws.Int64(0)}, opts...)
		if err != nil {
			return middleware.Metadata{}, err
		}
		return out.ResultMetadata, nil
	})
	res.fill(&put)
	if put.Outcome != evidence.ProbeOK && put.Outcome != evidence.ProbeError {
		return []evidence.StorageProbe{put}
	}
	dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), r.c.probeTimeout())
	defer cancel()
	del := evidence.StorageProbe{Operation: "DeleteObject", Bucket: t.loc.bucket, Key: key, Path: t.path, Region: b.region}
	dres := r.call(dctx, "DeleteObject", 3, func(ctx context.Context) (middleware.Metadata, error) {
		out, err := r.c.S3.DeleteObject(ctx, &awss3.DeleteObjectInput{Bucket: aws.String(t.loc.bucket), Key: aws.String(key)}, opts...)
		if err != nil {
			return middleware.Metadata{}, err
		}
		return out.ResultMetadata, nil
	})
	dres.fill(&del)
	if !dres.ok {
		del.Message = joinMsg(del.Message, "the marker may remain at s3://"+t.loc.bucket+"/"+key)
	}
	return []evidence.StorageProbe{put, del}
}

func randomSuffix() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return hex.EncodeToString(b)
}

// finish builds the record. Probes without an answer (network errors, timeouts) are collection
// errors, and so are probes not sent because the run was interrupted (NotSent: they are not
// among the calls); denials and absences are evidence.
func (r *run) finish(probes []evidence.StorageProbe, ctxErr error) evidence.CollectorRecord {
	// The probes' outcomes, not failed calls, decide errors and status here.
	rec := r.rec.Record("", r.now())
	answered := 0
	for _, p := range probes {
		switch {
		case p.Outcome == evidence.ProbeError:
			rec.Errors = append(rec.Errors, evidence.CollectionError{Method: p.Operation, Target: probeTarget(p), Code: p.ErrorCode,
				Message: p.Message, Attempts: p.Attempts})
		case p.Outcome == evidence.ProbeSkipped && ctxErr != nil && strings.HasPrefix(p.Message, "not run:"):
			rec.Errors = append(rec.Errors, evidence.CollectionError{Method: p.Operation, Target: probeTarget(p), Code: p.ErrorCode,
				Message: p.Message, NotSent: true})
		default:
			answered++
		}
	}
	sort.SliceStable(rec.Errors, func(i, j int) bool { return rec.Errors[i].Target < rec.Errors[j].Target })
	switch {
	case len(rec.Errors) == 0:
		rec.Status = evidence.StatusOK
	case answered == 0:
		rec.Status = evidence.StatusFailed
	default:
		rec.Status = evidence.StatusPartial
	}
	return rec
}

func probeTarget(p evidence.StorageProbe) string {
	if p.Bucket == "" {
		return p.Path.URI
	}
	return "s3://" + p.Bucket + "/" + p.Key
}

func joinMsg(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return a + "; " + b
}
