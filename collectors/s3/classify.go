package s3

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"net/http"
	"strings"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"

	"github.com/flytedoctor/flytedoctor/collectors/evidence"
	"github.com/flytedoctor/flytedoctor/internal/oneline"
)

// Codes for failures that carry no S3 error code.
const (
	CodeTimeout           = "Timeout"
	CodeCanceled          = "Canceled"
	CodeConnectionRefused = "ConnectionRefused"
	CodeDNS               = "DNSError"
	CodeTLS               = "TLSError"
	CodeNetwork           = "NetworkError"
)

// failure is what an SDK error says, reduced to evidence fields.
type failure struct {
	outcome string
	code    string
	status  int
	reqID   string
	region  string // x-amz-bucket-region, when the server named the bucket's region
	msg     string
}

func (f failure) describe() string {
	s := f.code
	if f.msg != "" && f.msg != f.code {
		s += ": " + f.msg
	}
	return s
}

// classify reads an SDK error: the HTTP status, the S3 error code (a HEAD response has no body,
// so the SDK derives "Forbidden"/"NotFound"/"MovedPermanently" from the status) and the request
// id, or a network-level cause.
func classify(err error) failure {
	var f failure
	var re *awshttp.ResponseError
	if errors.As(err, &re) && re.Response != nil {
		f.status = re.HTTPStatusCode()
		f.reqID = re.ServiceRequestID()
		f.region = re.Response.Header.Get("X-Amz-Bucket-Region")
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		f.code, f.msg = oneline.Fold(ae.ErrorCode()), oneline.Fold(ae.ErrorMessage()) // both from the server's body
	}
	if f.status == 0 && f.code == "" {
		f.code, f.msg = networkCode(err), oneline.Fold(rootCause(err).Error())
	}
	// HEAD answers 301 without a body; the SDK then names it after the status text.
	if f.code == "MovedPermanently" {
		f.code = "PermanentRedirect"
	}
	f.outcome = outcome(f.status, f.code)
	return f
}

func outcome(status int, code string) string {
	switch code {
	case "PermanentRedirect", "TemporaryRedirect", "AuthorizationHeaderMalformed", "IllegalLocationConstraintException":
		return evidence.ProbeRedirect
	case "AccessDenied", "Forbidden", "AllAccessDisabled", "AccountProblem", "InvalidAccessKeyId",
		"SignatureDoesNotMatch", "ExpiredToken", "InvalidToken", "TokenRefreshRequired", "RequestTimeTooSkewed":
		return evidence.ProbeDenied
	case "NoSuchKey", "NoSuchBucket", "NotFound":
		return evidence.ProbeNotFound
	}
	switch status {
	case http.StatusMovedPermanently, http.StatusTemporaryRedirect:
		return evidence.ProbeRedirect
	case http.StatusForbidden:
		return evidence.ProbeDenied
	case http.StatusNotFound:
		return evidence.ProbeNotFound
	}
	return evidence.ProbeError
}

func networkCode(err error) string {
	var dns *net.DNSError
	var cert *tls.CertificateVerificationError
	var unknownCA x509.UnknownAuthorityError
	var hostname x509.HostnameError
	var record tls.RecordHeaderError
	switch {
	case errors.Is(err, context.Canceled):
		return CodeCanceled
	case errors.Is(err, context.DeadlineExceeded), isTimeout(err):
		return CodeTimeout
	case errors.As(err, &dns):
		return CodeDNS
	case errors.As(err, &cert), errors.As(err, &unknownCA), errors.As(err, &hostname), errors.As(err, &record):
		return CodeTLS
	case strings.Contains(err.Error(), "connection refused"):
		return CodeConnectionRefused
	}
	return CodeNetwork
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// rootCause drops the SDK's "operation error S3: HeadObject, exceeded maximum number of
// attempts" wrapping, keeping the innermost error that still says something.
func rootCause(err error) error {
	var op *net.OpError
	if errors.As(err, &op) {
		return op
	}
	var dns *net.DNSError
	if errors.As(err, &dns) {
		return dns
	}
	for {
		u := errors.Unwrap(err)
		if u == nil {
			return err
		}
		err = u
	}
}
