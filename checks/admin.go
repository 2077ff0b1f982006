package checks

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/flyteorg/flyte/flyteidl/gen/pb-go/flyteidl/admin"

	"github.com/flytedoctor/flytedoctor/collectors/evidence"
	"github.com/flytedoctor/flytedoctor/internal/oneline"
)

// AdminAPI is the part of Flyte Admin the probes call; service.AdminServiceClient satisfies it.
type AdminAPI interface {
	GetVersion(ctx context.Context, in *admin.GetVersionRequest, opts ...grpc.CallOption) (*admin.GetVersionResponse, error)
	ListProjects(ctx context.Context, in *admin.ProjectListRequest, opts ...grpc.CallOption) (*admin.Projects, error)
	GetDomains(ctx context.Context, in *admin.GetDomainRequest, opts ...grpc.CallOption) (*admin.GetDomainsResponse, error)
}

// Admin probe names.
const (
	probeAdminVersion = "admin-version"
	probeAdminProject = "admin-project"
	probeAdminDomains = "admin-domains"
)

func adminProbes() []*Probe {
	return []*Probe{
		{
			Name: probeAdminVersion, Layer: Admin,
			Subjects: func(s *evidence.PreflightSpec) []string { return []string{cmp.Or(s.AdminEndpoint, "flyteadmin")} },
			Run: func(ctx context.Context, env *Env, _ string, _ *View) evidence.ProbeRecord {
				v, err := env.Admin.GetVersion(ctx, &admin.GetVersionRequest{})
				if err != nil {
					return evidence.ProbeRecord{Error: adminError(ctx, env, err)}
				}
				cp := v.GetControlPlaneVersion()
				return evidence.ProbeRecord{Admin: &evidence.AdminProbe{Version: cp.GetVersion(), Build: cp.GetBuild()}}
			},
		},
		{
			Name: probeAdminProject, Layer: Admin,
			Subjects: func(s *evidence.PreflightSpec) []string { return []string{s.Project} },
			Run: func(ctx context.Context, env *Env, project string, _ *View) evidence.ProbeRecord {
				// A filter shows archived projects too (without one Admin hides them), so an
				// archived project is told apart from a missing one.
				ps, err := env.Admin.ListProjects(ctx, &admin.ProjectListRequest{Filters: "eq(identifier," + project + ")"})
				if err != nil {
					return evidence.ProbeRecord{Error: adminError(ctx, env, err)}
				}
				out := &evidence.AdminProbe{}
				for _, p := range ps.GetProjects() {
					if p.GetId() != project {
						continue
					}
					out.ProjectFound, out.ProjectState = true, p.GetState().String()
					for _, d := range p.GetDomains() {
						out.ProjectDomains = append(out.ProjectDomains, d.GetId())
					}
				}
				return evidence.ProbeRecord{Admin: out}
			},
		},
		{
			Name: probeAdminDomains, Layer: Admin,
			Subjects: func(s *evidence.PreflightSpec) []string { return []string{s.Domain} },
			Run: func(ctx context.Context, env *Env, _ string, _ *View) evidence.ProbeRecord {
				ds, err := env.Admin.GetDomains(ctx, &admin.GetDomainRequest{})
				if err != nil {
					return evidence.ProbeRecord{Error: adminError(ctx, env, err)}
				}
				out := &evidence.AdminProbe{}
				for _, d := range ds.GetDomains() {
					out.Domains = append(out.Domains, d.GetId())
				}
				return evidence.ProbeRecord{Admin: out}
			},
		},
	}
}

// adminError records a failed call: its gRPC code and a one-line message, with what kind of
// server answered when gRPC never got going.
func adminError(ctx context.Context, env *Env, err error) *evidence.ProbeFailure {
	msg := status.Convert(err).Message()
	if env.Explain != nil {
		if why := env.Explain(ctx, err); why != nil {
			msg = why.Error()
		}
	}
	code := status.Code(err)
	if ctx.Err() != nil && code == codes.Unknown {
		code = codes.DeadlineExceeded
	}
	return &evidence.ProbeFailure{Code: code.String(), Message: oneline.Clip(oneline.Fold(msg), 300)}
}

