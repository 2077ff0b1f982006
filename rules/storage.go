package rules

import (
	"cmp"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/flytedoctor/flytedoctor/collectors/evidence"
)

// Storage-permission rules (FD3xxx). Site rules classify a failure whose own error (Admin's, or
// the log tail of a pod that died before flytekit could write error.pb) names a storage
// failure; the storage probes on the site's paths and the task's identity corroborate. A denied
// probe alone never makes a root cause: the probes ran as flytedoctor, not as the task.

// Cause slugs of the storage-permission category.
const (
	storageAccessDenied  = "access-denied"
	storageNoSuchBucket  = "no-such-bucket"
	storageNoSuchKey     = "no-such-key"
	storageInvalidCreds  = "invalid-credentials"
	storageExpiredCreds  = "expired-credentials"
	storageNoCreds       = "no-credentials"
	storageWrongRegion   = "wrong-region"
	storageClockSkew     = "clock-skew"
	storageRoleArnAnnot  = "eks.amazonaws.com/role-arn"
	storageGCPSAAnnot    = "iam.gke.io/gcp-service-account"
	storageAzureIDAnnot  = "azure.workload.identity/client-id"
	storageRolePlacehold = "<task-role-arn>"
)

var (
	// storageContext: the text is about Flyte data movement: flytekit's data persistence
	// (FK/flytekit/core/data_persistence.py), flytestdlib / propeller / admin storage wrappers and
	// flytecopilot.
	storageContext = regexp.MustCompile(`DownloadDataError|UploadDataError|FlyteDownloadDataException|FlyteUploadDataException|Failed to (?:get|put) data from|failed to read data from dataDir|Failed to write data \[|failed to read error file|Failed to write protobuf|failed to create output sandbox|Failed to download from ref|failed to open file at path|Failed to read from the raw store|path:(?:s3|gs|abfss?|oss)://|Received: (?:s3|gs|abfss?)://\S+\. File not found`)
	// storageSDK: an object-store client error outside Flyte's wrappers: botocore on an S3
	// operation, aws-sdk-go v1/v2, s3fs/gcsfs/adlfs tracebacks, GCS and Azure permission texts,
	// and credential-chain failures.
	storageSDK = regexp.MustCompile(`when calling the (?:HeadObject|GetObject|PutObject|ListObjects|ListObjectsV2|HeadBucket|CopyObject|DeleteObject|DeleteObjects|CreateMultipartUpload|UploadPart|UploadPartCopy|CompleteMultipartUpload|AbortMultipartUpload|GetBucketLocation|ListBuckets|GetObjectAttributes|AssumeRoleWithWebIdentity) operation|operation error S3: |status code: \d{3}, request id: |site-packages/(?:s3fs|gcsfs|adlfs)/|storage\.(?:objects|buckets)\.[a-zA-Z]+ access|storage\.googleapis\.com|blob\.core\.windows\.net|AuthorizationPermissionMismatch|NoCredentialsError|Unable to locate credentials|NoCredentialProviders|AssumeRoleWithWebIdentity`)

	storageCauseOrder = []struct {
		cause string
		re    *regexp.Regexp
	}{
		{storageNoCreds, regexp.MustCompile(`NoCredentialsError|Unable to locate credentials|NoCredentialProviders: no valid providers in chain|no EC2 IMDS role found|Not authorized to perform sts:AssumeRoleWithWebIdentity|InvalidIdentityToken|WebIdentityErr`)},
		{storageClockSkew, regexp.MustCompile(`RequestTimeTooSkewed|The difference between the request time and the current time is too large`)},
		{storageExpiredCreds, regexp.MustCompile(`ExpiredToken|The provided token has expired|security token included in the request is expired|TokenRefreshRequired`)},
		{storageInvalidCreds, regexp.MustCompile(`InvalidAccessKeyId|SignatureDoesNotMatch|The AWS Access Key Id you provided does not exist in our records|The request signature we calculated does not match the signature you provided|\(InvalidToken\)|The provided token is malformed`)},
		{storageWrongRegion, regexp.MustCompile(`PermanentRedirect|must be addressed using the specified endpoint|AuthorizationHeaderMalformed|the region '[\w-]+' is wrong|\(301\) when calling the \w+ operation|IllegalLocationConstraintException`)},
		{storageNoSuchBucket, regexp.MustCompile(`NoSuchBucket|The specified bucket does not exist`)},
		{storageNoSuchKey, regexp.MustCompile(`NoSuchKey|The specified key does not exist|\(404\) when calling the \w+ operation|Received: \S+\. File not found`)},
		{storageAccessDenied, regexp.MustCompile(`AccessDenied|Access Denied|\(403\) when calling the \w+ operation|AllAccessDisabled|does not have storage\.[a-z]+\.[a-zA-Z]+ access|AuthorizationPermissionMismatch|AuthorizationFailure|not authorized to perform this operation using this permission|PermissionError: Forbidden|status code: 403|StatusCode: 403`)},
	}

	storageURI = regexp.MustCompile(`\b(s3|gs|abfss?|oss)://([A-Za-z0-9][A-Za-z0-9._@-]*)/?([^\s'"\[\]()<>,]*)`)
	storageOp  = regexp.MustCompile(`when calling the (\w+) operation|operation error S3: (\w+)`)
	// The explicit-deny form S3 and KMS return since 2023: who was denied, which action, on what.
	storageNotAuthorized = regexp.MustCompile(`User: (arn:aws:\S+) is not authorized to perform: ([a-z0-9-]+:\w+) on resource: "?(arn:aws:[^\s"]+)"?(?: because ([^\n]+))?`)
	storageWhile         = regexp.MustCompile(`Failed to (?:get|put) data from|failed to read data from dataDir|Failed to write data \[|failed to read error file|Failed to write protobuf|failed to create output sandbox|Failed to download from ref|Received: \S+\. File not found`)
	storageRegionHint    = regexp.MustCompile(`the region '([\w-]+)' is wrong; expecting '([\w-]+)'`)
	storageGCPPrincipal  = regexp.MustCompile(`(\S+@\S+\.iam\.gserviceaccount\.com) does not have (storage\.[a-z]+\.[a-zA-Z]+) access`)
	// Image pulls reach blob stores too (GCR layers on storage.googleapis.com): not task data.
	storageImagePull   = regexp.MustCompile(`(?i)pulling image|pull image|ErrImagePull|ImagePullBackOff|failed to resolve reference`)
	storagePodKilled   = regexp.MustCompile(`terminated with exit code \((?:137|247)\)|OOMKilled`)
	storageAssumedRole = regexp.MustCompile(`^arn:(aws[\w-]*):sts::(\d+):assumed-role/([^/]+)/`)
	// Errors raised by Flyte's own services rather than by the task's process.
	storagePropellerSide = regexp.MustCompile(`failed to read data from dataDir|Failed to write data \[|failed to read error file|failed to create output sandbox|Failed to read from the raw store|path:(?:s3|gs|abfss?|oss)://|MetadataPrefixCreationFailure|OffloadedInputsReadFailure`)
	storageTaskSide      = regexp.MustCompile(`DownloadDataError|UploadDataError|Traceback|flytekit|botocore|s3fs|gcsfs|Failed to download from ref`)
)

