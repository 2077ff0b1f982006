package fakeadmin

//lint:file-ignore SA1019 flyteadmin v1.16 still fills the deprecated URI fields (inputs/outputs UrlBlob, output_uri, auth_role, abort_cause) and older servers fill only them

import (
	"context"
	"fmt"
	"net"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"

	"github.com/flyteorg/flyte/flyteidl/gen/pb-go/flyteidl/admin"
	"github.com/flyteorg/flyte/flyteidl/gen/pb-go/flyteidl/core"
	"github.com/flyteorg/flyte/flyteidl/gen/pb-go/flyteidl/service"
)

// Options tune a Server. The zero value serves the fixture with no latency and no faults.
type Options struct {
	// Latency is added to every call before it is handled.
	Latency time.Duration
	// LatencyFunc, when set, replaces Latency per method.
	LatencyFunc func(method string) time.Duration
	// Fault, when set, runs after the latency; a non-nil error is returned instead of the
	// response (use status.Error for a gRPC code). It must be safe for concurrent use.
	Fault func(method string, req proto.Message) error
	// Version replaces the reported control-plane version (default v1.16.8).
	Version *admin.Version
	// Domains replaces the configured domains (default development, staging, production, plus
	// any other domain the fixture uses).
	Domains []*admin.Domain
	// ServerOptions are passed to grpc.NewServer by Start.
	ServerOptions []grpc.ServerOption
	// Auth, when set, turns auth on as flyteadmin does with an external identity provider.
	Auth *Auth
}

// Server is a fake flyteadmin AdminService. It is safe for concurrent use; its data is fixed
// at New.
type Server struct {
	service.UnimplementedAdminServiceServer

	opts Options
	db   *store
	inst instruments
}

var _ service.AdminServiceServer = (*Server)(nil)

// New builds a Server from a copy of f; later changes to f are not seen.
func New(f *Fixture, opts Options) *Server {
	if f == nil {
		f = &Fixture{}
	}
	return &Server{
		opts: opts,
		db:   newStore(f, opts.Domains),
		inst: instruments{calls: map[string]int{}, queued: map[string][]codes.Code{}},
	}
}

// Register adds the AdminService to a gRPC server, and with Options.Auth the
// AuthMetadataService and IdentityService.
func (s *Server) Register(r grpc.ServiceRegistrar) {
	service.RegisterAdminServiceServer(r, s)
	if s.opts.Auth != nil {
		service.RegisterAuthMetadataServiceServer(r, authMetadata{s.opts.Auth})
		service.RegisterIdentityServiceServer(r, identity{s})
	}
}

// Start serves on a fresh 127.0.0.1 TCP port until stop is called or ctx ends.
func (s *Server) Start(ctx context.Context) (addr string, stop func(), err error) {
	var lc net.ListenConfig
	lis, err := lc.Listen(ctx, "tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, fmt.Errorf("fakeadmin: listen: %w", err)
	}
	gs := grpc.NewServer(s.opts.ServerOptions...)
	s.Register(gs)
	served := make(chan struct{})
	go func() {
		defer close(served)
		_ = gs.Serve(lis) // returns once stopped
	}()
	stop = sync.OnceFunc(func() {
		gs.Stop()
		<-served
	})
	context.AfterFunc(ctx, stop)
	return lis.Addr().String(), stop, nil
}

// call wraps a handler with the instruments.
func call[Req proto.Message, Resp any](s *Server, ctx context.Context, method string, req Req,
	h func(Req) (Resp, error)) (Resp, error) {
	end, err := s.begin(ctx, method, req)
	defer end()
	if err != nil {
		var zero Resp
		return zero, err
	}
	return h(req)
}

// GetExecution implements service.AdminServiceServer.
func (s *Server) GetExecution(ctx context.Context, req *admin.WorkflowExecutionGetRequest) (*admin.Execution, error) {
	return call(s, ctx, "GetExecution", req, func(req *admin.WorkflowExecutionGetRequest) (*admin.Execution, error) {
		if err := validateWorkflowExecutionID(req.GetId()); err != nil {
			return nil, err
		}
		e := s.db.execution(req.GetId())
		if e == nil {
			return nil, executionNotFound(req.GetId())
		}
		out := s.executionMsg(e)
		// Only Get fills in the namespace (ExecutionTransformerOptions.DefaultNamespace).
		if out.GetSpec().GetMetadata().GetSystemMetadata().GetNamespace() == "" {
			if out.Spec == nil {
				out.Spec = &admin.ExecutionSpec{}
			}
			if out.Spec.Metadata == nil {
				out.Spec.Metadata = &admin.ExecutionMetadata{}
			}
			if out.Spec.Metadata.SystemMetadata == nil {
				out.Spec.Metadata.SystemMetadata = &admin.SystemMetadata{}
			}
			out.Spec.Metadata.SystemMetadata.Namespace = e.key.project + "-" + e.key.domain
		}
		return out, nil
	})
}

