package bundle

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/flytedoctor/flytedoctor/collectors/userinput"
)

// ReadLimits bound what reading a bundle or a directory may cost. Anything past them is
// refused with an error before anything is analyzed or written.
type ReadLimits struct {
	MaxFiles int   // entries, directories included
	MaxFile  int64 // bytes of one file
	MaxTotal int64 // bytes of all files (an archive: what it expands to)
	// MaxRatio is how many times its compressed size an archive may expand to once it
	// expands past RatioFloor: more is a decompression bomb.
	MaxRatio   int64
	RatioFloor int64
	MaxDepth   int // directory levels
	MaxName    int // bytes of one path
	// KeepAll keeps every file's content; otherwise only what analysis reads (JSON, YAML)
	// is kept and the rest is read past, counted against the limits.
	KeepAll bool
}

// DefaultReadLimits are generous for real bundles and dumps (a bundle is at most 256 MiB).
func DefaultReadLimits() ReadLimits {
	return ReadLimits{MaxFiles: 20000, MaxFile: 256 << 20, MaxTotal: 1 << 30, MaxRatio: 200, RatioFloor: 64 << 20,
		MaxDepth: 32, MaxName: 1024}
}

// Source is a bundle or a directory of dumps, read into memory.
type Source struct {
	Path string // as the user named it
	// Archive is true for a tar or tar.gz; false for a directory or a single file.
	Archive bool
	Files   []SourceFile // regular files, by name
	// Top is the directory all the files were under (a bundle's), taken off their names.
	Top string
	// Newest is the latest modification time of the files.
	Newest time.Time
}

// SourceFile is one regular file of a source.
type SourceFile struct {
	Name    string // slash-separated, relative, clean; a bundle's top directory removed
	Size    int64
	ModTime time.Time
	Data    []byte // nil when not kept (see ReadLimits.KeepAll)
}

// File returns the named file, or nil.
func (s *Source) File(name string) *SourceFile {
	i, ok := slices.BinarySearchFunc(s.Files, name, func(f SourceFile, n string) int { return strings.Compare(f.Name, n) })
	if !ok {
		return nil
	}
	return &s.Files[i]
}

// ReadError is a source refused, or one that could not be read: one line that names the
// source, the entry and why.
type ReadError struct {
	Path, Entry, Why string
}

func (e *ReadError) Error() string {
	where := userinput.ClipPath(e.Path)
	if e.Entry != "" {
		return fmt.Sprintf("cannot read %s: entry %s %s", where, userinput.Quote(e.Entry), e.Why)
	}
	return fmt.Sprintf("cannot read %s: %s", where, e.Why)
}

// Open reads a bundle (tar.gz or tar), a directory of dumps or bundle members, or one JSON or
// YAML file.
func Open(p string, lim ReadLimits) (*Source, error) {
	st, err := os.Stat(p)
	if err != nil {
		return nil, &ReadError{Path: p, Why: plainErr(err)}
	}
	if st.IsDir() {
		return ReadDir(p, lim)
	}
	if !st.Mode().IsRegular() {
		return nil, &ReadError{Path: p, Why: "is not a regular file or a directory"}
	}
	f, err := os.Open(p)
	if err != nil {
		return nil, &ReadError{Path: p, Why: plainErr(err)}
	}
	defer f.Close()
	br := bufio.NewReader(f)
	head, _ := br.Peek(512)
	if isGzip(head) || isTar(head) {
		s, err := ReadArchive(br, st.Size(), lim)
		if err != nil {
			var re *ReadError
			if errors.As(err, &re) {
				re.Path = p
			}
			return nil, err
		}
		s.Path = p
		return s, nil
	}
	if st.Size() > lim.MaxFile {
		return nil, &ReadError{Path: p, Why: fmt.Sprintf("is %d bytes, more than the %d a file may be", st.Size(), lim.MaxFile)}
	}
	data, err := io.ReadAll(io.LimitReader(br, lim.MaxFile+1))
	if err != nil {
		return nil, &ReadError{Path: p, Why: plainErr(err)}
	}
	return &Source{Path: p, Files: []SourceFile{{Name: filepath.Base(p), Size: int64(len(data)), ModTime: st.ModTime(), Data: data}}, Newest: st.ModTime()}, nil
}

