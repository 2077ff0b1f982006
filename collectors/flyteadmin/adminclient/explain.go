package adminclient

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"syscall"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/status"

	"github.com/flytedoctor/flytedoctor/collectors/userinput"
)

// TransportError says why no gRPC conversation with Admin took place, and what to change.
type TransportError struct {
	Endpoint string // admin.endpoint as configured
	Problem  string // "speaks plaintext, not TLS", ...
	Fix      string // "set admin.insecure: true (or pass --insecure)", ...
	Err      error  // the gRPC error it explains
}

func (e *TransportError) Error() string {
	return "Flyte Admin at " + e.Endpoint + " " + e.Problem + ": " + e.Fix
}

func (e *TransportError) Unwrap() error { return e.Err }

// wire watches the raw connections of one Conn: when the first was accepted and what the
// server sent first. gRPC reports all of these as "Unavailable" with transport details;
// the bytes tell a plaintext server from a TLS one, an HTTP/1 web server or a silent one.
type wire struct {
	endpoint string
	tls      bool
	now      func() time.Time

	mu       sync.Mutex
	accepted time.Time // first connection accepted (its handshake began)
	spoke    bool      // a connection reached gRPC: a TLS handshake or an HTTP/2 frame
	last     *connState
	telling  *connState // the last connection the server wrote to or closed
}

type connState struct {
	remote       string // the address connected to
	first        []byte // what the server sent first, up to firstBytes
	closed       bool   // the server closed or reset the connection
	handshakeErr error
}

const firstBytes = 512 // enough for an HTTP/1 error page's head

// creds wraps transport credentials (TLS or insecure) so the wire sees every connection.
type watchedCreds struct {
	credentials.TransportCredentials
	w *wire
}

func (c watchedCreds) ClientHandshake(ctx context.Context, authority string, raw net.Conn) (net.Conn, credentials.AuthInfo, error) {
	st := c.w.open(raw.RemoteAddr().String())
	conn, info, err := c.TransportCredentials.ClientHandshake(ctx, authority, &watchedConn{Conn: raw, st: st, w: c.w})
	c.w.mu.Lock()
	if err != nil {
		st.handshakeErr = err
	} else if c.w.tls {
		c.w.spoke = true // ALPN picked h2, which grpc insists on
	}
	c.w.mu.Unlock()
	return conn, info, err
}

func (c watchedCreds) Clone() credentials.TransportCredentials {
	return watchedCreds{c.TransportCredentials.Clone(), c.w}
}

func (w *wire) open(remote string) *connState {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.accepted.IsZero() {
		w.accepted = w.now()
	}
	w.last = &connState{remote: remote}
	return w.last
}

type watchedConn struct {
	net.Conn
	st *connState
	w  *wire
}

func (c *watchedConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.w.mu.Lock()
	if room := firstBytes - len(c.st.first); room > 0 && n > 0 {
		c.st.first = append(c.st.first, p[:min(n, room)]...)
	}
	if !c.w.tls && isHTTP2Frame(c.st.first) {
		c.w.spoke = true
	}
	if errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET) {
		c.st.closed = true
	}
	if n > 0 || c.st.closed {
		c.w.telling = c.st
	}
	c.w.mu.Unlock()
	return n, err
}

// Write notices a server that hung up before we wrote: then the write, not a read, fails first.
func (c *watchedConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	if errors.Is(err, syscall.EPIPE) || errors.Is(err, syscall.ECONNRESET) {
		c.w.mu.Lock()
		c.st.closed = true
		c.w.telling = c.st
		c.w.mu.Unlock()
	}
	return n, err
}

// minSilence is how long a server must stay silent before Explain says it did not answer:
// a call cut short by a tiny --timeout proves nothing about the server.
const minSilence = time.Second

// Explain turns the error of a failed call into a *TransportError when the failure is about
// talking to the wrong kind of server; nil when it is not (Admin answered, or nothing is
// known). It names the endpoint as configured. When a server closed a plaintext connection
// without a word, and ctx has time left, it tries a TLS handshake (for at most a second) to
// tell a TLS server from one that just hangs up.
func (c *Conn) Explain(ctx context.Context, err error) error {
	if c == nil || c.w == nil || err == nil {
		return nil
	}
	v := c.w.verdict(err)
	if v.kind == closedPlain && speaksTLS(ctx, v.remote) {
		v = verdict{kind: mismatch, problem: "speaks TLS, not plaintext", fix: unsetInsecure}
	}
	if v.kind == none {
		return nil
	}
	return &TransportError{Endpoint: c.w.endpoint, Problem: v.problem, Fix: v.fix, Err: err}
}

type verdictKind int

const (
	none        verdictKind = iota
	mismatch                // the wrong kind of server: the same every time
	silent                  // accepted, never wrote
	closedPlain             // closed a plaintext connection without a word
	closedTLS               // closed during the TLS handshake
)

type verdict struct {
	kind         verdictKind
	problem, fix string
	remote       string
}

const (
	setInsecure   = "set admin.insecure: true (or pass --insecure)"
	unsetInsecure = "set admin.insecure: false (or leave out --insecure)"
	pointAtGRPC   = "point admin.endpoint (or --admin-endpoint) at Flyte Admin's gRPC address, not the console or another web page"
)

// permanent says whether err came from a server of the wrong kind, which retrying will not change.
func (w *wire) permanent(err error) bool { return w.verdict(err).kind == mismatch }

