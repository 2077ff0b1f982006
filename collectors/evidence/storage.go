package evidence

import "time"

// Storage is what the storage collector learned about the execution's data paths.
type Storage struct {
	Identity StorageIdentity `json:"identity"`
	// Probes are the requests made, one per bucket check and per distinct path.
	Probes []StorageProbe `json:"probes,omitempty"`
	// Unprobed are paths seen but not probed (another scheme such as gs:// or abfs://).
	Unprobed []StoragePath `json:"unprobed,omitempty"`
	// WriteProbe is true when --write-probe allowed a PutObject/DeleteObject marker.
	WriteProbe bool `json:"write_probe,omitempty"`
}

// StorageIdentity is who the probes ran as.
type StorageIdentity struct {
	// Source is where the credentials came from: "env", "profile:NAME", "web-identity",
	// "container", "instance", "config" (flytectl storage.connection) or "assumed-role".
	Source   string `json:"source,omitempty"`
	Account  string `json:"account,omitempty"`
	ARN      string `json:"arn,omitempty"` // "unknown" when STS did not answer
	Region   string `json:"region,omitempty"`
	Endpoint string `json:"endpoint,omitempty"` // custom S3 endpoint, if any
	// AssumedRole is the task role assumed with --as-task-role; AssumeError why that failed.
	AssumedRole string `json:"assumed_role,omitempty"`
	AssumeError string `json:"assume_error,omitempty"`
	// IdentityError says why ARN is "unknown" (no STS, STS refused, ...).
	IdentityError string `json:"identity_error,omitempty"`
}

// StoragePath is a data path the execution uses and why it matters.
type StoragePath struct {
	URI string `json:"uri"`
	// Purpose: "execution-inputs", "execution-outputs", "node-inputs", "node-outputs", "error",
	// "raw-output-prefix", "metadata-prefix", "offloaded-literal", "quoted-in-error", "sibling-inputs".
	Purpose string `json:"purpose"`
	// Node is the node execution the path belongs to, if any.
	Node   *NodeRef `json:"node,omitempty"`
	Reason string   `json:"reason,omitempty"` // for Unprobed: why
	// Kind is "object" (probed with HeadObject) or "prefix" (ListObjectsV2); "" means guess
	// from the URI. Bucket probes use Purpose "bucket".
	Kind string `json:"kind,omitempty"`
	// Compare asks for the object's owner too (a one-key listing), to set the inputs of failed
	// children beside those of siblings that read theirs.
	Compare bool `json:"compare,omitempty"`
}

// StorageProbe is one request and what came back.
type StorageProbe struct {
	Operation string      `json:"operation"` // HeadBucket, GetBucketLocation, HeadObject, ListObjectsV2, PutObject, DeleteObject
	Bucket    string      `json:"bucket"`
	Key       string      `json:"key,omitempty"`
	Path      StoragePath `json:"path"`
	// Outcome is "ok", "denied", "not-found", "redirect", "error" or "skipped".
	Outcome    string   `json:"outcome"`
	ErrorCode  string   `json:"error_code,omitempty"` // AccessDenied, NoSuchKey, PermanentRedirect, ...
	HTTPStatus int      `json:"http_status,omitempty"`
	RequestID  string   `json:"request_id,omitempty"`
	Region     string   `json:"region,omitempty"` // bucket region, when learned
	Message    string   `json:"message,omitempty"`
	Latency    Duration `json:"latency"`
	// Attempts is how many requests the SDK sent for Operation, retries included; 0 when not
	// counted (or not sent).
	Attempts int `json:"attempts,omitempty"`
	// ConfirmedBy names the request that supplied ErrorCode when the first one could not: a HEAD
	// error has no body, so its 4xx is confirmed with a one-byte GetObject or a ListObjectsV2.
	ConfirmedBy string `json:"confirmed_by,omitempty"`
	// Empty is true when a prefix listing succeeded but found no key.
	Empty bool `json:"empty,omitempty"`
	// Object is what the server said about the object: HeadObject's headers, and for a path to
	// compare, the owner from a one-key listing (which also answers when the HEAD is refused).
	Object *ObjectMeta `json:"object,omitempty"`
}

// ObjectMeta is an object's metadata as the probing identity could read it: what sets one
// object apart from its siblings (another KMS key, another owner, another size).
type ObjectMeta struct {
	Size         int64     `json:"size"`
	ETag         string    `json:"etag,omitempty"`
	LastModified time.Time `json:"last_modified,omitzero"`
	StorageClass string    `json:"storage_class,omitempty"`
	// SSE is x-amz-server-side-encryption: "AES256" (SSE-S3), "aws:kms" (SSE-KMS),
	// "aws:kms:dsse"; "" when the server did not say (S3-compatible stores often do not).
	SSE string `json:"sse,omitempty"`
	// KMSKeyID is x-amz-server-side-encryption-aws-kms-key-id, the key an SSE-KMS object
	// needs kms:Decrypt on.
	KMSKeyID         string `json:"kms_key_id,omitempty"`
	BucketKeyEnabled bool   `json:"bucket_key_enabled,omitempty"`
	// SSECustomerAlgorithm is set for SSE-C objects, readable only with the writer's own key.
	SSECustomerAlgorithm string `json:"sse_customer_algorithm,omitempty"`
	// Owner is the owner's canonical ID (with its display name, when given), from the listing.
	Owner string `json:"owner,omitempty"`
	// From names the requests that answered: HeadObject, ListObjectsV2 or both.
	From []string `json:"from"`
}

// StoragePath purposes.
const (
	PurposeExecutionInputs  = "execution-inputs"
	PurposeExecutionOutputs = "execution-outputs"
	PurposeNodeInputs       = "node-inputs"
	PurposeNodeOutputs      = "node-outputs"
	PurposeError            = "error"
	PurposeRawOutputPrefix  = "raw-output-prefix"
	PurposeMetadataPrefix   = "metadata-prefix"
	PurposeOffloadedLiteral = "offloaded-literal"
	PurposeQuotedInError    = "quoted-in-error"
	PurposeBucket           = "bucket"
	// PurposeSiblingInputs is the inputs.pb of a succeeded sibling of failed children (Siblings),
	// probed to compare theirs with.
	PurposeSiblingInputs = "sibling-inputs"
)

// StoragePath kinds.
const (
	PathObject = "object"
	PathPrefix = "prefix"
)

// StorageProbe outcomes.
const (
	ProbeOK       = "ok"
	ProbeDenied   = "denied"
	ProbeNotFound = "not-found"
	ProbeRedirect = "redirect"
	ProbeError    = "error"
	ProbeSkipped  = "skipped"
)
