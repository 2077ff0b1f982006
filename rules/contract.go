package rules

import "github.com/flytedoctor/flytedoctor/rules/rule"

// The contract lives in package rule, which every family imports; these names keep it
// readable from here, where the engine and the callers of Run meet it.
type (
	Rule     = rule.Rule
	Hit      = rule.Hit
	Fix      = rule.Fix
	Subject  = rule.Subject
	Severity = rule.Severity
	Site     = rule.Site
	Pass     = rule.Pass
	Scope    = rule.Scope
)

// Scopes: where the engine runs a rule.
const (
	PerSite       = rule.PerSite
	WholeSnapshot = rule.WholeSnapshot
)

// Severities, in increasing order.
const (
	Info    = rule.Info
	Warning = rule.Warning
	Error   = rule.Error
)

// ParseSeverity reads "error", "warning" or "info".
func ParseSeverity(v string) (Severity, error) { return rule.ParseSeverity(v) }
