package pending

import (
	"fmt"
	"strings"

	"github.com/flytedoctor/flytedoctor/collectors/evidence"
	"github.com/flytedoctor/flytedoctor/rules/internal/read"
	"github.com/flytedoctor/flytedoctor/rules/rule"
)

type quota struct {
	name, text     string
	req, used, lim map[string]string
	order          []string
	mustSpecify    string
	permanent      bool
}

func quotaList(s string) (map[string]string, []string) {
	out := map[string]string{}
	var order []string
	for _, kv := range strings.Split(s, ",") {
		if k, v, ok := strings.Cut(strings.TrimSpace(kv), "="); ok {
			out[k] = v
			order = append(order, k)
		}
	}
	return out, order
}

func findQuota(s *rule.Site, p *state) *quota {
	var texts []string
	switch {
	case p.code == "ResourceRequestsExceedLimits" || p.code == "RuntimeFailure":
		texts = []string{p.msg}
	case p.s.Stuck && p.last.Phase == evidence.PhaseWaitingForResources:
		texts = append(texts, p.last.Reason)
		for j := len(p.last.Reasons) - 1; j >= 0; j-- {
			texts = append(texts, p.last.Reasons[j].Message)
		}
	case !p.s.Stuck && (p.code == "" || p.code == "Timeout" || p.code == "TimeoutExpired"):
		// the node's deadline ran out while the attempt still waited for quota
		texts = []string{latestReason(p.last)}
	}
	for _, t := range texts {
		if m := quotaRe.FindStringSubmatch(t); m != nil {
			q := &quota{name: strings.TrimSpace(m[1]), text: t, permanent: p.code == "ResourceRequestsExceedLimits"}
			q.req, q.order = quotaList(m[2])
			q.used, _ = quotaList(m[3])
			q.lim, _ = quotaList(m[4])
			return q
		}
		if m := quotaSpecRe.FindStringSubmatch(t); m != nil {
			// "must specify limits.cpu for: c; limits.memory for: c" (1.27+) or "must specify limits.cpu,limits.memory"
			what := strings.TrimSpace(m[2])
			if fs := forRe.FindAllStringSubmatch(what, -1); len(fs) > 0 {
				var rs []string
				for _, f := range fs {
					rs = append(rs, f[1])
				}
				what = strings.Join(rs, ", ")
			} else {
				what = strings.ReplaceAll(what, ",", ", ")
			}
			return &quota{name: strings.TrimSpace(m[1]), text: t, mustSpecify: what}
		}
	}
	return nil
}

