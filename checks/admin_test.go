package checks

import (
	"context"
	"net"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/flyteorg/flyte/flyteidl/gen/pb-go/flyteidl/admin"
	"github.com/flyteorg/flyte/flyteidl/gen/pb-go/flyteidl/service"

	"github.com/flytedoctor/flytedoctor/collectors/evidence"
	"github.com/flytedoctor/flytedoctor/collectors/flyteadmin/fakeadmin"
	"github.com/flytedoctor/flytedoctor/internal/testnet"
)

// adminEnv serves projects from the fake Admin over real gRPC on 127.0.0.1.
func adminEnv(t *testing.T, projects []*admin.Project, opts fakeadmin.Options) (*Env, string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	addr, stop, err := fakeadmin.New(&fakeadmin.Fixture{Projects: projects}, opts).Start(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	return dialEnv(t, addr), addr
}

func dialEnv(t *testing.T, addr string) *Env {
	t.Helper()
	g := testnet.New(t)
	cc, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithContextDialer(func(ctx context.Context, a string) (net.Conn, error) { return g.DialContext(ctx, "tcp", a) }))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cc.Close() })
	return &Env{Admin: service.NewAdminServiceClient(cc)}
}

func adminSpec(endpoint, project, domain string) *evidence.PreflightSpec {
	return &evidence.PreflightSpec{Project: project, Domain: domain, AdminEndpoint: endpoint, Namespace: project + "-" + domain,
		Tasks: []evidence.TaskSpec{{Name: "t"}}, Skipped: onlyLayers(Admin)}
}

func TestAdminChecksAgainstFakeAdmin(t *testing.T) {
	projects := []*admin.Project{
		{Id: "flytesnacks", Name: "flytesnacks", State: admin.Project_ACTIVE},
		{Id: "oldproj", Name: "oldproj", State: admin.Project_ARCHIVED},
	}
	env, addr := adminEnv(t, projects, fakeadmin.Options{})
	ep := "dns:///" + addr

	c := runChecks(t, env, adminSpec(ep, "flytesnacks", "development"))
	wantStatus(t, result(t, c, "FDP101", ep), evidence.CheckPass, "version v1.16.8")
	wantStatus(t, result(t, c, "FDP102", "flytesnacks"), evidence.CheckPass, "ACTIVE")
	wantStatus(t, result(t, c, "FDP103", "development"), evidence.CheckPass)

	c = runChecks(t, env, adminSpec(ep, "oldproj", "qa"))
	wantStatus(t, result(t, c, "FDP102", "oldproj"), evidence.CheckFail, "archived")
	wantStatus(t, result(t, c, "FDP103", "qa"), evidence.CheckFail, "development, staging, production")

	c = runChecks(t, env, adminSpec(ep, "nope", "development"))
	r := result(t, c, "FDP102", "nope")
	wantStatus(t, r, evidence.CheckFail, "does not exist")
	if len(r.Commands) == 0 || r.Commands[0] != "flytectl create project --id nope --name nope" {
		t.Errorf("commands: %v", r.Commands)
	}
}

// Before v1.13 Admin has no GetDomains: the project's domains answer.
func TestAdminDomainsFromProjectOnOldAdmin(t *testing.T) {
	env, addr := adminEnv(t, []*admin.Project{{Id: "p", Name: "p"}}, fakeadmin.Options{
		Fault: func(method string, _ proto.Message) error {
			if method == "GetDomains" {
				return status.Error(codes.Unimplemented, "unknown method GetDomains for service flyteidl.service.AdminService")
			}
			return nil
		},
	})
	c := runChecks(t, env, adminSpec("dns:///"+addr, "p", "staging"))
	wantStatus(t, result(t, c, "FDP103", "staging"), evidence.CheckPass)
	c = runChecks(t, env, adminSpec("dns:///"+addr, "p", "qa"))
	wantStatus(t, result(t, c, "FDP103", "qa"), evidence.CheckFail)
}

func TestAdminRefusedAndUnreachable(t *testing.T) {
	env, addr := adminEnv(t, nil, fakeadmin.Options{Fault: func(string, proto.Message) error {
		return status.Error(codes.Unauthenticated, "token parse error: token is expired")
	}})
	c := runChecks(t, env, adminSpec("dns:///"+addr, "flytesnacks", "development"))
	wantStatus(t, result(t, c, "FDP101", "dns:///"), evidence.CheckFail, "refused the credentials", "token is expired")
	// The project and domain could not be asked: skipped, not failed or passed.
	wantStatus(t, result(t, c, "FDP102", "flytesnacks"), evidence.CheckSkip, "Unauthenticated")

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	gone := l.Addr().String()
	l.Close()
	c = runChecks(t, dialEnv(t, gone), adminSpec("dns:///"+gone, "flytesnacks", "development"))
	wantStatus(t, result(t, c, "FDP101", "dns:///"), evidence.CheckFail, "did not answer")
}

func TestAdminWithoutEndpointIsSkipped(t *testing.T) {
	c := runChecks(t, &Env{AdminSkip: "no admin.endpoint"}, adminSpec("", "flytesnacks", "development"))
	for _, r := range c.Results {
		if r.ID[3] == '1' {
			wantStatus(t, r, evidence.CheckSkip, "no admin.endpoint")
		}
	}
}
