package collection

import (
	"cmp"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/flytedoctor/flytedoctor/collectors/evidence"
	"github.com/flytedoctor/flytedoctor/rules/internal/pattern"
	"github.com/flytedoctor/flytedoctor/rules/internal/read"
	"github.com/flytedoctor/flytedoctor/rules/rule"
)

// Causes the family reports: how a collector's failed calls went wrong.
const (
	forbidden     = "forbidden"      // RBAC / IAM / Admin authorization refused a call
	unreachable   = "unreachable"    // no answer: network, DNS, TLS, timeouts, Unavailable
	partial       = "partial"        // other failed calls
	notConfigured = "not-configured" // flytedoctor lacked configuration or credentials
	// Calls the run's own --timeout or an interrupt cut short: grouped apart, reported as partial.
	cut = "cut"
)

// The collectors' record names, short for the switches below.
const (
	adminCollector   = evidence.CollectorAdmin
	kubeCollector    = evidence.CollectorKube
	storageCollector = evidence.CollectorStorage
)

var rbacRefusal = pattern.MustCompile(`User "([^"]+)" cannot (\w+) resource "([^"]+)" in API group "[^"]*" (?:in the namespace "([^"]+)"|at the cluster scope)`)

// causeOf sorts a collection error code into a cause.
func causeOf(code string) string {
	switch code {
	case "Forbidden", "PermissionDenied", "Unauthenticated", "Unauthorized", "AccessDenied":
		return forbidden
	case "Unavailable", "DeadlineExceeded", "Timeout", "ConnectionRefused", "DNSError", "TLSError",
		"NetworkError", "ServiceUnavailable":
		return unreachable
	case "ConfigError", "Invalid":
		return notConfigured
	case evidence.CodeRunTimeout, evidence.CodeInterrupted:
		return cut
	}
	return partial
}

// whatIsLost says what a failed call leaves out of the report.
func whatIsLost(collector, method string) string {
	switch collector + " " + method {
	case "kube list pods":
		return "the execution's pods (states, exit codes, reasons)"
	case "kube list events":
		return "kubelet and scheduler events"
	case "kube list resourcequotas":
		return "namespace quotas (why a task waits for resources)"
	case "kube list limitranges":
		return "limit ranges (default and maximum requests)"
	case "kube list nodes":
		return "node capacity, taints and labels (why a pod cannot be scheduled)"
	case "kube get pods/log":
		return "log tails of failed containers"
	case "kube get serviceaccounts":
		return "the pods' service accounts and their IAM role annotations"
	case "flyteadmin GetExecution":
		return "an execution (or a child execution)"
	case "flyteadmin ListNodeExecutions":
		return "node executions"
	case "flyteadmin GetNodeExecution":
		return "a node's full error (list calls trim it to 100 bytes)"
	case "flyteadmin ListTaskExecutions":
		return "task attempts (retries, pod names, reasons)"
	case "flyteadmin GetExecutionData":
		return "the execution's input and output locations"
	case "flyteadmin GetVersion":
		return "flyteadmin's version"
	}
	if collector == storageCollector {
		return "what the execution's storage paths allow"
	}
	return ""
}

// group is one collector's errors of one kind.
type group struct {
	rec  evidence.CollectorRecord
	errs []evidence.CollectionError
}

// groups returns, per collector in record order, its errors of the given kind.
func groups(snap *evidence.Snapshot, kind string) []group {
	var out []group
	for _, rec := range snap.Collection {
		if rec.Status != evidence.StatusPartial && rec.Status != evidence.StatusFailed {
			continue
		}
		g := group{rec: rec}
		for _, e := range rec.Errors {
			if causeOf(e.Code) == kind {
				g.errs = append(g.errs, e)
			}
		}
		if len(rec.Errors) == 0 && kind == partial {
			g.errs = []evidence.CollectionError{{Method: "Collect", Target: rec.Collector, Code: string(rec.Status),
				Message: "the collector recorded status " + string(rec.Status) + " without an error"}}
		}
		if len(g.errs) > 0 {
			out = append(out, g)
		}
	}
	return out
}

