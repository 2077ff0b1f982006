// Package checks is flytedoctor's preflight: what would make a task fail, found before it is
// registered. It is a table of checks (Table), like the rules: each has an ID, a title, a doc,
// the probes it needs and a verdict. Probes (Probes) do the I/O — Flyte Admin, the image
// registries, the Kubernetes API, S3 — and record what they saw as evidence; verdicts are pure
// functions of that evidence and of the spec (what is about to run), so a saved snapshot is
// judged again offline with the same result.
//
// A probe that cannot run (no kubeconfig, no credentials, forbidden) is recorded as skipped with
// its reason, and the checks that need it are skipped too: a check passes only on evidence.
//
// Secrets the tasks request are checked by name only, with a metadata-only read
// (PartialObjectMetadata), so their values are never fetched. The image pull secrets of the
// task's service account are read in full when RBAC allows, because authenticating to the
// registry as the kubelet would needs them; only the registries they cover are recorded.
package checks
