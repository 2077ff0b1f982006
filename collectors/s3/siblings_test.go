package s3

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/flytedoctor/flytedoctor/collectors/evidence"
)

// fanout is a dynamic node n0 with n task children dn0..dn<n-1> whose inputs live in the
// execution's propeller data dir; the listed ones failed reading them.
func fanout(bucket, name string, n int, failed ...int) *evidence.Execution {
	ex := &evidence.Execution{ID: evidence.ExecutionID{Project: "flytesnacks", Domain: "development", Name: name}, Phase: "FAILED"}
	dir := fmt.Sprintf("s3://%s/metadata/propeller/flytesnacks-development-%s/n0/data/", bucket, name)
	parent := &evidence.Node{ID: "n0", Phase: "FAILED", Kind: evidence.KindDynamic, IsParent: true, IsDynamic: true,
		InputURI: dir + "inputs.pb", ChildrenCollected: true}
	for i := range n {
		c := &evidence.Node{ID: fmt.Sprintf("n0-0-dn%d", i), SpecNodeID: fmt.Sprintf("dn%d", i), Phase: "SUCCEEDED", Kind: evidence.KindTask,
			InputURI: fmt.Sprintf("%s0/dn%d/inputs.pb", dir, i)}
		if slices.Contains(failed, i) {
			c.Phase = "FAILED"
			c.Attempts = []*evidence.TaskAttempt{{Phase: "FAILED", Error: &evidence.ExecutionError{Code: "SYSTEM:DownloadDataError",
				Message: "SYSTEM:DownloadDataError: error=Failed to get data from " + c.InputURI + " to /tmp/flyte/inputs.pb (recursive=False).\n\nOriginal exception: An error occurred (403) when calling the HeadObject operation: Forbidden"}}}
		}
		parent.Children = append(parent.Children, c)
	}
	ex.Nodes = []*evidence.Node{parent}
	return ex
}

func comparePaths(paths []evidence.StoragePath) (failed, siblings []string) {
	for _, p := range paths {
		if !p.Compare {
			continue
		}
		id := p.Node.NodeID
		if p.Purpose == evidence.PurposeSiblingInputs {
			siblings = append(siblings, id)
		} else {
			failed = append(failed, id+" "+p.Purpose)
		}
	}
	return failed, siblings
}

// 3 of 1,000 children failed: their inputs are compared with those of 3 siblings that read
// theirs, spread over the family; the other 994 succeeded children are not probed.
func TestPathsSampleSucceededSiblings(t *testing.T) {
	ex := fanout("b", "e1", 1000, 17, 512, 873)
	// Flyte passes the first failed child's error up to the dynamic node: the path it quotes
	// is still the child's inputs.
	ex.Nodes[0].Error = ex.Nodes[0].Children[17].Attempts[0].Error
	paths, _ := Paths(ex, "")
	failed, siblings := comparePaths(paths)
	if want := []string{"n0-0-dn17 node-inputs", "n0-0-dn512 node-inputs", "n0-0-dn873 node-inputs"}; !slices.Equal(failed, want) {
		t.Errorf("failed inputs to compare = %v, want %v", failed, want)
	}
	if want := []string{"n0-0-dn0", "n0-0-dn499", "n0-0-dn999"}; !slices.Equal(siblings, want) {
		t.Errorf("siblings sampled = %v, want %v (first, middle, last of the 997)", siblings, want)
	}
	n := 0
	for _, p := range paths {
		if p.Node != nil && strings.Contains(p.URI, "/dn") && !slices.Contains([]string{"n0-0-dn17", "n0-0-dn512", "n0-0-dn873"}, p.Node.NodeID) {
			n++
		}
	}
	if n != SiblingSample {
		t.Errorf("%d succeeded children probed, want %d", n, SiblingSample)
	}

	// Every child failed: nobody to compare with, nothing added.
	paths, _ = Paths(fanout("b", "e2", 4, 0, 1, 2, 3), "")
	if failed, siblings := comparePaths(paths); len(failed)+len(siblings) != 0 {
		t.Errorf("compare paths without succeeded siblings: %v %v", failed, siblings)
	}

	// Many failures: only the first compareFailed have their owner read.
	paths, _ = Paths(fanout("b", "e3", 50, 1, 2, 3, 4, 5, 6, 7, 8), "")
	if failed, _ := comparePaths(paths); len(failed) != compareFailed {
		t.Errorf("failed inputs to compare = %v, want %d", failed, compareFailed)
	}
}

