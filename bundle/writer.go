package bundle

import (
	"archive/tar"
	"bytes"
	"cmp"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"sigs.k8s.io/yaml"

	"github.com/flytedoctor/flytedoctor/collectors/evidence"
	"github.com/flytedoctor/flytedoctor/internal/jsonout"
	"github.com/flytedoctor/flytedoctor/internal/redact"
)

// namesFile is where redactions in member names are filed.
const namesFile = "(member names)"

// Builder assembles a bundle in memory. Every member goes through the redactor as it is
// added, member names included: there is no path by which unredacted bytes reach the archive.
type Builder struct {
	red    *redact.Redactor
	limits Limits
	root   string

	members []member
	names   map[string]bool
	size    int64
	m       Manifest
	prior   []redact.Removal // what an earlier redaction of the bundle removed
}

type member struct {
	name string
	data []byte
}

// NewBuilder starts a bundle whose members live under the directory root.
func NewBuilder(red *redact.Redactor, limits Limits, root string, now time.Time) *Builder {
	b := &Builder{red: red, limits: limits, names: map[string]bool{}}
	b.root = b.name(root)
	b.m = Manifest{SchemaVersion: SchemaVersion, CreatedAt: now.UTC(), Limits: limits, CommandLine: []string{}, Collectors: []CollectorRun{}}
	return b
}

// Manifest is the manifest being built; the caller fills in the tool, command line, target
// and collectors. It is redacted when the bundle is written.
func (b *Builder) Manifest() *Manifest { return &b.m }

// Root is the top-level directory of the bundle's members.
func (b *Builder) Root() string { return b.root }

// Hit records a limit that changed what the bundle holds.
func (b *Builder) Hit(h LimitHit) { b.m.LimitsHit = append(b.m.LimitsHit, h) }

// Note adds a note to the manifest.
func (b *Builder) Note(s string) { b.m.Notes = append(b.m.Notes, s) }

// name redacts a member name and keeps it unique.
func (b *Builder) name(n string) string {
	n = b.red.Text(namesFile, n)
	base, i := n, 2
	for b.names[n] {
		ext := path.Ext(base)
		n = fmt.Sprintf("%s~%d%s", strings.TrimSuffix(base, ext), i, ext)
		i++
	}
	b.names[n] = true
	return n
}

// add keeps an already redacted member, unless it would pass the total size limit.
func (b *Builder) add(name string, data []byte) bool {
	if b.limits.TotalBytes > 0 && b.size+int64(len(data)) > b.limits.TotalBytes {
		b.Hit(LimitHit{Limit: "total_bytes", File: name,
			Detail: fmt.Sprintf("left out: its %d bytes would take the bundle past %d bytes", len(data), b.limits.TotalBytes)})
		return false
	}
	b.size += int64(len(data))
	b.members = append(b.members, member{name: name, data: data})
	return true
}

// AddJSON adds a JSON document, redacted as JSON (as text if it does not parse).
func (b *Builder) AddJSON(name string, data []byte) bool {
	name = b.name(name)
	return b.add(name, b.red.Bytes(name, data))
}

// AddValue adds v encoded as indented JSON.
func (b *Builder) AddValue(name string, v any) error {
	var buf bytes.Buffer
	if err := jsonout.Write(&buf, v); err != nil {
		return fmt.Errorf("encode %s: %w", name, err)
	}
	b.AddJSON(name, buf.Bytes())
	return nil
}

// AddText adds text, redacted as text.
func (b *Builder) AddText(name, text string) bool {
	name = b.name(name)
	return b.add(name, []byte(b.red.Text(name, text)))
}

// AddSnapshot adds the snapshot and returns it as written: redacted, which is what the
// bundle's report must be made from.
func (b *Builder) AddSnapshot(s *evidence.Snapshot) (*evidence.Snapshot, error) {
	var buf bytes.Buffer
	if err := evidence.Write(&buf, s); err != nil {
		return nil, err
	}
	name := b.name(SnapshotFile)
	data, err := b.red.JSON(name, buf.Bytes())
	if err != nil {
		return nil, fmt.Errorf("redact the snapshot: %w", err)
	}
	red, _, err := evidence.Decode(data)
	if err != nil {
		return nil, fmt.Errorf("the redacted snapshot does not read back: %w", err)
	}
	b.add(name, data)
	return red, nil
}

