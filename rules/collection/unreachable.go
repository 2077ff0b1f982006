package collection

import (
	"github.com/flytedoctor/flytedoctor/rules/rule"
)

// Unreachable is FD9002: A service flytedoctor reads did not answer.
func Unreachable() *rule.Rule {
	return &rule.Rule{
		ID: "FD9002", Name: "collection-unreachable", Title: "A service flytedoctor reads did not answer",
		Category: rule.CatCollection, Causes: []string{unreachable}, Severity: rule.Warning,
		Doc: `Calls to Flyte Admin, the Kubernetes API or the object store got no answer: gRPC Unavailable or
DeadlineExceeded, connection refused, DNS or TLS errors, timeouts. The collector kept what it had
(status partial) or nothing (failed). Cause "unreachable". A denied or missing storage path is
not one of these: it is evidence, reported by the storage-permission rules. Calls are counted as
the collection record counts them: one per request the collector made, however often the client
retried it, with the attempts that went on the wire where they differ ("1 call, 5 attempts");
calls the run ended before sending are counted apart.`,
		Fixes: []rule.Fix{{Action: "check the network path to the service (VPN, port-forward, proxy) and rerun; raise --timeout for slow calls"}},
		Scope: rule.WholeSnapshot,
		Run:   reportUnreachable,
	}
}
