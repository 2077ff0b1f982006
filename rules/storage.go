package rules

func storageRules() []*Rule { return nil }