func isGzip(b []byte) bool { return len(b) >= 2 && b[0] == 0x1f && b[1] == 0x8b }

func isTar(b []byte) bool { return len(b) >= 262 && string(b[257:262]) == "ustar" }

// plainErr is an OS error without the path it repeats.
func plainErr(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// countingReader counts what passes through it and stops past a limit.
type countingReader struct {
	r     io.Reader
	n     int64
	limit int64
}

var errTooBig = errors.New("too big")

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	if c.n > c.limit {
		return n, errTooBig
	}
	return n, err
}

// ReadArchive reads a tar or gzipped tar of compressed bytes (the size bounds the ratio
// check; 0 when unknown). Entries must be regular files or directories with relative names
// that stay inside the archive, each at most MaxFile bytes, at most MaxFiles of them,
// expanding to at most MaxTotal bytes and MaxRatio times the compressed size.
func ReadArchive(r io.Reader, compressed int64, lim ReadLimits) (*Source, error) {
	br := bufio.NewReader(r)
	head, _ := br.Peek(512)
	var plain io.Reader = br
	if isGzip(head) {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, &ReadError{Why: "is not a gzip archive: " + err.Error()}
		}
		zr.Multistream(false)
		plain = zr
	}
	limit := lim.MaxTotal
	if compressed > 0 && lim.MaxRatio > 0 {
		limit = min(limit, max(lim.RatioFloor, compressed*lim.MaxRatio))
	}
	cr := &countingReader{r: plain, limit: limit + 1<<20} // tar headers and padding beyond the files
	tr := tar.NewReader(cr)
	s := &Source{Archive: true}
	seen := map[string]bool{}
	var total int64
	entries := 0
	bomb := func() error {
		if limit < lim.MaxTotal {
			return &ReadError{Why: fmt.Sprintf("expands to more than %d times its %d compressed bytes: refusing a decompression bomb", lim.MaxRatio, compressed)}
		}
		return &ReadError{Why: fmt.Sprintf("expands to more than %d bytes, more than a bundle may hold", lim.MaxTotal)}
	}
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if errors.Is(err, errTooBig) {
			return nil, bomb()
		}
		if err != nil {
			return nil, &ReadError{Why: "is not a readable tar archive: " + strings.TrimPrefix(err.Error(), "archive/tar: ")}
		}
		entries++
		if entries > lim.MaxFiles {
			return nil, &ReadError{Why: fmt.Sprintf("has more than %d entries", lim.MaxFiles)}
		}
		name, err := entryName(h.Name, lim)
		if err != nil {
			return nil, &ReadError{Entry: h.Name, Why: err.Error()}
		}
		switch h.Typeflag {
		case tar.TypeDir:
			continue
		case tar.TypeReg: // the reader turns the old TypeRegA into TypeReg
		case tar.TypeSymlink:
			return nil, &ReadError{Entry: h.Name, Why: "is a symbolic link (to " + userinput.Quote(h.Linkname) + "): a bundle holds regular files only"}
		case tar.TypeLink:
			return nil, &ReadError{Entry: h.Name, Why: "is a hard link (to " + userinput.Quote(h.Linkname) + "): a bundle holds regular files only"}
		case tar.TypeChar, tar.TypeBlock:
			return nil, &ReadError{Entry: h.Name, Why: "is a device: a bundle holds regular files only"}
		case tar.TypeFifo:
			return nil, &ReadError{Entry: h.Name, Why: "is a named pipe: a bundle holds regular files only"}
		default:
			return nil, &ReadError{Entry: h.Name, Why: fmt.Sprintf("has entry type %q: a bundle holds regular files only", h.Typeflag)}
		}
		if seen[name] {
			return nil, &ReadError{Entry: h.Name, Why: "appears twice"}
		}
		seen[name] = true
		if h.Size > lim.MaxFile {
			return nil, &ReadError{Entry: h.Name, Why: fmt.Sprintf("is %d bytes, more than the %d a member may be", h.Size, lim.MaxFile)}
		}
		if total += h.Size; total > lim.MaxTotal {
			return nil, bomb()
		}
		f := SourceFile{Name: name, Size: h.Size, ModTime: h.ModTime}
		if lim.KeepAll || wanted(name) {
			f.Data, err = io.ReadAll(io.LimitReader(tr, lim.MaxFile))
		} else {
			_, err = io.Copy(io.Discard, tr)
		}
		if errors.Is(err, errTooBig) {
			return nil, bomb()
		}
		if err != nil {
			return nil, &ReadError{Entry: h.Name, Why: "cannot be read: " + strings.TrimPrefix(err.Error(), "archive/tar: ")}
		}
		s.Files = append(s.Files, f)
		if f.ModTime.After(s.Newest) {
			s.Newest = f.ModTime
		}
	}
	// What follows the tar's end (a second gzip member, trailing garbage) is ignored, but
	// it still counts: a bomb may hide there.
	switch n, err := io.Copy(io.Discard, io.LimitReader(cr, 1<<20)); {
	case errors.Is(err, errTooBig):
		return nil, bomb()
	case err != nil:
		return nil, &ReadError{Why: "is corrupt: " + strings.TrimPrefix(err.Error(), "gzip: ")}
	case n >= 1<<20:
		return nil, &ReadError{Why: "has more than 1 MiB after the end of its tar archive"}
	}
	s.finish()
	return s, nil
}