func adminChecks() []*Check {
	return []*Check{
		{
			ID: "FDP101", Name: "admin-reachable", Title: "Flyte Admin answers", Layer: Admin,
			Needs: []string{probeAdminVersion},
			Doc: `Calls GetVersion on the configured Flyte Admin (admin.endpoint, --admin-endpoint) with the
configured TLS and auth settings. It fails when Admin cannot be reached, when TLS does not match
(a plaintext client against a TLS port, or the other way round), or when the credentials are
refused; registration would fail the same way. On success it reports the server's version.`,
			Verdict: func(v *View) []evidence.CheckResult {
				subject := cmp.Or(v.Spec.AdminEndpoint, "flyteadmin")
				r := evidence.CheckResult{Subject: subject}
				rec := v.Probe(probeAdminVersion, subject)
				if skip, ok := skipped(rec); ok {
					return []evidence.CheckResult{skip.at(r)}
				}
				if e := rec.Error; e != nil {
					r.Status = evidence.CheckFail
					switch e.Code {
					case codes.Unauthenticated.String():
						r.Summary = "Flyte Admin refused the credentials: " + e.Message
						r.Fix = "log in again or fix admin.authType / clientId in the config"
						r.Commands = []string{"flytedoctor auth status", "flytedoctor auth login"}
					case codes.PermissionDenied.String():
						r.Summary = "Flyte Admin denied the call: " + e.Message
						r.Fix = "ask an admin for access to this Flyte deployment"
					case codes.Unavailable.String(), codes.DeadlineExceeded.String():
						r.Summary = "Flyte Admin did not answer: " + e.Message
						r.Fix = "check admin.endpoint and admin.insecure in the config (TLS must match the server), and that Admin is up"
					default:
						r.Summary = fmt.Sprintf("GetVersion failed (%s): %s", e.Code, e.Message)
						r.Fix = "check admin.endpoint in the config and that it is Flyte Admin's gRPC port"
					}
					return []evidence.CheckResult{r}
				}
				r.Status = evidence.CheckPass
				r.Summary = "answers, version " + cmp.Or(rec.Admin.Version, "unknown")
				return []evidence.CheckResult{r}
			},
		},
		{
			ID: "FDP102", Name: "admin-project", Title: "the project exists and is active", Layer: Admin,
			Needs: []string{probeAdminProject},
			Doc: `Lists Admin's projects with the filter eq(identifier,PROJECT), which also shows archived
projects. Registering into a project that does not exist fails; an archived project is hidden
from the console and its launch plans should not be used until it is activated again.`,
			Verdict: func(v *View) []evidence.CheckResult {
				p := v.Spec.Project
				r := evidence.CheckResult{Subject: p}
				rec := v.Probe(probeAdminProject, p)
				if skip, ok := skipped(rec); ok {
					return []evidence.CheckResult{skip.at(r)}
				}
				if e := rec.Error; e != nil {
					r.Status, r.Summary = evidence.CheckSkip, fmt.Sprintf("ListProjects failed (%s): %s", e.Code, e.Message)
					return []evidence.CheckResult{r}
				}
				a := rec.Admin
				switch {
				case !a.ProjectFound:
					r.Status, r.Summary = evidence.CheckFail, "project "+p+" does not exist in Flyte Admin"
					r.Fix = "create it, or pass the right -p"
					r.Commands = []string{"flytectl create project --id " + p + " --name " + p}
				case a.ProjectState == admin.Project_ARCHIVED.String() || a.ProjectState == admin.Project_SYSTEM_ARCHIVED.String():
					r.Status, r.Summary = evidence.CheckFail, "project "+p+" is archived ("+a.ProjectState+")"
					r.Fix = "activate it again"
					r.Commands = []string{"flytectl update project -p " + p + " --activate"}
				default:
					r.Status, r.Summary = evidence.CheckPass, "exists ("+a.ProjectState+")"
				}
				return []evidence.CheckResult{r}
			},
		},
		{
			ID: "FDP103", Name: "admin-domain", Title: "the domain exists", Layer: Admin,
			Needs: []string{probeAdminDomains, probeAdminProject},
			Doc: `Reads Admin's domains with GetDomains (Admin v1.13 and later), or from the project's
domains on older servers. Domains are fixed in flyteadmin's configuration
(development, staging, production by default); a domain outside that list cannot be registered into.`,
			Verdict: func(v *View) []evidence.CheckResult {
				d := v.Spec.Domain
				r := evidence.CheckResult{Subject: d}
				rec := v.Probe(probeAdminDomains, d)
				if skip, ok := skipped(rec); ok {
					return []evidence.CheckResult{skip.at(r)}
				}
				domains := []string(nil)
				if rec.Error == nil {
					domains = rec.Admin.Domains
				} else if pr := v.Probe(probeAdminProject, v.Spec.Project); rec.Error.Code == codes.Unimplemented.String() && pr != nil && pr.Admin != nil && pr.Admin.ProjectFound {
					domains = pr.Admin.ProjectDomains // before v1.13: the project lists them
				} else {
					r.Status, r.Summary = evidence.CheckSkip, fmt.Sprintf("GetDomains failed (%s): %s", rec.Error.Code, rec.Error.Message)
					return []evidence.CheckResult{r}
				}
				if slices.Contains(domains, d) {
					r.Status, r.Summary = evidence.CheckPass, "exists"
					return []evidence.CheckResult{r}
				}
				r.Status = evidence.CheckFail
				r.Summary = fmt.Sprintf("domain %s is not one of Admin's domains (%s)", d, strings.Join(domains, ", "))
				r.Fix = "pass one of them with -d, or add the domain to flyteadmin's domains configuration"
				return []evidence.CheckResult{r}
			},
		},
	}
}

// skip is a skipped result's reason.
type skip struct{ why string }

func (s skip) at(r evidence.CheckResult) evidence.CheckResult {
	r.Status, r.Summary = evidence.CheckSkip, "skipped: "+s.why
	return r
}

// skipped reports a probe that did not run, or that was not allowed to read (Forbidden,
// Unauthorized from Kubernetes): its checks are skipped, never passed.
func skipped(rec *evidence.ProbeRecord) (skip, bool) {
	switch {
	case rec == nil:
		return skip{"not probed"}, true
	case rec.Skipped != "":
		return skip{rec.Skipped}, true
	case rec.Error != nil && (rec.Error.Code == "Forbidden" || rec.Error.Code == "Unauthorized"):
		return skip{strings.ToLower(rec.Error.Code) + ": " + rec.Error.Message}, true
	}
	return skip{}, false
}
