package s3

import (
	"errors"
	"net/http"
	"strings"
	"testing"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/flytedoctor/flytedoctor/collectors/evidence"
)

func uriSeeds() []string {
	return []string{
		"s3://flyte-data/metadata/propeller/flytesnacks-development-a1b2c3/n1/data/inputs.pb",
		"s3a://my-bucket/raw/ab/cd/",
		"gs://flyte-gcs/metadata/x",
		"abfs://container@account.dfs.core.windows.net/path",
		"S3://Bucket/key%20with%20space/%C3%A9t%C3%A9.csv",
		"s3://bucket/100%/done?x=1#frag",
		"s3://",
		"  s3://b  ",
		"/tmp/flytekj2d9/local_flytekit/inputs.pb",
	}
}

// FuzzParseURI: an accepted URI has a lower-case scheme and a bucket without slashes, both as
// written at the start of the input.
func FuzzParseURI(f *testing.F) {
	for _, s := range uriSeeds() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		l, ok := parseURI(raw)
		if !ok {
			return
		}
		trimmed := strings.TrimSpace(raw)
		if l.scheme == "" || l.scheme != strings.ToLower(l.scheme) || !strings.HasPrefix(strings.ToLower(trimmed), l.scheme+"://") {
			t.Fatalf("parseURI(%q): scheme %q", raw, l.scheme)
		}
		if strings.Contains(l.bucket, "/") || !strings.HasPrefix(trimmed[len(l.scheme)+3:], l.bucket) {
			t.Fatalf("parseURI(%q): bucket %q", raw, l.bucket)
		}
		if rest := trimmed[len(l.scheme)+3+len(l.bucket):]; !strings.Contains(rest, "%") && strings.TrimPrefix(rest, "/") != l.key {
			t.Fatalf("parseURI(%q): key %q", raw, l.key)
		}
		if s := l.String(); l.s3() && !strings.HasPrefix(s, "s3://") {
			t.Fatalf("parseURI(%q).String() = %q", raw, s)
		}
	})
}

func messageSeeds() []string {
	return []string{
		downloadErr,
		"SYSTEM:UploadDataError: error=Failed to put data from /tmp/out dir to s3://acme-flyte/raw/ab/cd/my key (recursive=True).\n\nOriginal exception: Access Denied",
		"failed to read data from dataDir [s3://acme-flyte/metadata/propeller/p-d-x/n1/data/0/outputs.pb]. Error: path:s3://acme-flyte/metadata/propeller/p-d-x/n1/data/0/outputs.pb: [AccessDenied]",
		"USER:ValueError: error=Value error!  Received: gs://acme/inputs/missing.csv. File not found",
		"Failed to get data from s3://a/b to /tmp/x (recursive=False) and Failed to put data from /tmp/y to s3://a/c (recursive=True)",
		"offloaded: s3://acme-flyte/metadata/x/n0/data/0/_offloaded_metadata.pb, `s3n://old/style`",
	}
}

// FuzzPaths puts a message everywhere Paths reads quoted URIs: every path found in it is part
// of the message, probes are usable s3:// paths, and no object or prefix appears twice.
func FuzzPaths(f *testing.F) {
	for _, s := range messageSeeds() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, msg string) {
		ex := messageExecution(msg)
		probe, unprobed := Paths(ex, "s3://fallback/raw")
		seen := map[string]bool{}
		for _, p := range append(append([]evidence.StoragePath{}, probe...), unprobed...) {
			if p.URI == "" || strings.TrimSpace(p.URI) != p.URI {
				t.Fatalf("path %q", p.URI)
			}
			if (p.Purpose == evidence.PurposeQuotedInError || p.Purpose == evidence.PurposeOffloadedLiteral) && !strings.Contains(msg, p.URI) {
				t.Fatalf("quoted path %q is not in the message", p.URI)
			}
			key := p.Kind + " " + p.URI
			if l, ok := parseURI(p.URI); ok {
				key = p.Kind + " " + strings.TrimSuffix(l.String(), "/")
			}
			if seen[key] && p.Kind == evidence.PathObject {
				t.Fatalf("path %s listed twice", key)
			}
			seen[key] = true
		}
		for _, p := range probe {
			if l, ok := parseURI(p.URI); !ok || !l.s3() || l.bucket == "" || p.Reason != "" {
				t.Fatalf("probe of unusable path %+v", p)
			}
		}
		for _, p := range unprobed {
			if p.Reason == "" {
				t.Fatalf("unprobed path %q without a reason", p.URI)
			}
		}
	})
}

func messageExecution(msg string) *evidence.Execution {
	id := evidence.ExecutionID{Project: "flytesnacks", Domain: "development", Name: "a1b2c3"}
	return &evidence.Execution{ID: id, Phase: "FAILED", Error: &evidence.ExecutionError{Message: msg}, AbortCause: msg,
		Nodes: []*evidence.Node{{ID: "n1", Phase: "FAILED", Kind: evidence.KindTask,
			InputURI: "s3://flyte-data/metadata/propeller/flytesnacks-development-a1b2c3/n1/data/inputs.pb",
			Error:    &evidence.ExecutionError{Message: msg},
			Attempts: []*evidence.TaskAttempt{{Phase: "FAILED", Reason: msg, Error: &evidence.ExecutionError{Message: msg}}}}}}
}

// FuzzClassify reads S3 answers built from fuzzed status, code, message and region headers (and
// network errors from fuzzed text): the outcome is one of the probe outcomes and what is kept
// of the server's text is one line.
func FuzzClassify(f *testing.F) {
	f.Add(uint16(403), "AccessDenied", "Access Denied", "")
	f.Add(uint16(301), "MovedPermanently", "", "eu-west-1")
	f.Add(uint16(404), "NoSuchKey", "The specified key does not exist.", "")
	f.Add(uint16(400), "ExpiredToken", "The provided token has expired.\n", "")
	f.Add(uint16(0), "", "dial tcp 127.0.0.1:9: connect: connection refused", "")
	f.Add(uint16(500), "", "<html>\r\n<body>Internal Server Error</body></html>", "")
	f.Fuzz(func(t *testing.T, code uint16, errCode, msg, region string) {
		var err error
		if code == 0 && errCode == "" {
			err = errors.New(msg)
		} else {
			resp := &smithyhttp.Response{Response: &http.Response{StatusCode: int(code), Header: http.Header{"X-Amz-Bucket-Region": {region}}}}
			err = &smithy.OperationError{ServiceID: "S3", OperationName: "HeadObject", Err: &awshttp.ResponseError{
				ResponseError: &smithyhttp.ResponseError{Response: resp, Err: &smithy.GenericAPIError{Code: errCode, Message: msg}}, RequestID: "R1"}}
		}
		fl := classify(err)
		switch fl.outcome {
		case evidence.ProbeDenied, evidence.ProbeNotFound, evidence.ProbeRedirect, evidence.ProbeError:
		default:
			t.Fatalf("outcome %q", fl.outcome)
		}
		if d := fl.describe(); strings.ContainsAny(d, "\r\n") {
			t.Fatalf("describe() = %q is not one line", d)
		}
		if code != 0 && fl.status != int(code) {
			t.Fatalf("status %d, want %d", fl.status, code)
		}
		if code == 403 && errCode == "" && fl.outcome != evidence.ProbeDenied {
			t.Fatalf("403 without a code: %q", fl.outcome)
		}
	})
}
