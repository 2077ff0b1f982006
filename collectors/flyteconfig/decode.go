package flyteconfig

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	yaml "go.yaml.in/yaml/v3"

	"github.com/flytedoctor/flytedoctor/collectors/userinput"
)

// decode walks YAML nodes instead of unmarshalling into tagged structs because viper matches
// keys case-insensitively and we need node lines for errors. Only the first error is kept.
func decode(path string, data []byte, c *Config) error {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return yamlError(path, err)
	}
	if len(doc.Content) == 0 { // empty or comments only
		return nil
	}
	d := &decoder{path: path}
	top := section{d: d, m: d.mapping(doc.Content[0], "")}

	top.str("project", &c.Project)
	top.str("domain", &c.Domain)
	top.sub("console").str("endpoint", &c.Console.Endpoint)
	adm := top.sub("admin")
	d.admin(adm, &c.Admin)
	if n := adm.scalar("endpoint"); n != nil {
		c.endpointLine = n.Line // for AdminTarget, which checks the endpoint after flag overrides
	}
	d.storage(top.sub("storage"), &c.Storage)
	d.doctor(top.sub("flytedoctor"), &c.Doctor)
	c.Admin.RedirectURI = c.Doctor.RedirectURI
	if d.err != nil {
		return d.err
	}
	return nil
}

func (d *decoder) admin(s section, a *Admin) {
	s.str("endpoint", &a.Endpoint)
	s.boolean("insecure", &a.Insecure)
	s.boolean("insecureSkipVerify", &a.InsecureSkipVerify)
	s.str("caCertFilePath", &a.CACertFilePath)
	if n := s.scalar("authType"); n != nil {
		t, err := ParseAuthType(n.Value)
		if err != nil {
			d.fail(n, s.key("authType"), "unknown value %s: use one of %s", userinput.Quote(n.Value), validAuthTypes())
		} else {
			a.AuthType = t
		}
	}
	if n := s.scalar("clientId"); n != nil {
		a.ClientID, a.ClientIDSet = n.Value, true
	}
	s.str("clientSecretLocation", &a.ClientSecretLocation)
	s.str("clientSecretEnvVar", &a.ClientSecretEnvVar)
	s.list("scopes", &a.Scopes)
	s.str("audience", &a.Audience)
	s.boolean("useAudienceFromAdmin", &a.UseAudienceFromAdmin)
	s.str("tokenUrl", &a.TokenURL)
	s.str("authorizationHeader", &a.AuthorizationHeader)
	s.list("command", &a.Command)
	s.list("proxyCommand", &a.ProxyCommand)
	// Negative values would silently act as 0 (no deadline, no retries, no cap, the default
	// size); say so instead.
	if n := s.duration("perRetryTimeout", &a.PerRetryTimeout); a.PerRetryTimeout < 0 {
		s.negative(n, "perRetryTimeout", "0 for no per-attempt deadline, or a duration such as 15s")
	}
	if n := s.integer("maxRetries", &a.MaxRetries); a.MaxRetries < 0 {
		s.negative(n, "maxRetries", "0 for no retries, or a number such as 4")
	}
	if n := s.duration("maxBackoffDelay", &a.MaxBackoffDelay); a.MaxBackoffDelay < 0 {
		s.negative(n, "maxBackoffDelay", "0 for no cap, or a duration such as 8s")
	}
	if n := s.integer("maxMessageSizeBytes", &a.MaxMessageSizeBytes); a.MaxMessageSizeBytes < 0 {
		s.negative(n, "maxMessageSizeBytes", "0 for gRPC's default, or a size in bytes such as 16777216")
	}
	if n := s.scalar("httpProxyURL"); n != nil {
		if u, err := url.Parse(n.Value); err != nil || (n.Value != "" && (u.Scheme == "" || u.Host == "")) {
			d.fail(n, s.key("httpProxyURL"), "%s is not a proxy URL: use one such as http://proxy.example.com:3128", userinput.Quote(n.Value))
		} else {
			a.HTTPProxyURL = n.Value
		}
	}
	pk := s.sub("pkceConfig")
	pk.positive("timeout", &a.PkceConfig.Timeout, "a duration such as 2m")
	pk.positive("refreshTime", &a.PkceConfig.RefreshTime, "a duration such as 5m, or 0 to refresh only at expiry")
	df := s.sub("deviceFlowConfig")
	df.positive("timeout", &a.DeviceFlowConfig.Timeout, "a duration such as 10m")
	df.positive("pollInterval", &a.DeviceFlowConfig.PollInterval, "a duration such as 5s")
	df.positive("refreshTime", &a.DeviceFlowConfig.RefreshTime, "a duration such as 5m, or 0 to refresh only at expiry")
}

// positive reads a duration that must not be negative.
func (s section) positive(name string, dst *time.Duration, use string) {
	if n := s.duration(name, dst); *dst < 0 {
		s.negative(n, name, use)
	}
}

