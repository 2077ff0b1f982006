package rules_test

import (
	"encoding/json"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/flytedoctor/flytedoctor/rules"
)

const module = "github.com/flytedoctor/flytedoctor/rules"

// families are the packages that hold rules; each is a folder under rules/.
var families = []string{"imagepull", "pending", "storage", "config", "memory", "usercode", "timeout",
	"interruption", "system", "collection"}

// A family imports the contract and the shared readers, never another family (nor the engine).
func TestFamiliesImportNoOtherFamily(t *testing.T) {
	args := []string{"list", "-json=ImportPath,Deps"}
	for _, f := range families {
		args = append(args, module+"/"+f)
	}
	out, err := exec.Command("go", args...).Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	dec := json.NewDecoder(strings.NewReader(string(out)))
	seen := 0
	for dec.More() {
		var p struct {
			ImportPath string
			Deps       []string
		}
		if err := dec.Decode(&p); err != nil {
			t.Fatal(err)
		}
		seen++
		for _, d := range p.Deps {
			if d == module {
				t.Errorf("%s imports the engine %s", p.ImportPath, d)
			}
			if f, ok := strings.CutPrefix(d, module+"/"); ok && slices.Contains(families, f) {
				t.Errorf("%s imports family %s", p.ImportPath, d)
			}
		}
	}
	if seen != len(families) {
		t.Fatalf("go list described %d packages, want %d", seen, len(families))
	}
}

// The catalogue lists each family's rules together, families in category order, and ends with
// the generic fallbacks (FD5901, FD8901), which only classify what nothing else did.
func TestCatalogueOrder(t *testing.T) {
	table := rules.Table()
	end := len(table)
	for end > 0 && table[end-1].Fallback {
		end--
	}
	if end == len(table) {
		t.Fatal("the table must end with the generic fallbacks")
	}
	for i := 1; i < end; i++ {
		if table[i].ID[:3] < table[i-1].ID[:3] {
			t.Errorf("%s comes after %s: groups must not interleave", table[i].ID, table[i-1].ID)
		}
	}
	for _, r := range table[end:] {
		if !strings.HasSuffix(r.ID, "901") {
			t.Errorf("%s is a fallback at the end; generic fallbacks are numbered FDx901", r.ID)
		}
	}
}
