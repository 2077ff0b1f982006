package cli

//lint:file-ignore SA1019 flyteadmin v1.16 still fills the deprecated inputs UrlBlob of GetExecutionData, which the collector reads

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/flyteorg/flyte/flyteidl/gen/pb-go/flyteidl/admin"
	"github.com/flyteorg/flyte/flyteidl/gen/pb-go/flyteidl/core"

	"github.com/flytedoctor/flytedoctor/collectors/evidence"
	"github.com/flytedoctor/flytedoctor/collectors/flyteadmin/fakeadmin"
	"github.com/flytedoctor/flytedoctor/collectors/s3"
	"github.com/flytedoctor/flytedoctor/internal/faultsrv"
)

// gcsExecution is a failed execution whose data lives on gs:// but for the inputs of its first
// s3Nodes failed nodes (at least one node), which are on s3://.
func gcsExecution(s3Nodes int) *fakeadmin.Fixture {
	f := &fakeadmin.Fixture{}
	perr := &core.ExecutionError{Code: "USER:ValueError", Message: "ValueError: empty batch", Kind: core.ExecutionError_USER,
		ErrorUri: "gs://acme-flyte-gcp/metadata/propeller/flytesnacks-development-gcsrun/n0/data/0/error.pb"}
	ex := exec("gcsrun", core.WorkflowExecution_FAILED, perr)
	ex.Spec = &admin.ExecutionSpec{RawOutputDataConfig: &admin.RawOutputDataConfig{OutputLocationPrefix: "gs://acme-flyte-gcp/data"}}
	e := f.AddExecution(ex)
	e.Data = &admin.WorkflowExecutionGetDataResponse{Inputs: &admin.UrlBlob{Url: "gs://acme-flyte-gcp/metadata/flytesnacks/development/gcsrun/inputs"}}
	for i := range max(s3Nodes, 1) {
		id := fmt.Sprintf("n%d", i)
		input := "gs://acme-flyte-gcp/metadata/propeller/flytesnacks-development-gcsrun/" + id + "/data/inputs.pb"
		if i < s3Nodes {
			input = "s3://acme-flyte-data/metadata/propeller/flytesnacks-development-gcsrun/" + id + "/data/inputs.pb"
		}
		e.AddNode("", &admin.NodeExecution{Id: &core.NodeExecutionIdentifier{NodeId: id}, InputUri: input,
			Closure:  &admin.NodeExecutionClosure{Phase: core.NodeExecution_FAILED, OutputResult: &admin.NodeExecutionClosure_Error{Error: perr}},
			Metadata: &admin.NodeExecutionMetaData{SpecNodeId: id}})
	}
	return f
}

func startFixture(t *testing.T, f *fakeadmin.Fixture, o fakeadmin.Options) (string, *fakeadmin.Server) {
	t.Helper()
	srv := fakeadmin.New(f, o)
	ctx, cancel := context.WithCancel(context.Background())
	addr, stop, err := srv.Start(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stop(); cancel() })
	return addr, srv
}

type jsonReport struct {
	evidence.Snapshot `json:"snapshot"`
	Findings          []struct {
		RuleID  string `json:"rule_id"`
		Summary string `json:"summary"`
	} `json:"findings"`
}

func (r jsonReport) finding(id string) string {
	for _, f := range r.Findings {
		if f.RuleID == id {
			return f.Summary
		}
	}
	return ""
}

