package s3stub_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/flytedoctor/flytedoctor/cmd/internal/demo/s3stub"
	"github.com/flytedoctor/flytedoctor/internal/testnet"
)

// HEAD reports the bucket's default encryption, or the object's own, with AWS's header names;
// a listing with fetch-owner names the owner.
func TestEncryptionAndOwner(t *testing.T) {
	const bucketKey, otherKey = "arn:aws:kms:us-east-1:123456789012:key/bucket", "arn:aws:kms:us-east-1:123456789012:key/other"
	spec := s3stub.Spec{Buckets: []s3stub.Bucket{{Name: "meta", Region: "us-east-1",
		Encryption: &s3stub.Encryption{SSE: "aws:kms", KMSKeyID: bucketKey, BucketKeyEnabled: true},
		Objects: []s3stub.Object{
			{Key: "a/inputs.pb", Size: 10},
			{Key: "b/inputs.pb", Size: 12, Owner: "writer", Encryption: &s3stub.Encryption{SSE: "aws:kms", KMSKeyID: otherKey}},
		}}, {Name: "plain", Region: "us-east-1", Objects: []s3stub.Object{{Key: "x", Size: 1}}}}}
	endpoint, stop, err := s3stub.New(spec).Start(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	c := s3.New(s3.Options{Region: "us-east-1", BaseEndpoint: aws.String(endpoint), UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider("AKID", "secret", ""), HTTPClient: testnet.New(t).HTTPClient()})
	ctx := context.Background()
	for _, tt := range []struct {
		bucket, key, sse, kms string
		bucketKeyOn           bool
		owner                 string
	}{
		{"meta", "a/inputs.pb", "aws:kms", bucketKey, true, s3stub.BucketOwner},
		{"meta", "b/inputs.pb", "aws:kms", otherKey, false, "writer"},
		{"plain", "x", "AES256", "", false, s3stub.BucketOwner},
	} {
		h, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(tt.bucket), Key: aws.String(tt.key)})
		if err != nil {
			t.Fatal(err)
		}
		if string(h.ServerSideEncryption) != tt.sse || aws.ToString(h.SSEKMSKeyId) != tt.kms || aws.ToBool(h.BucketKeyEnabled) != tt.bucketKeyOn {
			t.Errorf("%s/%s: sse %q key %q bucket key %v", tt.bucket, tt.key, h.ServerSideEncryption, aws.ToString(h.SSEKMSKeyId), aws.ToBool(h.BucketKeyEnabled))
		}
		l, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(tt.bucket), Prefix: aws.String(tt.key), FetchOwner: aws.Bool(true)})
		if err != nil || len(l.Contents) != 1 || l.Contents[0].Owner == nil || aws.ToString(l.Contents[0].Owner.ID) != tt.owner {
			t.Errorf("%s/%s: listing %+v, %v", tt.bucket, tt.key, l, err)
		}
		l, _ = c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(tt.bucket), Prefix: aws.String(tt.key)})
		if len(l.Contents) != 1 || l.Contents[0].Owner != nil || aws.ToString(l.Contents[0].Key) != tt.key {
			t.Errorf("%s/%s: owner without fetch-owner", tt.bucket, tt.key)
		}
	}
}