// describe summarises a group: the distinct calls, what they leave out, the evidence.
func describe(g group) (calls, codes, loses string, evidenceLines []string) {
	var c, k, l []string
	for _, e := range g.errs {
		if !slices.Contains(c, e.Method) {
			c = append(c, e.Method)
		}
		if !slices.Contains(k, e.Code) {
			k = append(k, e.Code)
		}
		if x := whatIsLost(g.rec.Collector, e.Method); x != "" && !slices.Contains(l, x) {
			l = append(l, x)
		}
		msg := e.Message
		if !strings.HasPrefix(msg, e.Code+": ") {
			msg = e.Code + ": " + msg
		}
		switch {
		case e.NotSent:
			msg += " (not sent)"
		case e.Attempts > 1:
			msg += fmt.Sprintf(" (%d attempts)", e.Attempts)
		}
		evidenceLines = append(evidenceLines, fmt.Sprintf("%s %s on %s: %s", g.rec.Collector, e.Method, read.OrUnknown(e.Target), msg))
	}
	if len(evidenceLines) > 8 {
		evidenceLines = append(evidenceLines[:8], fmt.Sprintf("... and %d more errors", len(evidenceLines)-8))
	}
	return strings.Join(c, ", "), strings.Join(k, ", "), strings.Join(l, "; "), evidenceLines
}

func subject(snap *evidence.Snapshot) rule.Subject {
	return rule.Subject{Execution: snap.Target.String()}
}

// count counts a group's failed calls the way the collection record counts calls
// and attempts ("1 call, 5 attempts"). Calls never sent (the run ended while they waited) are
// not among the record's calls: notSent counts them apart.
func count(g group) (sent int, count string, notSent int) {
	attempts := 0
	for _, e := range g.errs {
		if e.NotSent {
			notSent++
			continue
		}
		sent++
		attempts += e.Attempts
	}
	return sent, evidence.CountText(sent, attempts, g.rec.Attempts != nil), notSent
}

// noAnswer is the summary of calls that got no answer from service: "X did not
// answer ListNodeExecutions (Unavailable, 1 call, 5 attempts)", then the calls never sent.
func noAnswer(service string, g group, codes string) string {
	sent, count, notSent := count(g)
	var answered, unsent []string
	for _, e := range g.errs {
		l := &answered
		if e.NotSent {
			l = &unsent
		}
		if !slices.Contains(*l, e.Method) {
			*l = append(*l, e.Method)
		}
	}
	unsentCount := evidence.CountText(notSent, 0, false)
	if sent == 0 {
		return fmt.Sprintf("%s: %s not sent before the run ended (%s, %s)", service, strings.Join(unsent, ", "), codes, unsentCount)
	}
	s := fmt.Sprintf("%s did not answer %s (%s, %s)", service, strings.Join(answered, ", "), codes, count)
	if notSent > 0 {
		s += fmt.Sprintf("; %s not sent before the run ended (%s)", strings.Join(unsent, ", "), unsentCount)
	}
	return s
}

func detail(g group, loses string) string {
	d := fmt.Sprintf("%s (status %s): %s", g.rec.Collector, g.rec.Status, g.errs[0].Message)
	if loses != "" {
		d += "; the report lacks " + loses
	}
	return d
}

