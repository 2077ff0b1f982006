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
	Taint      *taint              // the taint on every fitting node
	Req        map[string]float64  // the pod's requests, when known
	Nodes      []evidence.NodeInfo // the node summary, when known
}

// diagnosis is the site's scheduling diagnosis, computed once per site (see diagnose).
func diagnosis(p *state) *diag {
	return rule.SiteOnce(p.s, "pending-diagnosis", func() *diag { return diagnose(p) })
}

// diagnose picks one dominant reason from the scheduler's message: a missing claim; a
// request no node can ever hold; a taint or selector that excludes exactly the nodes that would
// fit; else the Insufficient resource that covers most nodes; else the exclusion that does.
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
	if len(d.Req) > 0 && len(d.Nodes) > 0 {
		byRank := append([]*reason(nil), insuff...)
		sort.SliceStable(byRank, func(i, j int) bool { return rank(byRank[i].Resource) < rank(byRank[j].Resource) })
		for _, r := range byRank {
			if v := d.Req[r.Resource]; v > 0 {
				if max, _ := maxAlloc(d.Nodes, r.Resource); v > max {
					d.Cause, d.Reason, d.Resource, d.Impossible = cause(r.Resource), r, r.Resource, true
					return d
				}
			}
		}
		for _, n := range d.Nodes {
			if p.usable(n) && fits(n, d.Req) {
				d.Fit = append(d.Fit, n)
			}
		}
		if r := find(pkTaint); r != nil && len(d.Fit) > 0 {
			var first *taint
			all := true
			for _, n := range d.Fit {
				b := blocking(n, p.tolerations(), false)
				if len(b) == 0 {
					all = false
					break
				}
				if first == nil {
					first = &b[0]
				}
			}
			if all {
				d.Cause, d.Reason, d.Taint = "untolerated-taint", r, first
				return d
			}
		}
		if r := find(pkSelector); r != nil && len(d.Fit) > 0 && p.pod != nil && len(p.pod.Spec.NodeSelector) > 0 {
			all := true
			for _, n := range d.Fit {
				all = all && selectorMisses(n, p.pod.Spec.NodeSelector, d.Nodes)
			}
			if all {
				d.Cause, d.Reason = "node-selector-mismatch", r
				return d
			}
		}
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
					missAll = missAll && (!p.usable(n) || selectorMisses(n, sel, d.Nodes))
				}
				if missAll {
					d.Cause = "node-selector-mismatch"
				}
			}
		}
	}
	return d
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
		if r.Kind == pkUnavailable {
			t += " (not usable for tasks)"
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
	if req > 0 {
		reqS = show(r, req)
	}
	max, maxNode := maxAlloc(d.Nodes, r)
	h := &rule.Hit{}
	var analysis string
	switch {
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
	if len(d.Fit) > 0 {
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
	} else {
		h.Summary = fmt.Sprintf("%s does not tolerate taint %s (%s)", p.podLabel(), t, d.count(p.sched))
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
	if res == "" && accelerator(t.key) {
		res = "nvidia.com/gpu"
	}
	if res != "" {
		h.Fixes = append(h.Fixes, rule.Fix{Action: fmt.Sprintf("or have Flyte add it to every pod that requests %s, in the propeller config", res), Commands: []string{
			fmt.Sprintf("plugins.k8s.resource-tolerations: {%s: [{key: %s, %s%s}]}", res, t.key, yamlOp, yamlEff),
		}})
	}
	cmd := "kubectl describe nodes"
	if len(d.Fit) > 0 {
		cmd = "kubectl describe node " + d.Fit[0].Name
	}
	h.Fixes = append(h.Fixes, rule.Fix{Action: "check the node's taints", Commands: []string{cmd}})
	return h
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
			if len(d.Nodes) > 0 {
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
	}
	if aff != "" {
		h.Detail = "The pod's affinity: " + aff
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
