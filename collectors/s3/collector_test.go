package s3

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/flytedoctor/flytedoctor/collectors/evidence"
)

func objPath(uri, purpose string) evidence.StoragePath {
	return evidence.StoragePath{URI: uri, Purpose: purpose, Kind: evidence.PathObject}
}

func prefixPath(uri, purpose string) evidence.StoragePath {
	return evidence.StoragePath{URI: uri, Purpose: purpose, Kind: evidence.PathPrefix}
}

func checkLines(t *testing.T, got, want []string) {
	t.Helper()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("probes:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestCollectReadOnlyRedirectAndMissing(t *testing.T) {
	f := newFakeS3(t)
	f.buckets["flyte-data"] = "us-east-1"
	f.buckets["eu-bucket"] = "eu-west-1"
	f.objects["flyte-data/metadata/propeller/p-d-e/n0/data/inputs.pb"] = true
	f.objects["eu-bucket/data/k0/x"] = true
	// The five path probes go out beside the bucket probes, before the buckets are known.
	f.holdBuckets(5)
	c := &Collector{S3: f.client("us-east-1"), Identity: evidence.StorageIdentity{Region: "us-east-1"}}
	st, rec := c.Collect(context.Background(), []evidence.StoragePath{
		objPath("s3://flyte-data/metadata/propeller/p-d-e/n0/data/inputs.pb", evidence.PurposeNodeInputs),
		objPath("s3a://flyte-data/metadata/propeller/p-d-e/n1/data/inputs.pb", evidence.PurposeNodeInputs),
		prefixPath("s3://flyte-data/metadata/propeller/p-d-e/n1/data/0", evidence.PurposeNodeOutputs),
		prefixPath("s3://eu-bucket/data", evidence.PurposeRawOutputPrefix),
		objPath("s3://gone/metadata/x/inputs.pb", evidence.PurposeNodeInputs),
		{URI: "gs://g/x", Purpose: evidence.PurposeRawOutputPrefix, Reason: SchemeNotProbed("gs")},
	})
	checkLines(t, probeLines(st), []string{
		"HeadBucket flyte-data/ ok  200 region=us-east-1",
		"GetBucketLocation flyte-data/ ok  200 region=us-east-1",
		"HeadBucket eu-bucket/ redirect PermanentRedirect 301 region=eu-west-1",
		"GetBucketLocation eu-bucket/ ok  200 region=eu-west-1",
		"HeadBucket gone/ not-found NoSuchBucket 404 by ListObjectsV2",
		"GetBucketLocation gone/ not-found NoSuchBucket 404",
		"HeadObject flyte-data/metadata/propeller/p-d-e/n0/data/inputs.pb ok  200",
		"HeadObject flyte-data/metadata/propeller/p-d-e/n1/data/inputs.pb not-found NoSuchKey 404 by GetObject",
		"ListObjectsV2 flyte-data/metadata/propeller/p-d-e/n1/data/0/ ok  200 empty",
		"ListObjectsV2 eu-bucket/data/ ok  200 region=eu-west-1",
		"HeadObject gone/metadata/x/inputs.pb skipped NoSuchBucket 0",
	})
	if w := writes(f.requests()); len(w) != 0 {
		t.Errorf("write requests without WriteProbe: %v", w)
	}
	if len(st.Unprobed) != 1 || st.Unprobed[0].URI != "gs://g/x" {
		t.Errorf("unprobed = %+v", st.Unprobed)
	}
	if !strings.Contains(st.Probes[2].Message, "bucket is in eu-west-1, requests were signed for us-east-1") {
		t.Errorf("redirect message = %q", st.Probes[2].Message)
	}
	if st.Probes[6].RequestID == "" || st.Probes[7].RequestID == "" {
		t.Errorf("request ids not recorded: %+v", st.Probes[6:8])
	}
	if st.Identity.ARN != "unknown" || st.Identity.IdentityError == "" {
		t.Errorf("identity without STS = %+v", st.Identity)
	}
	if rec.Status != evidence.StatusOK || rec.Collector != Name || len(rec.Errors) != 0 {
		t.Errorf("record = %+v", rec)
	}
	// The same evidence as after waiting for the buckets, a round trip sooner; what the early
	// probes could not know costs requests: the missing bucket's path was sent (HEAD, then the
	// GET that confirms its 404) and eu-bucket's listing went out twice, the second time
	// signed for eu-west-1.
	want := map[string]int{"HeadBucket": 3, "GetBucketLocation": 3, "HeadObject": 3, "GetObject": 2, "ListObjectsV2": 4}
	if !maps.Equal(rec.Calls, want) || rec.CriticalPath != 2 {
		t.Errorf("calls = %v, critical path %d; want %v, 2", rec.Calls, rec.CriticalPath, want)
	}
}

// A bucket that does not exist gets at most earlyPathsPerBucket path requests before its
// probes answer; every path is then reported skipped, as if it had waited.
func TestMissingBucketCostsOneWindow(t *testing.T) {
	f := newFakeS3(t)
	f.holdBuckets(earlyPathsPerBucket)
	var paths []evidence.StoragePath
	for i := range 3 * earlyPathsPerBucket {
		paths = append(paths, objPath(fmt.Sprintf("s3://gone/metadata/n%d/inputs.pb", i), evidence.PurposeNodeInputs))
	}
	c := &Collector{S3: f.client("us-east-1"), Identity: evidence.StorageIdentity{Region: "us-east-1"}}
	st, rec := c.Collect(context.Background(), paths)
	for _, p := range st.Probes[2:] {
		if p.Operation != "HeadObject" || p.Outcome != evidence.ProbeSkipped || p.ErrorCode != "NoSuchBucket" {
			t.Fatalf("path probe %+v, want skipped NoSuchBucket", p)
		}
	}
	if len(st.Probes) != 2+len(paths) || rec.Calls["HeadObject"] != earlyPathsPerBucket || rec.Calls["GetObject"] != earlyPathsPerBucket {
		t.Errorf("%d probes, calls %v: want %d path requests and their confirmations", len(st.Probes), rec.Calls, earlyPathsPerBucket)
	}
}

func TestCollectErrorCodes(t *testing.T) {
	f := newFakeS3(t)
	f.buckets["b"] = "us-east-1"
	codes := map[string]struct {
		status int
		code   string
	}{
		"denied":   {403, "AccessDenied"},
		"expired":  {400, "ExpiredToken"},
		"skew":     {403, "RequestTimeTooSkewed"},
		"badkey":   {403, "InvalidAccessKeyId"},
		"badsig":   {403, "SignatureDoesNotMatch"},
		"internal": {500, "InternalError"},
	}
	f.fail = func(r *http.Request, bucket, key string) (int, string) {
		name, _, _ := strings.Cut(key+r.URL.Query().Get("prefix"), "/")
		if c, ok := codes[name]; ok {
			return c.status, c.code
		}
		return 0, ""
	}
	c := &Collector{S3: f.client("us-east-1"), Identity: evidence.StorageIdentity{Region: "us-east-1"}}
	var paths []evidence.StoragePath
	for _, n := range []string{"denied", "expired", "skew", "badkey", "badsig", "internal"} {
		paths = append(paths, objPath("s3://b/"+n+"/inputs.pb", evidence.PurposeNodeInputs))
	}
	paths = append(paths, prefixPath("s3://b/denied/dir", evidence.PurposeNodeOutputs))
	st, rec := c.Collect(context.Background(), paths)
	checkLines(t, probeLines(st)[2:], []string{
		"HeadObject b/denied/inputs.pb denied AccessDenied 403 by GetObject",
		"HeadObject b/expired/inputs.pb denied ExpiredToken 400 by GetObject",
		"HeadObject b/skew/inputs.pb denied RequestTimeTooSkewed 403 by GetObject",
		"HeadObject b/badkey/inputs.pb denied InvalidAccessKeyId 403 by GetObject",
		"HeadObject b/badsig/inputs.pb denied SignatureDoesNotMatch 403 by GetObject",
		"HeadObject b/internal/inputs.pb error InternalServerError 500",
		"ListObjectsV2 b/denied/dir/ denied AccessDenied 403",
	})
	// A HEAD 400 has no body either; the GET tells ExpiredToken, as on AWS.
	if rec.Status != evidence.StatusPartial || len(rec.Errors) != 1 || rec.Errors[0].Code != "InternalServerError" ||
		rec.Errors[0].Target != "s3://b/internal/inputs.pb" {
		t.Errorf("record = %+v", rec)
	}
}

func TestCollectNetworkErrors(t *testing.T) {
	f := newFakeS3(t)
	f.buckets["b"] = "us-east-1"
	f.fail = func(r *http.Request, _, key string) (int, string) {
		if strings.HasPrefix(key, "slow") {
			time.Sleep(500 * time.Millisecond)
		}
		return 0, ""
	}
	f.objects["b/slow.pb"] = true
	c := &Collector{S3: f.client("us-east-1"), ProbeTimeout: 100 * time.Millisecond}
	st, _ := c.Collect(context.Background(), []evidence.StoragePath{objPath("s3://b/slow.pb", evidence.PurposeError)})
	p := st.Probes[2]
	if p.Outcome != evidence.ProbeError || p.ErrorCode != CodeTimeout {
		t.Errorf("slow probe = %+v", p)
	}

	url := f.srv.URL
	f.srv.Close() // nothing listens there now
	down := awss3.New(awss3.Options{Region: "us-east-1", BaseEndpoint: aws.String(url), UsePathStyle: true,
		Credentials: staticCreds{}, RetryMaxAttempts: 1})
	c = &Collector{S3: down}
	st, rec := c.Collect(context.Background(), []evidence.StoragePath{objPath("s3://b/k.pb", evidence.PurposeError)})
	for _, p := range st.Probes {
		if p.Outcome != evidence.ProbeError || p.ErrorCode != CodeConnectionRefused || !strings.Contains(p.Message, "connection refused") {
			t.Errorf("probe against a closed port = %+v", p)
		}
	}
	if rec.Status != evidence.StatusFailed || len(rec.Errors) != 3 {
		t.Errorf("record = %+v", rec)
	}
}

func TestWriteProbe(t *testing.T) {
	f := newFakeS3(t)
	f.buckets["b"] = "us-east-1"
	c := &Collector{S3: f.client("us-east-1"), WriteProbe: true}
	st, rec := c.Collect(context.Background(), []evidence.StoragePath{prefixPath("s3://b/data", evidence.PurposeRawOutputPrefix)})
	w := writes(f.requests())
	if len(w) != 2 || !strings.HasPrefix(w[0], "PUT /b/data/"+WriteMarkerPrefix) || !strings.HasPrefix(w[1], "DELETE /b/data/"+WriteMarkerPrefix) ||
		strings.Fields(strings.Split(w[0], "?")[0])[1] != strings.Fields(strings.Split(w[1], "?")[0])[1] {
		t.Fatalf("write requests = %v", w)
	}
	lines := probeLines(st)
	if !strings.HasPrefix(lines[3], "PutObject b/data/"+WriteMarkerPrefix) || !strings.HasSuffix(lines[3], " ok  200") ||
		!strings.HasSuffix(lines[4], " ok  204") || !st.WriteProbe {
		t.Errorf("probes:\n%s", strings.Join(lines, "\n"))
	}
	if n := f.objectCount(); n != 0 {
		t.Errorf("marker left behind: %d objects", n)
	}
	if rec.Calls["PutObject"] != 1 || rec.Calls["DeleteObject"] != 1 {
		t.Errorf("calls = %v", rec.Calls)
	}

	// Without a raw output prefix there is nothing to write under; say so.
	st, _ = c.Collect(context.Background(), []evidence.StoragePath{objPath("s3://b/x.pb", evidence.PurposeError)})
	last := st.Probes[len(st.Probes)-1]
	if last.Operation != "PutObject" || last.Outcome != evidence.ProbeSkipped {
		t.Errorf("write probe without raw prefix = %+v", last)
	}
}

func TestWriteProbeRemovesMarkerWhenInterrupted(t *testing.T) {
	f := newFakeS3(t)
	f.buckets["b"] = "us-east-1"
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	f.onPut = func() {
		cancel() // ^C while the PUT is in flight: stored, but the answer never arrives
		time.Sleep(50 * time.Millisecond)
	}
	c := &Collector{S3: f.client("us-east-1"), WriteProbe: true}
	st, rec := c.Collect(ctx, []evidence.StoragePath{prefixPath("s3://b/data/", evidence.PurposeRawOutputPrefix)})
	lines := probeLines(st)
	if len(lines) != 5 || !strings.HasSuffix(lines[3], " error Canceled 0") || !strings.HasSuffix(lines[4], " ok  204") {
		t.Errorf("probes:\n%s", strings.Join(lines, "\n"))
	}
	if n := f.objectCount(); n != 0 {
		t.Errorf("marker left behind: %d objects", n)
	}
	if rec.Status != evidence.StatusPartial {
		t.Errorf("record = %+v", rec)
	}
}

func TestCollectCancelledBeforeStart(t *testing.T) {
	f := newFakeS3(t)
	f.buckets["b"] = "us-east-1"
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	c := &Collector{S3: f.client("us-east-1"), WriteProbe: true}
	st, rec := c.Collect(ctx, []evidence.StoragePath{prefixPath("s3://b/data/", evidence.PurposeRawOutputPrefix)})
	if len(f.requests()) != 0 {
		t.Errorf("requests after cancel: %v", f.requests())
	}
	for _, p := range st.Probes {
		if p.Outcome != evidence.ProbeSkipped {
			t.Errorf("probe = %+v", p)
		}
	}
	// Each probe is a call that was never made: an error marked NotSent, not one of the calls.
	if rec.Status != evidence.StatusFailed || len(rec.Errors) != len(st.Probes) || rec.TotalCalls() != 0 {
		t.Errorf("record = %+v", rec)
	}
	for _, e := range rec.Errors {
		if !e.NotSent || e.Code != CodeCanceled || e.Attempts != 0 {
			t.Errorf("error = %+v", e)
		}
	}
}

func TestCollectNoPaths(t *testing.T) {
	c := &Collector{}
	st, rec := c.Collect(context.Background(), []evidence.StoragePath{{URI: "gs://g/x", Purpose: evidence.PurposeRawOutputPrefix}})
	if rec.Status != evidence.StatusSkipped || rec.SkipReason == "" || len(st.Unprobed) != 1 || st.Unprobed[0].Reason != SchemeNotProbed("gs") {
		t.Errorf("got %+v %+v", st, rec)
	}
}

func TestCollectBoundedConcurrency(t *testing.T) {
	f := newFakeS3(t)
	f.buckets["b"] = "us-east-1"
	f.fail = func(*http.Request, string, string) (int, string) { time.Sleep(20 * time.Millisecond); return 0, "" }
	var paths []evidence.StoragePath
	for i := range 20 {
		paths = append(paths, objPath("s3://b/k"+string(rune('a'+i))+".pb", evidence.PurposeError))
	}
	c := &Collector{S3: f.client("us-east-1"), Concurrency: 3}
	_, rec := c.Collect(context.Background(), paths)
	if rec.PeakInFlight != 3 {
		t.Errorf("peak in flight = %d, want 3", rec.PeakInFlight)
	}
}

func TestIdentity(t *testing.T) {
	f := newFakeS3(t)
	f.buckets["b"] = "us-east-1"
	s := newFakeSTS(t)
	paths := []evidence.StoragePath{objPath("s3://b/x.pb", evidence.PurposeError)}
	c := &Collector{S3: f.client("us-east-1"), STS: s.client(), Identity: evidence.StorageIdentity{Source: "env", Region: "us-east-1"}}
	st, rec := c.Collect(context.Background(), paths)
	if st.Identity.ARN != "arn:aws:iam::123456789012:user/dev" || st.Identity.Account != "123456789012" || st.Identity.Source != "env" {
		t.Errorf("identity = %+v", st.Identity)
	}
	if rec.Calls["GetCallerIdentity"] != 1 {
		t.Errorf("calls = %v", rec.Calls)
	}

	// An STS that refuses: "unknown", why, and no collection error.
	deny := newFakeSTS(t)
	deny.srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusForbidden)
		_, _ = w.Write([]byte(`<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>no</Message></Error><RequestId>x</RequestId></ErrorResponse>`))
	})
	c.STS = deny.client()
	st, rec = c.Collect(context.Background(), paths)
	if st.Identity.ARN != "unknown" || !strings.Contains(st.Identity.IdentityError, "AccessDenied") || rec.Status != evidence.StatusOK {
		t.Errorf("identity = %+v, record %+v", st.Identity, rec)
	}
}

