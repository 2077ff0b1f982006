package storage

import (
	"fmt"

	"github.com/flytedoctor/flytedoctor/rules/rule"
)

// AccessDenied is FD3008: the task was denied access to its data in object storage.
func AccessDenied() *rule.Rule {
	return &rule.Rule{
		ID: "FD3008", Name: "storage-access-denied", Title: "The task was denied access to its data in object storage",
		Category: rule.CatStoragePermission, Causes: []string{accessDenied, kmsDenied}, Severity: rule.Error, Requires: []rule.Evidence{rule.Admin}, Reads: []rule.Evidence{rule.Storage},
		Doc: `The task's identity may not read or write a path the execution uses: botocore "An error occurred
(AccessDenied) when calling the GetObject operation: Access Denied", a HEAD "(403) ... Forbidden"
(HEAD responses carry no error code), aws-sdk-go "AccessDenied ... status code: 403", GCS "does not
have storage.objects.get access", Azure AuthorizationPermissionMismatch. It fires only when the
site's own error points at storage (flytekit's SYSTEM:DownloadDataError / UploadDataError, Flyte's
"failed to read data from dataDir", "Failed to write data", or an S3 client error), or when the pod
died before error.pb could be written with such a message in its log tail: a denied probe on a
node that failed with, say, USER:ValueError is not the cause. flytekit reports a failed input
download as code SYSTEM, kind SYSTEM, recoverable, so Flyte retries it on the system budget
(max-node-retries-system-failures, 3) and the node ends with RetriesExhausted|SYSTEM; a failed
fast-register download is a pod failure (Interrupted since v1.15.1, UnknownError before). A task
needs s3:GetObject*, s3:PutObject*, s3:DeleteObject* on arn:aws:s3:::BUCKET/* and s3:ListBucket on
arn:aws:s3:::BUCKET, for both the metadata and the raw-output bucket; a bucket policy Deny or an
SSE-KMS key policy (kms:Decrypt) can also refuse (cause kms-denied). The storage probes ran as
flytedoctor's identity, or as the task's role with --as-task-role: they corroborate, but only the
task's role decides.

When the denied object is a dynamic child's inputs and siblings of the same node succeeded, they
read theirs under the same identity: the role's policy on the bucket is then not the cause, and
no more of it is suggested. The finding compares the failed children with their siblings
(identity, image and resources, the Kubernetes node, timing, the data path, and the objects'
metadata as flytedoctor's HEAD sees it: SSE and its KMS key, owner, storage class) and fixes
what differs: an SSE-KMS key the role may not use (kms:Decrypt on it, or rewrite the objects
with the bucket's default encryption), another owner, a policy Deny on their keys. It says what
was compared when nothing differed. flytekit retries a failed download anonymously, so a bare
"(403) when calling the HeadObject operation: Forbidden" is often the anonymous retry's, not
the role's own error.`,
		Fixes: []rule.Fix{{Action: "grant the task's role s3:GetObject*, s3:PutObject*, s3:DeleteObject* and s3:ListBucket on the bucket; verify with aws iam simulate-principal-policy"}},
		Run: siteRule(accessDenied, func(s *rule.Site, f *failure) string {
			who := "the task"
			switch f.actor {
			case "flytepropeller":
				who = "flytepropeller"
			case "flyteadmin":
				who = "flyteadmin"
			}
			return fmt.Sprintf("%s was denied %s access to %s%s", who, accessWord(f), target(f), onWhat(f))
		}),
	}
}
