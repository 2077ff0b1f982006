package pending

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/flytedoctor/flytedoctor/collectors/evidence"
	"github.com/flytedoctor/flytedoctor/rules/internal/pattern"
)

// fit is how one node stands against the pod, by the filters kube-scheduler runs before it
// looks at free capacity: system taints and readiness, the pod's tolerations, its node selector
// and required node affinity, and whether the node could hold the request at all (allocatable,
// not free). Free capacity and other pods (anti-affinity, ports) are not in the snapshot: the
// scheduler's message speaks for them.
type fit struct {
	Node     evidence.NodeInfo
	Usable   bool     // ready, not cordoned, no untolerated system taint
	Taints   []taint  // untolerated NoSchedule/NoExecute taints that are not system taints
	Selector []string // node selector pairs the node's labels contradict ("pool=gpu (node has cpu)")
	Affinity bool     // the node's labels contradict the pod's required node affinity
	Short    []string // requested resources whose allocatable is below the request
}

// excluded reports a filter that rules the node out whatever is free on it.
func (f *fit) excluded() bool { return len(f.Taints) > 0 || len(f.Selector) > 0 || f.Affinity }

// holds reports whether the node could hold the whole request if it were empty.
func (f *fit) holds() bool { return f.Usable && len(f.Short) == 0 }

// fits evaluates every node of the summary against the pod and req.
func (p *state) fits(req map[string]float64, nodes []evidence.NodeInfo) []fit {
	var sel map[string]string
	aff := ""
	if p.pod != nil {
		sel, aff = p.pod.Spec.NodeSelector, p.pod.Spec.Affinity
	}
	terms := nodeTerms(aff)
	known := p.known(nodes)
	out := make([]fit, 0, len(nodes))
	for _, n := range nodes {
		f := fit{Node: n, Usable: p.usable(n), Taints: blocking(n, p.tolerations(), false)}
		for _, k := range sortedKeys(sel) {
			if !known(k) {
				continue
			}
			if v, ok := n.Labels[k]; !ok || v != sel[k] {
				f.Selector = append(f.Selector, fmt.Sprintf("%s=%s (node has %s)", k, sel[k], labelOr(v, ok)))
			}
		}
		f.Affinity = len(terms) > 0 && termsFail(terms, n, known)
		for _, r := range sortedKeys(req) {
			if v := req[r]; v > 0 && alloc(n, r) < v {
				f.Short = append(f.Short, r)
			}
		}
		out = append(out, f)
	}
	return out
}

func labelOr(v string, ok bool) string {
	if !ok {
		return "no such label"
	}
	return v
}

// known is labelKnown for the site's snapshot.
func (p *state) known(nodes []evidence.NodeInfo) func(string) bool {
	return labelKnown(p.s.Snapshot.Kube, nodes)
}

// labelKnown says whether the summary speaks for a label key: some node carries it, or the
// collector kept it because the execution's pods select on it. Otherwise the collector may
// have dropped it (it keeps only well-known scheduling labels), and its absence proves nothing.
func labelKnown(k *evidence.Kube, nodes []evidence.NodeInfo) func(string) bool {
	kept := map[string]bool{}
	if k != nil && k.Nodes != nil {
		for _, key := range k.Nodes.SelectorLabels {
			kept[key] = true
		}
	}
	return func(key string) bool {
		if kept[key] || key == "metadata.name" {
			return true
		}
		for _, n := range nodes {
			if _, ok := n.Labels[key]; ok {
				return true
			}
		}
		return false
	}
}

// expr is one requirement of a node selector term, as the collector summarises it:
// "key In [a,b]", "key NotIn [a]", "key Exists", "key DoesNotExist", "key Gt [3]".
type expr struct {
	Key, Op string
	Values  []string
}

var exprRe = pattern.MustCompile(`^(\S+) (In|NotIn|Gt|Lt) \[([^\]]*)\]$|^(\S+) (Exists|DoesNotExist)$`)

