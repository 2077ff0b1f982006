package s3

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/flytedoctor/flytedoctor/collectors/evidence"
)

// fakeS3 is a small path-style S3 server on 127.0.0.1 that answers like AWS does where the
// real test server (versitygw) cannot: buckets in another region (301 PermanentRedirect,
// x-amz-bucket-region), ExpiredToken, slow answers. Error responses carry S3's XML body, HEAD
// errors none.
type fakeS3 struct {
	t       *testing.T
	srv     *httptest.Server
	mu      sync.Mutex
	reqs    []string          // "METHOD /bucket/key?query"
	keys    []string          // access key id of each request
	buckets map[string]string // bucket -> region
	objects map[string]bool   // "bucket/key"
	// headers are sent with an object's HEAD and GET ("bucket/key"), owners with its listing.
	headers map[string]map[string]string
	owners  map[string]string
	// fail, when set, may answer a request with an error: status and S3 code ("" = none).
	fail func(r *http.Request, bucket, key string) (int, string)
	// onPut runs before a PUT is answered.
	onPut func()
	// hold, when set, runs first for every request and may block it.
	hold func(r *http.Request, bucket, key string)
}

// holdBuckets makes the bucket probes (HeadBucket, GetBucketLocation, the bucket's own listing)
// wait until requests about n distinct paths have come, so that n path probes go out before
// the buckets are known. Paths, not requests: a path's HEAD and its confirming GET are one,
// else n requests could come from fewer probes, as the goroutines happen to be scheduled.
func (f *fakeS3) holdBuckets(n int) {
	release := make(chan struct{})
	var mu sync.Mutex
	seen := map[string]bool{}
	f.hold = func(r *http.Request, bucket, key string) {
		prefix := r.URL.Query().Get("prefix")
		if key == "" && prefix == "" {
			<-release
			return
		}
		mu.Lock()
		defer mu.Unlock()
		if path := bucket + "/" + key + prefix; !seen[path] {
			if seen[path] = true; len(seen) == n {
				close(release)
			}
		}
	}
}

var (
	credRegion = regexp.MustCompile(`Credential=[^/]+/\d{8}/([^/]+)/`)
	credKey    = regexp.MustCompile(`Credential=([^/]+)/`)
)

func newFakeS3(t *testing.T) *fakeS3 {
	f := &fakeS3{t: t, buckets: map[string]string{}, objects: map[string]bool{},
		headers: map[string]map[string]string{}, owners: map[string]string{}}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve)) // httptest listens on 127.0.0.1
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeS3) requests() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.reqs...)
}

func (f *fakeS3) objectCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.objects)
}

func (f *fakeS3) hasObject(k string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.objects[k]
}

func (f *fakeS3) client(region string) *awss3.Client {
	return awss3.New(awss3.Options{
		Region: region, BaseEndpoint: aws.String(f.srv.URL), UsePathStyle: true,
		Credentials:                aws.AnonymousCredentials{},
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenRequired,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenRequired,
		RetryMaxAttempts:           1,
	}, func(o *awss3.Options) { o.Credentials = staticCreds{} })
}

type staticCreds struct{}

func (staticCreds) Retrieve(context.Context) (aws.Credentials, error) {
	return aws.Credentials{AccessKeyID: "AKIDFAKE", SecretAccessKey: "secret", SessionToken: "token"}, nil
}

func (f *fakeS3) serve(w http.ResponseWriter, r *http.Request) {
	bucket, key, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	if f.hold != nil {
		f.hold(r, bucket, key)
	}
	f.mu.Lock()
	f.reqs = append(f.reqs, r.Method+" "+r.URL.Path+"?"+r.URL.RawQuery)
	if m := credKey.FindStringSubmatch(r.Header.Get("Authorization")); m != nil {
		f.keys = append(f.keys, m[1])
	}
	region, exists := f.buckets[bucket]
	n := len(f.reqs)
	f.mu.Unlock()
	w.Header().Set("X-Amz-Request-Id", fmt.Sprintf("REQ%d", n))
	q := r.URL.Query()
	signed := ""
	if m := credRegion.FindStringSubmatch(r.Header.Get("Authorization")); m != nil {
		signed = m[1]
	}
	if f.fail != nil {
		if st, code := f.fail(r, bucket, key); st != 0 {
			f.error(w, r, st, code, "")
			return
		}
	}
	if !exists {
		f.error(w, r, 404, "NoSuchBucket", "")
		return
	}
	_, location := q["location"]
	if region != signed && !location {
		f.error(w, r, 301, "PermanentRedirect", region)
		return
	}
	switch {
	case location:
		fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><LocationConstraint xmlns="http://s3.amazonaws.com/doc/2006-03-01/">%s</LocationConstraint>`, region)
	case key == "" && r.Method == http.MethodHead:
		w.Header().Set("X-Amz-Bucket-Region", region)
	case key == "" && q.Get("list-type") == "2":
		prefix := q.Get("prefix")
		var found []string
		f.mu.Lock()
		for k := range f.objects {
			if b, kk, _ := strings.Cut(k, "/"); b == bucket && strings.HasPrefix(kk, prefix) {
				found = append(found, kk)
			}
		}
		f.mu.Unlock()
		sort.Strings(found)
		contents := ""
		if len(found) > 0 {
			owner := ""
			f.mu.Lock()
			if id := f.owners[bucket+"/"+found[0]]; id != "" && q.Get("fetch-owner") == "true" {
				owner = "<Owner><ID>" + id + "</ID></Owner>"
			}
			f.mu.Unlock()
			contents = "<Contents><Key>" + found[0] + "</Key><Size>1</Size>" + owner + "</Contents>"
		}
		fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>%s</Name><Prefix>%s</Prefix><KeyCount>%d</KeyCount><MaxKeys>1</MaxKeys><IsTruncated>false</IsTruncated>%s</ListBucketResult>`,
			bucket, prefix, min(len(found), 1), contents)
	case r.Method == http.MethodPut:
		_, _ = io.Copy(io.Discard, r.Body)
		f.mu.Lock()
		f.objects[bucket+"/"+key] = true
		f.mu.Unlock()
		if f.onPut != nil {
			f.onPut() // after the object is stored: the answer may be what gets lost
		}
		w.Header().Set("ETag", `"d41d8cd98f00b204e9800998ecf8427e"`)
	case r.Method == http.MethodDelete:
		f.mu.Lock()
		delete(f.objects, bucket+"/"+key)
		f.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	default: // HEAD or GET object
		if !f.hasObject(bucket + "/" + key) {
			f.error(w, r, 404, "NoSuchKey", "")
			return
		}
		w.Header().Set("Content-Length", "1")
		f.mu.Lock()
		for k, v := range f.headers[bucket+"/"+key] {
			w.Header().Set(k, v)
		}
		f.mu.Unlock()
		if r.Method == http.MethodGet {
			w.Header().Set("Content-Range", "bytes 0-0/1")
			w.WriteHeader(http.StatusPartialContent)
			_, _ = w.Write([]byte("x"))
		}
	}
}

