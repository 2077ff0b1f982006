package cli

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"regexp/syntax"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/flytedoctor/flytedoctor/bundle"
	"github.com/flytedoctor/flytedoctor/cmd/internal/execarg"
	"github.com/flytedoctor/flytedoctor/collectors/evidence"
	"github.com/flytedoctor/flytedoctor/collectors/flyteconfig"
	"github.com/flytedoctor/flytedoctor/collectors/kube"
	"github.com/flytedoctor/flytedoctor/collectors/userinput"
	"github.com/flytedoctor/flytedoctor/internal/oneline"
	"github.com/flytedoctor/flytedoctor/internal/redact"
	"github.com/flytedoctor/flytedoctor/report"
	"github.com/flytedoctor/flytedoctor/rules"
	"github.com/flyteorg/flyte/flyteidl/gen/pb-go/flyteidl/admin"
	"github.com/flyteorg/flyte/flyteidl/gen/pb-go/flyteidl/core"
)

// bundleOptions are the flags bundle adds to diagnose's; -f/--output-file names the bundle.
type bundleOptions struct {
	Out      string // -f, from diagnoseOptions.OutputFile
	Redact   []string
	LogBytes int64
	LogPods  int
	MaxSize  int64
}

// Bounds on what the bundle reads beyond the collectors.
const (
	maxBundleTasks    = 50 // task definitions (GetTask)
	maxBundleNodes    = 50 // nodes the pods ran on
	maxBundleAttempts = 50 // nodes that succeeded whose attempts are read (ListTaskExecutions)
)

func (bo *bundleOptions) addFlags(fl *pflag.FlagSet) {
	fl.StringArrayVar(&bo.Redact, "redact", nil, "also remove what this regular expression matches (repeatable; with a group, the first group only)")
	fl.Int64Var(&bo.LogBytes, "log-bytes", bundle.DefaultLogBytes, "most bytes kept of each container log: its head and its tail")
	fl.IntVar(&bo.LogPods, "log-pods", bundle.DefaultLogPods, "most pods whose logs are read (pods that did not succeed)")
	fl.Int64Var(&bo.MaxSize, "max-size", bundle.DefaultTotalBytes, "most bytes of all files together; what does not fit is left out and listed")
}

func (bo *bundleOptions) validate() error {
	switch {
	case bo.LogBytes < 1024:
		return usagef("--log-bytes must be at least 1024, got %d", bo.LogBytes)
	case bo.LogPods < 0:
		return usagef("--log-pods must not be negative, got %d", bo.LogPods)
	case bo.MaxSize < 1<<20:
		return usagef("--max-size must be at least 1048576 (1 MiB), got %d", bo.MaxSize)
	}
	return nil
}

func (bo *bundleOptions) limits() bundle.Limits {
	return bundle.Limits{LogBytes: bo.LogBytes, LogPods: bo.LogPods, TotalBytes: bo.MaxSize}
}

