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