func (s section) negative(n *yaml.Node, name, use string) {
	if n == nil { // a default, never negative
		return
	}
	s.d.fail(n, s.key(name), "%s is negative: use %s", userinput.Quote(n.Value), use)
}

func (d *decoder) storage(s section, st *Storage) {
	s.str("type", &st.Type)
	s.str("container", &st.Container)
	s.boolean("enable-multicontainer", &st.EnableMultiContainer)
	c := s.sub("connection")
	c.str("endpoint", &st.Connection.Endpoint)
	c.str("auth-type", &st.Connection.AuthType)
	c.str("access-key", &st.Connection.AccessKey)
	c.str("secret-key", &st.Connection.SecretKey)
	c.str("region", &st.Connection.Region)
	c.boolean("disable-ssl", &st.Connection.DisableSSL)
	stow := s.sub("stow")
	stow.str("kind", &st.Stow.Kind)
	for k, n := range stow.sub("config").m {
		// Nested values are not used by anyone we know of; skip them rather than fail.
		if n = resolve(n); n.Kind == yaml.ScalarNode && !isNull(n) {
			if st.Stow.Config == nil {
				st.Stow.Config = StowConfig{}
			}
			st.Stow.Config[k] = n.Value
		}
	}
}

type decoder struct {
	path string
	err  *Error
}

func (d *decoder) fail(n *yaml.Node, key, format string, args ...any) {
	if d.err != nil {
		return
	}
	line := 0
	if n != nil {
		line = n.Line
	}
	d.err = &Error{Path: d.path, Line: line, Key: key, Msg: fmt.Sprintf(format, args...)}
}

// mapping indexes a mapping node by lower-cased key (viper's rule); the last duplicate wins.
// YAML merge keys (<<) are honoured, with explicit keys taking precedence.
func (d *decoder) mapping(n *yaml.Node, key string) map[string]*yaml.Node {
	m := map[string]*yaml.Node{}
	if n = resolve(n); n == nil || isNull(n) {
		return m
	}
	if n.Kind != yaml.MappingNode {
		what := key
		if what == "" {
			what = "the top level"
		}
		d.fail(n, "", "%s must be a mapping of keys to values, not %s: fix the indentation", what, kindName(n))
		return m
	}
	var merged []map[string]*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Tag == "!!merge" {
			if mv := resolve(v); mv.Kind == yaml.SequenceNode {
				for _, e := range mv.Content {
					merged = append(merged, d.mapping(e, key))
				}
			} else {
				merged = append(merged, d.mapping(mv, key))
			}
			continue
		}
		m[strings.ToLower(k.Value)] = v
	}
	for _, mm := range merged {
		for k, v := range mm {
			if _, ok := m[k]; !ok {
				m[k] = v
			}
		}
	}
	return m
}

// section is one mapping plus its dotted prefix, for error keys.
type section struct {
	d      *decoder
	prefix string
	m      map[string]*yaml.Node
}

func (s section) key(name string) string { return s.prefix + name }

func (s section) sub(name string) section {
	return section{d: s.d, prefix: s.key(name) + ".", m: s.d.mapping(s.m[strings.ToLower(name)], s.key(name))}
}

// scalar returns the scalar value node for name, nil when absent or null (defaults stay).
func (s section) scalar(name string) *yaml.Node {
	n := resolve(s.m[strings.ToLower(name)])
	if n == nil || isNull(n) {
		return nil
	}
	if n.Kind != yaml.ScalarNode {
		s.d.fail(n, s.key(name), "must be a single value, not %s", kindName(n))
		return nil
	}
	return n
}

func (s section) str(name string, dst *string) {
	if n := s.scalar(name); n != nil {
		*dst = n.Value
	}
}

func (s section) boolean(name string, dst *bool) {
	n := s.scalar(name)
	if n == nil {
		return
	}
	if n.Value == "" {
		*dst = false
		return
	}
	v, err := strconv.ParseBool(n.Value)
	if err != nil {
		s.d.fail(n, s.key(name), "%s is not a boolean: use true or false", userinput.Quote(n.Value))
		return
	}
	*dst = v
}

// integer reads a whole number; it returns the node read, nil when absent or invalid.
func (s section) integer(name string, dst *int) *yaml.Node {
	n := s.scalar(name)
	if n == nil {
		return nil
	}
	v, err := strconv.Atoi(n.Value)
	if err != nil {
		s.d.fail(n, s.key(name), "%s is not a whole number: use a number such as 4", userinput.Quote(n.Value))
		return nil
	}
	*dst = v
	return n
}

