package execarg

import (
	"strings"
	"testing"

	"github.com/flytedoctor/flytedoctor/collectors/evidence"
)

func TestParse(t *testing.T) {
	want := evidence.ExecutionID{Project: "flytesnacks", Domain: "development", Name: "a4t8tqkzr9xw2bnl5mfd"}
	ok := []struct{ name, arg, p, d string }{
		{"bare name with defaults", "a4t8tqkzr9xw2bnl5mfd", "flytesnacks", "development"},
		{"triple", "flytesnacks/development/a4t8tqkzr9xw2bnl5mfd", "", ""},
		{"triple wins over defaults", "flytesnacks/development/a4t8tqkzr9xw2bnl5mfd", "other", "prod"},
		{"console URL", "https://flyte.example.com/console/projects/flytesnacks/domains/development/executions/a4t8tqkzr9xw2bnl5mfd", "", ""},
		{"console URL with trailing path and query", "https://flyte.example.com/console/projects/flytesnacks/domains/development/executions/a4t8tqkzr9xw2bnl5mfd/nodes?tab=graph#x", "", ""},
		{"console URL under a prefix, http", "http://localhost:30080/flyte/console/projects/flytesnacks/domains/development/executions/a4t8tqkzr9xw2bnl5mfd/", "", ""},
		{"flyte URL", "flyte://v1/flytesnacks/development/a4t8tqkzr9xw2bnl5mfd", "", ""},
		{"flyte URL to an output", "flyte://v1/flytesnacks/development/a4t8tqkzr9xw2bnl5mfd/n1/0/o/o0", "", ""},
		{"surrounding space", "  flytesnacks/development/a4t8tqkzr9xw2bnl5mfd\n", "", ""},
	}
	// The longest names Flyte allows, and upper case, which flyteadmin accepts (it lower-cases
	// the name before matching).
	for _, arg := range []string{strings.Repeat("p", 63) + "/" + strings.Repeat("d", 63) + "/a" + strings.Repeat("0", 62), "flytesnacks/development/MyRun-1"} {
		if _, err := Parse(arg, "", ""); err != nil {
			t.Errorf("Parse(%q): %v", arg, err)
		}
	}
	for _, tc := range ok {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Parse(tc.arg, tc.p, tc.d)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tc.arg, err)
			}
			if got != want {
				t.Fatalf("Parse(%q) = %+v, want %+v", tc.arg, got, want)
			}
		})
	}

	bad := []struct{ name, arg, p, d, wantErr string }{
		{"empty", "", "p", "d", "no execution given"},
		{"bare name without defaults", "abc", "", "", "needs a project and a domain"},
		{"bare name without domain", "abc", "flytesnacks", "", "-p PROJECT -d DOMAIN"},
		{"two parts", "flytesnacks/abc", "", "", "expected 1 or 3"},
		{"four parts", "a/b/c/d", "", "", "expected 1 or 3"},
		{"empty part", "flytesnacks//abc", "", "", "domain \"\" is not a valid Flyte name"},
		{"console URL without execution", "https://flyte.example.com/console/projects/flytesnacks/domains/development/executions", "", "", "console URL looks like"},
		{"flyte URL wrong version", "flyte://v2/flytesnacks/development/abc", "", "", "flyte://v1/PROJECT/DOMAIN/NAME"},
		{"flyte URL too short", "flyte://v1/flytesnacks/development", "", "", "flyte://v1/PROJECT/DOMAIN/NAME"},
		{"other scheme", "s3://bucket/key", "", "", "unknown URL scheme"},
		{"space in name", "flytesnacks/development/a b", "", "", "not a valid Flyte name"},
		// flyteadmin's executionIDRegex: a letter first, then letters, digits and '-'.
		{"name starts with a digit", "flytesnacks/development/0abc", "", "", `execution name "0abc" is not a valid Flyte name (letters, digits and '-', starting with a letter)`},
		{"underscore in name", "flytesnacks/development/a_b", "", "", `execution name "a_b" is not a valid Flyte name`},
		{"name too long", "flytesnacks/development/" + strings.Repeat("a", 64), "", "", "is longer than the 63 characters Flyte allows"},
		{"project too long", strings.Repeat("p", 64) + "/development/abc", "", "", "project \"" + strings.Repeat("p", 60) + "…\" (64 bytes) is longer than the 63"},
		{"domain too long", "flytesnacks/" + strings.Repeat("d", 100) + "/abc", "", "", "domain \"" + strings.Repeat("d", 60) + "…\" (100 bytes) is longer"},
		{"bare name too long", strings.Repeat("n", 70), "p", "d", "execution name"},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(tc.arg, tc.p, tc.d)
			if err == nil {
				t.Fatalf("Parse(%q) succeeded, want error containing %q", tc.arg, tc.wantErr)
			}
			msg := err.Error()
			if !strings.Contains(msg, tc.wantErr) {
				t.Fatalf("Parse(%q) error %q does not contain %q", tc.arg, msg, tc.wantErr)
			}
			if strings.Contains(msg, "\n") {
				t.Fatalf("error must be one line: %q", msg)
			}
		})
	}
}

// A huge argument is never echoed whole, whatever part of it is wrong.
func TestParseErrorsClipTheArgument(t *testing.T) {
	long := strings.Repeat("a", 10000)
	for _, arg := range []string{
		"flytesnacks/development/" + long,
		long + "/development/abc",
		long,
		"flytesnacks/" + long,
		"s3://" + long,
		"flyte://v2/" + long,
		"https://flyte.example.com/" + long,
		"flytesnacks/development/" + long + " x",
	} {
		_, err := Parse(arg, "flytesnacks", "development")
		if err == nil {
			t.Errorf("Parse of %d bytes succeeded", len(arg))
			continue
		}
		msg := err.Error()
		// Forms is ours; what is left may echo at most two clipped inputs.
		if rest := strings.Replace(msg, Forms, "", 1); len(rest) > 300 {
			t.Errorf("error echoes too much (%d bytes): %.400s", len(rest), rest)
		}
		t.Log(msg)
		if !strings.Contains(msg, "bytes)") {
			t.Errorf("error does not say the input was cut: %.300s", msg)
		}
	}
}