func newCmdBundle(f *Factory) *cobra.Command {
	o := &diagnoseOptions{}
	bo := &bundleOptions{}
	cmd := &cobra.Command{
		Use:   "bundle EXECUTION",
		Short: "Write a support bundle: everything about an execution in one redacted tar.gz",
		Long: `bundle collects what diagnose collects, plus the raw Admin responses, the Kubernetes objects
as v1 Lists, the logs of the pods that did not succeed (head and tail of each), the task
definitions and the nodes the pods ran on, and writes them with the report into one tar.gz
that 'flytedoctor analyze' reads on a machine with no access to the cluster.

Credentials are removed before anything is written (AWS keys and session tokens, bearer
tokens and JWTs, OAuth client secrets, passwords in URLs, docker config auths, PEM private
keys, values of env vars and annotations named like *KEY*, *SECRET*, *TOKEN*, *PASSWORD*,
*CREDENTIAL*), plus what --redact and flytedoctor.redact in the config match.
redactions.json in the bundle says what was removed where, never the secret.`,
		Example: `  flytedoctor bundle flytesnacks/development/a4t8tqkzr9xw2bnl5mfd
  flytedoctor bundle -f /tmp/case-1234.tar.gz --redact 'acme-internal-[0-9]+' a4t8tqkzr9xw2bnl5mfd
  flytedoctor bundle redact old.tar.gz -f new.tar.gz --redact 'customer-[a-z]+'`,
		Args: func(cmd *cobra.Command, args []string) error {
			if err := suggestCommand(cmd, args); err != nil {
				return err
			}
			if len(args) != 1 {
				return usagef("expected one execution, got %d arguments; accepted forms: %s", len(args), execarg.Forms)
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Execution = args[0]
			o.insecureSet = cmd.Flags().Changed("insecure")
			if err := o.validate(); err != nil {
				return err
			}
			if err := bo.validate(); err != nil {
				return err
			}
			bo.Out = o.OutputFile
			cfg, err := o.loadConfig(f)
			if err != nil {
				return err
			}
			return runBundle(cmd.Context(), f, o, bo, cfg, commandLine(cmd, args))
		},
	}
	o.addFlags(cmd)
	bo.addFlags(cmd.Flags())
	cmd.Flags().Lookup("output-file").Usage = "where to write the bundle (default flytedoctor-PROJECT-DOMAIN-NAME.tar.gz; - for stdout)"
	for _, n := range []string{"output", "fail-on", "no-color"} {
		_ = cmd.Flags().MarkHidden(n) // the bundle is the output
	}
	registerDiagnoseCompletions(f, cmd)
	cmd.AddCommand(newCmdBundleRedact(f))
	return cmd
}

// commandLine is how the command was run, rebuilt from its parsed flags: the values of
// --redact (which may quote a secret) are masked; the rest is redacted with the bundle.
func commandLine(cmd *cobra.Command, args []string) []string {
	out := strings.Fields(cmd.CommandPath())
	cmd.Flags().Visit(func(fl *pflag.Flag) {
		vals := []string{fl.Value.String()}
		if sv, ok := fl.Value.(pflag.SliceValue); ok {
			vals = sv.GetSlice()
		}
		for _, v := range vals {
			if fl.Name == "redact" {
				v = redact.Marker("redact-pattern")
			}
			out = append(out, "--"+fl.Name+"="+v)
		}
	})
	return append(out, args...)
}

// newRedactor builds the bundle's redactor: the built-in rules, flytedoctor.redact and
// --redact patterns, and the secrets flytedoctor itself can see (the config's client secret
// and storage keys, credentials in its environment).
func newRedactor(f *Factory, cfg *flyteconfig.Config, flags []string) (*redact.Redactor, error) {
	var pats []*regexp.Regexp
	compile := func(p, where string) error {
		re, err := regexp.Compile(p)
		if err != nil {
			why := err.Error()
			var se *syntax.Error
			if errors.As(err, &se) {
				why = se.Code.String() // the whole error would echo the pattern
			}
			return usagef("%s %s is not a regular expression: %s", where, userinput.Quote(p), why)
		}
		if re.MatchString("") {
			return usagef("%s %s matches the empty string: it would remove nothing or everything", where, userinput.Quote(p))
		}
		pats = append(pats, re)
		return nil
	}
	for i, p := range cfg.Doctor.Redact {
		if err := compile(p, fmt.Sprintf("flytedoctor.redact[%d] in %s:", i, configName(cfg))); err != nil {
			return nil, err
		}
	}
	for _, p := range flags {
		if err := compile(p, "--redact"); err != nil {
			return nil, err
		}
	}
	return redact.New(redact.Options{Patterns: pats, Known: knownSecrets(f, cfg)}), nil
}

// credentialEnv are environment variables whose values are credentials wherever they show up.
var credentialEnv = []string{
	"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN",
	"FLYTE_CLIENT_SECRET", "FLYTE_CREDENTIALS_CLIENT_SECRET", "FLYTE_AWS_SECRET_ACCESS_KEY",
}

// maxSecretFile bounds what is read of a client secret file.
const maxSecretFile = 64 << 10

func knownSecrets(f *Factory, cfg *flyteconfig.Config) []redact.Known {
	var out []redact.Known
	add := func(v, src string) {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, redact.Known{Value: v, Source: src})
		}
	}
	for _, name := range credentialEnv {
		add(f.Getenv(name), "env "+name)
	}
	if name := cfg.Admin.ClientSecretEnvVar; name != "" {
		add(f.Getenv(name), "env "+name+" (admin.clientSecretEnvVar)")
	}
	if p := cfg.Admin.ClientSecretLocation; p != "" {
		b, _ := readBounded(p, maxSecretFile) // what was read, even of a read that failed
		add(string(b), "admin.clientSecretLocation")
	}
	add(cfg.Storage.Connection.SecretKey, "storage.connection.secret-key")
	add(cfg.Storage.Connection.AccessKey, "storage.connection.access-key")
	for k, v := range cfg.Storage.Stow.Config {
		if redact.NameLooksSecret(k) {
			add(v, "storage.stow.config."+k)
		}
	}
	return out
}

