package storage

import (
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

func Seeds() []string {
	return []string{
		"SYSTEM:DownloadDataError: error=Failed to get data from s3://acme-flyte/metadata/propeller/flytesnacks-development-a1b2/n0/data/inputs.pb to /tmp/flyte-abc/inputs.pb (recursive=False).\n\nOriginal exception: An error occurred (403) when calling the HeadObject operation: Forbidden",
		"botocore.exceptions.ClientError: An error occurred (AccessDenied) when calling the GetObject operation: User: arn:aws:sts::123456789012:assumed-role/flyte-task/botocore-session-1 is not authorized to perform: s3:GetObject on resource: \"arn:aws:s3:::acme-data/train/shard-0.parquet\" with an explicit deny in an identity-based policy",
		"failed to read data from dataDir [s3://acme-flyte/metadata/propeller/p-d-x/n1/data/0/outputs.pb]. Error: path:s3://acme-flyte/metadata/propeller/p-d-x/n1/data/0/outputs.pb: [AccessDenied] Access Denied: status code: 403, request id: 8Q2, host id: abc",
		"SYSTEM:UploadDataError: error=Failed to put data from /tmp/out to s3://acme-flyte/raw/ab/cd (recursive=True).\n\nOriginal exception: An error occurred (RequestTimeTooSkewed) when calling the PutObject operation: The difference between the request time and the current time is too large.",
		"botocore.exceptions.NoCredentialsError: Unable to locate credentials\n  File \"/usr/local/lib/python3.11/site-packages/s3fs/core.py\", line 113, in _error_wrapper",
		"An error occurred (PermanentRedirect) when calling the ListObjectsV2 operation: The bucket you are attempting to access must be addressed using the specified endpoint. the region 'us-east-1' is wrong; expecting 'eu-west-1'",
		"USER:ValueError: error=Value error!  Received: s3://acme-flyte/inputs/missing.csv. File not found",
	}
}

var causes = []string{accessDenied, noSuchBucket, noSuchKey, invalidCreds,
	expiredCreds, noCreds, wrongRegion, clockSkew}

func FuzzStorageText(f *testing.F) {
	for _, s := range Seeds() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		sf := classify(text)
		if sf == nil {
			return
		}
		if !oneOf(sf.cause, causes...) {
			t.Errorf("cause %q", sf.cause)
		}
		line := strings.TrimSuffix(strings.TrimPrefix(sf.line, "... "), " ...")
		if !strings.Contains(text, line) {
			t.Errorf("line %q is not part of %q", sf.line, text)
		}
		if len(sf.line) > 400+len("... ")+len(" ...") {
			t.Errorf("line is %d bytes long", len(sf.line))
		}
		if utf8.ValidString(text) && !utf8.ValidString(sf.line) {
			t.Errorf("line %q cuts a character", sf.line)
		}
		for what, v := range map[string]string{"bucket": sf.bucket, "key": sf.key, "op": sf.op, "principal": sf.principal} {
			if !strings.Contains(text, v) {
				t.Errorf("%s %q is not part of the text", what, v)
			}
		}
		if sf.code == "" {
			t.Errorf("no code for %q", text)
		}
	})
}

// oneOf reports whether v is one of allowed.
func oneOf(v string, allowed ...string) bool { return slices.Contains(allowed, v) }
