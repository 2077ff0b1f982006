package s3

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/credentials/ec2rolecreds"
	"github.com/aws/aws-sdk-go-v2/credentials/processcreds"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/feature/ec2/imds"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/flytedoctor/flytedoctor/collectors/evidence"
	"github.com/flytedoctor/flytedoctor/collectors/flyteconfig"
	"github.com/flytedoctor/flytedoctor/collectors/userinput"
	"github.com/flytedoctor/flytedoctor/internal/oneline"
	"github.com/flytedoctor/flytedoctor/internal/subproc"
)

// Name is the collector's name in evidence records and --skip.
const Name = "s3"

// DefaultRegion signs requests when neither flags, config nor the environment name a region;
// a bucket elsewhere then answers with a redirect, which the probes record.
const DefaultRegion = "us-east-1"

// DefaultClientTimeout bounds credential resolution and AssumeRole in NewClients.
const DefaultClientTimeout = 10 * time.Second

// ErrNoCredentials means the machine running flytedoctor has no AWS credentials at all. The
// collector is then skipped: that says nothing about the execution.
var ErrNoCredentials = errors.New("no AWS credentials found (environment, shared config, web identity, container or instance metadata)")

// S3API is the part of the S3 client the collector calls; *s3.Client satisfies it.
type S3API interface {
	HeadBucket(ctx context.Context, in *awss3.HeadBucketInput, optFns ...func(*awss3.Options)) (*awss3.HeadBucketOutput, error)
	GetBucketLocation(ctx context.Context, in *awss3.GetBucketLocationInput, optFns ...func(*awss3.Options)) (*awss3.GetBucketLocationOutput, error)
	HeadObject(ctx context.Context, in *awss3.HeadObjectInput, optFns ...func(*awss3.Options)) (*awss3.HeadObjectOutput, error)
	GetObject(ctx context.Context, in *awss3.GetObjectInput, optFns ...func(*awss3.Options)) (*awss3.GetObjectOutput, error)
	ListObjectsV2(ctx context.Context, in *awss3.ListObjectsV2Input, optFns ...func(*awss3.Options)) (*awss3.ListObjectsV2Output, error)
	PutObject(ctx context.Context, in *awss3.PutObjectInput, optFns ...func(*awss3.Options)) (*awss3.PutObjectOutput, error)
	DeleteObject(ctx context.Context, in *awss3.DeleteObjectInput, optFns ...func(*awss3.Options)) (*awss3.DeleteObjectOutput, error)
}

// STSAPI is the part of the STS client used; *sts.Client satisfies it.
type STSAPI interface {
	GetCallerIdentity(ctx context.Context, in *sts.GetCallerIdentityInput, optFns ...func(*sts.Options)) (*sts.GetCallerIdentityOutput, error)
	AssumeRole(ctx context.Context, in *sts.AssumeRoleInput, optFns ...func(*sts.Options)) (*sts.AssumeRoleOutput, error)
}

// ClientOptions says how to build the clients.
type ClientOptions struct {
	Profile  string // --aws-profile
	Region   string // --aws-region
	Endpoint string // --s3-endpoint
	// Connection is flytectl's storage.connection (see ConnectionFromStorage). Its endpoint and
	// region apply unless flags override them; its access key is used when auth-type is
	// accesskey and no --aws-profile is given.
	Connection flyteconfig.Connection
	// AssumeTaskRole is --as-task-role; AsTaskRole is the execution's IAM role
	// (Execution.IAMRole). A role is assumed whenever AsTaskRole is set; AssumeTaskRole without a
	// role records why nothing was assumed.
	AssumeTaskRole bool
	AsTaskRole     string
	// Getenv reads AWS_PROFILE (the identity's source name) and AWS_ENDPOINT_URL[_STS] (whether
	// STS can answer beside a custom S3 endpoint); nil means os.Getenv. The SDK itself reads the
	// process environment.
	Getenv func(string) string
	// HTTPClient replaces the SDK's; with AWS_CA_BUNDLE set the SDK accepts only an
	// *awshttp.BuildableClient. nil: the SDK's default.
	HTTPClient aws.HTTPClient
	// Timeout bounds credential resolution and AssumeRole; 0 means DefaultClientTimeout.
	Timeout time.Duration
	// For a shared-config credential_process: Stdin is passed to it when StdinTerminal says
	// it is a terminal (an MFA prompt), Stderr gets its stderr (nil: os.Stderr, as the SDK does).
	Stdin         io.Reader
	StdinTerminal bool
	Stderr        io.Writer
}

