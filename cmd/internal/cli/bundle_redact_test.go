package cli

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/flytedoctor/flytedoctor/bundle"
	"github.com/flytedoctor/flytedoctor/cmd/internal/demo"
)

func tarOf(t *testing.T, gz bool, members map[string][]byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	var w io.Writer = &buf
	var zw *gzip.Writer
	if gz {
		zw = gzip.NewWriter(&buf)
		w = zw
	}
	tw := tar.NewWriter(w)
	for name, data := range members {
		if err := tw.WriteHeader(&tar.Header{Name: name, Typeflag: tar.TypeReg, Size: int64(len(data)), Mode: 0o644}); err != nil {
			t.Fatal(err)
		}
		tw.Write(data)
	}
	tw.Close()
	if zw != nil {
		zw.Close()
	}
	return buf.Bytes()
}

// bundle redact rewrites every member of a bundle, archives inside it included, removing what
// the new patterns match; the result still analyzes as before.
func TestBundleRedactAgain(t *testing.T) {
	scenarios, _ := demo.Scenarios()
	s := scenarios[0]
	dir := t.TempDir()
	f, _, _ := testFactory(t, nil)
	orig := filepath.Join(dir, "orig.tar.gz")
	demoBundle(t, f, s, orig)

	secrets := map[string]string{
		"user-pattern":        "customer-acmecorp",
		"user-pattern-name":   "customer-zeta",
		"nested-key-id":       "AKIAZ7QW2XK4LMNOPQRS",
		"nested-nested-jwt":   "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJuZXN0ZWQifQ.c2lnbmF0dXJlbmVzdGVk",
		"nested-user-pattern": "customer-omega",
	}
	innerTar := tarOf(t, false, map[string][]byte{"inner/deep.log": []byte("token " + secrets["nested-nested-jwt"])})
	nested := tarOf(t, true, map[string][]byte{
		"old/app.log":   []byte("creds " + secrets["nested-key-id"] + " for " + secrets["nested-user-pattern"]),
		"old/inner.tar": innerTar,
	})
	// The original bundle, with what an older build let through added to it.
	members := readMembers(t, mustRead(t, orig))
	members["extra/notes.txt"] = []byte("ticket for " + secrets["user-pattern"])
	members["extra/"+secrets["user-pattern-name"]+".txt"] = []byte("named after the customer")
	members["extra/nested.tar.gz"] = nested
	withRoot := map[string][]byte{}
	for k, v := range members {
		withRoot["orig/"+k] = v
	}
	in := filepath.Join(dir, "in.tar.gz")
	if err := os.WriteFile(in, tarOf(t, true, withRoot), 0o600); err != nil {
		t.Fatal(err)
	}

	out := filepath.Join(dir, "out.tar.gz")
	rf, _, errOut := testFactory(t, nil)
	if code := Main(context.Background(), rf, []string{"bundle", "redact", in, "-f", out, "--redact", `customer-[a-z]+`}); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	data := mustRead(t, out)
	for name, v := range secrets {
		if where := findInArchive(t, data, v, 0); where != "" {
			t.Errorf("%s survived in %s", name, where)
		}
	}
	got := readMembers(t, data)
	if _, ok := got["extra/nested.tar.gz"]; !ok {
		t.Errorf("the nested archive is gone: %v", keys(got))
	}
	var man bundle.Manifest
	if err := json.Unmarshal(got[bundle.ManifestFile], &man); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(strings.Join(man.Notes, " "), "redacted again") || len(man.Files) != len(got)-1 {
		t.Errorf("manifest notes %q, %d files for %d members", man.Notes, len(man.Files), len(got))
	}
	var red struct{ Redactions []struct{ Rule, File string } }
	if err := json.Unmarshal(got[bundle.RedactionsFile], &red); err != nil {
		t.Fatal(err)
	}
	var files []string
	for _, r := range red.Redactions {
		files = append(files, r.Rule+"@"+r.File)
	}
	all := strings.Join(files, " ")
	for _, want := range []string{"user-pattern@extra/notes.txt", "aws-access-key-id@extra/nested.tar.gz!old/app.log", "jwt@extra/nested.tar.gz!old/inner.tar!inner/deep.log"} {
		if !strings.Contains(all, want) {
			t.Errorf("redactions.json lacks %s: %s", want, all)
		}
	}
	// Still the same diagnosis.
	for _, p := range []string{orig, out} {
		af, o, e := testFactory(t, nil)
		if code := Main(context.Background(), af, []string{"analyze", "--fail-on", "never", "-o", "json", p}); code != 0 {
			t.Fatalf("analyze %s: %d %s", p, code, e)
		}
		if !strings.Contains(o.String(), `"rule_id": "FD1001"`) {
			t.Errorf("analyze %s lost the finding", p)
		}
	}
}

func mustRead(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
