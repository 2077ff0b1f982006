package cli

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
	"github.com/spf13/cobra"
	authv1 "k8s.io/api/authentication/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/flyteorg/flyte/flyteidl/gen/pb-go/flyteidl/service"

	"github.com/flytedoctor/flytedoctor/collectors/evidence"
	"github.com/flytedoctor/flytedoctor/collectors/flyteadmin/adminclient"
	"github.com/flytedoctor/flytedoctor/collectors/flyteconfig"
	"github.com/flytedoctor/flytedoctor/collectors/kube"
	"github.com/flytedoctor/flytedoctor/collectors/s3"
	"github.com/flytedoctor/flytedoctor/internal/oneline"
)

// authOptions are the flags of `flytedoctor auth ...`: which config, cluster and AWS identity.
type authOptions struct {
	d diagnoseOptions
}

func (o *authOptions) addFlags(cmd *cobra.Command, layers bool) {
	fl := cmd.Flags()
	fl.StringVarP(&o.d.ConfigPath, "config", "c", "", "flytectl config file (default $FLYTECTL_CONFIG, then ~/.flyte/config.yaml)")
	fl.StringVar(&o.d.AdminEndpoint, "admin-endpoint", "", "Flyte Admin endpoint, overrides admin.endpoint")
	fl.BoolVar(&o.d.Insecure, "insecure", false, "plaintext gRPC to Flyte Admin, overrides admin.insecure")
	fl.DurationVar(&o.d.Timeout, "timeout", 5*time.Minute, "time limit for the command, a login included")
	if layers {
		fl.StringVar(&o.d.Kubeconfig, "kubeconfig", "", "kubeconfig file (default $KUBECONFIG, then ~/.kube/config, then in-cluster)")
		fl.StringVar(&o.d.KubeContext, "context", "", "kubeconfig context (default: the current context)")
		fl.StringVar(&o.d.AWSProfile, "aws-profile", "", "AWS shared-config profile (default: the SDK's chain)")
		fl.StringVar(&o.d.AWSRegion, "aws-region", "", "AWS region")
		fl.StringVar(&o.d.S3Endpoint, "s3-endpoint", "", "S3 endpoint for MinIO-style storage")
	}
}

func (o *authOptions) prepare(cmd *cobra.Command, f *Factory) (*flyteconfig.Config, error) {
	o.d.insecureSet = cmd.Flags().Changed("insecure")
	if o.d.Timeout <= 0 {
		return nil, usagef("--timeout must be positive, got %s", o.d.Timeout)
	}
	cfg, err := o.d.loadConfig(f)
	if err != nil {
		return nil, err
	}
	if err := checkEndpoint(&o.d, cfg); err != nil {
		return nil, err
	}
	return cfg, nil
}

// runE is an auth subcommand's RunE: the config read and checked, then body under --timeout.
func (o *authOptions) runE(f *Factory, body func(ctx context.Context, cfg *flyteconfig.Config) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, _ []string) error {
		cfg, err := o.prepare(cmd, f)
		if err != nil {
			return err
		}
		ctx, cancel := context.WithTimeout(cmd.Context(), o.d.Timeout)
		defer cancel()
		return body(ctx, cfg)
	}
}