func (s *Server) executionMsg(e *execRec) *admin.Execution {
	out := proto.Clone(e.msg).(*admin.Execution)
	if out.Closure == nil {
		out.Closure = &admin.ExecutionClosure{}
	}
	if out.Closure.StateChangeDetails == nil {
		out.Closure.StateChangeDetails = &admin.ExecutionStateChangeDetails{
			State:      admin.ExecutionState_EXECUTION_ACTIVE,
			OccurredAt: out.Closure.GetCreatedAt(),
			Principal:  out.GetSpec().GetMetadata().GetPrincipal(),
		}
	}
	return out
}

// ListExecutions implements service.AdminServiceServer.
func (s *Server) ListExecutions(ctx context.Context, req *admin.ResourceListRequest) (*admin.ExecutionList, error) {
	return call(s, ctx, "ListExecutions", req, func(req *admin.ResourceListRequest) (*admin.ExecutionList, error) {
		switch {
		case req.GetId() == nil:
			return nil, missingArgument("id")
		case req.GetId().GetProject() == "":
			return nil, missingArgument("project")
		case req.GetId().GetDomain() == "":
			return nil, missingArgument("domain")
		case req.GetLimit() == 0:
			return nil, invalidArgument("limit")
		}
		fs, err := parseFilters(req.GetFilters(), entExecution)
		if err != nil {
			return nil, err
		}
		srt, err := parseSort(req.GetSortBy(), entExecution)
		if err != nil {
			return nil, err
		}
		offset, err := parseToken(req.GetToken(), "ListExecutions")
		if err != nil {
			return nil, err
		}
		// Identifier filters first; id.name matches the execution name.
		base := []filter{
			{ent: entExecution, fn: "eq", field: "execution_project", values: []string{req.GetId().GetProject()}},
			{ent: entExecution, fn: "eq", field: "execution_domain", values: []string{req.GetId().GetDomain()}},
		}
		if req.GetId().GetName() != "" {
			base = append(base, filter{ent: entExecution, fn: "eq", field: "execution_name", values: []string{req.GetId().GetName()}})
		}
		hasState := false
		for _, f := range fs {
			hasState = hasState || f.field == "state"
		}
		fs = append(base, fs...)
		if !hasState {
			// Archived executions are hidden unless the caller filters on state.
			fs = append(fs, filter{ent: entExecution, fn: "eq", field: "state", values: []string{"0"}})
		}
		page, token, err := list(s.db.executions, execAccessor, fs, srt, entExecution, offset, int(req.GetLimit()))
		if err != nil {
			return nil, err
		}
		out := &admin.ExecutionList{Token: token, Executions: make([]*admin.Execution, len(page))}
		for i, e := range page {
			x := s.executionMsg(e)
			trimExecution(x)
			// Deprecated inline inputs are cleared on list, as the real manager does.
			if x.Spec != nil {
				x.Spec.Inputs = nil
			}
			x.Closure.ComputedInputs = nil
			out.Executions[i] = x
		}
		return out, nil
	})
}

// GetExecutionData implements service.AdminServiceServer.
func (s *Server) GetExecutionData(ctx context.Context, req *admin.WorkflowExecutionGetDataRequest) (*admin.WorkflowExecutionGetDataResponse, error) {
	return call(s, ctx, "GetExecutionData", req, func(req *admin.WorkflowExecutionGetDataRequest) (*admin.WorkflowExecutionGetDataResponse, error) {
		e := s.db.execution(req.GetId())
		if e == nil {
			return nil, executionNotFound(req.GetId())
		}
		if e.data == nil {
			return &admin.WorkflowExecutionGetDataResponse{}, nil
		}
		return proto.Clone(e.data).(*admin.WorkflowExecutionGetDataResponse), nil
	})
}

// GetNodeExecution implements service.AdminServiceServer.
func (s *Server) GetNodeExecution(ctx context.Context, req *admin.NodeExecutionGetRequest) (*admin.NodeExecution, error) {
	return call(s, ctx, "GetNodeExecution", req, func(req *admin.NodeExecutionGetRequest) (*admin.NodeExecution, error) {
		// The real manager only logs an invalid id, then the lookup fails.
		n := s.db.node(req.GetId())
		if n == nil {
			return nil, nodeExecutionNotFound(req.GetId())
		}
		return proto.Clone(n.msg).(*admin.NodeExecution), nil
	})
}