func reportForbidden(pass *rule.Pass) {
	snap := pass.Snapshot
	for _, g := range groups(snap, forbidden) {
		calls, codes, loses, ev := describe(g)
		h := rule.Hit{Cause: forbidden, Subject: subject(snap), Evidence: ev, Detail: detail(g, loses)}
		switch g.rec.Collector {
		case kubeCollector:
			if codes == "Unauthorized" {
				h.Summary = fmt.Sprintf("the Kubernetes API rejected flytedoctor's credentials (Unauthorized) on %s", calls)
				h.Fixes = []rule.Fix{{Action: "refresh the kubeconfig credentials (aws eks update-kubeconfig, gcloud container clusters get-credentials, az aks get-credentials) and rerun",
					Commands: []string{kubectl(snap) + " auth whoami"}}}
				break
			}
			h.Summary = fmt.Sprintf("RBAC forbade flytedoctor to %s", calls)
			h.Fixes = rbacFixes(snap, g)
		case adminCollector:
			id := snap.Target
			_, count, _ := count(g)
			h.Summary = fmt.Sprintf("Flyte Admin refused %s (%s, %s)", calls, codes, count)
			action := fmt.Sprintf("ask a Flyte administrator for read access to project %s, domain %s, then rerun", id.Project, id.Domain)
			if strings.Contains(codes, "Unauthenticated") {
				action = "log in to Flyte Admin again (check admin.authType and the cached token of your config.yaml), then rerun"
			}
			h.Fixes = []rule.Fix{{Action: action, Commands: []string{fmt.Sprintf("flytectl get execution -p %s -d %s %s", id.Project, id.Domain, id.Name)}}}
		default:
			h.Summary = fmt.Sprintf("%s was refused %s (%s)", g.rec.Collector, calls, codes)
			h.Fixes = []rule.Fix{{Action: "check flytedoctor's identity for " + g.rec.Collector, Commands: []string{"aws sts get-caller-identity"}}}
		}
		pass.Report(h)
	}
}

// kubectl is kubectl pointed at the context flytedoctor used.
func kubectl(snap *evidence.Snapshot) string {
	if k := snap.Kube; k != nil && k.Context != "" {
		return "kubectl --context " + k.Context
	}
	return "kubectl"
}

// rbacFixes checks each refused verb as the user the API server named, and grants
// docs/rbac.yaml's roles.
func rbacFixes(snap *evidence.Snapshot, g group) []rule.Fix {
	kubectl := kubectl(snap)
	var checks []string
	user := ""
	onlyNodes := true
	for _, e := range g.errs {
		verb, resource, ns := "", "", ""
		if m := rbacRefusal.FindStringSubmatch(e.Message); m != nil {
			user, verb, resource, ns = m[1], m[2], m[3], m[4]
		} else if v, r, ok := strings.Cut(e.Method, " "); ok {
			verb, resource = v, r
			ns = strings.TrimPrefix(e.Target, "namespace ")
			if ns == e.Target {
				ns = ""
			}
			if i := strings.IndexByte(ns, ' '); i >= 0 {
				ns = ns[:i]
			}
		}
		if resource == "" {
			continue
		}
		if resource != "nodes" {
			onlyNodes = false
		}
		c := fmt.Sprintf("%s auth can-i %s %s", kubectl, verb, resource)
		if ns != "" {
			c += " -n " + ns
		}
		if user != "" {
			c += " --as " + user
		}
		if !slices.Contains(checks, c) {
			checks = append(checks, c)
		}
	}
	fixes := []rule.Fix{}
	if len(checks) > 0 {
		fixes = append(fixes, rule.Fix{Action: "confirm what flytedoctor's user may do", Commands: checks})
	}
	subject := "--user=" + cmp.Or(user, "YOUR-USER")
	if sa := strings.TrimPrefix(user, "system:serviceaccount:"); sa != user {
		subject = "--serviceaccount=" + sa
	}
	if onlyNodes {
		fixes = append(fixes, rule.Fix{Action: "bind the read-only flytedoctor-nodes ClusterRole of docs/rbac.yaml (nodes are read only when a pod cannot be scheduled)",
			Commands: []string{"kubectl apply -f docs/rbac.yaml", fmt.Sprintf("%s create clusterrolebinding flytedoctor-nodes --clusterrole=flytedoctor-nodes %s", kubectl, subject)}})
	} else {
		fixes = append(fixes, rule.Fix{Action: "grant the read-only roles of docs/rbac.yaml (replace its subjects with flytedoctor's user first)",
			Commands: []string{"kubectl apply -f docs/rbac.yaml", fmt.Sprintf("%s create clusterrolebinding flytedoctor --clusterrole=flytedoctor %s", kubectl, subject)}})
	}
	return fixes
}

