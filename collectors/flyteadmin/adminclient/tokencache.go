package adminclient

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/zalando/go-keyring"
	"golang.org/x/oauth2"
)

// flytectl v1.16 (flytectl/pkg/pkce/token_cache_keyring.go) keeps its Pkce and DeviceFlow
// token as the JSON of an oauth2.Token in the OS keyring under this service, with the user
// "<admin.endpoint>:flytectl-user". flytedoctor only reads it.
const (
	FlytectlKeyringService = "flytectl"
	flytectlKeyringUser    = "flytectl-user"
)

// FlytectlKeyringUser is the keyring user flytectl files the token of endpoint under.
func FlytectlKeyringUser(endpoint string) string {
	// flytectl formats its config.URL (a url.URL) with String().
	if u, err := url.Parse(endpoint); err == nil {
		endpoint = u.String()
	}
	return endpoint + ":" + flytectlKeyringUser
}

// cachedToken is one file of flytedoctor's token cache.
type cachedToken struct {
	Endpoint string        `json:"endpoint"`
	ClientID string        `json:"clientId"`
	AuthType string        `json:"authType"`
	SavedAt  time.Time     `json:"savedAt"`
	Token    *oauth2.Token `json:"token"`
}

// tokenFile is where flytedoctor caches the token for endpoint and client id.
func tokenFile(dir, endpoint, clientID string) string {
	sum := sha256.Sum256([]byte(endpoint + "\n" + clientID))
	return filepath.Join(dir, "tokens", hex.EncodeToString(sum[:10])+".json")
}

// DefaultTokenCacheDir is os.UserConfigDir()/flytedoctor.
func DefaultTokenCacheDir() (string, error) {
	d, err := os.UserConfigDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(d, "flytedoctor"), nil
}

func readTokenFile(path string) (*oauth2.Token, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var c cachedToken
	if err := json.Unmarshal(b, &c); err != nil || c.Token == nil || c.Token.AccessToken == "" {
		return nil, fmt.Errorf("%s holds no token: remove it or run flytedoctor auth login", path)
	}
	return c.Token, nil
}

// writeTokenFile replaces path atomically; the file is 0600 and its directory 0700, as the
// token is a credential.
func writeTokenFile(path string, c cachedToken) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	b, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".token-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // no-op after the rename
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// RemoveToken deletes flytedoctor's cached token for endpoint and client id; it reports
// whether there was one.
func RemoveToken(dir, endpoint, clientID string) (string, bool, error) {
	path := tokenFile(dir, endpoint, clientID)
	err := os.Remove(path)
	if errors.Is(err, fs.ErrNotExist) {
		return path, false, nil
	}
	return path, err == nil, err
}

// ErrKeyringUnreachable says the OS keyring cannot be asked at all here.
var ErrKeyringUnreachable = errors.New("no D-Bus session bus for the Secret Service")

// ReadKeyring reads one keyring secret with go-keyring. On Linux the keyring is the Secret
// Service over the D-Bus session bus; without one it fails at once rather than letting D-Bus
// try to launch a bus, and a Secret Service that does not answer is given up after a few seconds.
func ReadKeyring(getenv func(string) string) func(service, user string) (string, error) {
	return func(service, user string) (string, error) {
		if runtime.GOOS == "linux" && getenv("DBUS_SESSION_BUS_ADDRESS") == "" {
			if d := getenv("XDG_RUNTIME_DIR"); d == "" || !exists(filepath.Join(d, "bus")) {
				return "", ErrKeyringUnreachable
			}
		}
		type res struct {
			s   string
			err error
		}
		ch := make(chan res, 1)
		go func() {
			s, err := keyring.Get(service, user)
			ch <- res{s, err}
		}()
		select {
		case r := <-ch:
			return r.s, r.err
		case <-time.After(5 * time.Second):
			return "", errors.New("the OS keyring did not answer within 5s")
		}
	}
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// parseKeyringToken decodes flytectl's keyring value.
func parseKeyringToken(s string) (*oauth2.Token, error) {
	var t oauth2.Token
	if err := json.Unmarshal([]byte(s), &t); err != nil || t.AccessToken == "" {
		return nil, errors.New("flytectl's keyring entry holds no token")
	}
	return &t, nil
}

// maxJWTExp is 9999-12-31T23:59:59Z in seconds since 1970.
const maxJWTExp = 253402300799

// jwtClaims reads the subject and expiry of a JWT access token without verifying it (the
// server does that); ok is false for opaque tokens.
func jwtClaims(tok string) (sub string, exp time.Time, ok bool) {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return "", time.Time{}, false
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return "", time.Time{}, false
	}
	var c struct {
		Sub string  `json:"sub"`
		Exp float64 `json:"exp"`
	}
	if json.Unmarshal(b, &c) != nil {
		return "", time.Time{}, false
	}
	// exp is seconds since 1970; beyond year 9999 int64(c.Exp) and time.Unix overflow, and such
	// a claim is no expiry anyone meant: leave it unknown.
	if c.Exp > 0 && c.Exp <= maxJWTExp {
		exp = time.Unix(int64(c.Exp), 0)
	}
	return c.Sub, exp, true
}

// expiry is the token's expiry, from the JWT when the token does not carry one.
func expiry(t *oauth2.Token) time.Time {
	if !t.Expiry.IsZero() {
		return t.Expiry
	}
	_, exp, _ := jwtClaims(t.AccessToken)
	return exp
}
