package flyteconfig

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	yaml "go.yaml.in/yaml/v3"
)

// An error repeats at most ~200 bytes of its input in one piece, quoted; the fixed text and up
// to two quoted parts fit in maxErrorLen.
const (
	echoWindow  = 220
	maxErrorLen = 2000
)

// FuzzParse decodes arbitrary YAML. A refusal is an *Error of one bounded line; an accepted
// config encodes back to YAML that decodes to the same Config.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.yaml")
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse("config.yaml", data)
		if err != nil {
			checkError(t, err, string(data))
			return
		}
		enc := encodeConfig(t, c)
		back, err := Parse("config.yaml", enc)
		if err != nil {
			t.Fatalf("re-encoded config does not parse: %v\n%s", err, enc)
		}
		c.endpointLine, back.endpointLine = 0, 0 // lines differ between the two files
		if !reflect.DeepEqual(c, back) {
			t.Fatalf("round trip differs:\n got %+v\nwant %+v\nYAML:\n%s", back, c, enc)
		}
	})
}

// FuzzAdminTarget checks the endpoint parser: an accepted endpoint gives a gRPC target that
// the parser accepts again unchanged, and a refusal is one bounded line.
func FuzzAdminTarget(f *testing.F) {
	for _, s := range []string{"dns:///flyte.example.com:443", "dns:///localhost:30080", "https://flyte.example.com",
		"http://localhost:30080", "flyte.example.com:443", "flyte.example.com", "[::1]:8089", "::1", "unix:///run/flyte.sock",
		"passthrough:///10.0.0.1:81", "https://flyte.example.com:8443/console", "dns:///my host:30080", "localhost:0", "http://:80"} {
		f.Add(s, false)
	}
	f.Fuzz(func(t *testing.T, endpoint string, insecure bool) {
		target, plain, err := Admin{Endpoint: endpoint, Insecure: insecure}.Target()
		if err != nil {
			checkError(t, err, endpoint)
			return
		}
		if target == "" || strings.TrimSpace(target) != target {
			t.Fatalf("Target(%q) = %q", endpoint, target)
		}
		if insecure && !plain {
			t.Fatalf("Target(%q) with insecure: TLS", endpoint)
		}
		again, plain2, err := Admin{Endpoint: target, Insecure: plain}.Target()
		if err != nil || again != target || plain2 != plain {
			t.Fatalf("Target(%q) = %q, %v; but Target(%q) = %q, %v, %v", endpoint, target, plain, target, again, plain2, err)
		}
	})
}

func checkError(t *testing.T, err error, input string) {
	t.Helper()
	msg := err.Error()
	if strings.ContainsAny(msg, "\r\n") {
		t.Fatalf("error is not one line: %q", msg)
	}
	if len(msg) > maxErrorLen {
		t.Fatalf("error is %d bytes long: %.300q...", len(msg), msg)
	}
	// A run of the input shows in the error as written or as quoted; compare the quoted form,
	// which is the same for plain text (and does not mistake 200 quoted backslashes for 400).
	for i := 0; len(msg) >= echoWindow && i+echoWindow <= len(input); i++ {
		if q := strconv.Quote(input[i : i+echoWindow]); strings.Contains(msg, q[1:len(q)-1]) {
			t.Fatalf("error repeats more than %d bytes of its input: %.300q...", echoWindow, msg)
		}
	}
}

