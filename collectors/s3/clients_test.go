package s3

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"

	"github.com/flytedoctor/flytedoctor/collectors/evidence"
	"github.com/flytedoctor/flytedoctor/collectors/flyteconfig"
	"github.com/flytedoctor/flytedoctor/internal/testnet"
)

// awsEnv are the variables the SDK's default chain reads.
var awsEnv = []string{
	"AWS_ACCESS_KEY_ID", "AWS_ACCESS_KEY", "AWS_SECRET_ACCESS_KEY", "AWS_SECRET_KEY", "AWS_SESSION_TOKEN",
	"AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN", "AWS_ROLE_SESSION_NAME",
	"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_AUTHORIZATION_TOKEN",
	"AWS_EC2_METADATA_DISABLED", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL_STS",
	"AWS_REGION", "AWS_DEFAULT_REGION", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
}

// sdkClient is the SDK's HTTP client dialing through a testnet guard and no proxy: a request
// beyond 127.0.0.1 (instance metadata, STS, S3 on AWS) fails the test instead of leaving.
func sdkClient(t *testing.T) aws.HTTPClient {
	g := testnet.New(t)
	return awshttp.NewBuildableClient().WithTransportOptions(func(tr *http.Transport) {
		tr.Proxy = nil
		tr.DialContext = g.DialContext
	})
}

// cleanEnv gives a test a machine without AWS configuration: no variables, no ~/.aws files,
// and an instance metadata endpoint where nothing listens.
func cleanEnv(t *testing.T) string {
	t.Helper()
	for _, k := range awsEnv {
		t.Setenv(k, "")
	}
	dir := t.TempDir()
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "credentials"))
	t.Setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://127.0.0.1:1")
	return dir
}

func TestNewClientsNoCredentials(t *testing.T) {
	cleanEnv(t)
	start := time.Now()
	_, err := NewClients(context.Background(), ClientOptions{HTTPClient: sdkClient(t)})
	if !errors.Is(err, ErrNoCredentials) {
		t.Fatalf("err = %v, want ErrNoCredentials", err)
	}
	if d := time.Since(start); d > 8*time.Second {
		t.Errorf("took %s to find no credentials", d)
	}
}

func TestNewClientsMissingProfileIsAnError(t *testing.T) {
	cleanEnv(t)
	_, err := NewClients(context.Background(), ClientOptions{HTTPClient: sdkClient(t), Profile: "nope"})
	if err == nil || errors.Is(err, ErrNoCredentials) || strings.ContainsAny(err.Error(), "\n") || !strings.Contains(err.Error(), "nope") {
		t.Fatalf("err = %v", err)
	}
}

func TestNewClientsProfile(t *testing.T) {
	dir := cleanEnv(t)
	creds := "[dev]\naws_access_key_id = AKIDDEV\naws_secret_access_key = s\n"
	if err := os.WriteFile(filepath.Join(dir, "credentials"), []byte(creds), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("AWS_PROFILE", "dev")
	cl, err := NewClients(context.Background(), ClientOptions{HTTPClient: sdkClient(t), Region: "eu-west-1"})
	if err != nil {
		t.Fatal(err)
	}
	if cl.Identity.Source != "profile:dev" || cl.Identity.Region != "eu-west-1" || cl.Identity.Endpoint != "" || cl.STS == nil {
		t.Errorf("identity = %+v", cl.Identity)
	}
}

// signedKey returns the access key ids that signed the requests the fake saw.
func signedKeys(f *fakeS3) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.keys...)
}

