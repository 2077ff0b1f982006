package usercode

import (
	"cmp"
	"fmt"
	"strings"

	"github.com/flytedoctor/flytedoctor/rules/internal/pattern"
	"github.com/flytedoctor/flytedoctor/rules/internal/read"
	"github.com/flytedoctor/flytedoctor/rules/rule"
)

const causeException = "exception"

const causeMissingModule = "missing-module"

const causeNonzeroExit = "nonzero-exit"

const causeStartFailed = "container-start-failed"

const causeNativeCrash = "native-crash"

// nativeSignal names the signal of an exit code the process brings on itself in native code
// (128+6, 7, 8, 11); "" for others.
func nativeSignal(code int) string {
	switch code {
	case 134:
		return "SIGABRT"
	case 135:
		return "SIGBUS"
	case 136:
		return "SIGFPE"
	case 139:
		return "SIGSEGV"
	}
	return ""
}

// nativeFixes are what to do about a crash in native code.
func nativeFixes(code int) []rule.Fix {
	fixes := []rule.Fix{{Action: "get the Python stack of the crash: set PYTHONFAULTHANDLER=1 in the task's environment and relaunch",
		Commands: []string{`@task(environment={"PYTHONFAULTHANDLER": "1"})`}}}
	if code == 135 {
		fixes = append(fixes, rule.Fix{Action: "a bus error in data-loading code is usually a full /dev/shm: give the task shared memory",
			Commands: []string{"@task(shared_memory=True)"}})
	}
	return append(fixes, rule.Fix{Action: "check that the native packages in the image match each other and the node (torch and CUDA builds, numpy ABI, CPU architecture); pin them and rebuild"})
}

var moduleRe = pattern.MustCompile(`(?:ModuleNotFoundError|ImportError): No module named '([^']+)'`)

// userCodeExcluded: USER:* codes other rules own (GPU OOM, MemoryError, flytekit timeouts).
func userCodeExcluded(code, msg string) bool {
	return code == "USER:Timeout" || read.PyMemoryError(code, msg) || read.GPUOOMRe.MatchString(msg)
}

// attemptsParen is the same as a parenthesis: " (all 3 attempts)".
func attemptsParen(n, total int) string {
	if on := read.OnAttempts(n, total); on != "" {
		return " (" + strings.TrimPrefix(on, " on ") + ")"
	}
	return ""
}

func attemptsWithCode(s *rule.Site, code string) int {
	n := 0
	for _, a := range s.Attempts {
		if a.Error != nil {
			if c, _ := rule.Unwrap(a.Error.Code, a.Error.Message); c == code {
				n++
			}
		}
	}
	return n
}

func moduleFixes(module string) []rule.Fix {
	top, _, _ := strings.Cut(module, ".")
	return []rule.Fix{
		{Action: fmt.Sprintf("add the package that provides module %q to the task's image, then re-register", top),
			Commands: []string{fmt.Sprintf(`ImageSpec(packages=[%q])`, top)}},
		{Action: "check that the task runs in the image you built (container_image= of the task, --image of pyflyte register)"},
	}
}

// logFix points at the task's log: kubectl logs when the pod exists, else Flyte's log link.
func logFix(s *rule.Site) *rule.Fix {
	if p := read.LastPod(s); p != nil {
		return &rule.Fix{Action: "read the task's log", Commands: []string{fmt.Sprintf("kubectl logs -n %s %s", read.Namespace(s, p), p.Name)}}
	}
	for i := len(s.Attempts) - 1; i >= 0; i-- {
		for _, l := range s.Attempts[i].Logs {
			if l.URI != "" {
				return &rule.Fix{Action: fmt.Sprintf("read the task's log (%s): %s", cmp.Or(l.Name, "log"), l.URI)}
			}
		}
	}
	return nil
}

func image(s *rule.Site, t *read.Term) string {
	if t.Pc != nil {
		return t.Pc.Container.Image
	}
	for _, pc := range s.Containers() {
		if pc.Container.Name == t.Container {
			return pc.Container.Image
		}
	}
	return ""
}
