package flyteconfig

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/flytedoctor/flytedoctor/collectors/userinput"
)

// EnvConfig is the environment variable flytectl reads the config path from.
const EnvConfig = "FLYTECTL_CONFIG"

// Defaults of the admin section, as in flyteidl's clients/go/admin config.
const (
	DefaultClientID             = "flytepropeller"
	DefaultClientSecretLocation = "/etc/secrets/client_secret"
	DefaultPerRetryTimeout      = 15 * time.Second
	DefaultMaxRetries           = 4
	DefaultMaxBackoffDelay      = 8 * time.Second

	// pkceConfig and deviceFlowConfig defaults, as flytectl has them.
	DefaultPkceTimeout        = 2 * time.Minute
	DefaultRefreshTime        = 5 * time.Minute
	DefaultDeviceFlowTimeout  = 10 * time.Minute
	DefaultDevicePollInterval = 5 * time.Second
)

// AuthType is admin.authType: how a client gets a token for Flyte Admin.
type AuthType string

// The authType values flytectl knows; YAML carries the names.
const (
	AuthClientSecret    AuthType = "ClientSecret"
	AuthPkce            AuthType = "Pkce"
	AuthExternalCommand AuthType = "ExternalCommand"
	AuthDeviceFlow      AuthType = "DeviceFlow"
)

// AuthTypes lists the valid values in flyteidl's enum order, so numeric values index it.
func AuthTypes() []AuthType {
	return []AuthType{AuthClientSecret, AuthPkce, AuthExternalCommand, AuthDeviceFlow}
}

// ParseAuthType accepts a name in any case, or the enum number flyteidl also decodes.
func ParseAuthType(s string) (AuthType, error) {
	s = strings.TrimSpace(s)
	for i, t := range AuthTypes() {
		if strings.EqualFold(s, string(t)) || s == fmt.Sprint(i) {
			return t, nil
		}
	}
	return "", fmt.Errorf("unknown authType %s: use one of %s", userinput.Quote(s), validAuthTypes())
}

func validAuthTypes() string {
	types := AuthTypes()
	names := make([]string, len(types))
	for i, t := range types {
		names[i] = string(t)
	}
	return strings.Join(names, ", ")
}

// Config is the part of a flytectl config.yaml flytedoctor uses. It marshals to JSON without
// secrets so a snapshot can record the effective config.
type Config struct {
	Path    string  `json:"path,omitempty"` // file actually read, "" if none
	Admin   Admin   `json:"admin"`
	Storage Storage `json:"storage"`
	Project string  `json:"project,omitempty"` // flytectl top-level default
	Domain  string  `json:"domain,omitempty"`
	Console Console `json:"console"`
	// Doctor is flytedoctor's own section, "flytedoctor:" (flytectl ignores it).
	Doctor Doctor `json:"flytedoctor"`

	endpointLine int // YAML line of admin.endpoint, for errors about it
}

// Doctor configures flytedoctor's rules.
type Doctor struct {
	// Disable turns rules off; the reason is shown in reports.
	Disable []RuleSuppression `json:"disable,omitempty"`
	// RedirectURI replaces the Pkce redirect URI Admin advertises (flytedoctor.redirectUri),
	// e.g. to move the local callback listener to a free port.
	RedirectURI string `json:"redirectUri,omitempty"`
	// Severity re-rates rules: rule ID → error, warning or info.
	Severity map[string]string `json:"severity,omitempty"`
	// Redact lists regular expressions support bundles remove besides the built-in rules
	// (flytedoctor.redact; --redact adds to them).
	Redact []string `json:"redact,omitempty"`
}

// RuleSuppression is one disabled rule.
type RuleSuppression struct {
	ID     string `json:"id"`
	Reason string `json:"reason"`
}

// Console is the console section.
type Console struct {
	Endpoint string `json:"endpoint,omitempty"`
}

// Admin is the admin section (flyteidl clients/go/admin Config).
type Admin struct {
	Endpoint             string           `json:"endpoint,omitempty"`
	Insecure             bool             `json:"insecure,omitempty"`
	InsecureSkipVerify   bool             `json:"insecureSkipVerify,omitempty"`
	CACertFilePath       string           `json:"caCertFilePath,omitempty"`
	AuthType             AuthType         `json:"authType"`
	ClientID             string           `json:"clientId,omitempty"`
	ClientSecretLocation string           `json:"clientSecretLocation,omitempty"`
	ClientSecretEnvVar   string           `json:"clientSecretEnvVar,omitempty"`
	Scopes               []string         `json:"scopes,omitempty"`
	Audience             string           `json:"audience,omitempty"`
	UseAudienceFromAdmin bool             `json:"useAudienceFromAdmin,omitempty"`
	TokenURL             string           `json:"tokenUrl,omitempty"`
	AuthorizationHeader  string           `json:"authorizationHeader,omitempty"`
	Command              []string         `json:"command,omitempty"`
	ProxyCommand         []string         `json:"proxyCommand,omitempty"`
	PerRetryTimeout      time.Duration    `json:"perRetryTimeout"`
	MaxRetries           int              `json:"maxRetries"`
	MaxBackoffDelay      time.Duration    `json:"maxBackoffDelay"`
	MaxMessageSizeBytes  int              `json:"maxMessageSizeBytes,omitempty"`
	HTTPProxyURL         string           `json:"httpProxyURL,omitempty"` // proxy for the OAuth2 HTTP calls
	PkceConfig           PkceConfig       `json:"pkceConfig"`
	DeviceFlowConfig     DeviceFlowConfig `json:"deviceFlowConfig"`

	// ClientIDSet is true when the file names admin.clientId; only then does it replace the
	// client id Admin advertises for Pkce and DeviceFlow (the default is a confidential client).
	ClientIDSet bool `json:"-"`
	// RedirectURI is flytedoctor.redirectUri, copied here for the Pkce flow.
	RedirectURI string `json:"-"`
}

