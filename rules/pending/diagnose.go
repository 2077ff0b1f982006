package pending

import (
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/flytedoctor/flytedoctor/collectors/evidence"
	"github.com/flytedoctor/flytedoctor/rules/rule"
)

type diag struct {
	Cause      string // "" when no FD2003-FD2010 cause applies
	Reason     *reason
	Resource   string
	Impossible bool                // no node has that much allocatable
	Fit        []evidence.NodeInfo // usable nodes with room for the whole request
	Taint      *taint              // the taint that rules out the nodes that would fit
	Req        map[string]float64  // the pod's requests, when known (else inferred, see Inferred)
	Nodes      []evidence.NodeInfo // the node summary, when known
	// Fixed are the nodes that could take the pod once the cause is fixed (for a taint or a
	// selector); Also says what else stands in their way ("cpu 3920m allocatable, ...").
	Fixed []evidence.NodeInfo
	Also  string
	// Open are nodes with room for the request that nothing but their free capacity (or other
	// pods) rules out: the capacity exists, running pods hold it.
	Open []evidence.NodeInfo
	// Near are the only nodes that offer the request's scarce resource (GPUs), when none of
	// them can hold the rest of the request: Resource is what they lack.
	Near []evidence.NodeInfo
	// Inferred is true when the pod was not visible and Req holds only the resources the
	// scheduler named, with unknown amounts.
	Inferred bool
	// Guess is true when no node summary was read and the cause is read from the scheduler's
	// message alone (a taint on the nodes that offer the resource the others lack).
	Guess bool
}

// diagnosis is the site's scheduling diagnosis, computed once per site (see diagnose).
func diagnosis(p *state) *diag {
	return rule.SiteOnce(p.s, "pending-diagnosis", func() *diag { return diagnose(p) })
}

// diagnose finds the reason that rules out the nodes which would otherwise take the pod.
// Every node is judged the way kube-scheduler filters (readiness and system taints, the pod's
// tolerations, node selector and required node affinity, then whether its allocatable could
// hold the request at all); the scheduler's message speaks for what the snapshot cannot show
// (free capacity, other pods). In order: a missing claim; a request no node can ever hold; a
// taint, selector or affinity that excludes every node with room for the request (the GPU
// node's taint, while the CPU nodes' "Insufficient nvidia.com/gpu" is context); the scarce
// resource's only nodes lacking the rest of the request; else the Insufficient resource that
// covers most nodes (the capacity exists, running pods hold it); else the exclusion that does.
func diagnose(p *state) *diag {
	d := &diag{Req: requests(p.pod), Nodes: p.nodes()}
	rs := p.sched.Reasons
	find := func(kind string) *reason {
		var best *reason
		for i := range rs {
			if rs[i].Kind == kind && (best == nil || rs[i].Count > best.Count) {
				best = &rs[i]
			}
		}
		return best
	}
	if r := find(pkPVC); r != nil {
		d.Cause, d.Reason = "pvc-unbound", r
		return d
	}
	var insuff []*reason
	for i := range rs {
		if rs[i].Kind == pkInsufficient && cause(rs[i].Resource) != "" {
			insuff = append(insuff, &rs[i])
		}
	}
	sort.SliceStable(insuff, func(i, j int) bool {
		if insuff[i].Count != insuff[j].Count {
			return insuff[i].Count > insuff[j].Count
		}
		return rank(insuff[i].Resource) < rank(insuff[j].Resource)
	})
	req := d.Req
	if len(req) == 0 && p.pod == nil && len(insuff) > 0 {
		// The pod is gone: the resources the scheduler found short were requested, in
		// amounts no longer known; any allocatable amount may hold them.
		req = map[string]float64{}
		for _, r := range insuff {
			req[r.Resource] = math.SmallestNonzeroFloat64
		}
		d.Req, d.Inferred = req, true
	}
	if len(req) > 0 && len(d.Nodes) > 0 {
		if !d.Inferred {
			byRank := append([]*reason(nil), insuff...)
			sort.SliceStable(byRank, func(i, j int) bool { return rank(byRank[i].Resource) < rank(byRank[j].Resource) })
			for _, r := range byRank {
				if v := req[r.Resource]; v > 0 {
					if max, _ := maxAlloc(d.Nodes, r.Resource); v > max {
						d.Cause, d.Reason, d.Resource, d.Impossible = cause(r.Resource), r, r.Resource, true
						return d
					}
				}
			}
		}
		fs := p.fits(req, d.Nodes)
		var holds, open []fit
		for _, f := range fs {
			if f.holds() {
				holds = append(holds, f)
				if !f.excluded() {
					open = append(open, f)
				}
			}
		}
		d.Fit, d.Open = nodesOf(holds), nodesOf(open)
		if len(holds) > 0 && len(open) == 0 && p.exclusion(d, holds, find) {
			return d
		}
		if len(holds) == 0 && !d.Inferred && p.nearMiss(d, fs, req, find) {
			return d
		}
	}
	if len(d.Nodes) == 0 && p.guessTaint(d, insuff, find) {
		return d
	}
	if len(insuff) > 0 {
		d.Cause, d.Reason, d.Resource = cause(insuff[0].Resource), insuff[0], insuff[0].Resource
		if v := d.Req[d.Resource]; v > 0 && len(d.Nodes) > 0 {
			max, _ := maxAlloc(d.Nodes, d.Resource)
			d.Impossible = v > max
		}
		return d
	}
	var excl *reason
	for _, kind := range []string{pkSelector, pkPodAffinity, pkTaint, pkVolumeAffinity} {
		if r := find(kind); r != nil && (excl == nil || r.Count > excl.Count) {
			excl = r
		}
	}
	if excl == nil {
		return d
	}
	d.Reason = excl
	switch excl.Kind {
	case pkTaint:
		d.Cause = "untolerated-taint"
	case pkPodAffinity, pkVolumeAffinity:
		d.Cause = "affinity-mismatch"
	case pkSelector:
		d.Cause = "node-selector-mismatch"
		if p.pod != nil && strings.Contains(p.pod.Spec.Affinity, "node requires") {
			d.Cause = "affinity-mismatch"
			if sel := p.pod.Spec.NodeSelector; len(sel) > 0 && len(d.Nodes) > 0 {
				missAll := true
				for _, n := range d.Nodes {
					missAll = missAll && (!p.usable(n) || selectorMisses(n, sel, p.known(d.Nodes)))
				}
				if missAll {
					d.Cause = "node-selector-mismatch"
				}
			}
		}
	}
	return d
}

