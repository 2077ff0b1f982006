package storage

import (
	"cmp"
	"fmt"
	"strings"

	"github.com/flytedoctor/flytedoctor/collectors/evidence"
	"github.com/flytedoctor/flytedoctor/rules/internal/read"
	"github.com/flytedoctor/flytedoctor/rules/rule"
)

const kmsDenied = "kms-denied"

// maxObjectCommands bounds the per-object commands a fix lists; the summary counts them all.
const maxObjectCommands = 5

// anonymousRetry: flytekit retries a failed download without credentials (data_persistence
// get: on OSError, an anonymous filesystem), so the bare 403 it reports is the anonymous
// request's, and the task role's own error (a kms:Decrypt, an explicit Deny) is only in the
// pod's debug log.
const anonymousRetry = "flytekit retries a failed download anonymously, so this bare 403 is the anonymous retry's; the task role's own error is in the pod's debug log"

// siblingHit is the access-denied finding for a dynamic child that could not read its inputs
// while siblings of the same node read theirs under the same identity. The role's policy on the
// bucket is then not the cause, and granting it more would not help: the finding says what was
// compared, what differs about these objects, and fixes that.
func siblingHit(s *rule.Site, f *failure) *rule.Hit {
	if f.actor != "task" || f.cause != accessDenied || s.Node == nil || !sameObject(f, s.Node.InputURI) {
		return nil
	}
	d := read.Differential(s, "denied inputs", deniedInput)
	if d == nil {
		return nil
	}
	fam := d.Family
	denied := deniedInputs(fam)
	who := taskWho(s)
	role := cmp.Or(who.role, rolePlacehold)
	roleWords := cmp.Or(who.role, "the task role")
	sub := s.Subject()
	sub.Bucket, sub.Key = f.bucket, f.key

	were, their := "were", "their"
	if len(denied) == 1 {
		were, their = "was", "its"
	}
	summary := fmt.Sprintf("%d of %s children of %s %s denied %s inputs, which the same identity read for %d siblings",
		len(denied), count(fam.Total), label(fam.Parent), were, their, len(fam.Succeeded))
	var detail []string
	quote := fmt.Sprintf("%s says %q", f.where, f.line)
	if ctx := contextLine(f); ctx != "" && ctx != f.line {
		quote = fmt.Sprintf("%s says %q, then %q", f.where, ctx, f.line)
	}
	detail = append(detail, strings.ToUpper(quote[:1])+quote[1:])
	if f.principal == "" && strings.Contains(f.text, "DownloadDataError") && strings.Contains(f.line, "(403) when calling the HeadObject operation") {
		detail = append(detail, anonymousRetry)
	}
	detail = append(detail, fmt.Sprintf("The %d siblings that succeeded read theirs as the same identity: %s's policy on %s is not what denies these", len(fam.Succeeded), roleWords, f.bucket))
	differs := d.Differs()
	cause := accessDenied
	var fixes []rule.Fix
	switch {
	case d.KMS != nil:
		cause = kmsDenied
		those := "those objects are"
		if len(denied) == 1 {
			those = "that object is"
		}
		summary += fmt.Sprintf(": %s encrypted with KMS key %s", those, d.KMS.Key)
		fixes = kmsFixes(s, d, denied, role)
	case len(differs) > 0:
		fixes = differenceFixes(s, d, denied, role, f.bucket)
	default:
		fixes = sameFixes(s, d, denied, role, f.bucket)
	}
	aspects := func(keep func(read.Aspect) bool) string {
		var lines []string
		for _, a := range d.Aspects {
			if keep(a) {
				lines = append(lines, "  "+a.Name+": "+a.Text)
			}
		}
		return strings.Join(lines, "\n")
	}
	same := aspects(func(a read.Aspect) bool { return !a.Differs && !a.Unknown })
	if len(differs) > 0 {
		detail = append(detail, "Compared with the siblings ("+d.Compared()+"), this differs:\n"+aspects(func(a read.Aspect) bool { return a.Differs }))
		if same != "" {
			detail = append(detail, "The same:\n"+same)
		}
	} else {
		detail = append(detail, "Compared with the siblings, nothing differed:\n"+same)
	}
	if unknown := aspects(func(a read.Aspect) bool { return a.Unknown }); unknown != "" {
		detail = append(detail, "Not compared:\n"+unknown)
	}
	if len(d.Siblings) == 0 {
		detail = append(detail, "The objects themselves were not compared: no probe of the siblings' inputs")
	}
	ev := []string{f.where + ": " + f.line}
	if who.how != "" {
		ev = append(ev, "task identity: "+who.how)
	}
	for _, o := range append(append([]read.Object(nil), d.Failed...), d.Siblings...) {
		ev = append(ev, objectLine(o))
	}
	return &rule.Hit{Cause: cause, Summary: summary, Detail: strings.Join(detail, "\n"), Evidence: ev, Fixes: fixes, Subject: sub}
}

