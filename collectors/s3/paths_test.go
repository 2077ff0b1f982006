package s3

import (
	"fmt"
	"strings"
	"testing"

	"github.com/flytedoctor/flytedoctor/collectors/evidence"
)

const meta = "s3://flyte-data/metadata/propeller/flytesnacks-development-a1b2c3"

// downloadErr is flytekit's DownloadDataError as a task's error.pb carries it (facts D6).
const downloadErr = "Traceback (most recent call last):\n" +
	"  File \"/usr/local/lib/python3.11/site-packages/flytekit/core/data_persistence.py\", line 615, in get_data\n" +
	"SYSTEM:DownloadDataError: error=Failed to get data from s3://flyte-data/metadata/propeller/flytesnacks-development-a1b2c3/n1/data/inputs.pb to /tmp/flytekj2d9/local_flytekit/inputs.pb (recursive=False).\n\n" +
	"Original exception: An error occurred (403) when calling the HeadObject operation: Forbidden"

func sampleExecution() *evidence.Execution {
	id := evidence.ExecutionID{Project: "flytesnacks", Domain: "development", Name: "a1b2c3"}
	child := &evidence.Execution{
		ID: evidence.ExecutionID{Project: "flytesnacks", Domain: "development", Name: "c9"}, Phase: "FAILED",
		RawOutputPrefix: "gs://other-bucket/data",
		Nodes: []*evidence.Node{{ID: "n0", Phase: "FAILED", Kind: evidence.KindTask,
			InputURI: "s3://flyte-data/metadata/propeller/flytesnacks-development-c9/n0/data/inputs.pb"}},
	}
	return &evidence.Execution{
		ID: id, Phase: "FAILED",
		InputsURI:       "s3://flyte-data/metadata/flytesnacks/development/a1b2c3/inputs",
		RawOutputPrefix: "s3://flyte-user-data/data",
		Error:           &evidence.ExecutionError{Code: "USER", Message: "Workflow[flytesnacks:development:wf] failed. RuntimeExecutionError: max number of system retry attempts [11/10] exhausted. Last known status message: failed at Node[n1]. DownloadDataError"},
		Nodes: []*evidence.Node{
			{ID: "n0", Phase: "SUCCEEDED", Kind: evidence.KindTask,
				InputURI: meta + "/n0/data/inputs.pb", OutputURI: meta + "/n0/data/0/outputs.pb"},
			{ID: "n1", Phase: "FAILED", Kind: evidence.KindTask, InputURI: meta + "/n1/data/inputs.pb",
				Error: &evidence.ExecutionError{Code: "SYSTEM", Kind: "SYSTEM", ErrorURI: meta + "/n1/data/1/error.pb", Message: downloadErr},
				Attempts: []*evidence.TaskAttempt{
					{RetryAttempt: 0, Phase: "FAILED", InputURI: meta + "/n1/data/inputs.pb",
						Error: &evidence.ExecutionError{ErrorURI: meta + "/n1/data/0/error.pb", Message: downloadErr}},
					{RetryAttempt: 1, Phase: "FAILED", InputURI: meta + "/n1/data/inputs.pb",
						Error:   &evidence.ExecutionError{ErrorURI: meta + "/n1/data/1/error.pb", Message: downloadErr},
						Reasons: []evidence.Reason{{Message: "task failed: failed to read data from dataDir [s3://flyte-data/metadata/propeller/flytesnacks-development-a1b2c3/n1/data/1]."}}},
				}},
			{ID: "n2", Phase: "FAILED", Kind: evidence.KindLaunchPlan, ChildExecution: child},
		},
	}
}

func describePaths(ps []evidence.StoragePath) []string {
	var out []string
	for _, p := range ps {
		s := p.Purpose + " " + p.Kind + " " + p.URI
		if p.Node != nil {
			s += " @" + p.Node.Execution.Name + "/" + p.Node.NodeID
		}
		if p.Reason != "" {
			s += " (" + p.Reason + ")"
		}
		out = append(out, s)
	}
	return out
}