func TestClassifyNetworkAndRedirectCodes(t *testing.T) {
	if got := outcome(301, "MovedPermanently"); got != evidence.ProbeRedirect {
		t.Errorf("301 = %s", got)
	}
	if got := outcome(400, "AuthorizationHeaderMalformed"); got != evidence.ProbeRedirect {
		t.Errorf("AuthorizationHeaderMalformed = %s", got)
	}
	if got := outcome(503, "SlowDown"); got != evidence.ProbeError {
		t.Errorf("SlowDown = %s", got)
	}
	if got := classify(context.DeadlineExceeded); got.code != CodeTimeout || got.outcome != evidence.ProbeError {
		t.Errorf("deadline = %+v", got)
	}
}

// The SDK's retries are attempts of one call: the record and the failed probe count what the
// server received.
func TestCollectCountsSDKRetries(t *testing.T) {
	f := newFakeS3(t)
	f.buckets["b"] = "us-east-1"
	f.objects["b/once.pb"] = true
	var mu sync.Mutex
	heads := map[string]int{}
	f.fail = func(r *http.Request, _, key string) (int, string) {
		if r.Method != http.MethodHead || key == "" {
			return 0, ""
		}
		mu.Lock()
		defer mu.Unlock()
		heads[key]++
		if key == "down.pb" || heads[key] == 1 {
			return 503, "SlowDown" // throttled: the SDK retries
		}
		return 0, ""
	}
	cl := awss3.New(awss3.Options{Region: "us-east-1", BaseEndpoint: aws.String(f.srv.URL), UsePathStyle: true, Credentials: staticCreds{},
		Retryer: retry.NewStandard(func(o *retry.StandardOptions) {
			o.MaxAttempts = 3
			o.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return 0, nil })
		})})
	c := &Collector{S3: cl}
	st, rec := c.Collect(context.Background(), []evidence.StoragePath{
		objPath("s3://b/once.pb", evidence.PurposeError), objPath("s3://b/down.pb", evidence.PurposeNodeInputs)})

	if rec.Calls["HeadObject"] != 2 || rec.Attempts["HeadObject"] != heads["once.pb"]+heads["down.pb"] || heads["once.pb"] != 2 || heads["down.pb"] != 3 {
		t.Errorf("calls %v, attempts %v; the server saw %v", rec.Calls, rec.Attempts, heads)
	}
	if rec.TotalAttempts() != len(f.requests()) {
		t.Errorf("%d attempts recorded, %d requests served", rec.TotalAttempts(), len(f.requests()))
	}
	for _, p := range st.Probes {
		if p.Key == "down.pb" && (p.Outcome != evidence.ProbeError || p.Attempts != 3) || p.Key == "once.pb" && (p.Outcome != evidence.ProbeOK || p.Attempts != 2) {
			t.Errorf("probe %+v", p)
		}
	}
	if len(rec.Errors) != 1 || rec.Errors[0].Target != "s3://b/down.pb" || rec.Errors[0].Attempts != 3 {
		t.Errorf("errors = %+v", rec.Errors)
	}
}