// wanted says whether analysis reads the file: JSON and YAML; logs and reports are not.
func wanted(name string) bool {
	switch strings.ToLower(path.Ext(name)) {
	case ".json", ".yaml", ".yml", "":
		return true
	}
	return false
}

// entryName checks and cleans an archive or directory entry name: relative, no "..", no
// control characters or backslashes, within the depth and length limits.
func entryName(raw string, lim ReadLimits) (string, error) {
	if len(raw) > lim.MaxName {
		return "", fmt.Errorf("has a name of %d bytes, more than %d", len(raw), lim.MaxName)
	}
	if !utf8.ValidString(raw) || strings.ContainsFunc(raw, func(r rune) bool { return unicode.IsControl(r) }) {
		return "", errors.New("has control characters or invalid UTF-8 in its name")
	}
	if strings.Contains(raw, `\`) {
		return "", errors.New(`has a backslash in its name: refusing a name that may escape the bundle on another system`)
	}
	if strings.HasPrefix(raw, "/") {
		return "", errors.New("has an absolute name: it would escape the bundle")
	}
	n := strings.TrimSuffix(strings.TrimPrefix(raw, "./"), "/")
	for _, part := range strings.Split(n, "/") {
		if part == ".." {
			return "", errors.New(`climbs out of the bundle (a ".." in its name)`)
		}
	}
	n = path.Clean(n)
	if n == "." || n == "" || !fs.ValidPath(n) {
		return "", errors.New("has no usable name")
	}
	if d := strings.Count(n, "/") + 1; d > lim.MaxDepth {
		return "", fmt.Errorf("is %d directories deep, more than %d", d, lim.MaxDepth)
	}
	return n, nil
}

// finish sorts the files and removes a top directory they all share (a bundle's).
func (s *Source) finish() {
	slices.SortFunc(s.Files, func(a, b SourceFile) int { return strings.Compare(a.Name, b.Name) })
	if len(s.Files) == 0 {
		return
	}
	top, _, ok := strings.Cut(s.Files[0].Name, "/")
	if !ok {
		return
	}
	for _, f := range s.Files {
		if !strings.HasPrefix(f.Name, top+"/") {
			return
		}
	}
	for i := range s.Files {
		s.Files[i].Name = strings.TrimPrefix(s.Files[i].Name, top+"/")
	}
	s.Top = top
}

// ReadDir reads a directory of dumps (or an extracted bundle) through an os.Root, so that
// nothing outside it can be reached. Symbolic links, hard links, devices, pipes and sockets
// are refused, as are files and trees past the limits.
func ReadDir(dir string, lim ReadLimits) (*Source, error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, &ReadError{Path: dir, Why: plainErr(err)}
	}
	defer root.Close()
	s := &Source{Path: dir}
	var total int64
	entries := 0
	err = fs.WalkDir(root.FS(), ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil {
			return &ReadError{Path: dir, Entry: name, Why: "cannot be read: " + plainErr(err)}
		}
		if name == "." {
			return nil
		}
		entries++
		if entries > lim.MaxFiles {
			return &ReadError{Path: dir, Why: fmt.Sprintf("has more than %d entries", lim.MaxFiles)}
		}
		if _, err := entryName(name, lim); err != nil {
			return &ReadError{Path: dir, Entry: name, Why: err.Error()}
		}
		t := d.Type()
		switch {
		case t&fs.ModeSymlink != 0:
			return &ReadError{Path: dir, Entry: name, Why: "is a symbolic link: only regular files are read"}
		case t.IsDir():
			return nil
		case !t.IsRegular():
			return &ReadError{Path: dir, Entry: name, Why: "is not a regular file (" + kindOf(t) + "): only regular files are read"}
		}
		f, err := root.Open(name)
		if err != nil {
			return &ReadError{Path: dir, Entry: name, Why: "cannot be read: " + plainErr(err)}
		}
		defer f.Close()
		st, err := f.Stat()
		if err != nil {
			return &ReadError{Path: dir, Entry: name, Why: "cannot be read: " + plainErr(err)}
		}
		if !st.Mode().IsRegular() { // replaced since it was listed
			return &ReadError{Path: dir, Entry: name, Why: "is not a regular file: only regular files are read"}
		}
		if n := hardLinks(st); n > 1 {
			return &ReadError{Path: dir, Entry: name, Why: fmt.Sprintf("has %d hard links: it may be a file from elsewhere; copy it instead", n)}
		}
		if st.Size() > lim.MaxFile {
			return &ReadError{Path: dir, Entry: name, Why: fmt.Sprintf("is %d bytes, more than the %d a file may be", st.Size(), lim.MaxFile)}
		}
		if total += st.Size(); total > lim.MaxTotal {
			return &ReadError{Path: dir, Why: fmt.Sprintf("holds more than %d bytes", lim.MaxTotal)}
		}
		sf := SourceFile{Name: name, Size: st.Size(), ModTime: st.ModTime()}
		if lim.KeepAll || wanted(name) {
			if sf.Data, err = io.ReadAll(io.LimitReader(f, lim.MaxFile)); err != nil {
				return &ReadError{Path: dir, Entry: name, Why: "cannot be read: " + plainErr(err)}
			}
		}
		s.Files = append(s.Files, sf)
		if sf.ModTime.After(s.Newest) {
			s.Newest = sf.ModTime
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.finish()
	return s, nil
}

func kindOf(m fs.FileMode) string {
	switch {
	case m&fs.ModeDevice != 0:
		return "a device"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe"
	case m&fs.ModeSocket != 0:
		return "a socket"
	}
	return "mode " + m.String()
}

// Bytes is the source's total size.
func (s *Source) Bytes() int64 {
	var n int64
	for _, f := range s.Files {
		n += f.Size
	}
	return n
}

// isJSONish says whether data looks like JSON (an object or array).
func isJSONish(data []byte) bool {
	t := bytes.TrimSpace(data)
	return len(t) > 0 && (t[0] == '{' || t[0] == '[')
}
