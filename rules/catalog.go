package rules

// Table returns every rule, in precedence order: within a category, specific rules come before
// generic ones, and the generic fallbacks of catalog_fallback.go come last. IDs are grouped by
// category (FD1 image pull, FD2 pending, FD3 storage, FD4 config, FD5 memory and user code,
// FD6 timeouts, FD7 interruptions, FD8 system and aborts, FD9 collection) and never reused.
func Table() []*Rule {
	var t []*Rule
	t = append(t, imagePullRules()...)
	t = append(t, pendingRules()...)
	t = append(t, storageRules()...)
	t = append(t, configRules()...)
	t = append(t, flyteRules()...)
	t = append(t, collectionRules()...)
	t = append(t, fallbackRules()...)
	return t
}

// Lookup returns the rule with the given ID.
func Lookup(table []*Rule, id string) *Rule {
	for _, r := range table {
		if r.ID == id {
			return r
		}
	}
	return nil
}