// nodeTerms parses the required node affinity of the collector's affinity summary ("node
// requires a In [x] && b Exists || c In [y]; pod anti-affinity ..."): the terms are ORed, the
// expressions of a term ANDed. An expression it cannot read makes the whole affinity unknown.
func nodeTerms(aff string) [][]expr {
	const head = "node requires "
	var req string
	for _, part := range strings.Split(aff, "; ") {
		if strings.HasPrefix(part, head) {
			req = strings.TrimPrefix(part, head)
		}
	}
	if req == "" {
		return nil
	}
	var terms [][]expr
	for _, t := range strings.Split(req, " || ") {
		var term []expr
		for _, e := range strings.Split(t, " && ") {
			m := exprRe.FindStringSubmatch(strings.TrimSpace(e))
			switch {
			case m == nil:
				return nil
			case m[1] != "":
				vals := strings.Split(m[3], ",")
				if m[3] == "" {
					vals = nil
				}
				term = append(term, expr{Key: m[1], Op: m[2], Values: vals})
			default:
				term = append(term, expr{Key: m[4], Op: m[5]})
			}
		}
		terms = append(terms, term)
	}
	return terms
}

// termsFail reports whether the node's known labels contradict every term; a term with an
// expression on an unknown label may hold, so it never counts as failed.
func termsFail(terms [][]expr, n evidence.NodeInfo, known func(string) bool) bool {
	for _, term := range terms {
		failed := false
		for _, e := range term {
			if !known(e.Key) {
				return false
			}
			if !e.holds(n) {
				failed = true
			}
		}
		if !failed {
			return false
		}
	}
	return true
}

func (e expr) holds(n evidence.NodeInfo) bool {
	v, ok := n.Labels[e.Key]
	if e.Key == "metadata.name" {
		v, ok = n.Name, true
	}
	in := func() bool {
		for _, w := range e.Values {
			if w == v {
				return true
			}
		}
		return false
	}
	switch e.Op {
	case "In":
		return ok && in()
	case "NotIn":
		return !ok || !in()
	case "Exists":
		return ok
	case "DoesNotExist":
		return !ok
	case "Gt", "Lt":
		if !ok || len(e.Values) != 1 {
			return false
		}
		a, err1 := strconv.ParseInt(v, 10, 64)
		b, err2 := strconv.ParseInt(e.Values[0], 10, 64)
		if err1 != nil || err2 != nil {
			return false
		}
		return e.Op == "Gt" && a > b || e.Op == "Lt" && a < b
	}
	return false
}

// scarce lists the requested resources few nodes offer at all (GPUs and other extended
// resources), the ones that decide which nodes "would otherwise fit".
func scarce(req map[string]float64) []string {
	var out []string
	for _, r := range sortedKeys(req) {
		if req[r] > 0 && (accelerator(r) || strings.Contains(r, "/") && !strings.HasPrefix(r, "hugepages-")) {
			out = append(out, r)
		}
	}
	return out
}

// shortLine says what a node lacks for the request: "cpu 3920m allocatable, the pod requests 4".
func shortLine(f fit, req map[string]float64) string {
	var parts []string
	for _, r := range f.Short {
		parts = append(parts, fmt.Sprintf("%s %s allocatable, the pod requests %s", r, show(r, alloc(f.Node, r)), show(r, req[r])))
	}
	return strings.Join(parts, "; ")
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func nodesOf(fs []fit) []evidence.NodeInfo {
	out := make([]evidence.NodeInfo, 0, len(fs))
	for _, f := range fs {
		out = append(out, f.Node)
	}
	return out
}

// tolerationYAML is the toleration that matches t, as a pod spec entry.
func tolerationYAML(t taint) string {
	s := "tolerations: [{key: " + t.key
	if t.value == "" {
		s += ", operator: Exists"
	} else {
		s += ", operator: Equal, value: " + t.value
	}
	if t.effect != "" {
		s += ", effect: " + t.effect
	}
	return s + "}]"
}
