package storage

import (
	"cmp"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/flytedoctor/flytedoctor/collectors/evidence"
	"github.com/flytedoctor/flytedoctor/rules/internal/pattern"
	"github.com/flytedoctor/flytedoctor/rules/rule"
)

const accessDenied = "access-denied"

const noSuchBucket = "no-such-bucket"

const noSuchKey = "no-such-key"

const invalidCreds = "invalid-credentials"

const expiredCreds = "expired-credentials"

const noCreds = "no-credentials"

const wrongRegion = "wrong-region"

const clockSkew = "clock-skew"

const roleArnAnnot = "eks.amazonaws.com/role-arn"

const gCPSAAnnot = "iam.gke.io/gcp-service-account"

const azureIDAnnot = "azure.workload.identity/client-id"

const rolePlacehold = "<task-role-arn>"

// context: the text is about Flyte data movement: flytekit's data persistence
// (FK/flytekit/core/data_persistence.py), flytestdlib / propeller / admin storage wrappers and
// flytecopilot.
var context = pattern.MustCompile(`DownloadDataError|UploadDataError|FlyteDownloadDataException|FlyteUploadDataException|Failed to (?:get|put) data from|failed to read data from dataDir|Failed to write data \[|failed to read error file|Failed to write protobuf|failed to create output sandbox|Failed to download from ref|failed to open file at path|Failed to read from the raw store|path:(?:s3|gs|abfss?|oss)://|Received: (?:s3|gs|abfss?)://\S+\. File not found`)

// sDK: an object-store client error outside Flyte's wrappers: botocore on an S3
// operation, aws-sdk-go v1/v2, s3fs/gcsfs/adlfs tracebacks, GCS and Azure permission texts,
// and credential-chain failures.
var sDK = pattern.MustCompile(`when calling the (?:HeadObject|GetObject|PutObject|ListObjects|ListObjectsV2|HeadBucket|CopyObject|DeleteObject|DeleteObjects|CreateMultipartUpload|UploadPart|UploadPartCopy|CompleteMultipartUpload|AbortMultipartUpload|GetBucketLocation|ListBuckets|GetObjectAttributes|AssumeRoleWithWebIdentity) operation|operation error S3: |status code: \d{3}, request id: |site-packages/(?:s3fs|gcsfs|adlfs)/|storage\.(?:objects|buckets)\.[a-zA-Z]+ access|storage\.googleapis\.com|blob\.core\.windows\.net|AuthorizationPermissionMismatch|NoCredentialsError|Unable to locate credentials|NoCredentialProviders|AssumeRoleWithWebIdentity`)

var causeOrder = []struct {
	cause string
	re    *pattern.Regexp
}{
	{noCreds, pattern.MustCompile(`NoCredentialsError|Unable to locate credentials|NoCredentialProviders: no valid providers in chain|no EC2 IMDS role found|Not authorized to perform sts:AssumeRoleWithWebIdentity|InvalidIdentityToken|WebIdentityErr`)},
	{clockSkew, pattern.MustCompile(`RequestTimeTooSkewed|The difference between the request time and the current time is too large`)},
	{expiredCreds, pattern.MustCompile(`ExpiredToken|The provided token has expired|security token included in the request is expired|TokenRefreshRequired`)},
	{invalidCreds, pattern.MustCompile(`InvalidAccessKeyId|SignatureDoesNotMatch|The AWS Access Key Id you provided does not exist in our records|The request signature we calculated does not match the signature you provided|\(InvalidToken\)|The provided token is malformed`)},
	{wrongRegion, pattern.MustCompile(`PermanentRedirect|must be addressed using the specified endpoint|AuthorizationHeaderMalformed|the region '[\w-]+' is wrong|\(301\) when calling the \w+ operation|IllegalLocationConstraintException`)},
	{noSuchBucket, pattern.MustCompile(`NoSuchBucket|The specified bucket does not exist`)},
	{noSuchKey, pattern.MustCompile(`NoSuchKey|The specified key does not exist|\(404\) when calling the \w+ operation|Received: \S+\. File not found`)},
	{accessDenied, pattern.MustCompile(`AccessDenied|Access Denied|\(403\) when calling the \w+ operation|AllAccessDisabled|does not have storage\.[a-z]+\.[a-zA-Z]+ access|AuthorizationPermissionMismatch|AuthorizationFailure|not authorized to perform this operation using this permission|PermissionError: Forbidden|status code: 403|StatusCode: 403`)},
}

