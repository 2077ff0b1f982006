package rules_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"slices"
	"sort"
	"testing"

	"github.com/flytedoctor/flytedoctor/collectors/evidence"
	"github.com/flytedoctor/flytedoctor/rules/internal/casetest"
	"github.com/flytedoctor/flytedoctor/rules/rule"
)

// Every fixture has a shape the collectors write: it decodes into the evidence types with no
// unknown field, encodes back to the same JSON (no empty field a collector would omit, none
// missing that a collector always writes), and its collection records name real collectors
// (rule.Evidence.Collector) with real statuses.
func TestFixturesHaveCollectorShapes(t *testing.T) {
	paths, err := casetest.Snapshots(".")
	if err != nil || len(paths) < 100 {
		t.Fatalf("%d fixtures: %v", len(paths), err)
	}
	var collectors []string
	for _, e := range rule.EvidenceLayers {
		collectors = append(collectors, e.Collector())
	}
	statuses := []evidence.Status{evidence.StatusOK, evidence.StatusPartial, evidence.StatusFailed, evidence.StatusSkipped}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields()
		var snap evidence.Snapshot
		if err := dec.Decode(&snap); err != nil {
			t.Errorf("%s: %v", p, err)
			continue
		}
		again, err := json.Marshal(&snap)
		if err != nil {
			t.Fatal(err)
		}
		var want, got any
		if err := json.Unmarshal(b, &want); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(again, &got); err != nil {
			t.Fatal(err)
		}
		if d := jsonDiff("", want, got); d != "" {
			t.Errorf("%s does not round-trip through the evidence types: %s", p, d)
		}
		for _, rec := range snap.Collection {
			if !slices.Contains(collectors, rec.Collector) || !slices.Contains(statuses, rec.Status) {
				t.Errorf("%s: collection record %q status %q: no collector writes it (collectors %v)", p, rec.Collector, rec.Status, collectors)
			}
		}
	}
}

// jsonDiff names the first place where two decoded JSON values differ, or "".
func jsonDiff(at string, want, got any) string {
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return at + ": not an object after encoding"
		}
		keys := make([]string, 0, len(w)+len(g))
		for k := range w {
			keys = append(keys, k)
		}
		for k := range g {
			if _, ok := w[k]; !ok {
				keys = append(keys, k)
			}
		}
		sort.Strings(keys)
		for _, k := range keys {
			wv, inW := w[k]
			gv, inG := g[k]
			switch {
			case !inG:
				return fmt.Sprintf("%s.%s: %v is dropped by encoding (a collector would not write it)", at, k, wv)
			case !inW:
				return fmt.Sprintf("%s.%s: missing (a collector always writes it, here %v)", at, k, gv)
			}
			if d := jsonDiff(at+"."+k, wv, gv); d != "" {
				return d
			}
		}
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			return at + ": array changed by encoding"
		}
		for i := range w {
			if d := jsonDiff(fmt.Sprintf("%s[%d]", at, i), w[i], g[i]); d != "" {
				return d
			}
		}
	default:
		if !reflect.DeepEqual(want, got) {
			return fmt.Sprintf("%s: %v encodes as %v", at, want, got)
		}
	}
	return ""
}

// No two fixtures are the same snapshot: one that serves several rules is a scenario, with
// one golden, so that a wording change does not rewrite copies.
func TestFixturesAreNotCopied(t *testing.T) {
	paths, err := casetest.Snapshots(".")
	if err != nil {
		t.Fatal(err)
	}
	seen := map[[sha256.Size]byte]string{}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(b)
		if first, ok := seen[sum]; ok {
			t.Errorf("%s is a copy of %s: make it a scenario under %s (casetest.Manifest)", p, first, casetest.ScenarioDir)
		}
		seen[sum] = p
	}
}
