package storage

import (
	"cmp"
	"fmt"
	"strings"

	"github.com/flytedoctor/flytedoctor/collectors/evidence"
	"github.com/flytedoctor/flytedoctor/rules/internal/pattern"
	"github.com/flytedoctor/flytedoctor/rules/internal/read"
	"github.com/flytedoctor/flytedoctor/rules/rule"
)

// taskIdentity is who the task runs as, as far as the evidence knows.
type taskIdentity struct {
	namespace, serviceAccount string
	role                      string // AWS role ARN
	how                       string // how the role is attached
	gcpSA, azureClientID      string
	saRead                    bool // the service account object was collected
}

func taskWho(s *rule.Site) taskIdentity {
	var id taskIdentity
	id.namespace = cmp.Or(s.Kube().Namespace, s.Execution.Namespace)
	for _, name := range s.PodNames() {
		if sa := s.Pods[name].Spec.ServiceAccount; sa != "" {
			id.serviceAccount = sa
			break
		}
	}
	id.serviceAccount = cmp.Or(id.serviceAccount, s.Execution.ServiceAccount, "default")
	for _, sa := range s.Kube().ServiceAccounts {
		if sa.Name != id.serviceAccount {
			continue
		}
		id.saRead = !sa.NotFound
		if r := sa.Annotations[roleArnAnnot]; r != "" {
			id.role = r
			id.how = fmt.Sprintf("service account %s/%s, which IRSA maps to %s (%s)", id.namespace, sa.Name, r, roleArnAnnot)
		}
		id.gcpSA = sa.Annotations[gCPSAAnnot]
		id.azureClientID = sa.Annotations[azureIDAnnot]
	}
	if id.role == "" && s.Execution.IAMRole != "" {
		id.role = s.Execution.IAMRole
		id.how = fmt.Sprintf("service account %s/%s with the execution's run_as.iam_role %s", id.namespace, id.serviceAccount, s.Execution.IAMRole)
	}
	return id
}

// customEndpoint is the S3 endpoint flytedoctor used when it is not AWS (MinIO, Spaces,
// Ceph): there tasks authenticate with injected keys, not IRSA.
func customEndpoint(snap *evidence.Snapshot) string {
	if st := snap.Storage; st != nil && st.Identity.Endpoint != "" && !strings.Contains(st.Identity.Endpoint, "amazonaws.com") {
		return st.Identity.Endpoint
	}
	return ""
}

// probeIdentity says who the probes ran as.
func probeIdentity(snap *evidence.Snapshot) (who string, asTask bool) {
	st := snap.Storage
	if st == nil {
		return "", false
	}
	id := st.Identity
	if id.AssumedRole != "" {
		return "the task's role " + id.AssumedRole + " (--as-task-role)", true
	}
	if id.ARN != "" && id.ARN != "unknown" {
		return "flytedoctor's identity " + id.ARN, false
	}
	if id.Source != "" {
		return "flytedoctor's credentials (source " + id.Source + ")", false
	}
	return "flytedoctor's credentials", false
}

// probeLine describes one probe.
func probeLine(p evidence.StorageProbe) string {
	uri := "s3://" + p.Bucket
	if p.Key != "" {
		uri += "/" + p.Key
	}
	var what []string
	if p.ErrorCode != "" {
		what = append(what, p.ErrorCode)
	}
	if p.HTTPStatus != 0 {
		what = append(what, fmt.Sprintf("HTTP %d", p.HTTPStatus))
	}
	if p.ConfirmedBy != "" {
		what = append(what, "confirmed by "+p.ConfirmedBy)
	}
	if p.Region != "" && p.Outcome == evidence.ProbeRedirect {
		what = append(what, "bucket region "+p.Region)
	}
	s := fmt.Sprintf("probe %s %s (%s): %s", p.Operation, uri, p.Path.Purpose, p.Outcome)
	if len(what) > 0 {
		s += " (" + strings.Join(what, ", ") + ")"
	}
	return s
}

// credentialCode reports an error code about the caller's credentials, not its rights.
func credentialCode(code string) bool {
	switch code {
	case "InvalidAccessKeyId", "SignatureDoesNotMatch", "ExpiredToken", "InvalidToken", "TokenRefreshRequired", "RequestTimeTooSkewed":
		return true
	}
	return false
}

