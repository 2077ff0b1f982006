package storage

import (
	"cmp"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/flytedoctor/flytedoctor/collectors/evidence"
	"github.com/flytedoctor/flytedoctor/rules/internal/read"
	"github.com/flytedoctor/flytedoctor/rules/rule"
)

// flytePurpose reports a path Flyte itself reads or writes (not a path a user error quoted).
func flytePurpose(p string) bool {
	return p != evidence.PurposeQuotedInError && p != ""
}

// purposeWords names a path purpose in a sentence.
func purposeWords(p string) string {
	switch p {
	case evidence.PurposeRawOutputPrefix:
		return "raw output prefix"
	case evidence.PurposeMetadataPrefix:
		return "metadata"
	case evidence.PurposeExecutionInputs:
		return "inputs"
	case evidence.PurposeExecutionOutputs:
		return "outputs"
	case evidence.PurposeNodeInputs, evidence.PurposeSiblingInputs:
		return "node inputs"
	case evidence.PurposeNodeOutputs:
		return "node outputs"
	case evidence.PurposeError:
		return "error files"
	case evidence.PurposeOffloadedLiteral:
		return "offloaded literals"
	}
	return p
}

// blamed lists the buckets that a failed node's storage error names: a site finding
// already covers them.
func blamed(ex *evidence.Execution) map[string]bool {
	out := map[string]bool{}
	if ex == nil {
		return out
	}
	add := func(e *evidence.ExecutionError) {
		if e == nil {
			return
		}
		_, m := rule.Unwrap(e.Code, e.Message)
		if f := classify(m); f != nil && f.bucket != "" {
			out[f.bucket] = true
		}
	}
	visit := func(ex *evidence.Execution) {
		add(ex.Error)
		ex.Walk(func(path []evidence.Step) bool {
			n := path[len(path)-1].Node
			add(n.Error)
			for _, a := range n.Attempts {
				add(a.Error)
			}
			return true
		})
	}
	visit(ex)
	return out
}