// PkceConfig is admin.pkceConfig.
type PkceConfig struct {
	Timeout     time.Duration `json:"timeout"`     // how long the browser login may take
	RefreshTime time.Duration `json:"refreshTime"` // refresh a token this long before it expires
}

// DeviceFlowConfig is admin.deviceFlowConfig.
type DeviceFlowConfig struct {
	Timeout      time.Duration `json:"timeout"`      // how long the device login may take
	PollInterval time.Duration `json:"pollInterval"` // used when the server gives no interval
	RefreshTime  time.Duration `json:"refreshTime"`
}

// Storage is the storage section (flytestdlib storage config).
type Storage struct {
	Type                 string     `json:"type,omitempty"` // s3, minio, local, mem, stow
	Container            string     `json:"container,omitempty"`
	EnableMultiContainer bool       `json:"enableMultiContainer,omitempty"`
	Connection           Connection `json:"connection"`
	Stow                 Stow       `json:"stow"`
}

// Connection is storage.connection. SecretKey is never marshalled.
type Connection struct {
	Endpoint   string `json:"endpoint,omitempty"`
	AuthType   string `json:"authType,omitempty"` // iam or accesskey
	AccessKey  string `json:"accessKey,omitempty"`
	SecretKey  string `json:"-"`
	Region     string `json:"region,omitempty"`
	DisableSSL bool   `json:"disableSSL,omitempty"`
}

// Stow is storage.stow, the form flytekit's sample config uses.
type Stow struct {
	Kind   string     `json:"kind,omitempty"`
	Config StowConfig `json:"config,omitempty"`
}

// StowConfig is storage.stow.config; secret-looking values are redacted when marshalled.
type StowConfig map[string]string

// MarshalJSON redacts values whose key names a secret, so snapshots carry no credentials.
func (s StowConfig) MarshalJSON() ([]byte, error) {
	out := make(map[string]string, len(s))
	for k, v := range s {
		if isSecretKey(k) {
			v = "redacted"
		}
		out[k] = v
	}
	return json.Marshal(out)
}

func isSecretKey(k string) bool {
	k = strings.ToLower(k)
	for _, w := range []string{"secret", "password", "token", "credential"} {
		if strings.Contains(k, w) {
			return true
		}
	}
	return false
}

// DefaultAdmin is the admin section flytectl uses when the file sets nothing.
func DefaultAdmin() Admin {
	return Admin{
		AuthType:             AuthClientSecret,
		ClientID:             DefaultClientID,
		ClientSecretLocation: DefaultClientSecretLocation,
		PerRetryTimeout:      DefaultPerRetryTimeout,
		MaxRetries:           DefaultMaxRetries,
		MaxBackoffDelay:      DefaultMaxBackoffDelay,
		PkceConfig:           PkceConfig{Timeout: DefaultPkceTimeout, RefreshTime: DefaultRefreshTime},
		DeviceFlowConfig: DeviceFlowConfig{Timeout: DefaultDeviceFlowTimeout, PollInterval: DefaultDevicePollInterval,
			RefreshTime: DefaultRefreshTime},
	}
}

// Default is the config used when no file exists.
func Default() *Config {
	return &Config{Admin: DefaultAdmin()}
}

// Discover picks the one config path flytectl would read: --config/-c, then $FLYTECTL_CONFIG,
// then $HOME/.flyte/config.yaml. explicit is true when the user named the file, so a missing
// file is then an error rather than "use defaults".
func Discover(flagPath string, getenv func(string) string, home string) (path string, explicit bool) {
	if flagPath != "" {
		return flagPath, true
	}
	if getenv != nil {
		if p := getenv(EnvConfig); p != "" {
			return p, true
		}
	}
	if home == "" {
		return "", false
	}
	return filepath.Join(home, ".flyte", "config.yaml"), false
}

// Load reads path. A missing file is an error only when explicit; otherwise defaults are
// returned with Path "". Errors are *Error and print as one line.
func Load(path string, explicit bool) (*Config, error) {
	if path == "" {
		return Default(), nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			if !explicit {
				return Default(), nil
			}
			return nil, &Error{Path: path, Err: err,
				Msg: "pass an existing file with --config or unset " + EnvConfig}
		}
		return nil, &Error{Path: path, Err: err,
			Msg: fmt.Sprintf("cannot read it (%s): fix its permissions or pass another file with --config", oneLine(unwrapPathError(err).Error()))}
	}
	return Parse(path, data)
}

// Parse decodes config YAML; path is used in errors and recorded as Config.Path.
func Parse(path string, data []byte) (*Config, error) {
	c := Default()
	c.Path = path
	if err := decode(path, data, c); err != nil {
		return nil, err
	}
	return c, nil
}

func unwrapPathError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
