package loopback

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"
)

func TestLoopbackHost(t *testing.T) {
	for host, want := range map[string]bool{
		"127.0.0.1": true, "127.1.2.3": true, "::1": true, "[::1]": true, "localhost": true, "LOCALHOST": true,
		"::ffff:127.0.0.1": true, "10.255.255.1": false, "169.254.169.254": false, "0.0.0.0": false,
		"flyte.example.com": false, "localhost.example.com": false, "": false,
	} {
		if got := Host(host); got != want {
			t.Errorf("Host(%q) = %v, want %v", host, got, want)
		}
	}
}

// A name that resolves beyond loopback is refused in Control, before connect(2): 10.255.255.1
// is routable and unanswered, so a connect would hang until the dialer's timeout instead.
func TestControlRefusesBeforeConnect(t *testing.T) {
	var refused []string
	d := &Dialer{Refused: func(network, addr string) { refused = append(refused, network+" "+addr) }}
	nd := net.Dialer{Control: d.Control, Timeout: 5 * time.Second}
	start := time.Now()
	_, err := nd.DialContext(context.Background(), "tcp", "10.255.255.1:9")
	if !errors.Is(err, ErrRefused) || time.Since(start) > time.Second {
		t.Fatalf("err %v after %s, want ErrRefused at once", err, time.Since(start))
	}
	if len(refused) != 1 || refused[0] != "tcp4 10.255.255.1:9" {
		t.Fatalf("Refused told %q", refused)
	}
}
