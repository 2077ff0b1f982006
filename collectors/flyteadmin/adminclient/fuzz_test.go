package adminclient_test

import (
	"context"
	"strings"
	"testing"

	"github.com/flytedoctor/flytedoctor/collectors/flyteadmin/adminclient"
	"github.com/flytedoctor/flytedoctor/collectors/flyteconfig"
)

// FuzzDialEndpoint: every admin.endpoint the config's parser accepts is a target grpc-go
// accepts too (Dial sends nothing, so no address is contacted), and every refusal is one
// bounded line.
func FuzzDialEndpoint(f *testing.F) {
	for _, s := range []string{"dns:///flyte.example.com:443", "localhost:30080", "https://flyte.example.com",
		"http://localhost:30080", "[::1]:8089", "unix:///run/flyte.sock", "passthrough:///10.0.0.1:81",
		"dns:///my host:30080", "xds:///flyte", "dns://8.8.8.8/flyte.example.com"} {
		f.Add(s, "ClientSecret")
	}
	f.Add("localhost:30080", "Pkce")
	f.Fuzz(func(t *testing.T, endpoint, authType string) {
		cfg := flyteconfig.Admin{Endpoint: endpoint, Insecure: true, AuthType: flyteconfig.AuthType(authType)}
		target, _, targetErr := cfg.Target()
		conn, err := adminclient.Dial(context.Background(), adminclient.Options{Config: cfg})
		if err != nil {
			if msg := err.Error(); strings.ContainsAny(msg, "\r\n") || len(msg) > 2000 {
				t.Fatalf("Dial(%q) error is not one bounded line: %.300q", endpoint, msg)
			}
			if _, authErr := flyteconfig.ParseAuthType(authType); targetErr == nil && (authErr == nil || authType == "") {
				t.Fatalf("admin.endpoint %q gives target %q, which grpc refuses: %v", endpoint, target, err)
			}
			return
		}
		defer conn.Close()
		if targetErr != nil {
			t.Fatalf("Dial(%q) succeeded though Target failed: %v", endpoint, targetErr)
		}
		if conn.Endpoint() != target {
			t.Fatalf("Dial(%q) dialled %q, Target says %q", endpoint, conn.Endpoint(), target)
		}
	})
}