// corroborate lists the probes that bear on the failure: the site's probes of the same
// object first, then the site's other failing probes, then failing probes of the same bucket
// that belong to no node (bucket checks, the metadata and raw output prefixes). failed counts
// the failing ones; selfRejected is a credential error S3 gave flytedoctor itself.
func corroborate(s *rule.Site, f *failure) (lines []string, failed int, sameKeyOK bool, selfRejected string) {
	seen := map[string]bool{}
	failing := func(p evidence.StorageProbe) bool {
		switch p.Outcome {
		case evidence.ProbeDenied, evidence.ProbeNotFound, evidence.ProbeRedirect:
			return true
		}
		return false
	}
	add := func(p evidence.StorageProbe) {
		l := probeLine(p)
		if seen[l] {
			return
		}
		seen[l] = true
		lines = append(lines, l)
		if failing(p) {
			failed++
		}
	}
	for _, p := range s.Probes {
		if f.bucket != "" && p.Bucket == f.bucket && p.Key == f.key {
			if p.Outcome == evidence.ProbeOK {
				sameKeyOK = true
			}
			add(p)
		}
	}
	for _, p := range s.Probes {
		if failing(p) && (f.bucket == "" || p.Bucket == f.bucket) {
			add(p)
		}
	}
	if st := s.Snapshot.Storage; st != nil {
		for _, p := range st.Probes {
			if p.Path.Node == nil && failing(p) && f.bucket != "" && p.Bucket == f.bucket {
				add(p)
			}
			if failing(p) && credentialCode(p.ErrorCode) && selfRejected == "" {
				selfRejected = p.ErrorCode
			}
		}
	}
	if len(lines) > 6 {
		lines = append(lines[:6], fmt.Sprintf("... and %d more probes", len(lines)-6))
	}
	return lines, failed, sameKeyOK, selfRejected
}

func probeCount(n int) string {
	if n == 1 {
		return "flytedoctor's probe of the path"
	}
	return fmt.Sprintf("%d of flytedoctor's probes", n)
}

// iAMAction maps an S3 operation to the IAM action and resource it needs.
func iAMAction(f *failure) (action, resource string) {
	if strings.HasPrefix(f.action, "s3:") {
		action = f.action
	}
	if action == "" {
		switch {
		case strings.HasPrefix(f.op, "List"):
			action = "s3:ListBucket"
		case strings.HasPrefix(f.op, "Put"), strings.Contains(f.op, "Multipart"), strings.HasPrefix(f.op, "UploadPart"), strings.HasPrefix(f.op, "Copy"):
			action = "s3:PutObject"
		case strings.HasPrefix(f.op, "Delete"):
			action = "s3:DeleteObject"
		case f.op != "" && f.op != "HeadBucket":
			action = "s3:GetObject"
		case strings.Contains(f.text, "Failed to put data") || strings.Contains(f.text, "UploadDataError") || strings.Contains(f.text, "Failed to write data"):
			action = "s3:PutObject"
		default:
			action = "s3:GetObject"
		}
	}
	resource = "arn:aws:s3:::" + f.bucket
	if action != "s3:ListBucket" && f.key != "" {
		resource += "/" + f.key
	} else if action != "s3:ListBucket" {
		resource += "/*"
	}
	return action, resource
}

