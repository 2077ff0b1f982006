package report

import (
	"bytes"
	"regexp"
	"strings"
	"testing"
)

func TestTermSafe(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		color    bool
		want     string
	}{
		{"plain text and unicode pass", "pod a-n0-0: résumé ✓\tok\n", false, "pod a-n0-0: résumé ✓\tok\n"},
		{"CRLF is a line end", "one\r\ntwo\r\n", false, "one\ntwo\n"},
		{"a lone CR cannot rewrite the line", "done\rFAILED", false, "done^MFAILED"},
		{"clear screen", "x\x1b[2Jy", true, "x^[[2Jy"},
		{"window title (OSC)", "\x1b]0;pwned\x07", true, "^[]0;pwned^G"},
		{"OSC 8 hyperlink", "\x1b]8;;http://evil.example\x1b\\click\x1b]8;;\x1b\\", true, "^[]8;;http://evil.example^[\\click^[]8;;^[\\"},
		{"colour kept when colour is on", "\x1b[31;1mred\x1b[0m", true, "\x1b[31;1mred\x1b[0m"},
		{"colour shown when colour is off", "\x1b[31mred\x1b[0m", false, "^[[31mred^[[0m"},
		{"NUL, BEL, DEL", "a\x00b\x07c\x7f", false, "a^@b^Gc^?"},
		{"C1 control and invalid UTF-8", "a\u009bb\xffc", false, "a\uFFFDb\uFFFDc"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			n, err := (&termSafe{w: &b, color: tc.color}).Write([]byte(tc.in))
			if err != nil || n != len(tc.in) {
				t.Fatalf("Write = %d, %v; want %d, nil", n, err, len(tc.in))
			}
			if b.String() != tc.want {
				t.Errorf("got %q, want %q", b.String(), tc.want)
			}
		})
	}
}

// The text report of an execution whose messages carry terminal controls keeps only its own
// colours: with colour on, every ESC starts an SGR sequence; with colour off there is no ESC.
func TestTextReportIsTerminalSafe(t *testing.T) {
	r := hostileReport()
	r.Snapshot.Execution.Error.Message += " \x1b]0;pwned\x07 \x1b[2J\rover"
	sgr := regexp.MustCompile(`\x1b\[[0-9;]*m`)
	for _, color := range []bool{true, false} {
		var b bytes.Buffer
		if err := WriteText(&b, r, TextOptions{Style: NewStyle(color)}); err != nil {
			t.Fatal(err)
		}
		out := b.String()
		rest := sgr.ReplaceAllString(out, "")
		if strings.ContainsAny(rest, "\x1b\r\x00\x07") {
			t.Errorf("colour %v: control characters reach the terminal: %q", color, rest)
		}
		if color != sgr.MatchString(out) {
			t.Errorf("colour %v: SGR sequences present = %v", color, !color)
		}
		if !strings.Contains(out, "^[]0;pwned^G") {
			t.Errorf("colour %v: the title sequence is not shown in caret notation", color)
		}
	}
}
