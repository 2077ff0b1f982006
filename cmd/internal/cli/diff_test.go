package cli

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/flytedoctor/flytedoctor/cmd/internal/demo"
	"github.com/flytedoctor/flytedoctor/collectors/evidence"
	"github.com/flytedoctor/flytedoctor/collectors/flyteadmin/fakeadmin"
	"github.com/flytedoctor/flytedoctor/collectors/flyteconfig"
	"github.com/flytedoctor/flytedoctor/compare"
	"github.com/flyteorg/flyte/flyteidl/gen/pb-go/flyteidl/admin"
)

func scenario(t testing.TB, name string) demo.Scenario {
	t.Helper()
	scenarios, err := demo.Scenarios()
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range scenarios {
		if s.Name == name {
			return s
		}
	}
	t.Fatalf("no scenario %s", name)
	return demo.Scenario{}
}

// With one argument, B is found the way flyteadmin is asked: ListExecutions filtered on the
// launch plan and phase SUCCEEDED, before A, newest first, one row; the fake Admin answers it
// with its own filter engine over gRPC. The diff names the image change and where the failing
// node first diverges.
func TestDiffFindsLastSucceeded(t *testing.T) {
	s := scenario(t, "image-change")
	fixture, err := fakeadmin.ParseFixture(s.Fixture)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var listed []*admin.ResourceListRequest
	srv := fakeadmin.New(fixture, fakeadmin.Options{Fault: func(method string, req proto.Message) error {
		if method == "ListExecutions" {
			mu.Lock()
			listed = append(listed, proto.Clone(req).(*admin.ResourceListRequest))
			mu.Unlock()
		}
		return nil
	}})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	addr, stop, err := srv.Start(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	f, out, errOut := testFactory(t, nil)
	df, cleanup, err := demoFactory(ctx, f, s)
	if err != nil {
		t.Fatal(err)
	}
	defer cleanup()
	code := Main(ctx, df, []string{"diff", "--admin-endpoint", addr, "--insecure", "-o", "json", s.Root.String()})
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var res compare.Result
	if err := json.Unmarshal(out.Bytes(), &res); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if res.SchemaVersion != compare.SchemaVersion || res.A.Execution != s.Root || res.B.Execution.Name != "q4mz7tw2xk9rb3nv8dpc" || res.B.Phase != "SUCCEEDED" {
		t.Fatalf("A %+v B %+v", res.A, res.B)
	}
	if len(listed) != 1 {
		t.Fatalf("ListExecutions calls: %d", len(listed))
	}
	req := listed[0]
	wantFilters := "eq(launch_plan.project,flytesnacks)+eq(launch_plan.domain,development)+eq(launch_plan.name,workflows.nightly.train_wf)+eq(phase,SUCCEEDED)+lt(execution_created_at,2026-08-14T05:20:05.118Z)"
	if req.GetFilters() != wantFilters || req.GetSortBy().GetKey() != "created_at" || req.GetSortBy().GetDirection() != admin.Sort_DESCENDING || req.GetLimit() != 1 {
		t.Errorf("request %v", req)
	}
	has := func(what, subject, b, a string) bool {
		for _, c := range res.Changes {
			if c.What == what && c.Subject == subject && c.B == b && c.A == a {
				return true
			}
		}
		return false
	}
	if !has("image", "workflows.nightly.train_model", "ghcr.io/acme/trainer:v1.4.0", "ghcr.io/acme/trainer:v1.5.0") ||
		!has("launch-plan-version", "", "v2026.08.12-5d1e0b2", "v2026.08.13-9e8f7a6") {
		t.Errorf("changes %+v", res.Changes)
	}
	if fn := res.FailingNode; fn == nil || fn.DivergesAt != "n1" || fn.B.Phase != "SUCCEEDED" || fn.A.Attempts != 3 {
		t.Errorf("failing node %+v", res.FailingNode)
	}
	for _, same := range []string{"service account", "IAM role", "node pools", "2 inputs"} {
		if !strings.Contains(strings.Join(res.Same, ","), same) {
			t.Errorf("same %v lacks %s", res.Same, same)
		}
	}
}

// The request finds nothing when no earlier run succeeded: the error says so and how to go on.
func TestDiffNoEarlierSuccess(t *testing.T) {
	s := scenario(t, "image-change-before")
	f, _, errOut := testFactory(t, nil)
	err := withDemo(context.Background(), f, s, func(df *Factory, o *diagnoseOptions, cfg *flyteconfig.Config) error {
		o.Output = "text"
		return runDiff(context.Background(), df, o, cfg, []string{s.Root.String()})
	})
	if err == nil || !strings.Contains(err.Error(), "no execution of launch plan workflows.nightly.train_wf succeeded before") || !strings.Contains(err.Error(), "name B") {
		t.Fatalf("error %v (%s)", err, errOut)
	}
}

// Two bundles, offline: the same comparison as live.
func TestDiffBundles(t *testing.T) {
	dir := t.TempDir()
	f, _, _ := testFactory(t, nil)
	a, b := filepath.Join(dir, "a.tar.gz"), filepath.Join(dir, "b.tar.gz")
	demoBundle(t, f, scenario(t, "image-change"), a)
	demoBundle(t, f, scenario(t, "image-change-before"), b)
	df, out, errOut := testFactory(t, nil)
	if code := Main(context.Background(), df, []string{"diff", a, b}); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	text := out.String()
	for _, want := range []string{
		"A  flytesnacks/development/w8tk3qz5mx2vb9rn7hdc  FAILED",
		"B  flytesnacks/development/q4mz7tw2xk9rb3nv8dpc  SUCCEEDED",
		"image of workflows.nightly.train_model", "ghcr.io/acme/trainer:v1.4.0  → ghcr.io/acme/trainer:v1.5.0",
		"first divergence at n1", "Durations",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("output lacks %q:\n%s", want, text)
		}
	}
}

func TestLastSucceededRequestNoTime(t *testing.T) {
	r := LastSucceededRequest("p", "d", evidence.Identifier{Name: "lp"}, time.Time{})
	if r.GetFilters() != "eq(launch_plan.project,p)+eq(launch_plan.domain,d)+eq(launch_plan.name,lp)+eq(phase,SUCCEEDED)" {
		t.Errorf("filters %s", r.GetFilters())
	}
}