// bundleRun is what a bundle run read beyond the snapshot.
type bundleRun struct {
	admin *bundle.AdminRecorder
	tasks bundle.TaskGetter
	kube  *bundle.KubeRecorder
	close func() error
}

// recordingFactory is f with the Admin and Kubernetes clients wrapped in recorders, so that
// the bundle holds the raw responses the collectors read.
func recordingFactory(f *Factory, run *bundleRun) *Factory {
	df := *f
	df.ConnectAdmin = func(ctx context.Context, cfg *flyteconfig.Config, ua string) (*AdminSession, error) {
		sess, err := f.ConnectAdmin(ctx, cfg, ua)
		if err != nil {
			return nil, err
		}
		run.admin = &bundle.AdminRecorder{API: sess.API, Now: f.Now}
		run.tasks, _ = sess.API.(bundle.TaskGetter)
		run.close = sess.Close
		s := *sess
		s.API = run.admin
		s.Close = func() error { return nil } // the bundle still reads task definitions
		return &s, nil
	}
	df.KubeClient = func(o kube.ClientOptions) (kubernetes.Interface, kube.ClusterInfo, error) {
		c, info, err := f.KubeClient(o)
		if c == nil {
			return c, info, err
		}
		run.kube = bundle.NewKubeRecorder(c)
		return run.kube, info, err
	}
	return &df
}

func runBundle(ctx context.Context, f *Factory, o *diagnoseOptions, bo *bundleOptions, cfg *flyteconfig.Config, cmdline []string) error {
	_, _, err := bundleExecution(ctx, f, o, bo, cfg, cmdline)
	return err
}

// bundleExecution collects the execution, writes its bundle and returns the snapshot the
// run collected (before redaction) with the rules' config: what a live diagnose would judge.
func bundleExecution(ctx context.Context, f *Factory, o *diagnoseOptions, bo *bundleOptions, cfg *flyteconfig.Config, cmdline []string) (*evidence.Snapshot, rules.Config, error) {
	red, err := newRedactor(f, cfg, bo.Redact)
	if err != nil {
		return nil, rules.Config{}, err
	}
	id, err := execarg.Parse(o.Execution, cmp.Or(o.Project, cfg.Project), cmp.Or(o.Domain, cfg.Domain))
	if err != nil {
		return nil, rules.Config{}, &usageError{err}
	}
	out := bundlePath(bo.Out, id)
	run := &bundleRun{}
	deadline := time.Now().Add(o.Timeout) // a context's deadline is wall-clock time, whatever f.Now says
	snap, rcfg, derr := diagnose(ctx, recordingFactory(f, run), o, cfg)
	if run.close != nil {
		defer run.close()
	}
	if derr != nil && run.admin == nil {
		return nil, rcfg, derr // nothing was sent: a usage error, or no connection
	}
	b, err := buildBundle(ctx, f, o, bo, cfg, run, red, id, snap, rcfg, derr, out, deadline, cmdline)
	if err != nil {
		return nil, rcfg, err
	}
	progress := newProgress(f)
	progress.Printf("writing %s…", out)
	if out == "-" {
		err = b.Write(f.IO.Out)
	} else {
		err = bundle.WriteFile(out, b)
	}
	progress.Done()
	if err != nil {
		return nil, rcfg, err
	}
	summarize(f, out, b)
	if derr != nil {
		return nil, rcfg, fmt.Errorf("%s; the bundle %s holds what was collected", oneline.Fold(derr.Error()), displayPath(out))
	}
	return snap, rcfg, nil
}