// exclusion names the filter that rules out every node with room for the request, when the
// scheduler reported it too: the taint, node selector or node affinity that most of those
// nodes fail (a taint first on a tie, as the scheduler checks it first).
func (p *state) exclusion(d *diag, holds []fit, find func(string) *reason) bool {
	var tainted, selected, affined []fit
	for _, f := range holds {
		switch {
		case len(f.Taints) > 0:
			tainted = append(tainted, f)
		case len(f.Selector) > 0:
			selected = append(selected, f)
		case f.Affinity:
			affined = append(affined, f)
		}
	}
	only := func(fs []fit, clean func(fit) bool) (out []evidence.NodeInfo) {
		for _, f := range fs {
			if clean(f) {
				out = append(out, f.Node)
			}
		}
		return out
	}
	switch {
	case len(tainted) > 0 && len(tainted) >= len(selected) && len(tainted) >= len(affined) && find(pkTaint) != nil:
		d.Cause, d.Reason, d.Taint = "untolerated-taint", find(pkTaint), &tainted[0].Taints[0]
		d.Fixed = only(tainted, func(f fit) bool { return len(f.Selector) == 0 && !f.Affinity })
		return true
	case len(selected) >= len(affined) && len(selected) > 0 && find(pkSelector) != nil:
		d.Cause, d.Reason = "node-selector-mismatch", find(pkSelector)
		d.Fixed = only(selected, func(f fit) bool { return len(f.Taints) == 0 && !f.Affinity })
		return true
	case len(affined) > 0 && find(pkSelector) != nil:
		d.Cause, d.Reason = "affinity-mismatch", find(pkSelector)
		d.Fixed = only(affined, func(f fit) bool { return len(f.Taints) == 0 && len(f.Selector) == 0 })
		return true
	}
	return false
}

// nearMiss handles a request no single node can hold although each resource alone fits
// somewhere: the nodes that offer its scarce resource (the GPU nodes) are the ones that would
// otherwise fit. If a taint the scheduler reported rules all of them out, the taint is the
// cause and their shortfall comes with it; otherwise what they lack can never be had there.
func (p *state) nearMiss(d *diag, fs []fit, req map[string]float64, find func(string) *reason) bool {
	sc := scarce(req)
	if len(sc) == 0 {
		return false
	}
	var near []fit
	for _, f := range fs {
		ok := f.Usable
		for _, r := range sc {
			ok = ok && alloc(f.Node, r) >= req[r]
		}
		if ok {
			near = append(near, f)
		}
	}
	if len(near) == 0 {
		return false
	}
	d.Near = nodesOf(near)
	allTainted := true
	for _, f := range near {
		allTainted = allTainted && len(f.Taints) > 0
	}
	if allTainted && find(pkTaint) != nil {
		d.Cause, d.Reason, d.Taint = "untolerated-taint", find(pkTaint), &near[0].Taints[0]
		d.Fixed, d.Also = d.Near, shortLine(near[0], req)
		return true
	}
	// What the scarce resource's nodes lack most often, and the scheduler's clause for it.
	count := map[string]int{}
	for _, f := range near {
		for _, r := range f.Short {
			count[r]++
		}
	}
	best := ""
	for _, r := range sortedKeys(count) {
		if cause(r) != "" && (best == "" || count[r] > count[best]) {
			best = r
		}
	}
	if best == "" {
		return false
	}
	d.Cause, d.Resource, d.Impossible = cause(best), best, true
	d.Reason = &reason{Count: len(near), Text: "Insufficient " + best, Kind: pkInsufficient, Resource: best}
	for i := range p.sched.Reasons {
		if r := &p.sched.Reasons[i]; r.Kind == pkInsufficient && r.Resource == best {
			d.Reason = r
		}
	}
	return true
}