func TestNewClientsConnectionAccessKey(t *testing.T) {
	cleanEnv(t)
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDENV") // storage.connection wins for storage
	t.Setenv("AWS_SECRET_ACCESS_KEY", "s")
	f := newFakeS3(t)
	f.buckets["my-s3-bucket"] = "us-west-2"
	host := strings.TrimPrefix(f.srv.URL, "http://")
	cl, err := NewClients(context.Background(), ClientOptions{HTTPClient: sdkClient(t), AssumeTaskRole: true, AsTaskRole: "arn:aws:iam::1:role/x",
		Connection: flyteconfig.Connection{Endpoint: host, AuthType: "accesskey", AccessKey: "minio", SecretKey: "miniostorage", Region: "us-west-2", DisableSSL: true}})
	if err != nil {
		t.Fatal(err)
	}
	id := cl.Identity
	if id.Source != "config" || id.Endpoint != f.srv.URL || id.Region != "us-west-2" || cl.STS != nil ||
		!strings.Contains(id.AssumeError, "storage.connection access keys: no STS to ask") {
		t.Errorf("identity = %+v", id)
	}
	c := &Collector{S3: cl.S3, STS: cl.STS, Identity: cl.Identity}
	st, _ := c.Collect(context.Background(), []evidence.StoragePath{prefixPath("s3://my-s3-bucket/data", evidence.PurposeRawOutputPrefix)})
	if st.Probes[0].Outcome != evidence.ProbeOK {
		t.Errorf("path-style request failed: %+v (requests %v)", st.Probes[0], f.requests())
	}
	if k := signedKeys(f); len(k) == 0 || k[0] != "minio" {
		t.Errorf("signed with %v, want the storage.connection key", k)
	}
}

func TestNewClientsEndpointPrecedence(t *testing.T) {
	cleanEnv(t)
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDENV")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "s")
	t.Setenv("AWS_ENDPOINT_URL_S3", "http://127.0.0.1:9")
	cl, err := NewClients(context.Background(), ClientOptions{HTTPClient: sdkClient(t)})
	if err != nil {
		t.Fatal(err)
	}
	if cl.Identity.Endpoint != "http://127.0.0.1:9" || cl.Identity.Source != "env" || cl.Identity.Region != DefaultRegion {
		t.Errorf("from AWS_ENDPOINT_URL_S3: %+v", cl.Identity)
	}
	// MinIO-style endpoint: AWS STS would not know the keys, so it is not asked.
	if cl.STS != nil || !strings.Contains(cl.Identity.IdentityError, "no STS endpoint") {
		t.Errorf("STS beside a custom endpoint: %+v", cl.Identity)
	}
	t.Setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
	if cl, err = NewClients(context.Background(), ClientOptions{HTTPClient: sdkClient(t)}); err != nil || cl.STS == nil {
		t.Errorf("AWS_ENDPOINT_URL also serves STS: %+v %v", cl, err)
	}
	t.Setenv("AWS_ENDPOINT_URL", "")
	if cl, err = NewClients(context.Background(), ClientOptions{HTTPClient: sdkClient(t), Endpoint: "https://bucket.vpce-1a2b.s3.us-east-1.vpce.amazonaws.com"}); err != nil || cl.STS == nil {
		t.Errorf("an AWS VPC endpoint keeps STS: %+v %v", cl, err)
	}
	cl, err = NewClients(context.Background(), ClientOptions{HTTPClient: sdkClient(t), Connection: flyteconfig.Connection{Endpoint: "https://minio.example.com"}})
	if err != nil || cl.Identity.Endpoint != "https://minio.example.com" || cl.Identity.Source != "env" {
		t.Errorf("storage.connection endpoint with iam auth: %+v %v", cl.Identity, err)
	}
	cl, err = NewClients(context.Background(), ClientOptions{HTTPClient: sdkClient(t), Endpoint: "http://127.0.0.1:10", Connection: flyteconfig.Connection{Endpoint: "https://minio.example.com"}})
	if err != nil || cl.Identity.Endpoint != "http://127.0.0.1:10" {
		t.Errorf("--s3-endpoint: %+v %v", cl.Identity, err)
	}
}