// storageFailure is what a storage error text says.
type storageFailure struct {
	cause  string
	text   string // the whole text it was found in
	line   string // the decisive line
	where  string // "Admin's error", "attempt 1's error", "the log of pod x"
	scheme string
	bucket string
	key    string
	op     string // the S3 operation, when quoted
	code   string // the quoted error code or status: AccessDenied, 403, ExpiredToken
	at     int    // where the code was found in text
	actor  string // "task", "flytepropeller" or "flyteadmin"
	// From an explicit-deny message: the principal, action and resource S3/KMS named.
	principal, action, resource, because string
}

func (f *storageFailure) uri() string {
	if f.bucket == "" {
		return ""
	}
	if f.key == "" {
		return f.scheme + "://" + f.bucket
	}
	return f.scheme + "://" + f.bucket + "/" + f.key
}

// storageClassify reads one text. It returns nil unless the text is about Flyte's data or an
// object-store client, and names one of the category's causes.
func storageClassify(text string) *storageFailure {
	if (!storageContext.MatchString(text) && !storageSDK.MatchString(text)) || storageImagePull.MatchString(text) {
		return nil
	}
	for _, c := range storageCauseOrder {
		loc := c.re.FindStringIndex(text)
		if loc == nil {
			continue
		}
		f := &storageFailure{cause: c.cause, text: text, line: storageLineAt(text, loc[0]), code: storageCode(text[loc[0]:loc[1]]), at: loc[0]}
		if m := storageURI.FindStringSubmatch(text); m != nil {
			f.scheme, f.bucket, f.key = m[1], m[2], strings.TrimRight(m[3], ".:;")
		}
		if m := storageOp.FindStringSubmatch(text); m != nil {
			f.op = cmp.Or(m[1], m[2])
		}
		if m := storageNotAuthorized.FindStringSubmatch(text); m != nil {
			f.principal, f.action = m[1], m[2]
			f.resource, f.because = strings.TrimRight(m[3], ".,;"), strings.TrimRight(strings.TrimSpace(m[4]), ".")
			if strings.HasPrefix(f.resource, "arn:aws:s3:::") { // S3 named the object: trust it over a quoted URI
				b, k, _ := strings.Cut(strings.TrimPrefix(f.resource, "arn:aws:s3:::"), "/")
				f.scheme, f.bucket, f.key = "s3", b, k
			}
		}
		f.actor = "task"
		if storagePropellerSide.MatchString(text) && !storageTaskSide.MatchString(text) {
			f.actor = "flytepropeller"
		} else if strings.Contains(text, "Failed to write protobuf") {
			f.actor = "flyteadmin"
		}
		return f
	}
	return nil
}

// storageMessageCodes maps S3's error messages (s3fs keeps only the message) to their codes.
var storageMessageCodes = map[string]string{
	"The AWS Access Key Id you provided does not exist in our records":              "InvalidAccessKeyId",
	"The request signature we calculated does not match the signature you provided": "SignatureDoesNotMatch",
	"The provided token has expired":                                                "ExpiredToken",
	"security token included in the request is expired":                             "ExpiredToken",
	"The difference between the request time and the current time is too large":     "RequestTimeTooSkewed",
	"must be addressed using the specified endpoint":                                "PermanentRedirect",
	"The specified bucket does not exist":                                           "NoSuchBucket",
	"The specified key does not exist":                                              "NoSuchKey",
	"Access Denied":                                                                 "AccessDenied",
	"not authorized to perform this operation using this permission":                "AuthorizationPermissionMismatch",
}

// storageCode turns the matched text into the short code a summary quotes.
func storageCode(m string) string {
	if c, ok := storageMessageCodes[m]; ok {
		return c
	}
	switch {
	case strings.HasPrefix(m, "(") && strings.Contains(m, ")"):
		return m[1:strings.Index(m, ")")]
	case strings.Contains(m, "File not found"):
		return "File not found"
	case strings.HasPrefix(m, "status code: "), strings.HasPrefix(m, "StatusCode: "):
		return m[strings.Index(m, ": ")+2:]
	case strings.HasPrefix(m, "does not have "):
		return "403 " + strings.TrimSuffix(strings.TrimPrefix(m, "does not have "), " access") + " denied"
	}
	return m
}

func storageLineAt(text string, at int) string {
	start := strings.LastIndexByte(text[:at], '\n') + 1
	end := strings.IndexByte(text[at:], '\n')
	if end < 0 {
		end = len(text)
	} else {
		end += at
	}
	// A long line (propeller joins its wrappers on one line) is cut around the match.
	from, to, pre, post := start, end, "", ""
	if end-start > 400 {
		from, to = max(start, at-200), min(end, at+200)
		for from > start && !utf8.RuneStart(text[from]) { // cut between characters
			from++
		}
		for to < end && !utf8.RuneStart(text[to]) {
			to--
		}
		if from > start {
			pre = "... "
		}
		if to < end {
			post = " ..."
		}
	}
	return pre + strings.TrimSpace(strings.TrimRight(text[from:to], "\r")) + post
}

// storageFind classifies the site: Admin's error first (the node's, then each failed attempt's,
// latest first); then, when the pod died before flytekit could write error.pb (no USER:/SYSTEM:
// code from error.pb, and not a SIGKILL or OOM), the pods' termination messages and log tails.
func storageFind(s *Site) *storageFailure {
	return siteOnce(s, "storage", func() *storageFailure { return storageRead(s) })
}

