package flyteconfig

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestDiscover(t *testing.T) {
	tests := []struct {
		name         string
		flag         string
		env          map[string]string
		home         string
		wantPath     string
		wantExplicit bool
	}{
		{"flag wins over env", "/a/flag.yaml", map[string]string{EnvConfig: "/b/env.yaml"}, "/home/u", "/a/flag.yaml", true},
		{"env wins over home", "", map[string]string{EnvConfig: "/b/env.yaml"}, "/home/u", "/b/env.yaml", true},
		{"home default", "", nil, "/home/u", "/home/u/.flyte/config.yaml", false},
		{"other env vars ignored", "", map[string]string{"FLYTE_CONFIG": "/x"}, "/home/u", "/home/u/.flyte/config.yaml", false},
		{"no home", "", nil, "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, explicit := Discover(tt.flag, env(tt.env), tt.home)
			if p != tt.wantPath || explicit != tt.wantExplicit {
				t.Errorf("Discover = %q, %v; want %q, %v", p, explicit, tt.wantPath, tt.wantExplicit)
			}
		})
	}
	if p, _ := Discover("", nil, "/h"); p != "/h/.flyte/config.yaml" {
		t.Errorf("nil getenv: got %q", p)
	}
}

func TestLoad(t *testing.T) {
	def := DefaultAdmin()
	tests := []struct {
		file string
		want func(c *Config)
	}{
		{"sandbox.yaml", func(c *Config) {
			c.Admin.Endpoint = "dns:///localhost:30080"
			c.Admin.AuthType = AuthPkce
			c.Admin.Insecure = true
			c.Console.Endpoint = "http://localhost:30080"
			c.Storage = Storage{Type: "minio", Container: "my-s3-bucket", EnableMultiContainer: true,
				Connection: Connection{Endpoint: "http://localhost:30002", AuthType: "accesskey", AccessKey: "minio",
					SecretKey: "miniostorage", Region: "us-east-1", DisableSSL: true}}
		}},
		{"full.yaml", func(c *Config) {
			c.Project, c.Domain = "flytesnacks", "development"
			c.Admin = Admin{
				Endpoint: "dns:///flyte.example.com:443", InsecureSkipVerify: true, CACertFilePath: "/etc/ssl/flyte-ca.pem",
				AuthType: AuthClientSecret, ClientID: "flytedoctor", ClientSecretLocation: "/var/run/secrets/flyte/client_secret",
				ClientSecretEnvVar: "FLYTE_SECRET", Scopes: []string{"all", "offline"}, Audience: "https://flyte.example.com",
				UseAudienceFromAdmin: true, TokenURL: "https://idp.example.com/oauth2/token", AuthorizationHeader: "authorization",
				Command: []string{"gcloud", "auth", "print-identity-token"}, ProxyCommand: []string{"proxy-token", "--audience", "flyte"},
				PerRetryTimeout: 30 * time.Second, MaxRetries: 7, MaxBackoffDelay: time.Minute, MaxMessageSizeBytes: 33554432,
				HTTPProxyURL: "http://proxy.example.com:3128",
				PkceConfig:   PkceConfig{Timeout: 3 * time.Minute, RefreshTime: time.Minute},
				DeviceFlowConfig: DeviceFlowConfig{Timeout: 5 * time.Minute, PollInterval: 2 * time.Second,
					RefreshTime: 30 * time.Second},
				ClientIDSet: true, RedirectURI: "http://localhost:53600/callback",
			}
			c.Doctor.RedirectURI = "http://localhost:53600/callback"
		}},
		{"casing.yaml", func(c *Config) {
			c.Project = "P"
			c.Admin.Endpoint = "flyte.example.com:8089"
			c.Admin.Insecure = true
			c.Admin.AuthType = AuthExternalCommand
			c.Admin.Command = []string{"print-token", "--quiet"}
			c.Admin.PerRetryTimeout = 2 * time.Second // a bare number is nanoseconds, as in flytestdlib
			c.Admin.MaxRetries = 1
			c.Storage = Storage{Type: "s3", Connection: Connection{Region: "eu-west-1", AuthType: "iam"}}
		}},
		{"stow.yaml", func(c *Config) {
			c.Admin.Endpoint = "localhost:30080"
			c.Admin.Insecure = true
			c.Storage = Storage{Type: "stow", Container: "my-s3-bucket", Stow: Stow{Kind: "s3", Config: StowConfig{
				"auth_type": "accesskey", "access_key_id": "minio", "secret_key": "miniostorage", "disable_ssl": "true",
				"endpoint": "http://localhost:30002", "region": "us-east-1"}}}
		}},
		{"anchors.yaml", func(c *Config) {
			c.Admin.Endpoint = "localhost:30080"
			c.Admin.Insecure = true
			c.Admin.MaxRetries = 3
		}},
		{"empty.yaml", func(c *Config) {}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			path := filepath.Join("testdata", tt.file)
			got, err := Load(path, true)
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			want := &Config{Path: path, Admin: def}
			tt.want(want)
			want.endpointLine = got.endpointLine // TestConfigAdminTargetNamesLine checks it
			if !reflect.DeepEqual(got, want) {
				t.Errorf("Load(%s)\n got %+v\nwant %+v", tt.file, got, want)
			}
		})
	}
}

