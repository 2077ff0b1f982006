package fakeadmin

import (
	"context"
	"strings"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/flyteorg/flyte/flyteidl/gen/pb-go/flyteidl/service"
)

// Auth turns auth on: the server advertises an identity provider through AuthMetadataService
// and every AdminService and IdentityService call must carry a bearer token Verify accepts,
// in flyte-authorization or authorization, as flyteadmin reads them.
type Auth struct {
	Metadata     *service.OAuth2MetadataResponse
	PublicClient *service.PublicClientAuthConfigResponse
	// Verify checks a token (signature, expiry, revocation) and says whose it is.
	Verify func(ctx context.Context, token string) (Identity, error)
}

// Identity is the user a token stands for.
type Identity struct {
	Subject string
	Name    string
	Email   string
	Expiry  time.Time
}

// authenticate returns the caller's identity, or Unauthenticated; with auth off, nothing.
func (s *Server) authenticate(ctx context.Context) (Identity, error) {
	a := s.opts.Auth
	if a == nil {
		return Identity{}, nil
	}
	md, _ := metadata.FromIncomingContext(ctx)
	vals := md.Get("flyte-authorization")
	if len(vals) == 0 {
		vals = md.Get("authorization")
	}
	if len(vals) == 0 {
		return Identity{}, status.Error(codes.Unauthenticated, "token parse error [JWT_VERIFICATION_FAILED] Could not retrieve bearer token from metadata")
	}
	tok, ok := strings.CutPrefix(vals[0], "Bearer ")
	if !ok {
		return Identity{}, status.Error(codes.Unauthenticated, "token parse error [JWT_VERIFICATION_FAILED] Could not retrieve bearer token from metadata")
	}
	id, err := a.Verify(ctx, tok)
	if err != nil {
		return Identity{}, status.Errorf(codes.Unauthenticated, "token parse error [JWT_VERIFICATION_FAILED] Could not verify token: %v", err)
	}
	return id, nil
}

type authMetadata struct{ a *Auth }

func (m authMetadata) GetOAuth2Metadata(context.Context, *service.OAuth2MetadataRequest) (*service.OAuth2MetadataResponse, error) {
	return proto.Clone(m.a.Metadata).(*service.OAuth2MetadataResponse), nil
}

func (m authMetadata) GetPublicClientConfig(context.Context, *service.PublicClientAuthConfigRequest) (*service.PublicClientAuthConfigResponse, error) {
	return proto.Clone(m.a.PublicClient).(*service.PublicClientAuthConfigResponse), nil
}

type identity struct{ s *Server }

func (i identity) UserInfo(ctx context.Context, _ *service.UserInfoRequest) (*service.UserInfoResponse, error) {
	i.s.inst.mu.Lock()
	i.s.inst.calls["UserInfo"]++
	i.s.inst.total++
	i.s.inst.mu.Unlock()
	id, err := i.s.authenticate(ctx)
	if err != nil {
		return nil, err
	}
	return &service.UserInfoResponse{Subject: id.Subject, Name: id.Name, Email: id.Email}, nil
}
