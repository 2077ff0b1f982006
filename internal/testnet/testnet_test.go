package testnet

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/feature/ec2/imds"
	"github.com/aws/smithy-go/logging"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/types/known/emptypb"
	"k8s.io/client-go/rest"

	"github.com/flytedoctor/flytedoctor/internal/loopback"
)

// recorder is a Reporter that keeps what it was told.
type recorder struct {
	mu   sync.Mutex
	msgs []string
}

func (r *recorder) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.msgs = append(r.msgs, fmt.Sprintf(format, args...))
}

func (r *recorder) got() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.msgs...)
}

// 10.255.255.1 is routable and unanswered: a connect(2) there would hang until the timeout,
// so a refusal within milliseconds shows that nothing was sent.
const beyond = "10.255.255.1:9"

func TestGuardRefusesBeforeAnythingIsSent(t *testing.T) {
	rec := &recorder{}
	g := New(rec)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()

	start := time.Now()
	_, err := g.DialContext(ctx, "tcp", beyond)
	if !errors.Is(err, loopback.ErrRefused) || time.Since(start) > time.Second {
		t.Fatalf("dial %s: err %v after %s, want loopback.ErrRefused at once", beyond, err, time.Since(start))
	}
	// A name is refused before it is resolved: the error is the guard's, not a DNS failure.
	if _, err := g.DialContext(ctx, "tcp", "flyte.example.invalid:443"); !errors.Is(err, loopback.ErrRefused) {
		t.Fatalf("dial a name: %v", err)
	}
	// The Control hook alone, as an SDK dialer carries it: connect(2) never runs.
	d := net.Dialer{Control: g.Control, Timeout: 3 * time.Second}
	start = time.Now()
	if _, err := d.DialContext(ctx, "tcp", beyond); !errors.Is(err, loopback.ErrRefused) || time.Since(start) > time.Second {
		t.Fatalf("Control: err %v after %s, want loopback.ErrRefused at once", err, time.Since(start))
	}
	got := rec.got()
	if len(got) != 3 || !strings.Contains(got[0], beyond) || !strings.Contains(got[1], "flyte.example.invalid:443") || !strings.Contains(got[2], beyond) {
		t.Fatalf("reported %q, want the three refused dials", got)
	}
}

func TestGuardDialsLoopback(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok")) }))
	defer srv.Close()
	rec := &recorder{}
	g := New(rec)
	resp, err := g.HTTPClient().Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	port := srv.URL[strings.LastIndex(srv.URL, ":")+1:]
	c, err := g.DialContext(context.Background(), "tcp", "localhost:"+port)
	if err != nil {
		t.Fatalf("localhost: %v", err)
	}
	_ = c.Close()
	if _, err := g.HTTPClient().Get("http://" + beyond + "/"); !errors.Is(err, loopback.ErrRefused) {
		t.Fatalf("http client beyond loopback: %v", err)
	}
	if got := rec.got(); len(got) != 1 || !strings.Contains(got[0], beyond) {
		t.Fatalf("reported %q, want only %s", got, beyond)
	}
}

// The trap catches what the project's client libraries send beyond loopback when a test does
// not hand them a guard: the AWS SDK's own metadata client, client-go's transport, gRPC, and
// a clone of http.DefaultTransport without the proxy. It is the only test here that uses the
// proxy variables: net/http reads them once per process.
func TestMainTrapsClientsThatBypassTheGuard(t *testing.T) {
	dt := http.DefaultTransport.(*http.Transport)
	saved := dt.DialContext
	t.Cleanup(func() { dt.DialContext = saved })
	setenv := func(k, v string) error { t.Setenv(k, v); return nil }
	var stderr bytes.Buffer
	var imdsOff error
	code := run(func() int {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		cfg, err := config.LoadDefaultConfig(ctx, config.WithRegion("us-east-1"))
		if err != nil {
			t.Error(err)
			return 0
		}
		// AWS_EC2_METADATA_DISABLED: the SDK's metadata client refuses without sending.
		_, imdsOff = imds.NewFromConfig(cfg).GetMetadata(ctx, &imds.GetMetadataInput{Path: "instance-id"})
		// Forced on, it goes to 169.254.169.254 through the proxy, which is the trap.
		forced := imds.NewFromConfig(cfg, func(o *imds.Options) { o.ClientEnableState, o.Logger = imds.ClientEnabled, logging.Nop{} })
		_, _ = forced.GetMetadata(ctx, &imds.GetMetadataInput{Path: "instance-id"})

		hc, err := rest.HTTPClientFor(&rest.Config{Host: "https://10.255.255.1:6443", TLSClientConfig: rest.TLSClientConfig{Insecure: true}})
		if err != nil {
			t.Error(err)
			return 0
		}
		if resp, err := hc.Get("https://10.255.255.1:6443/version"); err == nil {
			_ = resp.Body.Close()
		}

		cc, err := grpc.NewClient("dns:///flyte.example.invalid:443", grpc.WithTransportCredentials(insecure.NewCredentials()))
		if err != nil {
			t.Error(err)
			return 0
		}
		defer cc.Close()
		cctx, ccancel := context.WithTimeout(ctx, 3*time.Second)
		defer ccancel()
		_ = cc.Invoke(cctx, "/flyteidl.service.AdminService/GetVersion", &emptypb.Empty{}, &emptypb.Empty{})

		noProxy := http.DefaultTransport.(*http.Transport).Clone()
		noProxy.Proxy = nil
		if resp, err := (&http.Client{Transport: noProxy}).Get("http://" + beyond + "/"); err == nil {
			_ = resp.Body.Close()
		}
		return 0
	}, setenv, &stderr)

	if code != 1 {
		t.Errorf("run returned %d, want 1 for a run that reached beyond loopback", code)
	}
	if imdsOff == nil || !strings.Contains(imdsOff.Error(), "disabled") {
		t.Errorf("metadata client with AWS_EC2_METADATA_DISABLED: %v, want refused as disabled", imdsOff)
	}
	out := stderr.String()
	t.Log(out)
	for _, want := range []string{"PUT 169.254.169.254", "CONNECT 10.255.255.1:6443", "CONNECT flyte.example.invalid:443", "refused to dial tcp " + beyond} {
		if !strings.Contains(out, want) {
			t.Errorf("trap report lacks %q:\n%s", want, out)
		}
	}
}

func TestMainPassesACleanRun(t *testing.T) {
	dt := http.DefaultTransport.(*http.Transport)
	saved := dt.DialContext
	t.Cleanup(func() { dt.DialContext = saved })
	var stderr bytes.Buffer
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer srv.Close()
	code := run(func() int {
		if _, err := New(t).HTTPClient().Get(srv.URL); err != nil {
			t.Error(err)
		}
		return 0
	}, func(string, string) error { return nil }, &stderr)
	if code != 0 || stderr.Len() != 0 {
		t.Fatalf("run = %d, stderr %q", code, stderr.String())
	}
}
