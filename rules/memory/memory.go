package memory

import (
	"cmp"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/flytedoctor/flytedoctor/rules/internal/pattern"
	"github.com/flytedoctor/flytedoctor/rules/internal/read"
	"github.com/flytedoctor/flytedoctor/rules/rule"
)

const causeOOMKilled = "oom-killed"

const causeSidecarOOM = "sidecar-oom-killed"

const causeMemoryError = "memory-error"

const causeMemoryEviction = "memory-pressure-eviction"

const causeGPUOOM = "gpu-oom"

func oomKilled(pass *rule.Pass) {
	s := pass.Site
	if s.Stuck {
		return
	}
	if subs, ok := read.ArraySubs(s); ok {
		h := read.ArrayHit(s, subs, rule.CatOutOfMemory, []string{"oom"}, "were OOMKilled")
		if h == nil {
			return
		}
		if pc := read.OOMContainer(s); pc != nil {
			h.Summary = strings.Replace(h.Summary, "OOMKilled (", "OOMKilled ("+short(pc)+"; ", 1)
			h.Detail += "; " + line(pc)
			h.Fixes = fixes(s, pc)
		}
		pass.Report(*h)
		return
	}
	var (
		n, total      = 0, len(s.Attempts)
		evidenceLines []string
		error         bool
		exc           string
	)
	for _, a := range s.Attempts {
		if a.Error == nil {
			continue
		}
		code, msg := rule.Unwrap(a.Error.Code, a.Error.Message)
		switch {
		case read.IsOOM(code, msg):
			n++
			evidenceLines = append(evidenceLines, fmt.Sprintf("attempt %d: %s: %s", a.RetryAttempt, code, read.TermSummary(msg)))
		case read.PyMemoryError(code, msg):
			n++
			error = true
			exc = read.ExceptionLine(msg)
			evidenceLines = append(evidenceLines, fmt.Sprintf("attempt %d: %s: %s", a.RetryAttempt, code, exc))
		}
	}
	code, msg, _ := s.Error()
	pc := read.OOMContainer(s)
	if n == 0 {
		switch {
		case read.IsOOM(code, msg):
			n = 1
			evidenceLines = append(evidenceLines, "Admin error: "+code+": "+read.TermSummary(msg))
		case read.PyMemoryError(code, msg):
			n, error, exc = 1, true, read.ExceptionLine(msg)
			evidenceLines = append(evidenceLines, "Admin error: "+code+": "+exc)
		case pc != nil:
			n = 1
		default:
			return
		}
	}
	if pc != nil {
		evidenceLines = append(evidenceLines, read.ContainerLine(pc))
	}
	where := read.Where(s)
	h := rule.Hit{Evidence: evidenceLines, Subject: s.Subject()}
	switch {
	case error:
		h.Cause = causeMemoryError
		h.Summary = fmt.Sprintf("%s ran out of memory: Python MemoryError%s", where, read.OnAttempts(n, total))
		h.Detail = fmt.Sprintf("flytekit reported %s: %s", code, exc)
		pc = primaryContainer(s)
		if pc != nil {
			h.Summary += " (" + short(pc) + ")"
			h.Detail += "; " + line(pc)
			h.Subject.Pod, h.Subject.Container = pc.Pod.Name, pc.Container.Name
		}
		h.Fixes = fixes(s, pc)
		if m := allocRe.FindStringSubmatch(exc); m != nil && pc != nil {
			cur, ok1 := read.ParseQuantity(cmp.Or(pc.Container.Limits["memory"], pc.Container.Requests["memory"]))
			alloc, ok2 := read.ParseQuantity(m[1] + strings.TrimSuffix(m[2], "B"))
			if ok1 && ok2 && len(h.Fixes) > 0 {
				next := read.FormatBytes(math.Max(2*cur, cur+alloc))
				h.Fixes[0] = rule.Fix{Action: fmt.Sprintf("the task asked for %s %s more than its %s: raise its memory to about %s (request and limit), or allocate less at once",
					m[1], m[2], short(pc), next),
					Commands: []string{fmt.Sprintf(`@task(requests=Resources(mem=%q), limits=Resources(mem=%q))`, next, next)}}
			}
		}
		pass.Report(h)
		return
	case pc != nil && !read.IsPrimary(s, pc):
		h.Cause = causeSidecarOOM
		h.Summary = fmt.Sprintf("container %s of %s was OOMKilled%s", pc.Container.Name, where, read.OnAttempts(n, total))
		h.Detail = fmt.Sprintf("%s is not the task's primary container (an init or sidecar container, such as Flyte's copilot); %s",
			pc.Container.Name, line(pc))
		h.Subject.Pod, h.Subject.Container = pc.Pod.Name, pc.Container.Name
		h.Fixes = []rule.Fix{
			{Action: fmt.Sprintf("raise the memory limit of container %s in the task's pod template (or the platform's copilot/sidecar resources)", pc.Container.Name)},
			{Action: "look at the container's last state", Commands: []string{read.Describe(s, pc.Pod)}},
		}
		pass.Report(h)
		return
	default:
		h.Summary = fmt.Sprintf("%s was OOMKilled%s", where, read.OnAttempts(n, total))
		h.Detail = read.TermSummary(msg)
		if h.Detail == "" && pc != nil {
			h.Detail = read.ContainerLine(pc)
		}
	}
	if pc != nil {
		h.Summary += " (" + short(pc) + ")"
		h.Detail += "; " + line(pc)
		h.Subject.Pod, h.Subject.Container = pc.Pod.Name, pc.Container.Name
	}
	h.Fixes = fixes(s, pc)
	pass.Report(h)
}