func quotaSite(pass *rule.Pass) {
	s := pass.Site
	p := stateOf(s)
	if p == nil {
		return
	}
	q := findQuota(s, p)
	if q == nil {
		return
	}
	ns := p.namespace()
	var cur *evidence.ResourceQuota
	for i := range s.Kube().Quotas {
		if s.Kube().Quotas[i].Name == q.name {
			cur = &s.Kube().Quotas[i]
		}
	}
	h := rule.Hit{Evidence: []string{q.text}}
	getCmd := fmt.Sprintf("kubectl get resourcequota -n %s %s -o yaml", ns, q.name)
	if q.mustSpecify != "" {
		h.Summary = fmt.Sprintf("quota %s in %s requires every pod to set %s, and %s does not", q.name, ns, q.mustSpecify, p.podLabel())
		h.Detail = sentences("The API server refused the pod: "+read.FirstLine(q.text),
			"Flyte reports this as RuntimeFailure (USER, retryable), and each retry is refused the same way")
		example := map[string]string{"cpu": "1", "mem": "2Gi", "ephemeral_storage": "10Gi", "gpu": "1"}
		var args []string
		seen := map[string]bool{}
		for _, r := range strings.Split(q.mustSpecify, ", ") {
			a := resArg(r)
			if v, ok := example[a]; ok && !seen[a] {
				seen[a] = true
				args = append(args, fmt.Sprintf(`%s="%s"`, a, v))
			}
		}
		if len(args) == 0 {
			args = []string{`cpu="1"`, `mem="2Gi"`}
		}
		h.Fixes = []rule.Fix{
			{Action: fmt.Sprintf("set %s on the task (sizes here are examples; Flyte copies requests to limits when limits are not set)", q.mustSpecify),
				Commands: []string{taskResources("limits", args)}},
			{Action: "or give the namespace a LimitRange with defaults, so pods that set nothing still get limits", Commands: []string{getCmd, "kubectl get limitrange -n " + ns}},
		}
		pass.Report(h)
		return
	}
	// The resources that do not fit: at or above the hard limit when permanent, else used+requested above it.
	var over, phrases []string
	for _, r := range q.order {
		req, ok1 := read.ParseQuantity(q.req[r])
		lim, ok2 := read.ParseQuantity(q.lim[r])
		used, _ := read.ParseQuantity(q.used[r])
		if !ok1 || !ok2 {
			continue
		}
		if (q.permanent && req >= lim) || (!q.permanent && used+req > lim) {
			over = append(over, r)
		}
	}
	if len(over) == 0 {
		over = q.order
	}
	for _, r := range over {
		if q.permanent {
			phrases = append(phrases, fmt.Sprintf("%s=%s against a hard limit of %s", r, q.req[r], q.lim[r]))
		} else {
			phrases = append(phrases, fmt.Sprintf("%s=%s with %s of %s used", r, q.req[r], read.OrUnknown(q.used[r]), q.lim[r]))
		}
	}
	if q.permanent {
		h.Summary = fmt.Sprintf("%s asks for %s in quota %s, more than the whole namespace may use; Flyte failed it permanently (ResourceRequestsExceedLimits)",
			p.podLabel(), strings.Join(phrases, ", "), q.name)
		h.Detail = "Flyte fails a task at once when its request is at or above the quota's hard limit, because it could never be admitted: code ResourceRequestsExceedLimits, kind USER, not retried"
	} else {
		h.Summary = join(fmt.Sprintf("quota %s in %s has no room for %s: %s", q.name, ns, p.podLabel(), strings.Join(phrases, ", ")), p.quotaWait())
		h.Detail = "Flyte keeps the attempt in WAITING_FOR_RESOURCES and retries the pod creation with back-off; this does not use a retry and has no timeout other than the node's active deadline"
		if p.s.Stuck {
			if age := age(p.waited()); age != "" {
				h.Detail = sentences(h.Detail, fmt.Sprintf("It has waited %s", age))
			}
		}
	}
	h.Detail = sentences("The API server refused the pod: "+quotaQuote(q.text), h.Detail)
	if cur != nil {
		var now []string
		for _, r := range over {
			if hv, ok := cur.Hard[r]; ok {
				now = append(now, fmt.Sprintf("%s used %s of %s", r, read.OrUnknown(cur.Used[r]), hv))
			}
		}
		if len(now) > 0 {
			line := fmt.Sprintf("quota %s now: %s", q.name, strings.Join(now, ", "))
			h.Detail = sentences(h.Detail, "Now: "+strings.Join(now, ", "))
			h.Evidence = append(h.Evidence, line)
		}
	}
	// A concrete request that would fit.
	var args []string
	kind := "requests"
	for _, r := range over {
		lim, _ := read.ParseQuantity(q.lim[r])
		used, _ := read.ParseQuantity(q.used[r])
		room := lim
		if !q.permanent {
			room = lim - used
		}
		if room <= 0 {
			continue
		}
		if strings.HasPrefix(r, "limits.") {
			kind = "limits"
		}
		if q.permanent {
			room = room * 0.99 // strictly below the hard limit
		}
		args = append(args, fmt.Sprintf(`%s="%s"`, resArg(r), floor(strings.TrimPrefix(strings.TrimPrefix(r, "requests."), "limits."), room)))
	}
	h.Fixes = []rule.Fix{{Action: "compare the quota's hard limits with what is used", Commands: []string{getCmd}}}
	if q.permanent {
		fix := rule.Fix{Action: fmt.Sprintf("request less than quota %s's hard limit, or raise the quota for the project and domain", q.name)}
		if len(args) > 0 {
			fix.Commands = []string{taskResources(kind, args)}
		}
		h.Fixes = append(h.Fixes, fix)
	} else {
		fix := rule.Fix{Action: "wait for the namespace's other pods to finish, run fewer tasks at once (map_task concurrency), or lower the task's request to what is free"}
		if len(args) > 0 {
			fix.Commands = []string{taskResources(kind, args)}
		}
		h.Fixes = append(h.Fixes, fix)
	}
	h.Fixes = append(h.Fixes, rule.Fix{Action: "or raise the quota; flyte-core's project-quota comes from flyteadmin's cluster resource templates and can be set per project and domain",
		Commands: []string{"flytectl update cluster-resource-attribute --attrFile cra.yaml"}})
	pass.Report(h)
}

