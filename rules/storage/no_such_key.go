package storage

import (
	"fmt"

	"github.com/flytedoctor/flytedoctor/rules/rule"
)

// NoSuchKey is FD3007: an object the task needs does not exist.
func NoSuchKey() *rule.Rule {
	return &rule.Rule{
		ID: "FD3007", Name: "storage-no-such-key", Title: "An object the task needs does not exist",
		Category: rule.CatStoragePermission, Causes: []string{noSuchKey}, Severity: rule.Error, Requires: []rule.Evidence{rule.Admin}, Reads: []rule.Evidence{rule.Storage},
		Doc: `The object the task downloads is not there: NoSuchKey, a HEAD 404, or flytekit's
FlyteDataNotFoundException ("USER:ValueError: ... Received: s3://.... File not found"). When it is
Flyte's own data (inputs.pb under the propeller metadata prefix, the fast-registered code bundle
fastDIGEST.tar.gz) a lifecycle rule or a cleanup removed it; re-register or relaunch. Note that
S3 answers 403 AccessDenied instead of 404 for a missing key when the caller lacks s3:ListBucket,
so a missing object can also show up as an access-denied finding (flyteorg/flyte#4470).`,
		Fixes: []rule.Fix{{Action: "check the object exists (aws s3api head-object); re-register the code or relaunch when Flyte's own data is gone"}},
		Run: siteRule(noSuchKey, func(s *rule.Site, f *failure) string {
			what := what(f.key)
			if what != "" {
				what = ", " + what + ","
			}
			return fmt.Sprintf("%s%s does not exist%s", target(f), what, onWhat(f))
		}),
	}
}
