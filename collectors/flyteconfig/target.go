package flyteconfig

import (
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
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
	return a.target("your flytectl config file")
}

// AdminTarget is Admin.Target with errors naming the file the config came from.
func (c *Config) AdminTarget() (target string, insecure bool, err error) {
	where := c.Path
	if where == "" {
		where = "~/.flyte/config.yaml"
	}
	return c.Admin.target(where)
}

func (a Admin) target(where string) (string, bool, error) {
	ep := strings.TrimSpace(a.Endpoint)
	if ep == "" {
		return "", false, fmt.Errorf("admin.endpoint is not set: add admin.endpoint to %s or pass --admin-endpoint", where)
	}
	bad := func(why string) (string, bool, error) {
		return "", false, fmt.Errorf("admin.endpoint %q is not a valid endpoint (%s): use dns:///host:port, https://host or host:port", ep, why)
	}
	scheme, rest, hasScheme := strings.Cut(ep, "://")
	if !hasScheme {
		// Resolver targets with a single colon, e.g. unix:/path or passthrough:host:port.
		if s, _, ok := strings.Cut(ep, ":"); ok && isResolverScheme(s) {
			return ep, a.Insecure, nil
		}
		return hostPort(ep, "443", a.Insecure, bad)
	}
	switch strings.ToLower(scheme) {
	case "http", "https":
		u, err := url.Parse(ep)
		if err != nil {
			return bad(err.Error())
		}
		if u.Hostname() == "" {
			return bad("no host")
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
		return hostPort(net.JoinHostPort(u.Hostname(), port), port, a.Insecure || plain, bad)
	default:
		if !isResolverScheme(scheme) {
			return bad("unknown scheme " + scheme)
		}
		// dns:///host:port and friends go to grpc verbatim; only require something after it.
		if strings.Trim(rest, "/") == "" {
			return bad("no host")
		}
		return ep, a.Insecure, nil
	}
}

func isResolverScheme(s string) bool {
	switch strings.ToLower(s) {
	case "dns", "passthrough", "unix", "unix-abstract", "xds", "ipv4", "ipv6":
		return true
	}
	return false
}

// hostPort validates host[:port], adding defPort when there is none.
func hostPort(ep, defPort string, insecure bool, bad func(string) (string, bool, error)) (string, bool, error) {
	if strings.ContainsAny(ep, " /?#@") {
		return bad("unexpected characters")
	}
	host, port, err := net.SplitHostPort(ep)
	if err != nil {
		// No port: a bare host name or IP (IPv6 possibly in brackets).
		h := strings.TrimSuffix(strings.TrimPrefix(ep, "["), "]")
		if strings.Contains(h, ":") && net.ParseIP(h) == nil {
			return bad(err.Error())
		}
		return net.JoinHostPort(h, defPort), insecure, nil
	}
	if host == "" {
		return bad("no host")
	}
	if n, err := strconv.Atoi(port); err != nil || n <= 0 || n > 65535 {
		return bad("port " + strconv.Quote(port) + " is not a number between 1 and 65535")
	}
	return ep, insecure, nil
}
