package plan

import (
	"fmt"
	"strings"

	"github.com/flytedoctor/flytedoctor/collectors/flyteconfig"
	"github.com/flytedoctor/flytedoctor/collectors/userinput"
	"github.com/flytedoctor/flytedoctor/rules"
)

// RuleConfig merges the config file's flytedoctor section (disable, severity) with --disable
// flags (ID or ID=reason). Every error is the user's: an unknown rule or severity, named with
// where it came from.
func RuleConfig(cfg *flyteconfig.Config, disable []string) (rules.Config, error) {
	table := rules.Table()
	rc := rules.Config{Disabled: map[string]string{}, Severity: map[string]rules.Severity{}}
	known := func(id, where string) error {
		if rules.Lookup(table, id) == nil {
			return fmt.Errorf("%s: unknown rule %s (flytedoctor rules list shows them)", where, userinput.Quote(id))
		}
		return nil
	}
	for _, d := range cfg.Doctor.Disable {
		id := strings.ToUpper(d.ID)
		if err := known(id, "flytedoctor.disable in "+ConfigName(cfg)); err != nil {
			return rc, err
		}
		rc.Disabled[id] = d.Reason
	}
	for id, v := range cfg.Doctor.Severity {
		if err := known(id, "flytedoctor.severity in "+ConfigName(cfg)); err != nil {
			return rc, err
		}
		sev, err := rules.ParseSeverity(v)
		if err != nil { // its message would echo v whole
			return rc, fmt.Errorf("flytedoctor.severity.%s in %s: unknown severity %s: use error, warning or info", id, ConfigName(cfg), userinput.Quote(v))
		}
		rc.Severity[id] = sev
	}
	for _, d := range disable {
		id, reason, _ := strings.Cut(d, "=")
		id = strings.ToUpper(strings.TrimSpace(id))
		if err := known(id, "--disable"); err != nil {
			return rc, err
		}
		if reason = strings.TrimSpace(reason); reason == "" {
			reason = "disabled with --disable"
		}
		rc.Disabled[id] = reason
	}
	return rc, nil
}

// ConfigName is how messages name the config file.
func ConfigName(cfg *flyteconfig.Config) string {
	if cfg.Path == "" {
		return "~/.flyte/config.yaml"
	}
	return userinput.ClipPath(cfg.Path)
}