func (w *wire) verdict(err error) verdict {
	bad := func(problem, fix string) verdict { return verdict{kind: mismatch, problem: problem, fix: fix} }
	st, _ := status.FromError(err)
	msg := st.Message()
	// A server (or a proxy) that speaks HTTP/2 but is not gRPC: grpc says what it got.
	if _, ct, ok := strings.Cut(msg, `received unexpected content-type "`); ok {
		ct, _, _ = strings.Cut(ct, `"`) // the body follows
		code := ""
		if _, rest, ok := strings.Cut(msg, "unexpected HTTP status code received from server: "); ok {
			code, _, _ = strings.Cut(rest, ";")
			code = " " + code
		}
		return bad(fmt.Sprintf("answered HTTP%s with %s, not gRPC", code, userinput.Quote(ct)), pointAtGRPC)
	}
	// The deadline can end a call in our own retry wait rather than inside grpc: then the
	// error is the context's, with no gRPC status, and the silence is the same.
	if c := st.Code(); c != codes.Unavailable && c != codes.DeadlineExceeded && !errors.Is(err, context.DeadlineExceeded) {
		return verdict{}
	}

	w.mu.Lock()
	defer w.mu.Unlock()
	if w.spoke || w.last == nil {
		return verdict{}
	}
	// A reconnect may be under way; what an earlier connection got says more than nothing.
	cs := w.last
	if w.telling != nil {
		cs = w.telling
	}
	first := cs.first
	answered := func() string { return "(it answered " + userinput.Quote(string(first[:min(len(first), 16)])) + ")" }
	switch {
	case bytes.HasPrefix(first, []byte("HTTP/")):
		// nginx and Go answer plaintext on a TLS port with a 400 that says so.
		if !w.tls && (bytes.Contains(first, []byte("sent to HTTPS port")) || bytes.Contains(first, []byte("HTTP request to an HTTPS server"))) {
			return bad("speaks TLS, not plaintext", unsetInsecure)
		}
		return bad("is a plain HTTP/1 web server, not gRPC", pointAtGRPC)
	case w.tls && isHTTP2Frame(first):
		return bad("speaks plaintext, not TLS", setInsecure)
	case w.tls && cs.handshakeErr != nil && strings.Contains(cs.handshakeErr.Error(), "no application protocol"):
		return bad("is an HTTPS web server without HTTP/2, not gRPC", pointAtGRPC)
	case w.tls && strings.Contains(msg, "missing selected ALPN property"):
		return bad("speaks TLS but does not offer HTTP/2 (ALPN h2)",
			"if it is a gRPC proxy that lacks ALPN, set GRPC_ENFORCE_ALPN_ENABLED=false; else "+pointAtGRPC)
	case w.tls && len(first) > 0 && (first[0] < 0x14 || first[0] > 0x17):
		return bad("does not speak TLS "+answered(), setInsecure+", or check admin.endpoint")
	case !w.tls && len(first) >= 2 && (first[0] == 0x15 || first[0] == 0x16) && first[1] == 0x03:
		return bad("speaks TLS, not plaintext", unsetInsecure)
	case !w.tls && len(first) > 0:
		return bad("does not speak gRPC "+answered(), pointAtGRPC)
	case cs.closed && w.tls:
		return verdict{kind: closedTLS, problem: "closed the connection during the TLS handshake",
			fix: "if it serves plaintext gRPC, " + setInsecure + "; else check admin.endpoint"}
	case cs.closed:
		return verdict{kind: closedPlain, problem: "closed the connection without answering plaintext gRPC",
			fix: "if it serves TLS, " + unsetInsecure + "; else check admin.endpoint", remote: cs.remote}
	}
	if waited := w.now().Sub(w.accepted); waited >= minSilence {
		return verdict{kind: silent, problem: "accepted the connection but did not answer gRPC within " + round(waited),
			fix: "check that admin.endpoint is Flyte Admin's gRPC port and that no firewall or proxy holds the traffic"}
	}
	return verdict{}
}

// speaksTLS tries a TLS handshake with addr, sending no credentials and checking no
// certificate: any TLS answer, even an alert, means a TLS server.
func speaksTLS(ctx context.Context, addr string) bool {
	if addr == "" || ctx.Err() != nil {
		return false
	}
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	var d net.Dialer
	raw, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return false
	}
	defer raw.Close()
	host, _, _ := net.SplitHostPort(addr)
	conn := tls.Client(raw, &tls.Config{ServerName: host, NextProtos: []string{"h2"}, InsecureSkipVerify: true, MinVersion: tls.VersionTLS12}) //nolint:gosec // a probe: nothing is sent after the handshake
	err = conn.HandshakeContext(ctx)
	var rhe tls.RecordHeaderError
	var oe *net.OpError
	switch {
	case err == nil:
		return true
	case errors.As(err, &oe) && oe.Op == "remote error": // a TLS alert
		return true
	case errors.As(err, &rhe), errors.Is(err, io.EOF):
		return false
	}
	return false
}

// isHTTP2Frame says whether b starts like the SETTINGS frame an HTTP/2 server sends first:
// a 9-byte header of type 4 on stream 0.
func isHTTP2Frame(b []byte) bool {
	return len(b) >= 9 && b[3] == 0x04 && b[5]&0x7f == 0 && b[6] == 0 && b[7] == 0 && b[8] == 0
}

func round(d time.Duration) string {
	if d >= time.Second {
		return d.Round(100 * time.Millisecond).String()
	}
	return d.Round(time.Millisecond).String()
}
