package evidence

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func sampleSnapshot() *Snapshot {
	s := &Snapshot{
		SchemaVersion: SchemaVersion,
		CollectedAt:   time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC),
		Tool:          Tool{Name: "flytedoctor", Version: "test"},
		Target:        ExecutionID{"p", "d", "root"},
		Execution:     sampleExecution(),
		Collection: []CollectorRecord{{Collector: "flyteadmin", Status: StatusOK,
			Duration: Duration(1500 * time.Millisecond), Calls: map[string]int{"GetExecution": 1}}},
	}
	s.Execution.Duration = Duration(3 * time.Minute)
	return s
}

func TestWriteThenReadIsTheSameSnapshot(t *testing.T) {
	in := sampleSnapshot()
	in.SchemaVersion = "" // Write stamps its own version
	var b bytes.Buffer
	if err := Write(&b, in); err != nil {
		t.Fatal(err)
	}
	if in.SchemaVersion != "" {
		t.Fatal("Write changed the snapshot it was given")
	}
	out, warnings, err := Read(&b)
	if err != nil || len(warnings) > 0 {
		t.Fatalf("Read: %v, warnings %q", err, warnings)
	}
	in.SchemaVersion = SchemaVersion
	if !reflect.DeepEqual(in, out) {
		t.Fatalf("round trip changed the snapshot:\n in: %+v\nout: %+v", in, out)
	}
}

// withVersion is the sample snapshot's JSON with schema_version replaced and extra fields
// spliced in at the top level.
func withVersion(t *testing.T, version, extra string) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := Write(&b, sampleSnapshot()); err != nil {
		t.Fatal(err)
	}
	doc := strings.Replace(b.String(), `"schema_version": "`+SchemaVersion+`"`, `"schema_version": "`+version+`"`+extra, 1)
	if doc == b.String() && (version != SchemaVersion || extra != "") {
		t.Fatal("schema_version not found in the written snapshot")
	}
	return []byte(doc)
}

func TestReadChecksTheSchemaVersion(t *testing.T) {
	for _, tc := range []struct {
		version, extra string
		warn, err      string
	}{
		{version: "flytedoctor.evidence/v1"},
		{version: "flytedoctor.evidence/v1.0"},
		{version: "flytedoctor.evidence/v1.3", extra: `, "checks": [{"id": "PF1001"}]`,
			warn: "schema flytedoctor.evidence/v1.3 is newer than this flytedoctor's flytedoctor.evidence/v1: fields it does not know are ignored"},
		{version: "flytedoctor.evidence/v2",
			err: "schema flytedoctor.evidence/v2 is newer than this flytedoctor reads (flytedoctor.evidence/v1): upgrade flytedoctor"},
		{version: "flytedoctor.evidence/v2.7", err: "flytedoctor.evidence/v2.7 is newer than this flytedoctor reads (flytedoctor.evidence/v1)"},
		{version: "flytedoctor.evidence/v0", err: `schema "flytedoctor.evidence/v0" is not flytedoctor.evidence/v<N>`},
		{version: "flytedoctor.report/v1", err: `schema "flytedoctor.report/v1" is not flytedoctor.evidence/v<N>`},
		{version: "flytedoctor.evidence/v1.x", err: "is not flytedoctor.evidence/v<N>"},
		{version: "flytedoctor.evidence/v+1", err: "is not flytedoctor.evidence/v<N>"},
		{version: "flytedoctor.evidence/v1", extra: `, "checks": []`,
			warn: `snapshot has unknown field "checks" (written by another flytedoctor?); it is ignored`},
	} {
		snap, warnings, err := Decode(withVersion(t, tc.version, tc.extra))
		switch {
		case tc.err != "":
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s: err %v, want %q", tc.version, err, tc.err)
			}
			continue
		case err != nil:
			t.Errorf("%s: %v", tc.version, err)
			continue
		}
		if got := strings.Join(warnings, "; "); (tc.warn == "") != (got == "") || !strings.Contains(got, tc.warn) {
			t.Errorf("%s %s: warnings %q, want %q", tc.version, tc.extra, got, tc.warn)
		}
		// Whatever the version, what this build knows is read whole.
		if snap.Execution == nil || len(snap.Execution.Nodes) != 4 || snap.Collection[0].Duration.Std() != 1500*time.Millisecond {
			t.Errorf("%s: snapshot not read whole: %+v", tc.version, snap)
		}
	}
}

func TestReadSaysWhatIsWrong(t *testing.T) {
	good := withVersion(t, SchemaVersion, "")
	for _, tc := range []struct {
		doc  string
		want string
	}{
		{" \n", "not a flytedoctor evidence snapshot: the document is empty"},
		{`{"target": {}}`, "it has no schema_version"},
		{`[1, 2]`, "not a flytedoctor evidence snapshot: cannot unmarshal array"},
		{string(good[:len(good)/2]), "the document ends early (truncated?)"},
		{strings.Replace(string(good), `"duration": "3m0s"`, `"duration": 180`, 1), "cannot decode the snapshot: duration must be a string"},
		{strings.Replace(string(good), `"phase": "FAILED"`, `"phase": 3`, 1), "cannot unmarshal number into Go struct field Execution.execution.phase of type string (line "},
		{string(good) + string(good), "more than one JSON document"},
	} {
		_, _, err := Decode([]byte(tc.doc))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%.40q: err %v, want %q", tc.doc, err, tc.want)
		}
	}
}

// Every snapshot the rules' golden cases hold is one this build writes: it reads strictly,
// without a warning, and writes back to the same document.
func TestRuleCaseSnapshotsRead(t *testing.T) {
	paths, _ := filepath.Glob("../../rules/*/testdata/FD*/*/snapshot.json")
	if len(paths) < 50 {
		t.Fatalf("found %d rule case snapshots; the glob is wrong", len(paths))
	}
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		snap, warnings, err := Decode(data)
		if err != nil || len(warnings) > 0 {
			t.Errorf("%s: %v %q", p, err, warnings)
			continue
		}
		var again bytes.Buffer
		if err := Write(&again, snap); err != nil {
			t.Fatal(err)
		}
		// Compared as written: an empty list in the file reads as one, and is left out.
		back, _, err := Decode(again.Bytes())
		var twice bytes.Buffer
		if err == nil {
			err = Write(&twice, back)
		}
		if err != nil || !bytes.Equal(again.Bytes(), twice.Bytes()) {
			t.Errorf("%s: write and read changed the snapshot (%v)", p, err)
		}
	}
}

func TestDurationText(t *testing.T) {
	d := Duration(3*time.Minute + 6*time.Second)
	b, _ := d.MarshalText()
	var back Duration
	if string(b) != "3m6s" || back.UnmarshalText(b) != nil || back != d {
		t.Fatalf("MarshalText %q, back %v", b, back)
	}
	if back.UnmarshalText([]byte("soon")) == nil {
		t.Fatal("UnmarshalText accepted \"soon\"")
	}
}