func buildBundle(ctx context.Context, f *Factory, o *diagnoseOptions, bo *bundleOptions, cfg *flyteconfig.Config, run *bundleRun,
	red *redact.Redactor, id evidence.ExecutionID, snap *evidence.Snapshot, rcfg rules.Config, derr error, out string, deadline time.Time, cmdline []string) (*bundle.Builder, error) {
	ctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	limits := bo.limits()
	b := bundle.NewBuilder(red, limits, bundleRoot(out, id), f.Now())
	m := b.Manifest()
	m.Tool = evidence.Tool{Name: "flytedoctor", Version: f.Version}
	m.CommandLine = cmdline
	m.Target = id
	b.Note("admin/: the responses the collectors read, kept as protos and written as Admin's HTTP API writes them (protojson: proto field names, unpopulated fields included); admin/calls.json gives the request of each")
	b.Note("kube/: the objects the collectors read, as the API returned them (managedFields dropped), as v1 Lists")
	var extras []bundle.CollectorRun
	progress := newProgress(f)
	defer progress.Done()
	if snap != nil {
		progress.Printf("reading task definitions…")
		if r, ok := bundleAttempts(ctx, f, run, snap); ok {
			extras = append(extras, r)
		}
		if r, ok := bundleTasks(ctx, f, run, snap); ok {
			extras = append(extras, r)
		}
		if run.kube != nil {
			progress.Printf("reading nodes and logs…")
			if r, ok := bundleNodes(ctx, f, run); ok {
				extras = append(extras, r)
			}
		}
	}
	var logs []bundle.Log
	if run.kube != nil && snap != nil {
		var hits []bundle.LimitHit
		var lr bundle.CollectorRun
		logs, hits, lr = bundle.FetchLogs(ctx, run.kube.Interface, run.kube.Objects().Pods, limits, f.Now)
		extras = append(extras, lr)
		for _, h := range hits {
			b.Hit(h)
		}
	}
	progress.Done()

	if snap != nil {
		redSnap, err := b.AddSnapshot(snap)
		if err != nil {
			return nil, err
		}
		// The bundle's report is the redacted snapshot's: what analyze will print.
		rep := report.New(redSnap, rules.Run(redSnap, rules.Table(), rcfg))
		if err := addReports(b, rep); err != nil {
			return nil, err
		}
		for _, rec := range redSnap.Collection {
			m.Collectors = append(m.Collectors, collectorRun(rec))
		}
		if redSnap.Storage != nil {
			if err := b.AddValue(bundle.ProbesFile, redSnap.Storage); err != nil {
				return nil, err
			}
		}
	} else {
		m.Error = oneline.Fold(derr.Error())
	}
	m.Collectors = append(m.Collectors, extras...)
	if err := b.AddAdmin(run.admin.Calls()); err != nil {
		return nil, err
	}
	if run.kube != nil {
		if err := b.AddKube(run.kube.Objects()); err != nil {
			return nil, err
		}
	}
	if cfg.Path != "" {
		if data, err := readBounded(cfg.Path, 1<<20); err == nil {
			b.AddConfig(data)
		}
	}
	b.AddLogs(logs)
	return b, nil
}

// addReports adds the report as JSON, and as Markdown when that format is registered (as
// text otherwise).
func addReports(b *bundle.Builder, rep *report.Report) error {
	var buf bytes.Buffer
	if err := report.WriteJSON(&buf, rep); err != nil {
		return err
	}
	b.AddJSON(bundle.ReportJSONFile, buf.Bytes())
	name, format := "report.md", "markdown"
	r, err := report.Lookup(format)
	if err != nil {
		name, format = "report.txt", "text"
		if r, err = report.Lookup(format); err != nil {
			return err
		}
	}
	buf.Reset()
	if err := r.Render(&buf, []*report.Report{rep}, report.Options{Style: report.NewStyle(false)}); err != nil {
		return err
	}
	b.AddText(name, buf.String())
	return nil
}

func collectorRun(rec evidence.CollectorRecord) bundle.CollectorRun {
	r := bundle.CollectorRun{Name: rec.Collector, Status: rec.Status, SkipReason: rec.SkipReason, Duration: rec.Duration, Calls: rec.TotalCalls()}
	for _, e := range rec.Errors {
		r.Errors = append(r.Errors, fmt.Sprintf("%s %s: %s: %s", e.Method, e.Target, e.Code, e.Message))
	}
	return r
}

