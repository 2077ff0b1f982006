package rules_test

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/flytedoctor/flytedoctor/rules"
	"github.com/flytedoctor/flytedoctor/rules/internal/casetest"
)

// Every rule has at least one firing and one quiet case, in its family's testdata or a
// scenario's; a family's testdata holds only its own rules' cases, and every case names a rule.
func TestEveryRuleHasCases(t *testing.T) {
	cases, err := casetest.Cases(".")
	if err != nil {
		t.Fatal(err)
	}
	table := rules.Table()
	has := map[string]bool{}
	for _, c := range cases {
		r := rules.Lookup(table, c.Rule)
		if r == nil {
			t.Errorf("%s: no rule %s", c.Dir, c.Rule)
			continue
		}
		kind, _, _ := strings.Cut(c.Name, "-")
		has[c.Rule+" "+kind] = true
		if fam := casetest.Family(r); !slices.Contains(families, fam) {
			t.Errorf("%s is declared outside the families (in %s)", c.Rule, fam)
		} else if !c.Scenario && !strings.HasPrefix(c.Dir, fam+string(filepath.Separator)) {
			t.Errorf("%s: the case of %s belongs in %s/testdata", c.Dir, c.Rule, fam)
		}
	}
	for _, r := range table {
		for _, kind := range []string{"fires", "quiet"} {
			if !has[r.ID+" "+kind] {
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