// guessTaint reads the scheduler's message alone (no node summary): when the nodes it did
// not reject for a missing GPU (or other accelerator) are exactly the ones tainted for it
// ("1 node(s) had untolerated taint {nvidia.com/gpu: present}, 3 Insufficient nvidia.com/gpu"),
// the tainted nodes are the GPU nodes, and the taint is what keeps the pod off them.
func (p *state) guessTaint(d *diag, insuff []*reason, find func(string) *reason) bool {
	t := find(pkTaint)
	if t == nil || len(insuff) == 0 || !accelerator(insuff[0].Resource) || !accelerator(t.TaintKey) {
		return false
	}
	covered := 0
	for _, r := range p.sched.Reasons {
		switch {
		case r.Kind == pkTaint && accelerator(r.TaintKey):
			covered += r.Count
		case r.Kind == pkInsufficient && r.Resource == insuff[0].Resource:
			covered += r.Count
		case r.Kind == pkUnavailable:
			covered += r.Count
		}
	}
	if p.sched.Total < 0 || covered < p.sched.Total {
		return false
	}
	d.Cause, d.Reason, d.Guess, d.Resource = "untolerated-taint", t, true, insuff[0].Resource
	return true
}

// others lists the scheduler's other reasons, for the detail.
func (d *diag) others(ps *sched) string {
	var out []string
	for i := range ps.Reasons {
		r := &ps.Reasons[i]
		if r == d.Reason {
			continue
		}
		t := r.Text
		if r.Count > 0 && !strings.HasPrefix(r.Text, "pod has") {
			t = fmt.Sprintf("%d %s", r.Count, r.Text)
		}
		switch r.Kind {
		case pkUnavailable:
			t += " (not usable for tasks)"
		case pkPorts:
			t += " (another pod on them holds a host port the pod asks for)"
		}
		if r.Kind == pkInsufficient && len(d.Nodes) > 0 {
			none := 0
			for _, n := range d.Nodes {
				if alloc(n, r.Resource) == 0 {
					none++
				}
			}
			if none >= r.Count && r.Count > 0 {
				t += fmt.Sprintf(" (those nodes have no %s at all)", r.Resource)
			}
		}
		out = append(out, t)
	}
	if len(out) == 0 {
		return ""
	}
	return "The scheduler's other reasons: " + strings.Join(out, ", ") + "."
}

func causeSite(cause string) func(*rule.Pass) {
	return func(pass *rule.Pass) {
		s := pass.Site
		p := stateOf(s)
		if p == nil || p.sched == nil || !p.waitingForNode() {
			return
		}
		d := diagnosis(p)
		if d.Cause != cause {
			return
		}
		var h *rule.Hit
		switch cause {
		case "pvc-unbound":
			h = pVCHit(p, d)
		case "untolerated-taint":
			h = taintHit(p, d)
		case "node-selector-mismatch":
			h = selectorHit(p, d)
		case "affinity-mismatch":
			h = affinityHit(p, d)
		default:
			h = insufficientHit(p, d)
		}
		h.Summary = join(h.Summary, p.waitSummary())
		if p.s.Stuck && p.sched.ScaleUp != "" {
			h.Summary = join(h.Summary, "the cluster autoscaler is adding a node")
			w := rule.Warning
			h.Severity = &w
		}
		var auto string
		switch {
		case p.s.Stuck && p.sched.ScaleUp != "":
			auto = "The cluster autoscaler is adding a node: " + p.sched.ScaleUp
		case p.sched.NoScaleUp != "":
			auto = "The cluster autoscaler will not add a node: " + p.sched.NoScaleUp
		}
		h.Detail = sentences("The scheduler: "+p.sched.Body(), h.Detail, d.others(p.sched), auto, p.waitDetail())
		h.Evidence = append([]string{p.sched.From + ": " + p.sched.Message}, h.Evidence...)
		if l := p.requestLine(d.Req); l != "" {
			h.Evidence = append(h.Evidence, l)
		}
		h.Fixes = append(h.Fixes, p.eventsFix())
		pass.Report(*h)
	}
}