// policy is the minimal statement Flyte's data plane needs on a bucket (facts E).
func policy(bucket string) string {
	return fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject*","s3:PutObject*","s3:DeleteObject*"],"Resource":"arn:aws:s3:::%s/*"},{"Effect":"Allow","Action":["s3:ListBucket"],"Resource":"arn:aws:s3:::%s"}]}`, bucket, bucket)
}

// what names what a key is in Flyte's layout.
func what(key string) string {
	base := key[strings.LastIndexByte(key, '/')+1:]
	switch {
	case base == "inputs.pb":
		return "the node's inputs (inputs.pb)"
	case base == "outputs.pb":
		return "the node's outputs (outputs.pb)"
	case base == "error.pb":
		return "the task's error file (error.pb)"
	case strings.HasPrefix(base, "fast") && strings.HasSuffix(base, ".tar.gz"):
		return "the fast-registered code bundle"
	case base == "inputs" || base == "user_inputs":
		return "the execution's inputs"
	}
	return ""
}

func accessWord(f *failure) string {
	switch verb(f) {
	case "writing":
		return "write"
	case "listing":
		return "list"
	case "deleting":
		return "delete"
	}
	return "read"
}

func verb(f *failure) string {
	action, _ := iAMAction(f)
	switch action {
	case "s3:PutObject":
		return "writing"
	case "s3:ListBucket":
		return "listing"
	case "s3:DeleteObject":
		return "deleting"
	}
	return "reading"
}

// hit builds the finding shared by the site rules.
func hit(s *rule.Site, f *failure, summary string) rule.Hit {
	who := taskWho(s)
	if r := read.RoleFromPrincipal(f.principal); r != "" && f.actor == "task" {
		who.role = r
	}
	sub := s.Subject()
	sub.Bucket, sub.Key = f.bucket, f.key

	n, of := attempts(s, f.cause)
	if of == 2 && n == 2 {
		summary += ", in both attempts"
	} else if of > 1 && n == of {
		summary += fmt.Sprintf(", in all %d attempts", n)
	} else if of > 1 && n > 1 {
		summary += fmt.Sprintf(", in %d of %d attempts", n, of)
	}

	var detail []string
	quote := fmt.Sprintf("%s says %q", f.where, f.line)
	if ctx := contextLine(f); ctx != "" && ctx != f.line {
		quote = fmt.Sprintf("%s says %q, then %q", f.where, ctx, f.line)
	}
	detail = append(detail, strings.ToUpper(quote[:1])+quote[1:])
	if w := what(f.key); w != "" {
		detail = append(detail, fmt.Sprintf("%s is %s", f.uri(), w))
	}
	identityMatters := f.cause == accessDenied || f.cause == noCreds || f.cause == invalidCreds || f.cause == expiredCreds
	switch {
	case !identityMatters:
	case f.actor == "flytepropeller":
		detail = append(detail, "the error comes from flytepropeller, which reads and writes Flyte's metadata with its own identity (the flytepropeller service account's role), not the task's")
	case f.actor == "flyteadmin":
		detail = append(detail, "the error comes from flyteadmin, which writes execution inputs with its own identity, not the task's")
	default:
		switch {
		case f.principal != "":
			d := fmt.Sprintf("S3 says the request came from %s and needed %s", f.principal, f.action)
			if f.because != "" {
				d += ": " + f.because
			}
			detail = append(detail, d)
		case who.how != "":
			detail = append(detail, "the task runs as "+who.how)
			if ex := s.Execution.IAMRole; ex != "" && ex != who.role {
				detail = append(detail, "the execution also names iam_role "+ex)
			}
		case who.gcpSA != "":
			detail = append(detail, fmt.Sprintf("the task runs as service account %s/%s, mapped to Google service account %s", who.namespace, who.serviceAccount, who.gcpSA))
		case who.azureClientID != "":
			detail = append(detail, fmt.Sprintf("the task runs as service account %s/%s, mapped to Azure workload identity client %s", who.namespace, who.serviceAccount, who.azureClientID))
		case customEndpoint(s.Snapshot) != "":
			detail = append(detail, fmt.Sprintf("the task runs as service account %s/%s; with the custom S3 endpoint %s a task gets no credentials from its service account, they must be injected as env", who.namespace, who.serviceAccount, customEndpoint(s.Snapshot)))
		case who.saRead:
			detail = append(detail, fmt.Sprintf("the task runs as service account %s/%s, which has no %s annotation, and the execution names no run_as.iam_role", who.namespace, who.serviceAccount, roleArnAnnot))
		default:
			detail = append(detail, fmt.Sprintf("the task runs as service account %s/%s; its IAM role is unknown here (the service account was not read)", who.namespace, who.serviceAccount))
		}
	}
	probes, failed, sameKeyOK, selfRejected := corroborate(s, f)
	if probeWho, asTask := probeIdentity(s.Snapshot); probeWho != "" {
		switch {
		case selfRejected != "":
			detail = append(detail, fmt.Sprintf("the probes say nothing about the task here: S3 rejected flytedoctor's own credentials (%s)", selfRejected))
		case sameKeyOK && asTask && identityMatters:
			detail = append(detail, "probing as the task's role now succeeds on the same object: the permission may have been fixed since the run; relaunch")
		case sameKeyOK:
			detail = append(detail, sameKeyOKLine(f.cause, probeWho))
		case failed > 0 && (asTask || !identityMatters):
			detail = append(detail, fmt.Sprintf("%s failed the same way, as %s", probeCount(failed), probeWho))
		case failed > 0:
			detail = append(detail, fmt.Sprintf("%s failed too, as %s, which may differ from the task's identity", probeCount(failed), probeWho))
		}
	}
	evidenceLines := []string{f.where + ": " + f.line}
	if who.how != "" && f.actor == "task" && identityMatters {
		evidenceLines = append(evidenceLines, "task identity: "+who.how)
	}
	evidenceLines = append(evidenceLines, probes...)
	cause := f.cause
	if cause == accessDenied && strings.HasPrefix(f.action, "kms:") {
		cause = kmsDenied
	}
	return rule.Hit{
		Cause:    cause,
		Summary:  summary,
		Detail:   strings.Join(detail, "; "),
		Evidence: evidenceLines,
		Fixes:    fixes(s, f, who),
		Subject:  sub,
	}
}

// sameKeyOKLine says what a successful probe of the failing path means for the cause.
func sameKeyOKLine(cause, probeWho string) string {
	switch cause {
	case noSuchKey, noSuchBucket:
		return probeWho + " finds the path now: it was created after the run, or the task looked at another endpoint"
	case wrongRegion, clockSkew:
		return probeWho + " reached the same path (the probes sign for the bucket's region with a correct clock)"
	}
	return probeWho + " can read the same path: it exists, and the task's own identity is what fails"
}

// contextLine is the flytekit / Flyte line saying what was being moved, if any.
func contextLine(f *failure) string {
	for _, re := range []*pattern.Regexp{while, context} {
		loc := re.FindStringIndex(f.text)
		if loc == nil {
			continue
		}
		lo, hi := min(loc[0], f.at), max(loc[0], f.at)
		if !strings.Contains(f.text[lo:hi], "\n") {
			return "" // on the decisive line already
		}
		return lineAt(f.text, loc[0])
	}
	return ""
}

// pod names the site's latest pod, even when it no longer exists.
func pod(s *rule.Site) string {
	if p := s.Subject().Pod; p != "" {
		return p
	}
	for i := len(s.Attempts) - 1; i >= 0; i-- {
		if n := cmp.Or(s.Attempts[i].PodName, s.Attempts[i].PrimaryPodName); n != "" {
			return n
		}
	}
	return "POD"
}

// nodeName is the node the site's latest pod ran on.
func nodeName(s *rule.Site) string {
	if p := s.Pods[s.Subject().Pod]; p != nil {
		return p.NodeName
	}
	return ""
}

func regionFromText(text string) string {
	if m := regionHint.FindStringSubmatch(text); m != nil {
		return m[2]
	}
	return ""
}

// bucketRegion is the region a probe learned for the bucket.
func bucketRegion(snap *evidence.Snapshot, bucket string) string {
	if st := snap.Storage; st != nil && bucket != "" {
		for _, p := range st.Probes {
			if p.Bucket == bucket && p.Region != "" {
				return p.Region
			}
		}
	}
	return ""
}

func fixes(s *rule.Site, f *failure, who taskIdentity) []rule.Fix {
	role := cmp.Or(who.role, rolePlacehold)
	exec := s.Snapshot.Target.String()
	reprobe := rule.Fix{Action: "re-probe the execution's paths as the task's role (needs sts:AssumeRole on it)",
		Commands: []string{"flytedoctor --as-task-role " + exec}}
	if f.actor != "task" {
		role = "<" + f.actor + "-role-arn>"
	}
	bucket := cmp.Or(f.bucket, "BUCKET")
	action, resource := iAMAction(f)
	simulate := rule.Fix{Action: fmt.Sprintf("check what %s may do on the object", role),
		Commands: []string{fmt.Sprintf("aws iam simulate-principal-policy --policy-source-arn %s --action-names %s --resource-arns %s", role, action, resource)}}
	grant := rule.Fix{Action: fmt.Sprintf("grant %s Flyte's minimal data access on %s: s3:GetObject*, s3:PutObject*, s3:DeleteObject* on arn:aws:s3:::%s/* and s3:ListBucket on arn:aws:s3:::%s (a task needs this on both the metadata and the raw-output bucket)", role, bucket, bucket, bucket)}
	if name := read.RoleName(role); name != "" {
		grant.Commands = []string{fmt.Sprintf("aws iam put-role-policy --role-name %s --policy-name flyte-data-%s --policy-document '%s'", name, bucket, policy(bucket))}
	}
	sa := fmt.Sprintf("kubectl get serviceaccount -n %s %s -o yaml", who.namespace, who.serviceAccount)

	switch f.cause {
	case accessDenied:
		switch {
		case f.actor == "flytepropeller":
			return []rule.Fix{
				{Action: "find flytepropeller's IAM role (flyte-core: service account flyte/flytepropeller; flyte-binary: the chart's service account)",
					Commands: []string{"kubectl get serviceaccount -n flyte flytepropeller -o jsonpath='{.metadata.annotations.eks\\.amazonaws\\.com/role-arn}'"}},
				simulate, grant,
			}
		case f.actor == "flyteadmin":
			return []rule.Fix{
				{Action: "find flyteadmin's IAM role (flyte-core: service account flyte/flyteadmin)",
					Commands: []string{"kubectl get serviceaccount -n flyte flyteadmin -o jsonpath='{.metadata.annotations.eks\\.amazonaws\\.com/role-arn}'"}},
				simulate, grant,
			}
		case f.scheme == "gs":
			gsa := cmp.Or(who.gcpSA, "GSA_EMAIL")
			if m := gCPPrincipal.FindStringSubmatch(f.text); m != nil {
				gsa = m[1]
			}
			return []rule.Fix{
				{Action: "check the bucket's IAM bindings", Commands: []string{"gcloud storage buckets get-iam-policy gs://" + bucket}},
				{Action: fmt.Sprintf("grant %s object access on gs://%s", gsa, bucket),
					Commands: []string{fmt.Sprintf("gcloud storage buckets add-iam-policy-binding gs://%s --member=serviceAccount:%s --role=roles/storage.objectAdmin", bucket, gsa)}},
			}
		case strings.HasPrefix(f.action, "kms:"):
			return []rule.Fix{
				{Action: fmt.Sprintf("allow %s to use the bucket's KMS key (%s, kms:GenerateDataKey for writes) in the key policy or the role's policy", role, f.action),
					Commands: []string{fmt.Sprintf("aws iam simulate-principal-policy --policy-source-arn %s --action-names %s --resource-arns %s", role, f.action, f.resource)}},
				reprobe,
			}
		}
		return []rule.Fix{simulate, grant, reprobe}
	case noSuchBucket:
		return []rule.Fix{
			{Action: "check that the bucket exists and the name is right", Commands: []string{"aws s3api head-bucket --bucket " + bucket}},
			{Action: "fix the bucket in Flyte's storage config (storage.container, the raw output prefix) or in the path the task was given, then relaunch"},
		}
	case noSuchKey:
		fixes := []rule.Fix{{Action: "check whether the object exists", Commands: []string{fmt.Sprintf("aws s3api head-object --bucket %s --key %s", bucket, cmp.Or(f.key, "KEY"))}}}
		if strings.HasPrefix(what(f.key), "the fast-registered") {
			fixes = append(fixes, rule.Fix{Action: "register the code again (pyflyte register, or pyflyte run --remote) and relaunch; check for a lifecycle rule that expires the upload prefix"})
		} else {
			fixes = append(fixes, rule.Fix{Action: "relaunch from the console or flytectl if Flyte's own data was deleted (a lifecycle rule on the metadata bucket?), or fix the path given to the task"})
		}
		return append(fixes, rule.Fix{Action: fmt.Sprintf("note that S3 answers 403, not 404, for a missing key when the caller lacks s3:ListBucket on arn:aws:s3:::%s", bucket)})
	case invalidCreds:
		fixes := []rule.Fix{
			{Action: "find which static keys the task uses (AWS_ACCESS_KEY_ID / FLYTE_AWS_ACCESS_KEY_ID env, a mounted secret, plugins.k8s.default-env-vars) and replace them with valid ones",
				Commands: []string{fmt.Sprintf("kubectl get pod -n %s %s -o jsonpath='{.spec.containers[0].env[*].name}'", who.namespace, pod(s))}},
		}
		if customEndpoint(s.Snapshot) == "" {
			fixes = append(fixes, rule.Fix{Action: "prefer IRSA (eks.amazonaws.com/role-arn on the task's service account) to static keys", Commands: []string{sa}})
		}
		return fixes
	case expiredCreds:
		fixes := []rule.Fix{{Action: fmt.Sprintf("give the task refreshable credentials (IRSA on service account %s/%s: web identity refreshes itself) instead of a fixed session token", who.namespace, who.serviceAccount),
			Commands: []string{sa}}}
		if name := read.RoleName(who.role); name != "" {
			fixes = append(fixes, rule.Fix{Action: "check the role's maximum session duration against the task's runtime",
				Commands: []string{fmt.Sprintf("aws iam get-role --role-name %s --query Role.MaxSessionDuration", name)}})
		}
		return fixes
	case noCreds:
		if strings.Contains(f.text, "AssumeRoleWithWebIdentity") || strings.Contains(f.text, "InvalidIdentityToken") || strings.Contains(f.text, "WebIdentityErr") {
			name := cmp.Or(read.RoleName(role), "ROLE_NAME")
			return []rule.Fix{
				{Action: fmt.Sprintf("let service account %s/%s assume %s: its trust policy must allow sts:AssumeRoleWithWebIdentity from the cluster's OIDC provider with sub system:serviceaccount:%s:%s", who.namespace, who.serviceAccount, role, who.namespace, who.serviceAccount),
					Commands: []string{fmt.Sprintf("aws iam get-role --role-name %s --query Role.AssumeRolePolicyDocument", name)}},
			}
		}
		if ep := customEndpoint(s.Snapshot); ep != "" {
			return []rule.Fix{{Action: fmt.Sprintf("inject the object store's keys into task pods: set FLYTE_AWS_ENDPOINT=%s, FLYTE_AWS_ACCESS_KEY_ID and FLYTE_AWS_SECRET_ACCESS_KEY in plugins.k8s.default-env-vars (flyte-binary: configuration.inline.plugins.k8s.default-env-vars), then relaunch", ep)}}
		}
		return []rule.Fix{
			{Action: fmt.Sprintf("give the task credentials: annotate service account %s/%s with %s (IRSA); new pods pick it up", who.namespace, who.serviceAccount, roleArnAnnot),
				Commands: []string{sa, fmt.Sprintf("kubectl annotate serviceaccount -n %s %s %s=%s", who.namespace, who.serviceAccount, roleArnAnnot, role)}},
		}
	case wrongRegion:
		region := "the bucket's region"
		if r := cmp.Or(regionFromText(f.text), bucketRegion(s.Snapshot, f.bucket)); r != "" {
			region = r
		}
		return []rule.Fix{{Action: fmt.Sprintf("configure the task's S3 client for %s (AWS_REGION / AWS_DEFAULT_REGION in plugins.k8s.default-env-vars; storage.connection.region for Flyte's own services)", region),
			Commands: []string{"aws s3api get-bucket-location --bucket " + bucket}}}
	case clockSkew:
		if node := nodeName(s); node != "" {
			return []rule.Fix{{Action: fmt.Sprintf("fix the clock of node %s (chrony / NTP), or cordon it", node),
				Commands: []string{fmt.Sprintf("kubectl debug node/%s -it --image=busybox -- date -u", node)}}}
		}
		return []rule.Fix{
			{Action: "find the node the pod ran on and fix its clock (chrony / NTP)",
				Commands: []string{fmt.Sprintf("kubectl get pod -n %s %s -o wide", who.namespace, pod(s)), "kubectl debug node/NODE -it --image=busybox -- date -u"}},
		}
	}
	return nil
}

// siteRule is a site rule for one cause.
func siteRule(cause string, summary func(*rule.Site, *failure) string) func(*rule.Pass) {
	return func(pass *rule.Pass) {
		s := pass.Site
		f := failureOf(s)
		if f == nil || f.cause != cause {
			return
		}
		if h := siblingHit(s, f); h != nil {
			pass.Report(*h)
			return
		}
		pass.Report(hit(s, f, summary(s, f)))
	}
}

func onWhat(f *failure) string {
	var parts []string
	if f.code != "" {
		parts = append(parts, f.code)
	}
	if f.op != "" {
		parts = append(parts, "on "+f.op)
	}
	if len(parts) == 0 {
		return ""
	}
	return " (" + strings.Join(parts, " ") + ")"
}

func target(f *failure) string {
	if u := f.uri(); u != "" {
		return u
	}
	return "object storage"
}
