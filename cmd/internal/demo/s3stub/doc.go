// Package s3stub is a tiny S3-compatible HTTP server for `flytedoctor demo`, which has no cloud.
// Tests of the storage collector use a real S3 server instead.
//
// It serves a Spec (buckets, the objects in them, and IAM-like deny rules) path-style
// (/bucket/key) and answers the requests aws-sdk-go-v2 sends for HeadBucket, GetBucketLocation,
// HeadObject, GetObject (with Range), ListObjectsV2, PutObject and DeleteObject, the way S3 does:
//
//   - errors are S3 XML bodies (<Error><Code>AccessDenied</Code><Message>Access Denied</Message>
//     <RequestId>…</RequestId><HostId>…</HostId></Error>) with the matching status: 403
//     AccessDenied, 404 NoSuchKey or NoSuchBucket, 416 InvalidRange, 501 NotImplemented;
//   - HEAD errors carry the status only, no body, so SDKs report "Forbidden" or "NotFound";
//   - a missing key is 404 only if s3:ListBucket is allowed for it, otherwise 403, as on S3;
//   - every response has x-amz-request-id and x-amz-id-2, and responses about an existing
//     bucket have x-amz-bucket-region.
//
// Signatures are not checked: any Authorization is accepted. Objects written with PutObject are
// kept per Server, in memory; their content is not stored.
package s3stub
