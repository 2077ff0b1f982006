package rules_test

import (
	"path/filepath"
	"testing"

	"github.com/flytedoctor/flytedoctor/rules"
)

// Every rule has at least one firing and one quiet case, in its family's testdata.
func TestEveryRuleHasCases(t *testing.T) {
	for _, r := range rules.Table() {
		for _, kind := range []string{"fires", "quiet"} {
			m, _ := filepath.Glob(filepath.Join("*", "testdata", r.ID, kind+"*", "snapshot.json"))
			if len(m) == 0 {
				t.Errorf("%s (%s) has no %s case", r.ID, r.Name, kind)
			}
		}
	}
}

func TestTableIsValid(t *testing.T) {
	if err := rules.Validate(rules.Table()); err != nil {
		t.Fatal(err)
	}
}
