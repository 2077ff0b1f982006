package report

import (
	"bytes"
	"encoding"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"sigs.k8s.io/yaml"

	"github.com/flytedoctor/flytedoctor/collectors/evidence"
	"github.com/flytedoctor/flytedoctor/rules"
)

// schemaPath is the report's JSON Schema, generated from the Go types the report is encoded
// from (go test ./report -run TestSchemaIsCurrent -update), with the descriptions below.
const schemaPath = "../docs/report.schema.json"

// schemaDocs describes the schema's types ("Type") and fields ("Type.json_key").
var schemaDocs = map[string]string{
	"Report":                   "What flytedoctor found about one execution: the engine's result, the rules it names, and the evidence they were judged on.",
	"Report.schema_version":    "flytedoctor.report/v<major>[.<minor>]; a newer minor only adds fields.",
	"Report.findings":          "Classified problems, root causes first (one per failing place), then what else was found.",
	"Report.suppressed":        "Findings the user turned off (--disable, flytedoctor.disable), with their reason.",
	"Report.rules_failed":      "Rules that panicked (a flytedoctor bug); their places went unclassified by them.",
	"Report.not_evaluated":     "Per layer of evidence that was not collected, the rules that need it and so did not run.",
	"Report.rules":             "Metadata of every rule the findings, suppressions and failures name, sorted by id.",
	"Report.snapshot":          "The evidence snapshot (flytedoctor.evidence/v1) the rules judged.",
	"Finding.rule_id":          "FD + category digit + number, e.g. FD1001; docs at docs_url.",
	"Finding.category":         "image-pull, resource-pending, storage-permission, out-of-memory, config-error, user-code, timeout, interrupted, system, aborted or collection.",
	"Finding.cause":            "The cause slug within the category, e.g. image-not-found.",
	"Finding.root_cause":       "True for the one finding that explains a failing place.",
	"Finding.subject":          "Where the finding is: execution, node path, attempts, pod, object.",
	"Finding.evidence":         "The decisive items quoted from the evidence.",
	"Finding.fixes":            "What to do, most likely first; commands are ready to paste.",
	"Finding.corroborated_by":  "Other rules of the same category that matched the same place.",
	"RuleInfo.severity":        "The rule's default severity; a finding carries its own, possibly re-rated.",
	"Snapshot":                 "Everything flytedoctor learned about one execution (flytedoctor.evidence/v1).",
	"Snapshot.schema_version":  "flytedoctor.evidence/v<major>[.<minor>].",
	"Snapshot.execution":       "The root execution with its node tree; absent when it could not be read.",
	"Snapshot.kube":            "The Kubernetes view of the execution's pods; absent when not collected.",
	"Snapshot.storage":         "What the execution's data paths allow; absent when not collected.",
	"Snapshot.collection":      "What each collector did: calls, attempts, durations, errors, skips.",
	"CollectorRecord.calls":    "Logical requests by method, each once however often it was retried.",
	"CollectorRecord.attempts": "Requests that went on the wire by method, retries included; absent when not counted.",
	"Duration":                 "A Go duration string, e.g. 3m6s, 1.5s, 0s.",
	"Severity":                 "error, warning or info.",
}

// schemaGen builds a JSON Schema (draft 2020-12) from Go types as encoding/json encodes
// them: required keys are those without omitempty/omitzero, nil slices and maps without
// omitempty may be null, no other keys are allowed.
type schemaGen struct {
	defs  map[string]any
	names map[string]reflect.Type
}

var (
	timeType     = reflect.TypeFor[time.Time]()
	durationType = reflect.TypeFor[evidence.Duration]()
	severityType = reflect.TypeFor[rules.Severity]()
	marshaler    = reflect.TypeFor[json.Marshaler]()
	textMarsh    = reflect.TypeFor[encoding.TextMarshaler]()
)

func (g *schemaGen) ref(name string, t reflect.Type, build func() map[string]any) map[string]any {
	if prev, ok := g.names[name]; ok && prev != t {
		panic(fmt.Sprintf("two types named %s: %v and %v", name, prev, t))
	}
	if _, ok := g.defs[name]; !ok {
		g.names[name] = t
		g.defs[name] = map[string]any{} // placeholder while recursing
		s := build()
		if d := schemaDocs[name]; d != "" {
			s["description"] = d
		}
		g.defs[name] = s
	}
	return map[string]any{"$ref": "#/$defs/" + name}
}

func (g *schemaGen) schema(t reflect.Type) map[string]any {
	switch t {
	case timeType:
		return map[string]any{"type": "string", "format": "date-time"}
	case durationType:
		return g.ref("Duration", t, func() map[string]any {
			return map[string]any{"type": "string", "pattern": `^-?(0|([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+)$`}
		})
	case severityType:
		return g.ref("Severity", t, func() map[string]any {
			return map[string]any{"type": "string", "enum": []string{"error", "warning", "info"}}
		})
	}
	if t.Implements(marshaler) || t.Implements(textMarsh) || reflect.PointerTo(t).Implements(marshaler) {
		panic(fmt.Sprintf("%v marshals itself: give it a case in schemaGen", t))
	}
	switch t.Kind() {
	case reflect.Pointer:
		return g.schema(t.Elem())
	case reflect.String:
		return map[string]any{"type": "string"}
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return map[string]any{"type": "integer"}
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return map[string]any{"type": "integer", "minimum": 0}
	case reflect.Float32, reflect.Float64:
		return map[string]any{"type": "number"}
	case reflect.Slice, reflect.Array:
		return map[string]any{"type": "array", "items": g.schema(t.Elem())}
	case reflect.Map:
		return map[string]any{"type": "object", "additionalProperties": g.schema(t.Elem())}
	case reflect.Interface:
		return map[string]any{}
	case reflect.Struct:
		return g.ref(t.Name(), t, func() map[string]any { return g.object(t) })
	}
	panic(fmt.Sprintf("no schema for %v", t))
}