var uRI = pattern.MustCompile(`\b(s3|gs|abfss?|oss)://([A-Za-z0-9][A-Za-z0-9._@-]*)/?([^\s'"\[\]()<>,]*)`)

var op = pattern.MustCompile(`when calling the (\w+) operation|operation error S3: (\w+)`)

// The explicit-deny form S3 and KMS return since 2023: who was denied, which action, on what.
var notAuthorized = pattern.MustCompile(`User: (arn:aws:\S+) is not authorized to perform: ([a-z0-9-]+:\w+) on resource: "?(arn:aws:[^\s"]+)"?(?: because ([^\n]+))?`)

var while = pattern.MustCompile(`Failed to (?:get|put) data from|failed to read data from dataDir|Failed to write data \[|failed to read error file|Failed to write protobuf|failed to create output sandbox|Failed to download from ref|Received: \S+\. File not found`)

var regionHint = pattern.MustCompile(`the region '([\w-]+)' is wrong; expecting '([\w-]+)'`)

var gCPPrincipal = pattern.MustCompile(`(\S+@\S+\.iam\.gserviceaccount\.com) does not have (storage\.[a-z]+\.[a-zA-Z]+) access`)

// Image pulls reach blob stores too (GCR layers on storage.googleapis.com): not task data.
var imagePull = pattern.MustCompile(`(?i)pulling image|pull image|ErrImagePull|ImagePullBackOff|failed to resolve reference`)

var podKilled = pattern.MustCompile(`terminated with exit code \((?:137|247)\)|OOMKilled`)

// Errors raised by Flyte's own services rather than by the task's process.
var propellerSide = pattern.MustCompile(`failed to read data from dataDir|Failed to write data \[|failed to read error file|failed to create output sandbox|Failed to read from the raw store|path:(?:s3|gs|abfss?|oss)://|MetadataPrefixCreationFailure|OffloadedInputsReadFailure`)

var taskSide = pattern.MustCompile(`DownloadDataError|UploadDataError|Traceback|flytekit|botocore|s3fs|gcsfs|Failed to download from ref`)

