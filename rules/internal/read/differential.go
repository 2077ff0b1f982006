package read

import (
	"cmp"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/flytedoctor/flytedoctor/collectors/evidence"
	"github.com/flytedoctor/flytedoctor/rules/rule"
)

// Diff sets a failed dynamic child beside its siblings, the way a person would before blaming
// a permission: which of them failed, what they had in common with the ones that succeeded,
// and what differed. Aspects are listed whether or not they differ, so a finding can say what
// was compared when nothing did.
type Diff struct {
	// Family is the site's family, Failed holding only the children that failed its way.
	Family evidence.Siblings
	// Aspects are the comparisons made, in a fixed order: identity, image and resources, k8s
	// node, timing, the place's own attempts, data path, object metadata (only when both sides
	// were probed).
	Aspects []Aspect
	// Objects are the inputs of the failed children and of the sampled siblings that a probe
	// described (HeadObject and, for the owner, a listing).
	Failed, Siblings []Object
	// KMS is set when the failed children's inputs carry an SSE-KMS key none of the siblings'
	// does: Key is theirs, SiblingKey the siblings' (or "" for SSE-S3).
	KMS *KMSDiff
	// OneNode is the Kubernetes node every failed pod ran on, when no succeeded sibling's did;
	// OwnerDiffers and Window say that the objects' owner differs, and that the failures fell
	// in one short window with no sibling running meanwhile.
	OneNode      string
	OwnerDiffers bool
	Window       bool
}

// Aspect is one comparison.
type Aspect struct {
	Name    string
	Differs bool
	// Unknown is true when the evidence could not say (the pods are gone, no times).
	Unknown bool
	// Text says what was found: "all 3 ran as service account ns/default, as the execution does".
	Text string
}

// Object is one probed input object and the node it belongs to.
type Object struct {
	Node  *evidence.Node
	Probe evidence.StorageProbe
}

// URI is the object's s3:// URI.
func (o Object) URI() string { return "s3://" + o.Probe.Bucket + "/" + o.Probe.Key }

// KMSDiff is an SSE-KMS key only the failed children's objects carry.
type KMSDiff struct {
	Key, SiblingKey string
	BucketKey       bool // the siblings' objects use an S3 bucket key
}

// Differs returns the aspects that differ.
func (d *Diff) Differs() []Aspect {
	var out []Aspect
	for _, a := range d.Aspects {
		if a.Differs {
			out = append(out, a)
		}
	}
	return out
}

// Compared names the aspects compared: "identity, k8s node, timing, data path, object metadata".
func (d *Diff) Compared() string {
	var names []string
	for _, a := range d.Aspects {
		names = append(names, a.Name)
	}
	return strings.Join(names, ", ")
}

// Differential is the site's comparison with its siblings; nil when the site is not a failed
// child of a dynamic node with siblings that succeeded. like picks the failed children that
// failed the site's way (the others failed for their own reasons and are left out of the
// comparison); key names it for the per-site memo.
func Differential(s *rule.Site, key string, like func(*evidence.Node) bool) *Diff {
	return rule.SiteOnce(s, "differential "+key, func() *Diff { return differential(s, like) })
}

func differential(s *rule.Site, like func(*evidence.Node) bool) *Diff {
	if s.Node == nil || s.Stuck {
		return nil
	}
	fam, ok := evidence.SiblingsOf(s.Path)
	if !ok || len(fam.Succeeded) == 0 {
		return nil
	}
	fam.Failed = slices.DeleteFunc(slices.Clone(fam.Failed), func(n *evidence.Node) bool { return n != s.Node && !like(n) })
	d := &Diff{Family: fam}
	pods := familyPods(s.Snapshot, fam)
	d.Aspects = append(d.Aspects, identity(s, fam, pods), image(fam, pods), k8sNodes(d, pods), timing(d), attempts(s))
	d.Failed, d.Siblings = objects(s.Snapshot, fam)
	d.Aspects = append(d.Aspects, dataPath(fam))
	if len(d.Failed) > 0 && len(d.Siblings) > 0 {
		d.Aspects = append(d.Aspects, objectMeta(d))
	}
	return d
}

// familyPods are the pods of the family's children still listed, by node id: the attempts'
// pods for the failed ones, and for the others the pods Flyte's labels tie to them.
func familyPods(snap *evidence.Snapshot, fam evidence.Siblings) map[string][]*evidence.Pod {
	out := map[string][]*evidence.Pod{}
	k := snap.Kube
	if k == nil {
		return out
	}
	spec := map[string]string{}
	for _, n := range append(append([]*evidence.Node(nil), fam.Failed...), fam.Succeeded...) {
		spec[cmp.Or(n.SpecNodeID, n.ID)] = n.ID
	}
	names := map[string]string{}
	for _, n := range fam.Failed {
		for _, a := range n.Attempts {
			for _, p := range a.PodNames() {
				names[p] = n.ID
			}
		}
	}
	for i := range k.Pods {
		p := &k.Pods[i]
		id, ok := names[p.Name]
		if !ok && p.Labels["execution-id"] == fam.Execution.ID.Name {
			id, ok = spec[p.Labels["node-id"]]
		}
		if ok {
			out[id] = append(out[id], p)
		}
	}
	return out
}

