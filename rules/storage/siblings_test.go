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
