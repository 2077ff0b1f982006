package cli

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/flytedoctor/flytedoctor/cmd/internal/demo"
	"github.com/flytedoctor/flytedoctor/collectors/s3"
	"github.com/flytedoctor/flytedoctor/internal/loopback"
)

// The demo's storage clients answer from the in-process stub and cannot send a request
// anywhere else, whatever the user's flags or AWS configuration name.
func TestDemoStorageClientsStayOnLoopback(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	scenarios, err := demo.Scenarios()
	if err != nil {
		t.Fatal(err)
	}
	f, _, _ := testFactory(t, nil)
	df, cleanup, err := demoFactory(ctx, f, scenarios[0])
	if err != nil {
		t.Fatal(err)
	}
	defer cleanup()
	cl, err := df.StorageClients(ctx, s3.ClientOptions{Profile: "prod", Endpoint: "https://s3.us-east-1.amazonaws.com", Region: "eu-west-1"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cl.S3.HeadBucket(ctx, &awss3.HeadBucketInput{Bucket: aws.String("acme-flyte-metadata")}); err != nil {
		t.Fatalf("the stub does not answer: %v", err)
	}
	start := time.Now()
	_, err = cl.S3.HeadBucket(ctx, &awss3.HeadBucketInput{Bucket: aws.String("acme-flyte-metadata")},
		func(o *awss3.Options) { o.BaseEndpoint = aws.String("http://10.255.255.1:9") })
	if !errors.Is(err, loopback.ErrRefused) || time.Since(start) > 5*time.Second {
		t.Fatalf("request to 10.255.255.1: %v after %s, want refused before it is sent", err, time.Since(start))
	}
}
