package storage

import (
	"fmt"

	"github.com/flytedoctor/flytedoctor/rules/internal/read"
	"github.com/flytedoctor/flytedoctor/rules/rule"
)

// NoSuchBucket is FD3006: the bucket the task uses does not exist.
func NoSuchBucket() *rule.Rule {
	return &rule.Rule{
		ID: "FD3006", Name: "storage-no-such-bucket", Title: "The bucket the task uses does not exist",
		Category: rule.CatStoragePermission, Causes: []string{noSuchBucket}, Severity: rule.Error, Requires: []rule.Evidence{rule.Admin}, Reads: []rule.Evidence{rule.Storage},
		Doc: `The object store answered NoSuchBucket ("The specified bucket does not exist") for the bucket the
task read or wrote: a typo in Flyte's storage config (storage.container, the raw output prefix of
the launch plan or project), a bucket deleted or not yet created, or, with MinIO-style storage, a
task pointed at another endpoint than Flyte's services. flytekit reports the transfer as
SYSTEM:DownloadDataError / UploadDataError (kind SYSTEM); retries fail the same way.`,
		Fixes: []rule.Fix{{Action: "create the bucket or fix its name in Flyte's storage config or in the task's input path"}},
		Run: siteRule(noSuchBucket, func(s *rule.Site, f *failure) string {
			return fmt.Sprintf("bucket %s does not exist%s", read.OrUnknown(f.bucket), onWhat(f))
		}),
	}
}