func TestPathsRealisticExecution(t *testing.T) {
	probe, unprobed := Paths(sampleExecution(), "s3://fallback/raw")
	want := []string{
		"execution-inputs object s3://flyte-data/metadata/flytesnacks/development/a1b2c3/inputs",
		"raw-output-prefix prefix s3://flyte-user-data/data",
		"metadata-prefix prefix " + meta + "/",
		"node-inputs object " + meta + "/n1/data/inputs.pb @a1b2c3/n1",
		"node-outputs prefix " + meta + "/n1/data/1/ @a1b2c3/n1",
		"error object " + meta + "/n1/data/1/error.pb @a1b2c3/n1",
		"error object " + meta + "/n1/data/0/error.pb @a1b2c3/n1",
		"metadata-prefix prefix s3://flyte-data/metadata/propeller/flytesnacks-development-c9/",
		"node-inputs object s3://flyte-data/metadata/propeller/flytesnacks-development-c9/n0/data/inputs.pb @c9/n0",
	}
	got := describePaths(probe)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("probe paths:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	wantU := []string{"raw-output-prefix prefix gs://other-bucket/data (scheme gs:// is not probed)"}
	if g := describePaths(unprobed); strings.Join(g, "\n") != strings.Join(wantU, "\n") {
		t.Errorf("unprobed:\n%s\nwant:\n%s", strings.Join(g, "\n"), strings.Join(wantU, "\n"))
	}
	// The succeeded node's files are not probed; the download message's path is the node's input.
	for _, p := range probe {
		if strings.Contains(p.URI, "/n0/data/0/outputs.pb") {
			t.Errorf("succeeded node probed: %s", p.URI)
		}
	}
}

func TestPathsFallbackRawPrefixAndNil(t *testing.T) {
	ex := &evidence.Execution{ID: evidence.ExecutionID{Project: "p", Domain: "d", Name: "e"}, Phase: "FAILED"}
	probe, _ := Paths(ex, "s3://my-s3-bucket/data")
	if got := describePaths(probe); len(got) != 1 || got[0] != "raw-output-prefix prefix s3://my-s3-bucket/data" {
		t.Errorf("fallback: %q", got)
	}
	probe, unprobed := Paths(nil, "")
	if len(probe)+len(unprobed) != 0 {
		t.Errorf("nil execution without fallback: %v %v", probe, unprobed)
	}
}

func TestPathsQuotedMessages(t *testing.T) {
	tests := []struct {
		name string
		msg  string
		want []string // purpose kind uri
	}{
		{"download with a key holding spaces and unicode",
			"SYSTEM:DownloadDataError: error=Failed to get data from s3://flyte-data/data/ab/run 1/my file é.csv to /tmp/flyte/x/my file é.csv (recursive=False).\n\nOriginal exception: AccessDenied",
			[]string{"quoted-in-error object s3://flyte-data/data/ab/run 1/my file é.csv"}},
		{"upload names the remote second",
			"SYSTEM:UploadDataError: error=Failed to put data from /tmp/flyte/out to s3a://flyte-data/data/k0/abc-n0-0 (recursive=True).\n\nOriginal exception: Access Denied",
			[]string{"quoted-in-error prefix s3a://flyte-data/data/k0/abc-n0-0"}},
		{"propeller brackets and flytestdlib path:",
			"failed to read data from dataDir [s3://b/metadata/propeller/p-d-e/n3/data/0]. Error: path:s3://b/metadata/propeller/p-d-e/n3/data/0/outputs.pb: not found",
			[]string{"quoted-in-error prefix s3://b/metadata/propeller/p-d-e/n3/data/0", "quoted-in-error object s3://b/metadata/propeller/p-d-e/n3/data/0/outputs.pb"}},
		{"offloaded literal, gs and a log link",
			"Failed to get data from gs://g-bucket/x/o0_offloaded_metadata.pb to /tmp/a (recursive=False). see https://console.example.com/x and s3://b/x/o1_offloaded_metadata.pb.",
			[]string{"offloaded-literal object s3://b/x/o1_offloaded_metadata.pb", "offloaded-literal object gs://g-bucket/x/o0_offloaded_metadata.pb (scheme gs:// is not probed)"}},
		{"quoted in single quotes", "Could not open 's3://b/k/model.joblib'", []string{"quoted-in-error object s3://b/k/model.joblib"}},
		{"abfs is not probed", "abfs://c@acct.dfs.core.windows.net/data/x denied", []string{"quoted-in-error prefix abfs://c@acct.dfs.core.windows.net/data/x (scheme abfs:// is not probed)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ex := &evidence.Execution{ID: evidence.ExecutionID{Project: "p", Domain: "d", Name: "e"}, Phase: "FAILED",
				Nodes: []*evidence.Node{{ID: "n0", Phase: "FAILED", Kind: evidence.KindTask,
					Attempts: []*evidence.TaskAttempt{{Phase: "FAILED", Error: &evidence.ExecutionError{Message: tt.msg}}}}}}
			probe, unprobed := Paths(ex, "")
			var got []string
			for _, s := range describePaths(append(probe, unprobed...)) {
				got = append(got, strings.Replace(s, " @e/n0", "", 1))
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
		})
	}
}

func TestPathsDeduplicates(t *testing.T) {
	u := "s3://b/metadata/propeller/p-d-e/n0/data/inputs.pb"
	ex := &evidence.Execution{ID: evidence.ExecutionID{Project: "p", Domain: "d", Name: "e"}, Phase: "FAILED",
		RawOutputPrefix: "s3://b/raw/",
		Error:           &evidence.ExecutionError{Message: "Failed to get data from s3a://b/metadata/propeller/p-d-e/n0/data/inputs.pb to /tmp/x (recursive=False)"},
		Nodes: []*evidence.Node{
			{ID: "n0", Phase: "FAILED", InputURI: u, Attempts: []*evidence.TaskAttempt{{InputURI: u}, {RetryAttempt: 1, InputURI: u}}},
			{ID: "n1", Phase: "RUNNING", InputURI: "s3://b/metadata/propeller/p-d-e/n1/data/inputs.pb"},
		},
	}
	probe, _ := Paths(ex, "s3://b/raw")
	got := describePaths(probe)
	want := []string{
		"raw-output-prefix prefix s3://b/raw/",
		"node-inputs object s3a://b/metadata/propeller/p-d-e/n0/data/inputs.pb @e/n0",
		"metadata-prefix prefix s3://b/metadata/propeller/p-d-e/",
		"node-outputs prefix s3://b/metadata/propeller/p-d-e/n0/data/1/ @e/n0",
		"node-inputs object s3://b/metadata/propeller/p-d-e/n1/data/inputs.pb @e/n1",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestParseURI(t *testing.T) {
	tests := []struct {
		in                  string
		scheme, bucket, key string
		ok                  bool
	}{
		{"s3://flyte-data/metadata/propeller/a/n0/data/inputs.pb", "s3", "flyte-data", "metadata/propeller/a/n0/data/inputs.pb", true},
		{"S3A://bucket/key with space", "s3a", "bucket", "key with space", true},
		{"s3://bucket/my%20file%C3%A9.csv", "s3", "bucket", "my fileé.csv", true},
		{"s3://bucket/100%-done", "s3", "bucket", "100%-done", true}, // not an escape: kept
		{"s3://bucket/a?b#c", "s3", "bucket", "a?b#c", true},
		{"s3://bucket", "s3", "bucket", "", true},
		{"gs://g/x", "gs", "g", "x", true},
		{"/tmp/local", "", "", "", false},
		{"://x", "", "", "", false},
	}
	for _, tt := range tests {
		l, ok := parseURI(tt.in)
		if ok != tt.ok || l.scheme != tt.scheme || l.bucket != tt.bucket || l.key != tt.key {
			t.Errorf("parseURI(%q) = %+v, %v", tt.in, l, ok)
		}
	}
}

func TestPathsUnprobedReasons(t *testing.T) {
	ex := &evidence.Execution{ID: evidence.ExecutionID{Project: "p", Domain: "d", Name: "e"}, Phase: "FAILED",
		InputsURI: "gs://g/metadata/p/d/e/inputs", OutputsURI: "/tmp/local/outputs.pb", RawOutputPrefix: "s3:///nobucket"}
	_, unprobed := Paths(ex, "")
	got := describePaths(unprobed)
	want := []string{
		"execution-inputs object gs://g/metadata/p/d/e/inputs (scheme gs:// is not probed)",
		"execution-outputs object /tmp/local/outputs.pb (not a storage URI)",
		"raw-output-prefix prefix s3:///nobucket (no bucket in URI)",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
