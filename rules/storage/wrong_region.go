package storage

import (
	"fmt"

	"github.com/flytedoctor/flytedoctor/rules/internal/read"
	"github.com/flytedoctor/flytedoctor/rules/rule"
)

// WrongRegion is FD3005: the task addressed its bucket in the wrong region.
func WrongRegion() *rule.Rule {
	return &rule.Rule{
		ID: "FD3005", Name: "storage-wrong-region", Title: "The task addressed its bucket in the wrong region",
		Category: rule.CatStoragePermission, Causes: []string{wrongRegion}, Severity: rule.Error, Requires: []rule.Evidence{rule.Admin}, Reads: []rule.Evidence{rule.Storage},
		Doc: `S3 answered that the bucket lives in another region: PermanentRedirect ("The bucket you are
attempting to access must be addressed using the specified endpoint"), a HEAD 301, or
AuthorizationHeaderMalformed ("the region 'us-east-1' is wrong; expecting 'eu-west-1'"). The
task's client (or Flyte's storage.connection.region) is set to another region than the bucket's.
flytekit reports the transfer as SYSTEM:DownloadDataError / UploadDataError; retries fail the same
way.`,
		Fixes: []rule.Fix{{Action: "configure the task's S3 client for the bucket's region (aws s3api get-bucket-location)"}},
		Run: siteRule(wrongRegion, func(s *rule.Site, f *failure) string {
			if m := regionHint.FindStringSubmatch(f.text); m != nil {
				return fmt.Sprintf("the task signed for region %s but bucket %s is in %s", m[1], read.OrUnknown(f.bucket), m[2])
			}
			if r := bucketRegion(s.Snapshot, f.bucket); r != "" {
				return fmt.Sprintf("bucket %s is in %s, not in the region the task's client used%s", f.bucket, r, onWhat(f))
			}
			return fmt.Sprintf("bucket %s is in another region than the task's client%s", read.OrUnknown(f.bucket), onWhat(f))
		}),
	}
}