// A live run records the paths it does not probe, as the storage evidence of a fixture does,
// and the "not probed" finding fires; with nothing on s3:// no AWS credentials are looked for.
func TestLiveRunRecordsUnprobedPaths(t *testing.T) {
	addr, _ := startFixture(t, gcsExecution(0), fakeadmin.Options{})
	f, out, errOut := testFactory(t, nil)
	f.StorageClients = func(context.Context, s3.ClientOptions) (*s3.Clients, error) {
		t.Error("AWS clients built for an execution with nothing on s3://")
		return nil, s3.ErrNoCredentials
	}
	if code := run(f, "--admin-endpoint", addr, "--insecure", "--skip", "kube", "-o", "json", "flytesnacks/development/gcsrun"); code != ExitErrors {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var rep jsonReport
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatal(err)
	}
	st := rep.Storage
	if st == nil || len(st.Probes) != 0 || len(st.Unprobed) != 6 {
		t.Fatalf("storage = %+v", st)
	}
	for _, p := range st.Unprobed {
		if !strings.HasPrefix(p.URI, "gs://acme-flyte-gcp/") || p.Reason != "scheme gs:// is not probed" || p.Purpose == "" {
			t.Errorf("unprobed %+v", p)
		}
	}
	if rec := rep.Collection[2]; rec.Collector != "s3" || rec.Status != evidence.StatusSkipped || rec.SkipReason != "no s3:// paths to probe" {
		t.Errorf("s3 record = %+v", rec)
	}
	if got := rep.finding("FD9004"); got != "the execution's data is on gs://, which flytedoctor does not probe" {
		t.Errorf("FD9004 = %q; findings %+v", got, rep.Findings)
	}

	// Some paths on s3:// but no AWS credentials: the gs:// ones are still recorded.
	addr, _ = startFixture(t, gcsExecution(1), fakeadmin.Options{})
	f, out, errOut = testFactory(t, nil)
	if code := run(f, "--admin-endpoint", addr, "--insecure", "--skip", "kube", "-o", "json", "flytesnacks/development/gcsrun"); code != ExitErrors {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	rep = jsonReport{}
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Storage == nil || len(rep.Storage.Unprobed) != 4 || !strings.HasPrefix(rep.Collection[2].SkipReason, "no AWS credentials") {
		t.Errorf("storage %+v, s3 record %+v", rep.Storage, rep.Collection[2])
	}
}

// FD9002, the collection line and the evidence count Admin's retried call the same way, and
// the attempts are what the server saw.
func TestAdminRetriesCountedOneWay(t *testing.T) {
	addr, srv := startFixture(t, gcsExecution(0), fakeadmin.Options{Fault: func(method string, _ proto.Message) error {
		if method == "ListNodeExecutions" {
			return status.Error(codes.Unavailable, "upstream connect error")
		}
		return nil
	}})
	cfg := writeConfig(t, "admin:\n  endpoint: dns:///"+addr+"\n  insecure: true\n  maxRetries: 4\n  maxBackoffDelay: 10ms\n")
	for _, format := range []string{"text", "json"} {
		srv.ResetStats()
		f, out, errOut := testFactory(t, map[string]string{"FLYTECTL_CONFIG": cfg})
		if code := run(f, "--skip", "kube,s3", "-o", format, "flytesnacks/development/gcsrun"); code != ExitErrors {
			t.Fatalf("exit %d: %s", code, errOut)
		}
		if got := srv.Stats().Calls["ListNodeExecutions"]; got != 5 {
			t.Fatalf("the server saw %d ListNodeExecutions, want 5 (1 + maxRetries 4)", got)
		}
		summary := "Flyte Admin at dns:///" + addr + " did not answer ListNodeExecutions (Unavailable, 1 call, 5 attempts)"
		if format == "text" {
			for _, want := range []string{summary, "ListNodeExecutions 1 (5 attempts)", "FAILED ListNodeExecutions flytesnacks/development/gcsrun: Unavailable: upstream connect error (5 attempts)"} {
				if !strings.Contains(out.String(), want) {
					t.Errorf("output lacks %q:\n%s", want, out)
				}
			}
			continue
		}
		var rep jsonReport
		if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
			t.Fatal(err)
		}
		rec := rep.Collection[0]
		if rep.finding("FD9002") != summary || rec.Calls["ListNodeExecutions"] != 1 || rec.Attempts["ListNodeExecutions"] != 5 ||
			len(rec.Errors) != 1 || rec.Errors[0].Attempts != 5 {
			t.Errorf("FD9002 %q; record %+v", rep.finding("FD9002"), rec)
		}
	}
}

// An object store that accepts connections and never answers, cut short by --timeout: FD9002
// counts the calls the collection line counts, and the probes never sent apart from them.
func TestStorageTimeoutCountedOneWay(t *testing.T) {
	for k, v := range map[string]string{"AWS_ACCESS_KEY_ID": "AKIDTEST", "AWS_SECRET_ACCESS_KEY": "secret", "AWS_EC2_METADATA_DISABLED": "true",
		"AWS_CONFIG_FILE": "/dev/null", "AWS_SHARED_CREDENTIALS_FILE": "/dev/null", "AWS_ENDPOINT_URL": "", "AWS_ENDPOINT_URL_STS": "", "AWS_PROFILE": ""} {
		t.Setenv(k, v)
	}
	silent := faultsrv.Silent(t)
	// More paths than are probed before their bucket is known: the others wait for the
	// bucket checks (the collector probes 8 early).
	addr, _ := startFixture(t, gcsExecution(10), fakeadmin.Options{})
	f, out, errOut := testFactory(t, nil)
	f.StorageClients = s3.NewClients
	code := run(f, "--admin-endpoint", addr, "--insecure", "--skip", "kube", "--timeout", "1s", "--s3-endpoint", "http://"+silent,
		"-o", "json", "flytesnacks/development/gcsrun")
	if code != ExitErrors {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var rep jsonReport
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatal(err)
	}
	rec := rep.Collection[2]
	sent, notSent := 0, 0
	for _, e := range rec.Errors {
		if e.NotSent {
			notSent++
		} else {
			sent++
		}
	}
	// Every call made timed out; the path probes that waited for the bucket checks were never sent.
	if rec.Status != evidence.StatusFailed || sent != rec.TotalCalls() || sent == 0 || notSent == 0 || rec.TotalAttempts() != sent {
		t.Fatalf("s3 record = %+v", rec)
	}
	summary := rep.finding("FD9002")
	if !strings.HasPrefix(summary, "the object store did not answer ") ||
		!strings.Contains(summary, "(Timeout, "+evidence.CountText(rec.TotalCalls(), rec.TotalAttempts(), true)+")") ||
		!strings.HasSuffix(summary, " not sent before the run ended ("+evidence.CountText(notSent, 0, false)+")") {
		t.Errorf("FD9002 %q for %d calls, %d not sent", summary, rec.TotalCalls(), notSent)
	}
}