// taskResources is the @task change: a limit is lowered together with the request, since
// a request above its limit is invalid.
func taskResources(kind string, args []string) string {
	a := strings.Join(args, ", ")
	if kind == "limits" {
		return fmt.Sprintf("@task(requests=Resources(%s), limits=Resources(%s))", a, a)
	}
	return fmt.Sprintf("@task(requests=Resources(%s))", a)
}

func (p *state) quotaWait() string {
	if !p.s.Stuck {
		return p.waitSummary()
	}
	if age := age(p.waited()); age != "" {
		return fmt.Sprintf("%s for %s", p.last.Phase, age)
	}
	return p.last.Phase
}

// quotaQuote cuts Flyte's wrappers off the API server's words.
func quotaQuote(t string) string {
	if i := strings.Index(t, "pods \""); i >= 0 {
		return t[i:]
	}
	return read.FirstLine(t)
}

func limitRangeSite(pass *rule.Pass) {
	s := pass.Site
	if s.Node == nil || len(s.Attempts) == 0 || s.Stuck {
		return
	}
	var text string
	rejected := 0
	for _, a := range s.Attempts {
		if a.Error == nil {
			continue
		}
		_, m := rule.Unwrap(a.Error.Code, a.Error.Message)
		if limitRe.MatchString(m) || ratioRe.MatchString(m) {
			rejected++
			text = m
		}
	}
	if text == "" {
		if _, m, _ := s.Error(); limitRe.MatchString(m) || ratioRe.MatchString(m) {
			text, rejected = m, 1
		}
	}
	if text == "" {
		return
	}
	ns := namespace(s)
	type violation struct{ bound, resource, scope, allowed, what, asked string }
	var vs []violation
	for _, m := range limitRe.FindAllStringSubmatch(text, -1) {
		vs = append(vs, violation{m[1], m[2], m[3], m[4], m[5], m[6]})
	}
	var phrases []string
	for _, v := range vs {
		word := "at most"
		if v.bound == "minimum" {
			word = "at least"
		}
		phrases = append(phrases, fmt.Sprintf("%s %s=%s per %s, the task's %s is %s", word, v.resource, v.allowed, v.scope, v.what, v.asked))
	}
	for _, m := range ratioRe.FindAllStringSubmatch(text, -1) {
		phrases = append(phrases, fmt.Sprintf("a %s limit/request ratio of at most %s per %s, the task's is %s", m[1], m[3], m[2], m[4]))
	}
	// Name the LimitRange that sets the violated bound.
	lrName := ""
	for _, lr := range s.Kube().LimitRanges {
		for _, it := range lr.Items {
			for _, v := range vs {
				b := it.Max
				if v.bound == "minimum" {
					b = it.Min
				}
				if it.Type == v.scope && b[v.resource] == v.allowed {
					lrName = lr.Name
				}
			}
		}
	}
	who := "a LimitRange"
	if lrName != "" {
		who = "LimitRange " + lrName
	}
	h := rule.Hit{Summary: fmt.Sprintf("%s in %s requires %s", who, ns, strings.Join(phrases, "; "))}
	if n := len(s.Attempts); rejected > 1 && rejected == n {
		h.Summary += fmt.Sprintf("; all %d attempts were refused", n)
	}
	h.Detail = sentences("The API server refused the pod: "+quotaQuote(text),
		"Flyte reports this as RuntimeFailure (USER, retryable), so every retry is refused the same way; when a task sets only requests, Flyte uses them as limits too")
	h.Evidence = []string{text}
	var args []string
	kind := "limits"
	for _, v := range vs {
		if v.what == "request" {
			kind = "requests"
		}
		args = append(args, fmt.Sprintf(`%s="%s"`, resArg(v.resource), v.allowed))
	}
	lrCmd := "kubectl get limitrange -n " + ns + " -o yaml"
	if lrName != "" {
		lrCmd = fmt.Sprintf("kubectl get limitrange -n %s %s -o yaml", ns, lrName)
	}
	h.Fixes = []rule.Fix{{Action: "read the LimitRange's bounds", Commands: []string{lrCmd}}}
	fix := rule.Fix{Action: "keep the task's requests and limits inside the bounds, or ask the platform team to widen the LimitRange"}
	if len(args) > 0 {
		fix.Commands = []string{taskResources(kind, args)}
	}
	h.Fixes = append(h.Fixes, fix)
	pass.Report(h)
}

