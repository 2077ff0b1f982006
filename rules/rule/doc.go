// Package rule is the contract every rule family implements: Rule, Hit, Fix, Subject, Severity,
// the categories, and Site, the one place a site rule reads. It also unwraps Flyte's error
// wrappers, which Site.Error needs.
package rule
