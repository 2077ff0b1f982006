package pending

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/flytedoctor/flytedoctor/collectors/evidence"
	"github.com/flytedoctor/flytedoctor/rules/internal/read"
)

func bytesLike(resource string) bool {
	return resource == "memory" || resource == "ephemeral-storage" || strings.HasPrefix(resource, "hugepages-") || strings.HasPrefix(resource, "requests.memory") ||
		strings.HasSuffix(resource, ".memory") || strings.HasSuffix(resource, "ephemeral-storage")
}

// show formats a quantity for people: memory in Gi/Mi, CPU in cores.
func show(resource string, v float64) string {
	trim := func(f float64) string { return strconv.FormatFloat(math.Round(f*10)/10, 'f', -1, 64) }
	if bytesLike(resource) {
		switch {
		case v >= 1<<30:
			return trim(v/(1<<30)) + "Gi"
		case v >= 1<<20:
			return trim(v/(1<<20)) + "Mi"
		}
		return trim(v)
	}
	if v > 0 && v < 1 {
		return strconv.FormatFloat(math.Round(v*1000), 'f', -1, 64) + "m"
	}
	return strconv.FormatFloat(math.Round(v*1000)/1000, 'f', -1, 64)
}

// requests is the pod's effective request per resource: the sum over containers, or
// the largest init container when that is more. A limit stands in for a missing request.
func requests(p *evidence.Pod) map[string]float64 {
	if p == nil {
		return nil
	}
	get := func(c evidence.Container) map[string]float64 {
		out := map[string]float64{}
		for k, v := range c.Limits {
			if q, ok := read.ParseQuantity(v); ok {
				out[k] = q
			}
		}
		for k, v := range c.Requests {
			if q, ok := read.ParseQuantity(v); ok {
				out[k] = q
			}
		}
		return out
	}
	sum := map[string]float64{}
	for _, c := range p.Containers {
		for k, v := range get(c) {
			sum[k] += v
		}
	}
	for _, c := range p.InitContainers {
		for k, v := range get(c) {
			if v > sum[k] {
				sum[k] = v
			}
		}
	}
	if len(sum) == 0 {
		return nil
	}
	return sum
}

func (p *state) nodes() []evidence.NodeInfo {
	if k := p.s.Snapshot.Kube; k != nil && k.Nodes != nil {
		return k.Nodes.Nodes
	}
	return nil
}

func alloc(n evidence.NodeInfo, resource string) float64 {
	v, _ := read.ParseQuantity(n.Allocatable[resource])
	return v
}

// maxAlloc is the largest allocatable amount of a resource among ready nodes.
func maxAlloc(nodes []evidence.NodeInfo, resource string) (float64, string) {
	best, name := 0.0, ""
	for _, n := range nodes {
		if v := alloc(n, resource); n.Ready && v > best {
			best, name = v, n.Name
		}
	}
	return best, name
}

type taint struct{ key, value, effect string }

func (t taint) String() string {
	s := t.key
	if t.value != "" {
		s += "=" + t.value
	}
	if t.effect != "" {
		s += ":" + t.effect
	}
	return s
}

func parseTaint(s string) taint {
	var t taint
	if i := strings.LastIndex(s, ":"); i >= 0 {
		s, t.effect = s[:i], s[i+1:]
	}
	t.key, t.value, _ = strings.Cut(s, "=")
	return t
}

// tolerates reports whether a toleration as the collector renders it ("key=value:Effect",
// "key:Exists:Effect", "*:Exists", with an optional " for Ns") tolerates the taint.
func tolerates(tol string, t taint) bool {
	tol, _, _ = strings.Cut(tol, " for ")
	effect := ""
	for _, e := range []string{"NoSchedule", "PreferNoSchedule", "NoExecute"} {
		if strings.HasSuffix(tol, ":"+e) {
			tol, effect = strings.TrimSuffix(tol, ":"+e), e
			break
		}
	}
	if effect != "" && effect != t.effect {
		return false
	}
	if key, ok := strings.CutSuffix(tol, ":Exists"); ok {
		return key == "*" || key == t.key
	}
	key, value, _ := strings.Cut(tol, "=")
	return key == t.key && value == t.value
}

