package evidence

// Checks is what a preflight run (flytedoctor preflight) learned before anything was
// registered: what is about to run, what each probe saw, and each check's verdict. The
// verdicts are a pure function of Spec and Probes (package checks), so a saved snapshot can
// be judged again offline.
type Checks struct {
	Spec    PreflightSpec `json:"spec"`
	Probes  []ProbeRecord `json:"probes,omitempty"`
	Results []CheckResult `json:"results"`
	// Stopped says why the run ended before every probe had finished (--timeout, Ctrl-C); the
	// probes it cut short are skipped.
	Stopped string `json:"stopped,omitempty"`
}

// PreflightSpec is what is about to run: from flags, or from a `pyflyte package` archive.
type PreflightSpec struct {
	Project   string `json:"project"`
	Domain    string `json:"domain"`
	Namespace string `json:"namespace,omitempty"`
	// AdminEndpoint is the Flyte Admin asked; "" when none is configured.
	AdminEndpoint string `json:"admin_endpoint,omitempty"`
	// Package is the archive's file name, when the tasks came from one.
	Package string     `json:"package,omitempty"`
	Tasks   []TaskSpec `json:"tasks"`
	// WriteProbe and AsTaskRole are --write-probe and --as-task-role.
	WriteProbe bool `json:"write_probe,omitempty"`
	AsTaskRole bool `json:"as_task_role,omitempty"`
	// Skipped names the layers not checked at all (--skip), with the reason.
	Skipped map[string]string `json:"skipped,omitempty"`
	// Notes are things about the input worth saying (a task without a container, ...).
	Notes []string `json:"notes,omitempty"`
}

// TaskSpec is one task as it would run.
type TaskSpec struct {
	// Name is the task's name in a package; "" for what the flags describe.
	Name   string   `json:"name,omitempty"`
	Images []string `json:"images,omitempty"`
	// Platform is os/arch[/variant] the image must have ("linux/amd64").
	Platform string `json:"platform"`
	// Requests and Limits are Kubernetes quantities by resource name ("cpu": "2").
	Requests map[string]string `json:"requests,omitempty"`
	Limits   map[string]string `json:"limits,omitempty"`
	// ServiceAccount is the Kubernetes service account the pod runs as ("default" when unset).
	ServiceAccount  string      `json:"service_account"`
	IAMRole         string      `json:"iam_role,omitempty"`
	RawOutputPrefix string      `json:"raw_output_prefix,omitempty"`
	Secrets         []SecretRef `json:"secrets,omitempty"`
	// From says where the security context came from: "flags", "launch plan NAME", "task".
	From string `json:"from,omitempty"`
}

// SecretRef is a Flyte secret request: group is the Kubernetes Secret's name, key its key.
type SecretRef struct {
	Group string `json:"group"`
	Key   string `json:"key,omitempty"`
}

// String is GROUP/KEY, or GROUP alone.
func (s SecretRef) String() string {
	if s.Key == "" {
		return s.Group
	}
	return s.Group + "/" + s.Key
}

// ProbeRecord is what one probe saw about one subject. Exactly one of the layer fields is set
// unless the probe was skipped.
type ProbeRecord struct {
	Probe   string `json:"probe"`   // e.g. "image-manifest"
	Subject string `json:"subject"` // an image, a namespace, a bucket, an endpoint
	// Skipped says why the probe could not run (no kubeconfig, no credentials); its checks are
	// then skipped too, never passed.
	Skipped  string        `json:"skipped,omitempty"`
	Duration Duration      `json:"duration"`
	Error    *ProbeFailure `json:"error,omitempty"`
	Admin    *AdminProbe   `json:"admin,omitempty"`
	Image    *ImageProbe   `json:"image,omitempty"`
	Kube     *KubeProbe    `json:"kube,omitempty"`
	Storage  *Storage      `json:"storage,omitempty"`
}

// ProbeFailure is a request that did not get the answer it asked for.
type ProbeFailure struct {
	// Code is the gRPC code name, the Kubernetes reason (Forbidden, Unauthorized) or a short
	// word (Unreachable).
	Code    string `json:"code"`
	Message string `json:"message"`
}