// failure is what a storage error text says.
type failure struct {
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

func (f *failure) uri() string {
	if f.bucket == "" {
		return ""
	}
	if f.key == "" {
		return f.scheme + "://" + f.bucket
	}
	return f.scheme + "://" + f.bucket + "/" + f.key
}

// classify reads one text. It returns nil unless the text is about Flyte's data or an
// object-store client, and names one of the category's causes.
func classify(text string) *failure {
	if (!context.MatchString(text) && !sDK.MatchString(text)) || imagePull.MatchString(text) {
		return nil
	}
	for _, c := range causeOrder {
		loc := c.re.FindStringIndex(text)
		if loc == nil {
			continue
		}
		f := &failure{cause: c.cause, text: text, line: lineAt(text, loc[0]), code: code(text[loc[0]:loc[1]]), at: loc[0]}
		if m := uRI.FindStringSubmatch(text); m != nil {
			f.scheme, f.bucket, f.key = m[1], m[2], strings.TrimRight(m[3], ".:;")
		}
		if m := op.FindStringSubmatch(text); m != nil {
			f.op = cmp.Or(m[1], m[2])
		}
		if m := notAuthorized.FindStringSubmatch(text); m != nil {
			f.principal, f.action = m[1], m[2]
			f.resource, f.because = strings.TrimRight(m[3], ".,;"), strings.TrimRight(strings.TrimSpace(m[4]), ".")
			if strings.HasPrefix(f.resource, "arn:aws:s3:::") { // S3 named the object: trust it over a quoted URI
				b, k, _ := strings.Cut(strings.TrimPrefix(f.resource, "arn:aws:s3:::"), "/")
				f.scheme, f.bucket, f.key = "s3", b, k
			}
		}
		f.actor = "task"
		if propellerSide.MatchString(text) && !taskSide.MatchString(text) {
			f.actor = "flytepropeller"
		} else if strings.Contains(text, "Failed to write protobuf") {
			f.actor = "flyteadmin"
		}
		return f
	}
	return nil
}

// messageCodes maps S3's error messages (s3fs keeps only the message) to their codes.
var messageCodes = map[string]string{
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

// code turns the matched text into the short code a summary quotes.
func code(m string) string {
	if c, ok := messageCodes[m]; ok {
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

func lineAt(text string, at int) string {
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

// failureOf is the site's storage failure, classified once per site by classifySite.
func failureOf(s *rule.Site) *failure {
	return rule.SiteOnce(s, "storage", func() *failure { return classifySite(s) })
}

// classifySite classifies the site: Admin's error first (the node's, then each failed attempt's,
// latest first); then, when the pod died before flytekit could write error.pb (no USER:/SYSTEM:
// code from error.pb, and not a SIGKILL or OOM), the pods' termination messages and log tails.
func classifySite(s *rule.Site) *failure {
	if s.Stuck {
		// Nothing failed yet, but a container that gave up may say why in its termination
		// message: flytecopilot's downloader, or the task's own container restarting.
		return terminated(s)
	}
	code, msg, _ := s.Error()
	if f := classify(msg); f != nil {
		f.where = "Admin's error"
		return f
	}
	for i := len(s.Attempts) - 1; i >= 0; i-- {
		a := s.Attempts[i]
		if a.Error == nil {
			continue
		}
		_, m := rule.Unwrap(a.Error.Code, a.Error.Message)
		if f := classify(m); f != nil {
			f.where = fmt.Sprintf("attempt %d's error", a.RetryAttempt)
			return f
		}
	}
	if strings.HasPrefix(code, "USER:") || strings.HasPrefix(code, "SYSTEM:") || code == "SYSTEM" || podKilled.MatchString(msg) {
		return nil // flytekit wrote error.pb with another error, or the pod was killed
	}
	if f := terminated(s); f != nil {
		return f
	}
	for _, l := range s.Kube().Logs {
		if s.Pods[l.Pod] == nil && !s.Missing[l.Pod] {
			continue
		}
		if f := classify(l.Text); f != nil {
			f.where = fmt.Sprintf("the log of pod %s (container %s)", l.Pod, l.Container)
			return f
		}
	}
	return nil
}

// terminated classifies the termination messages of the site's containers that exited with an
// error (not a SIGKILL or OOM, whose message is someone else's).
func terminated(s *rule.Site) *failure {
	for _, pc := range s.Containers() {
		for _, st := range []evidence.ContainerState{pc.Container.State, pc.Container.LastState} {
			if st.State != "terminated" || st.ExitCode == 0 || st.ExitCode == 137 || st.Reason == "OOMKilled" {
				continue
			}
			if f := classify(st.Message); f != nil {
				f.where = fmt.Sprintf("the termination message of container %s in pod %s", pc.Container.Name, pc.Pod.Name)
				return f
			}
		}
	}
	return nil
}

// attempts counts the site's failed attempts whose own error has the same cause.
func attempts(s *rule.Site, cause string) (n, of int) {
	for _, a := range s.Attempts {
		if a.Error == nil {
			continue
		}
		of++
		_, m := rule.Unwrap(a.Error.Code, a.Error.Message)
		if f := classify(m); f != nil && f.cause == cause {
			n++
		}
	}
	return n, of
}
