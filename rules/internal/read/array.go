package read

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/flytedoctor/flytedoctor/collectors/evidence"
	"github.com/flytedoctor/flytedoctor/rules/rule"
)

// flyteSub is one line of an array node's error summary: the subtasks that failed with one
// message (facts C4: "[3-4]: <msg>", or the legacy plugin's `[5]: code:"X" message:"..."`).
type flyteSub struct {
	Ranges  string
	Indices []int
	Code    string
	Text    string
	Class   string
}

// flyteArraySubs parses the array node's error summary; ok is false when the site is not an
// array node with such a summary.
func ArraySubs(s *rule.Site) ([]flyteSub, bool) {
	type subs struct {
		list []flyteSub
		ok   bool
	}
	v := rule.SiteOnce(s, "array-subtasks", func() subs {
		l, ok := flyteReadArraySubs(s)
		return subs{l, ok}
	})
	return v.list, v.ok
}

// flyteMaxSubtasks bounds the subtask indices read from one summary, all ranges together: a
// line such as "[0-99999][0-99999]...: msg" must not expand to billions.
const flyteMaxSubtasks = 100000

func flyteReadArraySubs(s *rule.Site) ([]flyteSub, bool) {
	if s.Node == nil {
		return nil, false
	}
	array := s.Node.IsArray || s.Node.Kind == evidence.KindArray
	for _, a := range s.Attempts {
		array = array || len(a.ExternalResources) > 0 || a.PluginID == "k8s-array"
	}
	if !array {
		return nil, false
	}
	_, msg, _ := s.Error()
	locs := flyteArrayStartRe.FindAllStringSubmatchIndex(msg, -1)
	if len(locs) == 0 || locs[0][0] != 0 {
		return nil, false
	}
	var subs []flyteSub
	budget := flyteMaxSubtasks
	for i, l := range locs {
		end := len(msg)
		if i+1 < len(locs) {
			end = locs[i+1][0]
		}
		text := strings.TrimSpace(msg[l[1]:end])
		text = strings.TrimSpace(strings.TrimSuffix(text, "... and many more."))
		sub := flyteSub{Ranges: msg[l[2]:l[3]]}
		if m := flyteLegacySubRe.FindStringSubmatch(text); m != nil {
			sub.Code = m[1]
			if u, err := strconv.Unquote(`"` + m[2] + `"`); err == nil {
				text = u
			} else {
				text = m[2]
			}
		}
		sub.Code, sub.Text = rule.Unwrap(sub.Code, text)
		for _, r := range flyteArrayRangeRe.FindAllStringSubmatch(sub.Ranges, -1) {
			a, errA := strconv.Atoi(r[1])
			b, errB := a, error(nil)
			if r[2] != "" {
				b, errB = strconv.Atoi(r[2])
			}
			if errA != nil || errB != nil {
				continue // beyond int (Atoi gives MaxInt64, and counting past it wraps)
			}
			for x := a; x <= b && budget > 0; x++ {
				sub.Indices = append(sub.Indices, x)
				budget--
				if x == b {
					break // b may be MaxInt64
				}
			}
		}
		sub.Class = flyteClass(sub.Code, sub.Text)
		subs = append(subs, sub)
	}
	return subs, true
}

// flyteClass classifies one subtask message for the array rules.
func flyteClass(code, msg string) string {
	switch {
	case IsOOM(code, msg) || PyMemoryError(code, msg):
		return "oom"
	case MemEvictRe.MatchString(msg):
		return "memory-eviction"
	case GPUOOMRe.MatchString(msg):
		return "gpu-oom"
	case code == "TimeoutExpired" || ExecTimeoutRe.MatchString(msg) || ActiveTimeoutRe.MatchString(msg):
		return "timeout"
	case code == "ResourceDeletedExternally" || code == "UnexpectedObjectDeletion" || NotFoundRe.MatchString(msg) || BackgroundRe.MatchString(msg):
		return "deleted"
	case flyteShutdownTextRe.MatchString(msg) || flytePreemptTextRe.MatchString(msg):
		return "shutdown"
	case code == "Evicted" || EvictRe.MatchString(msg):
		return "evicted"
	case strings.HasPrefix(code, "SYSTEM") || flyteSysCodeRe.MatchString(msg):
		return "other"
	case UserCodeRe.MatchString(code) || (strings.Contains(msg, "Traceback (most recent call last)") && ExceptionLine(msg) != ""):
		return "user-exception"
	}
	if ts := flyteTermsIn(msg); len(ts) > 0 {
		t := ts[len(ts)-1]
		if t.Exit != 0 && !SignalExit(t.Exit) {
			return "nonzero-exit"
		}
		if SignalExit(t.Exit) {
			return "interrupted"
		}
	}
	if code == "Interrupted" {
		return "interrupted"
	}
	return "other"
}