func TestLoadMissing(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "nope.yaml")

	c, err := Load(missing, false)
	if err != nil {
		t.Fatalf("missing default file: %v", err)
	}
	if !reflect.DeepEqual(c, Default()) || c.Path != "" {
		t.Errorf("missing default file: got %+v, want defaults", c)
	}

	_, err = Load(missing, true)
	var ce *Error
	if !errors.As(err, &ce) || !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("explicit missing file: got %v, want *Error wrapping fs.ErrNotExist", err)
	}
	want := "config file " + missing + " not found: pass an existing file with --config or unset FLYTECTL_CONFIG"
	if err.Error() != want {
		t.Errorf("got %q\nwant %q", err, want)
	}

	c, err = Load("", false)
	if err != nil || !reflect.DeepEqual(c, Default()) {
		t.Errorf(`Load("") = %+v, %v; want defaults`, c, err)
	}
}

func TestLoadDirectory(t *testing.T) {
	dir := t.TempDir()
	_, err := Load(dir, true)
	if err == nil || !strings.Contains(err.Error(), "config file "+dir+": cannot read it") {
		t.Fatalf("got %v", err)
	}
}

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		file     string
		wantLine int
		want     []string
	}{
		{"unknown_authtype.yaml", 3, []string{"admin.authType", `unknown value "Basic"`, "ClientSecret, Pkce, ExternalCommand, DeviceFlow"}},
		{"malformed.yaml", 3, []string{"invalid YAML", "fix the syntax"}},
		{"tab.yaml", 2, []string{"invalid YAML", "tab"}},
		{"badduration.yaml", 4, []string{"admin.maxBackoffDelay", `"ten seconds" is not a duration`, `"15s"`}},
		{"badbool.yaml", 3, []string{"admin.insecure", `"yes please" is not a boolean`}},
		{"list.yaml", 1, []string{"the top level must be a mapping", "not a list"}},
		{"admin_not_map.yaml", 1, []string{"admin must be a mapping", `"dns:///localhost:30080"`}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			path := filepath.Join("testdata", tt.file)
			_, err := Load(path, false)
			var ce *Error
			if !errors.As(err, &ce) {
				t.Fatalf("got %v (%T), want *Error", err, err)
			}
			msg := err.Error()
			if strings.ContainsAny(msg, "\r\n") {
				t.Errorf("error is not one line: %q", msg)
			}
			if ce.Line != tt.wantLine {
				t.Errorf("line = %d, want %d (%s)", ce.Line, tt.wantLine, msg)
			}
			for _, w := range append(tt.want, "config file "+path) {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q does not contain %q", msg, w)
				}
			}
		})
	}
}

