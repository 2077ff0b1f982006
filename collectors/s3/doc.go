// Package s3 checks what the identity in use can do on the exact S3 paths one Flyte execution
// uses: its inputs and outputs, the failing nodes' data and error files, the raw output prefix,
// the propeller metadata prefix and paths quoted in error messages.
//
// Paths derives those paths from the evidence without I/O. Collector probes them read-only
// (HeadBucket, GetBucketLocation, HeadObject, ListObjectsV2 with one key, and a one-byte
// GetObject only to learn the error code a HEAD cannot carry); a PutObject/DeleteObject marker is
// written only when WriteProbe is set. A denied or missing path is evidence, not a collection
// error: only probes that got no answer count as errors. NewClients builds the SDK clients from
// the aws-sdk-go-v2 default chain, flags and the flytectl storage.connection section.
package s3