func reportUnreachable(pass *rule.Pass) {
	snap := pass.Snapshot
	for _, g := range groups(snap, unreachable) {
		calls, codes, loses, ev := describe(g)
		h := rule.Hit{Cause: unreachable, Subject: subject(snap), Evidence: ev, Detail: detail(g, loses)}
		timeout := strings.Contains(codes, "DeadlineExceeded") || strings.Contains(codes, "Timeout")
		switch g.rec.Collector {
		case adminCollector:
			endpoint := "Flyte Admin"
			if snap.Admin != nil && snap.Admin.Endpoint != "" {
				endpoint += " at " + snap.Admin.Endpoint
			}
			h.Summary = noAnswer(endpoint, g, codes)
			id := snap.Target
			h.Fixes = []rule.Fix{{Action: "check that " + endpoint + " is reachable from here (VPN, port-forward, DNS) and rerun",
				Commands: []string{fmt.Sprintf("flytectl get execution -p %s -d %s %s", id.Project, id.Domain, id.Name)}}}
		case kubeCollector:
			server := "the Kubernetes API"
			if snap.Kube != nil && snap.Kube.Server != "" {
				server += " at " + snap.Kube.Server
			}
			h.Summary = noAnswer(server, g, codes)
			h.Fixes = []rule.Fix{{Action: "check that " + server + " is reachable and rerun", Commands: []string{kubectl(snap) + " get --raw /readyz"}}}
		case storageCollector:
			h.Summary = noAnswer("the object store", g, codes)
			endpoint := ""
			if snap.Storage != nil {
				endpoint = snap.Storage.Identity.Endpoint
			}
			action := "check that the S3 endpoint is reachable from here (VPC endpoint, proxy, --s3-endpoint) and rerun"
			if endpoint != "" {
				action = "check that the S3 endpoint " + endpoint + " is reachable from here (proxy, --s3-endpoint) and rerun"
			}
			cmd := "aws s3api list-buckets --max-items 1"
			if b := bucket(g.errs[0].Target); b != "" {
				cmd = "aws s3api head-bucket --bucket " + b
			}
			h.Fixes = []rule.Fix{{Action: action, Commands: []string{cmd}}}
		default:
			h.Summary = fmt.Sprintf("%s got no answer to %s (%s)", g.rec.Collector, calls, codes)
			h.Fixes = []rule.Fix{{Action: "check the network path to " + g.rec.Collector + "'s service and rerun"}}
		}
		if timeout {
			h.Fixes = append(h.Fixes, rule.Fix{Action: "raise --timeout if the calls were only slow"})
		}
		pass.Report(h)
	}
}

func bucket(target string) string {
	if rest, ok := strings.CutPrefix(target, "s3://"); ok {
		b, _, _ := strings.Cut(rest, "/")
		return b
	}
	return ""
}

func reportIncomplete(pass *rule.Pass) {
	snap := pass.Snapshot
	for _, kind := range []string{notConfigured, cut, partial} {
		for _, g := range groups(snap, kind) {
			calls, codes, loses, ev := describe(g)
			h := rule.Hit{Cause: kind, Subject: subject(snap), Evidence: ev, Detail: detail(g, loses)}
			if kind == cut {
				pass.Report(cutHit(snap, h, g, calls))
				continue
			}
			if kind == notConfigured {
				h.Summary = fmt.Sprintf("%s could not start: %s", g.rec.Collector, read.FirstLine(g.errs[0].Message))
				h.Fixes = []rule.Fix{{Action: configFix(g.rec.Collector)}}
			} else {
				verb := "returned partial results"
				if g.rec.Status == evidence.StatusFailed {
					verb = "failed"
				}
				h.Summary = fmt.Sprintf("%s %s: %s failed (%s)", g.rec.Collector, verb, calls, codes)
				h.Fixes = []rule.Fix{{Action: "rerun; if it persists, read the collector errors in the evidence (flytedoctor -o json, key collection)"}}
			}
			pass.Report(h)
		}
	}
}