func TestParseAuthType(t *testing.T) {
	for in, want := range map[string]AuthType{
		"ClientSecret": AuthClientSecret, "pkce": AuthPkce, "EXTERNALCOMMAND": AuthExternalCommand,
		" DeviceFlow ": AuthDeviceFlow, "0": AuthClientSecret, "2": AuthExternalCommand,
	} {
		if got, err := ParseAuthType(in); err != nil || got != want {
			t.Errorf("ParseAuthType(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"", "Basic", "4"} {
		if _, err := ParseAuthType(in); err == nil {
			t.Errorf("ParseAuthType(%q): want error", in)
		}
	}
}

func TestJSONHasNoSecrets(t *testing.T) {
	c, err := Load(filepath.Join("testdata", "sandbox.yaml"), true)
	if err != nil {
		t.Fatal(err)
	}
	c.Storage.Stow.Config = StowConfig{"secret_key": "s3cr3t", "region": "us-east-1", "session_token": "tok"}
	b, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	for _, secret := range []string{"miniostorage", "s3cr3t", `"tok"`} {
		if strings.Contains(s, secret) {
			t.Errorf("JSON contains secret %q: %s", secret, s)
		}
	}
	for _, want := range []string{`"endpoint":"dns:///localhost:30080"`, `"authType":"Pkce"`, `"region":"us-east-1"`, `"secret_key":"redacted"`} {
		if !strings.Contains(s, want) {
			t.Errorf("JSON lacks %s: %s", want, s)
		}
	}
	var back Config
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back.Admin, c.Admin) {
		t.Errorf("admin does not round-trip: %+v vs %+v", back.Admin, c.Admin)
	}
}

func TestTarget(t *testing.T) {
	tests := []struct {
		endpoint     string
		insecure     bool
		wantTarget   string
		wantInsecure bool
		wantErr      string
	}{
		{"dns:///localhost:30080", false, "dns:///localhost:30080", false, ""},
		{"dns:///localhost:30080", true, "dns:///localhost:30080", true, ""},
		{"passthrough:///10.0.0.1:81", false, "passthrough:///10.0.0.1:81", false, ""},
		{"unix:///var/run/admin.sock", true, "unix:///var/run/admin.sock", true, ""},
		{"http://localhost:30080", false, "localhost:30080", true, ""},
		{"http://flyte.example.com", false, "flyte.example.com:80", true, ""},
		{"http://flyte.example.com/console", false, "flyte.example.com:80", true, ""},
		{"https://flyte.example.com", false, "flyte.example.com:443", false, ""},
		{"HTTPS://flyte.example.com:8443/", false, "flyte.example.com:8443", false, ""},
		{"https://[::1]:8443", false, "[::1]:8443", false, ""},
		{"flyte.example.com:8089", false, "flyte.example.com:8089", false, ""},
		{"flyte.example.com:8089", true, "flyte.example.com:8089", true, ""},
		{"  flyte.example.com  ", false, "flyte.example.com:443", false, ""},
		{"127.0.0.1", false, "127.0.0.1:443", false, ""},
		{"::1", false, "[::1]:443", false, ""},
		{"", false, "", false, "admin.endpoint is not set: add admin.endpoint to your flytectl config file or pass --admin-endpoint"},
		{"dns:///", false, "", false, "no host"},
		{"https://", false, "", false, "no host"},
		{"http://host:port", false, "", false, "not a valid endpoint"},
		{"ftp://flyte.example.com", false, "", false, `unknown scheme "ftp"`},
		{"flyte.example.com:99999", false, "", false, "not a number between 1 and 65535"},
		{"flyte.example.com:", false, "", false, "not a number"},
		{":8089", false, "", false, "no host"},
		{"flyte example.com", false, "", false, `"flyte example.com" is not a valid endpoint (a space in it)`},
		// gRPC resolver targets are checked too: grpc would only fail at the first call, after
		// seconds of resolver retries.
		{"dns:///my host:30080", false, "", false, `"dns:///my host:30080" is not a valid endpoint (a space in it)`},
		{"dns:///flyte.example.com:99999", false, "", false, `port "99999" is not a number between 1 and 65535`},
		{"dns:///flyte.example.com:http", false, "", false, `port "http" is not a number`},
		{"dns:///:30080", false, "", false, "(no host)"},
		{"dns://8.8.8.8/flyte.example.com:443", false, "dns://8.8.8.8/flyte.example.com:443", false, ""},
		{"dns://bad dns/flyte.example.com:443", false, "", false, "(DNS server a space in it)"},
		{"dns:flyte.example.com:443", false, "dns:flyte.example.com:443", false, ""},
		{"passthrough:///a_b.svc:81", false, "passthrough:///a_b.svc:81", false, ""},
		{"passthrough:///x!y:81", false, "", false, `unexpected '!' in the host name`},
		{"unix:", false, "", false, "no host"},
		{"grpc://flyte.example.com", false, "", false, `unknown scheme "grpc"`},
		{"https://my host", false, "", false, `(invalid character " " in host name)`},
		{"https://flyte.example.com:0", false, "", false, `port "0" is not a number`},
		{"flyte..example.com", false, "", false, "host name label of 0 bytes"},
		{strings.Repeat("a", 64) + ".example.com", false, "", false, "host name label of 64 bytes (DNS allows 1 to 63)"},
		{"dns:///" + strings.Repeat("a.", 200) + "com:443", false, "", false, "host name of 403 bytes, longer than DNS allows (253)"},
	}
	for _, tt := range tests {
		t.Run(tt.endpoint, func(t *testing.T) {
			target, insecure, err := Admin{Endpoint: tt.endpoint, Insecure: tt.insecure}.Target()
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if target != tt.wantTarget || insecure != tt.wantInsecure {
				t.Errorf("Target = %q, %v; want %q, %v", target, insecure, tt.wantTarget, tt.wantInsecure)
			}
		})
	}
}

func TestConfigAdminTargetNamesFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(path, []byte("admin:\n  insecure: true\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Load(path, true)
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = c.AdminTarget()
	if err == nil || !strings.Contains(err.Error(), "add admin.endpoint to "+path+" or pass --admin-endpoint") {
		t.Errorf("got %v", err)
	}
}

// A malformed endpoint is reported with the file and the line it is on.
func TestConfigAdminTargetNamesLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(path, []byte("project: p\nadmin:\n  insecure: true\n  endpoint: \"dns:///my host:30080\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Load(path, true)
	if err != nil {
		t.Fatal(err) // the endpoint is checked when it is used: --admin-endpoint may replace it
	}
	_, _, err = c.AdminTarget()
	want := "config file " + path + ` line 4: admin.endpoint: "dns:///my host:30080" is not a valid endpoint (a space in it): use dns:///host:port, https://host or host:port`
	if err == nil || err.Error() != want {
		t.Errorf("got  %v\nwant %s", err, want)
	}
	var ce *Error
	if !errors.As(err, &ce) || ce.Key != "admin.endpoint" || ce.Line != 4 {
		t.Errorf("not a *Error for admin.endpoint line 4: %#v", err)
	}
}

// Negative numbers would silently act as 0; they are errors naming the key, file and line.
func TestNegativeNumbers(t *testing.T) {
	for _, tt := range []struct{ yaml, want string }{
		{"maxRetries: -1", `line 3: admin.maxRetries: "-1" is negative: use 0 for no retries, or a number such as 4`},
		{"perRetryTimeout: -5s", `line 3: admin.perRetryTimeout: "-5s" is negative: use 0 for no per-attempt deadline`},
		{"perRetryTimeout: -1", `admin.perRetryTimeout: "-1" is negative`},
		{"maxBackoffDelay: -1m", `admin.maxBackoffDelay: "-1m" is negative: use 0 for no cap`},
		{"maxMessageSizeBytes: -4", `admin.maxMessageSizeBytes: "-4" is negative`},
		{"pkceConfig: {timeout: -2m}", `line 3: admin.pkceConfig.timeout: "-2m" is negative: use a duration such as 2m`},
		{"deviceFlowConfig: {pollInterval: -1s}", `admin.deviceFlowConfig.pollInterval: "-1s" is negative`},
		{"httpProxyURL: proxy:3128:x", `admin.httpProxyURL: "proxy:3128:x" is not a proxy URL`},
	} {
		_, err := Parse("c.yaml", []byte("admin:\n  endpoint: localhost:30080\n  "+tt.yaml+"\n"))
		if err == nil || !strings.Contains(err.Error(), "config file c.yaml ") || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: got %v, want containing %q", tt.yaml, err, tt.want)
		}
	}
	c, err := Parse("c.yaml", []byte("admin:\n  maxRetries: 0\n  perRetryTimeout: 0s\n  maxBackoffDelay: 0\n"))
	if err != nil || c.Admin.MaxRetries != 0 || c.Admin.PerRetryTimeout != 0 || c.Admin.MaxBackoffDelay != 0 {
		t.Errorf("zero is allowed: %+v, %v", c, err)
	}
}

// A config value is never echoed whole, nor a path beyond userinput.KeepPath.
func TestErrorsClipValues(t *testing.T) {
	long := strings.Repeat("x", 10000)
	for _, key := range []string{"authType", "insecure", "maxRetries", "perRetryTimeout"} {
		_, err := Parse("c.yaml", []byte("admin:\n  "+key+": "+long+"\n"))
		if err == nil || len(err.Error()) > 250 || !strings.Contains(err.Error(), "(10000 bytes)") {
			t.Errorf("%s: %d bytes: %.300v", key, len(fmt.Sprint(err)), err)
		}
	}
	_, err := Load("/"+long, true)
	if err == nil || len(err.Error()) > 300 || !strings.Contains(err.Error(), "(10001 bytes)") {
		t.Errorf("path: %d bytes: %.400v", len(fmt.Sprint(err)), err)
	}
	_, _, err = (&Config{Path: "c.yaml", Admin: Admin{Endpoint: "dns:///" + long}}).AdminTarget()
	if err == nil || len(err.Error()) > 250 || !strings.Contains(err.Error(), "(10007 bytes)") {
		t.Errorf("endpoint: %d bytes: %.300v", len(fmt.Sprint(err)), err)
	}
}

func TestDoctorSection(t *testing.T) {
	c, err := Parse("c.yaml", []byte(`
admin:
  endpoint: dns:///flyte.example.com
flytedoctor:
  disable:
    - id: FD2004
      reason: GPU nodes scale from zero here
  severity:
    fd9001: info
`))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Doctor.Disable) != 1 || c.Doctor.Disable[0] != (RuleSuppression{ID: "FD2004", Reason: "GPU nodes scale from zero here"}) {
		t.Fatalf("disable = %+v", c.Doctor.Disable)
	}
	if c.Doctor.Severity["FD9001"] != "info" {
		t.Fatalf("severity = %+v", c.Doctor.Severity)
	}
	_, err = Parse("c.yaml", []byte("flytedoctor:\n  disable:\n    - id: FD2004\n"))
	if err == nil || !strings.Contains(err.Error(), "config file c.yaml line 3: flytedoctor.disable[0]: reason is required") {
		t.Fatalf("err = %v", err)
	}
}