// Clients are the SDK clients the collector uses and who they act as.
type Clients struct {
	S3 S3API
	// STS is nil when no STS can answer for these credentials: storage.connection access keys,
	// or a custom non-AWS S3 endpoint without AWS_ENDPOINT_URL_STS / AWS_ENDPOINT_URL (MinIO).
	STS STSAPI
	// Identity has Source, Region, Endpoint and the task-role outcome; the collector adds the
	// account and ARN from STS.
	Identity evidence.StorageIdentity
	// AccessKeyID is the caller's access key id (not a secret; `auth status` names it when STS
	// cannot say whose it is).
	AccessKeyID string
}

// ConnectionFromStorage returns storage.connection, or the equivalent stow s3 config
// (storage.stow.config, as in flytekit's sample) when the connection section is empty.
func ConnectionFromStorage(st flyteconfig.Storage) flyteconfig.Connection {
	c := st.Connection
	if c != (flyteconfig.Connection{}) || !strings.EqualFold(st.Stow.Kind, "s3") {
		return c
	}
	sc := st.Stow.Config
	return flyteconfig.Connection{
		Endpoint:   sc["endpoint"],
		AuthType:   sc["auth_type"],
		AccessKey:  sc["access_key_id"],
		SecretKey:  sc["secret_key"],
		Region:     sc["region"],
		DisableSSL: strings.EqualFold(sc["disable_ssl"], "true"),
	}
}

