package evidence

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/flytedoctor/flytedoctor/collectors/userinput"
	"github.com/flytedoctor/flytedoctor/internal/jsonout"
)

// schemaName is SchemaVersion without its version: "flytedoctor.evidence/".
const schemaName = "flytedoctor.evidence/"

// Version is a schema version: v<Major>.<Minor>, where "v1" is v1.0. A reader reads every
// minor version of its major (newer minors only add fields) and no other major.
type Version struct{ Major, Minor int }

func (v Version) String() string {
	if v.Minor == 0 {
		return fmt.Sprintf("v%d", v.Major)
	}
	return fmt.Sprintf("v%d.%d", v.Major, v.Minor)
}

// ParseVersion reads the version of a schema string such as "flytedoctor.evidence/v1.2",
// given its name ("flytedoctor.evidence/").
func ParseVersion(schema, name string) (Version, error) {
	rest, ok := strings.CutPrefix(schema, name)
	if !ok {
		return Version{}, fmt.Errorf("schema %s is not %sv<N>", quote(schema), name)
	}
	rest, ok = strings.CutPrefix(rest, "v")
	major, minor, hasMinor := strings.Cut(rest, ".")
	var v Version
	var err error
	if ok {
		v.Major, err = strconv.Atoi(major)
	}
	if ok && err == nil && hasMinor {
		v.Minor, err = strconv.Atoi(minor)
	}
	if !ok || err != nil || v.Major < 1 || v.Minor < 0 || strings.HasPrefix(major, "+") || strings.HasPrefix(minor, "+") {
		return Version{}, fmt.Errorf("schema %s is not %sv<N> or %sv<N>.<M>", quote(schema), name, name)
	}
	return v, nil
}

// CheckVersion compares a document's schema version with the one this build writes: a
// newer minor version reads, with a warning; another major does not.
func CheckVersion(schema, current, name string) (warning string, err error) {
	have, err := ParseVersion(current, name)
	if err != nil {
		return "", err // a bug: the constant is malformed
	}
	got, err := ParseVersion(schema, name)
	if err != nil {
		return "", err
	}
	switch {
	case got.Major > have.Major:
		return "", fmt.Errorf("schema %s%s is newer than this flytedoctor reads (%s%s): upgrade flytedoctor", name, got, name, have)
	case got.Major < have.Major:
		return "", fmt.Errorf("schema %s%s is older than this flytedoctor reads (%s%s): read it with the flytedoctor that wrote it", name, got, name, have)
	case got.Minor > have.Minor:
		return fmt.Sprintf("schema %s%s is newer than this flytedoctor's %s%s: fields it does not know are ignored; upgrade flytedoctor to see them", name, got, name, have), nil
	}
	return "", nil
}

// Read decodes a snapshot written by Write (or by -o json's snapshot field), checking its
// schema version first: another major version is an error naming both versions; a newer
// minor version reads, with a warning, ignoring fields this build does not know. Within
// this build's version, an unknown field is also read past with a warning naming it.
func Read(r io.Reader) (*Snapshot, []string, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, nil, fmt.Errorf("cannot read the snapshot: %w", err)
	}
	return Decode(data)
}

// Decode is Read on a document already in memory.
func Decode(data []byte) (*Snapshot, []string, error) {
	var head struct {
		SchemaVersion *string `json:"schema_version"`
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, nil, errors.New("not a flytedoctor evidence snapshot: the document is empty")
	}
	// The first document only: what follows it is trailing's to reject.
	if err := json.NewDecoder(bytes.NewReader(data)).Decode(&head); err != nil {
		return nil, nil, fmt.Errorf("not a flytedoctor evidence snapshot: %s", jsonProblem(data, err))
	}
	if head.SchemaVersion == nil {
		return nil, nil, errors.New("not a flytedoctor evidence snapshot: it has no schema_version")
	}
	warn, err := CheckVersion(*head.SchemaVersion, SchemaVersion, schemaName)
	if err != nil {
		return nil, nil, err
	}
	var warnings []string
	if warn != "" {
		warnings = append(warnings, warn)
	}
	snap := &Snapshot{}
	dec := json.NewDecoder(bytes.NewReader(data))
	if warn == "" {
		dec.DisallowUnknownFields()
	}
	if err = dec.Decode(snap); err != nil && warn == "" && strings.HasPrefix(err.Error(), "json: unknown field ") {
		// Written by a build that added a field without bumping the minor version: read what
		// is known, and say which field was passed over.
		warnings = append(warnings, "snapshot has "+strings.TrimPrefix(err.Error(), "json: ")+" (written by another flytedoctor?); it is ignored")
		snap = &Snapshot{}
		dec = json.NewDecoder(bytes.NewReader(data))
		err = dec.Decode(snap)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("cannot decode the snapshot: %s", jsonProblem(data, err))
	}
	if err := trailing(dec); err != nil {
		return nil, nil, err
	}
	return snap, warnings, nil
}

// trailing rejects anything but space after the document: two snapshots in one file are
// not one snapshot.
func trailing(dec *json.Decoder) error {
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("cannot decode the snapshot: more than one JSON document (read one snapshot at a time)")
	}
	return nil
}

// Write encodes the snapshot as indented JSON, stamped with this build's schema version.
func Write(w io.Writer, s *Snapshot) error {
	if s == nil {
		return errors.New("no snapshot to write")
	}
	c := *s
	c.SchemaVersion = SchemaVersion
	return jsonout.Write(w, &c)
}

// jsonProblem words a decoding error with where it happened, as a line and column.
func jsonProblem(data []byte, err error) string {
	var off int64 = -1
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		off = se.Offset
	case errors.As(err, &te):
		off = te.Offset
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return "the document ends early (truncated?)"
	}
	msg := strings.TrimPrefix(err.Error(), "json: ")
	if off < 0 || off > int64(len(data)) {
		return msg
	}
	line := 1 + bytes.Count(data[:off], []byte("\n"))
	col := off - int64(bytes.LastIndexByte(data[:off], '\n'))
	return fmt.Sprintf("%s (line %d, column %d)", msg, line, col)
}

func quote(s string) string { return userinput.Quote(s) }

// MarshalText writes the duration as a Go duration string, for encoders that use text
// (YAML, map keys, flags) rather than JSON.
func (d Duration) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }

// UnmarshalText reads a Go duration string.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}
