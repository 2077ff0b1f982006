package storage

import (
	"github.com/flytedoctor/flytedoctor/rules/rule"
)

// BucketCheckFailed is FD3009: A bucket the execution uses failed flytedoctor's bucket check.
func BucketCheckFailed() *rule.Rule {
	return &rule.Rule{
		ID: "FD3009", Name: "storage-bucket-check-failed", Title: "A bucket the execution uses failed flytedoctor's bucket check",
		Category: rule.CatStoragePermission,
		Causes:   []string{accessDenied, noSuchBucket, wrongRegion, invalidCreds, expiredCreds, clockSkew},
		Severity: rule.Warning, Requires: []rule.Evidence{rule.Storage},
		Doc: `flytedoctor's HeadBucket on a bucket that holds the execution's Flyte data (metadata, inputs,
outputs, the raw output prefix) was refused or found nothing. This belongs to no failed node, so it
is a warning: it explains failures still to come (tasks writing outputs under the raw output
prefix) or a difference between flytedoctor's identity and the task's. Buckets that a site's
storage failure already names are left to that finding, and buckets only quoted in a user error are
not Flyte's data. A credential error (InvalidAccessKeyId, SignatureDoesNotMatch, ExpiredToken,
RequestTimeTooSkewed) concerns flytedoctor's own credentials: refresh them and rerun, the probes
say nothing until then. A redirect means flytedoctor's region differs from the bucket's; the
probes followed it, so it is reported as info.`,
		Fixes: []rule.Fix{{Action: "check the bucket name, region and flytedoctor's identity (aws sts get-caller-identity), then rerun"}},
		Scope: rule.WholeSnapshot,
		Run:   reportBucketChecks,
	}
}
