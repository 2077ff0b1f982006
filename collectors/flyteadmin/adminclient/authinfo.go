package adminclient

import (
	"context"
	"time"

	"github.com/flytedoctor/flytedoctor/collectors/flyteconfig"
)

// AuthInfo says which credentials Admin calls carry, for `flytedoctor auth status`.
type AuthInfo struct {
	AuthOn      bool // false when Admin has auth off (no AuthMetadataService)
	AuthType    flyteconfig.AuthType
	Header      string
	ClientID    string // the public client, for Pkce and DeviceFlow
	Source      string // where the token came from
	CachePath   string // flytedoctor's cache file for this endpoint and client
	Saved       bool   // the token was written to CachePath in this run
	KeyringNote string // why flytectl's keyring entry was not used, if it was looked for
	Expiry      time.Time
	Subject     string // from a JWT access token; "" for opaque tokens
	Notes       []string
}

// Authenticate makes sure the connection has a token (from a cache, a refresh or, unless
// Options.NoLogin, a new login) and says where it came from. With auth off it sends nothing else.
func (c *Conn) Authenticate(ctx context.Context) (AuthInfo, error) {
	_, _, err := c.auth.credentials(ctx, false, "")
	return c.auth.info(), err
}

// Login runs a new Pkce or DeviceFlow login whatever is cached, and saves the token. For
// other auth types it gets a token as a call would.
func (c *Conn) Login(ctx context.Context) (AuthInfo, error) {
	a := c.auth
	if !a.interactive() {
		return c.Authenticate(ctx)
	}
	if err := acquire(ctx, a.lock); err != nil {
		return AuthInfo{}, err
	}
	defer func() { <-a.lock }()
	if err := a.ensureProbed(ctx); err != nil {
		return a.info(), err
	}
	pc, err := a.publicClient(ctx)
	if err != nil {
		return a.info(), err
	}
	a.cacheRead = true // a login replaces whatever is cached
	a.loginErr = nil
	a.authOn = true
	tok, err := a.login(ctx, pc)
	if err != nil {
		return a.info(), err
	}
	a.tok = tok
	a.stats.tokenFetches.Add(1)
	return a.info(), nil
}

// Logout removes flytedoctor's cached token for this endpoint and client. flytectl's keyring
// entry is left alone (flytedoctor never writes it).
func (c *Conn) Logout(ctx context.Context) (path string, removed bool, err error) {
	a := c.auth
	if err := acquire(ctx, a.lock); err != nil {
		return "", false, err
	}
	defer func() { <-a.lock }()
	if err := a.ensureProbed(ctx); err != nil {
		return "", false, err
	}
	if !a.interactive() || a.cacheDir == "" {
		return "", false, nil
	}
	pc, err := a.publicClient(ctx)
	if err != nil {
		return "", false, err
	}
	a.tok = nil
	return RemoveToken(a.cacheDir, a.cfg.Endpoint, pc.cfg.ClientID)
}

func (a *authenticator) ensureProbed(ctx context.Context) error {
	if a.probeErr != nil {
		return a.probeErr
	}
	if !a.probed {
		return a.probe(ctx)
	}
	return nil
}

// info must be called with a.lock held or after the calls that change a are done.
func (a *authenticator) info() AuthInfo {
	in := AuthInfo{
		AuthOn: a.authOn, AuthType: a.cfg.AuthType, Source: a.source, CachePath: a.cachePath,
		Saved: a.saved, KeyringNote: a.keyringNote, Notes: a.notes,
	}
	if a.authOn {
		in.Header = a.header()
	}
	if a.pc != nil {
		in.ClientID = a.pc.cfg.ClientID
	}
	if t := a.tok; t != nil {
		in.Expiry = expiry(t)
		in.Subject, _, _ = jwtClaims(t.AccessToken)
	}
	return in
}
