// Package execarg parses the execution argument of flytedoctor: a bare name, PROJECT/DOMAIN/NAME,
// a Flyte console URL or a flyte://v1 URL.
package execarg

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"

	"github.com/flytedoctor/flytedoctor/collectors/evidence"
	"github.com/flytedoctor/flytedoctor/collectors/userinput"
)

// Forms lists the accepted forms, for usage and error messages.
const Forms = `NAME (with -p/--project and -d/--domain or the config's project/domain), ` +
	`PROJECT/DOMAIN/NAME, https://HOST/console/projects/PROJECT/domains/DOMAIN/executions/NAME, ` +
	`or flyte://v1/PROJECT/DOMAIN/NAME`

// MaxNameLength is the longest project, domain or execution name Flyte accepts. flyteadmin v1.16
// rejects longer execution names ("Maximum value length of a Kubernetes label",
// allowedExecutionNameLength in flyteadmin/pkg/manager/impl/validation/execution_validator.go),
// project ids must be DNS-1123 labels (project_validator.go), and flytepropeller puts all three
// on the FlyteWorkflow and its pods as label values (execution-id, project, domain), which
// Kubernetes caps at 63.
const MaxNameLength = 63

// executionName is flyteadmin's executionIDRegex ^[a-z][a-z\-0-9]*$, which it checks on the
// lower-cased name, so upper case passes too (CheckValidExecutionID, same file).
var executionName = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9-]*$`)

// Project ids are DNS-1123 labels and domains come from flyteadmin's config; both must be
// label values. Allowing a little more than a DNS label (upper case, underscore, dot) keeps
// odd but real deployments working.
var projectOrDomain = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)

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
			return evidence.ExecutionID{}, fmt.Errorf("execution %s needs a project and a domain: pass -p PROJECT -d DOMAIN, "+
				"set project/domain in the flytectl config, or give PROJECT/DOMAIN/NAME", userinput.Quote(arg))
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
	for _, p := range []struct {
		what, v string
		re      *regexp.Regexp
		chars   string
	}{
		{"project", project, projectOrDomain, "letters, digits, '-', '_' and '.', starting with a letter or digit"},
		{"domain", domain, projectOrDomain, "letters, digits, '-', '_' and '.', starting with a letter or digit"},
		{"execution name", name, executionName, "letters, digits and '-', starting with a letter"},
	} {
		// No accepted forms here: the form was right, one part of it is not.
		switch {
		case len(p.v) > MaxNameLength:
			return evidence.ExecutionID{}, fmt.Errorf("invalid execution %s: %s %s is longer than the %d characters Flyte allows: check the id",
				userinput.Quote(arg), p.what, userinput.Quote(p.v), MaxNameLength)
		case !p.re.MatchString(p.v):
			return evidence.ExecutionID{}, fmt.Errorf("invalid execution %s: %s %s is not a valid Flyte name (%s)",
				userinput.Quote(arg), p.what, userinput.Quote(p.v), p.chars)
		}
	}
	return evidence.ExecutionID{Project: project, Domain: domain, Name: name}, nil
}

func invalid(arg, why string) error {
	return fmt.Errorf("invalid execution %s: %s; accepted forms: %s", userinput.Quote(arg), why, Forms)
}