func (d *diag) count(ps *sched) string {
	if d.Reason == nil {
		return ""
	}
	if ps.Total >= 0 {
		return fmt.Sprintf("%d of %d nodes", d.Reason.Count, ps.Total)
	}
	return fmt.Sprintf("%d nodes", d.Reason.Count)
}

func insufficientHit(p *state, d *diag) *rule.Hit {
	r := d.Resource
	req := d.Req[r]
	reqS := ""
	if req > 0 && !d.Inferred {
		reqS = show(r, req)
	}
	max, maxNode := maxAlloc(d.Nodes, r)
	if len(d.Open) > 0 {
		// Capacity that a taint or selector rules out is no capacity for this pod.
		max, maxNode = maxAlloc(d.Open, r)
	}
	if len(d.Near) > 0 {
		max, maxNode = maxAlloc(d.Near, r)
	}
	h := &rule.Hit{}
	var analysis string
	switch {
	case d.Impossible && len(d.Near) > 0:
		res := strings.Join(scarce(d.Req), ", ")
		h.Summary = fmt.Sprintf("%s requests %s=%s, but the only %s with %s (%s) %s at most %s %s allocatable", p.podLabel(), r, reqS,
			itThey(len(d.Near), "node", "nodes"), res, names(d.Near), itThey(len(d.Near), "has", "have"), show(r, max), r)
		analysis = fmt.Sprintf("Each resource alone fits some node, but no node holds the whole request: %s %s the %s, and %s too little %s, so the pod can never schedule on the current nodes; the other nodes' Insufficient %s is context",
			names(d.Near), itThey(len(d.Near), "has", "have"), res, itThey(len(d.Near), "it has", "they have"), r, res)
	case d.Impossible && max == 0:
		h.Summary = fmt.Sprintf("%s requests %s=%s but no node offers %s", p.podLabel(), r, reqS, r)
		analysis = fmt.Sprintf("None of the %d nodes has any allocatable %s, so the pod can never schedule on the current nodes", len(d.Nodes), r)
	case d.Impossible:
		h.Summary = fmt.Sprintf("%s requests %s=%s but no node has more than %s allocatable", p.podLabel(), r, reqS, show(r, max))
		analysis = fmt.Sprintf("The largest allocatable %s is %s, on %s, below the request of %s, so the pod can never schedule on the current nodes", r, show(r, max), maxNode, reqS)
	case reqS != "":
		h.Summary = fmt.Sprintf("no node has %s=%s free for %s (Insufficient %s on %s)", r, reqS, p.podLabel(), r, d.count(p.sched))
		if maxNode != "" {
			analysis = fmt.Sprintf("The request fits the allocatable %s of %s (%s), so the capacity exists but running pods hold it", r, maxNode, show(r, max))
		}
	default:
		h.Summary = fmt.Sprintf("no node has the %s %s needs (Insufficient %s on %s)", r, p.podLabel(), r, d.count(p.sched))
	}
	h.Detail = analysis
	if maxNode != "" {
		for _, n := range d.Nodes {
			if n.Name == maxNode {
				h.Evidence = append(h.Evidence, nodeLine(n, d.Req, nil))
			}
		}
	}
	col := strings.ReplaceAll(r, ".", `\.`)
	h.Fixes = []rule.Fix{{Action: fmt.Sprintf("see each node's allocatable %s and what is already allocated", r), Commands: []string{
		fmt.Sprintf("kubectl get nodes -o custom-columns=NAME:.metadata.name,%s:.status.allocatable.%s", strings.ToUpper(resArg(r)), col),
		"kubectl describe nodes",
	}}}
	arg := resArg(r)
	if d.Impossible {
		fit := "1"
		if max > 0 {
			fit = floor(r, max)
		}
		action := fmt.Sprintf("request at most what one node has (%s allocatable), or add a node group with larger instances", show(r, max))
		if len(d.Near) > 0 {
			action = fmt.Sprintf("request at most what %s can hold (%s allocatable, less its daemon sets), or add a %s node group with larger instances", names(d.Near), show(r, max), strings.Join(scarce(d.Req), ", "))
		}
		if max == 0 {
			action = fmt.Sprintf("add (or let the autoscaler create) nodes that offer %s, or drop the request", r)
		}
		h.Fixes = append(h.Fixes, rule.Fix{Action: action, Commands: []string{fmt.Sprintf(`@task(requests=Resources(%s="%s"))`, arg, fit)}})
	} else if len(d.Nodes) == 0 || req == 0 {
		h.Fixes = append(h.Fixes, rule.Fix{Action: fmt.Sprintf("if no node has that much %s even when empty, lower the request or add larger nodes; otherwise wait for running pods to finish or scale the node group up", r)})
	} else {
		h.Fixes = append(h.Fixes, rule.Fix{Action: fmt.Sprintf("wait for running pods to release %s, scale the node group up (check the autoscaler's max size), or lower the request", r)})
	}
	return h
}

