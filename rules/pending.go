package rules

func pendingRules() []*Rule { return nil }