// NewClients resolves credentials through the aws-sdk-go-v2 default chain (environment, shared
// config and AWS_PROFILE, web identity, container and instance metadata), or storage.connection
// access keys, and builds the S3 and STS clients. The endpoint is --s3-endpoint, else
// storage.connection.endpoint, else what the SDK reads (AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL);
// a custom endpoint gets path-style addressing. Without any credentials it returns an error
// wrapping ErrNoCredentials. A failed AssumeRole is not an error: it is recorded in Identity and
// the clients act as the caller.
func NewClients(ctx context.Context, o ClientOptions) (*Clients, error) {
	getenv := o.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	timeout := o.Timeout
	if timeout <= 0 {
		timeout = DefaultClientTimeout
	}
	conn := o.Connection
	useConn := o.Profile == "" && strings.EqualFold(conn.AuthType, "accesskey") && conn.AccessKey != ""

	opts := []func(*config.LoadOptions) error{
		// Probes report what a request gets: at most one retry on a throttled server, and no
		// clock-skew correction that would hide RequestTimeTooSkewed.
		config.WithRetryMaxAttempts(2),
		config.WithDisableClockSkewCorrection(aws.Bool(true)),
		// S3-compatible servers often reject the newer default checksum trailers.
		config.WithRequestChecksumCalculation(aws.RequestChecksumCalculationWhenRequired),
		config.WithResponseChecksumValidation(aws.ResponseChecksumValidationWhenRequired),
	}
	if o.Profile != "" {
		opts = append(opts, config.WithSharedConfigProfile(o.Profile))
	}
	if deadline, ok := ctx.Deadline(); ok {
		// A credential_process left to the SDK (behind an assumed role) then ends by the run's
		// deadline at the latest, not a minute later.
		opts = append(opts, config.WithProcessCredentialOptions(func(po *processcreds.Options) { po.Timeout = time.Until(deadline) }))
	}
	if r := cmp.Or(o.Region, conn.Region); r != "" {
		opts = append(opts, config.WithRegion(r))
	}
	if o.HTTPClient != nil {
		opts = append(opts, config.WithHTTPClient(o.HTTPClient))
	}
	if useConn {
		opts = append(opts, config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(conn.AccessKey, conn.SecretKey, "")))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("AWS config: %s", oneline.Fold(err.Error()))
	}
	if cfg.Region == "" {
		cfg.Region = DefaultRegion
	}
	process, top := credentialProcess(cfg)
	if top {
		cfg.Credentials = aws.NewCredentialsCache(processcreds.NewProviderCommand(processCommand(ctx, process, o)))
	}

	// The chain ends at instance metadata only when nothing else is configured. The SDK's IMDS
	// client retries for seconds on a machine that has none; IMDS answers in milliseconds where
	// it exists, so two quick attempts are enough.
	imdsOnly := aws.IsCredentialsProvider(cfg.Credentials, (*ec2rolecreds.Provider)(nil))
	if imdsOnly {
		client := imds.NewFromConfig(cfg, func(io *imds.Options) {
			io.Retryer = retry.AddWithMaxBackoffDelay(retry.AddWithMaxAttempts(retry.NewStandard(), 2), 200*time.Millisecond)
			io.DisableDefaultMaxBackoff = true // it would raise the cap to 1 s
		})
		cfg.Credentials = aws.NewCredentialsCache(ec2rolecreds.New(func(eo *ec2rolecreds.Options) { eo.Client = client }))
	}
	rctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	creds, err := cfg.Credentials.Retrieve(rctx)
	if err != nil {
		if imdsOnly {
			return nil, ErrNoCredentials
		}
		if process != "" && errors.Is(rctx.Err(), context.DeadlineExceeded) {
			by := "by the deadline"
			if ctx.Err() == nil {
				by = "within " + timeout.String()
			}
			return nil, fmt.Errorf("AWS credentials: the shared config's credential_process %s had not printed credentials %s", userinput.Quote(process), by)
		}
		if process != "" && rctx.Err() != nil {
			return nil, fmt.Errorf("AWS credentials: the shared config's credential_process %s was stopped before it printed credentials", userinput.Quote(process))
		}
		return nil, fmt.Errorf("AWS credentials: %s", oneline.Fold(err.Error()))
	}

	profile := cmp.Or(o.Profile, getenv("AWS_PROFILE"), "default")
	cl := &Clients{Identity: evidence.StorageIdentity{Source: sourceName(creds.Source, useConn, profile), Region: cfg.Region}, AccessKeyID: creds.AccessKeyID}
	endpoint := cmp.Or(o.Endpoint, connEndpoint(conn))
	cl.S3 = newS3(cfg, endpoint, &cl.Identity)
	switch {
	case useConn:
		cl.Identity.IdentityError = "storage.connection access keys: no STS to ask"
	case cl.Identity.Endpoint != "" && !awsHost(cl.Identity.Endpoint) &&
		getenv("AWS_ENDPOINT_URL_STS") == "" && getenv("AWS_ENDPOINT_URL") == "":
		// A MinIO-style endpoint: STS on AWS would not know these keys, and may not be reachable.
		cl.Identity.IdentityError = "custom S3 endpoint and no STS endpoint (AWS_ENDPOINT_URL_STS)"
	default:
		cl.STS = sts.NewFromConfig(cfg)
	}

	if o.AsTaskRole == "" {
		if o.AssumeTaskRole {
			cl.Identity.AssumeError = "the execution names no IAM role (security_context.run_as.iam_role or auth_role); probes ran as the caller"
		}
		return cl, nil
	}
	if cl.STS == nil {
		cl.Identity.AssumeError = "cannot assume " + o.AsTaskRole + ": " + cl.Identity.IdentityError + "; probes ran as the caller"
		return cl, nil
	}
	prov := aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(cl.STS, o.AsTaskRole, func(ao *stscreds.AssumeRoleOptions) {
		ao.RoleSessionName = "flytedoctor"
		ao.Duration = 15 * time.Minute // the STS minimum; a diagnosis takes seconds
	}))
	if _, err := prov.Retrieve(rctx); err != nil {
		cl.Identity.AssumeError = "cannot assume " + o.AsTaskRole + ": " + classify(err).describe() + "; probes ran as the caller"
		return cl, nil
	}
	role := cfg.Copy()
	role.Credentials = prov
	cl.Identity.Source, cl.Identity.AssumedRole, cl.Identity.IdentityError = "assumed-role", o.AsTaskRole, ""
	cl.S3 = newS3(role, endpoint, &cl.Identity)
	cl.STS = sts.NewFromConfig(role)
	return cl, nil
}

