package storage_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/flytedoctor/flytedoctor/rules"
	"github.com/flytedoctor/flytedoctor/rules/internal/casetest"
)

// When siblings read their inputs under the same identity, the role's access to the bucket is
// not the cause: no fix grants more of it, every case says what it compared, and the three
// places are one finding.
func TestSiblingsReadFineNoBucketGrant(t *testing.T) {
	cases, err := filepath.Glob("testdata/FD3008/fires-siblings-*/snapshot.json")
	if err != nil || len(cases) != 3 {
		t.Fatalf("cases %v: %v", cases, err)
	}
	for _, c := range cases {
		res := rules.Run(casetest.LoadSnapshot(t, c), rules.Table(), rules.Config{})
		var roots []rules.Finding
		for _, f := range res.Findings {
			if f.RootCause {
				roots = append(roots, f)
			}
		}
		if len(roots) != 1 || len(roots[0].Places) != 3 {
			t.Fatalf("%s: %d root causes, want one at 3 places", c, len(roots))
		}
		f := roots[0]
		for _, fix := range f.Fixes {
			all := fix.Action + strings.Join(fix.Commands, " ")
			if strings.Contains(all, "s3:GetObject*") || strings.Contains(all, "put-role-policy --role-name flyte-user-role --policy-name flyte-data") {
				t.Errorf("%s: fix grants bucket access though 31 siblings read theirs: %s", c, fix.Action)
			}
		}
		if !strings.Contains(f.Detail, "Compared with the siblings") || !strings.Contains(f.Summary, "which the same identity read for 31 siblings") {
			t.Errorf("%s: summary %q detail %q", c, f.Summary, f.Detail)
		}
		want := map[string]string{"kms-key": "kms-denied", "prefix-denied": "access-denied", "nothing-differed": "access-denied"}
		if name := strings.TrimPrefix(filepath.Base(filepath.Dir(c)), "fires-siblings-"); f.Cause != want[name] {
			t.Errorf("%s: cause %s, want %s", c, f.Cause, want[name])
		}
	}
}

// The other differences the comparison can find each bring their fix: another owner for the
// failed children's objects, and every failed pod on one node no sibling's ran on.
func TestSiblingsOwnerAndNode(t *testing.T) {
	snap := casetest.LoadSnapshot(t, "testdata/FD3008/fires-siblings-nothing-differed/snapshot.json")
	for i := range snap.Storage.Probes {
		p := &snap.Storage.Probes[i]
		if p.Path.Compare && p.Path.Purpose == "node-inputs" && p.Object != nil {
			p.Object.Owner = "3c0e1f5a7b9d2c4e6f8a0b1c3d5e7f9a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e"
		}
	}
	for i := range snap.Kube.Pods {
		snap.Kube.Pods[i].NodeName = "ip-10-0-11-42.ec2.internal"
	}
	res := rules.Run(snap, rules.Table(), rules.Config{})
	f := res.Findings[0]
	var actions []string
	for _, fix := range f.Fixes {
		actions = append(actions, fix.Action)
	}
	all := strings.Join(actions, "\n")
	for _, want := range []string{"another owner than the siblings'", "the failures share node ip-10-0-11-42.ec2.internal"} {
		if !strings.Contains(all, want) {
			t.Errorf("fixes lack %q:\n%s", want, all)
		}
	}
	if !strings.Contains(f.Detail, "owner 3c0e1f5a") || !strings.Contains(f.Detail, "every failed pod ran on ip-10-0-11-42.ec2.internal") {
		t.Errorf("detail %s", f.Detail)
	}
}
