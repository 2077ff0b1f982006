package bundle

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"time"

	"github.com/flytedoctor/flytedoctor/internal/redact"
)

// maxNesting is how deep archives inside a bundle are followed when it is redacted again.
const maxNesting = 3

// Reredact builds a bundle from an existing one (read with KeepAll) with every member
// redacted again by red: member names too, and archives inside it, whose members are
// redacted in turn. The manifest is kept with a note, the file index made anew, and
// redactions.json lists the earlier removals and the new ones.
func Reredact(src *Source, red *redact.Redactor, lim ReadLimits, root string, now time.Time, note string) (*Builder, error) {
	c, err := Decode(&Source{Files: onlyJSON(src.Files, ManifestFile, RedactionsFile)})
	if err != nil {
		return nil, err
	}
	b := NewBuilder(red, DefaultLimits(), root, now)
	b.limits.TotalBytes = 0 // what the bundle held, it holds again
	if c.Manifest != nil {
		m := *c.Manifest
		m.Files, m.Redactions = nil, 0
		m.Notes = append(m.Notes, note)
		b.m = m // its CreatedAt too: the bundle is the same one, redacted again
	} else {
		b.Note(note)
	}
	if f := src.File(RedactionsFile); f != nil {
		var prior struct {
			Redactions []redact.Removal `json:"redactions"`
		}
		if err := json.Unmarshal(f.Data, &prior); err == nil {
			b.prior = prior.Redactions
		}
	}
	for _, f := range src.Files {
		switch f.Name {
		case ManifestFile, RedactionsFile:
			continue
		}
		if isGzip(f.Data) || isTar(f.Data) {
			data, err := redactArchive(red, f.Name, f.Data, lim, 1)
			if err != nil {
				return nil, err
			}
			b.add(b.name(f.Name), data)
			continue
		}
		name := b.name(f.Name)
		b.add(name, b.red.Bytes(name, f.Data))
	}
	return b, nil
}

func onlyJSON(files []SourceFile, names ...string) []SourceFile {
	var out []SourceFile
	for _, f := range files {
		for _, n := range names {
			if f.Name == n {
				out = append(out, f)
			}
		}
	}
	return out
}

// redactArchive rewrites a tar or tar.gz found inside a bundle with each member (and its
// name) redacted, archives inside it followed to maxNesting.
func redactArchive(red *redact.Redactor, where string, data []byte, lim ReadLimits, depth int) ([]byte, error) {
	if depth > maxNesting {
		return nil, &ReadError{Entry: where, Why: fmt.Sprintf("nests archives more than %d deep", maxNesting)}
	}
	lim.KeepAll = true
	inner, err := ReadArchive(bytes.NewReader(data), int64(len(data)), lim)
	if err != nil {
		if re, ok := err.(*ReadError); ok {
			re.Entry = where + "!" + re.Entry
		}
		return nil, err
	}
	var buf bytes.Buffer
	var zw *gzip.Writer
	var tw *tar.Writer
	if isGzip(data) {
		zw = gzip.NewWriter(&buf)
		tw = tar.NewWriter(zw)
	} else {
		tw = tar.NewWriter(&buf)
	}
	for _, f := range inner.Files {
		name := f.Name
		if inner.Top != "" {
			name = inner.Top + "/" + name
		}
		label := where + "!" + name
		out := f.Data
		if isGzip(out) || isTar(out) {
			if out, err = redactArchive(red, label, out, lim, depth+1); err != nil {
				return nil, err
			}
		} else {
			out = red.Bytes(label, out)
		}
		if err := writeMember(tw, red.Text(namesFile, name), out, f.ModTime); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	if zw != nil {
		if err := zw.Close(); err != nil {
			return nil, err
		}
	}
	return buf.Bytes(), nil
}
