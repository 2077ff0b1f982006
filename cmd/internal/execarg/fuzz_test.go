package execarg

import (
	"regexp"
	"strings"
	"testing"
	"time"
)

// FuzzParse checks what Parse promises for any argument and defaults: an accepted id is made
// of valid names and reads back the same in each of the three written forms; a refusal is one
// line that repeats little of the input.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"a4t8tqkzr9xw2bnl5mfd",
		"flytesnacks/development/a4t8tqkzr9xw2bnl5mfd",
		"https://flyte.example.com/console/projects/flytesnacks/domains/development/executions/a4t8tqkzr9xw2bnl5mfd",
		"http://localhost:30080/flyte/console/projects/flytesnacks/domains/development/executions/a4t8tqkzr9xw2bnl5mfd/nodes?tab=graph#x",
		"flyte://v1/flytesnacks/development/a4t8tqkzr9xw2bnl5mfd/n1/0/o/o0",
		"  flytesnacks/development/a4t8tqkzr9xw2bnl5mfd\n",
		"s3://bucket/key",
		"flytesnacks//abc",
	} {
		f.Add(s, "flytesnacks", "development")
	}
	f.Add("abc", "", "")
	f.Fuzz(func(t *testing.T, arg, project, domain string) {
		id, err := Parse(arg, project, domain)
		if err != nil {
			if msg := err.Error(); strings.ContainsAny(msg, "\r\n") {
				t.Fatalf("Parse(%q) error is not one line: %q", arg, msg)
			}
			// The fixed text, the accepted forms and two clipped quotes of the input.
			if msg := err.Error(); len(msg) > 1000 {
				t.Fatalf("Parse of %d bytes: error of %d bytes: %.300q...", len(arg), len(msg), msg)
			}
			return
		}
		for _, part := range []struct {
			v  string
			re *regexp.Regexp
		}{{id.Project, projectOrDomain}, {id.Domain, projectOrDomain}, {id.Name, executionName}} {
			if !part.re.MatchString(part.v) || len(part.v) > MaxNameLength {
				t.Fatalf("Parse(%q) = %+v: %q is not a valid name", arg, id, part.v)
			}
		}
		for _, form := range []string{
			id.String(),
			"flyte://v1/" + id.String(),
			"https://flyte.example.com/console/projects/" + id.Project + "/domains/" + id.Domain + "/executions/" + id.Name,
		} {
			back, err := Parse(form, "", "")
			if err != nil || back != id {
				t.Fatalf("Parse(%q) = %+v, but Parse(%q) = %+v, %v", arg, id, form, back, err)
			}
		}
		if a := strings.TrimSpace(arg); !strings.Contains(a, "/") && id.Name != a {
			t.Fatalf("bare name %q read as %+v", arg, id)
		}
	})
}

// TestParseLinear: a megabyte-long argument is answered at once (a shell can pass that much).
func TestParseLinear(t *testing.T) {
	for _, unit := range []string{"a", "a/", "https://h/console/projects/p/domains/d/executions/", "flyte://v1/p/d/n/", "projects/"} {
		arg := strings.Repeat(unit, (1<<20)/len(unit))
		start := time.Now()
		_, _ = Parse(arg, "p", "d")
		_, _ = Parse("https://h/"+arg, "p", "d")
		if d := time.Since(start); d > time.Second {
			t.Errorf("Parse of %d bytes of %q took %v", len(arg), unit, d)
		}
	}
}