// encodeConfig writes c as flytectl YAML, every field set explicitly.
func encodeConfig(t *testing.T, c *Config) []byte {
	str := func(v string) *yaml.Node {
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: v, Style: yaml.DoubleQuotedStyle}
	}
	boolean := func(v bool) *yaml.Node {
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: strconv.FormatBool(v)}
	}
	integer := func(v int) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: strconv.Itoa(v)} }
	dur := func(d time.Duration) *yaml.Node { return str(d.String()) }
	list := func(vs []string) *yaml.Node {
		if vs == nil {
			return nil
		}
		n := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
		for _, v := range vs {
			n.Content = append(n.Content, str(v))
		}
		return n
	}
	mapping := func(kv ...any) *yaml.Node {
		n := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
		for i := 0; i < len(kv); i += 2 {
			if v := kv[i+1].(*yaml.Node); v != nil {
				n.Content = append(n.Content, str(kv[i].(string)), v)
			}
		}
		return n
	}
	sortedMap := func(m map[string]string) *yaml.Node {
		var keys []string
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var kv []any
		for _, k := range keys {
			kv = append(kv, k, str(m[k]))
		}
		return mapping(kv...)
	}
	a, s := c.Admin, c.Storage
	var disable *yaml.Node
	if c.Doctor.Disable != nil {
		disable = &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
		for _, d := range c.Doctor.Disable {
			disable.Content = append(disable.Content, mapping("id", str(d.ID), "reason", str(d.Reason)))
		}
	}
	var clientID *yaml.Node // written only when the file named one: that is what ClientIDSet says
	if a.ClientIDSet {
		clientID = str(a.ClientID)
	}
	var stowConfig *yaml.Node
	if s.Stow.Config != nil {
		stowConfig = sortedMap(s.Stow.Config)
	}
	doc := mapping(
		"project", str(c.Project), "domain", str(c.Domain),
		"console", mapping("endpoint", str(c.Console.Endpoint)),
		"admin", mapping(
			"endpoint", str(a.Endpoint), "insecure", boolean(a.Insecure), "insecureSkipVerify", boolean(a.InsecureSkipVerify),
			"caCertFilePath", str(a.CACertFilePath), "authType", str(string(a.AuthType)), "clientId", clientID,
			"clientSecretLocation", str(a.ClientSecretLocation), "clientSecretEnvVar", str(a.ClientSecretEnvVar),
			"scopes", list(a.Scopes), "audience", str(a.Audience), "useAudienceFromAdmin", boolean(a.UseAudienceFromAdmin),
			"tokenUrl", str(a.TokenURL), "authorizationHeader", str(a.AuthorizationHeader),
			"command", list(a.Command), "proxyCommand", list(a.ProxyCommand),
			"perRetryTimeout", dur(a.PerRetryTimeout), "maxRetries", integer(a.MaxRetries),
			"maxBackoffDelay", dur(a.MaxBackoffDelay), "maxMessageSizeBytes", integer(a.MaxMessageSizeBytes),
			"httpProxyURL", str(a.HTTPProxyURL),
			"pkceConfig", mapping("timeout", dur(a.PkceConfig.Timeout), "refreshTime", dur(a.PkceConfig.RefreshTime)),
			"deviceFlowConfig", mapping("timeout", dur(a.DeviceFlowConfig.Timeout), "pollInterval", dur(a.DeviceFlowConfig.PollInterval),
				"refreshTime", dur(a.DeviceFlowConfig.RefreshTime))),
		"storage", mapping(
			"type", str(s.Type), "container", str(s.Container), "enable-multicontainer", boolean(s.EnableMultiContainer),
			"connection", mapping("endpoint", str(s.Connection.Endpoint), "auth-type", str(s.Connection.AuthType),
				"access-key", str(s.Connection.AccessKey), "secret-key", str(s.Connection.SecretKey),
				"region", str(s.Connection.Region), "disable-ssl", boolean(s.Connection.DisableSSL)),
			"stow", mapping("kind", str(s.Stow.Kind), "config", stowConfig)),
		"flytedoctor", mapping("disable", disable, "redirectUri", str(c.Doctor.RedirectURI), "severity", func() *yaml.Node {
			if c.Doctor.Severity == nil {
				return nil
			}
			return sortedMap(c.Doctor.Severity)
		}()),
	)
	b, err := yaml.Marshal(doc)
	if err != nil {
		t.Fatalf("encode %+v: %v", c, err)
	}
	return b
}

// TestParseLinear: a large config (a megabyte of YAML) is decoded, or refused, quickly.
func TestParseLinear(t *testing.T) {
	for _, unit := range []string{"admin:\n  endpoint: x\n", "a: ", "- ", "{", "x: &a [1]\ny: *a\n", "flytedoctor:\n  severity:\n    FD1: warning\n"} {
		data := []byte(strings.Repeat(unit, (1<<20)/len(unit)))
		start := time.Now()
		_, err := Parse("config.yaml", data)
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("Parse of %d bytes of %q took %v", len(data), unit, d)
		}
		var ce *Error
		if err != nil && !errors.As(err, &ce) {
			t.Errorf("error %T is not *Error", err)
		}
		if err != nil {
			checkError(t, err, string(data))
		}
	}
}