// ListNodeExecutions implements service.AdminServiceServer.
func (s *Server) ListNodeExecutions(ctx context.Context, req *admin.NodeExecutionListRequest) (*admin.NodeExecutionList, error) {
	return call(s, ctx, "ListNodeExecutions", req, func(req *admin.NodeExecutionListRequest) (*admin.NodeExecutionList, error) {
		if validateWorkflowExecutionID(req.GetWorkflowExecutionId()) != nil {
			return nil, missingArgument("execution_id")
		}
		if req.GetLimit() == 0 {
			return nil, invalidArgument("limit")
		}
		e := s.db.execution(req.GetWorkflowExecutionId())
		var rows []*nodeRec
		if pid := req.GetUniqueParentId(); pid != "" {
			parentID := &core.NodeExecutionIdentifier{ExecutionId: req.GetWorkflowExecutionId(), NodeId: pid}
			parent := s.db.node(parentID)
			if parent == nil {
				return nil, nodeExecutionNotFound(parentID)
			}
			rows = parent.children
		} else if e != nil {
			rows = e.topLevel
		}
		fs, err := parseFilters(req.GetFilters(), entNodeExecution)
		if err != nil {
			return nil, err
		}
		srt, err := parseSort(req.GetSortBy(), entNodeExecution)
		if err != nil {
			return nil, err
		}
		offset, err := parseToken(req.GetToken(), "ListNodeExecutions")
		if err != nil {
			return nil, err
		}
		page, token, err := list(rows, nodeAccessor, fs, srt, entNodeExecution, offset, int(req.GetLimit()))
		if err != nil {
			return nil, err
		}
		out := &admin.NodeExecutionList{Token: token, NodeExecutions: make([]*admin.NodeExecution, len(page))}
		for i, n := range page {
			x := proto.Clone(n.msg).(*admin.NodeExecution)
			trimNode(x)
			out.NodeExecutions[i] = x
		}
		return out, nil
	})
}

// GetNodeExecutionData implements service.AdminServiceServer.
func (s *Server) GetNodeExecutionData(ctx context.Context, req *admin.NodeExecutionGetDataRequest) (*admin.NodeExecutionGetDataResponse, error) {
	return call(s, ctx, "GetNodeExecutionData", req, func(req *admin.NodeExecutionGetDataRequest) (*admin.NodeExecutionGetDataResponse, error) {
		n := s.db.node(req.GetId())
		if n == nil {
			return nil, nodeExecutionNotFound(req.GetId())
		}
		out := &admin.NodeExecutionGetDataResponse{}
		if n.data != nil {
			out = proto.Clone(n.data).(*admin.NodeExecutionGetDataResponse)
		}
		if out.FlyteUrls == nil {
			id := req.GetId()
			base := fmt.Sprintf("flyte://v1/%s/%s/%s/%s", id.GetExecutionId().GetProject(),
				id.GetExecutionId().GetDomain(), id.GetExecutionId().GetName(), id.GetNodeId())
			out.FlyteUrls = &admin.FlyteURLs{Inputs: base + "/i", Outputs: base + "/o"}
			if n.msg.GetClosure().GetDeckUri() != "" {
				out.FlyteUrls.Deck = base + "/d"
			}
		}
		return out, nil
	})
}

// GetTaskExecution implements service.AdminServiceServer.
func (s *Server) GetTaskExecution(ctx context.Context, req *admin.TaskExecutionGetRequest) (*admin.TaskExecution, error) {
	return call(s, ctx, "GetTaskExecution", req, func(req *admin.TaskExecutionGetRequest) (*admin.TaskExecution, error) {
		id := proto.Clone(req).(*admin.TaskExecutionGetRequest).GetId()
		// The HTTP path carries no resource type, so admin assumes TASK.
		if id.GetTaskId() != nil && id.GetTaskId().GetResourceType() == core.ResourceType_UNSPECIFIED {
			id.TaskId.ResourceType = core.ResourceType_TASK
		}
		if err := validateTaskExecutionID(id); err != nil {
			return nil, err
		}
		t := s.db.task(id)
		if t == nil {
			return nil, taskExecutionNotFound(id)
		}
		return proto.Clone(t.msg).(*admin.TaskExecution), nil
	})
}

