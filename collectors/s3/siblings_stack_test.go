package s3

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/flytedoctor/flytedoctor/collectors/evidence"
	"github.com/flytedoctor/flytedoctor/rules"
)

// stackFanoutBucket creates a bucket of its own on the stack's S3 server, as root, with the
// inputs of a dynamic node's n children, and a bucket policy that lets the reader read it all
// except the data dirs of the denied children: the same identity, two outcomes, one prefix
// apart. The bucket and its objects are removed at the end.
func stackFanoutBucket(t *testing.T, s stackS3, ex *evidence.Execution, denied []string) string {
	t.Helper()
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	bucket := "flytedoctor-siblings-" + hex.EncodeToString(b)
	root, ok := stackClients(t, s, s.rootKey, s.rootSecret, newRecorder(t)).S3.(*awss3.Client)
	if !ok {
		t.Fatal("stack clients are not SDK clients")
	}
	ctx := context.Background()
	if _, err := root.CreateBucket(ctx, &awss3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatal(err)
	}
	var keys []string
	t.Cleanup(func() {
		for _, k := range keys {
			_, _ = root.DeleteObject(context.Background(), &awss3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String(k)})
		}
		if _, err := root.DeleteBucket(context.Background(), &awss3.DeleteBucketInput{Bucket: aws.String(bucket)}); err != nil {
			t.Errorf("remove test bucket %s: %v", bucket, err)
		}
	})
	for _, c := range ex.Nodes[0].Children {
		_, k, _ := strings.Cut(strings.TrimPrefix(c.InputURI, "s3://"), "/")
		body := strings.Repeat("x", 40+len(keys)%7)
		if _, err := root.PutObject(ctx, &awss3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(k), Body: strings.NewReader(body)}); err != nil {
			t.Fatal(err)
		}
		keys = append(keys, k)
	}
	var deny []string
	for _, d := range denied {
		deny = append(deny, fmt.Sprintf(`"arn:aws:s3:::%s/%s*"`, bucket, d))
	}
	policy := fmt.Sprintf(`{"Version":"2012-10-17","Statement":[
 {"Effect":"Allow","Principal":{"AWS":["%[2]s"]},"Action":["s3:GetObject","s3:ListBucket","s3:GetBucketLocation"],"Resource":["arn:aws:s3:::%[1]s","arn:aws:s3:::%[1]s/*"]},
 {"Effect":"Deny","Principal":{"AWS":["%[2]s"]},"Action":["s3:GetObject"],"Resource":[%[3]s]}]}`, bucket, s.readerKey, strings.Join(deny, ","))
	if _, err := root.PutBucketPolicy(ctx, &awss3.PutBucketPolicyInput{Bucket: aws.String(bucket), Policy: aws.String(policy)}); err != nil {
		t.Fatal(err)
	}
	return bucket
}

// The real server: the reader may read the inputs of the children that succeeded, not those of
// the three that failed (a bucket policy Deny on their prefix). The failed ones' HEAD is
// refused, yet their listing still shows that they exist, their size and owner, beside the
// siblings' metadata from HEAD.
func TestStackSiblingInputsDeniedByPrefix(t *testing.T) {
	s := needStack(t)
	base := "metadata/propeller/flytesnacks-development-sib1/n0/data/0/"
	// The keys do not depend on the bucket's name, which is made up for the test.
	bucket := stackFanoutBucket(t, s, fanout("any", "sib1", 12), []string{base + "dn2/", base + "dn5/", base + "dn9/"})
	ex := fanout(bucket, "sib1", 12, 2, 5, 9)

	rec := newRecorder(t)
	cl := stackClients(t, s, s.readerKey, s.readerSecret, rec)
	paths, _ := Paths(ex, "")
	c := &Collector{S3: cl.S3, Identity: cl.Identity}
	st, record := c.Collect(context.Background(), paths)
	t.Logf("probes:\n%s", strings.Join(probeLines(st), "\n"))

	var failed, siblings int
	for _, p := range st.Probes {
		if p.Operation != "HeadObject" || !p.Path.Compare {
			continue
		}
		m := p.Object
		if m == nil || m.Size < 40 || m.Owner == "" {
			t.Fatalf("%s: object metadata %+v (%s %s)", p.Key, m, p.Outcome, p.Message)
		}
		switch p.Path.Purpose {
		case evidence.PurposeNodeInputs:
			failed++
			wantProbe(t, p, evidence.ProbeDenied, "AccessDenied", 403, "GetObject")
			if !slices.Equal(m.From, []string{"ListObjectsV2"}) {
				t.Errorf("%s: metadata from %v, want the listing alone (the HEAD was refused)", p.Key, m.From)
			}
		case evidence.PurposeSiblingInputs:
			siblings++
			wantProbe(t, p, evidence.ProbeOK, "", 200, "")
			if !slices.Equal(m.From, []string{"HeadObject", "ListObjectsV2"}) || m.ETag == "" || m.LastModified.IsZero() {
				t.Errorf("%s: %+v", p.Key, m)
			}
			// versitygw v1.8.0 keeps no server-side encryption: it names none, as S3 does for
			// an unencrypted object, and the field stays empty rather than guessed.
			if m.SSE != "" || m.KMSKeyID != "" {
				t.Errorf("%s: SSE %q key %q from a server that stores none", p.Key, m.SSE, m.KMSKeyID)
			}
		}
	}
	if failed != 3 || siblings != SiblingSample {
		t.Errorf("compared %d failed and %d siblings, want 3 and %d", failed, siblings, SiblingSample)
	}
	if record.Status != evidence.StatusOK {
		t.Errorf("record %+v", record)
	}
	if w := storageWrites(rec.requests()); len(w) != 0 {
		t.Errorf("writes: %v", w)
	}

	// The rules on what the real server said: one finding at the 3 places, naming the
	// difference the probes found and no grant on the whole bucket.
	snap := &evidence.Snapshot{SchemaVersion: evidence.SchemaVersion, CollectedAt: time.Now(), Execution: ex, Storage: st,
		Collection: []evidence.CollectorRecord{record}}
	var roots []rules.Finding
	for _, f := range rules.Run(snap, rules.Table(), rules.Config{}).Findings {
		if f.RootCause {
			roots = append(roots, f)
		}
	}
	if len(roots) != 1 || roots[0].RuleID != "FD3008" || len(roots[0].Places) != 3 {
		t.Fatalf("root causes %+v, want FD3008 at the 3 places", roots)
	}
	f := roots[0]
	t.Logf("%s\n%s", f.Summary, f.Detail)
	if !strings.Contains(f.Summary, "3 of 12 children of n0 were denied their inputs, which the same identity read for 9 siblings") ||
		!strings.Contains(f.Detail, "flytedoctor's own HEAD was denied on them, ok on the siblings'; the same owner") {
		t.Errorf("summary %q\ndetail %q", f.Summary, f.Detail)
	}
	for _, fix := range f.Fixes {
		if strings.Contains(fix.Action, "s3:GetObject*") {
			t.Errorf("a whole-bucket grant though 9 siblings read theirs: %s", fix.Action)
		}
	}
}
