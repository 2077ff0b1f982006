package checks

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/flytedoctor/flytedoctor/collectors/evidence"
	"github.com/flytedoctor/flytedoctor/internal/testnet"
)

func randSuffix() string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// stackEnv returns the stack variable or skips the test.
func stackEnv(t testing.TB, names ...string) []string {
	t.Helper()
	var out []string
	for _, n := range names {
		v := os.Getenv(n)
		if v == "" {
			t.Skipf("no test stack: %s is unset (scripts/stack/stack-up.sh, then source its env.sh; make test does both)", n)
		}
		out = append(out, v)
	}
	return out
}

// guarded is an HTTP transport that dials loopback only and fails the test otherwise.
func guarded(t testing.TB) http.RoundTripper {
	g := testnet.New(t)
	return &http.Transport{DialContext: g.DialContext, Proxy: nil}
}

func runChecks(t testing.TB, env *Env, spec *evidence.PreflightSpec) *evidence.Checks {
	t.Helper()
	if env.Now == nil {
		env.Now = time.Now
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	return Run(ctx, env, Table(), Probes(), spec)
}

// result finds the one result of check id whose subject starts with subject (and whose task is
// task, when given).
func result(t testing.TB, c *evidence.Checks, id, subject string, task ...string) evidence.CheckResult {
	t.Helper()
	var found []evidence.CheckResult
	for _, r := range c.Results {
		if r.ID == id && strings.HasPrefix(r.Subject, subject) && (len(task) == 0 || r.Task == task[0]) {
			found = append(found, r)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%s on %q: %d results, want 1; all results:\n%s", id, subject, len(found), dump(c.Results))
	}
	return found[0]
}

func dump(rs []evidence.CheckResult) string {
	var b strings.Builder
	for _, r := range rs {
		b.WriteString("  " + r.ID + " " + r.Status + " " + r.Subject + " [" + r.Task + "]: " + r.Summary + "\n")
	}
	return b.String()
}

func wantStatus(t testing.TB, r evidence.CheckResult, status string, summaryHas ...string) {
	t.Helper()
	if r.Status != status {
		t.Errorf("%s on %s: status %s, want %s: %s", r.ID, r.Subject, r.Status, status, r.Summary)
	}
	for _, s := range summaryHas {
		if !strings.Contains(r.Summary, s) {
			t.Errorf("%s on %s: summary %q lacks %q", r.ID, r.Subject, r.Summary, s)
		}
	}
}

func onlyLayers(keep ...Layer) map[string]string {
	out := map[string]string{}
	for _, l := range Layers {
		skip := true
		for _, k := range keep {
			if k == l {
				skip = false
			}
		}
		if skip {
			out[string(l)] = "not under test"
		}
	}
	return out
}