// resArg is flytekit's Resources argument for a Kubernetes resource.
func resArg(r string) string {
	r = strings.TrimPrefix(strings.TrimPrefix(r, "requests."), "limits.")
	switch {
	case r == "memory":
		return "mem"
	case r == "ephemeral-storage":
		return "ephemeral_storage"
	case accelerator(r):
		return "gpu"
	}
	return r
}

// floor rounds an amount down to a value a task can request.
func floor(r string, v float64) string {
	if bytesLike(r) {
		if g := math.Floor(v / (1 << 30)); g >= 1 {
			return fmt.Sprintf("%.0fGi", g)
		}
		return fmt.Sprintf("%.0fMi", math.Floor(v/(1<<20)))
	}
	if v >= 1 {
		return fmt.Sprintf("%.0f", math.Floor(v))
	}
	return fmt.Sprintf("%.0fm", math.Floor(v*1000))
}

func taintHit(p *state, d *diag) *rule.Hit {
	t := taint{key: d.Reason.TaintKey, value: d.Reason.TaintVal}
	if d.Taint != nil {
		t = *d.Taint
	}
	h := &rule.Hit{}
	switch {
	case len(d.Near) > 0:
		// No node can hold the whole request; the scarce resource's nodes are tainted.
		res := strings.Join(scarce(d.Req), ", ")
		which := "the only node"
		if len(d.Near) > 1 {
			which = fmt.Sprintf("the only %d nodes", len(d.Near))
		}
		h.Summary = fmt.Sprintf("%s does not tolerate taint %s on %s, %s with %s; and %s too small for the rest of the request",
			p.podLabel(), t, names(d.Near), which, res, itThey(len(d.Near), "it is", "they are"))
		h.Detail = fmt.Sprintf("Only %s %s %s, and %s %s. Tolerating it is not enough: %s (%s), so lower the request as well, or add larger %s nodes",
			names(d.Near), itThey(len(d.Near), "offers", "offer"), res, itThey(len(d.Near), "it carries", "each carries"), t, names(d.Near), d.Also, res)
		for _, n := range d.Near {
			h.Evidence = append(h.Evidence, nodeLine(n, d.Req, nil))
		}
	case len(d.Fit) > 0 && d.Inferred:
		res := strings.Join(sortedKeys(d.Req), ", ")
		h.Summary = fmt.Sprintf("%s does not tolerate taint %s on %s, the only %s with %s", p.podLabel(), t, names(d.Fit), itThey(len(d.Fit), "node", "nodes"), res)
		h.Detail = fmt.Sprintf("Only %s %s %s at all, and the scheduler rejected %s for the taint; the pod is gone, so how much it requested is not known",
			names(d.Fit), itThey(len(d.Fit), "offers", "offer"), res, itThey(len(d.Fit), "it", "them"))
		for _, n := range d.Fit {
			h.Evidence = append(h.Evidence, nodeLine(n, d.Req, nil))
		}
	case len(d.Fit) > 0:
		where := "the only node with room for its request"
		if len(d.Fit) > 1 {
			where = fmt.Sprintf("the %d nodes with room for its request", len(d.Fit))
		}
		h.Summary = fmt.Sprintf("%s does not tolerate taint %s on %s, %s", p.podLabel(), t, names(d.Fit), where)
		if len(d.Fit) == 1 {
			h.Detail = fmt.Sprintf("Only %s can hold the request, and it carries %s", d.Fit[0].Name, t)
		} else {
			h.Detail = fmt.Sprintf("Only %s can hold the request, and each carries a taint the pod does not tolerate", names(d.Fit))
		}
		for _, n := range d.Fit {
			h.Evidence = append(h.Evidence, nodeLine(n, d.Req, nil))
		}
	case d.Guess:
		h.Summary = fmt.Sprintf("%s does not tolerate taint %s on %s, most likely the only %s with %s: the scheduler found no %s free anywhere else",
			p.podLabel(), t, d.count(p.sched), itThey(d.Reason.Count, "node", "nodes"), d.Resource, d.Resource)
		h.Detail = fmt.Sprintf("The nodes were not read, so this is the scheduler's message alone: the %s it rejected for taint %s %s most likely the %s with %s (GPU node groups carry such a taint), and the others lack %s. Waiting or adding untainted nodes will not help; tolerate the taint (kubectl describe nodes shows which nodes carry it)",
			itThey(d.Reason.Count, "node", "nodes"), t, itThey(d.Reason.Count, "is", "are"), itThey(d.Reason.Count, "node", "nodes"), d.Resource, d.Resource)
	default:
		h.Summary = fmt.Sprintf("%s does not tolerate taint %s (%s)", p.podLabel(), t, d.count(p.sched))
	}
	if len(d.Fixed) > 0 && len(d.Near) == 0 {
		h.Detail = sentences(h.Detail, fmt.Sprintf("%s %s once the pod tolerates %s", names(d.Fixed), itThey(len(d.Fixed), "fits", "fit"), t))
	}
	tols := "none besides the defaults"
	if p.pod != nil && len(p.pod.Spec.Tolerations) > 0 {
		tols = strings.Join(p.pod.Spec.Tolerations, ", ")
	}
	if p.pod != nil {
		h.Detail = sentences(h.Detail, "The pod's tolerations: "+tols)
	}
	op := `operator="Equal", value="` + t.value + `"`
	yamlOp := "operator: Equal, value: " + t.value
	if t.value == "" {
		op, yamlOp = `operator="Exists"`, "operator: Exists"
	}
	eff, yamlEff := "", ""
	if t.effect != "" {
		eff, yamlEff = fmt.Sprintf(`, effect="%s"`, t.effect), ", effect: "+t.effect
	}
	h.Fixes = []rule.Fix{{Action: fmt.Sprintf("add a toleration for %s to the task's pod template", t), Commands: []string{
		fmt.Sprintf(`@task(pod_template=PodTemplate(pod_spec=V1PodSpec(containers=[], tolerations=[V1Toleration(key="%s", %s%s)])))`, t.key, op, eff),
	}}}
	res := ""
	for r := range d.Req {
		if accelerator(r) {
			res = r
		}
	}
	if res == "" && d.Guess {
		res = d.Resource
	}
	if res == "" && accelerator(t.key) {
		res = "nvidia.com/gpu"
	}
	if res != "" {
		h.Fixes = append(h.Fixes, rule.Fix{Action: fmt.Sprintf("or have Flyte add it to every pod that requests %s, in the propeller config", res), Commands: []string{
			fmt.Sprintf("plugins.k8s.resource-tolerations: {%s: [{key: %s, %s%s}]}", res, t.key, yamlOp, yamlEff),
		}})
	}
	h.Fixes = append(h.Fixes, rule.Fix{Action: "or put it in the pod spec of a PodTemplate resource the task names (pod_template_name=) or propeller's plugins.k8s.default-pod-template-name",
		Commands: []string{tolerationYAML(t)}})
	if len(d.Near) > 0 && d.Also != "" {
		h.Fixes = append(h.Fixes, p.fitFix(d, d.Near[0]))
	}
	cmd := "kubectl describe nodes"
	switch {
	case len(d.Fit) > 0:
		cmd = "kubectl describe node " + d.Fit[0].Name
	case len(d.Near) > 0:
		cmd = "kubectl describe node " + d.Near[0].Name
	}
	h.Fixes = append(h.Fixes, rule.Fix{Action: "check the node's taints", Commands: []string{cmd}})
	return h
}