func newCmdAuth(f *Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "auth",
		Short: "Show or set up the identities flytedoctor uses (Admin login, Kubernetes, AWS)",
		Long: `Admin calls use admin.authType from the flytectl config. With Pkce or DeviceFlow the token
comes from flytedoctor's cache (` + cacheDirHelp() + `), else from the token
flytectl keeps in the OS keyring (read only), else from a login, and is renewed with its
refresh token.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	status := newCmdAuthStatus(f)
	cmd.AddCommand(status, newCmdAuthLogin(f), newCmdAuthLogout(f))
	return cmd
}

func cacheDirHelp() string {
	if d, err := adminclient.DefaultTokenCacheDir(); err == nil {
		return d + "/tokens"
	}
	return "the user config dir/flytedoctor/tokens"
}

func newCmdAuthStatus(f *Factory) *cobra.Command {
	o := &authOptions{}
	cmd := &cobra.Command{
		Use:     "status",
		Aliases: []string{"whoami"},
		Short:   "Which identity Admin, Kubernetes and AWS calls would use",
		Args:    noArgs,
		RunE: o.runE(f, func(ctx context.Context, cfg *flyteconfig.Config) error {
			w := f.IO.Out
			adminStatus(ctx, f, w, cfg)
			kubeStatus(ctx, f, w, o)
			awsStatus(ctx, f, w, o, cfg)
			return nil
		}),
	}
	o.addFlags(cmd, true)
	return cmd
}

func newCmdAuthLogin(f *Factory) *cobra.Command {
	o := &authOptions{}
	cmd := &cobra.Command{
		Use:   "login",
		Short: "Log in to Flyte Admin (Pkce or DeviceFlow) and cache the token",
		Args:  noArgs,
		RunE: o.runE(f, func(ctx context.Context, cfg *flyteconfig.Config) error {
			conn, err := dialConn(ctx, f.AdminOptions(cfg))
			if err != nil {
				return err
			}
			defer conn.Close()
			info, err := conn.Login(ctx)
			if err != nil {
				return err
			}
			if !info.AuthOn {
				_, err = fmt.Fprintf(f.IO.Out, "Flyte Admin at %s has auth off: no login needed\n", cfg.Admin.Endpoint)
				return err
			}
			fmt.Fprintf(f.IO.Out, "Logged in to %s with %s%s\n", cfg.Admin.Endpoint, info.AuthType, subjectPart(info))
			if info.Saved {
				fmt.Fprintf(f.IO.Out, "Token saved to %s\n", info.CachePath)
			}
			return nil
		}),
	}
	o.addFlags(cmd, false)
	return cmd
}

func newCmdAuthLogout(f *Factory) *cobra.Command {
	o := &authOptions{}
	cmd := &cobra.Command{
		Use:   "logout",
		Short: "Remove flytedoctor's cached Admin token (flytectl's keyring entry is left alone)",
		Args:  noArgs,
		RunE: o.runE(f, func(ctx context.Context, cfg *flyteconfig.Config) error {
			opts := f.AdminOptions(cfg)
			opts.NoLogin = true
			conn, err := dialConn(ctx, opts)
			if err != nil {
				return err
			}
			defer conn.Close()
			path, removed, err := conn.Logout(ctx)
			switch {
			case err != nil:
				return err
			case removed:
				_, err = fmt.Fprintf(f.IO.Out, "Removed %s\n", path)
			case path == "":
				_, err = fmt.Fprintf(f.IO.Out, "Nothing to remove: authType %s keeps no token in flytedoctor's cache\n", cfg.Admin.AuthType)
			default:
				_, err = fmt.Fprintf(f.IO.Out, "Nothing to remove: no cached token at %s\n", path)
			}
			return err
		}),
	}
	o.addFlags(cmd, false)
	return cmd
}

func subjectPart(in adminclient.AuthInfo) string {
	if in.Subject == "" {
		return ""
	}
	return " as " + in.Subject
}

func row(w io.Writer, label, format string, args ...any) {
	fmt.Fprintf(w, "  %-10s  %s\n", label, fmt.Sprintf(format, args...))
}

// adminStatus never starts a login: it says what a run would send.
func adminStatus(ctx context.Context, f *Factory, w io.Writer, cfg *flyteconfig.Config) {
	fmt.Fprintf(w, "Flyte Admin  %s\n", cfg.Admin.Endpoint)
	opts := f.AdminOptions(cfg)
	opts.NoLogin = true
	conn, err := dialConn(ctx, opts)
	if err != nil {
		row(w, "error", "%s", oneline.Fold(err.Error()))
		return
	}
	defer conn.Close()
	info, err := conn.Authenticate(ctx)
	switch {
	case err != nil && !info.AuthOn:
		row(w, "error", "%s", oneline.Fold(err.Error()))
		return
	case !info.AuthOn:
		row(w, "auth", "off on the server (no AuthMetadataService): calls carry no token")
		return
	case info.AuthOn:
		client := ""
		if info.ClientID != "" {
			client = ", client " + info.ClientID
		}
		row(w, "auth", "%s%s, header %s", info.AuthType, client, info.Header)
	}
	if info.KeyringNote != "" {
		row(w, "keyring", "%s", info.KeyringNote)
	}
	for _, n := range info.Notes {
		row(w, "note", "%s", n)
	}
	if err != nil {
		row(w, "token", "none usable: %s", oneline.Fold(err.Error()))
		return
	}
	src := info.Source
	if info.Saved && !strings.Contains(src, info.CachePath) {
		src += ", saved to " + info.CachePath
	}
	exp := "no expiry"
	if !info.Expiry.IsZero() {
		exp = fmt.Sprintf("expires %s (in %s)", info.Expiry.UTC().Format(time.RFC3339), info.Expiry.Sub(f.Now()).Round(time.Second))
	}
	row(w, "token", "from %s, %s", src, exp)
	ui, err := service.NewIdentityServiceClient(conn).UserInfo(ctx, &service.UserInfoRequest{})
	if err != nil {
		row(w, "user", "unknown: UserInfo failed: %s", oneline.Fold(err.Error()))
		return
	}
	who := ui.GetSubject()
	if n := ui.GetName(); n != "" {
		who += " (" + n + ")"
	}
	if e := ui.GetEmail(); e != "" {
		who += " <" + e + ">"
	}
	row(w, "user", "%s", who)
}

func kubeStatus(ctx context.Context, f *Factory, w io.Writer, o *authOptions) {
	client, info, err := f.KubeClient(kube.ClientOptions{
		Kubeconfig: o.d.Kubeconfig, Context: o.d.KubeContext, UserAgent: "flytedoctor/" + f.Version,
		QPS: kube.DefaultQPS, Burst: kube.DefaultBurst, Timeout: 30 * time.Second, Getenv: f.Getenv,
	})
	if err != nil {
		fmt.Fprintf(w, "Kubernetes   none: %s\n", oneline.Fold(err.Error()))
		return
	}
	ctxName := info.Context
	if ctxName == "" {
		ctxName = "(in-cluster)"
	}
	fmt.Fprintf(w, "Kubernetes   context %s, server %s\n", ctxName, info.Server)
	r, err := client.AuthenticationV1().SelfSubjectReviews().Create(ctx, &authv1.SelfSubjectReview{}, metav1.CreateOptions{})
	if err != nil {
		row(w, "user", "unknown: %s", selfReviewError(err))
		return
	}
	u := r.Status.UserInfo
	groups := ""
	if len(u.Groups) > 0 {
		groups = " (groups " + strings.Join(u.Groups, ", ") + ")"
	}
	row(w, "user", "%s%s", u.Username, groups)
}

func awsStatus(ctx context.Context, f *Factory, w io.Writer, o *authOptions, cfg *flyteconfig.Config) {
	clients, err := f.StorageClients(ctx, s3.ClientOptions{
		Profile: o.d.AWSProfile, Region: o.d.AWSRegion, Endpoint: o.d.S3Endpoint,
		Connection: s3.ConnectionFromStorage(cfg.Storage), Getenv: f.Getenv,
	})
	if err != nil {
		fmt.Fprintf(w, "AWS          none: %s\n", oneline.Fold(err.Error()))
		return
	}
	id := clients.Identity
	fmt.Fprintf(w, "AWS          credentials from %s, region %s\n", keySource(id), id.Region)
	key := "access key " + maskKeyID(clients.AccessKeyID) + " from " + keySource(id)
	if clients.STS == nil {
		row(w, "identity", "unknown: %s; %s", cmp.Or(id.IdentityError, "no STS client for these credentials"), key)
		return
	}
	out, err := clients.STS.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		row(w, "identity", "unknown: %s; %s", stsError(err, f.Getenv), key)
		return
	}
	row(w, "identity", "%s (account %s)", deref(out.Arn), deref(out.Account))
}

// selfReviewError says in one line why the API server did not say who the user is.
func selfReviewError(err error) string {
	var se apierrors.APIStatus
	msg := oneline.Fold(err.Error())
	if errors.As(err, &se) {
		msg = oneline.Fold(se.Status().Message)
	}
	switch {
	case apierrors.IsForbidden(err):
		// "selfsubjectreviews.authentication.k8s.io is forbidden: User "x" cannot create ..."
		if _, after, ok := strings.Cut(msg, "forbidden: "); ok {
			msg = after
		}
		return "this user may not create selfsubjectreviews (authentication.k8s.io/v1), so the API server was not asked who it is: " + oneline.Clip(msg, 200)
	case apierrors.IsNotFound(err):
		return "the API server does not serve SelfSubjectReview (authentication.k8s.io/v1, Kubernetes 1.28 and later)"
	case apierrors.IsUnauthorized(err):
		return "the API server rejected the kubeconfig's credentials (401 Unauthorized): " + oneline.Clip(msg, 200)
	}
	return "SelfSubjectReview failed: " + oneline.Clip(msg, 300)
}

// stsError says in one line what the STS endpoint answered, or why it could not be reached.
func stsError(err error, getenv func(string) string) string {
	var re *awshttp.ResponseError
	var ae smithy.APIError
	var ue *url.Error
	where := ""
	switch {
	case errors.As(err, &re) && re.Response != nil && re.Response.Request != nil:
		where = " at " + endpointOf(re.Response.Request.URL)
	case errors.As(err, &ue):
		if u, perr := url.Parse(ue.URL); perr == nil {
			where = " at " + endpointOf(u)
		}
	}
	if where != "" {
		if v := cmp.Or(envName(getenv, "AWS_ENDPOINT_URL_STS"), envName(getenv, "AWS_ENDPOINT_URL")); v != "" {
			where += " (" + v + ")"
		}
	}
	if errors.As(err, &re) && re.HTTPStatusCode() != 0 {
		code, msg := "", ""
		if errors.As(err, &ae) {
			code, msg = oneline.Fold(ae.ErrorCode()), strings.TrimSuffix(oneline.Fold(ae.ErrorMessage()), ".")
		}
		s := fmt.Sprintf("STS GetCallerIdentity%s answered HTTP %d", where, re.HTTPStatusCode())
		if code != "" {
			s += " " + oneline.Clip(code, 60)
		}
		if msg != "" && msg != code {
			s += ": " + oneline.Clip(msg, 160)
		}
		switch st := re.HTTPStatusCode(); {
		case st == 404 || st == 405 || st == 501 || code == "NotImplemented" || code == "InvalidAction":
			s += ", so it does not implement STS (S3-only servers such as MinIO or versitygw do not)"
		case st == 401 || st == 403:
			s += ", so STS does not accept these credentials"
		}
		return s
	}
	cause := err
	for u := errors.Unwrap(cause); u != nil; u = errors.Unwrap(cause) {
		cause = u
	}
	return fmt.Sprintf("STS GetCallerIdentity%s failed: %s", where, oneline.Clip(oneline.Fold(cause.Error()), 200))
}

func endpointOf(u *url.URL) string { return u.Scheme + "://" + u.Host }

// envName returns name when it is set, so a message can say which variable sent a request where.
func envName(getenv func(string) string, name string) string {
	if getenv(name) != "" {
		return name
	}
	return ""
}

// keySource says where the access key id came from, in the words of the AWS docs.
func keySource(id evidence.StorageIdentity) string {
	switch src := id.Source; {
	case src == "env":
		return "the environment (AWS_ACCESS_KEY_ID)"
	case src == "config":
		return "storage.connection in the flytectl config"
	case strings.HasPrefix(src, "profile:"):
		return "AWS profile " + strings.TrimPrefix(src, "profile:") + " (shared config and credentials files)"
	case src == "web-identity":
		return "a web identity token (AWS_WEB_IDENTITY_TOKEN_FILE)"
	case src == "container":
		return "the container credentials endpoint"
	case src == "instance":
		return "instance metadata"
	case src == "assumed-role":
		return "assumed role " + id.AssumedRole
	case src == "":
		return "an unnamed provider"
	default:
		return src
	}
}

// maskKeyID shows the last four characters, as `aws configure list` does.
func maskKeyID(k string) string {
	if len(k) <= 4 {
		return "(" + strings.Repeat("*", len(k)) + ")"
	}
	return "****" + k[len(k)-4:]
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