// duration mirrors flytestdlib's config.Duration: a Go duration string, or a bare number
// taken as nanoseconds (it is decoded as a JSON number into time.Duration).
// It returns the node read, nil when absent or invalid.
func (s section) duration(name string, dst *time.Duration) *yaml.Node {
	n := s.scalar(name)
	if n == nil {
		return nil
	}
	bad := func() *yaml.Node {
		s.d.fail(n, s.key(name), "%s is not a duration: use a Go duration such as \"15s\" or \"1m\"", userinput.Quote(n.Value))
		return nil
	}
	switch n.Tag {
	case "!!int":
		v, err := strconv.ParseInt(n.Value, 0, 64)
		if err != nil {
			return bad()
		}
		*dst = time.Duration(v)
	case "!!float":
		v, err := strconv.ParseFloat(n.Value, 64)
		if err != nil {
			return bad()
		}
		*dst = time.Duration(v)
	default:
		if n.Value == "" {
			*dst = 0
			return n
		}
		v, err := time.ParseDuration(n.Value)
		if err != nil {
			return bad()
		}
		*dst = v
	}
	return n
}

// list accepts a YAML sequence, or a comma-separated string as mapstructure's
// StringToSliceHookFunc(",") does in flytestdlib.
func (s section) list(name string, dst *[]string) {
	n := resolve(s.m[strings.ToLower(name)])
	if n == nil || isNull(n) {
		return
	}
	var out []string
	switch n.Kind {
	case yaml.SequenceNode:
		for _, e := range n.Content {
			if e = resolve(e); e.Kind != yaml.ScalarNode {
				s.d.fail(e, s.key(name), "list items must be single values, not %s", kindName(e))
				return
			}
			out = append(out, e.Value)
		}
	case yaml.ScalarNode:
		for _, p := range strings.Split(n.Value, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
	default:
		s.d.fail(n, s.key(name), "must be a list, not %s", kindName(n))
		return
	}
	*dst = out
}

func resolve(n *yaml.Node) *yaml.Node {
	for n != nil && (n.Kind == yaml.AliasNode || n.Kind == yaml.DocumentNode) {
		if n.Kind == yaml.AliasNode {
			n = n.Alias
		} else if len(n.Content) > 0 {
			n = n.Content[0]
		} else {
			return nil
		}
	}
	return n
}

func isNull(n *yaml.Node) bool { return n.Kind == yaml.ScalarNode && n.Tag == "!!null" }

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	default:
		return "the value " + userinput.Quote(n.Value)
	}
}

// yamlError turns a yaml.v3 syntax error ("yaml: line 3: ...") into a one-line *Error.
func yamlError(path string, err error) *Error {
	msg := oneLine(err.Error())
	msg = strings.TrimPrefix(msg, "yaml: ")
	line := 0
	if rest, ok := strings.CutPrefix(msg, "line "); ok {
		if num, after, ok := strings.Cut(rest, ": "); ok {
			if v, err := strconv.Atoi(num); err == nil {
				line, msg = v, after
			}
		}
	}
	return &Error{Path: path, Line: line, Err: err,
		Msg: "invalid YAML (" + msg + "): fix the syntax, e.g. indent with spaces, not tabs"}
}

// patterns reads a list of regular expressions, or one: unlike list, a scalar is not split
// at commas, which patterns hold ({1,3}).
func (d *decoder) patterns(s section, name string, dst *[]string) {
	n := resolve(s.m[name])
	if n == nil || isNull(n) {
		return
	}
	switch n.Kind {
	case yaml.ScalarNode:
		*dst = []string{n.Value}
	case yaml.SequenceNode:
		for _, e := range n.Content {
			if e = resolve(e); e.Kind != yaml.ScalarNode {
				d.fail(e, s.key(name), "list items must be single patterns, not %s", kindName(e))
				return
			}
			*dst = append(*dst, e.Value)
		}
	default:
		d.fail(n, s.key(name), "must be a list of regular expressions, not %s", kindName(n))
	}
}

// doctor reads flytedoctor's own section: rules turned off (each with a reason) and re-rated.
func (d *decoder) doctor(s section, doc *Doctor) {
	if n := resolve(s.m["disable"]); n != nil && !isNull(n) {
		if n.Kind != yaml.SequenceNode {
			d.fail(n, s.key("disable"), "must be a list of {id, reason}")
			return
		}
		for i, item := range n.Content {
			key := fmt.Sprintf("%s[%d]", s.key("disable"), i)
			e := section{d: d, prefix: key + ".", m: d.mapping(item, key)}
			var r RuleSuppression
			e.str("id", &r.ID)
			e.str("reason", &r.Reason)
			switch {
			case d.err != nil:
				return
			case r.ID == "":
				d.fail(item, key, "id is required, e.g. id: FD2004")
			case strings.TrimSpace(r.Reason) == "":
				d.fail(item, key, "reason is required: say why %s is off", r.ID)
			}
			doc.Disable = append(doc.Disable, r)
		}
	}
	s.str("redirectUri", &doc.RedirectURI)
	d.patterns(s, "redact", &doc.Redact)
	sev := s.sub("severity")
	for id := range sev.m {
		var v string
		sev.str(id, &v)
		if doc.Severity == nil {
			doc.Severity = map[string]string{}
		}
		doc.Severity[strings.ToUpper(id)] = v
	}
}