func (g *schemaGen) object(t reflect.Type) map[string]any {
	props := map[string]any{}
	var required []string
	var walk func(t reflect.Type)
	walk = func(t reflect.Type) {
		for i := range t.NumField() {
			f := t.Field(i)
			tag := f.Tag.Get("json")
			if tag == "-" || (!f.IsExported() && !f.Anonymous) {
				continue
			}
			name, opts, _ := strings.Cut(tag, ",")
			if f.Anonymous && name == "" {
				walk(f.Type) // encoding/json lifts an untagged embedded struct's fields
				continue
			}
			if name == "" {
				name = f.Name
			}
			s := g.schema(f.Type)
			optional := strings.Contains(opts, "omitempty") || strings.Contains(opts, "omitzero")
			if !optional {
				required = append(required, name)
				if k := f.Type.Kind(); k == reflect.Slice || k == reflect.Map {
					s = map[string]any{"anyOf": []any{s, map[string]any{"type": "null"}}} // a nil one encodes as null
				}
			}
			if d := schemaDocs[t.Name()+"."+name]; d != "" {
				s = map[string]any{"allOf": []any{s}, "description": d}
			}
			props[name] = s
		}
	}
	walk(t)
	sort.Strings(required)
	o := map[string]any{"type": "object", "properties": props, "additionalProperties": false}
	if len(required) > 0 {
		o["required"] = required
	}
	return o
}

func generateSchema() []byte {
	g := &schemaGen{defs: map[string]any{}, names: map[string]reflect.Type{}}
	g.schema(reflect.TypeFor[Report]())
	// The versions this schema describes.
	pin := func(def, key, pattern string) {
		props := g.defs[def].(map[string]any)["properties"].(map[string]any)
		props[key] = map[string]any{"type": "string", "pattern": pattern, "description": schemaDocs[def+"."+key]}
	}
	pin("Report", "schema_version", `^flytedoctor\.report/v1(\.[0-9]+)?$`)
	pin("Snapshot", "schema_version", `^flytedoctor\.evidence/v1(\.[0-9]+)?$`)
	doc := map[string]any{
		"$schema":     "https://json-schema.org/draft/2020-12/schema",
		"$id":         "https://github.com/flytedoctor/flytedoctor/blob/main/docs/report.schema.json",
		"title":       "flytedoctor report (" + SchemaVersion + ")",
		"description": "The report flytedoctor writes with -o json, and with -o yaml in YAML. Generated from the Go types by go test ./report -run TestSchemaIsCurrent -update; see docs/report.md.",
		"$ref":        "#/$defs/Report",
		"$defs":       g.defs,
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(doc); err != nil {
		panic(err)
	}
	return b.Bytes()
}

func TestSchemaIsCurrent(t *testing.T) {
	got := generateSchema()
	if *update {
		if err := os.WriteFile(schemaPath, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(schemaPath)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s is not what the Go types give: go test ./report -run TestSchemaIsCurrent -update", schemaPath)
	}
}

func compileSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	f, err := os.Open(schemaPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat()
	if err := c.AddResource("report.schema.json", doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile("report.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func validate(s *jsonschema.Schema, j []byte) error {
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(j))
	if err != nil {
		return err
	}
	return s.Validate(v)
}

// Every JSON and YAML golden is a valid flytedoctor.report/v1 document.
func TestGoldensMatchTheSchema(t *testing.T) {
	s := compileSchema(t)
	paths, _ := filepath.Glob("testdata/golden/*.json")
	ys, _ := filepath.Glob("testdata/golden/*.yaml")
	paths = append(paths, ys...)
	if len(paths) < 2*len(inputNames(t)) {
		t.Fatalf("found %d JSON and YAML goldens", len(paths))
	}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasSuffix(p, ".yaml") {
			if b, err = yaml.YAMLToJSON(b); err != nil {
				t.Fatalf("%s: %v", p, err)
			}
		}
		if err := validate(s, b); err != nil {
			t.Errorf("%s: %v", p, err)
		}
	}
}

// The schema says no to what a reader would misread: it is not a schema that takes anything.
func TestSchemaRejectsWhatIsNotAReport(t *testing.T) {
	s := compileSchema(t)
	good, err := os.ReadFile("testdata/golden/image-pull.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := validate(s, good); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ what, from, to string }{
		{"a severity that is not one", `"severity": "error"`, `"severity": "fatal"`},
		{"a severity as a number", `"severity": "error"`, `"severity": 2`},
		{"a duration in nanoseconds", `"duration": "3m49.412s"`, `"duration": 229412000000`},
		{"another major version", `"schema_version": "flytedoctor.report/v1"`, `"schema_version": "flytedoctor.report/v2"`},
		{"another snapshot version", `"schema_version": "flytedoctor.evidence/v1"`, `"schema_version": "flytedoctor.evidence/v2"`},
		{"an unknown key", `"findings": [`, `"finding": [], "findings": [`},
		{"a missing key", `"root_cause": true,`, ``},
		{"a time that is not one", `"collected_at": "`, `"collected_at": "yesterday`},
	} {
		bad := strings.Replace(string(good), tc.from, tc.to, 1)
		if bad == string(good) {
			t.Fatalf("%s: %q is not in the golden", tc.what, tc.from)
		}
		if err := validate(s, []byte(bad)); err == nil {
			t.Errorf("the schema accepts %s", tc.what)
		}
	}
}