// sameObject reports whether the failure names the object at uri.
func sameObject(f *failure, uri string) bool {
	b, k, ok := strings.Cut(strings.TrimPrefix(uri, "s3://"), "/")
	return ok && strings.HasPrefix(uri, "s3://") && b == f.bucket && k == f.key
}

// deniedInputs are the failed children of the family whose error is a denied read of their
// own inputs, as an object URI each.
func deniedInputs(fam evidence.Siblings) []string {
	var out []string
	for _, n := range fam.Failed {
		if deniedInput(n) {
			out = append(out, n.InputURI)
		}
	}
	return out
}

// deniedInput: the node's error is a denied read of its own inputs. Every site of a family
// asks about every child, so this is a plain text test, not a full classification: a family
// of 1,000 with 200 failures is 200 sites times 200 children. flytekit's message names the path
// and the S3 error in its first lines; a long message (up to 100 KiB) is not scanned whole.
func deniedInput(n *evidence.Node) bool {
	e := n.Error
	if last := n.LastAttempt(); e == nil && last != nil {
		e = last.Error
	}
	if e == nil || n.InputURI == "" {
		return false
	}
	msg := e.Message[:min(len(e.Message), 8<<10)]
	return strings.Contains(msg, n.InputURI) && deniedText(msg)
}

// deniedText: the markers of an access denial that accessDenied's pattern starts from.
func deniedText(msg string) bool {
	for _, m := range []string{"AccessDenied", "Access Denied", "(403)", "Forbidden", "status code: 403", "StatusCode: 403"} {
		if strings.Contains(msg, m) {
			return true
		}
	}
	return false
}

func label(n *evidence.Node) string { return cmp.Or(n.SpecNodeID, n.ID) }

func count(n int) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

func objectLine(o read.Object) string {
	side := "failed " + label(o.Node)
	if o.Probe.Path.Purpose == evidence.PurposeSiblingInputs {
		side = "sibling " + label(o.Node)
	}
	line := fmt.Sprintf("%s: %s %s", side, o.Probe.Operation, o.URI())
	if o.Probe.Outcome != evidence.ProbeOK {
		line += " " + o.Probe.Outcome
	}
	if m := o.Probe.Object; m != nil {
		var parts []string
		if m.SSE != "" {
			parts = append(parts, "sse "+m.SSE)
		}
		if m.KMSKeyID != "" {
			parts = append(parts, "key "+m.KMSKeyID)
		}
		if m.BucketKeyEnabled {
			parts = append(parts, "bucket key")
		}
		parts = append(parts, fmt.Sprintf("%d bytes", m.Size))
		if m.Owner != "" {
			parts = append(parts, "owner "+read.Clip(m.Owner, 24))
		}
		line += " (" + strings.Join(parts, ", ") + ")"
	}
	return line
}

// objectCommands runs cmd for each denied object, up to maxObjectCommands.
func objectCommands(denied []string, cmd func(bucket, key string) string) []string {
	var out []string
	for i, u := range denied {
		if i == maxObjectCommands {
			out = append(out, fmt.Sprintf("# ... and %d more", len(denied)-maxObjectCommands))
			break
		}
		b, k, _ := strings.Cut(strings.TrimPrefix(u, "s3://"), "/")
		out = append(out, cmd(b, k))
	}
	return out
}

func relaunchFix(s *rule.Site) rule.Fix {
	return rule.Fix{Action: "relaunch once they can be read", Commands: []string{read.Relaunch(s.Snapshot.Target)}}
}

