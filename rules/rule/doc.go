// Package rule is the contract every rule family implements: Rule, Pass (what one run of a
// rule sees, and where it reports its Hits), Hit, Fix, Subject, Severity, the categories, and
// Site, the one place a PerSite rule reads. It also unwraps Flyte's error
// wrappers, which Site.Error needs.
package rule
