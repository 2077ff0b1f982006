package bundle

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/flytedoctor/flytedoctor/collectors/evidence"
)

type entry struct {
	name, link string
	typ        byte
	data       string
}

func tarGz(t testing.TB, entries ...entry) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for _, e := range entries {
		typ := e.typ
		if typ == 0 {
			typ = tar.TypeReg
		}
		h := &tar.Header{Name: e.name, Linkname: e.link, Typeflag: typ, Mode: 0o644, Size: int64(len(e.data)), Format: tar.FormatPAX}
		if typ != tar.TypeReg {
			h.Size = 0
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(e.data)); err != nil {
			t.Fatal(err)
		}
	}
	tw.Close()
	zw.Close()
	return buf.Bytes()
}

func smallLimits() ReadLimits {
	return ReadLimits{MaxFiles: 10, MaxFile: 1 << 16, MaxTotal: 1 << 18, MaxRatio: 20, RatioFloor: 1 << 14, MaxDepth: 8, MaxName: 200}
}

// Hostile archives are refused with one line that names the entry and why, before anything
// is returned.
func TestReadArchiveRefuses(t *testing.T) {
	var many []entry
	for i := range 11 {
		many = append(many, entry{name: "b/f" + string(rune('a'+i)) + ".json", data: "{}"})
	}
	zeros := strings.Repeat("\x00", 1<<16)
	var bomb []entry
	for i := range 8 {
		bomb = append(bomb, entry{name: "b/z" + string(rune('a'+i)), data: zeros})
	}
	for _, c := range []struct {
		name    string
		archive []byte
		want    string
	}{
		{"dot-dot", tarGz(t, entry{name: "b/../../etc/cron.d/x", data: "x"}), "climbs out of the bundle"},
		{"absolute", tarGz(t, entry{name: "/etc/passwd", data: "x"}), "absolute name"},
		{"backslash", tarGz(t, entry{name: `b\..\..\x`, data: "x"}), "backslash"},
		{"control character", tarGz(t, entry{name: "b/a\x1b[2Jb", data: "x"}), "control characters"},
		{"symlink", tarGz(t, entry{name: "b/link", typ: tar.TypeSymlink, link: "/etc/shadow"}), "symbolic link"},
		{"hard link", tarGz(t, entry{name: "b/hl", typ: tar.TypeLink, link: "/etc/shadow"}), "hard link"},
		{"device", tarGz(t, entry{name: "b/dev", typ: tar.TypeChar}), "is a device"},
		{"fifo", tarGz(t, entry{name: "b/fifo", typ: tar.TypeFifo}), "named pipe"},
		{"twice", tarGz(t, entry{name: "b/a.json", data: "{}"}, entry{name: "b/./a.json", data: "{}"}), "appears twice"},
		{"too many", tarGz(t, many...), "more than 10 entries"},
		{"too big", tarGz(t, entry{name: "b/big", data: strings.Repeat("x", 1<<16+1)}), "more than the 65536"},
		{"too deep", tarGz(t, entry{name: "a/b/c/d/e/f/g/h/i/j.json", data: "{}"}), "directories deep"},
		{"bomb", tarGz(t, bomb...), "decompression bomb"},
		{"not tar", []byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 1, 2, 3}, "cannot read"},
	} {
		t.Run(c.name, func(t *testing.T) {
			s, err := ReadArchive(bytes.NewReader(c.archive), int64(len(c.archive)), smallLimits())
			if err == nil {
				t.Fatalf("read: %+v", s.Files)
			}
			msg := (&ReadError{Path: "x.tar.gz"}).Error()
			if re, ok := err.(*ReadError); ok {
				re.Path = "x.tar.gz"
				msg = re.Error()
			}
			if !strings.Contains(msg, c.want) || strings.Contains(msg, "\n") || len(msg) > 400 {
				t.Errorf("error %q, want one line with %q", msg, c.want)
			}
		})
	}
}

func TestReadArchiveTotal(t *testing.T) {
	lim := smallLimits()
	lim.MaxRatio = 0 // the absolute limit alone
	var es []entry
	for i := range 5 {
		es = append(es, entry{name: "b/" + string(rune('a'+i)), data: strings.Repeat("y", 60000)})
	}
	if _, err := ReadArchive(bytes.NewReader(tarGz(t, es...)), 0, lim); err == nil || !strings.Contains(err.Error(), "more than 262144 bytes") {
		t.Errorf("error %v", err)
	}
}

