package s3stub_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"

	"github.com/flytedoctor/flytedoctor/cmd/internal/demo/s3stub"
	"github.com/flytedoctor/flytedoctor/internal/testnet"
)

func testSpec() s3stub.Spec {
	mod := time.Date(2026, 8, 14, 6, 31, 34, 0, time.UTC)
	return s3stub.Spec{Buckets: []s3stub.Bucket{
		{
			Name: "meta", Region: "us-east-1",
			Objects: []s3stub.Object{
				{Key: "metadata/propeller/x/n0/data/inputs.pb", Size: 96, LastModified: mod},
				{Key: "metadata/propeller/x/n0/data/0/outputs.pb", Size: 120, LastModified: mod},
				{Key: "metadata/propeller/x/n1/data/inputs.pb", Size: 88, LastModified: mod},
				{Key: "metadata/flytesnacks/development/x/inputs", Size: 64, LastModified: mod},
				{Key: "empty", Size: 0, LastModified: mod},
			},
			Deny: []s3stub.Rule{
				{Actions: []string{s3stub.ActionGetObject}, Keys: "metadata/propeller/*/n1/*"},
				{Actions: []string{s3stub.ActionListBucket}, Keys: "locked/*"},
				{Actions: []string{s3stub.ActionPutObject, s3stub.ActionDeleteObject}, Keys: "metadata/*"},
			},
		},
		{
			Name: "data", Region: "eu-west-1",
			Objects: []s3stub.Object{{Key: "data/ab/pod-n0-0/out.parquet", Size: 2048, LastModified: mod}},
		},
		{
			Name: "sealed", Region: "us-east-1",
			Deny: []s3stub.Rule{{Actions: []string{"s3:*"}, Keys: "*", Message: "User: arn:aws:sts::123456789012:assumed-role/task/x is not authorized"}},
		},
	}}
}

func client(t *testing.T) *s3.Client {
	t.Helper()
	endpoint, stop, err := s3stub.New(testSpec()).Start(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	if !strings.HasPrefix(endpoint, "http://127.0.0.1:") {
		t.Fatalf("endpoint %s", endpoint)
	}
	return s3.New(s3.Options{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("AKIAEXAMPLE", "secret", ""),
		BaseEndpoint: aws.String(endpoint),
		UsePathStyle: true,
		HTTPClient:   testnet.New(t).HTTPClient(),
	})
}

// apiErr is what the SDK reports: smithy error code, HTTP status and S3 request id.
func apiErr(t *testing.T, err error) (code string, status int, reqID string) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("not an API error: %v", err)
	}
	var hs interface{ HTTPStatusCode() int }
	if errors.As(err, &hs) {
		status = hs.HTTPStatusCode()
	}
	var rid interface{ ServiceRequestID() string }
	if errors.As(err, &rid) {
		reqID = rid.ServiceRequestID()
	}
	return ae.ErrorCode(), status, reqID
}

func wantErr(t *testing.T, op string, err error, code string, status int) {
	t.Helper()
	if err == nil {
		t.Errorf("%s: no error, want %s %d", op, code, status)
		return
	}
	got, st, rid := apiErr(t, err)
	if got != code || st != status || len(rid) != 16 {
		t.Errorf("%s: %s %d request id %q, want %s %d", op, got, st, rid, code, status)
	}
}

func TestBucketOperations(t *testing.T) {
	c, ctx := client(t), t.Context()

	hb, err := c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String("data")})
	if err != nil || aws.ToString(hb.BucketRegion) != "eu-west-1" {
		t.Errorf("HeadBucket data: %v %v", hb, err)
	}
	_, err = c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String("nosuch")})
	wantErr(t, "HeadBucket nosuch", err, "NotFound", 404)
	_, err = c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String("sealed")})
	wantErr(t, "HeadBucket sealed", err, "Forbidden", 403)

	loc, err := c.GetBucketLocation(ctx, &s3.GetBucketLocationInput{Bucket: aws.String("data")})
	if err != nil || loc.LocationConstraint != "eu-west-1" {
		t.Errorf("GetBucketLocation data: %v %v", loc, err)
	}
	loc, err = c.GetBucketLocation(ctx, &s3.GetBucketLocationInput{Bucket: aws.String("meta")})
	if err != nil || loc.LocationConstraint != "" {
		t.Errorf("GetBucketLocation meta: %v %v", loc, err)
	}
	_, err = c.GetBucketLocation(ctx, &s3.GetBucketLocationInput{Bucket: aws.String("nosuch")})
	wantErr(t, "GetBucketLocation nosuch", err, "NoSuchBucket", 404)
	_, err = c.GetBucketLocation(ctx, &s3.GetBucketLocationInput{Bucket: aws.String("sealed")})
	wantErr(t, "GetBucketLocation sealed", err, "AccessDenied", 403)
	var ae smithy.APIError
	if errors.As(err, &ae) && !strings.HasPrefix(ae.ErrorMessage(), "User: arn:aws:sts::") {
		t.Errorf("custom message: %q", ae.ErrorMessage())
	}
}

