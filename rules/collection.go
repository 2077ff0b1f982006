package rules

func collectionRules() []*Rule { return nil }