var flyteClassCategory = map[string]string{
	"oom": rule.CatOutOfMemory, "memory-eviction": rule.CatOutOfMemory, "gpu-oom": rule.CatOutOfMemory,
	"user-exception": rule.CatUserCode, "nonzero-exit": rule.CatUserCode, "timeout": rule.CatTimeout,
	"deleted": rule.CatInterrupted, "shutdown": rule.CatInterrupted, "evicted": rule.CatInterrupted, "interrupted": rule.CatInterrupted,
}

// flyteArrayHit reports the subtasks of the given classes. The category with the most failed
// subtasks is the root cause (error); a category with fewer is reported as a warning, so that
// the array node's root cause is its dominant failure whatever the table order.
func ArrayHit(s *rule.Site, subs []flyteSub, category string, classes []string, what string) *rule.Hit {
	counts := map[string]int{}
	var mine []flyteSub
	failed := 0
	for _, sub := range subs {
		counts[flyteClassCategory[sub.Class]] += len(sub.Indices)
		failed += len(sub.Indices)
		if slices.Contains(classes, sub.Class) {
			mine = append(mine, sub)
		}
	}
	if len(mine) == 0 {
		return nil
	}
	var idx []string
	n := 0
	for _, sub := range mine {
		n += len(sub.Indices)
		for _, i := range sub.Indices {
			idx = append(idx, strconv.Itoa(i))
		}
	}
	total := 0
	for _, a := range s.Attempts {
		if len(a.ExternalResources) > total {
			total = len(a.ExternalResources)
		}
	}
	of := ""
	if total > 0 {
		of = fmt.Sprintf(" of %d", total)
	}
	noun := "subtasks"
	if n == 1 {
		noun = "subtask"
		what = flyteSingular(what)
	}
	first := mine[0]
	h := &rule.Hit{
		Summary: fmt.Sprintf("%s: %s %s %s (%d%s)", Where(s), noun, Clip(strings.Join(idx, ", "), 80), what, n, of),
		Subject: s.Subject(),
	}
	if first.Class != "oom" {
		h.Summary += ": " + Clip(Decisive(first.Code, first.Text), 160)
	}
	h.Subject.Pod = ""
	var detail []string
	for _, sub := range mine {
		line := fmt.Sprintf("subtasks %s: %s", sub.Ranges, Clip(Decisive(sub.Code, sub.Text), 300))
		detail = append(detail, line)
		h.Evidence = append(h.Evidence, "array node error "+sub.Ranges+": "+Clip(sub.Text, 500))
	}
	var others []string
	for _, sub := range subs {
		if !slices.Contains(classes, sub.Class) {
			others = append(others, fmt.Sprintf("%s %s", sub.Ranges, Clip(Decisive(sub.Code, sub.Text), 120)))
		}
	}
	h.Detail = strings.Join(detail, "; ")
	if len(others) > 0 {
		h.Detail += "; other failed subtasks: " + strings.Join(others, "; ")
	}
	// Pods of the failed subtasks, for the subject.
	failedIdx := map[uint32]bool{}
	for _, sub := range mine {
		for _, i := range sub.Indices {
			failedIdx[uint32(i)] = true
		}
	}
	for _, name := range s.PodNames() {
		p := s.Pods[name]
		if p.Attempt != nil && p.Attempt.ExternalIndex != nil && failedIdx[*p.Attempt.ExternalIndex] {
			h.Subject.Pod = p.Name
		}
	}
	best := 0
	for _, c := range counts {
		if c > best {
			best = c
		}
	}
	if counts[category] < best {
		w := rule.Warning
		h.Severity = &w
		h.Summary += fmt.Sprintf("; %d of the %d failed subtasks, not the array's main failure", n, failed)
	}
	return h
}

// flyteSingular turns an array rule's plural verb phrase singular.
func flyteSingular(what string) string {
	what = strings.Replace(what, "had their pods", "had its pod", 1)
	if rest, ok := strings.CutPrefix(what, "were "); ok {
		return "was " + rest
	}
	return what
}

// flyteDecisive is the line of a message that says what happened.
func Decisive(code, msg string) string {
	if l := ExceptionLine(msg); l != "" && strings.Contains(msg, "Trace") {
		return l
	}
	if IsOOM(code, msg) {
		return TermSummary(msg)
	}
	if ts := flyteTermsIn(msg); len(ts) > 0 {
		return ts[len(ts)-1].Line()
	}
	for _, l := range strings.Split(msg, "\n") {
		if l = strings.TrimSpace(l); l != "" && l != "Trace:" && !strings.HasPrefix(l, "Pod failed. No message received") {
			if code != "" {
				return code + ": " + l
			}
			return l
		}
	}
	return code
}
