// Package loopback dials loopback addresses only. The demo's storage client dials through it,
// so the demo stays on the machine whatever the user's AWS configuration says, and the tests'
// guard (internal/testnet) is built on it.
package loopback

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"syscall"
)

// ErrRefused is the error of a dial to anything but loopback.
var ErrRefused = errors.New("only loopback addresses may be dialed here")

// Host reports a loopback IP (127.0.0.0/8, ::1, also IPv4-mapped or in brackets) or "localhost".
func Host(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(strings.Trim(host, "[]"))
	return err == nil && ip.Unmap().IsLoopback()
}

// Dialer dials loopback addresses and refuses the others: before the name is resolved in
// DialContext, so not even a DNS query leaves, and again on the resolved address in Control,
// which runs before connect(2). The zero value is ready to use.
type Dialer struct {
	// Refused, if set, is told about each refused dial.
	Refused func(network, addr string)
}

// DialContext is net.Dialer.DialContext for loopback addresses.
func (d *Dialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	if err := d.check(network, addr); err != nil {
		return nil, err
	}
	nd := net.Dialer{Control: d.Control}
	return nd.DialContext(ctx, network, addr)
}

// Control is a net.Dialer.Control hook that refuses a resolved address beyond loopback.
func (d *Dialer) Control(network, address string, _ syscall.RawConn) error {
	return d.check(network, address)
}

func (d *Dialer) check(network, addr string) error {
	if strings.HasPrefix(network, "unix") {
		return nil
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		host = addr
	}
	if Host(host) {
		return nil
	}
	if d.Refused != nil {
		d.Refused(network, addr)
	}
	return fmt.Errorf("dial %s %s: %w", network, addr, ErrRefused)
}
