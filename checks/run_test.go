package checks

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/flytedoctor/flytedoctor/collectors/evidence"
	"github.com/flytedoctor/flytedoctor/internal/faultsrv"
)

// Probes run concurrently, never more than MaxConcurrency at once.
func TestProbesRunConcurrentlyWithinTheBound(t *testing.T) {
	var mu sync.Mutex
	inFlight, peak := 0, 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.Contains(r.URL.Path, "/manifests/") {
			return // the /v2/ ping: 200, no auth
		}
		mu.Lock()
		inFlight++
		peak = max(peak, inFlight)
		mu.Unlock()
		time.Sleep(100 * time.Millisecond) // hold the request so that others overlap it
		mu.Lock()
		inFlight--
		mu.Unlock()
		http.Error(w, `{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}`, http.StatusNotFound)
	}))
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	var images []string
	for i := range 6 {
		images = append(images, host+"/acme/app:v"+strconv.Itoa(i))
	}
	start := time.Now()
	c := runChecks(t, &Env{Transport: guarded(t), MaxConcurrency: 2}, imageSpec(evidence.TaskSpec{Name: "t", Images: images}))
	took := time.Since(start)
	if peak != 2 {
		t.Errorf("peak %d requests in flight, want the bound, 2", peak)
	}
	t.Logf("6 probes of 100 ms, two at a time: %s", took)
	for _, img := range images {
		wantStatus(t, result(t, c, "FDP203", img), evidence.CheckFail, "not found")
	}
}

// A registry that accepts and never answers ends its probe at ProbeTimeout, as unreachable.
func TestHungRegistryEndsAtTheProbeTimeout(t *testing.T) {
	addr := faultsrv.Silent(t)
	start := time.Now()
	c := runChecks(t, &Env{Transport: guarded(t), ProbeTimeout: 500 * time.Millisecond}, imageSpec(evidence.TaskSpec{Name: "t", Images: []string{addr + "/acme/app:v1"}}))
	if d := time.Since(start); d > 1500*time.Millisecond {
		t.Errorf("took %s with a 500ms probe timeout", d)
	}
	wantStatus(t, result(t, c, "FDP203", addr), evidence.CheckFail, "cannot be reached")
}