// credentialProcess returns the credential_process of the profile (or of its source_profile
// chain), and top when the SDK's chain chose it as the credentials, so that it can be run the
// way flytedoctor runs helpers (see processCommand). One behind an assumed role stays the
// SDK's: the run abandons it at its deadline and flytedoctor ends its processes at exit.
func credentialProcess(cfg aws.Config) (command string, top bool) {
	top = aws.IsCredentialsProvider(cfg.Credentials, (*processcreds.Provider)(nil))
	for _, src := range cfg.ConfigSources {
		var sc *config.SharedConfig
		switch c := src.(type) {
		case config.SharedConfig:
			sc = &c
		case *config.SharedConfig:
			sc = c
		}
		for ; sc != nil; sc = sc.Source {
			if sc.CredentialProcess != "" {
				return sc.CredentialProcess, top
			}
		}
	}
	return "", false
}

// processCommand builds credential_process commands as the SDK's default builder does (through
// the shell, with flytedoctor's environment), except that the process runs in its own process
// group, killed as a whole when the run's context (life) ends: the SDK's credentials cache runs
// providers without the caller's deadline, and the SDK kills only the shell, so whatever the
// shell started kept running after flytedoctor had exited. Stdin is passed only when it is a
// terminal, for MFA prompts; the process then stays in flytedoctor's process group.
func processCommand(life context.Context, command string, o ClientOptions) processcreds.NewCommandBuilderFunc {
	interactive := o.StdinTerminal && o.Stdin != nil
	stderr := o.Stderr
	if stderr == nil {
		stderr = os.Stderr
	}
	return func(ctx context.Context) (*exec.Cmd, error) {
		shell := []string{"sh", "-c"}
		if runtime.GOOS == "windows" {
			shell = []string{"cmd.exe", "/C"}
		}
		ctx, cancel := context.WithCancel(ctx) // ended by the provider's timeout, or by life
		context.AfterFunc(life, cancel)
		cmd := subproc.Command(ctx, interactive, shell[0], shell[1], command)
		cmd.Env = os.Environ()
		cmd.Stderr = stderr
		if interactive {
			cmd.Stdin = o.Stdin
		}
		return cmd, nil
	}
}

func newS3(cfg aws.Config, endpoint string, id *evidence.StorageIdentity) *awss3.Client {
	return awss3.NewFromConfig(cfg, func(so *awss3.Options) {
		if endpoint != "" {
			so.BaseEndpoint = aws.String(endpoint)
		}
		// BaseEndpoint is already resolved from AWS_ENDPOINT_URL[_S3] here. MinIO-style
		// servers serve buckets as paths, not as host names.
		if so.BaseEndpoint != nil {
			so.UsePathStyle = true
			id.Endpoint = *so.BaseEndpoint
		}
	})
}

// awsHost reports an endpoint on AWS itself (a VPC or FIPS endpoint, say), where STS answers.
func awsHost(endpoint string) bool {
	u, err := url.Parse(endpoint)
	if err != nil {
		return false
	}
	h := strings.ToLower(u.Hostname())
	return strings.HasSuffix(h, ".amazonaws.com") || strings.HasSuffix(h, ".amazonaws.com.cn")
}

// connEndpoint adds the scheme flytestdlib implies: http with disable-ssl, https otherwise.
func connEndpoint(c flyteconfig.Connection) string {
	ep := strings.TrimSpace(c.Endpoint)
	if ep == "" || strings.Contains(ep, "://") {
		return ep
	}
	if c.DisableSSL {
		return "http://" + ep
	}
	return "https://" + ep
}

// sourceName maps the SDK's credential source to StorageIdentity.Source.
func sourceName(src string, fromConn bool, profile string) string {
	switch {
	case fromConn:
		return "config"
	case src == config.CredentialsSourceName:
		return "env"
	case src == stscreds.WebIdentityProviderName:
		return "web-identity"
	case src == "CredentialsEndpointProvider":
		return "container"
	case src == ec2rolecreds.ProviderName:
		return "instance"
	case strings.HasPrefix(src, "SharedConfigCredentials"), src == stscreds.ProviderName,
		src == "SSOProvider", src == "ProcessProvider", src == "LoginProvider":
		return "profile:" + profile
	}
	return src
}