// AddConfig adds the flytectl config file's content as JSON, redacted; YAML comments, which
// no rule could judge, do not survive the conversion.
func (b *Builder) AddConfig(content []byte) {
	j, err := yaml.YAMLToJSON(content)
	if err != nil {
		b.AddText(strings.TrimSuffix(ConfigFile, ".json")+".yaml", string(content))
		return
	}
	b.AddJSON(ConfigFile, j)
}

// Write finishes the manifest (redacted, with redactions.json and the file index) and
// writes the bundle as a gzipped tar to w. The Builder cannot be written twice.
func (b *Builder) Write(w io.Writer) error {
	if b.m.Files != nil {
		return errors.New("bundle already written")
	}
	// The manifest's own text (command line, errors, notes) is redacted before the
	// redactions are listed, so that they count too.
	core, err := json.Marshal(b.m)
	if err != nil {
		return err
	}
	core, err = b.red.JSON(ManifestFile, core)
	if err != nil {
		return err
	}
	var m Manifest
	if err := json.Unmarshal(core, &m); err != nil {
		return err
	}
	removals := mergeRemovals(b.prior, b.red.Removals())
	var rbuf bytes.Buffer
	if err := jsonout.Write(&rbuf, map[string]any{"redactions": removals}); err != nil {
		return err
	}
	// Not counted against the total: a bundle always says what it holds and what it lost.
	b.members = append(b.members, member{name: b.name(RedactionsFile), data: rbuf.Bytes()})
	m.Redactions = 0
	for _, r := range removals {
		m.Redactions += r.Count
	}
	m.Files = []File{}
	for _, mb := range b.members {
		sum := sha256.Sum256(mb.data)
		m.Files = append(m.Files, File{Path: mb.name, Size: int64(len(mb.data)), SHA256: hex.EncodeToString(sum[:])})
	}
	var mbuf bytes.Buffer
	if err := jsonout.Write(&mbuf, m); err != nil {
		return err
	}
	b.m = m

	zw := gzip.NewWriter(w)
	tw := tar.NewWriter(zw)
	mtime := m.CreatedAt
	if err := writeMember(tw, b.root+"/"+ManifestFile, mbuf.Bytes(), mtime); err != nil {
		return err
	}
	for _, mb := range b.members {
		if err := writeMember(tw, b.root+"/"+mb.name, mb.data, mtime); err != nil {
			return err
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	return zw.Close()
}

// mergeRemovals adds up two lists of removals, by rule and file.
func mergeRemovals(a, b []redact.Removal) []redact.Removal {
	out := []redact.Removal{}
	idx := map[[2]string]int{}
	for _, r := range append(append([]redact.Removal(nil), a...), b...) {
		k := [2]string{r.Rule, r.File}
		if i, ok := idx[k]; ok {
			out[i].Count += r.Count
			continue
		}
		idx[k] = len(out)
		out = append(out, r)
	}
	slices.SortFunc(out, func(x, y redact.Removal) int {
		return cmp.Or(strings.Compare(x.File, y.File), strings.Compare(x.Rule, y.Rule))
	})
	return out
}

func writeMember(tw *tar.Writer, name string, data []byte, mtime time.Time) error {
	h := &tar.Header{Typeflag: tar.TypeReg, Name: name, Size: int64(len(data)), Mode: 0o644, ModTime: mtime, Format: tar.FormatPAX}
	if err := tw.WriteHeader(h); err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	_, err := tw.Write(data)
	return err
}

// Files is the index of the members added so far (after Write: the manifest's).
func (b *Builder) Files() []File { return b.m.Files }

// WriteFile writes the bundle to path atomically: into a temporary file beside it, synced,
// then renamed, so that a reader never sees half a bundle and a failed run leaves no file.
func WriteFile(path string, b *Builder) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("cannot create the bundle in %s: %w", dir, err)
	}
	fail := func(err error) error {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	if err := b.Write(tmp); err != nil {
		return fail(fmt.Errorf("cannot write the bundle: %w", err))
	}
	if err := tmp.Sync(); err != nil {
		return fail(fmt.Errorf("cannot write the bundle: %w", err))
	}
	if err := tmp.Close(); err != nil {
		return fail(fmt.Errorf("cannot write the bundle: %w", err))
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("cannot write the bundle to %s: %w", path, err)
	}
	return nil
}
