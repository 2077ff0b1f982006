package rules_test

import (
	"github.com/flytedoctor/flytedoctor/rules"
	"os"
	"testing"

	"github.com/flytedoctor/flytedoctor/rules/internal/casetest"
)

// docs/rules.md is generated from the table; this fails when it is stale.
func TestRulesDoc(t *testing.T) {
	got := []byte(rules.Markdown(rules.Table()))
	const path = "../docs/rules.md"
	if *casetest.Update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(want) != string(got) {
		t.Fatal("docs/rules.md is stale: run go test ./rules -run TestRulesDoc -update")
	}
}