func TestReadArchive(t *testing.T) {
	data := tarGz(t, entry{name: "case/", typ: tar.TypeDir}, entry{name: "case/manifest.json", data: `{"a":1}`},
		entry{name: "./case/logs/p/c.log", data: "log text"}, entry{name: "case/kube/pods.json", data: `{}`})
	s, err := ReadArchive(bytes.NewReader(data), int64(len(data)), smallLimits())
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range s.Files {
		names = append(names, f.Name)
	}
	if strings.Join(names, " ") != "kube/pods.json logs/p/c.log manifest.json" {
		t.Errorf("names %v", names)
	}
	if s.File("logs/p/c.log").Data != nil || string(s.File("manifest.json").Data) != `{"a":1}` {
		t.Error("a log was kept, or the manifest was not")
	}
}

// A directory is read through os.Root: links and special files are refused, and nothing in
// or outside it changes.
func TestReadDirRefuses(t *testing.T) {
	outside := t.TempDir()
	secret := filepath.Join(outside, "secret.json")
	if err := os.WriteFile(secret, []byte(`{"outside":true}`), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name  string
		setup func(dir string) error
		want  string
	}{
		{"symlink to a file outside", func(dir string) error { return os.Symlink(secret, filepath.Join(dir, "x.json")) }, "symbolic link"},
		{"symlink to a directory", func(dir string) error { return os.Symlink(outside, filepath.Join(dir, "sub")) }, "symbolic link"},
		{"hard link to a file outside", func(dir string) error { return os.Link(secret, filepath.Join(dir, "x.json")) }, "hard links"},
		{"named pipe", func(dir string) error { return syscall.Mkfifo(filepath.Join(dir, "p.json"), 0o600) }, "named pipe"},
		{"too big", func(dir string) error {
			return os.WriteFile(filepath.Join(dir, "big.json"), make([]byte, 1<<16+1), 0o600)
		}, "more than the 65536"},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "ok.json"), []byte("{}"), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := c.setup(dir); err != nil {
				t.Skipf("cannot set up: %v", err)
			}
			before := listing(t, dir)
			_, err := ReadDir(dir, smallLimits())
			if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
				t.Errorf("error %v, want one line with %q", err, c.want)
			}
			if after := listing(t, dir); after != before {
				t.Errorf("the directory changed:\n%s\n%s", before, after)
			}
		})
	}
	if got, _ := os.ReadFile(secret); string(got) != `{"outside":true}` {
		t.Error("the file outside changed")
	}
}

func listing(t *testing.T, dir string) string {
	var b strings.Builder
	_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil {
			info, _ := d.Info()
			b.WriteString(p + " " + info.Mode().String() + "\n")
		}
		return nil
	})
	return b.String()
}

func FuzzReadArchive(f *testing.F) {
	f.Add(tarGz(f, entry{name: "b/manifest.json", data: `{"schema_version":"flytedoctor.bundle/v1"}`}, entry{name: "b/logs/x.log", data: "x"}))
	f.Add(tarGz(f, entry{name: "b/../x", data: "x"}))
	f.Add(tarGz(f, entry{name: "b/l", typ: tar.TypeSymlink, link: "/"}))
	f.Add([]byte("not an archive"))
	f.Fuzz(func(t *testing.T, data []byte) {
		lim := smallLimits()
		s, err := ReadArchive(bytes.NewReader(data), int64(len(data)), lim)
		if err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("error of several lines: %q", err)
			}
			return
		}
		var total int64
		for _, f := range s.Files {
			if !fs.ValidPath(f.Name) || strings.Contains(f.Name, `\`) || f.Size > lim.MaxFile || int64(len(f.Data)) > f.Size {
				t.Fatalf("accepted %q (%d bytes, %d kept)", f.Name, f.Size, len(f.Data))
			}
			total += f.Size
		}
		if total > lim.MaxTotal || len(s.Files) > lim.MaxFiles {
			t.Fatalf("accepted %d files, %d bytes", len(s.Files), total)
		}
		// Whatever was accepted decodes without panicking.
		if c, err := Decode(s); err == nil {
			_, _, _ = c.fixture(evidence.ExecutionID{})
		}
	})
}
