package rules

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/flytedoctor/flytedoctor/collectors/evidence"
	"github.com/flytedoctor/flytedoctor/rules/internal/pattern"
	"github.com/flytedoctor/flytedoctor/rules/rule"
)

// Place is one of the places a finding is about, when one cause hit several.
type Place struct {
	rule.Subject
	// Label is how a person names the place: the node's template id (dn512), else its id.
	Label string `json:"label,omitempty"`
}

// PlaceTimeline is a place's attempts over time (evidence.Index.Timeline).
type PlaceTimeline struct {
	Execution string                     `json:"execution"`
	Node      string                     `json:"node"`
	Attempts  []evidence.AttemptTimeline `json:"attempts"`
}

// rooted is a root cause with the site it explains.
type rooted struct {
	f    Finding
	site *rule.Site
}

// maxLabels bounds the place names a summary lists; JSON keeps every place.
const maxLabels = 10

// group folds root causes that differ only by their place into one finding: same rule, category,
// cause and severity, and the same fixes and summary once each place's own names (object key,
// pod, node ids) are masked, and in the summary its numbers too (shard 17, shard 512). The first place stays the subject; Places lists them all. Retries of one
// node are one place already, so they are not affected.
func group(roots []rooted, snap *evidence.Snapshot) []Finding {
	// Every place's names are masked in every key: a finding about a family of places names
	// them all (these 3 objects), the same text at each.
	var names []string
	for _, r := range roots {
		names = append(names, placeNames(r)...)
	}
	names = slices.DeleteFunc(names, func(s string) bool { return len(s) < 2 })
	sort.Slice(names, func(i, j int) bool { return len(names[i]) > len(names[j]) }) // a node id inside a key goes with it
	names = slices.Compact(names)
	pairs := make([]string, 0, 2*len(names))
	for _, n := range names {
		pairs = append(pairs, n, "\x00")
	}
	mask := strings.NewReplacer(pairs...) // one pass per text, longest name first at each position
	byKey := map[string]int{}
	var out []Finding
	var members [][]rooted
	for _, r := range roots {
		k := placeKey(r, mask)
		if i, ok := byKey[k]; ok && r.site.Node != nil {
			members[i] = append(members[i], r)
			continue
		}
		if r.site.Node != nil {
			byKey[k] = len(out)
		}
		out = append(out, r.f)
		members = append(members, []rooted{r})
	}
	nodes := nodeIndex(snap)
	for i, m := range members {
		if len(m) < 2 {
			continue
		}
		f := &out[i]
		for _, r := range m {
			f.Places = append(f.Places, Place{Subject: r.f.Subject, Label: label(r.site.Node)})
			for _, id := range r.f.Corroborated {
				if !slices.Contains(f.Corroborated, id) {
					f.Corroborated = append(f.Corroborated, id)
				}
			}
		}
		f.PlacesSummary = placesSummary(f.Places, nodes)
	}
	return out
}

// placeNames are the names of a root cause's place: object key, pods, node ids.
func placeNames(r rooted) []string {
	f := r.f
	names := []string{f.Subject.Key, f.Subject.Pod, f.Subject.Node}
	if n := r.site.Node; n != nil {
		names = append(names, n.SpecNodeID)
	}
	for _, a := range r.site.Attempts {
		names = append(names, a.PodNames()...)
	}
	return names
}

// placeKey is what a root cause says with the places' names taken out.
func placeKey(r rooted, mask *strings.Replacer) string {
	f := r.f
	fixes, _ := json.Marshal(f.Fixes)
	summary := digits.ReplaceAllString(mask.Replace(f.Summary), "#")
	return strings.Join([]string{f.RuleID, f.Category, f.Cause, f.Severity.String(), mask.Replace(string(fixes)), summary}, "\x01")
}

var digits = pattern.MustCompile(`[0-9]+`)

func label(n *evidence.Node) string {
	if n == nil {
		return ""
	}
	if n.SpecNodeID != "" {
		return n.SpecNodeID
	}
	return n.ID
}

// nodeIndex finds a node by execution and id.
func nodeIndex(snap *evidence.Snapshot) map[string]*evidence.Node {
	out := map[string]*evidence.Node{}
	if snap.Execution == nil {
		return out
	}
	snap.Execution.Walk(func(path []evidence.Step) bool {
		st := path[len(path)-1]
		out[st.Execution.ID.String()+"\x00"+st.Node.ID] = st.Node
		return true
	})
	return out
}

// placesSummary is "3 of 1,000 children of n0: dn17, dn512, dn873" when the places share a
// parent, else "3 places: n1, n4, n7".
func placesSummary(places []Place, nodes map[string]*evidence.Node) string {
	var labels []string
	for _, p := range places {
		labels = append(labels, p.Label)
	}
	if len(labels) > maxLabels {
		labels = append(labels[:maxLabels], fmt.Sprintf("and %d more", len(places)-maxLabels))
	}
	list := strings.Join(labels, ", ")
	parent := func(p Place) string {
		if len(p.Path) < 2 {
			return ""
		}
		return p.Execution + "\x00" + p.Path[len(p.Path)-2]
	}
	first := parent(places[0])
	same := first != ""
	for _, p := range places[1:] {
		same = same && parent(p) == first
	}
	if n := nodes[first]; same && n != nil && len(n.Children) > 0 {
		return fmt.Sprintf("%d of %s children of %s: %s", len(places), thousands(len(n.Children)), label(n), list)
	}
	return fmt.Sprintf("%d places: %s", len(places), list)
}

// thousands writes n with thousands separators: 1,000.
func thousands(n int) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// timelines are the attempts over time of the places with a root cause.
func timelines(roots []rooted, x *evidence.Index) []PlaceTimeline {
	var out []PlaceTimeline
	for _, r := range roots {
		n := r.site.Node
		if n == nil || len(n.Attempts) == 0 {
			continue
		}
		out = append(out, PlaceTimeline{Execution: r.site.Execution.ID.String(), Node: n.ID, Attempts: x.Timeline(n)})
	}
	return out
}
