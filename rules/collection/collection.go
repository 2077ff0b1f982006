package collection

import (
	"cmp"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/flytedoctor/flytedoctor/collectors/evidence"
	"github.com/flytedoctor/flytedoctor/rules/internal/read"
	"github.com/flytedoctor/flytedoctor/rules/rule"
)

const collectionForbidden = "forbidden" // RBAC / IAM / Admin authorization refused a call

const collectionUnreachable = "unreachable" // no answer: network, DNS, TLS, timeouts, Unavailable

const collectionPartial = "partial" // other failed calls

const collectionNotConfigured = "not-configured" // flytedoctor lacked configuration or credentials

// Calls the run's own --timeout or an interrupt cut short: grouped apart, reported as partial.
const collectionCut = "cut"

const collectionAdmin = "flyteadmin"

const collectionKube = "kube"

const collectionS3 = "s3"

var collectionRBAC = regexp.MustCompile(`User "([^"]+)" cannot (\w+) resource "([^"]+)" in API group "[^"]*" (?:in the namespace "([^"]+)"|at the cluster scope)`)

// collectionKind sorts a collection error code into a cause.
func collectionKind(code string) string {
	switch code {
	case "Forbidden", "PermissionDenied", "Unauthenticated", "Unauthorized", "AccessDenied":
		return collectionForbidden
	case "Unavailable", "DeadlineExceeded", "Timeout", "ConnectionRefused", "DNSError", "TLSError",
		"NetworkError", "ServiceUnavailable":
		return collectionUnreachable
	case "ConfigError", "Invalid":
		return collectionNotConfigured
	case evidence.CodeRunTimeout, evidence.CodeInterrupted:
		return collectionCut
	}
	return collectionPartial
}

// collectionLoses says what a failed call leaves out of the report.
func collectionLoses(collector, method string) string {
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
	if collector == collectionS3 {
		return "what the execution's storage paths allow"
	}
	return ""
}

// collectionGroup is one collector's errors of one kind.
type collectionGroup struct {
	rec  evidence.CollectorRecord
	errs []evidence.CollectionError
}

// collectionGroups returns, per collector in record order, its errors of the given kind.
func collectionGroups(snap *evidence.Snapshot, kind string) []collectionGroup {
	var out []collectionGroup
	for _, rec := range snap.Collection {
		if rec.Status != evidence.StatusPartial && rec.Status != evidence.StatusFailed {
			continue
		}
		g := collectionGroup{rec: rec}
		for _, e := range rec.Errors {
			if collectionKind(e.Code) == kind {
				g.errs = append(g.errs, e)
			}
		}
		if len(rec.Errors) == 0 && kind == collectionPartial {
			g.errs = []evidence.CollectionError{{Method: "Collect", Target: rec.Collector, Code: rec.Status,
				Message: "the collector recorded status " + rec.Status + " without an error"}}
		}
		if len(g.errs) > 0 {
			out = append(out, g)
		}
	}
	return out
}

