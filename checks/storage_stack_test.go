package checks

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/flytedoctor/flytedoctor/collectors/evidence"
	"github.com/flytedoctor/flytedoctor/collectors/flyteconfig"
	"github.com/flytedoctor/flytedoctor/collectors/s3"
	"github.com/flytedoctor/flytedoctor/internal/testnet"
)

// storageEnv builds the clients flytedoctor builds, with the given access keys against the
// stack's S3 server (versitygw), dialing loopback only.
func storageEnv(t *testing.T, key, secret string, write bool) *Env {
	t.Helper()
	ep := stackEnv(t, "STACK_S3_ENDPOINT")[0]
	g := testnet.New(t)
	hc := awshttp.NewBuildableClient().WithTransportOptions(func(tr *http.Transport) { tr.Proxy, tr.DialContext = nil, g.DialContext })
	return &Env{WriteProbe: write, Storage: func(ctx context.Context, role string) (*s3.Clients, error) {
		return s3.NewClients(ctx, s3.ClientOptions{
			Connection:     flyteconfig.Connection{Endpoint: ep, AuthType: "accesskey", AccessKey: key, SecretKey: secret, Region: "us-east-1"},
			AssumeTaskRole: role != "", AsTaskRole: role, HTTPClient: hc,
		})
	}}
}

func storageSpec(write, asRole bool, tasks ...evidence.TaskSpec) *evidence.PreflightSpec {
	return &evidence.PreflightSpec{Project: "flytesnacks", Domain: "development", Namespace: "flytesnacks-development",
		Tasks: tasks, WriteProbe: write, AsTaskRole: asRole, Skipped: onlyLayers(Storage)}
}

func TestStorageChecksAgainstRealS3(t *testing.T) {
	v := stackEnv(t, "STACK_S3_BUCKET", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
		"STACK_S3_READER_ACCESS_KEY_ID", "STACK_S3_READER_SECRET_ACCESS_KEY", "STACK_S3_DENIED_ACCESS_KEY_ID", "STACK_S3_DENIED_SECRET_ACCESS_KEY")
	bucket := v[0]
	prefix := "s3://" + bucket + "/preflight-" + randSuffix()
	missing := "s3://flytedoctor-no-such-bucket-" + randSuffix() + "/data"
	tasks := []evidence.TaskSpec{{Name: "ok", RawOutputPrefix: prefix}, {Name: "nobucket", RawOutputPrefix: missing}}

	root := runChecks(t, storageEnv(t, v[1], v[2], true), storageSpec(true, false, tasks...))
	wantStatus(t, result(t, root, "FDP401", prefix), evidence.CheckPass, "readable")
	wantStatus(t, result(t, root, "FDP402", prefix), evidence.CheckPass, "marker written and deleted")
	wantStatus(t, result(t, root, "FDP401", missing), evidence.CheckFail, "does not exist")
	wantStatus(t, result(t, root, "FDP403", "task role"), evidence.CheckSkip, "--as-task-role")
	// The marker is gone: the prefix lists empty.
	cl, err := storageEnv(t, v[1], v[2], false).Storage(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	out, err := cl.S3.ListObjectsV2(context.Background(), &awss3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String(strings.TrimPrefix(prefix, "s3://"+bucket+"/"))})
	if err != nil || len(out.Contents) != 0 {
		t.Errorf("after the write probe: %d objects under the prefix, err %v", len(out.Contents), err)
	}

	// The reader may list but not write.
	reader := runChecks(t, storageEnv(t, v[3], v[4], true), storageSpec(true, false, tasks[0]))
	wantStatus(t, result(t, reader, "FDP401", prefix), evidence.CheckPass)
	wantStatus(t, result(t, reader, "FDP402", prefix), evidence.CheckFail, "may not write", "AccessDenied")

	// The denied user may not even list; without --write-probe nothing is written.
	denied := runChecks(t, storageEnv(t, v[5], v[6], false), storageSpec(false, false, tasks[0]))
	wantStatus(t, result(t, denied, "FDP401", prefix), evidence.CheckFail, "may not list", "AccessDenied")
	wantStatus(t, result(t, denied, "FDP402", prefix), evidence.CheckSkip, "--write-probe")
	for _, p := range denied.Probes {
		for _, sp := range p.Storage.Probes {
			if sp.Operation == "PutObject" || sp.Operation == "DeleteObject" {
				t.Errorf("without --write-probe a %s was sent", sp.Operation)
			}
		}
	}
}

// --as-task-role with an S3 server that has no STS beside it: the role cannot be assumed, so
// the check is skipped with the reason, not passed, and the probes say who they ran as.
func TestStorageAsTaskRoleWithoutSTS(t *testing.T) {
	v := stackEnv(t, "STACK_S3_BUCKET", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")
	prefix := "s3://" + v[0] + "/data"
	role := "arn:aws:iam::123456789012:role/flyte-task"
	c := runChecks(t, storageEnv(t, v[1], v[2], false), storageSpec(false, true, evidence.TaskSpec{Name: "t", RawOutputPrefix: prefix, IAMRole: role}))
	wantStatus(t, result(t, c, "FDP403", prefix+" as "+role), evidence.CheckSkip, "cannot assume "+role)
	wantStatus(t, result(t, c, "FDP401", prefix+" as "+role), evidence.CheckPass)
}

func TestStorageWithoutCredentialsIsSkipped(t *testing.T) {
	env := &Env{Storage: func(context.Context, string) (*s3.Clients, error) { return nil, s3.ErrNoCredentials }}
	c := runChecks(t, env, storageSpec(true, false, evidence.TaskSpec{Name: "t", RawOutputPrefix: "s3://b/p"}))
	for _, r := range c.Results {
		wantStatus(t, r, evidence.CheckSkip)
	}
	wantStatus(t, result(t, c, "FDP401", "s3://b/p"), evidence.CheckSkip, "no AWS credentials")
}