func storageRead(s *Site) *storageFailure {
	if s.Stuck {
		return nil
	}
	code, msg, _ := s.Error()
	if f := storageClassify(msg); f != nil {
		f.where = "Admin's error"
		return f
	}
	for i := len(s.Attempts) - 1; i >= 0; i-- {
		a := s.Attempts[i]
		if a.Error == nil {
			continue
		}
		_, m := Unwrap(a.Error.Code, a.Error.Message)
		if f := storageClassify(m); f != nil {
			f.where = fmt.Sprintf("attempt %d's error", a.RetryAttempt)
			return f
		}
	}
	if strings.HasPrefix(code, "USER:") || strings.HasPrefix(code, "SYSTEM:") || code == "SYSTEM" || storagePodKilled.MatchString(msg) {
		return nil // flytekit wrote error.pb with another error, or the pod was killed
	}
	for _, pc := range s.Containers() {
		for _, st := range []evidence.ContainerState{pc.Container.State, pc.Container.LastState} {
			if st.State != "terminated" || st.ExitCode == 0 || st.ExitCode == 137 || st.Reason == "OOMKilled" {
				continue
			}
			if f := storageClassify(st.Message); f != nil {
				f.where = fmt.Sprintf("the termination message of container %s in pod %s", pc.Container.Name, pc.Pod.Name)
				return f
			}
		}
	}
	for _, l := range s.Kube().Logs {
		if s.Pods[l.Pod] == nil && !s.Missing[l.Pod] {
			continue
		}
		if f := storageClassify(l.Text); f != nil {
			f.where = fmt.Sprintf("the log of pod %s (container %s)", l.Pod, l.Container)
			return f
		}
	}
	return nil
}

// storageAttempts counts the site's failed attempts whose own error has the same cause.
func storageAttempts(s *Site, cause string) (n, of int) {
	for _, a := range s.Attempts {
		if a.Error == nil {
			continue
		}
		of++
		_, m := Unwrap(a.Error.Code, a.Error.Message)
		if f := storageClassify(m); f != nil && f.cause == cause {
			n++
		}
	}
	return n, of
}

// storageTaskIdentity is who the task runs as, as far as the evidence knows.
type storageTaskIdentity struct {
	namespace, serviceAccount string
	role                      string // AWS role ARN
	how                       string // how the role is attached
	gcpSA, azureClientID      string
	saRead                    bool // the service account object was collected
}

func storageTaskWho(s *Site) storageTaskIdentity {
	var id storageTaskIdentity
	id.namespace = cmp.Or(s.Kube().Namespace, s.Execution.Namespace)
	for _, name := range s.podNames() {
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
		if r := sa.Annotations[storageRoleArnAnnot]; r != "" {
			id.role = r
			id.how = fmt.Sprintf("service account %s/%s, which IRSA maps to %s (%s)", id.namespace, sa.Name, r, storageRoleArnAnnot)
		}
		id.gcpSA = sa.Annotations[storageGCPSAAnnot]
		id.azureClientID = sa.Annotations[storageAzureIDAnnot]
	}
	if id.role == "" && s.Execution.IAMRole != "" {
		id.role = s.Execution.IAMRole
		id.how = fmt.Sprintf("service account %s/%s with the execution's run_as.iam_role %s", id.namespace, id.serviceAccount, s.Execution.IAMRole)
	}
	return id
}

// storageRoleFromPrincipal turns an assumed-role session ARN into its role ARN.
func storageRoleFromPrincipal(p string) string {
	if m := storageAssumedRole.FindStringSubmatch(p); m != nil {
		return "arn:" + m[1] + ":iam::" + m[2] + ":role/" + m[3]
	}
	if strings.Contains(p, ":role/") || strings.Contains(p, ":user/") {
		return p
	}
	return ""
}

func storageRoleName(arn string) string {
	if i := strings.LastIndexByte(arn, '/'); i >= 0 && strings.Contains(arn, ":role/") {
		return arn[i+1:]
	}
	return ""
}

// storageCustomEndpoint is the S3 endpoint flytedoctor used when it is not AWS (MinIO, Spaces,
// Ceph): there tasks authenticate with injected keys, not IRSA.
func storageCustomEndpoint(snap *evidence.Snapshot) string {
	if st := snap.Storage; st != nil && st.Identity.Endpoint != "" && !strings.Contains(st.Identity.Endpoint, "amazonaws.com") {
		return st.Identity.Endpoint
	}
	return ""
}