func reportBucketChecks(pass *rule.Pass) {
	snap := pass.Snapshot
	st := snap.Storage
	if st == nil {
		return
	}
	uses := map[string][]string{} // bucket → Flyte purposes of the paths in it
	for _, p := range st.Probes {
		if p.Path.Purpose != evidence.PurposeBucket && flytePurpose(p.Path.Purpose) && !slices.Contains(uses[p.Bucket], p.Path.Purpose) {
			uses[p.Bucket] = append(uses[p.Bucket], p.Path.Purpose)
		}
	}
	// Which buckets the nodes' errors blame takes a classification of every node's errors
	// (1,000 children, 1,000 readings): read it only once a bucket check failed.
	var blamedBy map[string]bool
	probeWho, asTask := probeIdentity(snap)
	exec := snap.Target.String()

	var rejected []evidence.StorageProbe
	seen := map[string]bool{}
	for _, p := range st.Probes {
		if p.Path.Purpose != evidence.PurposeBucket || p.Operation != "HeadBucket" || seen[p.Bucket] {
			continue
		}
		if p.Outcome != evidence.ProbeDenied && p.Outcome != evidence.ProbeNotFound && p.Outcome != evidence.ProbeRedirect {
			continue
		}
		seen[p.Bucket] = true
		if credentialCode(p.ErrorCode) {
			rejected = append(rejected, p)
			continue
		}
		if len(uses[p.Bucket]) == 0 {
			continue
		}
		if blamedBy == nil {
			blamedBy = blamed(snap.Execution)
		}
		if blamedBy[p.Bucket] {
			continue
		}
		sort.Strings(uses[p.Bucket])
		var words []string
		for _, u := range uses[p.Bucket] {
			words = append(words, purposeWords(u))
		}
		usedFor := strings.Join(words, ", ")
		h := rule.Hit{Subject: rule.Subject{Execution: exec, Bucket: p.Bucket}, Evidence: []string{probeLine(p)}}
		switch p.Outcome {
		case evidence.ProbeNotFound:
			h.Cause = noSuchBucket
			h.Summary = fmt.Sprintf("bucket %s, which holds the execution's %s, does not exist", p.Bucket, usedFor)
			h.Detail = fmt.Sprintf("HeadBucket answered %s (HTTP %d) to %s", read.OrUnknown(p.ErrorCode), p.HTTPStatus, probeWho)
			h.Fixes = []rule.Fix{{Action: "check the bucket name in Flyte's storage config and that the bucket exists", Commands: []string{"aws s3api head-bucket --bucket " + p.Bucket}}}
		case evidence.ProbeRedirect:
			info := rule.Info
			h.Severity = &info
			h.Cause = wrongRegion
			h.Summary = fmt.Sprintf("bucket %s is in region %s, not flytedoctor's region", p.Bucket, read.OrUnknown(p.Region))
			h.Detail = fmt.Sprintf("HeadBucket answered %s; the probes followed the redirect; tasks configured for the same region as flytedoctor would get PermanentRedirect", read.OrUnknown(p.ErrorCode))
			h.Fixes = []rule.Fix{{Action: "use the bucket's region (--aws-region, storage.connection.region)", Commands: []string{"aws s3api get-bucket-location --bucket " + p.Bucket}}}
		default:
			h.Cause = accessDenied
			who := "flytedoctor"
			if asTask {
				who = "the task's role " + snap.Storage.Identity.AssumedRole
			}
			h.Summary = fmt.Sprintf("%s may not access bucket %s, which holds the execution's %s", who, p.Bucket, usedFor)
			h.Detail = fmt.Sprintf("HeadBucket (which needs s3:ListBucket) answered %s (HTTP %d) to %s; no failed node blames this bucket, but tasks with the same rights would fail to list, read or write there", read.OrUnknown(p.ErrorCode), p.HTTPStatus, probeWho)
			h.Fixes = []rule.Fix{
				{Action: "check what the task's role may do on the bucket",
					Commands: []string{fmt.Sprintf("aws iam simulate-principal-policy --policy-source-arn %s --action-names s3:ListBucket s3:GetObject s3:PutObject --resource-arns arn:aws:s3:::%s arn:aws:s3:::%s/*", execRole(snap), p.Bucket, p.Bucket)}},
				{Action: "re-probe as the task's role", Commands: []string{"flytedoctor --as-task-role " + exec}},
			}
		}
		pass.Report(h)
	}
	if len(rejected) > 0 {
		p := rejected[0]
		var buckets, lines []string
		for _, r := range rejected {
			buckets = append(buckets, r.Bucket)
			lines = append(lines, probeLine(r))
		}
		h := rule.Hit{Subject: rule.Subject{Execution: exec, Bucket: p.Bucket}, Evidence: lines}
		switch p.ErrorCode {
		case "ExpiredToken", "TokenRefreshRequired":
			h.Cause = expiredCreds
		case "RequestTimeTooSkewed":
			h.Cause = clockSkew
		default:
			h.Cause = invalidCreds
		}
		h.Summary = fmt.Sprintf("the object store rejected flytedoctor's own credentials (%s): the storage probes say nothing about the task", p.ErrorCode)
		h.Detail = fmt.Sprintf("HeadBucket on %s answered %s to %s", strings.Join(buckets, ", "), p.ErrorCode, cmp.Or(probeWho, "flytedoctor"))
		h.Fixes = []rule.Fix{{Action: "refresh flytedoctor's credentials (aws sso login, a new session token, or the machine's clock for RequestTimeTooSkewed) and rerun",
			Commands: []string{"aws sts get-caller-identity"}}}
		if p.ErrorCode == "RequestTimeTooSkewed" {
			h.Fixes = []rule.Fix{{Action: "fix the clock of the machine running flytedoctor and rerun", Commands: []string{"date -u"}}}
		}
		pass.Report(h)
	}
}

// execRole is the role the execution's tasks run as, for global findings.
func execRole(snap *evidence.Snapshot) string {
	if snap.Storage != nil && snap.Storage.Identity.AssumedRole != "" {
		return snap.Storage.Identity.AssumedRole
	}
	sa := ""
	if ex := snap.Execution; ex != nil {
		sa = ex.ServiceAccount
	}
	if k := snap.Kube; k != nil {
		for _, a := range k.ServiceAccounts {
			if (sa == "" || a.Name == sa) && a.Annotations[roleArnAnnot] != "" {
				return a.Annotations[roleArnAnnot]
			}
		}
	}
	if ex := snap.Execution; ex != nil && ex.IAMRole != "" {
		return ex.IAMRole
	}
	return rolePlacehold
}