// AdminProbe is what Flyte Admin answered.
type AdminProbe struct {
	Version string `json:"version,omitempty"` // GetVersion's control_plane_version.Version
	Build   string `json:"build,omitempty"`
	// ProjectFound, ProjectState and ProjectDomains answer for the project (ListProjects).
	ProjectFound   bool     `json:"project_found,omitempty"`
	ProjectState   string   `json:"project_state,omitempty"` // ACTIVE, ARCHIVED, SYSTEM_GENERATED, SYSTEM_ARCHIVED
	ProjectDomains []string `json:"project_domains,omitempty"`
	// Domains are the domains GetDomains lists (Admin v1.13+).
	Domains []string `json:"domains,omitempty"`
}

// ImageProbe is what the image's registry answered for its manifest.
type ImageProbe struct {
	Registry   string `json:"registry"`
	Repository string `json:"repository"`
	// Auth is how the request authenticated: "anonymous", "docker-config" (the keychain of the
	// machine running flytedoctor) or "pull-secret:NAME" (a service account's pull secret).
	Auth string `json:"auth"`
	// Outcome is "ok", "not-found", "unauthorized", "unreachable", "rate-limited" or "error".
	Outcome    string `json:"outcome"`
	HTTPStatus int    `json:"http_status,omitempty"`
	ErrorCode  string `json:"error_code,omitempty"` // MANIFEST_UNKNOWN, UNAUTHORIZED, TOOMANYREQUESTS, ...
	Message    string `json:"message,omitempty"`
	Digest     string `json:"digest,omitempty"`
	MediaType  string `json:"media_type,omitempty"`
	// Platforms are the index's platforms, or the single image's own (os/arch[/variant]).
	Platforms []string `json:"platforms,omitempty"`
	// AnonymousOK says, when Auth is not anonymous, whether an anonymous pull also works.
	AnonymousOK *bool `json:"anonymous_ok,omitempty"`
}

// Image probe outcomes.
const (
	ImageOK           = "ok"
	ImageNotFound     = "not-found"
	ImageUnauthorized = "unauthorized"
	ImageUnreachable  = "unreachable"
	ImageRateLimited  = "rate-limited"
	ImageError        = "error"
)

// KubeProbe is what the Kubernetes API answered; which fields are set depends on the probe.
type KubeProbe struct {
	Namespace string `json:"namespace,omitempty"`
	// Found is whether the object asked for (namespace, service account, secret) exists.
	Found bool `json:"found,omitempty"`
	// Phase is the namespace's phase (Active, Terminating).
	Phase          string          `json:"phase,omitempty"`
	LimitRanges    []LimitRange    `json:"limit_ranges,omitempty"`
	Quotas         []ResourceQuota `json:"quotas,omitempty"`
	Nodes          *NodeSummary    `json:"nodes,omitempty"`
	ServiceAccount *ServiceAccount `json:"service_account,omitempty"`
	// PullSecrets are the service account's image pull secrets: whether each could be read and
	// which registries it holds credentials for (never the credentials).
	PullSecrets []PullSecret `json:"pull_secrets,omitempty"`
}

// PullSecret is an image pull secret in short.
type PullSecret struct {
	Name       string   `json:"name"`
	Found      bool     `json:"found"`
	Registries []string `json:"registries,omitempty"`
	Error      string   `json:"error,omitempty"` // why it could not be read
}

// Check result statuses.
const (
	CheckPass = "pass"
	CheckWarn = "warn"
	CheckFail = "fail"
	CheckSkip = "skip" // could not be checked; see Summary
)

// CheckResult is one check's verdict on one subject.
type CheckResult struct {
	ID      string `json:"id"` // e.g. "FDP203"
	Title   string `json:"title"`
	Status  string `json:"status"`
	Task    string `json:"task,omitempty"` // the package task it is about
	Subject string `json:"subject"`
	Summary string `json:"summary"`
	Detail  string `json:"detail,omitempty"`
	Fix     string `json:"fix,omitempty"`
	// Commands are shell commands that help with the fix.
	Commands []string `json:"commands,omitempty"`
}
