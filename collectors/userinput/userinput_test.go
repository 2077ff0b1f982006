package userinput

import (
	"strings"
	"testing"
)

func TestQuote(t *testing.T) {
	long := strings.Repeat("a", 10000)
	path := "/tmp/" + strings.Repeat("p", KeepPath-5)
	tests := []struct{ in, quote, path string }{
		{"abc", `"abc"`, "abc"},
		{"", `""`, ""},
		{"a b!", `"a b!"`, "a b!"},
		{"tab\there", `"tab\there"`, `tab\there`},
		{strings.Repeat("x", Keep), `"` + strings.Repeat("x", Keep) + `"`, strings.Repeat("x", Keep)},
		{path, `"` + path[:Keep] + `…" (160 bytes)`, path},
		{path + "/x", `"` + path[:Keep] + `…" (162 bytes)`, path + "… (162 bytes)"},
		{long, `"` + long[:Keep] + `…" (10000 bytes)`, long[:KeepPath] + "… (10000 bytes)"},
		// A multi-byte rune is never split.
		{strings.Repeat("é", 100), `"` + strings.Repeat("é", Keep/2) + `…" (200 bytes)`, strings.Repeat("é", KeepPath/2) + "… (200 bytes)"},
	}
	for _, tt := range tests {
		if got := Quote(tt.in); got != tt.quote {
			t.Errorf("Quote(%.20q) = %s, want %s", tt.in, got, tt.quote)
		}
		if got := ClipPath(tt.in); got != tt.path {
			t.Errorf("ClipPath(%.20q) = %s, want %s", tt.in, got, tt.path)
		}
	}
}

// Escapes make the quoted form longer than the input; it stays bounded all the same.
func TestQuoteBoundsEscapes(t *testing.T) {
	for _, in := range []string{strings.Repeat("\x00", 10000), strings.Repeat("\xff", 500), strings.Repeat("\n", 61)} {
		q := Quote(in)
		if len(q) > Keep+escapeSlack+20 || !strings.Contains(q, "…") {
			t.Errorf("Quote of %d bytes = %d bytes: %s", len(in), len(q), q)
		}
		if c := ClipPath(in); len(c) > KeepPath+escapeSlack+20 || strings.ContainsAny(c, "\x00\n") {
			t.Errorf("ClipPath = %q", c)
		}
	}
}

func TestScrub(t *testing.T) {
	long := strings.Repeat("b", 5000)
	msg := `invalid argument "` + long + `" for "--timeout" flag: time: invalid duration "` + long + `"`
	got := Scrub(msg, "--timeout", long)
	want := `invalid argument "` + strings.Repeat("b", Keep) + `…" (5000 bytes) for "--timeout" flag: time: invalid duration "` + strings.Repeat("b", Keep) + `…" (5000 bytes)`
	if got != want {
		t.Fatalf("Scrub =\n%s\nwant\n%s", got, want)
	}
	if got := Scrub("unknown flag: --"+long, "--"+long); len(got) > 120 {
		t.Errorf("bare echo not scrubbed: %d bytes", len(got))
	}
	path := "/" + strings.Repeat("p", KeepPath-1)
	if got := Scrub("short stays, "+path, "short", path); got != "short stays, "+path {
		t.Errorf("Scrub changed a short input: %q", got)
	}
}
