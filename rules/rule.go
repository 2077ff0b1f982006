package rules

import (
	"fmt"
	"slices"
	"strings"

	"github.com/flytedoctor/flytedoctor/rules/internal/pattern"
	"github.com/flytedoctor/flytedoctor/rules/rule"
)

var idPattern = pattern.MustCompile(`^FD\d{4}$`)

var namePattern = pattern.MustCompile(`^[a-z][a-z0-9-]*$`)

// Validate checks a rule table: unique, well-formed IDs and names, known categories, docs,
// fixes, a Run and a known Scope per rule.
func Validate(table []*rule.Rule) error {
	ids, names := map[string]bool{}, map[string]bool{}
	var errs []string
	bad := func(r *rule.Rule, format string, a ...any) {
		errs = append(errs, r.ID+": "+fmt.Sprintf(format, a...))
	}
	for _, r := range table {
		if !idPattern.MatchString(r.ID) {
			bad(r, "ID must look like FD1001")
		}
		if ids[r.ID] {
			bad(r, "duplicate ID")
		}
		ids[r.ID] = true
		if !namePattern.MatchString(r.Name) || names[r.Name] {
			bad(r, "name %q must be unique kebab-case", r.Name)
		}
		names[r.Name] = true
		if r.Title == "" || strings.HasSuffix(r.Title, ".") {
			bad(r, "title must be set, without a trailing period")
		}
		if !slices.Contains(rule.Categories, r.Category) {
			bad(r, "unknown category %q", r.Category)
		}
		if len(r.Causes) == 0 {
			bad(r, "no causes")
		}
		if strings.TrimSpace(r.Doc) == "" {
			bad(r, "no doc")
		}
		if len(r.Fixes) == 0 {
			bad(r, "no fixes")
		}
		if r.Run == nil {
			bad(r, "no Run")
		}
		if r.Scope != rule.PerSite && r.Scope != rule.WholeSnapshot {
			bad(r, "unknown scope %v", r.Scope)
		}
		for _, q := range append(append([]rule.Evidence{}, r.Requires...), r.Reads...) {
			if !slices.Contains(rule.EvidenceLayers, q) {
				bad(r, "unknown evidence %q in Requires or Reads", q)
			}
		}
		for _, id := range r.Supersedes {
			if id == r.ID || !slices.ContainsFunc(table, func(o *rule.Rule) bool { return o.ID == id && o.Scope == rule.PerSite }) {
				bad(r, "supersedes %q, which is not another site rule of the table", id)
			}
		}
		for _, q := range r.Reads {
			if slices.Contains(r.Requires, q) {
				bad(r, "evidence %q both required and read", q)
			}
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("invalid rule table: %s", strings.Join(errs, "; "))
	}
	return nil
}