func TestObjectReads(t *testing.T) {
	c, ctx := client(t), t.Context()
	var ae smithy.APIError

	ho, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("meta"), Key: aws.String("metadata/propeller/x/n0/data/inputs.pb")})
	if err != nil || aws.ToInt64(ho.ContentLength) != 96 || aws.ToString(ho.ETag) == "" || ho.LastModified == nil {
		t.Errorf("HeadObject: %+v %v", ho, err)
	}
	_, err = c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("meta"), Key: aws.String("metadata/propeller/x/n1/data/inputs.pb")})
	wantErr(t, "HeadObject denied", err, "Forbidden", 403)
	_, err = c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("meta"), Key: aws.String("metadata/propeller/x/n0/data/0/error.pb")})
	wantErr(t, "HeadObject missing", err, "NotFound", 404)
	_, err = c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("meta"), Key: aws.String("locked/a")})
	wantErr(t, "HeadObject missing, no ListBucket", err, "Forbidden", 403)
	_, err = c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("nosuch"), Key: aws.String("k")})
	wantErr(t, "HeadObject nosuch bucket", err, "NotFound", 404)

	// GetObject with a Range confirms what a HEAD error hides.
	got, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("meta"), Key: aws.String("metadata/propeller/x/n0/data/inputs.pb"),
		Range: aws.String("bytes=0-0")})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(got.Body)
	got.Body.Close()
	if len(body) != 1 || aws.ToString(got.ContentRange) != "bytes 0-0/96" || aws.ToInt64(got.ContentLength) != 1 {
		t.Errorf("ranged GetObject: %d bytes, range %q", len(body), aws.ToString(got.ContentRange))
	}
	got, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("data"), Key: aws.String("data/ab/pod-n0-0/out.parquet")})
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(got.Body)
	got.Body.Close()
	if len(body) != 2048 {
		t.Errorf("full GetObject: %d bytes", len(body))
	}
	_, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("meta"), Key: aws.String("metadata/propeller/x/n1/data/inputs.pb"),
		Range: aws.String("bytes=0-0")})
	wantErr(t, "GetObject denied", err, "AccessDenied", 403)
	if errors.As(err, &ae) && ae.ErrorMessage() != "Access Denied" {
		t.Errorf("message %q", ae.ErrorMessage())
	}
	_, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("meta"), Key: aws.String("metadata/propeller/x/n0/data/0/error.pb")})
	wantErr(t, "GetObject missing", err, "NoSuchKey", 404)
	_, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("meta"), Key: aws.String("locked/a")})
	wantErr(t, "GetObject missing, no ListBucket", err, "AccessDenied", 403)
	_, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("meta"), Key: aws.String("empty"), Range: aws.String("bytes=0-0")})
	wantErr(t, "GetObject empty range", err, "InvalidRange", 416)
	_, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("nosuch"), Key: aws.String("k")})
	wantErr(t, "GetObject nosuch bucket", err, "NoSuchBucket", 404)
}

func TestListObjectsV2(t *testing.T) {
	c, ctx := client(t), t.Context()

	out, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("meta"), Prefix: aws.String("metadata/propeller/x/"),
		MaxKeys: aws.Int32(1)})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToInt32(out.KeyCount) != 1 || !aws.ToBool(out.IsTruncated) || len(out.Contents) != 1 ||
		aws.ToString(out.Contents[0].Key) != "metadata/propeller/x/n0/data/0/outputs.pb" || aws.ToInt64(out.Contents[0].Size) != 120 {
		t.Fatalf("first page: %+v", out)
	}
	var keys []string
	p := s3.NewListObjectsV2Paginator(c, &s3.ListObjectsV2Input{Bucket: aws.String("meta"), MaxKeys: aws.Int32(2)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range page.Contents {
			keys = append(keys, aws.ToString(o.Key))
		}
	}
	if len(keys) != 5 || keys[0] != "empty" {
		t.Errorf("all keys: %v", keys)
	}
	out, err = c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("meta"), Prefix: aws.String("metadata/"), Delimiter: aws.String("/")})
	if err != nil || len(out.CommonPrefixes) != 2 || aws.ToString(out.CommonPrefixes[0].Prefix) != "metadata/flytesnacks/" {
		t.Errorf("delimited: %+v %v", out, err)
	}
	out, err = c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("meta"), Prefix: aws.String("nothing/"), MaxKeys: aws.Int32(1)})
	if err != nil || aws.ToInt32(out.KeyCount) != 0 || aws.ToBool(out.IsTruncated) {
		t.Errorf("empty prefix: %+v %v", out, err)
	}
	_, err = c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("meta"), Prefix: aws.String("locked/"), MaxKeys: aws.Int32(1)})
	wantErr(t, "ListObjectsV2 denied", err, "AccessDenied", 403)
	_, err = c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("nosuch"), MaxKeys: aws.Int32(1)})
	wantErr(t, "ListObjectsV2 nosuch", err, "NoSuchBucket", 404)
}