// cutHit words a collector that the run's stop cut short. The messages start with
// the stop's reason ("timed out after --timeout 5s: ...", "interrupted by SIGINT: ...").
func cutHit(snap *evidence.Snapshot, h rule.Hit, g group, calls string) rule.Hit {
	h.Cause = partial
	reason, _, ok := strings.Cut(g.errs[0].Message, ": ")
	if !ok {
		reason = "the run stopped"
	}
	h.Summary = fmt.Sprintf("%s was cut short: %s (%s)", g.rec.Collector, reason, calls)
	if g.errs[0].Code == evidence.CodeRunTimeout {
		h.Fixes = []rule.Fix{{Action: fmt.Sprintf("rerun with a longer --timeout, or --skip %s if it cannot answer in time", g.rec.Collector)}}
		if g.rec.Collector == adminCollector {
			h.Fixes = []rule.Fix{{Action: "rerun with a longer --timeout; Flyte Admin answered, but not every call in time"}}
		}
	} else {
		h.Fixes = []rule.Fix{{Action: "rerun and let it finish (--timeout bounds the run)"}}
	}
	// A credential helper that never answered is the likelier story than a slow service.
	for _, e := range g.errs {
		switch {
		case g.rec.Collector == kubeCollector && strings.Contains(e.Message, "exec credential plugin"):
			h.Fixes = append([]rule.Fix{{Action: "run the kubeconfig's exec credential plugin the way kubectl does and see what it waits for (a login, a network call)",
				Commands: []string{kubectl(snap) + " auth whoami"}}}, h.Fixes...)
		case g.rec.Collector == storageCollector && strings.Contains(e.Message, "credential_process"):
			h.Fixes = append([]rule.Fix{{Action: "run the AWS profile's credential_process the way the AWS CLI does and see what it waits for (a login, an MFA prompt)",
				Commands: []string{"aws sts get-caller-identity"}}}, h.Fixes...)
		default:
			continue
		}
		break
	}
	return h
}

func configFix(collector string) string {
	switch collector {
	case storageCollector:
		return "fix the AWS configuration flytedoctor uses (--aws-profile, --aws-region, --s3-endpoint, the storage.connection section of the Flyte config), or --skip s3"
	case kubeCollector:
		return "point flytedoctor at the cluster and namespace (--kubeconfig, --context, --namespace), or --skip kube"
	}
	return "fix " + collector + "'s configuration and rerun"
}