// blocking returns the node's NoSchedule/NoExecute taints the pod does not tolerate.
func blocking(n evidence.NodeInfo, tolerations []string, system bool) []taint {
	var out []taint
	for _, s := range n.Taints {
		t := parseTaint(s)
		if t.effect == "PreferNoSchedule" || systemTaint(t.key) != system {
			continue
		}
		tolerated := false
		for _, tol := range tolerations {
			tolerated = tolerated || tolerates(tol, t)
		}
		if !tolerated {
			out = append(out, t)
		}
	}
	return out
}

func (p *state) tolerations() []string {
	if p.pod == nil {
		return nil
	}
	return p.pod.Spec.Tolerations
}

// usable nodes are ready, not cordoned and free of system taints the pod does not tolerate.
func (p *state) usable(n evidence.NodeInfo) bool {
	return n.Ready && !n.Unschedulable && len(blocking(n, p.tolerations(), true)) == 0
}

func names(nodes []evidence.NodeInfo) string {
	var names []string
	for _, n := range nodes {
		names = append(names, n.Name)
	}
	if len(names) > 3 {
		return strings.Join(names[:3], ", ") + fmt.Sprintf(" and %d more", len(names)-3)
	}
	return strings.Join(names, ", ")
}

// nodeLine summarises a node for evidence: the allocatable amounts of the requested
// resources, its taints and selected labels.
func nodeLine(n evidence.NodeInfo, req map[string]float64, labelKeys []string) string {
	var parts []string
	keys := make([]string, 0, len(req))
	for k := range req {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var alloc []string
	for _, k := range keys {
		v := read.OrUnknown(n.Allocatable[k])
		if q, ok := read.ParseQuantity(v); ok && bytesLike(k) {
			if h := show(k, q); h != v {
				v += " (" + h + ")"
			}
		}
		alloc = append(alloc, k+"="+v)
	}
	if len(alloc) > 0 {
		parts = append(parts, "allocatable "+strings.Join(alloc, " "))
	}
	if len(n.Taints) > 0 {
		parts = append(parts, "taints "+strings.Join(n.Taints, ", "))
	}
	var labels []string
	for _, k := range labelKeys {
		if v, ok := n.Labels[k]; ok {
			labels = append(labels, k+"="+v)
		}
	}
	if len(labels) > 0 {
		parts = append(parts, "labels "+strings.Join(labels, " "))
	}
	if !n.Ready {
		parts = append(parts, "NotReady")
	}
	if n.Unschedulable {
		parts = append(parts, "cordoned")
	}
	if len(parts) == 0 {
		return ""
	}
	return "node " + n.Name + ": " + strings.Join(parts, "; ")
}

func (p *state) requestLine(req map[string]float64) string {
	if p.pod == nil || len(req) == 0 {
		return ""
	}
	keys := make([]string, 0, len(req))
	for k := range req {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		parts = append(parts, k+"="+show(k, req[k]))
	}
	t := fmt.Sprintf("pod %s requests %s", p.pod.Name, strings.Join(parts, " "))
	if len(p.pod.Spec.Tolerations) > 0 {
		t += "; tolerations " + strings.Join(p.pod.Spec.Tolerations, ", ")
	}
	if len(p.pod.Spec.NodeSelector) > 0 {
		t += "; node selector " + selector(p.pod.Spec.NodeSelector)
	}
	if p.pod.Spec.Affinity != "" {
		t += "; affinity " + p.pod.Spec.Affinity
	}
	return t
}

func selector(sel map[string]string) string {
	keys := make([]string, 0, len(sel))
	for k := range sel {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		parts = append(parts, k+"="+sel[k])
	}
	return strings.Join(parts, ",")
}

// selectorMisses reports whether the node's known labels contradict the selector; a
// label the summary does not speak for proves nothing (see labelKnown).
func selectorMisses(n evidence.NodeInfo, sel map[string]string, known func(string) bool) bool {
	for k, v := range sel {
		if known(k) && n.Labels[k] != v {
			return true
		}
	}
	return false
}

// age formats a wait: "45s", "46m", "2h5m", "3d4h".
func age(d time.Duration) string {
	switch {
	case d <= 0:
		return ""
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 24*time.Hour:
		h, m := int(d.Hours()), int(d.Minutes())%60
		if m == 0 {
			return fmt.Sprintf("%dh", h)
		}
		return fmt.Sprintf("%dh%dm", h, m)
	}
	days, h := int(d.Hours())/24, int(d.Hours())%24
	if h == 0 {
		return fmt.Sprintf("%dd", days)
	}
	return fmt.Sprintf("%dd%dh", days, h)
}