// collectionDescribe summarises a group: the distinct calls, what they leave out, the evidence.
func collectionDescribe(g collectionGroup) (calls, codes, loses string, evidenceLines []string) {
	var c, k, l []string
	for _, e := range g.errs {
		if !read.Contains(c, e.Method) {
			c = append(c, e.Method)
		}
		if !read.Contains(k, e.Code) {
			k = append(k, e.Code)
		}
		if x := collectionLoses(g.rec.Collector, e.Method); x != "" && !read.Contains(l, x) {
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

func collectionSubject(snap *evidence.Snapshot) rule.Subject {
	return rule.Subject{Execution: snap.Target.String()}
}

// collectionCount counts a group's failed calls the way the collection record counts calls
// and attempts ("1 call, 5 attempts"). Calls never sent (the run ended while they waited) are
// not among the record's calls: notSent counts them apart.
func collectionCount(g collectionGroup) (sent int, count string, notSent int) {
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

// collectionNoAnswer is the summary of calls that got no answer from service: "X did not
// answer ListNodeExecutions (Unavailable, 1 call, 5 attempts)", then the calls never sent.
func collectionNoAnswer(service string, g collectionGroup, codes string) string {
	sent, count, notSent := collectionCount(g)
	var answered, unsent []string
	for _, e := range g.errs {
		l := &answered
		if e.NotSent {
			l = &unsent
		}
		if !read.Contains(*l, e.Method) {
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

func collectionDetail(g collectionGroup, loses string) string {
	d := fmt.Sprintf("%s (status %s): %s", g.rec.Collector, g.rec.Status, g.errs[0].Message)
	if loses != "" {
		d += "; the report lacks " + loses
	}
	return d
}

func collectionForbiddenHits(snap *evidence.Snapshot) []rule.Hit {
	var hits []rule.Hit
	for _, g := range collectionGroups(snap, collectionForbidden) {
		calls, codes, loses, ev := collectionDescribe(g)
		h := rule.Hit{Cause: collectionForbidden, Subject: collectionSubject(snap), Evidence: ev, Detail: collectionDetail(g, loses)}
		switch g.rec.Collector {
		case collectionKube:
			if codes == "Unauthorized" {
				h.Summary = fmt.Sprintf("the Kubernetes API rejected flytedoctor's credentials (Unauthorized) on %s", calls)
				h.Fixes = []rule.Fix{{Action: "refresh the kubeconfig credentials (aws eks update-kubeconfig, gcloud container clusters get-credentials, az aks get-credentials) and rerun",
					Commands: []string{collectionKubectl(snap) + " auth whoami"}}}
				break
			}
			h.Summary = fmt.Sprintf("RBAC forbade flytedoctor to %s", calls)
			h.Fixes = collectionRBACFixes(snap, g)
		case collectionAdmin:
			id := snap.Target
			_, count, _ := collectionCount(g)
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
		hits = append(hits, h)
	}
	return hits
}

// collectionKubectl is kubectl pointed at the context flytedoctor used.
func collectionKubectl(snap *evidence.Snapshot) string {
	if k := snap.Kube; k != nil && k.Context != "" {
		return "kubectl --context " + k.Context
	}
	return "kubectl"
}

// collectionRBACFixes checks each refused verb as the user the API server named, and grants
// docs/rbac.yaml's roles.
func collectionRBACFixes(snap *evidence.Snapshot, g collectionGroup) []rule.Fix {
	kubectl := collectionKubectl(snap)
	var checks []string
	user := ""
	onlyNodes := true
	for _, e := range g.errs {
		verb, resource, ns := "", "", ""
		if m := collectionRBAC.FindStringSubmatch(e.Message); m != nil {
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
		if !read.Contains(checks, c) {
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

func collectionUnreachableHits(snap *evidence.Snapshot) []rule.Hit {
	var hits []rule.Hit
	for _, g := range collectionGroups(snap, collectionUnreachable) {
		calls, codes, loses, ev := collectionDescribe(g)
		h := rule.Hit{Cause: collectionUnreachable, Subject: collectionSubject(snap), Evidence: ev, Detail: collectionDetail(g, loses)}
		timeout := strings.Contains(codes, "DeadlineExceeded") || strings.Contains(codes, "Timeout")
		switch g.rec.Collector {
		case collectionAdmin:
			endpoint := "Flyte Admin"
			if snap.Admin != nil && snap.Admin.Endpoint != "" {
				endpoint += " at " + snap.Admin.Endpoint
			}
			h.Summary = collectionNoAnswer(endpoint, g, codes)
			id := snap.Target
			h.Fixes = []rule.Fix{{Action: "check that " + endpoint + " is reachable from here (VPN, port-forward, DNS) and rerun",
				Commands: []string{fmt.Sprintf("flytectl get execution -p %s -d %s %s", id.Project, id.Domain, id.Name)}}}
		case collectionKube:
			server := "the Kubernetes API"
			if snap.Kube != nil && snap.Kube.Server != "" {
				server += " at " + snap.Kube.Server
			}
			h.Summary = collectionNoAnswer(server, g, codes)
			h.Fixes = []rule.Fix{{Action: "check that " + server + " is reachable and rerun", Commands: []string{collectionKubectl(snap) + " get --raw /readyz"}}}
		case collectionS3:
			h.Summary = collectionNoAnswer("the object store", g, codes)
			endpoint := ""
			if snap.Storage != nil {
				endpoint = snap.Storage.Identity.Endpoint
			}
			action := "check that the S3 endpoint is reachable from here (VPC endpoint, proxy, --s3-endpoint) and rerun"
			if endpoint != "" {
				action = "check that the S3 endpoint " + endpoint + " is reachable from here (proxy, --s3-endpoint) and rerun"
			}
			cmd := "aws s3api list-buckets --max-items 1"
			if b := collectionBucket(g.errs[0].Target); b != "" {
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
		hits = append(hits, h)
	}
	return hits
}

func collectionBucket(target string) string {
	if rest, ok := strings.CutPrefix(target, "s3://"); ok {
		b, _, _ := strings.Cut(rest, "/")
		return b
	}
	return ""
}

func collectionOtherHits(snap *evidence.Snapshot) []rule.Hit {
	var hits []rule.Hit
	for _, kind := range []string{collectionNotConfigured, collectionCut, collectionPartial} {
		for _, g := range collectionGroups(snap, kind) {
			calls, codes, loses, ev := collectionDescribe(g)
			h := rule.Hit{Cause: kind, Subject: collectionSubject(snap), Evidence: ev, Detail: collectionDetail(g, loses)}
			if kind == collectionCut {
				hits = append(hits, collectionCutHit(snap, h, g, calls))
				continue
			}
			if kind == collectionNotConfigured {
				h.Summary = fmt.Sprintf("%s could not start: %s", g.rec.Collector, read.FirstLine(g.errs[0].Message))
				h.Fixes = []rule.Fix{{Action: collectionConfigFix(g.rec.Collector)}}
			} else {
				verb := "returned partial results"
				if g.rec.Status == evidence.StatusFailed {
					verb = "failed"
				}
				h.Summary = fmt.Sprintf("%s %s: %s failed (%s)", g.rec.Collector, verb, calls, codes)
				h.Fixes = []rule.Fix{{Action: "rerun; if it persists, read the collector errors in the evidence (flytedoctor -o json, key collection)"}}
			}
			hits = append(hits, h)
		}
	}
	return hits
}

// collectionCutHit words a collector that the run's stop cut short. The messages start with
// the stop's reason ("timed out after --timeout 5s: ...", "interrupted by SIGINT: ...").
func collectionCutHit(snap *evidence.Snapshot, h rule.Hit, g collectionGroup, calls string) rule.Hit {
	h.Cause = collectionPartial
	reason, _, ok := strings.Cut(g.errs[0].Message, ": ")
	if !ok {
		reason = "the run stopped"
	}
	h.Summary = fmt.Sprintf("%s was cut short: %s (%s)", g.rec.Collector, reason, calls)
	if g.errs[0].Code == evidence.CodeRunTimeout {
		h.Fixes = []rule.Fix{{Action: fmt.Sprintf("rerun with a longer --timeout, or --skip %s if it cannot answer in time", g.rec.Collector)}}
		if g.rec.Collector == collectionAdmin {
			h.Fixes = []rule.Fix{{Action: "rerun with a longer --timeout; Flyte Admin answered, but not every call in time"}}
		}
	} else {
		h.Fixes = []rule.Fix{{Action: "rerun and let it finish (--timeout bounds the run)"}}
	}
	// A credential helper that never answered is the likelier story than a slow service.
	for _, e := range g.errs {
		switch {
		case g.rec.Collector == collectionKube && strings.Contains(e.Message, "exec credential plugin"):
			h.Fixes = append([]rule.Fix{{Action: "run the kubeconfig's exec credential plugin the way kubectl does and see what it waits for (a login, a network call)",
				Commands: []string{collectionKubectl(snap) + " auth whoami"}}}, h.Fixes...)
		case g.rec.Collector == collectionS3 && strings.Contains(e.Message, "credential_process"):
			h.Fixes = append([]rule.Fix{{Action: "run the AWS profile's credential_process the way the AWS CLI does and see what it waits for (a login, an MFA prompt)",
				Commands: []string{"aws sts get-caller-identity"}}}, h.Fixes...)
		default:
			continue
		}
		break
	}
	return h
}

func collectionConfigFix(collector string) string {
	switch collector {
	case collectionS3:
		return "fix the AWS configuration flytedoctor uses (--aws-profile, --aws-region, --s3-endpoint, the storage.connection section of the Flyte config), or --skip s3"
	case collectionKube:
		return "point flytedoctor at the cluster and namespace (--kubeconfig, --context, --namespace), or --skip kube"
	}
	return "fix " + collector + "'s configuration and rerun"
}

// collectionSkipHits reports collectors skipped for want of access or configuration, as info.
// A --skip the user asked for is no finding, nor is a storage collector with nothing to probe.
func collectionSkipHits(snap *evidence.Snapshot) []rule.Hit {
	var hits []rule.Hit
	for _, rec := range snap.Collection {
		if rec.Status != evidence.StatusSkipped || strings.HasPrefix(rec.SkipReason, "--skip") {
			continue
		}
		h := rule.Hit{Cause: collectionNotConfigured, Subject: collectionSubject(snap), Evidence: []string{rec.Collector + " skipped: " + rec.SkipReason}}
		switch rec.Collector {
		case collectionKube:
			why, _, _ := strings.Cut(rec.SkipReason, "; pass ")
			h.Summary = "Kubernetes evidence was not collected: " + why
			h.Detail = "pods, events, quotas and node state are missing; the rules classify from Admin's error alone"
			h.Fixes = []rule.Fix{{Action: "give flytedoctor cluster access (--kubeconfig, --context) to see pods and events"}}
		case collectionS3:
			if rec.SkipReason == "no s3:// paths to probe" {
				st := snap.Storage
				if st == nil || len(st.Unprobed) == 0 {
					continue
				}
				schemes := collectionSchemes(st.Unprobed)
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
		hits = append(hits, h)
	}
	return hits
}

func collectionSchemes(paths []evidence.StoragePath) string {
	var out []string
	for _, p := range paths {
		s, _, ok := strings.Cut(p.URI, "://")
		if ok && !read.Contains(out, s+"://") {
			out = append(out, s+"://")
		}
	}
	sort.Strings(out)
	if len(out) == 0 {
		return "another storage"
	}
	return strings.Join(out, ", ")
}

// collectionTaskRoleHits reports an --as-task-role that could not be honoured: the probes then
// ran as flytedoctor's own identity.
func collectionTaskRoleHits(snap *evidence.Snapshot) []rule.Hit {
	st := snap.Storage
	if st == nil || st.Identity.AssumeError == "" {
		return nil
	}
	id := st.Identity
	who := cmp.Or(id.ARN, "unknown")
	if who == "unknown" && id.Source != "" {
		who = "credentials from " + id.Source
	}
	h := rule.Hit{Subject: collectionSubject(snap), Evidence: []string{"storage identity: " + id.AssumeError},
		Detail: fmt.Sprintf("%s; the probes ran as %s, which may have other rights than the task", strings.TrimSuffix(id.AssumeError, "; probes ran as the caller"), who)}
	role := ""
	if ex := snap.Execution; ex != nil {
		role = ex.IAMRole
	}
	if strings.Contains(id.AssumeError, "AccessDenied") || strings.Contains(id.AssumeError, "not authorized") {
		h.Cause = collectionForbidden
		h.Summary = "flytedoctor was not allowed to assume the task's role: the storage probes ran as flytedoctor"
		caller := cmp.Or(read.RoleFromPrincipal(id.ARN), who)
		h.Fixes = []rule.Fix{{Action: fmt.Sprintf("allow %s to assume %s (sts:AssumeRole in the role's trust policy), or rerun without --as-task-role and read the probes with that in mind", caller, cmp.Or(role, "the task's role")),
			Commands: []string{fmt.Sprintf("aws iam get-role --role-name %s --query Role.AssumeRolePolicyDocument", cmp.Or(read.RoleName(role), "ROLE_NAME"))}}}
		return []rule.Hit{h}
	}
	info := rule.Info
	h.Severity = &info
	h.Cause = collectionNotConfigured
	h.Summary = "--as-task-role could not be honoured: the storage probes ran as flytedoctor"
	h.Fixes = []rule.Fix{{Action: "name the task's role in the execution (security_context.run_as.iam_role) or use credentials with STS access, then rerun with --as-task-role"}}
	return []rule.Hit{h}
}
