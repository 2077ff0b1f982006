package s3

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/flytedoctor/flytedoctor/collectors/evidence"
	"github.com/flytedoctor/flytedoctor/collectors/flyteconfig"
	"github.com/flytedoctor/flytedoctor/internal/testnet"
)

// Integration tests against the real S3 server of scripts/stack (versitygw, path-style, users
// root / reader / denied, bucket flyte-data with Flyte-shaped objects). They skip when
// STACK_S3_ENDPOINT is unset.

type stackS3 struct {
	endpoint, bucket                 string
	rootKey, rootSecret              string
	readerKey, readerSecret          string
	deniedKey, deniedSecret          string
	existingOutputs, existingInputs  string
	existingError, missingInputsFile string
}

func needStack(t *testing.T) stackS3 {
	t.Helper()
	ep := os.Getenv("STACK_S3_ENDPOINT")
	if ep == "" {
		t.Skip("STACK_S3_ENDPOINT unset: run scripts/stack/s3-up.sh and source $STACK_DIR/env.sh")
	}
	base := "metadata/propeller/flytesnacks-development-a1b2c3/"
	s := stackS3{
		endpoint: ep, bucket: os.Getenv("STACK_S3_BUCKET"),
		rootKey: os.Getenv("AWS_ACCESS_KEY_ID"), rootSecret: os.Getenv("AWS_SECRET_ACCESS_KEY"),
		readerKey: os.Getenv("STACK_S3_READER_ACCESS_KEY_ID"), readerSecret: os.Getenv("STACK_S3_READER_SECRET_ACCESS_KEY"),
		deniedKey: os.Getenv("STACK_S3_DENIED_ACCESS_KEY_ID"), deniedSecret: os.Getenv("STACK_S3_DENIED_SECRET_ACCESS_KEY"),
		existingInputs: base + "n0/data/inputs.pb", existingOutputs: base + "n0/data/0/outputs.pb",
		existingError: base + "n1/data/0/error.pb", missingInputsFile: base + "n1/data/inputs.pb",
	}
	for k, v := range map[string]string{"STACK_S3_BUCKET": s.bucket, "AWS_ACCESS_KEY_ID": s.rootKey,
		"STACK_S3_READER_ACCESS_KEY_ID": s.readerKey, "STACK_S3_DENIED_ACCESS_KEY_ID": s.deniedKey} {
		if v == "" {
			t.Fatalf("STACK_S3_ENDPOINT is set but %s is not: source $STACK_DIR/env.sh", k)
		}
	}
	return s
}

// recorder is a forward HTTP proxy on 127.0.0.1 that records every request the SDK sends
// and passes it on. A proxy rather than a wrapping HTTP client: with AWS_CA_BUNDLE set the SDK
// accepts only its own BuildableClient.
type recorder struct {
	srv    *httptest.Server
	mu     sync.Mutex
	reqs   []string // "METHOD /path?query" (+ " Action=X" for STS form posts)
	before func(*http.Request)
	after  func(*http.Request)
	guard  *testnet.Guard
}

func newRecorder(t *testing.T) *recorder {
	r := &recorder{guard: testnet.New(t)}
	upstream := &http.Transport{Proxy: nil, DialContext: r.guard.DialContext}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, in *http.Request) {
		line := in.Method + " " + in.URL.EscapedPath() + "?" + in.URL.RawQuery
		body, _ := io.ReadAll(in.Body)
		if in.Method == http.MethodPost && strings.HasPrefix(in.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
			if v, err := url.ParseQuery(string(body)); err == nil {
				line += " Action=" + v.Get("Action")
			}
		}
		r.mu.Lock()
		r.reqs = append(r.reqs, line)
		r.mu.Unlock()
		out, err := http.NewRequestWithContext(in.Context(), in.Method, in.URL.String(), bytes.NewReader(body))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		out.Header = in.Header.Clone()
		out.Host = in.Host
		out.ContentLength = int64(len(body))
		if r.before != nil {
			r.before(out)
		}
		resp, err := upstream.RoundTrip(out)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		if r.after != nil {
			r.after(out)
		}
		for k, v := range resp.Header {
			w.Header()[k] = v
		}
		w.WriteHeader(resp.StatusCode)
		_, _ = io.Copy(w, resp.Body)
	}))
	t.Cleanup(r.srv.Close)
	t.Cleanup(upstream.CloseIdleConnections)
	return r
}

