package flyteconfig

import (
	"cmp"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"

	"github.com/flytedoctor/flytedoctor/collectors/userinput"
)

// Target turns admin.endpoint into a gRPC target. insecure is true when the connection must
// be plaintext: admin.insecure is set or the endpoint is http://.
//
//	dns:///host:port (and other gRPC resolver targets) → verbatim
//	http://host[:port]  → host:port (default 80), plaintext
//	https://host[:port] → host:port (default 443)
//	host:port           → as is
//	host                → host:443
func (a Admin) Target() (target string, insecure bool, err error) {
	if strings.TrimSpace(a.Endpoint) == "" {
		return "", false, errors.New("admin.endpoint is not set: add admin.endpoint to your flytectl config file or pass --admin-endpoint")
	}
	target, insecure, err = ParseEndpoint(a.Endpoint, a.Insecure)
	if err != nil {
		return "", false, fmt.Errorf("admin.endpoint %w", err)
	}
	return target, insecure, nil
}

// AdminTarget is Admin.Target with errors naming the file (and line) the endpoint came from.
func (c *Config) AdminTarget() (target string, insecure bool, err error) {
	where := c.Path
	if where == "" {
		where = "~/.flyte/config.yaml"
	}
	if strings.TrimSpace(c.Admin.Endpoint) == "" {
		return "", false, fmt.Errorf("admin.endpoint is not set: add admin.endpoint to %s or pass --admin-endpoint", userinput.ClipPath(where))
	}
	target, insecure, err = ParseEndpoint(c.Admin.Endpoint, c.Admin.Insecure)
	if err != nil {
		return "", false, &Error{Path: where, Line: c.endpointLine, Key: "admin.endpoint", Msg: err.Error(), Err: err}
	}
	return target, insecure, nil
}

// ParseEndpoint is Target for an endpoint from anywhere (config or --admin-endpoint). Its
// error names the endpoint but not where it came from: `"x" is not a valid endpoint (...)`.
func ParseEndpoint(endpoint string, insecure bool) (target string, plaintext bool, err error) {
	ep := strings.TrimSpace(endpoint)
	bad := func(why string) (string, bool, error) {
		return "", false, fmt.Errorf("%s is not a valid endpoint (%s): use dns:///host:port, https://host or host:port", userinput.Quote(ep), why)
	}
	if ep == "" {
		return bad("empty")
	}
	scheme, rest, hasScheme := strings.Cut(ep, "://")
	if !hasScheme {
		// Resolver targets with a single colon, e.g. unix:/path or passthrough:host:port.
		if s, r, ok := strings.Cut(ep, ":"); ok && isResolverScheme(s) {
			if why := cmp.Or(resolverTarget(s, r), urlError(ep)); why != "" {
				return bad(why)
			}
			return ep, insecure, nil
		}
		if why := hostPort(ep); why != "" {
			return bad(why)
		}
		return withPort(ep, "443"), insecure, nil
	}
	switch strings.ToLower(scheme) {
	case "http", "https":
		u, err := url.Parse(ep)
		if err != nil {
			var ue *url.Error
			if errors.As(err, &ue) {
				err = ue.Err // url.Error repeats the whole URL
			}
			return bad(err.Error())
		}
		port := u.Port()
		if port == "" && strings.HasSuffix(u.Host, ":") {
			return bad("empty port")
		}
		plain := strings.EqualFold(scheme, "http")
		if port == "" {
			port = "443"
			if plain {
				port = "80"
			}
		}
		hp := net.JoinHostPort(u.Hostname(), port)
		if u.Hostname() == "" {
			hp = ":" + port
		}
		if why := hostPort(hp); why != "" {
			return bad(why)
		}
		return hp, insecure || plain, nil
	default:
		if !isResolverScheme(scheme) {
			return bad("unknown scheme " + userinput.Quote(scheme))
		}
		if why := cmp.Or(resolverTarget(scheme, "//"+rest), urlError(ep)); why != "" {
			return bad(why)
		}
		// dns:///host:port and friends go to grpc verbatim.
		return ep, insecure, nil
	}
}

// urlError is why grpc-go cannot parse target as the URL it reads a target as, "" when it
// can: such a target would be accepted here and fail only when dialled.
func urlError(target string) string {
	if _, err := url.Parse(target); err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // url.Error repeats the whole URL
		}
		return err.Error()
	}
	return ""
}

func isResolverScheme(s string) bool {
	switch strings.ToLower(s) {
	case "dns", "passthrough", "unix", "unix-abstract", "xds", "ipv4", "ipv6":
		return true
	}
	return false
}

// resolverTarget checks what follows "scheme:" of a gRPC resolver target; "" means fine.
// dns and passthrough name a host (dns:[//authority/]host[:port]); for the others grpc's own
// parsing decides, only something must be there.
func resolverTarget(scheme, rest string) string {
	addr := rest
	if after, ok := strings.CutPrefix(rest, "//"); ok {
		authority, path, _ := strings.Cut(after, "/")
		if authority != "" && strings.EqualFold(scheme, "dns") {
			if why := hostPort(authority); why != "" {
				return "DNS server " + why
			}
		}
		addr = path
	}
	if strings.Trim(addr, "/") == "" {
		return "no host"
	}
	switch strings.ToLower(scheme) {
	case "dns", "passthrough":
		return hostPort(addr)
	}
	return ""
}

// hostPort checks host[:port] (IPv6 in brackets); "" means fine.
func hostPort(ep string) string {
	if i := strings.IndexAny(ep, " \t/?#@"); i >= 0 {
		if ep[i] == ' ' || ep[i] == '\t' {
			return "a space in it"
		}
		return "unexpected " + strconv.QuoteRune(rune(ep[i]))
	}
	host, port, err := net.SplitHostPort(ep)
	if err != nil {
		// No port: a bare host name or IP (IPv6 possibly in brackets).
		host, port = strings.TrimSuffix(strings.TrimPrefix(ep, "["), "]"), ""
		if strings.Contains(host, ":") && net.ParseIP(host) == nil {
			return "not host:port"
		}
	} else if n, err := strconv.Atoi(port); err != nil || n <= 0 || n > 65535 {
		return "port " + userinput.Quote(port) + " is not a number between 1 and 65535"
	}
	if host == "" {
		return "no host"
	}
	return validHost(host)
}

// validHost accepts an IP address or a DNS name: labels of 1 to 63 letters, digits, '-' or
// '_' (seen on internal names), 253 bytes in all.
func validHost(h string) string {
	if net.ParseIP(h) != nil {
		return ""
	}
	if len(h) > 253 {
		return fmt.Sprintf("host name of %d bytes, longer than DNS allows (253)", len(h))
	}
	for _, label := range strings.Split(strings.TrimSuffix(h, "."), ".") {
		if label == "" || len(label) > 63 {
			return "host name label of " + strconv.Itoa(len(label)) + " bytes (DNS allows 1 to 63)"
		}
		for _, r := range label {
			if !(r == '-' || r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
				return "unexpected " + strconv.QuoteRune(r) + " in the host name"
			}
		}
	}
	return ""
}

// withPort adds port to a host without one.
func withPort(ep, port string) string {
	if _, _, err := net.SplitHostPort(ep); err == nil {
		return ep
	}
	return net.JoinHostPort(strings.TrimSuffix(strings.TrimPrefix(ep, "["), "]"), port)
}
