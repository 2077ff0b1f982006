// Package rules classifies a failure from an evidence snapshot. A rule is a value (the contract
// is in package rule); the catalogue (catalog.go) lists every rule, in precedence order, from
// one package per family (imagepull, pending, storage, config, memory, usercode, timeout,
// interruption, system, collection). Every rule has one signature, Run func(*rule.Pass), and
// reports with pass.Report; it is pure — it reads the snapshot and never does I/O — so the same
// rules run live, offline on a support bundle, and in golden tests. Families share their readers of evidence through rules/internal/read and never import
// one another.
//
// The engine builds one Site per place where something went wrong (the deepest failed node of
// each failing path, or a node stuck waiting), runs every PerSite rule on it (pass.Site is the
// place), and keeps one root cause per site: the most severe hit, ties broken by table order,
// which lists specific rules before generic ones. Hits of the same category on the same site
// are corroboration and fold into the root cause. WholeSnapshot rules (collection problems,
// bucket-level probes) run once, with pass.Site nil, and report on the snapshot as a whole.
package rules