// Against a server that answers like AWS: HEAD names the SSE-KMS key, the listing the owner.
// The failed children's objects were written with another KMS key than the siblings'.
func TestCollectComparesFailedAndSiblingInputs(t *testing.T) {
	const (
		bucketKey = "arn:aws:kms:us-east-1:123456789012:key/0f4c6d1e-5a7b-4c2d-9e8f-1a2b3c4d5e6f"
		otherKey  = "arn:aws:kms:us-east-1:210987654321:key/7d9e2b4a-1c3f-4e5d-8a6b-9c0d1e2f3a4b"
		owner     = "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"
	)
	f := newFakeS3(t)
	f.buckets["acme-flyte-metadata"] = "us-east-1"
	ex := fanout("acme-flyte-metadata", "d9rk", 1000, 17, 512, 873)
	for _, c := range ex.Nodes[0].Children {
		key := strings.TrimPrefix(c.InputURI, "s3://")
		f.objects[key] = true
		f.owners[key] = owner
		h := map[string]string{"x-amz-server-side-encryption": "aws:kms", "x-amz-server-side-encryption-aws-kms-key-id": bucketKey,
			"x-amz-server-side-encryption-bucket-key-enabled": "true", "ETag": `"5d41402abc4b2a76b9719d911017c592"`}
		if c.Phase == "FAILED" {
			h["x-amz-server-side-encryption-aws-kms-key-id"] = otherKey
			delete(h, "x-amz-server-side-encryption-bucket-key-enabled")
		}
		f.headers[key] = h
	}
	paths, _ := Paths(ex, "")
	c := &Collector{S3: f.client("us-east-1"), Identity: evidence.StorageIdentity{Region: "us-east-1"}}
	st, rec := c.Collect(context.Background(), paths)

	got := map[string]evidence.ObjectMeta{}
	for _, p := range st.Probes {
		if p.Operation == "HeadObject" && p.Path.Compare {
			if p.Object == nil {
				t.Fatalf("%s: no object metadata (%s %s)", p.Key, p.Outcome, p.Message)
			}
			got[p.Path.Node.NodeID] = *p.Object
		}
	}
	if len(got) != 6 {
		t.Fatalf("compared objects = %v, want 3 failed and 3 siblings", got)
	}
	for id, m := range got {
		wantKey := bucketKey
		if slices.Contains([]string{"n0-0-dn17", "n0-0-dn512", "n0-0-dn873"}, id) {
			wantKey = otherKey
		}
		if m.SSE != "aws:kms" || m.KMSKeyID != wantKey || m.Owner != owner || m.Size != 1 || !slices.Equal(m.From, []string{"HeadObject", "ListObjectsV2"}) {
			t.Errorf("%s: %+v, want aws:kms with %s, owner %s, size 1, from HEAD and listing", id, m, wantKey, owner)
		}
		if m.BucketKeyEnabled != (wantKey == bucketKey) {
			t.Errorf("%s: bucket key enabled %v", id, m.BucketKeyEnabled)
		}
	}
	// One owner listing per compared object, and nothing written.
	owners := 0
	for _, r := range f.requests() {
		if strings.Contains(r, "fetch-owner=true") {
			owners++
		}
	}
	if owners != 6 || rec.Calls["ListObjectsV2"] < 6 {
		t.Errorf("owner listings = %d, calls %v", owners, rec.Calls)
	}
	if w := writes(f.requests()); len(w) != 0 {
		t.Errorf("writes: %v", w)
	}
}