func genericSite(pass *rule.Pass) {
	s := pass.Site
	p := stateOf(s)
	if p == nil || findQuota(s, p) != nil {
		return
	}
	unsched := p.waitingForNode()
	if p.sched != nil && unsched && diagnosis(p).Cause != "" {
		return // a specific FD2 rule explains it
	}
	h := rule.Hit{}
	var fixes []rule.Fix
	stillWaiting := p.s.Stuck && p.timedOut == 0
	switch {
	case p.sched != nil && unsched:
		h.Summary = fmt.Sprintf("%s is unschedulable (%s)", p.podLabel(), p.sched.Body())
		h.Detail = "The scheduler: " + p.sched.Body()
		if allUnavailable(p.sched) {
			h.Summary = fmt.Sprintf("no node is usable for %s (%s)", p.podLabel(), p.sched.Body())
			h.Detail = sentences(h.Detail, "Every node the scheduler looked at is unusable (not ready, unreachable, cordoned or a control-plane node): this is a cluster problem, not the task's")
			fixes = append(fixes, rule.Fix{Action: "find out why the nodes are not usable", Commands: []string{"kubectl get nodes", "kubectl describe nodes"}})
		}
		h.Evidence = []string{p.sched.From + ": " + p.sched.Message}
	case p.timedOut > 0:
		last := latestReason(p.last)
		if c, m := err(p.last); c == "PodPendingTimeout" && m != "" {
			last = m
		}
		state := "Pending"
		if m := waitingRe.FindStringSubmatch(last); m != nil {
			state = m[1]
		}
		h.Summary = fmt.Sprintf("%s was still %s when Flyte's pod-pending-timeout failed it", p.podLabel(), state)
		if age := age(p.waited()); age != "" && p.timedOut == 1 {
			h.Summary += " after " + age
		} else if n := len(p.s.Attempts); p.timedOut > 1 && p.timedOut == n {
			h.Summary += fmt.Sprintf(" (%d attempts, all timed out)", n)
		}
		if last != "" {
			h.Detail = "The last pending reason: " + last
			h.Evidence = []string{last}
		}
		if imagePullRe.MatchString(last) {
			h.Detail = sentences(h.Detail, "The pod was pulling its image: see the image-pull finding")
		}
	case stillWaiting && unsched && (p.last.Phase == evidence.PhaseQueued || p.last.Phase == evidence.PhaseWaitingForResources || p.last.Phase == evidence.PhaseUndefined) && p.waited() >= quietFor:
		switch {
		case p.pod != nil && p.pod.Spec.SchedulerName != "" && p.pod.Spec.SchedulerName != "default-scheduler":
			h.Summary = fmt.Sprintf("%s names scheduler %q, which has not placed it", p.podLabel(), p.pod.Spec.SchedulerName)
			h.Detail = fmt.Sprintf("No scheduler event or condition exists for the pod: check that %s is installed and running", p.pod.Spec.SchedulerName)
		case p.pod != nil:
			h.Summary = fmt.Sprintf("%s is Pending with no scheduling decision", p.podLabel())
			h.Detail = "The pod has no PodScheduled condition and no scheduler event: check kube-scheduler (or the pod's schedulerName) and admission webhooks"
		default:
			h.Summary = fmt.Sprintf("the task is %s and its pod is not visible", p.last.Phase)
			h.Detail = "flytedoctor found no pod for the attempt: flytepropeller may not have created it (check its logs), or the pod was deleted"
		}
		h.Evidence = []string{fmt.Sprintf("attempt %d phase %s, reason %q", p.last.RetryAttempt, p.last.Phase, latestReason(p.last))}
	default:
		return
	}
	if p.timedOut == 0 {
		h.Summary = join(h.Summary, p.waitSummary())
	}
	h.Detail = sentences(h.Detail, p.waitDetail())
	if stillWaiting {
		w := rule.Warning
		h.Severity = &w
	}
	h.Fixes = append([]rule.Fix{p.eventsFix()}, fixes...)
	if stillWaiting {
		h.Fixes = append(h.Fixes, rule.Fix{Action: "set plugins.k8s.pod-pending-timeout in the propeller config so tasks that cannot start fail instead of waiting forever"})
	} else {
		h.Fixes = append(h.Fixes, rule.Fix{Action: "fix what keeps the pod Pending, then relaunch; raise plugins.k8s.pod-pending-timeout if pods legitimately wait for new nodes"})
	}
	pass.Report(h)
}

func err(a *evidence.TaskAttempt) (string, string) {
	if a.Error == nil {
		return "", ""
	}
	return rule.Unwrap(a.Error.Code, a.Error.Message)
}

func allUnavailable(ps *sched) bool {
	if len(ps.Reasons) == 0 {
		return false
	}
	for _, r := range ps.Reasons {
		if r.Kind != pkUnavailable {
			return false
		}
	}
	return true
}
