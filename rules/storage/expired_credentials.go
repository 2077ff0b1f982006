package storage

import (
	"fmt"

	"github.com/flytedoctor/flytedoctor/rules/rule"
)

// ExpiredCredentials is FD3003: the task's cloud session token expired.
func ExpiredCredentials() *rule.Rule {
	return &rule.Rule{
		ID: "FD3003", Name: "storage-expired-credentials", Title: "The task's cloud session token expired",
		Category: rule.CatStoragePermission, Causes: []string{expiredCreds}, Severity: rule.Error, Requires: []rule.Evidence{rule.Admin}, Reads: []rule.Evidence{rule.Storage},
		Doc: `The task presented temporary credentials whose session had ended (ExpiredToken: "The provided
token has expired"). This happens with a fixed AWS_SESSION_TOKEN injected into the pod, or with a
role whose maximum session is shorter than the task; IRSA web-identity credentials refresh
themselves. flytekit reports the failed transfer as SYSTEM:DownloadDataError / UploadDataError
(kind SYSTEM, recoverable); an upload at the end of a long task is the typical victim.`,
		Fixes: []rule.Fix{{Action: "use refreshable credentials (IRSA) instead of a fixed session token, or raise the role's maximum session duration"}},
		Run: siteRule(expiredCreds, func(s *rule.Site, f *failure) string {
			return fmt.Sprintf("the task's cloud session token expired %s %s%s", verb(f), target(f), onWhat(f))
		}),
	}
}
