package adminclient_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/status"

	"github.com/flytedoctor/flytedoctor/collectors/flyteadmin/adminclient"
	"github.com/flytedoctor/flytedoctor/collectors/flyteconfig"
	"github.com/flyteorg/flyte/flyteidl/gen/pb-go/flyteidl/admin"
	"github.com/flyteorg/flyte/flyteidl/gen/pb-go/flyteidl/service"
)

// silentListener accepts connections and never writes to them.
func silentListener(t *testing.T) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	t.Cleanup(func() { close(done); lis.Close() })
	go func() {
		for {
			c, err := lis.Accept()
			if err != nil {
				return
			}
			go func() { <-done; c.Close() }()
		}
	}()
	return lis.Addr().String()
}

// rawServer runs answer on every connection, then closes it.
func rawServer(t *testing.T, answer func(c net.Conn)) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lis.Close() })
	go func() {
		for {
			c, err := lis.Accept()
			if err != nil {
				return
			}
			go func() { defer c.Close(); answer(c) }()
		}
	}()
	return lis.Addr().String()
}

// Each wrong kind of server gets one line that says what it is and what to change; the
// servers are real listeners on 127.0.0.1.
func TestExplain(t *testing.T) {
	_, cert := selfSigned(t)
	plainAdmin := serve(t, func(s *grpc.Server) { service.RegisterAdminServiceServer(s, &adminServer{}) })
	tlsAdmin := serve(t, func(s *grpc.Server) { service.RegisterAdminServiceServer(s, &adminServer{}) }, grpc.Creds(credentials.NewServerTLSFromCert(&cert)))
	quiet := func(s *httptest.Server) *httptest.Server {
		s.Config.ErrorLog = log.New(io.Discard, "", 0) // the handshake errors are the point
		t.Cleanup(s.Close)
		return s
	}
	web := quiet(httptest.NewUnstartedServer(http.NotFoundHandler()))
	web.Start()
	webTLS := quiet(httptest.NewUnstartedServer(http.NotFoundHandler())) // HTTP/1.1 only
	webTLS.StartTLS()
	web2 := quiet(httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprint(w, "<html>console</html>")
	})))
	web2.EnableHTTP2 = true
	web2.StartTLS()
	silent := silentListener(t)
	say := func(text string) func(net.Conn) {
		return func(c net.Conn) {
			_, _ = c.Read(make([]byte, 1024))
			_, _ = io.WriteString(c, text)
		}
	}
	nginxTLSPort := rawServer(t, say("HTTP/1.1 400 Bad Request\r\nServer: nginx\r\nContent-Type: text/html\r\n\r\n<center>The plain HTTP request was sent to HTTPS port</center>"))
	ssh := rawServer(t, say("SSH-2.0-OpenSSH_9.6p1 Ubuntu-3ubuntu13\r\n"))
	hangUp := rawServer(t, func(net.Conn) {})
	host := func(u string) string { return strings.TrimPrefix(strings.TrimPrefix(u, "http://"), "https://") }

	for _, tt := range []struct {
		name     string
		endpoint string
		insecure bool
		timeout  time.Duration
		want     string // "" when there is nothing to explain
	}{
		{"TLS to a plaintext Admin", "dns:///" + plainAdmin, false, 5 * time.Second,
			"Flyte Admin at dns:///" + plainAdmin + " speaks plaintext, not TLS: set admin.insecure: true (or pass --insecure)"},
		{"plaintext to a TLS Admin", tlsAdmin, true, 5 * time.Second,
			"Flyte Admin at " + tlsAdmin + " speaks TLS, not plaintext: set admin.insecure: false (or leave out --insecure)"},
		{"plaintext to a silent server", silent, true, 1200 * time.Millisecond,
			"Flyte Admin at " + silent + " accepted the connection but did not answer gRPC within "},
		{"TLS to a silent server", silent, false, 1200 * time.Millisecond,
			"accepted the connection but did not answer gRPC within "},
		// Cut short by the caller, a call says nothing about the server.
		{"a silent server, briefly", silent, true, 100 * time.Millisecond, ""},
		{"plaintext to an HTTP/1 web server", host(web.URL), true, 5 * time.Second,
			"Flyte Admin at " + host(web.URL) + " is a plain HTTP/1 web server, not gRPC: point admin.endpoint (or --admin-endpoint) at Flyte Admin's gRPC address"},
		{"TLS to an HTTP/1 web server", host(web.URL), false, 5 * time.Second, "is a plain HTTP/1 web server, not gRPC"},
		{"TLS to an HTTPS/1.1 web server", webTLS.URL + "/console", false, 5 * time.Second,
			"Flyte Admin at " + webTLS.URL + "/console is an HTTPS web server without HTTP/2, not gRPC"},
		{"plaintext to an HTTPS/1.1 web server", host(webTLS.URL), true, 5 * time.Second, "speaks TLS, not plaintext"},
		{"TLS to an HTTP/2 web page", web2.URL, false, 5 * time.Second,
			"Flyte Admin at " + web2.URL + " answered HTTP 404 (Not Found) with \"text/html\", not gRPC: point admin.endpoint"},
		{"plaintext to nginx's TLS port", nginxTLSPort, true, 5 * time.Second, "speaks TLS, not plaintext: set admin.insecure: false"},
		{"plaintext to an SSH server", ssh, true, 5 * time.Second, `does not speak gRPC (it answered "SSH-2.0-OpenSSH_"): point admin.endpoint`},
		{"TLS to an SSH server", ssh, false, 5 * time.Second, `does not speak TLS (it answered "SSH-2.0-OpenSSH_"): set admin.insecure: true (or pass --insecure), or check admin.endpoint`},
		{"TLS to a server that hangs up", hangUp, false, 5 * time.Second, "closed the connection during the TLS handshake: if it serves plaintext gRPC, set admin.insecure: true"},
		// The TLS probe gets no TLS answer either, so no claim is made.
		{"plaintext to a server that hangs up", hangUp, true, 5 * time.Second, "closed the connection without answering plaintext gRPC: if it serves TLS, set admin.insecure: false"},
		{"a real Admin", plainAdmin, true, 5 * time.Second, ""},
		{"nothing listening", "127.0.0.1:1", true, 5 * time.Second, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			a := flyteconfig.DefaultAdmin()
			a.Endpoint, a.Insecure, a.MaxRetries = tt.endpoint, tt.insecure, 0
			a.InsecureSkipVerify = true // the servers' certificates are self-signed; trust is not what is tested
			c := dial(t, adminclient.Options{Config: a})
			ctx, cancel := context.WithTimeout(context.Background(), tt.timeout)
			defer cancel()
			start := time.Now()
			err := getVersionCtx(ctx, c)
			if tt.name == "a real Admin" {
				// A real Admin's own Unavailable is not a transport problem.
				srvErr := status.Error(codes.Unavailable, "database is down")
				if e := c.Explain(context.Background(), srvErr); err != nil || e != nil {
					t.Fatalf("call: %v; Explain(%v) = %v, want nil", err, srvErr, e)
				}
				return
			}
			if err == nil {
				t.Fatal("the call succeeded")
			}
			got := c.Explain(context.Background(), err)
			if tt.want == "" {
				if got != nil {
					t.Fatalf("Explain(%v) = %v, want nil", err, got)
				}
				return
			}
			var te *adminclient.TransportError
			if !errors.As(got, &te) || !errors.Is(got, err) {
				t.Fatalf("Explain(%v) = %#v, want a *TransportError wrapping it", err, got)
			}
			msg := got.Error()
			t.Logf("%s\n\t(was: %v)", msg, err)
			if !strings.Contains(msg, tt.want) || strings.ContainsAny(msg, "\r\n") {
				t.Errorf("Explain =\n  %s\nwant one line containing\n  %s", msg, tt.want)
			}
			if strings.Contains(tt.want, "within ") {
				// N is the wait the call actually had.
				m := regexp.MustCompile(`within (\S+):`).FindStringSubmatch(msg)
				if m == nil {
					t.Fatalf("no duration in %q", msg)
				}
				d, perr := time.ParseDuration(m[1])
				if waited := time.Since(start); perr != nil || d < tt.timeout/2 || d > waited+100*time.Millisecond {
					t.Errorf("within %s: want about %s (the call took %s)", m[1], tt.timeout, waited)
				}
			}
		})
	}
}

