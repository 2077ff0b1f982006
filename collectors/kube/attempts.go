package kube

import (
	"net/http"

	"github.com/flytedoctor/flytedoctor/collectors/evidence"
)

// countAttempts wraps client-go's transport so that each request it sends, its own retries
// included, is counted as an attempt of the collector's call in the request's context.
func countAttempts(rt http.RoundTripper) http.RoundTripper { return attemptCounter{rt} }

type attemptCounter struct{ next http.RoundTripper }

func (a attemptCounter) RoundTrip(req *http.Request) (*http.Response, error) {
	evidence.CountAttempt(req.Context())
	return a.next.RoundTrip(req)
}

// WrappedRoundTripper lets client-go's connection handling (CloseIdleConnections) see through.
func (a attemptCounter) WrappedRoundTripper() http.RoundTripper { return a.next }
