package collection

import (
	"github.com/flytedoctor/flytedoctor/rules/rule"
)

// Incomplete is FD9003: A collector failed or returned partial results.
func Incomplete() *rule.Rule {
	return &rule.Rule{
		ID: "FD9003", Name: "collection-incomplete", Title: "A collector failed or returned partial results",
		Category: rule.CatCollection, Causes: []string{partial, notConfigured}, Severity: rule.Warning,
		Doc: `A collector recorded status partial or failed for another reason than refusal or
unreachability: an unexpected server error, a child execution beyond the nesting limit, calls
that the run's own --timeout or a Ctrl-C / SIGTERM cut short (cause "partial"), or a collector that could not start because its configuration
is broken, such as an unreadable AWS profile (cause "not-configured"). The report is built from
what was read.`,
		Fixes: []rule.Fix{{Action: "rerun; if it persists, read the collector errors in the evidence (flytedoctor -o json, key collection)"}},
		Scope: rule.WholeSnapshot,
		Run:   reportIncomplete,
	}
}