func podsOf(nodes []*evidence.Node, pods map[string][]*evidence.Pod) []*evidence.Pod {
	var out []*evidence.Pod
	for _, n := range nodes {
		out = append(out, pods[n.ID]...)
	}
	return out
}

func distinct(pods []*evidence.Pod, of func(*evidence.Pod) string) []string {
	var out []string
	for _, p := range pods {
		if v := of(p); v != "" && !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	sort.Strings(out)
	return out
}

func serviceAccount(p *evidence.Pod) string { return p.Spec.ServiceAccount }

func primaryImage(p *evidence.Pod) string {
	for _, c := range p.Containers {
		if c.Name == p.Name || len(p.Containers) == 1 {
			req := make([]string, 0, len(c.Requests))
			for k, v := range c.Requests {
				req = append(req, k+"="+v)
			}
			sort.Strings(req)
			return c.Image + " (" + strings.Join(req, ",") + ")"
		}
	}
	return ""
}

func identity(s *rule.Site, fam evidence.Siblings, pods map[string][]*evidence.Pod) Aspect {
	a := Aspect{Name: "identity"}
	exec := cmp.Or(fam.Execution.ServiceAccount, "default")
	role := fam.Execution.IAMRole
	for _, sa := range s.Kube().ServiceAccounts {
		if sa.Name == exec && sa.Annotations["eks.amazonaws.com/role-arn"] != "" {
			role = sa.Annotations["eks.amazonaws.com/role-arn"]
		}
	}
	who := "service account " + exec
	if role != "" {
		who += " (role " + role + ")"
	}
	failed, ok := distinct(podsOf(fam.Failed, pods), serviceAccount), distinct(podsOf(fam.Succeeded, pods), serviceAccount)
	switch {
	case len(ok) > 0 && len(failed) > 0 && !slices.Equal(failed, ok):
		a.Differs = true
		a.Text = fmt.Sprintf("the failed children ran as service account %s, the siblings as %s", strings.Join(failed, ", "), strings.Join(ok, ", "))
	case len(ok) > 0:
		a.Text = fmt.Sprintf("the same identity as the siblings whose pods are left: %s", who)
	default:
		a.Text = fmt.Sprintf("every child runs as the execution's %s unless a pod template names another; the failed ones' pods say %s",
			who, cmp.Or(strings.Join(failed, ", "), "nothing (gone)"))
	}
	return a
}

func image(fam evidence.Siblings, pods map[string][]*evidence.Pod) Aspect {
	a := Aspect{Name: "image and resources"}
	failed, ok := distinct(podsOf(fam.Failed, pods), primaryImage), distinct(podsOf(fam.Succeeded, pods), primaryImage)
	switch {
	case len(failed) == 0:
		a.Text, a.Unknown = "not known: the failed children's pods are gone", true
	case len(ok) == 0:
		a.Text = "the failed children ran " + strings.Join(failed, "; ") + "; no sibling's pod is left to compare"
	case !slices.Equal(failed, ok):
		a.Differs = true
		a.Text = "the failed children ran " + strings.Join(failed, "; ") + ", the siblings " + strings.Join(ok, "; ")
	default:
		a.Text = "the same as the siblings': " + strings.Join(failed, "; ")
	}
	return a
}

func k8sNodes(d *Diff, pods map[string][]*evidence.Pod) Aspect {
	fam := d.Family
	a := Aspect{Name: "k8s node"}
	on := func(p *evidence.Pod) string { return p.NodeName }
	failed := distinct(podsOf(fam.Failed, pods), on)
	ok := distinct(podsOf(fam.Succeeded, pods), on)
	known := len(podsOf(fam.Failed, pods))
	switch {
	case len(failed) == 0:
		a.Text, a.Unknown = "not known: the failed children's pods are gone", true
	case len(failed) == 1 && known > 1 && !slices.Contains(ok, failed[0]):
		a.Differs, d.OneNode = true, failed[0]
		a.Text = fmt.Sprintf("every failed pod ran on %s", failed[0])
		if len(ok) > 0 {
			a.Text += ", no succeeded sibling's did"
		}
	case len(failed) == 1:
		a.Text = fmt.Sprintf("the failed pod ran on %s", failed[0])
	default:
		a.Text = fmt.Sprintf("the failed pods ran on %d nodes (%s): not one bad node", len(failed), strings.Join(failed, ", "))
	}
	return a
}

// timing: failures all within a minute, with no sibling succeeding meanwhile, point at a
// window (a deploy, an outage); failures spread out among successes do not.
func timing(d *Diff) Aspect {
	fam := d.Family
	a := Aspect{Name: "timing"}
	var ends []time.Time
	for _, n := range fam.Failed {
		for _, at := range n.Attempts {
			if !at.UpdatedAt.IsZero() {
				ends = append(ends, at.UpdatedAt)
			}
		}
	}
	if len(ends) == 0 {
		a.Text, a.Unknown = "not known: no attempt times", true
		return a
	}
	slices.SortFunc(ends, func(x, y time.Time) int { return x.Compare(y) })
	first, last := ends[0], ends[len(ends)-1]
	during := 0
	for _, n := range fam.Succeeded {
		if end := n.StartedAt.Add(n.Duration.Std()); !n.StartedAt.IsZero() && !n.StartedAt.After(last) && !end.Before(first) {
			during++
		}
	}
	span := last.Sub(first)
	switch {
	case len(ends) > 1 && span <= time.Minute && during == 0:
		a.Differs, d.Window = true, true
		a.Text = fmt.Sprintf("all %d failed attempts ended within %s (%s to %s) and no sibling ran meanwhile", len(ends),
			evidence.ShortDuration(span), first.UTC().Format("15:04:05"), last.UTC().Format("15:04:05"))
	default:
		a.Text = fmt.Sprintf("the %d failed attempts ended over %s (%s to %s), while %d siblings ran and succeeded", len(ends),
			evidence.ShortDuration(span), first.UTC().Format("15:04:05"), last.UTC().Format("15:04:05"), during)
	}
	return a
}

// attempts compares the place's own attempts: the same error every time points at something
// that does not change between retries; different errors at something that did.
func attempts(s *rule.Site) Aspect {
	a := Aspect{Name: "attempts"}
	if len(s.Attempts) < 2 {
		a.Text = "a single attempt"
		return a
	}
	var codes, nodes []string
	for _, at := range s.Attempts {
		code := "no error"
		if at.Error != nil {
			code, _ = rule.Unwrap(at.Error.Code, at.Error.Message)
		}
		codes = append(codes, fmt.Sprintf("%d: %s", at.RetryAttempt, OrUnknown(code)))
		for _, name := range at.PodNames() {
			if p := s.Pods[name]; p != nil && p.NodeName != "" && !slices.Contains(nodes, p.NodeName) {
				nodes = append(nodes, p.NodeName)
			}
		}
	}
	first := strings.SplitN(codes[0], ": ", 2)[1]
	same := true
	for _, c := range codes[1:] {
		same = same && strings.SplitN(c, ": ", 2)[1] == first
	}
	on := "their pods' nodes are not known"
	if len(nodes) > 0 {
		on = "pods left on " + strings.Join(nodes, ", ")
	}
	if same {
		a.Text = fmt.Sprintf("all %d attempts of this child failed the same way (%s); %s", len(s.Attempts), first, on)
		return a
	}
	a.Differs = true
	a.Text = "the attempts of this child failed differently (" + strings.Join(codes, "; ") + "); " + on
	return a
}

// dirOf is the data dir the children's inputs sit in: <node output dir>/<child>/inputs.pb.
func dirOf(uri string) string {
	u := strings.TrimSuffix(uri, "/")
	for range 2 {
		if i := strings.LastIndexByte(u, '/'); i > 0 {
			u = u[:i]
		}
	}
	return u + "/"
}

func dataPath(fam evidence.Siblings) Aspect {
	a := Aspect{Name: "data path"}
	var failed, ok []string
	for _, n := range fam.Failed {
		if n.InputURI != "" && !slices.Contains(failed, dirOf(n.InputURI)) {
			failed = append(failed, dirOf(n.InputURI))
		}
	}
	for _, n := range fam.Succeeded {
		if n.InputURI != "" && !slices.Contains(ok, dirOf(n.InputURI)) {
			ok = append(ok, dirOf(n.InputURI))
		}
	}
	switch {
	case len(failed) == 0:
		a.Text, a.Unknown = "not known: Admin names no inputs", true
	case len(failed) == 1 && slices.Equal(failed, ok):
		a.Text = "the same prefix as the siblings' inputs: " + failed[0]
	default:
		a.Differs = true
		a.Text = "the failed children's inputs are under " + strings.Join(failed, ", ") + ", the siblings' under " + strings.Join(ok, ", ")
	}
	return a
}

// objects are the probes of the family's inputs made for comparison, failed side and sibling
// side, in snapshot order.
func objects(snap *evidence.Snapshot, fam evidence.Siblings) (failed, siblings []Object) {
	if snap.Storage == nil {
		return nil, nil
	}
	byID := map[string]*evidence.Node{}
	for _, n := range append(append([]*evidence.Node(nil), fam.Failed...), fam.Succeeded...) {
		byID[n.ID] = n
	}
	for _, p := range snap.Storage.Probes {
		ref := p.Path.Node
		if p.Operation != "HeadObject" || !p.Path.Compare || ref == nil || ref.Execution != fam.Execution.ID || byID[ref.NodeID] == nil {
			continue
		}
		o := Object{Node: byID[ref.NodeID], Probe: p}
		if p.Path.Purpose == evidence.PurposeSiblingInputs {
			siblings = append(siblings, o)
		} else if p.Path.Purpose == evidence.PurposeNodeInputs {
			failed = append(failed, o)
		}
	}
	return failed, siblings
}

func meta(o Object) evidence.ObjectMeta {
	if o.Probe.Object == nil {
		return evidence.ObjectMeta{}
	}
	return *o.Probe.Object
}

func encryption(m evidence.ObjectMeta) string {
	switch {
	case m.SSECustomerAlgorithm != "":
		return "SSE-C (a customer-provided key)"
	case strings.HasPrefix(m.SSE, "aws:kms") && m.KMSKeyID != "":
		return "SSE-KMS with key " + m.KMSKeyID
	case strings.HasPrefix(m.SSE, "aws:kms"):
		return "SSE-KMS"
	case m.SSE == "AES256":
		return "SSE-S3 (AES256)"
	}
	return ""
}

func objectMeta(d *Diff) Aspect {
	a := Aspect{Name: "object metadata"}
	set := func(objs []Object, of func(Object) string) []string {
		var out []string
		for _, o := range objs {
			if v := of(o); v != "" && !slices.Contains(out, v) {
				out = append(out, v)
			}
		}
		sort.Strings(out)
		return out
	}
	enc := func(o Object) string { return encryption(meta(o)) }
	owner := func(o Object) string { return meta(o).Owner }
	class := func(o Object) string { return cmp.Or(meta(o).StorageClass, "STANDARD") }
	outcome := func(o Object) string { return o.Probe.Outcome }
	var diffs, same []string
	fe, se := set(d.Failed, enc), set(d.Siblings, enc)
	switch {
	case len(fe) == 0 || len(se) == 0:
	case !slices.Equal(fe, se):
		diffs = append(diffs, fmt.Sprintf("encryption %s, the siblings' %s", strings.Join(fe, "; "), strings.Join(se, "; ")))
		if m := meta(d.Failed[0]); len(fe) == 1 && strings.HasPrefix(m.SSE, "aws:kms") && m.KMSKeyID != "" {
			sm := meta(d.Siblings[0])
			d.KMS = &KMSDiff{Key: m.KMSKeyID, BucketKey: sm.BucketKeyEnabled}
			if len(se) == 1 && strings.HasPrefix(sm.SSE, "aws:kms") {
				d.KMS.SiblingKey = sm.KMSKeyID
			}
		}
	default:
		same = append(same, "encryption ("+strings.Join(fe, "; ")+")")
	}
	if fo, so := set(d.Failed, owner), set(d.Siblings, owner); len(fo) > 0 && len(so) > 0 {
		if !slices.Equal(fo, so) {
			d.OwnerDiffers = true
			diffs = append(diffs, fmt.Sprintf("owner %s, the siblings' %s", strings.Join(fo, ", "), strings.Join(so, ", ")))
		} else {
			same = append(same, "owner")
		}
	}
	if fc, sc := set(d.Failed, class), set(d.Siblings, class); !slices.Equal(fc, sc) {
		diffs = append(diffs, fmt.Sprintf("storage class %s, the siblings' %s", strings.Join(fc, ", "), strings.Join(sc, ", ")))
	} else {
		same = append(same, "storage class")
	}
	if fo, so := set(d.Failed, outcome), set(d.Siblings, outcome); !slices.Equal(fo, so) {
		diffs = append(diffs, fmt.Sprintf("flytedoctor's own HEAD was %s on them, %s on the siblings'", strings.Join(fo, "/"), strings.Join(so, "/")))
	}
	n := fmt.Sprintf("%d failed and %d sibling inputs", len(d.Failed), len(d.Siblings))
	if len(diffs) == 0 {
		a.Text = n + " have the same " + strings.Join(same, ", ")
		return a
	}
	a.Differs = true
	a.Text = n + ": " + strings.Join(diffs, "; ")
	if len(same) > 0 {
		a.Text += "; the same " + strings.Join(same, ", ")
	}
	return a
}
