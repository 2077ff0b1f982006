package rules

func configRules() []*Rule { return nil }