// fitFix lowers the request to what node n can hold, for the resources it lacks.
func (p *state) fitFix(d *diag, n evidence.NodeInfo) rule.Fix {
	var args []string
	for _, r := range sortedKeys(d.Req) {
		if v := alloc(n, r); d.Req[r] > v && !accelerator(r) {
			args = append(args, fmt.Sprintf(`%s="%s"`, resArg(r), floor(r, v)))
		}
	}
	return rule.Fix{Action: fmt.Sprintf("and request no more than %s can hold (what it has allocatable, less what its daemon sets take), or add a node group with larger instances", n.Name),
		Commands: []string{fmt.Sprintf("@task(requests=Resources(%s))", strings.Join(args, ", "))}}
}

// itThey picks the singular or plural wording for n things.
func itThey(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func selectorHit(p *state, d *diag) *rule.Hit {
	h := &rule.Hit{}
	var sel map[string]string
	if p.pod != nil {
		sel = p.pod.Spec.NodeSelector
	}
	if len(sel) == 0 {
		h.Summary = fmt.Sprintf("%s didn't match %s's node affinity/selector", d.count(p.sched), p.podLabel())
		h.Fixes = []rule.Fix{{Action: "compare the pod's node selector with the nodes' labels", Commands: []string{"kubectl get nodes --show-labels"}}}
		return h
	}
	keys := make([]string, 0, len(sel))
	for k := range sel {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	h.Summary = fmt.Sprintf("no node with room for %s matches its node selector %s (%s didn't match)", p.podLabel(), selector(sel), d.count(p.sched))
	var seen []string
	for _, k := range keys {
		vals := map[string]bool{}
		for _, n := range d.Nodes {
			if v, ok := n.Labels[k]; ok {
				vals[v] = true
			}
		}
		if len(vals) == 0 {
			switch {
			case len(d.Nodes) > 0 && p.known(d.Nodes)(k):
				seen = append(seen, fmt.Sprintf("no node carries label %s", k))
			case len(d.Nodes) > 0:
				seen = append(seen, fmt.Sprintf("the node summary shows no label %s (it keeps only well-known scheduling labels)", k))
			}
			continue
		}
		var vs []string
		for v := range vals {
			vs = append(vs, v)
		}
		sort.Strings(vs)
		seen = append(seen, fmt.Sprintf("nodes carry %s=%s", k, strings.Join(vs, "|")))
	}
	if len(seen) > 0 {
		h.Detail = fmt.Sprintf("The pod selects %s, but %s", selector(sel), strings.Join(seen, "; "))
	}
	for _, n := range d.Nodes {
		if l := nodeLine(n, nil, keys); l != "" {
			h.Evidence = append(h.Evidence, l)
		}
	}
	if len(d.Fixed) > 0 {
		h.Detail = sentences(h.Detail, fmt.Sprintf("%s %s room for the request and would take the pod once its node selector matches %s labels",
			names(d.Fixed), itThey(len(d.Fixed), "has", "have"), itThey(len(d.Fixed), "its", "their")))
	}
	h.Fixes = []rule.Fix{
		{Action: "list the nodes with the selector's labels", Commands: []string{"kubectl get nodes -L " + strings.Join(keys, ",")}},
		{Action: fmt.Sprintf("change node selector %s in the task's pod template to labels the nodes carry, or label the intended nodes", selector(sel))},
	}
	return h
}

func affinityHit(p *state, d *diag) *rule.Hit {
	h := &rule.Hit{}
	aff := ""
	if p.pod != nil {
		aff = p.pod.Spec.Affinity
	}
	switch d.Reason.Kind {
	case pkVolumeAffinity:
		h.Summary = fmt.Sprintf("%s conflict with the node affinity of a volume %s mounts (%s)", d.count(p.sched), p.podLabel(), d.Reason.Text)
		h.Detail = "A PersistentVolume can only attach in its own zone; the nodes there are full or absent"
		h.Fixes = []rule.Fix{{Action: "check the volume's zone against the nodes' zones", Commands: []string{
			"kubectl get pv -o custom-columns=NAME:.metadata.name,CLAIM:.spec.claimRef.name,AFFINITY:.spec.nodeAffinity.required",
			"kubectl get nodes -L topology.kubernetes.io/zone"}}}
		return h
	case pkPodAffinity:
		h.Summary = fmt.Sprintf("%s fail %s's pod affinity rules (%s)", d.count(p.sched), p.podLabel(), d.Reason.Text)
		if m := podAffRe.FindStringSubmatch(aff); m != nil {
			why := fmt.Sprintf("Pods labelled %s already occupy every %s the pod may use", m[2], m[3])
			if !strings.Contains(m[1], "anti") {
				why = fmt.Sprintf("No pod labelled %s runs in a %s the pod may use", m[2], m[3])
			}
			h.Detail = sentences("The pod's affinity: "+aff, why)
			h.Fixes = []rule.Fix{
				{Action: fmt.Sprintf("see where the pods labelled %s run", m[2]), Commands: []string{fmt.Sprintf("kubectl get pods -A -l %s -o wide", m[2])}},
				{Action: fmt.Sprintf("relax the %s in the task's pod template (preferred instead of required), or add nodes", m[1])},
			}
			return h
		}
	default:
		h.Summary = fmt.Sprintf("no node satisfies %s's required node affinity (%s didn't match)", p.podLabel(), d.count(p.sched))
		if len(d.Fit) > 0 {
			h.Summary = fmt.Sprintf("%s's required node affinity rules out %s, %s (%s didn't match)", p.podLabel(), names(d.Fit),
				itThey(len(d.Fit), "the only node with room for its request", fmt.Sprintf("the %d nodes with room for its request", len(d.Fit))), d.count(p.sched))
		}
	}
	if aff != "" {
		h.Detail = "The pod's affinity: " + aff
	}
	if len(d.Fixed) > 0 {
		defer func() {
			h.Detail = sentences(h.Detail, fmt.Sprintf("%s would take the pod once its node affinity allows %s", names(d.Fixed), itThey(len(d.Fixed), "it", "them")))
		}()
	}
	h.Fixes = []rule.Fix{{Action: "compare the pod's affinity with the nodes' labels", Commands: []string{"kubectl get nodes --show-labels"}}}
	if m := nodeReqRe.FindStringSubmatch(aff); m != nil {
		key, vals := m[1], m[2]
		carried := map[string]bool{}
		for _, n := range d.Nodes {
			if v, ok := n.Labels[key]; ok {
				carried[v] = true
			}
		}
		var vs []string
		for v := range carried {
			vs = append(vs, v)
		}
		sort.Strings(vs)
		switch {
		case len(d.Nodes) > 0 && len(vs) == 0 && p.known(d.Nodes)(key):
			h.Detail = sentences(h.Detail, fmt.Sprintf("No node carries label %s", key))
		case len(d.Nodes) > 0 && len(vs) == 0:
			h.Detail = sentences(h.Detail, fmt.Sprintf("The node summary shows no label %s on any node (it keeps only well-known scheduling labels, so confirm with kubectl get nodes -L %s)", key, key))
		case len(vs) > 0:
			h.Detail = sentences(h.Detail, fmt.Sprintf("Nodes carry %s=%s, not %s", key, strings.Join(vs, "|"), vals))
		}
		h.Fixes[0].Commands = []string{"kubectl get nodes -L " + key}
		if strings.Contains(key, "accelerator") {
			h.Detail = sentences(h.Detail, fmt.Sprintf("Flyte adds this requirement to tasks with accelerator=...: %s is plugins.k8s.gpu-device-node-label, and the value comes from the task's accelerator", key))
			gpuLabel := ""
			for _, n := range d.Nodes {
				for k := range n.Labels {
					if k == "nvidia.com/gpu.product" || k == "cloud.google.com/gke-accelerator" {
						gpuLabel = k
					}
				}
			}
			action := fmt.Sprintf("set plugins.k8s.gpu-device-node-label to the label your GPU nodes carry, or label the GPU nodes %s=%s", key, vals)
			if gpuLabel != "" {
				action = fmt.Sprintf("set plugins.k8s.gpu-device-node-label to a label your GPU nodes carry (they have %s), or label them %s=%s", gpuLabel, key, vals)
			}
			h.Fixes = append(h.Fixes, rule.Fix{Action: action})
		} else {
			h.Fixes = append(h.Fixes, rule.Fix{Action: fmt.Sprintf("relax the node affinity on %s in the task's pod template, or label the intended nodes %s=%s", key, key, vals)})
		}
		for _, n := range d.Nodes {
			if l := nodeLine(n, nil, []string{key, "nvidia.com/gpu.product"}); n.Ready && l != "" {
				h.Evidence = append(h.Evidence, l)
			}
		}
		return h
	}
	h.Fixes = append(h.Fixes, rule.Fix{Action: "relax the affinity in the task's pod template, or add nodes that satisfy it"})
	return h
}

func pVCHit(p *state, d *diag) *rule.Hit {
	h := &rule.Hit{}
	ns := p.namespace()
	var claims []string
	if m := claimRe.FindStringSubmatch(d.Reason.Text); m != nil {
		claims = []string{m[1]}
		if m[2] == "not found" {
			h.Summary = fmt.Sprintf("%s mounts PersistentVolumeClaim %q, which does not exist in %s", p.podLabel(), m[1], ns)
		} else {
			h.Summary = fmt.Sprintf("%s mounts PersistentVolumeClaim %q, which is being deleted", p.podLabel(), m[1])
		}
	} else {
		if p.pod != nil {
			for _, v := range p.pod.Spec.Volumes {
				if v.Kind == "persistentVolumeClaim" {
					claims = append(claims, v.Ref)
				}
			}
		}
		what := "a PersistentVolumeClaim"
		if len(claims) > 0 {
			what = "PersistentVolumeClaim " + strings.Join(claims, ", ")
		}
		if strings.Contains(d.Reason.Text, "persistent volumes to bind") {
			h.Summary = fmt.Sprintf("no PersistentVolume is available to bind %s of %s", what, p.podLabel())
		} else {
			h.Summary = fmt.Sprintf("%s waits for %s to be bound", p.podLabel(), what)
		}
		h.Detail = "The claim has no volume: its StorageClass has no provisioner, the provisioner failed, or no static PersistentVolume matches"
	}
	cmds := []string{"kubectl get pvc -n " + ns}
	for _, c := range claims {
		cmds = append(cmds, fmt.Sprintf("kubectl describe pvc -n %s %s", ns, c))
	}
	h.Fixes = []rule.Fix{
		{Action: "check the claim's status and events", Commands: cmds},
		{Action: "create the claim in the execution's namespace, or fix its StorageClass so a volume is provisioned"},
	}
	return h
}
