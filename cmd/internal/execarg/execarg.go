// Package execarg parses the execution argument of flytedoctor: a bare name, PROJECT/DOMAIN/NAME,
// a Flyte console URL or a flyte://v1 URL.
package execarg

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"

	"github.com/flytedoctor/flytedoctor/collectors/evidence"
)

// Forms lists the accepted forms, for usage and error messages.
const Forms = `NAME (with -p/--project and -d/--domain or the config's project/domain), ` +
	`PROJECT/DOMAIN/NAME, https://HOST/console/projects/PROJECT/domains/DOMAIN/executions/NAME, ` +
	`or flyte://v1/PROJECT/DOMAIN/NAME`

// Flyte project, domain and execution names are lowercase DNS-label-like strings; allowing a
// little more (upper case, underscore, dot) keeps odd but real deployments working.
var namePart = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)

// Parse turns arg into an execution id. defProject and defDomain complete a bare NAME.
func Parse(arg, defProject, defDomain string) (evidence.ExecutionID, error) {
	arg = strings.TrimSpace(arg)
	switch {
	case arg == "":
		return evidence.ExecutionID{}, fmt.Errorf("no execution given: pass %s", Forms)
	case strings.HasPrefix(arg, "flyte://"):
		return parseFlyteURL(arg)
	case strings.HasPrefix(arg, "http://"), strings.HasPrefix(arg, "https://"):
		return parseConsoleURL(arg)
	case strings.Contains(arg, "://"):
		return evidence.ExecutionID{}, invalid(arg, "unknown URL scheme")
	}
	parts := strings.Split(arg, "/")
	switch len(parts) {
	case 1:
		if defProject == "" || defDomain == "" {
			return evidence.ExecutionID{}, fmt.Errorf("execution %q needs a project and a domain: pass -p PROJECT -d DOMAIN, "+
				"set project/domain in the flytectl config, or give PROJECT/DOMAIN/%s", arg, arg)
		}
		return build(arg, defProject, defDomain, arg)
	case 3:
		return build(arg, parts[0], parts[1], parts[2])
	}
	return evidence.ExecutionID{}, invalid(arg, "expected 1 or 3 slash-separated parts")
}

func parseFlyteURL(arg string) (evidence.ExecutionID, error) {
	// flyte://v1/P/D/N[/node[/attempt]/{i,o,d}...]
	rest := strings.TrimPrefix(arg, "flyte://")
	parts := strings.Split(rest, "/")
	if len(parts) < 4 || parts[0] != "v1" {
		return evidence.ExecutionID{}, invalid(arg, "a flyte URL looks like flyte://v1/PROJECT/DOMAIN/NAME")
	}
	return build(arg, parts[1], parts[2], parts[3])
}

func parseConsoleURL(arg string) (evidence.ExecutionID, error) {
	u, err := url.Parse(arg)
	if err != nil {
		return evidence.ExecutionID{}, invalid(arg, "not a valid URL")
	}
	// The console may be served under a prefix; look for the projects/P/domains/D/executions/N run.
	segs := strings.Split(strings.Trim(u.Path, "/"), "/")
	for i := 0; i+5 < len(segs); i++ {
		if segs[i] == "projects" && segs[i+2] == "domains" && segs[i+4] == "executions" {
			return build(arg, segs[i+1], segs[i+3], segs[i+5])
		}
	}
	return evidence.ExecutionID{}, invalid(arg, "a console URL looks like https://HOST/console/projects/P/domains/D/executions/NAME")
}

func build(arg, project, domain, name string) (evidence.ExecutionID, error) {
	for _, p := range []struct{ what, v string }{{"project", project}, {"domain", domain}, {"execution name", name}} {
		if !namePart.MatchString(p.v) {
			return evidence.ExecutionID{}, invalid(arg, fmt.Sprintf("%s %q is not a valid Flyte name", p.what, p.v))
		}
	}
	return evidence.ExecutionID{Project: project, Domain: domain, Name: name}, nil
}

func invalid(arg, why string) error {
	return fmt.Errorf("invalid execution %q: %s; accepted forms: %s", arg, why, Forms)
}