// reportSkipped reports collectors skipped for want of access or configuration, as info.
// A --skip the user asked for is no finding, nor is a storage collector with nothing to probe.
func reportSkipped(pass *rule.Pass) {
	snap := pass.Snapshot
	for _, rec := range snap.Collection {
		if rec.Status != evidence.StatusSkipped || strings.HasPrefix(rec.SkipReason, "--skip") {
			continue
		}
		h := rule.Hit{Cause: notConfigured, Subject: subject(snap), Evidence: []string{rec.Collector + " skipped: " + rec.SkipReason}}
		switch rec.Collector {
		case kubeCollector:
			why, _, _ := strings.Cut(rec.SkipReason, "; pass ")
			h.Summary = "Kubernetes evidence was not collected: " + why
			h.Detail = "pods, events, quotas and node state are missing; the rules classify from Admin's error alone"
			h.Fixes = []rule.Fix{{Action: "give flytedoctor cluster access (--kubeconfig, --context) to see pods and events"}}
		case storageCollector:
			if rec.SkipReason == "no s3:// paths to probe" {
				st := snap.Storage
				if st == nil || len(st.Unprobed) == 0 {
					continue
				}
				schemes := schemes(st.Unprobed)
				h.Summary = fmt.Sprintf("the execution's data is on %s, which flytedoctor does not probe", schemes)
				h.Detail = fmt.Sprintf("%d paths were not probed, e.g. %s (%s)", len(st.Unprobed), st.Unprobed[0].URI, read.OrUnknown(st.Unprobed[0].Reason))
				h.Fixes = []rule.Fix{{Action: "check the task's access to those paths with the cloud's own tools (gcloud storage ls, az storage blob list)"}}
				break
			}
			h.Summary = "storage paths were not probed: " + rec.SkipReason
			h.Detail = "the report cannot say whether the execution's data paths are readable; storage findings rely on Admin's error alone"
			h.Fixes = []rule.Fix{{Action: "give flytedoctor AWS credentials (--aws-profile, AWS_PROFILE, or the Flyte config's storage.connection) to probe the paths"}}
		default:
			h.Summary = rec.Collector + " was skipped: " + rec.SkipReason
			h.Fixes = []rule.Fix{{Action: "provide what " + rec.Collector + " needs and rerun"}}
		}
		pass.Report(h)
	}
}

func schemes(paths []evidence.StoragePath) string {
	var out []string
	for _, p := range paths {
		s, _, ok := strings.Cut(p.URI, "://")
		if ok && !slices.Contains(out, s+"://") {
			out = append(out, s+"://")
		}
	}
	sort.Strings(out)
	if len(out) == 0 {
		return "another storage"
	}
	return strings.Join(out, ", ")
}

// reportTaskRole reports an --as-task-role that could not be honoured: the probes then
// ran as flytedoctor's own identity.
func reportTaskRole(pass *rule.Pass) {
	snap := pass.Snapshot
	st := snap.Storage
	if st == nil || st.Identity.AssumeError == "" {
		return
	}
	id := st.Identity
	who := cmp.Or(id.ARN, "unknown")
	if who == "unknown" && id.Source != "" {
		who = "credentials from " + id.Source
	}
	h := rule.Hit{Subject: subject(snap), Evidence: []string{"storage identity: " + id.AssumeError},
		Detail: fmt.Sprintf("%s; the probes ran as %s, which may have other rights than the task", strings.TrimSuffix(id.AssumeError, "; probes ran as the caller"), who)}
	role := ""
	if ex := snap.Execution; ex != nil {
		role = ex.IAMRole
	}
	if strings.Contains(id.AssumeError, "AccessDenied") || strings.Contains(id.AssumeError, "not authorized") {
		h.Cause = forbidden
		h.Summary = "flytedoctor was not allowed to assume the task's role: the storage probes ran as flytedoctor"
		caller := cmp.Or(read.RoleFromPrincipal(id.ARN), who)
		h.Fixes = []rule.Fix{{Action: fmt.Sprintf("allow %s to assume %s (sts:AssumeRole in the role's trust policy), or rerun without --as-task-role and read the probes with that in mind", caller, cmp.Or(role, "the task's role")),
			Commands: []string{fmt.Sprintf("aws iam get-role --role-name %s --query Role.AssumeRolePolicyDocument", cmp.Or(read.RoleName(role), "ROLE_NAME"))}}}
		pass.Report(h)
		return
	}
	info := rule.Info
	h.Severity = &info
	h.Cause = notConfigured
	h.Summary = "--as-task-role could not be honoured: the storage probes ran as flytedoctor"
	h.Fixes = []rule.Fix{{Action: "name the task's role in the execution (security_context.run_as.iam_role) or use credentials with STS access, then rerun with --as-task-role"}}
	pass.Report(h)
}
