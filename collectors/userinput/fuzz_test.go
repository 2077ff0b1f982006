package userinput

import (
	"strconv"
	"strings"
	"testing"
)

// FuzzQuote: whatever the user typed, Quote and ClipPath give one bounded printable line, a
// short printable input comes back whole, and Scrub leaves no long input in a message.
func FuzzQuote(f *testing.F) {
	for _, s := range []string{"a4t8tqkzr9xw2bnl5mfd", "flytesnacks/development/" + strings.Repeat("a", 200), "dns:///my host:30080",
		"tab\there", strings.Repeat("é", 100), "\x00\xff\n", `"quoted" \ back`, "/home/u/.flyte/config.yaml"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		q, p := Quote(s), ClipPath(s)
		for what, v := range map[string]string{"Quote": q, "ClipPath": p} {
			if strings.ContainsAny(v, "\r\n\x00") {
				t.Fatalf("%s(%q) = %q is not one printable line", what, s, v)
			}
		}
		if len(q) > Keep+escapeSlack+len(`"…" (`)+len(strconv.Itoa(len(s)))+len(" bytes)") {
			t.Fatalf("Quote of %d bytes is %d bytes: %s", len(s), len(q), q)
		}
		if len(p) > KeepPath+escapeSlack+len("… (")+len(strconv.Itoa(len(s)))+len(" bytes)") {
			t.Fatalf("ClipPath of %d bytes is %d bytes: %s", len(s), len(p), p)
		}
		if len(s) <= Keep && printable(s) && q != strconv.Quote(s) { // escapes may clip shorter inputs
			t.Fatalf("Quote(%q) = %s, want %s", s, q, strconv.Quote(s))
		}
		msg := "bad value " + strconv.Quote(s) + " (" + s + ")"
		if len(s) > KeepPath && strings.Contains(Scrub(msg, s), s) {
			t.Fatalf("Scrub left the input in %q", Scrub(msg, s))
		}
	})
}
