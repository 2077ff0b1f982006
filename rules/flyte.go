package rules

func flyteRules() []*Rule { return nil }