func (f *fakeS3) error(w http.ResponseWriter, r *http.Request, status int, code, region string) {
	if region != "" {
		w.Header().Set("X-Amz-Bucket-Region", region)
	}
	if r.Method == http.MethodHead {
		w.WriteHeader(status)
		return
	}
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(status)
	fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>%s</Code><Message>%s message</Message><RequestId>REQBODY</RequestId><HostId>HOST</HostId></Error>`, code, code)
}

// fakeSTS answers GetCallerIdentity and AssumeRole (query protocol, XML).
type fakeSTS struct {
	srv      *httptest.Server
	mu       sync.Mutex
	actions  []string
	denyRole bool
	creds    [2]string // key id and secret handed out by AssumeRole
	noToken  bool      // hand out no session token
}

func newFakeSTS(t *testing.T) *fakeSTS {
	s := &fakeSTS{}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		action := r.Form.Get("Action")
		s.mu.Lock()
		s.actions = append(s.actions, action)
		s.mu.Unlock()
		w.Header().Set("Content-Type", "text/xml")
		switch {
		case action == "GetCallerIdentity":
			key := ""
			if m := credKey.FindStringSubmatch(r.Header.Get("Authorization")); m != nil {
				key = m[1]
			}
			arn := "arn:aws:iam::123456789012:user/dev"
			if key == s.creds[0] {
				arn = "arn:aws:sts::123456789012:assumed-role/flyte-task/flytedoctor"
			}
			fmt.Fprintf(w, `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult><Arn>%s</Arn><UserId>AIDA</UserId><Account>123456789012</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>sts-1</RequestId></ResponseMetadata></GetCallerIdentityResponse>`, arn)
		case action == "AssumeRole" && !s.denyRole:
			token := "<SessionToken>tok</SessionToken>"
			if s.noToken {
				token = ""
			}
			fmt.Fprintf(w, `<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult><Credentials><AccessKeyId>%s</AccessKeyId><SecretAccessKey>%s</SecretAccessKey>%s<Expiration>%s</Expiration></Credentials><AssumedRoleUser><Arn>arn:aws:sts::123456789012:assumed-role/flyte-task/flytedoctor</Arn><AssumedRoleId>AROA:flytedoctor</AssumedRoleId></AssumedRoleUser></AssumeRoleResult><ResponseMetadata><RequestId>sts-2</RequestId></ResponseMetadata></AssumeRoleResponse>`,
				s.creds[0], s.creds[1], token, time.Now().Add(time.Hour).UTC().Format(time.RFC3339))
		default:
			w.WriteHeader(http.StatusForbidden)
			fmt.Fprintf(w, `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>User: arn:aws:iam::123456789012:user/dev is not authorized to perform: sts:%s</Message></Error><RequestId>sts-3</RequestId></ErrorResponse>`, action)
		}
	}))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *fakeSTS) client() *sts.Client {
	return sts.New(sts.Options{Region: "us-east-1", BaseEndpoint: aws.String(s.srv.URL), Credentials: staticCreds{}, RetryMaxAttempts: 1})
}

// writes lists the requests that would change the bucket.
func writes(reqs []string) []string {
	var out []string
	for _, r := range reqs {
		if m, _, _ := strings.Cut(r, " "); m != http.MethodGet && m != http.MethodHead {
			out = append(out, r)
		}
	}
	return out
}

func probeLines(st *evidence.Storage) []string {
	var out []string
	for _, p := range st.Probes {
		s := fmt.Sprintf("%s %s/%s %s %s %d", p.Operation, p.Bucket, p.Key, p.Outcome, p.ErrorCode, p.HTTPStatus)
		if p.ConfirmedBy != "" {
			s += " by " + p.ConfirmedBy
		}
		if p.Region != "" {
			s += " region=" + p.Region
		}
		if p.Empty {
			s += " empty"
		}
		out = append(out, s)
	}
	return out
}
