package cli

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// dirNames lists a directory, so that a test sees a temporary file left behind.
func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range es {
		out = append(out, e.Name())
	}
	return out
}

// -f writes the report to the file, exactly as -o writes it to stdout, replacing what was
// there; the terminal gets one line and the exit code is the run's.
func TestOutputFileLiveRun(t *testing.T) {
	addr := startAdmin(t)
	f, out, _ := testFactory(t, nil)
	if code := run(f, "--admin-endpoint", addr, "--insecure", "-o", "markdown", "flytesnacks/development/failedrun"); code != ExitErrors {
		t.Fatalf("exit %d", code)
	}
	want := out.String()

	dir := t.TempDir()
	path := filepath.Join(dir, "report.md")
	if err := os.WriteFile(path, []byte("an older report\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	f, out, errOut := testFactory(t, nil)
	if code := run(f, "--admin-endpoint", addr, "--insecure", "-o", "markdown", "-f", path, "flytesnacks/development/failedrun"); code != ExitErrors {
		t.Fatalf("exit %d, want %d as without -f; stderr %s", code, ExitErrors, errOut)
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want {
		t.Errorf("the file differs from -o markdown on stdout:\nfile   %.300s\nstdout %.300s", got, want)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("the replaced file's mode is %v, want its own 0600", fi.Mode().Perm())
	}
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(lines) != 1 || !strings.HasPrefix(lines[0], "flytesnacks/development/failedrun  FAILED  ✗ [FD") || !strings.HasSuffix(lines[0], " → "+path+" (markdown)") {
		t.Errorf("stdout is not one summary line: %q", out)
	}
	if errOut.Len() != 0 {
		t.Errorf("stderr %q", errOut)
	}
	if names := dirNames(t, dir); len(names) != 1 {
		t.Errorf("left in the directory: %v", names)
	}

	// A healthy run: exit 0, the summary says so, a new file is 0644.
	f, out, _ = testFactory(t, nil)
	ok := filepath.Join(dir, "ok.json")
	if code := run(f, "--admin-endpoint", addr, "--insecure", "--skip", "kube,s3", "-o", "json", "-f", ok, "flytesnacks/development/okrun"); code != ExitOK {
		t.Fatalf("exit %d", code)
	}
	b, _ := os.ReadFile(ok)
	if rep := readReport(t, b); rep.Snapshot.Target.Name != "okrun" {
		t.Errorf("the file is not okrun's report")
	}
	if fi, _ := os.Stat(ok); fi.Mode().Perm() != 0o644 {
		t.Errorf("a new report file is %v, want 0644", fi.Mode().Perm())
	}
	if want := "flytesnacks/development/okrun  SUCCEEDED  no problem found → " + ok + " (json)\n"; out.String() != want {
		t.Errorf("stdout %q, want %q", out, want)
	}
}

// A path no report can be written to is one line and exit 2, before anything is sent; a
// run that has no report leaves the file as it was.
func TestOutputFileUnwritable(t *testing.T) {
	dir := t.TempDir()
	existing := filepath.Join(dir, "keep.md")
	if err := os.WriteFile(existing, []byte("keep me\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	notDir := filepath.Join(dir, "keep.md", "report.md")
	for _, tc := range []struct {
		path, want string
	}{
		{filepath.Join(dir, "missing", "report.md"), "cannot write the report to " + filepath.Join(dir, "missing", "report.md") + ": no such file or directory: pick a writable path for -f"},
		{notDir, "cannot write the report to " + notDir + ": not a directory"},
		{dir, "-f " + dir + " is a directory: name a file"},
	} {
		for _, args := range [][]string{
			{"--admin-endpoint", "dns:///127.0.0.1:1", "--insecure", "-f", tc.path, "p/d/n"},
			{"demo", "image-pull", "-o", "junit", "-f", tc.path},
		} {
			f, out, errOut := testFactory(t, nil)
			code := run(f, args...)
			if code != ExitUsage || out.Len() != 0 || strings.Count(errOut.String(), "\n") != 1 || !strings.Contains(errOut.String(), tc.want) {
				t.Errorf("%v: exit %d, stdout %q, stderr %q; want exit 2 and one line with %q", args, code, out, errOut, tc.want)
			}
		}
	}
	// Admin does not answer: exit 1, no report, the existing file as it was.
	f, _, errOut := testFactory(t, nil)
	if code := run(f, "--admin-endpoint", "dns:///127.0.0.1:1", "--insecure", "--timeout", "2s", "-f", existing, "p/d/n"); code != ExitFailure {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if b, _ := os.ReadFile(existing); string(b) != "keep me\n" {
		t.Errorf("a run without a report changed the file: %q", b)
	}
	if names := dirNames(t, dir); strings.Join(names, ",") != "keep.md" {
		t.Errorf("left in the directory: %v", names)
	}
}

// A report that fails while it is written leaves the file at the path as it was, and no
// temporary file.
func TestWriteFileAtomicKeepsTheOldFileOnFailure(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "report.xml")
	if err := os.WriteFile(path, []byte("<old/>\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("renderer failed")
	err := writeFileAtomic(path, func(w io.Writer) error {
		if _, err := w.Write(bytes.Repeat([]byte("x"), 200<<10)); err != nil { // past the buffer: on disk
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("err %v, want the renderer's", err)
	}
	if b, _ := os.ReadFile(path); string(b) != "<old/>\n" {
		t.Errorf("the old file changed: %.40q", b)
	}
	if names := dirNames(t, dir); strings.Join(names, ",") != "report.xml" {
		t.Errorf("left in the directory: %v", names)
	}
}

// The demo with -f: every scenario in one JUnit document, one line each on the terminal.
func TestOutputFileDemo(t *testing.T) {
	path := filepath.Join(t.TempDir(), "demo.xml")
	f, out, errOut := testFactory(t, nil)
	if code := run(f, "demo", "image-pull", "dynamic-fanout", "healthy", "-o", "junit", "-f", path); code != ExitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(lines) != 3 || !strings.Contains(lines[0], "✗ [FD1001]") || !strings.Contains(lines[1], "(+2 more failing places)") || !strings.Contains(lines[2], "SUCCEEDED  no problem found") {
		t.Errorf("stdout:\n%s", out)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Tests    int `xml:"tests,attr"`
		Failures int `xml:"failures,attr"`
		Suites   []struct {
			Name string `xml:"name,attr"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal(b, &doc); err != nil || len(doc.Suites) != 3 || doc.Failures != 4 || doc.Tests != 5 {
		t.Errorf("JUnit file: %v, %+v", err, doc)
	}
}

// Colour never reaches a file, even from a terminal that wants it.
func TestOutputFileHasNoColour(t *testing.T) {
	path := filepath.Join(t.TempDir(), "demo.txt")
	f, _, _ := testFactory(t, map[string]string{"TERM": "xterm-256color"})
	f.IO.OutTTY = true
	if !f.IO.ColorEnabled(false, f.Getenv) {
		t.Fatal("the test's terminal does not want colour; the test proves nothing")
	}
	if code := run(f, "demo", "image-pull", "-f", path); code != ExitOK {
		t.Fatalf("exit %d", code)
	}
	b, _ := os.ReadFile(path)
	if bytes.Contains(b, []byte("\x1b[")) || !bytes.Contains(b, []byte("Root cause")) {
		t.Errorf("the text file has colour or no report: %.200q", b)
	}
}