func kmsFixes(s *rule.Site, d *read.Diff, denied []string, role string) []rule.Fix {
	k := d.KMS
	grant := rule.Fix{Action: fmt.Sprintf("grant %s kms:Decrypt on %s (its key policy must allow it too, or delegate to IAM)", role, k.Key),
		Commands: []string{fmt.Sprintf("aws kms get-key-policy --key-id %s --policy-name default --query Policy --output text", k.Key)}}
	if name := read.RoleName(role); name != "" {
		grant.Commands = append(grant.Commands, fmt.Sprintf(`aws iam put-role-policy --role-name %s --policy-name flyte-kms-decrypt --policy-document '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"kms:Decrypt","Resource":"%s"}]}'`, name, k.Key))
	}
	rewrite := rule.Fix{Action: fmt.Sprintf("or rewrite the %d objects with the bucket's default encryption, which the siblings' inputs use (needs kms:Decrypt on %s for whoever runs it)", len(denied), k.Key)}
	rewrite.Commands = objectCommands(denied, func(b, key string) string {
		if k.SiblingKey == "" {
			return fmt.Sprintf("aws s3 cp s3://%s/%s s3://%s/%s --sse AES256", b, key, b, key)
		}
		c := fmt.Sprintf("aws s3 cp s3://%s/%s s3://%s/%s --sse aws:kms --sse-kms-key-id %s", b, key, b, key, k.SiblingKey)
		if k.BucketKey {
			c += " --bucket-key-enabled"
		}
		return c
	})
	return []rule.Fix{grant, rewrite,
		{Action: fmt.Sprintf("find what wrote them with %s: Flyte writes a child's inputs with its storage client's settings, so another writer (a second propeller, a copy job) used its own key", k.Key)},
		relaunchFix(s)}
}

func differenceFixes(s *rule.Site, d *read.Diff, denied []string, role, bucket string) []rule.Fix {
	var fixes []rule.Fix
	if d.OwnerDiffers {
		fixes = append(fixes, rule.Fix{Action: "these objects have another owner than the siblings': let the bucket owner own every object (Object Ownership BucketOwnerEnforced), or have their writer grant bucket-owner-full-control",
			Commands: append(objectCommands(denied, func(b, k string) string { return fmt.Sprintf("aws s3api get-object-acl --bucket %s --key %s", b, k) }),
				fmt.Sprintf("aws s3api put-bucket-ownership-controls --bucket %s --ownership-controls 'Rules=[{ObjectOwnership=BucketOwnerEnforced}]'", bucket))})
	}
	if d.OneNode != "" {
		fixes = append(fixes, rule.Fix{Action: fmt.Sprintf("the failures share node %s: check its network path and credentials (IMDS hop limit, a proxy, the node role) and cordon it", d.OneNode),
			Commands: []string{"kubectl get pods -A -o wide --field-selector spec.nodeName=" + d.OneNode, "kubectl cordon " + d.OneNode}})
	}
	if d.Window {
		fixes = append(fixes, rule.Fix{Action: "the failures fall in one short window: look for a change at that time (a policy or key edit, a deploy, a storage outage) and relaunch"})
	}
	resources := objectCommands(denied, func(b, k string) string { return "arn:aws:s3:::" + b + "/" + k })
	fixes = append(fixes, rule.Fix{Action: "look for what denies these keys and not the siblings': a Deny in the bucket policy (a prefix, a tag, a condition), the objects' ACLs",
		Commands: []string{fmt.Sprintf("aws s3api get-bucket-policy --bucket %s --query Policy --output text", bucket),
			fmt.Sprintf("aws iam simulate-principal-policy --policy-source-arn %s --action-names s3:GetObject --resource-arns %s", role, strings.Join(trimMore(resources), " "))}})
	return append(fixes, relaunchFix(s))
}

func sameFixes(s *rule.Site, d *read.Diff, denied []string, role, bucket string) []rule.Fix {
	resources := objectCommands(denied, func(b, k string) string { return "arn:aws:s3:::" + b + "/" + k })
	head := objectCommands(denied, func(b, k string) string {
		return fmt.Sprintf("aws s3api head-object --bucket %s --key %s --query '{SSE:ServerSideEncryption,Key:SSEKMSKeyId,Size:ContentLength}'", b, k)
	})
	fixes := []rule.Fix{
		{Action: "compare these objects' encryption with a sibling's: an SSE-KMS key the role may not use denies a GET though the HEAD works", Commands: head},
		{Action: fmt.Sprintf("check what denies %s these keys: a Deny in the bucket policy (a prefix, a tag, a condition), the objects' ACLs", role),
			Commands: []string{fmt.Sprintf("aws s3api get-bucket-policy --bucket %s --query Policy --output text", bucket),
				fmt.Sprintf("aws iam simulate-principal-policy --policy-source-arn %s --action-names s3:GetObject kms:Decrypt --resource-arns %s", role, strings.Join(trimMore(resources), " "))}},
	}
	if len(d.Siblings) == 0 {
		fixes = append(fixes, rule.Fix{Action: "re-run with storage access so flytedoctor compares the objects themselves (their encryption, owner, size)",
			Commands: []string{"flytedoctor " + s.Snapshot.Target.String()}})
	}
	return append(fixes, relaunchFix(s))
}

// trimMore drops the "... and N more" line objectCommands adds, where its items are arguments.
func trimMore(items []string) []string {
	if n := len(items); n > 0 && strings.HasPrefix(items[n-1], "# ") {
		return items[:n-1]
	}
	return items
}