// bundleTasks reads the task definitions of the attempts (their images and resources), for
// diff; false when Admin's client cannot read them.
func bundleTasks(ctx context.Context, f *Factory, run *bundleRun, snap *evidence.Snapshot) (bundle.CollectorRun, bool) {
	if run.tasks == nil {
		return bundle.CollectorRun{}, false
	}
	start := f.Now()
	r := bundle.CollectorRun{Name: "admin-tasks", Status: evidence.StatusOK}
	ids := taskIDs(snap, run.admin.Calls())
	if len(ids) > maxBundleTasks {
		r.Errors = append(r.Errors, fmt.Sprintf("%d task definitions; the first %d were read", len(ids), maxBundleTasks))
		ids = ids[:maxBundleTasks]
	}
	for _, t := range ids {
		_, err := run.admin.GetTask(ctx, run.tasks, &admin.ObjectGetRequest{Id: &core.Identifier{
			ResourceType: core.ResourceType_TASK, Project: t.Project, Domain: t.Domain, Name: t.Name, Version: t.Version}})
		r.Calls++
		if err != nil {
			r.Errors = append(r.Errors, fmt.Sprintf("GetTask %s/%s/%s@%s: %s", t.Project, t.Domain, t.Name, t.Version, oneline.Fold(err.Error())))
		}
	}
	if len(r.Errors) > 0 {
		r.Status = evidence.StatusPartial
		if len(r.Errors) >= r.Calls {
			r.Status = evidence.StatusFailed
		}
	}
	if r.Calls == 0 {
		r.Status, r.SkipReason = evidence.StatusSkipped, "no task attempt was read"
	}
	r.Duration = evidence.Duration(f.Now().Sub(start))
	return r, true
}

// taskIDs lists the distinct tasks of the execution's attempts, child executions included,
// and of the attempts read beside the collector (bundleAttempts).
func taskIDs(snap *evidence.Snapshot, calls []bundle.AdminCall) []evidence.Identifier {
	var out []evidence.Identifier
	seen := map[evidence.Identifier]bool{}
	var walkNodes func([]*evidence.Node)
	walkNodes = func(nodes []*evidence.Node) {
		for _, n := range nodes {
			for _, a := range n.Attempts {
				id := a.TaskID
				id.ResourceType = ""
				if id.Name != "" && !seen[id] {
					seen[id] = true
					out = append(out, id)
				}
			}
			walkNodes(n.Children)
			if n.ChildExecution != nil {
				walkNodes(n.ChildExecution.Nodes)
			}
		}
	}
	if snap.Execution != nil {
		walkNodes(snap.Execution.Nodes)
	}
	for _, c := range calls {
		l, ok := c.Response.(*admin.TaskExecutionList)
		if !ok {
			continue
		}
		for _, te := range l.GetTaskExecutions() {
			t := te.GetId().GetTaskId()
			id := evidence.Identifier{Project: t.GetProject(), Domain: t.GetDomain(), Name: t.GetName(), Version: t.GetVersion()}
			if id.Name != "" && !seen[id] {
				seen[id] = true
				out = append(out, id)
			}
		}
	}
	return out
}

// bundleAttempts reads the attempts of top-level task nodes that succeeded (the collector
// reads only those of nodes that did not): the task versions and pods diff compares with a
// failed run.
func bundleAttempts(ctx context.Context, f *Factory, run *bundleRun, snap *evidence.Snapshot) (bundle.CollectorRun, bool) {
	if snap.Execution == nil {
		return bundle.CollectorRun{}, false
	}
	type target struct {
		exec evidence.ExecutionID
		node string
	}
	var targets []target
	// The top-level task nodes: what a comparison of two runs looks at first. Children of a
	// node that succeeded are not read at all, and thousands of dynamic children would cost
	// as many calls.
	for _, n := range snap.Execution.Nodes {
		if n.Kind == evidence.KindTask && len(n.Attempts) == 0 && n.ID != "start-node" && n.ID != "end-node" {
			targets = append(targets, target{snap.Execution.ID, n.ID})
		}
	}
	if len(targets) == 0 {
		return bundle.CollectorRun{}, false
	}
	start := f.Now()
	r := bundle.CollectorRun{Name: "admin-attempts", Status: evidence.StatusOK}
	if len(targets) > maxBundleAttempts {
		r.Errors = append(r.Errors, fmt.Sprintf("%d top-level task nodes succeeded; the attempts of the first %d were read", len(targets), maxBundleAttempts))
		targets = targets[:maxBundleAttempts]
	}
	for _, t := range targets {
		_, err := run.admin.ListTaskExecutions(ctx, &admin.TaskExecutionListRequest{
			NodeExecutionId: &core.NodeExecutionIdentifier{NodeId: t.node, ExecutionId: &core.WorkflowExecutionIdentifier{Project: t.exec.Project, Domain: t.exec.Domain, Name: t.exec.Name}},
			Limit:           100,
		})
		r.Calls++
		if err != nil {
			r.Errors = append(r.Errors, fmt.Sprintf("ListTaskExecutions %s node %s: %s", t.exec, t.node, oneline.Fold(err.Error())))
		}
	}
	if len(r.Errors) > 0 {
		r.Status = evidence.StatusPartial
	}
	r.Duration = evidence.Duration(f.Now().Sub(start))
	return r, true
}