// storageProbeIdentity says who the probes ran as.
func storageProbeIdentity(snap *evidence.Snapshot) (who string, asTask bool) {
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

// storageProbeLine describes one probe.
func storageProbeLine(p evidence.StorageProbe) string {
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

// storageCredentialCode reports an error code about the caller's credentials, not its rights.
func storageCredentialCode(code string) bool {
	switch code {
	case "InvalidAccessKeyId", "SignatureDoesNotMatch", "ExpiredToken", "InvalidToken", "TokenRefreshRequired", "RequestTimeTooSkewed":
		return true
	}
	return false
}

// storageCorroborate lists the probes that bear on the failure: the site's probes of the same
// object first, then the site's other failing probes, then failing probes of the same bucket
// that belong to no node (bucket checks, the metadata and raw output prefixes). failed counts
// the failing ones; selfRejected is a credential error S3 gave flytedoctor itself.
func storageCorroborate(s *Site, f *storageFailure) (lines []string, failed int, sameKeyOK bool, selfRejected string) {
	seen := map[string]bool{}
	failing := func(p evidence.StorageProbe) bool {
		switch p.Outcome {
		case evidence.ProbeDenied, evidence.ProbeNotFound, evidence.ProbeRedirect:
			return true
		}
		return false
	}
	add := func(p evidence.StorageProbe) {
		l := storageProbeLine(p)
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
			if failing(p) && storageCredentialCode(p.ErrorCode) && selfRejected == "" {
				selfRejected = p.ErrorCode
			}
		}
	}
	if len(lines) > 6 {
		lines = append(lines[:6], fmt.Sprintf("... and %d more probes", len(lines)-6))
	}
	return lines, failed, sameKeyOK, selfRejected
}

func storageProbeCount(n int) string {
	if n == 1 {
		return "flytedoctor's probe of the path"
	}
	return fmt.Sprintf("%d of flytedoctor's probes", n)
}

// storageIAMAction maps an S3 operation to the IAM action and resource it needs.
func storageIAMAction(f *storageFailure) (action, resource string) {
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

// storagePolicy is the minimal statement Flyte's data plane needs on a bucket (facts E).
func storagePolicy(bucket string) string {
	return fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject*","s3:PutObject*","s3:DeleteObject*"],"Resource":"arn:aws:s3:::%s/*"},{"Effect":"Allow","Action":["s3:ListBucket"],"Resource":"arn:aws:s3:::%s"}]}`, bucket, bucket)
}

// storageWhat names what a key is in Flyte's layout.
func storageWhat(key string) string {
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

func storageAccessWord(f *storageFailure) string {
	switch storageVerb(f) {
	case "writing":
		return "write"
	case "listing":
		return "list"
	case "deleting":
		return "delete"
	}
	return "read"
}

func storageVerb(f *storageFailure) string {
	action, _ := storageIAMAction(f)
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

// storageHit builds the finding shared by the site rules.
func storageHit(s *Site, f *storageFailure, summary string) *Hit {
	who := storageTaskWho(s)
	if r := storageRoleFromPrincipal(f.principal); r != "" && f.actor == "task" {
		who.role = r
	}
	sub := s.Subject()
	sub.Bucket, sub.Key = f.bucket, f.key

	n, of := storageAttempts(s, f.cause)
	if of == 2 && n == 2 {
		summary += ", in both attempts"
	} else if of > 1 && n == of {
		summary += fmt.Sprintf(", in all %d attempts", n)
	} else if of > 1 && n > 1 {
		summary += fmt.Sprintf(", in %d of %d attempts", n, of)
	}

	var detail []string
	quote := fmt.Sprintf("%s says %q", f.where, f.line)
	if ctx := storageContextLine(f); ctx != "" && ctx != f.line {
		quote = fmt.Sprintf("%s says %q, then %q", f.where, ctx, f.line)
	}
	detail = append(detail, strings.ToUpper(quote[:1])+quote[1:])
	if w := storageWhat(f.key); w != "" {
		detail = append(detail, fmt.Sprintf("%s is %s", f.uri(), w))
	}
	identityMatters := f.cause == storageAccessDenied || f.cause == storageNoCreds || f.cause == storageInvalidCreds || f.cause == storageExpiredCreds
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
		case storageCustomEndpoint(s.Snapshot) != "":
			detail = append(detail, fmt.Sprintf("the task runs as service account %s/%s; with the custom S3 endpoint %s a task gets no credentials from its service account, they must be injected as env", who.namespace, who.serviceAccount, storageCustomEndpoint(s.Snapshot)))
		case who.saRead:
			detail = append(detail, fmt.Sprintf("the task runs as service account %s/%s, which has no %s annotation, and the execution names no run_as.iam_role", who.namespace, who.serviceAccount, storageRoleArnAnnot))
		default:
			detail = append(detail, fmt.Sprintf("the task runs as service account %s/%s; its IAM role is unknown here (the service account was not read)", who.namespace, who.serviceAccount))
		}
	}
	probes, failed, sameKeyOK, selfRejected := storageCorroborate(s, f)
	if probeWho, asTask := storageProbeIdentity(s.Snapshot); probeWho != "" {
		switch {
		case selfRejected != "":
			detail = append(detail, fmt.Sprintf("the probes say nothing about the task here: S3 rejected flytedoctor's own credentials (%s)", selfRejected))
		case sameKeyOK && asTask && identityMatters:
			detail = append(detail, "probing as the task's role now succeeds on the same object: the permission may have been fixed since the run; relaunch")
		case sameKeyOK:
			detail = append(detail, storageSameKeyOK(f.cause, probeWho))
		case failed > 0 && (asTask || !identityMatters):
			detail = append(detail, fmt.Sprintf("%s failed the same way, as %s", storageProbeCount(failed), probeWho))
		case failed > 0:
			detail = append(detail, fmt.Sprintf("%s failed too, as %s, which may differ from the task's identity", storageProbeCount(failed), probeWho))
		}
	}
	evidenceLines := []string{f.where + ": " + f.line}
	if who.how != "" && f.actor == "task" && identityMatters {
		evidenceLines = append(evidenceLines, "task identity: "+who.how)
	}
	evidenceLines = append(evidenceLines, probes...)
	return &Hit{
		Cause:    f.cause,
		Summary:  summary,
		Detail:   strings.Join(detail, "; "),
		Evidence: evidenceLines,
		Fixes:    storageFixes(s, f, who),
		Subject:  sub,
	}
}

// storageSameKeyOK says what a successful probe of the failing path means for the cause.
func storageSameKeyOK(cause, probeWho string) string {
	switch cause {
	case storageNoSuchKey, storageNoSuchBucket:
		return probeWho + " finds the path now: it was created after the run, or the task looked at another endpoint"
	case storageWrongRegion, storageClockSkew:
		return probeWho + " reached the same path (the probes sign for the bucket's region with a correct clock)"
	}
	return probeWho + " can read the same path: it exists, and the task's own identity is what fails"
}

// storageContextLine is the flytekit / Flyte line saying what was being moved, if any.
func storageContextLine(f *storageFailure) string {
	for _, re := range []*regexp.Regexp{storageWhile, storageContext} {
		loc := re.FindStringIndex(f.text)
		if loc == nil {
			continue
		}
		lo, hi := min(loc[0], f.at), max(loc[0], f.at)
		if !strings.Contains(f.text[lo:hi], "\n") {
			return "" // on the decisive line already
		}
		return storageLineAt(f.text, loc[0])
	}
	return ""
}

// storagePod names the site's latest pod, even when it no longer exists.
func storagePod(s *Site) string {
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

// storageNodeName is the node the site's latest pod ran on.
func storageNodeName(s *Site) string {
	if p := s.Pods[s.Subject().Pod]; p != nil {
		return p.NodeName
	}
	return ""
}

func storageRegionFromText(text string) string {
	if m := storageRegionHint.FindStringSubmatch(text); m != nil {
		return m[2]
	}
	return ""
}

// storageBucketRegion is the region a probe learned for the bucket.
func storageBucketRegion(snap *evidence.Snapshot, bucket string) string {
	if st := snap.Storage; st != nil && bucket != "" {
		for _, p := range st.Probes {
			if p.Bucket == bucket && p.Region != "" {
				return p.Region
			}
		}
	}
	return ""
}

func storageFixes(s *Site, f *storageFailure, who storageTaskIdentity) []Fix {
	role := cmp.Or(who.role, storageRolePlacehold)
	exec := s.Snapshot.Target.String()
	reprobe := Fix{Action: "re-probe the execution's paths as the task's role (needs sts:AssumeRole on it)",
		Commands: []string{"flytedoctor --as-task-role " + exec}}
	if f.actor != "task" {
		role = "<" + f.actor + "-role-arn>"
	}
	bucket := cmp.Or(f.bucket, "BUCKET")
	action, resource := storageIAMAction(f)
	simulate := Fix{Action: fmt.Sprintf("check what %s may do on the object", role),
		Commands: []string{fmt.Sprintf("aws iam simulate-principal-policy --policy-source-arn %s --action-names %s --resource-arns %s", role, action, resource)}}
	grant := Fix{Action: fmt.Sprintf("grant %s Flyte's minimal data access on %s: s3:GetObject*, s3:PutObject*, s3:DeleteObject* on arn:aws:s3:::%s/* and s3:ListBucket on arn:aws:s3:::%s (a task needs this on both the metadata and the raw-output bucket)", role, bucket, bucket, bucket)}
	if name := storageRoleName(role); name != "" {
		grant.Commands = []string{fmt.Sprintf("aws iam put-role-policy --role-name %s --policy-name flyte-data-%s --policy-document '%s'", name, bucket, storagePolicy(bucket))}
	}
	sa := fmt.Sprintf("kubectl get serviceaccount -n %s %s -o yaml", who.namespace, who.serviceAccount)

	switch f.cause {
	case storageAccessDenied:
		switch {
		case f.actor == "flytepropeller":
			return []Fix{
				{Action: "find flytepropeller's IAM role (flyte-core: service account flyte/flytepropeller; flyte-binary: the chart's service account)",
					Commands: []string{"kubectl get serviceaccount -n flyte flytepropeller -o jsonpath='{.metadata.annotations.eks\\.amazonaws\\.com/role-arn}'"}},
				simulate, grant,
			}
		case f.actor == "flyteadmin":
			return []Fix{
				{Action: "find flyteadmin's IAM role (flyte-core: service account flyte/flyteadmin)",
					Commands: []string{"kubectl get serviceaccount -n flyte flyteadmin -o jsonpath='{.metadata.annotations.eks\\.amazonaws\\.com/role-arn}'"}},
				simulate, grant,
			}
		case f.scheme == "gs":
			gsa := cmp.Or(who.gcpSA, "GSA_EMAIL")
			if m := storageGCPPrincipal.FindStringSubmatch(f.text); m != nil {
				gsa = m[1]
			}
			return []Fix{
				{Action: "check the bucket's IAM bindings", Commands: []string{"gcloud storage buckets get-iam-policy gs://" + bucket}},
				{Action: fmt.Sprintf("grant %s object access on gs://%s", gsa, bucket),
					Commands: []string{fmt.Sprintf("gcloud storage buckets add-iam-policy-binding gs://%s --member=serviceAccount:%s --role=roles/storage.objectAdmin", bucket, gsa)}},
			}
		case strings.HasPrefix(f.action, "kms:"):
			return []Fix{
				{Action: fmt.Sprintf("allow %s to use the bucket's KMS key (%s, kms:GenerateDataKey for writes) in the key policy or the role's policy", role, f.action),
					Commands: []string{fmt.Sprintf("aws iam simulate-principal-policy --policy-source-arn %s --action-names %s --resource-arns %s", role, f.action, f.resource)}},
				reprobe,
			}
		}
		return []Fix{simulate, grant, reprobe}
	case storageNoSuchBucket:
		return []Fix{
			{Action: "check that the bucket exists and the name is right", Commands: []string{"aws s3api head-bucket --bucket " + bucket}},
			{Action: "fix the bucket in Flyte's storage config (storage.container, the raw output prefix) or in the path the task was given, then relaunch"},
		}
	case storageNoSuchKey:
		fixes := []Fix{{Action: "check whether the object exists", Commands: []string{fmt.Sprintf("aws s3api head-object --bucket %s --key %s", bucket, cmp.Or(f.key, "KEY"))}}}
		if strings.HasPrefix(storageWhat(f.key), "the fast-registered") {
			fixes = append(fixes, Fix{Action: "register the code again (pyflyte register, or pyflyte run --remote) and relaunch; check for a lifecycle rule that expires the upload prefix"})
		} else {
			fixes = append(fixes, Fix{Action: "relaunch from the console or flytectl if Flyte's own data was deleted (a lifecycle rule on the metadata bucket?), or fix the path given to the task"})
		}
		return append(fixes, Fix{Action: fmt.Sprintf("note that S3 answers 403, not 404, for a missing key when the caller lacks s3:ListBucket on arn:aws:s3:::%s", bucket)})
	case storageInvalidCreds:
		fixes := []Fix{
			{Action: "find which static keys the task uses (AWS_ACCESS_KEY_ID / FLYTE_AWS_ACCESS_KEY_ID env, a mounted secret, plugins.k8s.default-env-vars) and replace them with valid ones",
				Commands: []string{fmt.Sprintf("kubectl get pod -n %s %s -o jsonpath='{.spec.containers[0].env[*].name}'", who.namespace, storagePod(s))}},
		}
		if storageCustomEndpoint(s.Snapshot) == "" {
			fixes = append(fixes, Fix{Action: "prefer IRSA (eks.amazonaws.com/role-arn on the task's service account) to static keys", Commands: []string{sa}})
		}
		return fixes
	case storageExpiredCreds:
		fixes := []Fix{{Action: fmt.Sprintf("give the task refreshable credentials (IRSA on service account %s/%s: web identity refreshes itself) instead of a fixed session token", who.namespace, who.serviceAccount),
			Commands: []string{sa}}}
		if name := storageRoleName(who.role); name != "" {
			fixes = append(fixes, Fix{Action: "check the role's maximum session duration against the task's runtime",
				Commands: []string{fmt.Sprintf("aws iam get-role --role-name %s --query Role.MaxSessionDuration", name)}})
		}
		return fixes
	case storageNoCreds:
		if strings.Contains(f.text, "AssumeRoleWithWebIdentity") || strings.Contains(f.text, "InvalidIdentityToken") || strings.Contains(f.text, "WebIdentityErr") {
			name := cmp.Or(storageRoleName(role), "ROLE_NAME")
			return []Fix{
				{Action: fmt.Sprintf("let service account %s/%s assume %s: its trust policy must allow sts:AssumeRoleWithWebIdentity from the cluster's OIDC provider with sub system:serviceaccount:%s:%s", who.namespace, who.serviceAccount, role, who.namespace, who.serviceAccount),
					Commands: []string{fmt.Sprintf("aws iam get-role --role-name %s --query Role.AssumeRolePolicyDocument", name)}},
			}
		}
		if ep := storageCustomEndpoint(s.Snapshot); ep != "" {
			return []Fix{{Action: fmt.Sprintf("inject the object store's keys into task pods: set FLYTE_AWS_ENDPOINT=%s, FLYTE_AWS_ACCESS_KEY_ID and FLYTE_AWS_SECRET_ACCESS_KEY in plugins.k8s.default-env-vars (flyte-binary: configuration.inline.plugins.k8s.default-env-vars), then relaunch", ep)}}
		}
		return []Fix{
			{Action: fmt.Sprintf("give the task credentials: annotate service account %s/%s with %s (IRSA); new pods pick it up", who.namespace, who.serviceAccount, storageRoleArnAnnot),
				Commands: []string{sa, fmt.Sprintf("kubectl annotate serviceaccount -n %s %s %s=%s", who.namespace, who.serviceAccount, storageRoleArnAnnot, role)}},
		}
	case storageWrongRegion:
		region := "the bucket's region"
		if r := cmp.Or(storageRegionFromText(f.text), storageBucketRegion(s.Snapshot, f.bucket)); r != "" {
			region = r
		}
		return []Fix{{Action: fmt.Sprintf("configure the task's S3 client for %s (AWS_REGION / AWS_DEFAULT_REGION in plugins.k8s.default-env-vars; storage.connection.region for Flyte's own services)", region),
			Commands: []string{"aws s3api get-bucket-location --bucket " + bucket}}}
	case storageClockSkew:
		if node := storageNodeName(s); node != "" {
			return []Fix{{Action: fmt.Sprintf("fix the clock of node %s (chrony / NTP), or cordon it", node),
				Commands: []string{fmt.Sprintf("kubectl debug node/%s -it --image=busybox -- date -u", node)}}}
		}
		return []Fix{
			{Action: "find the node the pod ran on and fix its clock (chrony / NTP)",
				Commands: []string{fmt.Sprintf("kubectl get pod -n %s %s -o wide", who.namespace, storagePod(s)), "kubectl debug node/NODE -it --image=busybox -- date -u"}},
		}
	}
	return nil
}

// storageSiteRule is a site rule for one cause.
func storageSiteRule(cause string, summary func(*Site, *storageFailure) string) func(*Site) *Hit {
	return func(s *Site) *Hit {
		f := storageFind(s)
		if f == nil || f.cause != cause {
			return nil
		}
		return storageHit(s, f, summary(s, f))
	}
}

func storageOnWhat(f *storageFailure) string {
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

func storageTarget(f *storageFailure) string {
	if u := f.uri(); u != "" {
		return u
	}
	return "object storage"
}

func storageRules() []*Rule {
	return []*Rule{{
		ID: "FD3001", Name: "storage-no-credentials", Title: "The task found no usable cloud credentials for its data",
		Category: CatStoragePermission, Causes: []string{storageNoCreds}, Severity: Error, Requires: []string{"admin"},
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
		Fixes: []Fix{{Action: "annotate the task's service account with eks.amazonaws.com/role-arn (IRSA), or inject credentials through plugins.k8s.default-env-vars"}},
		Site: storageSiteRule(storageNoCreds, func(s *Site, f *storageFailure) string {
			if strings.Contains(f.text, "AssumeRoleWithWebIdentity") || strings.Contains(f.text, "InvalidIdentityToken") || strings.Contains(f.text, "WebIdentityErr") {
				return "the task could not assume its IAM role through its service account token (AssumeRoleWithWebIdentity denied)"
			}
			return fmt.Sprintf("the task had no cloud credentials %s %s (%s)", storageVerb(f), storageTarget(f), f.code)
		}),
	}, {
		ID: "FD3002", Name: "storage-clock-skew", Title: "The object store rejected the task's request time",
		Category: CatStoragePermission, Causes: []string{storageClockSkew}, Severity: Error, Requires: []string{"admin"},
		Doc: `S3 refuses a signed request whose timestamp is more than 15 minutes away from its own clock
(RequestTimeTooSkewed: "The difference between the request time and the current time is too
large"). The node the task pod ran on has a wrong clock. flytekit reports the failed transfer as
SYSTEM:DownloadDataError / UploadDataError (kind SYSTEM, recoverable): a retry on another node
may pass, a retry on the same node will not.`,
		Fixes: []Fix{{Action: "fix the clock of the node the pod ran on (chrony / NTP)"}},
		Site: storageSiteRule(storageClockSkew, func(s *Site, f *storageFailure) string {
			return fmt.Sprintf("the object store rejected the task's request time %s %s%s: the node's clock is off", storageVerb(f), storageTarget(f), storageOnWhat(f))
		}),
	}, {
		ID: "FD3003", Name: "storage-expired-credentials", Title: "The task's cloud session token expired",
		Category: CatStoragePermission, Causes: []string{storageExpiredCreds}, Severity: Error, Requires: []string{"admin"},
		Doc: `The task presented temporary credentials whose session had ended (ExpiredToken: "The provided
token has expired"). This happens with a fixed AWS_SESSION_TOKEN injected into the pod, or with a
role whose maximum session is shorter than the task; IRSA web-identity credentials refresh
themselves. flytekit reports the failed transfer as SYSTEM:DownloadDataError / UploadDataError
(kind SYSTEM, recoverable); an upload at the end of a long task is the typical victim.`,
		Fixes: []Fix{{Action: "use refreshable credentials (IRSA) instead of a fixed session token, or raise the role's maximum session duration"}},
		Site: storageSiteRule(storageExpiredCreds, func(s *Site, f *storageFailure) string {
			return fmt.Sprintf("the task's cloud session token expired %s %s%s", storageVerb(f), storageTarget(f), storageOnWhat(f))
		}),
	}, {
		ID: "FD3004", Name: "storage-invalid-credentials", Title: "The object store rejected the task's access key",
		Category: CatStoragePermission, Causes: []string{storageInvalidCreds}, Severity: Error, Requires: []string{"admin"},
		Doc: `The task signed its request with keys the object store does not accept: InvalidAccessKeyId ("The
AWS Access Key Id you provided does not exist in our records") or SignatureDoesNotMatch (a wrong
secret key, or a proxy that rewrites the request). Static keys come from env
(AWS_ACCESS_KEY_ID, FLYTE_AWS_ACCESS_KEY_ID via plugins.k8s.default-env-vars) or a mounted
secret; they were rotated or mistyped. flytekit reports the transfer as SYSTEM:DownloadDataError /
UploadDataError (kind SYSTEM); retries fail the same way.`,
		Fixes: []Fix{{Action: "replace the static keys the task uses, or switch the task to IRSA"}},
		Site: storageSiteRule(storageInvalidCreds, func(s *Site, f *storageFailure) string {
			return fmt.Sprintf("the object store rejected the task's access key %s %s%s", storageVerb(f), storageTarget(f), storageOnWhat(f))
		}),
	}, {
		ID: "FD3005", Name: "storage-wrong-region", Title: "The task addressed its bucket in the wrong region",
		Category: CatStoragePermission, Causes: []string{storageWrongRegion}, Severity: Error, Requires: []string{"admin"},
		Doc: `S3 answered that the bucket lives in another region: PermanentRedirect ("The bucket you are
attempting to access must be addressed using the specified endpoint"), a HEAD 301, or
AuthorizationHeaderMalformed ("the region 'us-east-1' is wrong; expecting 'eu-west-1'"). The
task's client (or Flyte's storage.connection.region) is set to another region than the bucket's.
flytekit reports the transfer as SYSTEM:DownloadDataError / UploadDataError; retries fail the same
way.`,
		Fixes: []Fix{{Action: "configure the task's S3 client for the bucket's region (aws s3api get-bucket-location)"}},
		Site: storageSiteRule(storageWrongRegion, func(s *Site, f *storageFailure) string {
			if m := storageRegionHint.FindStringSubmatch(f.text); m != nil {
				return fmt.Sprintf("the task signed for region %s but bucket %s is in %s", m[1], orUnknown(f.bucket), m[2])
			}
			if r := storageBucketRegion(s.Snapshot, f.bucket); r != "" {
				return fmt.Sprintf("bucket %s is in %s, not in the region the task's client used%s", f.bucket, r, storageOnWhat(f))
			}
			return fmt.Sprintf("bucket %s is in another region than the task's client%s", orUnknown(f.bucket), storageOnWhat(f))
		}),
	}, {
		ID: "FD3006", Name: "storage-no-such-bucket", Title: "The bucket the task uses does not exist",
		Category: CatStoragePermission, Causes: []string{storageNoSuchBucket}, Severity: Error, Requires: []string{"admin"},
		Doc: `The object store answered NoSuchBucket ("The specified bucket does not exist") for the bucket the
task read or wrote: a typo in Flyte's storage config (storage.container, the raw output prefix of
the launch plan or project), a bucket deleted or not yet created, or, with MinIO-style storage, a
task pointed at another endpoint than Flyte's services. flytekit reports the transfer as
SYSTEM:DownloadDataError / UploadDataError (kind SYSTEM); retries fail the same way.`,
		Fixes: []Fix{{Action: "create the bucket or fix its name in Flyte's storage config or in the task's input path"}},
		Site: storageSiteRule(storageNoSuchBucket, func(s *Site, f *storageFailure) string {
			return fmt.Sprintf("bucket %s does not exist%s", orUnknown(f.bucket), storageOnWhat(f))
		}),
	}, {
		ID: "FD3007", Name: "storage-no-such-key", Title: "An object the task needs does not exist",
		Category: CatStoragePermission, Causes: []string{storageNoSuchKey}, Severity: Error, Requires: []string{"admin"},
		Doc: `The object the task downloads is not there: NoSuchKey, a HEAD 404, or flytekit's
FlyteDataNotFoundException ("USER:ValueError: ... Received: s3://.... File not found"). When it is
Flyte's own data (inputs.pb under the propeller metadata prefix, the fast-registered code bundle
fastDIGEST.tar.gz) a lifecycle rule or a cleanup removed it; re-register or relaunch. Note that
S3 answers 403 AccessDenied instead of 404 for a missing key when the caller lacks s3:ListBucket,
so a missing object can also show up as an access-denied finding (flyteorg/flyte#4470).`,
		Fixes: []Fix{{Action: "check the object exists (aws s3api head-object); re-register the code or relaunch when Flyte's own data is gone"}},
		Site: storageSiteRule(storageNoSuchKey, func(s *Site, f *storageFailure) string {
			what := storageWhat(f.key)
			if what != "" {
				what = ", " + what + ","
			}
			return fmt.Sprintf("%s%s does not exist%s", storageTarget(f), what, storageOnWhat(f))
		}),
	}, {
		ID: "FD3008", Name: "storage-access-denied", Title: "The task was denied access to its data in object storage",
		Category: CatStoragePermission, Causes: []string{storageAccessDenied}, Severity: Error, Requires: []string{"admin"},
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
SSE-KMS key policy (kms:Decrypt) can also refuse. The storage probes ran as flytedoctor's identity,
or as the task's role with --as-task-role: they corroborate, but only the task's role decides.`,
		Fixes: []Fix{{Action: "grant the task's role s3:GetObject*, s3:PutObject*, s3:DeleteObject* and s3:ListBucket on the bucket; verify with aws iam simulate-principal-policy"}},
		Site: storageSiteRule(storageAccessDenied, func(s *Site, f *storageFailure) string {
			who := "the task"
			switch f.actor {
			case "flytepropeller":
				who = "flytepropeller"
			case "flyteadmin":
				who = "flyteadmin"
			}
			return fmt.Sprintf("%s was denied %s access to %s%s", who, storageAccessWord(f), storageTarget(f), storageOnWhat(f))
		}),
	}, {
		ID: "FD3009", Name: "storage-bucket-check-failed", Title: "A bucket the execution uses failed flytedoctor's bucket check",
		Category: CatStoragePermission,
		Causes:   []string{storageAccessDenied, storageNoSuchBucket, storageWrongRegion, storageInvalidCreds, storageExpiredCreds, storageClockSkew},
		Severity: Warning, Requires: []string{"storage"},
		Doc: `flytedoctor's HeadBucket on a bucket that holds the execution's Flyte data (metadata, inputs,
outputs, the raw output prefix) was refused or found nothing. This belongs to no failed node, so it
is a warning: it explains failures still to come (tasks writing outputs under the raw output
prefix) or a difference between flytedoctor's identity and the task's. Buckets that a site's
storage failure already names are left to that finding, and buckets only quoted in a user error are
not Flyte's data. A credential error (InvalidAccessKeyId, SignatureDoesNotMatch, ExpiredToken,
RequestTimeTooSkewed) concerns flytedoctor's own credentials: refresh them and rerun, the probes
say nothing until then. A redirect means flytedoctor's region differs from the bucket's; the
probes followed it, so it is reported as info.`,
		Fixes:  []Fix{{Action: "check the bucket name, region and flytedoctor's identity (aws sts get-caller-identity), then rerun"}},
		Global: storageBucketChecks,
	}}
}

// storageFlytePurpose reports a path Flyte itself reads or writes (not a path a user error quoted).
func storageFlytePurpose(p string) bool {
	return p != evidence.PurposeQuotedInError && p != ""
}

// storagePurposeWords names a path purpose in a sentence.
func storagePurposeWords(p string) string {
	switch p {
	case evidence.PurposeRawOutputPrefix:
		return "raw output prefix"
	case evidence.PurposeMetadataPrefix:
		return "metadata"
	case evidence.PurposeExecutionInputs:
		return "inputs"
	case evidence.PurposeExecutionOutputs:
		return "outputs"
	case evidence.PurposeNodeInputs:
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

// storageBlamed lists the buckets that a failed node's storage error names: a site finding
// already covers them.
func storageBlamed(ex *evidence.Execution) map[string]bool {
	out := map[string]bool{}
	if ex == nil {
		return out
	}
	add := func(e *evidence.ExecutionError) {
		if e == nil {
			return
		}
		_, m := Unwrap(e.Code, e.Message)
		if f := storageClassify(m); f != nil && f.bucket != "" {
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

func storageBucketChecks(snap *evidence.Snapshot) []Hit {
	st := snap.Storage
	if st == nil {
		return nil
	}
	uses := map[string][]string{} // bucket → Flyte purposes of the paths in it
	for _, p := range st.Probes {
		if p.Path.Purpose != evidence.PurposeBucket && storageFlytePurpose(p.Path.Purpose) && !contains(uses[p.Bucket], p.Path.Purpose) {
			uses[p.Bucket] = append(uses[p.Bucket], p.Path.Purpose)
		}
	}
	blamed := storageBlamed(snap.Execution)
	probeWho, asTask := storageProbeIdentity(snap)
	exec := snap.Target.String()

	var hits []Hit
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
		if storageCredentialCode(p.ErrorCode) {
			rejected = append(rejected, p)
			continue
		}
		if len(uses[p.Bucket]) == 0 || blamed[p.Bucket] {
			continue
		}
		sort.Strings(uses[p.Bucket])
		var words []string
		for _, u := range uses[p.Bucket] {
			words = append(words, storagePurposeWords(u))
		}
		usedFor := strings.Join(words, ", ")
		h := Hit{Subject: Subject{Execution: exec, Bucket: p.Bucket}, Evidence: []string{storageProbeLine(p)}}
		switch p.Outcome {
		case evidence.ProbeNotFound:
			h.Cause = storageNoSuchBucket
			h.Summary = fmt.Sprintf("bucket %s, which holds the execution's %s, does not exist", p.Bucket, usedFor)
			h.Detail = fmt.Sprintf("HeadBucket answered %s (HTTP %d) to %s", orUnknown(p.ErrorCode), p.HTTPStatus, probeWho)
			h.Fixes = []Fix{{Action: "check the bucket name in Flyte's storage config and that the bucket exists", Commands: []string{"aws s3api head-bucket --bucket " + p.Bucket}}}
		case evidence.ProbeRedirect:
			info := Info
			h.Severity = &info
			h.Cause = storageWrongRegion
			h.Summary = fmt.Sprintf("bucket %s is in region %s, not flytedoctor's region", p.Bucket, orUnknown(p.Region))
			h.Detail = fmt.Sprintf("HeadBucket answered %s; the probes followed the redirect; tasks configured for the same region as flytedoctor would get PermanentRedirect", orUnknown(p.ErrorCode))
			h.Fixes = []Fix{{Action: "use the bucket's region (--aws-region, storage.connection.region)", Commands: []string{"aws s3api get-bucket-location --bucket " + p.Bucket}}}
		default:
			h.Cause = storageAccessDenied
			who := "flytedoctor"
			if asTask {
				who = "the task's role " + snap.Storage.Identity.AssumedRole
			}
			h.Summary = fmt.Sprintf("%s may not access bucket %s, which holds the execution's %s", who, p.Bucket, usedFor)
			h.Detail = fmt.Sprintf("HeadBucket (which needs s3:ListBucket) answered %s (HTTP %d) to %s; no failed node blames this bucket, but tasks with the same rights would fail to list, read or write there", orUnknown(p.ErrorCode), p.HTTPStatus, probeWho)
			h.Fixes = []Fix{
				{Action: "check what the task's role may do on the bucket",
					Commands: []string{fmt.Sprintf("aws iam simulate-principal-policy --policy-source-arn %s --action-names s3:ListBucket s3:GetObject s3:PutObject --resource-arns arn:aws:s3:::%s arn:aws:s3:::%s/*", storageExecRole(snap), p.Bucket, p.Bucket)}},
				{Action: "re-probe as the task's role", Commands: []string{"flytedoctor --as-task-role " + exec}},
			}
		}
		hits = append(hits, h)
	}
	if len(rejected) > 0 {
		p := rejected[0]
		var buckets, lines []string
		for _, r := range rejected {
			buckets = append(buckets, r.Bucket)
			lines = append(lines, storageProbeLine(r))
		}
		h := Hit{Subject: Subject{Execution: exec, Bucket: p.Bucket}, Evidence: lines}
		switch p.ErrorCode {
		case "ExpiredToken", "TokenRefreshRequired":
			h.Cause = storageExpiredCreds
		case "RequestTimeTooSkewed":
			h.Cause = storageClockSkew
		default:
			h.Cause = storageInvalidCreds
		}
		h.Summary = fmt.Sprintf("the object store rejected flytedoctor's own credentials (%s): the storage probes say nothing about the task", p.ErrorCode)
		h.Detail = fmt.Sprintf("HeadBucket on %s answered %s to %s", strings.Join(buckets, ", "), p.ErrorCode, cmp.Or(probeWho, "flytedoctor"))
		h.Fixes = []Fix{{Action: "refresh flytedoctor's credentials (aws sso login, a new session token, or the machine's clock for RequestTimeTooSkewed) and rerun",
			Commands: []string{"aws sts get-caller-identity"}}}
		if p.ErrorCode == "RequestTimeTooSkewed" {
			h.Fixes = []Fix{{Action: "fix the clock of the machine running flytedoctor and rerun", Commands: []string{"date -u"}}}
		}
		hits = append(hits, h)
	}
	return hits
}

// storageExecRole is the role the execution's tasks run as, for global findings.
func storageExecRole(snap *evidence.Snapshot) string {
	if snap.Storage != nil && snap.Storage.Identity.AssumedRole != "" {
		return snap.Storage.Identity.AssumedRole
	}
	sa := ""
	if ex := snap.Execution; ex != nil {
		sa = ex.ServiceAccount
	}
	if k := snap.Kube; k != nil {
		for _, a := range k.ServiceAccounts {
			if (sa == "" || a.Name == sa) && a.Annotations[storageRoleArnAnnot] != "" {
				return a.Annotations[storageRoleArnAnnot]
			}
		}
	}
	if ex := snap.Execution; ex != nil && ex.IAMRole != "" {
		return ex.IAMRole
	}
	return storageRolePlacehold
}