// ListTaskExecutions implements service.AdminServiceServer. Messages are not trimmed.
func (s *Server) ListTaskExecutions(ctx context.Context, req *admin.TaskExecutionListRequest) (*admin.TaskExecutionList, error) {
	return call(s, ctx, "ListTaskExecutions", req, func(req *admin.TaskExecutionListRequest) (*admin.TaskExecutionList, error) {
		if err := validateNodeExecutionID(req.GetNodeExecutionId()); err != nil {
			return nil, err
		}
		if req.GetLimit() == 0 {
			return nil, invalidArgument("limit")
		}
		fs, err := parseFilters(req.GetFilters(), entTaskExecution)
		if err != nil {
			return nil, err
		}
		srt, err := parseSort(req.GetSortBy(), entTaskExecution)
		if err != nil {
			return nil, err
		}
		offset, err := parseToken(req.GetToken(), "ListTaskExecutions")
		if err != nil {
			return nil, err
		}
		// No existence check: an unknown node lists as empty.
		var rows []*taskRec
		if n := s.db.node(req.GetNodeExecutionId()); n != nil {
			rows = n.tasks
		}
		page, token, err := list(rows, taskAccessor, fs, srt, entTaskExecution, offset, int(req.GetLimit()))
		if err != nil {
			return nil, err
		}
		out := &admin.TaskExecutionList{Token: token, TaskExecutions: make([]*admin.TaskExecution, len(page))}
		for i, t := range page {
			out.TaskExecutions[i] = proto.Clone(t.msg).(*admin.TaskExecution)
		}
		return out, nil
	})
}

// GetVersion implements service.AdminServiceServer.
func (s *Server) GetVersion(ctx context.Context, req *admin.GetVersionRequest) (*admin.GetVersionResponse, error) {
	return call(s, ctx, "GetVersion", req, func(*admin.GetVersionRequest) (*admin.GetVersionResponse, error) {
		v := s.opts.Version
		if v == nil {
			// What the v1.16.8 Makefile's ldflags produce (git describe --long, short hash, date).
			v = &admin.Version{Build: "51877f899", Version: "v1.16.8-0-g51877f899", BuildTime: "2026-07-09"}
		}
		return &admin.GetVersionResponse{ControlPlaneVersion: proto.Clone(v).(*admin.Version)}, nil
	})
}

// ListProjects implements service.AdminServiceServer. Limit 0 means no limit.
func (s *Server) ListProjects(ctx context.Context, req *admin.ProjectListRequest) (*admin.Projects, error) {
	return call(s, ctx, "ListProjects", req, func(req *admin.ProjectListRequest) (*admin.Projects, error) {
		fs, err := parseFilters(req.GetFilters(), entProject)
		if err != nil {
			return nil, err
		}
		srt, err := parseSort(req.GetSortBy(), entProject)
		if err != nil {
			return nil, err
		}
		if srt == nil {
			srt = &sortSpec{key: "identifier", asc: true}
		}
		offset, err := parseToken(req.GetToken(), "ListProjects")
		if err != nil {
			return nil, err
		}
		if len(fs) == 0 {
			// Archived projects are hidden only when no filter is given.
			fs = []filter{{ent: entProject, fn: "ne", field: "state", values: []string{"1"}}}
		}
		page, token, err := list(s.db.projects, projectAccessor, fs, srt, entProject, offset, int(req.GetLimit()))
		if err != nil {
			return nil, err
		}
		out := &admin.Projects{Token: token, Projects: make([]*admin.Project, len(page))}
		for i, p := range page {
			out.Projects[i] = s.projectMsg(p)
		}
		return out, nil
	})
}

func (s *Server) projectMsg(p *projectRec) *admin.Project {
	out := proto.Clone(p.msg).(*admin.Project)
	out.Domains = s.domains()
	return out
}

func (s *Server) domains() []*admin.Domain {
	out := make([]*admin.Domain, len(s.db.domains))
	for i, d := range s.db.domains {
		out[i] = proto.Clone(d).(*admin.Domain)
	}
	return out
}

// GetProject implements service.AdminServiceServer.
func (s *Server) GetProject(ctx context.Context, req *admin.ProjectGetRequest) (*admin.Project, error) {
	return call(s, ctx, "GetProject", req, func(req *admin.ProjectGetRequest) (*admin.Project, error) {
		if req.GetId() == "" {
			return nil, missingArgument("project_id")
		}
		for _, p := range s.db.projects {
			if p.msg.GetId() == req.GetId() {
				return s.projectMsg(p), nil
			}
		}
		return nil, projectNotFound(req.GetId())
	})
}

// GetDomains implements service.AdminServiceServer.
func (s *Server) GetDomains(ctx context.Context, req *admin.GetDomainRequest) (*admin.GetDomainsResponse, error) {
	return call(s, ctx, "GetDomains", req, func(*admin.GetDomainRequest) (*admin.GetDomainsResponse, error) {
		return &admin.GetDomainsResponse{Domains: s.domains()}, nil
	})
}
