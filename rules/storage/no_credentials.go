package storage

import (
	"fmt"
	"strings"

	"github.com/flytedoctor/flytedoctor/rules/rule"
)

// NoCredentials is FD3001: the task found no usable cloud credentials for its data.
func NoCredentials() *rule.Rule {
	return &rule.Rule{
		ID: "FD3001", Name: "storage-no-credentials", Title: "The task found no usable cloud credentials for its data",
		Category: rule.CatStoragePermission, Causes: []string{noCreds}, Severity: rule.Error, Requires: []rule.Evidence{rule.Admin}, Reads: []rule.Evidence{rule.Storage},
		Doc: `The task's storage client found no credentials at all (botocore "NoCredentialsError: Unable to
locate credentials", aws-sdk-go "NoCredentialProviders"), or could not exchange its service account
token for its role (IRSA: "Not authorized to perform sts:AssumeRoleWithWebIdentity",
InvalidIdentityToken). Task pods read inputs.pb and the fast-registered code bundle and write
outputs.pb and error.pb with their own identity: IRSA on the namespace's service account (the
eks.amazonaws.com/role-arn annotation; flyte-core patches the "default" account), the execution's
run_as.iam_role / k8s_service_account, or static keys injected as env (FLYTE_AWS_* for
MinIO-style storage). flytekit reports a failed input download as SYSTEM:DownloadDataError
(kind SYSTEM, recoverable, so it uses the system retry budget); a failed fast-register
download happens before error.pb handling, so Flyte sees a plain pod failure (Interrupted,
kind SYSTEM since v1.15.1; UnknownError, kind USER before) with the traceback in the log
tail. Retrying does not help until the identity is fixed.`,
		Fixes: []rule.Fix{{Action: "annotate the task's service account with eks.amazonaws.com/role-arn (IRSA), or inject credentials through plugins.k8s.default-env-vars"}},
		Run: siteRule(noCreds, func(s *rule.Site, f *failure) string {
			if strings.Contains(f.text, "AssumeRoleWithWebIdentity") || strings.Contains(f.text, "InvalidIdentityToken") || strings.Contains(f.text, "WebIdentityErr") {
				return "the task could not assume its IAM role through its service account token (AssumeRoleWithWebIdentity denied)"
			}
			return fmt.Sprintf("the task had no cloud credentials %s %s (%s)", verb(f), target(f), f.code)
		}),
	}
}
