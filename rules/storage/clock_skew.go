package storage

import (
	"fmt"

	"github.com/flytedoctor/flytedoctor/rules/rule"
)

// ClockSkew is FD3002: the object store rejected the task's request time.
func ClockSkew() *rule.Rule {
	return &rule.Rule{
		ID: "FD3002", Name: "storage-clock-skew", Title: "The object store rejected the task's request time",
		Category: rule.CatStoragePermission, Causes: []string{clockSkew}, Severity: rule.Error, Requires: []rule.Evidence{rule.Admin}, Reads: []rule.Evidence{rule.Storage},
		Doc: `S3 refuses a signed request whose timestamp is more than 15 minutes away from its own clock
(RequestTimeTooSkewed: "The difference between the request time and the current time is too
large"). The node the task pod ran on has a wrong clock. flytekit reports the failed transfer as
SYSTEM:DownloadDataError / UploadDataError (kind SYSTEM, recoverable): a retry on another node
may pass, a retry on the same node will not.`,
		Fixes: []rule.Fix{{Action: "fix the clock of the node the pod ran on (chrony / NTP)"}},
		Run: siteRule(clockSkew, func(s *rule.Site, f *failure) string {
			return fmt.Sprintf("the object store rejected the task's request time %s %s%s: the node's clock is off", verb(f), target(f), onWhat(f))
		}),
	}
}
