package flyteconfig

import (
	"slices"
	"strings"
	"testing"
)

func TestRedactPatterns(t *testing.T) {
	for _, c := range []struct {
		yaml string
		want []string
		err  string
	}{
		{"flytedoctor:\n  redact: ['internal-[0-9]{1,3}', 'ticket=(\\w+)']\n", []string{"internal-[0-9]{1,3}", `ticket=(\w+)`}, ""},
		{"flytedoctor:\n  redact: 'a{1,3},b'\n", []string{"a{1,3},b"}, ""}, // one pattern, commas kept
		{"flytedoctor:\n  redact: {a: b}\n", nil, "flytedoctor.redact"},
		{"flytedoctor:\n  redact: [[a]]\n", nil, "flytedoctor.redact"},
	} {
		cfg, err := Parse("config.yaml", []byte(c.yaml))
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%q: error %v, want one naming %s", c.yaml, err, c.err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%q: %v", c.yaml, err)
		}
		if !slices.Equal(cfg.Doctor.Redact, c.want) {
			t.Errorf("%q: %q, want %q", c.yaml, cfg.Doctor.Redact, c.want)
		}
	}
}
