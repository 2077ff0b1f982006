package storage

import (
	"fmt"

	"github.com/flytedoctor/flytedoctor/rules/rule"
)

// InvalidCredentials is FD3004: the object store rejected the task's access key.
func InvalidCredentials() *rule.Rule {
	return &rule.Rule{
		ID: "FD3004", Name: "storage-invalid-credentials", Title: "The object store rejected the task's access key",
		Category: rule.CatStoragePermission, Causes: []string{invalidCreds}, Severity: rule.Error, Requires: []rule.Evidence{rule.Admin}, Reads: []rule.Evidence{rule.Storage},
		Doc: `The task signed its request with keys the object store does not accept: InvalidAccessKeyId ("The
AWS Access Key Id you provided does not exist in our records") or SignatureDoesNotMatch (a wrong
secret key, or a proxy that rewrites the request). Static keys come from env
(AWS_ACCESS_KEY_ID, FLYTE_AWS_ACCESS_KEY_ID via plugins.k8s.default-env-vars) or a mounted
secret; they were rotated or mistyped. flytekit reports the transfer as SYSTEM:DownloadDataError /
UploadDataError (kind SYSTEM); retries fail the same way.`,
		Fixes: []rule.Fix{{Action: "replace the static keys the task uses, or switch the task to IRSA"}},
		Run: siteRule(invalidCreds, func(s *rule.Site, f *failure) string {
			return fmt.Sprintf("the object store rejected the task's access key %s %s%s", verb(f), target(f), onWhat(f))
		}),
	}
}