// client is an SDK HTTP client that sends everything through the recorder.
func (r *recorder) client() aws.HTTPClient {
	u, _ := url.Parse(r.srv.URL)
	return awshttp.NewBuildableClient().WithTransportOptions(func(tr *http.Transport) {
		tr.Proxy = http.ProxyURL(u)
		tr.DialContext = r.guard.DialContext
	})
}

func (r *recorder) requests() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.reqs...)
}

// storageWrites are requests that could change storage: any method but GET and HEAD, except
// the STS GetCallerIdentity query (a POST that reads who we are).
func storageWrites(reqs []string) []string {
	var out []string
	for _, r := range reqs {
		m, _, _ := strings.Cut(r, " ")
		if m == http.MethodGet || m == http.MethodHead || strings.HasSuffix(r, " Action=GetCallerIdentity") {
			continue
		}
		out = append(out, r)
	}
	return out
}

// stackClients builds clients the way the CLI does, for one stack user given as
// storage.connection access keys (empty key: the default chain from the environment).
func stackClients(t *testing.T, s stackS3, key, secret string, rec *recorder) *Clients {
	t.Helper()
	o := ClientOptions{HTTPClient: rec.client()}
	if key != "" {
		o.Connection = flyteconfig.Connection{Endpoint: s.endpoint, AuthType: "accesskey", AccessKey: key, SecretKey: secret, Region: "us-east-1"}
	}
	cl, err := NewClients(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	return cl
}

// stackExecution is an execution whose node n1 failed reading its inputs, shaped like the
// objects s3-up.sh seeds.
func stackExecution(s stackS3) *evidence.Execution {
	root := "s3://" + s.bucket + "/"
	return &evidence.Execution{
		ID: evidence.ExecutionID{Project: "flytesnacks", Domain: "development", Name: "a1b2c3"}, Phase: "FAILED",
		RawOutputPrefix: root + "data",
		Nodes: []*evidence.Node{
			{ID: "n0", Phase: "SUCCEEDED", Kind: evidence.KindTask, InputURI: root + s.existingInputs, OutputURI: root + s.existingOutputs},
			{ID: "n1", Phase: "FAILED", Kind: evidence.KindTask, InputURI: root + s.missingInputsFile,
				Error: &evidence.ExecutionError{Code: "SYSTEM", ErrorURI: root + s.existingError,
					Message: "SYSTEM:DownloadDataError: error=Failed to get data from s3://flyte-doctor-no-such-bucket/data/x/inputs.pb to /tmp/flyte/inputs.pb (recursive=False).\n\nOriginal exception: NoSuchBucket"},
				Attempts: []*evidence.TaskAttempt{{Phase: "FAILED", Error: &evidence.ExecutionError{ErrorURI: root + s.existingError}}}},
		},
	}
}

func probeBy(t *testing.T, st *evidence.Storage, op, key string) evidence.StorageProbe {
	t.Helper()
	for _, p := range st.Probes {
		if p.Operation == op && p.Key == key {
			return p
		}
	}
	t.Fatalf("no %s probe of %q in:\n%s", op, key, strings.Join(probeLines(st), "\n"))
	return evidence.StorageProbe{}
}

func wantProbe(t *testing.T, p evidence.StorageProbe, outcome, code string, status int, confirmedBy string) {
	t.Helper()
	if p.Outcome != outcome || p.ErrorCode != code || p.HTTPStatus != status || p.ConfirmedBy != confirmedBy {
		t.Errorf("%s %s/%s = %s %s %d by %q (%s); want %s %s %d by %q",
			p.Operation, p.Bucket, p.Key, p.Outcome, p.ErrorCode, p.HTTPStatus, p.ConfirmedBy, p.Message, outcome, code, status, confirmedBy)
	}
	// versitygw, like S3, sends x-amz-request-id on every answer, errors and HEADs included.
	if status != 0 && (p.RequestID == "" || p.Latency <= 0) {
		t.Errorf("%s %s/%s: request id %q, latency %s", p.Operation, p.Bucket, p.Key, p.RequestID, p.Latency.Std())
	}
}

func TestStackRootReadOnly(t *testing.T) {
	s := needStack(t)
	rec := newRecorder(t)
	cl := stackClients(t, s, "", "", rec) // root through the SDK's environment chain
	if cl.Identity.Source != "env" || cl.Identity.Endpoint != s.endpoint {
		t.Errorf("identity = %+v", cl.Identity)
	}
	probe, _ := Paths(stackExecution(s), "")
	c := &Collector{S3: cl.S3, STS: cl.STS, Identity: cl.Identity}
	st, record := c.Collect(context.Background(), probe)
	t.Logf("probes:\n%s", strings.Join(probeLines(st), "\n"))

	wantProbe(t, probeBy(t, st, "HeadBucket", ""), evidence.ProbeOK, "", 200, "")
	wantProbe(t, probeBy(t, st, "HeadObject", s.existingError), evidence.ProbeOK, "", 200, "")
	// HEAD 404 has no body: the one-byte GET names it.
	wantProbe(t, probeBy(t, st, "HeadObject", s.missingInputsFile), evidence.ProbeNotFound, "NoSuchKey", 404, "GetObject")
	wantProbe(t, probeBy(t, st, "ListObjectsV2", "metadata/propeller/flytesnacks-development-a1b2c3/"), evidence.ProbeOK, "", 200, "")
	wantProbe(t, probeBy(t, st, "ListObjectsV2", "data/"), evidence.ProbeOK, "", 200, "")
	var gone []evidence.StorageProbe
	for _, p := range st.Probes {
		if p.Bucket == "flyte-doctor-no-such-bucket" {
			gone = append(gone, p)
		}
	}
	if len(gone) != 3 {
		t.Fatalf("missing bucket probes = %+v", gone)
	}
	wantProbe(t, gone[0], evidence.ProbeNotFound, "NoSuchBucket", 404, "ListObjectsV2") // HeadBucket
	wantProbe(t, gone[1], evidence.ProbeNotFound, "NoSuchBucket", 404, "")              // GetBucketLocation
	wantProbe(t, gone[2], evidence.ProbeSkipped, "NoSuchBucket", 0, "")                 // the quoted path

	// versitygw has no STS: the identity is unknown, and that is not a collection failure.
	if st.Identity.ARN != "unknown" || st.Identity.IdentityError == "" || record.Status != evidence.StatusOK {
		t.Errorf("identity %+v, record %+v", st.Identity, record)
	}
	t.Logf("identity: %+v", st.Identity)

	// The proof: without WriteProbe nothing but GET and HEAD reached storage.
	reqs := rec.requests()
	if w := storageWrites(reqs); len(w) != 0 {
		t.Errorf("write requests without WriteProbe: %v", w)
	}
	if len(reqs) < 10 {
		t.Errorf("recorder saw only %d requests: %v", len(reqs), reqs)
	}
}

// markers lists write-probe markers left under prefix, as root sees them.
func markers(t *testing.T, s stackS3, prefix string) []string {
	t.Helper()
	root := stackClients(t, s, s.rootKey, s.rootSecret, newRecorder(t))
	out, err := root.S3.ListObjectsV2(context.Background(), &awss3.ListObjectsV2Input{Bucket: aws.String(s.bucket), Prefix: aws.String(prefix + WriteMarkerPrefix)})
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, o := range out.Contents {
		keys = append(keys, aws.ToString(o.Key))
	}
	return keys
}

func TestStackRootWriteProbe(t *testing.T) {
	s := needStack(t)
	rec := newRecorder(t)
	cl := stackClients(t, s, s.rootKey, s.rootSecret, rec)
	c := &Collector{S3: cl.S3, Identity: cl.Identity, WriteProbe: true}
	st, record := c.Collect(context.Background(), []evidence.StoragePath{prefixPath("s3://"+s.bucket+"/data/writeprobe", evidence.PurposeRawOutputPrefix)})
	t.Logf("probes:\n%s", strings.Join(probeLines(st), "\n"))
	n := len(st.Probes)
	put, del := st.Probes[n-2], st.Probes[n-1]
	wantProbe(t, put, evidence.ProbeOK, "", 200, "")
	wantProbe(t, del, evidence.ProbeOK, "", 204, "")
	if put.Key != del.Key || !strings.HasPrefix(put.Key, "data/writeprobe/"+WriteMarkerPrefix) {
		t.Errorf("marker keys: put %q delete %q", put.Key, del.Key)
	}
	if w := storageWrites(rec.requests()); len(w) != 2 || !strings.HasPrefix(w[0], "PUT ") || !strings.HasPrefix(w[1], "DELETE ") {
		t.Errorf("writes = %v", w)
	}
	if m := markers(t, s, "data/writeprobe/"); len(m) != 0 {
		t.Errorf("marker left behind: %v", m)
	}
	if record.Calls["PutObject"] != 1 || record.Calls["DeleteObject"] != 1 {
		t.Errorf("calls = %v", record.Calls)
	}
}

func TestStackWriteProbeInterrupted(t *testing.T) {
	s := needStack(t)
	rec := newRecorder(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// ^C arrives while the PUT is in flight: versitygw has stored the marker by the time the
	// response is back, and the run is cancelled.
	rec.after = func(r *http.Request) {
		if r.Method == http.MethodPut {
			cancel()
		}
	}
	cl := stackClients(t, s, s.rootKey, s.rootSecret, rec)
	c := &Collector{S3: cl.S3, Identity: cl.Identity, WriteProbe: true}
	st, _ := c.Collect(ctx, []evidence.StoragePath{prefixPath("s3://"+s.bucket+"/data/interrupted/", evidence.PurposeRawOutputPrefix)})
	t.Logf("probes:\n%s", strings.Join(probeLines(st), "\n"))
	if w := storageWrites(rec.requests()); len(w) != 2 || !strings.HasPrefix(w[1], "DELETE ") {
		t.Errorf("writes = %v", w)
	}
	if m := markers(t, s, "data/interrupted/"); len(m) != 0 {
		t.Errorf("marker left behind after an interrupted run: %v", m)
	}
}

func TestStackReader(t *testing.T) {
	s := needStack(t)
	rec := newRecorder(t)
	cl := stackClients(t, s, s.readerKey, s.readerSecret, rec)
	if cl.Identity.Source != "config" || cl.STS != nil {
		t.Errorf("identity = %+v", cl.Identity)
	}
	probe, _ := Paths(stackExecution(s), "")
	c := &Collector{S3: cl.S3, Identity: cl.Identity, WriteProbe: true}
	st, _ := c.Collect(context.Background(), probe)
	t.Logf("probes:\n%s", strings.Join(probeLines(st), "\n"))
	wantProbe(t, probeBy(t, st, "HeadBucket", ""), evidence.ProbeOK, "", 200, "")
	wantProbe(t, probeBy(t, st, "HeadObject", s.existingError), evidence.ProbeOK, "", 200, "")
	wantProbe(t, probeBy(t, st, "ListObjectsV2", "data/"), evidence.ProbeOK, "", 200, "")
	var put *evidence.StorageProbe
	for i := range st.Probes {
		if st.Probes[i].Operation == "PutObject" {
			put = &st.Probes[i]
		}
		if st.Probes[i].Operation == "DeleteObject" {
			t.Errorf("delete after a denied put: %+v", st.Probes[i])
		}
	}
	if put == nil {
		t.Fatal("no PutObject probe")
	}
	wantProbe(t, *put, evidence.ProbeDenied, "AccessDenied", 403, "")
	if w := storageWrites(rec.requests()); len(w) != 1 || !strings.HasPrefix(w[0], "PUT /"+s.bucket+"/data/"+WriteMarkerPrefix) {
		t.Errorf("writes = %v", w)
	}
}

func TestStackDenied(t *testing.T) {
	s := needStack(t)
	cl := stackClients(t, s, s.deniedKey, s.deniedSecret, newRecorder(t))
	probe, _ := Paths(stackExecution(s), "")
	c := &Collector{S3: cl.S3, Identity: cl.Identity}
	st, record := c.Collect(context.Background(), probe)
	t.Logf("probes:\n%s", strings.Join(probeLines(st), "\n"))
	// HEAD 403 has no body: ListObjectsV2 (bucket) and a one-byte GET (object) name it.
	wantProbe(t, probeBy(t, st, "HeadBucket", ""), evidence.ProbeDenied, "AccessDenied", 403, "ListObjectsV2")
	wantProbe(t, probeBy(t, st, "GetBucketLocation", ""), evidence.ProbeDenied, "AccessDenied", 403, "")
	wantProbe(t, probeBy(t, st, "HeadObject", s.existingError), evidence.ProbeDenied, "AccessDenied", 403, "GetObject")
	wantProbe(t, probeBy(t, st, "ListObjectsV2", "data/"), evidence.ProbeDenied, "AccessDenied", 403, "")
	if record.Status != evidence.StatusOK {
		t.Errorf("denials are evidence, not collection errors: %+v", record)
	}
}

func TestStackBadCredentials(t *testing.T) {
	s := needStack(t)
	for _, tt := range []struct{ name, key, secret, code string }{
		{"wrong secret", s.rootKey, "not-the-right-secret", "SignatureDoesNotMatch"},
		{"unknown access key", "NOSUCHACCESSKEY", "whatever-secret", "InvalidAccessKeyId"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cl := stackClients(t, s, tt.key, tt.secret, newRecorder(t))
			c := &Collector{S3: cl.S3, Identity: cl.Identity}
			st, _ := c.Collect(context.Background(), []evidence.StoragePath{
				objPath("s3://"+s.bucket+"/"+s.existingError, evidence.PurposeError),
				prefixPath("s3://"+s.bucket+"/data", evidence.PurposeRawOutputPrefix),
			})
			t.Logf("probes:\n%s", strings.Join(probeLines(st), "\n"))
			wantProbe(t, probeBy(t, st, "HeadBucket", ""), evidence.ProbeDenied, tt.code, 403, "ListObjectsV2")
			wantProbe(t, probeBy(t, st, "HeadObject", s.existingError), evidence.ProbeDenied, tt.code, 403, "GetObject")
			wantProbe(t, probeBy(t, st, "ListObjectsV2", "data/"), evidence.ProbeDenied, tt.code, 403, "")
		})
	}
}

func TestStackClockSkew(t *testing.T) {
	s := needStack(t)
	rec := newRecorder(t)
	// A machine clock 20 minutes behind: rewrite the signed date (the SDK has no clock option).
	rec.before = func(r *http.Request) {
		if d, err := time.Parse("20060102T150405Z", r.Header.Get("X-Amz-Date")); err == nil {
			r.Header.Set("X-Amz-Date", d.Add(-20*time.Minute).Format("20060102T150405Z"))
		}
	}
	cl := stackClients(t, s, s.rootKey, s.rootSecret, rec)
	c := &Collector{S3: cl.S3, Identity: cl.Identity}
	st, _ := c.Collect(context.Background(), []evidence.StoragePath{objPath("s3://"+s.bucket+"/"+s.existingError, evidence.PurposeError)})
	t.Logf("probes:\n%s", strings.Join(probeLines(st), "\n"))
	wantProbe(t, probeBy(t, st, "HeadObject", s.existingError), evidence.ProbeDenied, "RequestTimeTooSkewed", 403, "GetObject")
}

func TestStackAssumeTaskRole(t *testing.T) {
	s := needStack(t)
	// versitygw has no STS: a fake one on 127.0.0.1 hands out the reader's keys as the task
	// role's credentials, and the probes against the real server then act as the reader.
	sts := newFakeSTS(t)
	sts.creds = [2]string{s.readerKey, s.readerSecret}
	t.Setenv("AWS_ENDPOINT_URL_STS", sts.srv.URL)
	role := "arn:aws:iam::123456789012:role/flyte-task"
	paths := []evidence.StoragePath{
		objPath("s3://"+s.bucket+"/"+s.existingError, evidence.PurposeError),
		prefixPath("s3://"+s.bucket+"/data", evidence.PurposeRawOutputPrefix),
	}
	assume := func() *evidence.Storage {
		t.Helper()
		cl, err := NewClients(context.Background(), ClientOptions{HTTPClient: newRecorder(t).client(), AssumeTaskRole: true, AsTaskRole: role})
		if err != nil {
			t.Fatal(err)
		}
		if cl.Identity.AssumedRole != role || cl.Identity.AssumeError != "" || cl.Identity.Source != "assumed-role" {
			t.Fatalf("identity = %+v", cl.Identity)
		}
		c := &Collector{S3: cl.S3, STS: cl.STS, Identity: cl.Identity, WriteProbe: true}
		st, _ := c.Collect(context.Background(), paths)
		t.Logf("probes:\n%s", strings.Join(probeLines(st), "\n"))
		if st.Identity.ARN != "arn:aws:sts::123456789012:assumed-role/flyte-task/flytedoctor" {
			t.Errorf("identity = %+v", st.Identity)
		}
		return st
	}

	// A session token the server does not know: versitygw answers 400 InvalidToken; the HEAD's
	// bodiless 400 is confirmed by the GET.
	st := assume()
	wantProbe(t, probeBy(t, st, "HeadObject", s.existingError), evidence.ProbeDenied, "InvalidToken", 400, "GetObject")

	sts.noToken = true
	st = assume()
	wantProbe(t, probeBy(t, st, "HeadObject", s.existingError), evidence.ProbeOK, "", 200, "")
	wantProbe(t, probeBy(t, st, "ListObjectsV2", "data/"), evidence.ProbeOK, "", 200, "")
	for _, p := range st.Probes {
		if p.Operation == "PutObject" {
			wantProbe(t, p, evidence.ProbeDenied, "AccessDenied", 403, "")
		}
	}
}