var evictUsageRe = pattern.MustCompile(`Container (\S+) was using (\d+\w*), (?:request is|which exceeds its request of) (\w+)`)

var allocRe = pattern.MustCompile(`Unable to allocate ([\d.]+) ([KMGT]i?B)`)

// primaryContainer is the primary container of the site's latest pod.
func primaryContainer(s *rule.Site) *rule.PodContainer {
	var found *rule.PodContainer
	for _, pc := range s.Containers() {
		if read.IsPrimary(s, &pc) {
			pc := pc
			found = &pc
		}
	}
	return found
}

func short(pc *rule.PodContainer) string {
	lim, req := pc.Container.Limits["memory"], pc.Container.Requests["memory"]
	switch {
	case lim != "":
		return "memory limit " + lim
	case req != "":
		return "memory request " + req + ", no limit"
	}
	return "no memory request or limit"
}

func line(pc *rule.PodContainer) string {
	req, lim := read.OrUnknown(pc.Container.Requests["memory"]), read.OrUnknown(pc.Container.Limits["memory"])
	return fmt.Sprintf("container %s: memory request %s, limit %s", pc.Container.Name, req, lim)
}

// fixes propose about twice the current limit (or request) when it is known.
func fixes(s *rule.Site, pc *rule.PodContainer) []rule.Fix {
	if pc == nil {
		return nil // the rule's defaults
	}
	cur := cmp.Or(pc.Container.Limits["memory"], pc.Container.Requests["memory"])
	if cur == "" {
		return nil
	}
	next := read.SuggestMem(cur)
	fixes := []rule.Fix{{
		Action:   fmt.Sprintf("raise the task's memory from %s to about %s (request and limit), and re-register", cur, next),
		Commands: []string{fmt.Sprintf(`@task(requests=Resources(mem=%q), limits=Resources(mem=%q))`, next, next)},
	}, {Action: "or lower the task's peak memory (process the data in chunks)"}}
	if !s.Missing[pc.Pod.Name] {
		fixes = append(fixes, rule.Fix{Action: "look at the container's state and the node's memory", Commands: []string{read.Describe(s, pc.Pod)}})
	}
	return fixes
}

func humanMem(q string) string {
	b, ok := read.ParseQuantity(q)
	if !ok {
		return q
	}
	gi := b / (1 << 30)
	if gi >= 1 {
		return strconv.FormatFloat(math.Round(gi*10)/10, 'f', -1, 64) + "Gi"
	}
	return strconv.FormatFloat(math.Round(b/(1<<20)), 'f', -1, 64) + "Mi"
}

func lineMatching(msg string, re *pattern.Regexp) string {
	for _, l := range strings.Split(msg, "\n") {
		if re.MatchString(l) {
			return strings.TrimSpace(l)
		}
	}
	return read.FirstLine(msg)
}
