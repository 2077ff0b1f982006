package kube

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/flytedoctor/flytedoctor/collectors/evidence"
)

// client-go retries a throttled request (429 with Retry-After) by itself; the client NewClient
// builds counts each request as an attempt of the collector's call, so the record says what
// the API server received.
func TestClientCountsClientGoRetries(t *testing.T) {
	var mu sync.Mutex
	seen := map[string]int{} // path → requests
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen[r.URL.Path]++
		n := seen[r.URL.Path]
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		switch {
		case strings.HasSuffix(r.URL.Path, "/pods") && n <= 2:
			w.Header().Set("Retry-After", "0")
			w.WriteHeader(http.StatusTooManyRequests)
			fmt.Fprint(w, `{"kind":"Status","apiVersion":"v1","status":"Failure","reason":"TooManyRequests","code":429}`)
		case strings.HasSuffix(r.URL.Path, "/pods"):
			fmt.Fprint(w, `{"kind":"PodList","apiVersion":"v1","metadata":{},"items":[]}`)
		case strings.HasSuffix(r.URL.Path, "/events"):
			fmt.Fprint(w, `{"kind":"EventList","apiVersion":"v1","metadata":{},"items":[]}`)
		default:
			w.WriteHeader(http.StatusNotFound)
			fmt.Fprint(w, `{"kind":"Status","apiVersion":"v1","status":"Failure","reason":"NotFound","code":404}`)
		}
	}))
	defer srv.Close()
	cfg := writeFile(t, t.TempDir(), "config", `apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "`+srv.URL+`"}}]
users: [{name: u, user: {token: t}}]
contexts: [{name: x, context: {cluster: c, user: u, namespace: ns}}]
current-context: x
`)
	cs, _, err := NewClient(ClientOptions{Kubeconfig: cfg})
	if err != nil {
		t.Fatal(err)
	}
	_, rec := (&Collector{Client: cs, Namespace: "ns", NamespaceSource: SourceAdmin}).Collect(context.Background(), sampleExecution("abc"))

	mu.Lock()
	defer mu.Unlock()
	total := 0
	for _, n := range seen {
		total += n
	}
	if rec.Calls[callListPods] != 1 || rec.Attempts[callListPods] != 3 || seen["/api/v1/namespaces/ns/pods"] != 3 {
		t.Errorf("list pods: %d calls, %d attempts; server %v", rec.Calls[callListPods], rec.Attempts[callListPods], seen)
	}
	if rec.TotalAttempts() != total || rec.TotalCalls() != total-2 {
		t.Errorf("record calls %v, attempts %v; the server saw %d requests (%v)", rec.Calls, rec.Attempts, total, seen)
	}
	if rec.Status != evidence.StatusOK {
		t.Errorf("status %s: %+v", rec.Status, rec.Errors)
	}
}