// A server of the wrong kind answers the same way every time: no retries.
func TestWrongServerIsNotRetried(t *testing.T) {
	web := httptest.NewServer(http.NotFoundHandler())
	t.Cleanup(web.Close)
	a := cfg(strings.TrimPrefix(web.URL, "http://"))
	s := &sleeps{}
	c := dial(t, adminclient.Options{Config: a, Sleep: s.sleep})
	if err := getVersion(c); err == nil || c.Explain(context.Background(), err) == nil {
		t.Fatalf("err %v not explained", err)
	}
	if st := c.Stats(); st.Retries != 0 || len(s.got()) != 0 {
		t.Errorf("retried an HTTP/1 server: %+v, sleeps %v", st, s.got())
	}
}

// The wire watch does not get in the way of a working TLS or plaintext connection.
func TestExplainLeavesWorkingConnectionsAlone(t *testing.T) {
	addr := serve(t, func(s *grpc.Server) { service.RegisterAdminServiceServer(s, &adminServer{}) })
	c := dial(t, adminclient.Options{Config: cfg(addr)})
	resp, err := service.NewAdminServiceClient(c).GetVersion(context.Background(), &admin.GetVersionRequest{})
	if err != nil || resp.GetControlPlaneVersion().GetVersion() != "v1.16.8" {
		t.Fatalf("GetVersion = %v, %v", resp, err)
	}
}