func TestWrites(t *testing.T) {
	c, ctx := client(t), t.Context()

	key := aws.String("data/.flytedoctor-probe")
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("data"), Key: key, Body: strings.NewReader("probe")}); err != nil {
		t.Fatal(err)
	}
	ho, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("data"), Key: key})
	if err != nil || aws.ToInt64(ho.ContentLength) != 5 {
		t.Errorf("written object: %+v %v", ho, err)
	}
	if _, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("data"), Key: key}); err != nil {
		t.Fatal(err)
	}
	_, err = c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("data"), Key: key})
	wantErr(t, "HeadObject deleted", err, "NotFound", 404)

	_, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("meta"), Key: aws.String("metadata/.flytedoctor-probe"),
		Body: strings.NewReader("probe")})
	wantErr(t, "PutObject denied", err, "AccessDenied", 403)
	_, err = c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("meta"), Key: aws.String("metadata/propeller/x/n0/data/inputs.pb")})
	wantErr(t, "DeleteObject denied", err, "AccessDenied", 403)
	if _, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("meta"), Key: aws.String("metadata/propeller/x/n0/data/inputs.pb")}); err != nil {
		t.Errorf("denied delete removed the object: %v", err)
	}
}

// TestRawResponses checks what the SDK does not show: bodies, headers and HEAD errors without a body.
func TestRawResponses(t *testing.T) {
	endpoint, stop, err := s3stub.New(testSpec()).Start(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	do := func(method, path string) (*http.Response, string) {
		req, _ := http.NewRequestWithContext(t.Context(), method, endpoint+path, nil)
		req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKIAEXAMPLE/20260814/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=00")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}
	resp, body := do(http.MethodGet, "/meta/metadata/propeller/x/n1/data/inputs.pb")
	if resp.StatusCode != 403 || !strings.Contains(body, "<Error><Code>AccessDenied</Code><Message>Access Denied</Message><RequestId>") ||
		resp.Header.Get("x-amz-bucket-region") != "us-east-1" || resp.Header.Get("Content-Type") != "application/xml" {
		t.Errorf("GET denied: %d %v %s", resp.StatusCode, resp.Header, body)
	}
	resp, body = do(http.MethodHead, "/meta/metadata/propeller/x/n1/data/inputs.pb")
	if resp.StatusCode != 403 || body != "" || resp.Header.Get("x-amz-request-id") == "" {
		t.Errorf("HEAD denied: %d %q", resp.StatusCode, body)
	}
	resp, body = do(http.MethodGet, "/nosuch/k")
	if resp.StatusCode != 404 || !strings.Contains(body, "<Code>NoSuchBucket</Code>") || !strings.Contains(body, "<BucketName>nosuch</BucketName>") ||
		resp.Header.Get("x-amz-bucket-region") != "" {
		t.Errorf("GET nosuch: %d %s", resp.StatusCode, body)
	}
	resp, body = do(http.MethodGet, "/meta?list-type=2&prefix=metadata%2Fflytesnacks%2F&max-keys=1")
	if resp.StatusCode != 200 || !strings.Contains(body, `<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>meta</Name>`) ||
		!strings.Contains(body, "<KeyCount>1</KeyCount><MaxKeys>1</MaxKeys><IsTruncated>false</IsTruncated>") {
		t.Errorf("list: %s", body)
	}
	resp, body = do(http.MethodGet, "/meta?acl")
	if resp.StatusCode != 501 || !strings.Contains(body, "<Code>NotImplemented</Code>") {
		t.Errorf("acl: %d %s", resp.StatusCode, body)
	}
}

func TestParseSpec(t *testing.T) {
	if _, err := s3stub.ParseSpec([]byte(`{"buckets":[{"name":"b","region":"us-east-1","deny":[{"actions":["s3:GetObjects"],"keys":"*"}]}]}`)); err == nil {
		t.Error("unknown action accepted")
	}
	if _, err := s3stub.ParseSpec([]byte(`{"buckets":[{"name":"b","regoin":"us-east-1"}]}`)); err == nil {
		t.Error("unknown field accepted")
	}
	if _, err := s3stub.ParseSpec([]byte(`{"buckets":[{"name":"b","region":"us-east-1","objects":[{"key":"k","size":1},{"key":"k","size":2}]}]}`)); err == nil {
		t.Error("duplicate key accepted")
	}
}