// bundleNodes reads the nodes the recorded pods ran on (their pools and instance types);
// false when there are none to read.
func bundleNodes(ctx context.Context, f *Factory, run *bundleRun) (bundle.CollectorRun, bool) {
	objs := run.kube.Objects()
	have := map[string]bool{}
	for _, n := range objs.Nodes {
		have[n.Name] = true
	}
	var names []string
	for _, p := range objs.Pods {
		if n := p.Spec.NodeName; n != "" && !have[n] {
			have[n] = true
			names = append(names, n)
		}
	}
	if len(names) == 0 {
		return bundle.CollectorRun{}, false
	}
	slices.Sort(names)
	start := f.Now()
	r := bundle.CollectorRun{Name: "kube-nodes", Status: evidence.StatusOK}
	if len(names) > maxBundleNodes {
		r.Errors = append(r.Errors, fmt.Sprintf("pods ran on %d nodes; the first %d were read", len(names), maxBundleNodes))
		names = names[:maxBundleNodes]
	}
	for _, n := range names {
		node, err := run.kube.Interface.CoreV1().Nodes().Get(ctx, n, metav1.GetOptions{})
		r.Calls++
		if err != nil {
			r.Errors = append(r.Errors, fmt.Sprintf("get nodes %s: %s", n, oneline.Fold(err.Error())))
			continue
		}
		run.kube.AddNodes(*node)
	}
	if len(r.Errors) > 0 {
		r.Status = evidence.StatusPartial
		if len(r.Errors) >= r.Calls {
			r.Status = evidence.StatusFailed
		}
	}
	r.Duration = evidence.Duration(f.Now().Sub(start))
	return r, true
}

// bundlePath is where the bundle goes: -f (checked like any -f), or the default name.
func bundlePath(flag string, id evidence.ExecutionID) string {
	if flag == "" {
		return "flytedoctor-" + safeName(id.Project+"-"+id.Domain+"-"+id.Name) + ".tar.gz"
	}
	return flag
}

// bundleRoot is the directory the members live under: the file's name without .tar.gz.
func bundleRoot(out string, id evidence.ExecutionID) string {
	if out == "-" {
		return "flytedoctor-" + safeName(id.Project+"-"+id.Domain+"-"+id.Name)
	}
	base := filepath.Base(out)
	for _, ext := range []string{".tar.gz", ".tgz", ".tar"} {
		if s, ok := strings.CutSuffix(base, ext); ok && s != "" {
			return safeName(s)
		}
	}
	return safeName(base)
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

func safeName(s string) string {
	s = unsafeName.ReplaceAllString(s, "_")
	if strings.Trim(s, ".") == "" {
		return "bundle"
	}
	return s
}

func displayPath(out string) string {
	if out == "-" {
		return "on stdout"
	}
	return userinput.ClipPath(out)
}

func readBounded(path string, limit int64) ([]byte, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	return io.ReadAll(io.LimitReader(fh, limit))
}

// summarize says on stderr what was written, and which limits changed what it holds.
func summarize(f *Factory, out string, b *bundle.Builder) {
	var size int64
	files := b.Files()
	for _, fl := range files {
		size += fl.Size
	}
	m := b.Manifest()
	where := userinput.ClipPath(out)
	if out != "-" {
		if st, err := os.Stat(out); err == nil {
			where += fmt.Sprintf(" (%s)", byteSize(st.Size()))
		}
	}
	fmt.Fprintf(f.IO.ErrOut, "flytedoctor: wrote %s: %d files, %s uncompressed; %s removed (redactions.json)\n",
		where, len(files)+1, byteSize(size), plural(m.Redactions, "secret"))
	for _, h := range m.LimitsHit {
		fmt.Fprintf(f.IO.ErrOut, "  limit %s: %s %s\n", h.Limit, h.File, h.Detail)
	}
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

func byteSize(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