func TestNewClientsAssumeTaskRole(t *testing.T) {
	cleanEnv(t)
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDENV")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "s")
	s := newFakeSTS(t)
	s.creds = [2]string{"ASIATASK", "tasksecret"}
	t.Setenv("AWS_ENDPOINT_URL_STS", s.srv.URL)
	f := newFakeS3(t)
	f.buckets["b"] = "us-east-1"
	role := "arn:aws:iam::123456789012:role/flyte-task"
	cl, err := NewClients(context.Background(), ClientOptions{HTTPClient: sdkClient(t), Endpoint: f.srv.URL, AssumeTaskRole: true, AsTaskRole: role})
	if err != nil {
		t.Fatal(err)
	}
	if cl.Identity.AssumedRole != role || cl.Identity.Source != "assumed-role" || cl.Identity.AssumeError != "" {
		t.Fatalf("identity = %+v", cl.Identity)
	}
	c := &Collector{S3: cl.S3, STS: cl.STS, Identity: cl.Identity}
	st, _ := c.Collect(context.Background(), []evidence.StoragePath{objPath("s3://b/x.pb", evidence.PurposeError)})
	if st.Identity.ARN != "arn:aws:sts::123456789012:assumed-role/flyte-task/flytedoctor" {
		t.Errorf("identity after assume = %+v", st.Identity)
	}
	for _, k := range signedKeys(f) {
		if k != "ASIATASK" {
			t.Errorf("S3 request signed with %s, want the task role's key", k)
		}
	}

	// A role the caller may not assume: recorded, and the probes run as the caller.
	s.denyRole = true
	cl, err = NewClients(context.Background(), ClientOptions{HTTPClient: sdkClient(t), Endpoint: f.srv.URL, AssumeTaskRole: true, AsTaskRole: role + "-2"})
	if err != nil {
		t.Fatal(err)
	}
	if cl.Identity.AssumedRole != "" || cl.Identity.Source != "env" ||
		!regexp.MustCompile(`^cannot assume .*-2: AccessDenied: .*not authorized.*; probes ran as the caller$`).MatchString(cl.Identity.AssumeError) {
		t.Errorf("identity = %+v", cl.Identity)
	}

	// --as-task-role on an execution without a role.
	cl, err = NewClients(context.Background(), ClientOptions{HTTPClient: sdkClient(t), Endpoint: f.srv.URL, AssumeTaskRole: true})
	if err != nil || !strings.Contains(cl.Identity.AssumeError, "names no IAM role") {
		t.Errorf("identity = %+v %v", cl.Identity, err)
	}
}

func TestConnectionFromStorage(t *testing.T) {
	st := flyteconfig.Storage{Type: "stow", Stow: flyteconfig.Stow{Kind: "s3", Config: flyteconfig.StowConfig{
		"auth_type": "accesskey", "access_key_id": "minio", "secret_key": "miniostorage", "disable_ssl": "true",
		"endpoint": "http://localhost:30002", "region": "us-east-1"}}}
	want := flyteconfig.Connection{Endpoint: "http://localhost:30002", AuthType: "accesskey", AccessKey: "minio",
		SecretKey: "miniostorage", Region: "us-east-1", DisableSSL: true}
	if got := ConnectionFromStorage(st); got != want {
		t.Errorf("stow: %+v", got)
	}
	st.Connection = flyteconfig.Connection{Region: "eu-west-1", AuthType: "iam"}
	if got := ConnectionFromStorage(st); got != st.Connection {
		t.Errorf("connection wins: %+v", got)
	}
}

func TestNewClientsInstanceMetadata(t *testing.T) {
	cleanEnv(t)
	imds := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Method == http.MethodPut && r.URL.Path == "/latest/api/token":
			w.Header().Set("X-Aws-Ec2-Metadata-Token-Ttl-Seconds", "21600")
			_, _ = w.Write([]byte("imds-token"))
		case r.Header.Get("X-Aws-Ec2-Metadata-Token") != "imds-token":
			w.WriteHeader(http.StatusUnauthorized)
		case r.URL.Path == "/latest/meta-data/iam/security-credentials/":
			_, _ = w.Write([]byte("node-role"))
		case r.URL.Path == "/latest/meta-data/iam/security-credentials/node-role":
			_, _ = fmt.Fprintf(w, `{"Code":"Success","Type":"AWS-HMAC","AccessKeyId":"ASIANODE","SecretAccessKey":"s","Token":"t","Expiration":%q}`,
				time.Now().Add(time.Hour).UTC().Format(time.RFC3339))
		default:
			w.WriteHeader(http.StatusNotFound)
		}
	}))
	defer imds.Close()
	t.Setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", imds.URL)
	cl, err := NewClients(context.Background(), ClientOptions{HTTPClient: sdkClient(t), Region: "us-east-1"})
	if err != nil {
		t.Fatal(err)
	}
	if cl.Identity.Source != "instance" {
		t.Errorf("identity = %+v", cl.Identity)
	}
}
