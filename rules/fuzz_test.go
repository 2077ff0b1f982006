package rules_test

import (
	"reflect"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/flytedoctor/flytedoctor/collectors/evidence"
	"github.com/flytedoctor/flytedoctor/rules"
	"github.com/flytedoctor/flytedoctor/rules/internal/casetest"
)

// fuzzBases are the golden snapshots the table target fills with fuzzed texts.
func fuzzBases(t testing.TB) []string {
	dirs, err := casetest.Snapshots(".")
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no golden snapshots: %v", err)
	}
	return dirs
}

// fillTexts sets every outside text of the snapshot (messages, reasons, log text, abort
// causes; codes too when withCodes) to text, or appends text to what is there.
func fillTexts(v reflect.Value, text string, appendText, withCodes bool) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			fillTexts(v.Elem(), text, appendText, withCodes)
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			fillTexts(v.Index(i), text, appendText, withCodes)
		}
	case reflect.Map:
		for _, k := range v.MapKeys() {
			e := reflect.New(v.Type().Elem()).Elem()
			e.Set(v.MapIndex(k))
			fillTexts(e, text, appendText, withCodes)
			v.SetMapIndex(k, e)
		}
	case reflect.Struct:
		for i := range v.NumField() {
			fv, name := v.Field(i), v.Type().Field(i).Name
			if !fv.CanSet() {
				continue
			}
			if fv.Kind() == reflect.String && (oneOf(name, "Message", "Reason", "Text", "AbortCause") || withCodes && name == "Code") {
				if appendText {
					fv.SetString(fv.String() + text)
				} else {
					fv.SetString(text)
				}
				continue
			}
			fillTexts(fv, text, appendText, withCodes)
		}
	}
}

// fuzzSnapshot is golden snapshot base (modulo the number of them) with texts filled per mode.
func fuzzSnapshot(t testing.TB, bases []string, base, mode uint8, text string) *evidence.Snapshot {
	snap := casetest.LoadSnapshot(t, bases[int(base)%len(bases)])
	fillTexts(reflect.ValueOf(snap), text, mode&1 == 1, mode&2 == 2)
	return snap
}

func FuzzRun(f *testing.F) {
	bases := fuzzBases(f)
	// The first seed of each reader's own fuzz target.
	seeds := []string{
		"[3/3] currentAttempt done. Last Error: USER::Pod failed. No message received from kubernetes.\r\n[a4t8-n1-2] terminated with exit code (137). Reason [OOMKilled]. Message: \n.",
		"0/4 nodes are available: 1 node(s) had untolerated taint {nvidia.com/gpu: present}, 3 Insufficient nvidia.com/gpu. preemption: 0/4 nodes are available: 1 Preemption is not helpful for scheduling, 3 No preemption victims found for incoming pod.",
		`Failed to pull image "ghcr.io/acme/trainer:v1.2.3": rpc error: code = NotFound desc = failed to pull and unpack image "ghcr.io/acme/trainer:v1.2.3": failed to resolve reference "ghcr.io/acme/trainer:v1.2.3": ghcr.io/acme/trainer:v1.2.3: not found`,
		"SYSTEM:DownloadDataError: error=Failed to get data from s3://acme-flyte/metadata/propeller/flytesnacks-development-a1b2/n0/data/inputs.pb to /tmp/flyte-abc/inputs.pb (recursive=False).\n\nOriginal exception: An error occurred (403) when calling the HeadObject operation: Forbidden",
		"Pod failed. No message received from kubernetes.\r\n[a4t8-n1-0] terminated with exit code (1). Reason [Error]. Message: \nTraceback (most recent call last):\n  File \"/root/x.py\", line 1, in <module>\nRuntimeError: boom\n.",
		"[0-1][3]: [1/1] currentAttempt done. Last Error: USER::Pod failed. No message received from kubernetes.\r\n[fanout-n1-0-n0-0] terminated with exit code (137). Reason [OOMKilled]. Message: \n.\n[2]: USER::Traceback (most recent call last):\n  File \"/root/workflows/fanout.py\", line 31, in parse_shard\n    raise ValueError(f\"bad shard {i}\")\nValueError: bad shard 2\n",
	}
	for i, s := range seeds {
		f.Add(uint8(i*13), uint8(i), s)
	}
	table := rules.Table()
	f.Fuzz(func(t *testing.T, base, mode uint8, text string) {
		snap := fuzzSnapshot(t, bases, base, mode, text)
		orig := fuzzSnapshot(t, bases, base, mode, text)
		res := rules.Run(snap, table, rules.Config{})
		if !reflect.DeepEqual(snap, orig) {
			t.Fatal("Run changed the snapshot")
		}
		if again := rules.Run(snap, table, rules.Config{}); !reflect.DeepEqual(res, again) {
			t.Fatal("two runs over the same snapshot differ")
		}
		roots := 0
		for _, fd := range res.Findings {
			r := rules.Lookup(table, fd.RuleID)
			if r == nil {
				t.Fatalf("finding of unknown rule %s", fd.RuleID)
			}
			if fd.Category != r.Category || !slices.Contains(r.Causes, fd.Cause) {
				t.Errorf("%s: category %s, cause %s", fd.RuleID, fd.Category, fd.Cause)
			}
			if strings.TrimSpace(fd.Summary) == "" {
				t.Errorf("%s: empty summary", fd.RuleID)
			}
			// Texts are cut for summaries and evidence; a cut must not split a character.
			if utf8.ValidString(text) {
				for _, v := range append([]string{fd.Summary, fd.Detail}, fd.Evidence...) {
					if !utf8.ValidString(v) {
						t.Errorf("%s: %q cuts a character", fd.RuleID, v)
					}
				}
			}
			if fd.RootCause {
				roots++
			}
		}
		if n := len(rules.Sites(snap)); roots > n {
			t.Errorf("%d root causes for %d places", roots, n)
		}
	})
}

// oneOf reports whether v is one of allowed.
func oneOf(v string, allowed ...string) bool { return slices.Contains(allowed, v) }
