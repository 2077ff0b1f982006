package rules

import (
	"cmp"
	"fmt"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/flytedoctor/flytedoctor/collectors/evidence"
)

// Flyte's own failure taxonomy: out-of-memory (FD50xx), user code (FD51xx), timeouts (FD60xx),
// interruptions (FD70xx), Flyte system errors (FD80xx) and aborts (FD81xx).
//
// The rules of this file are written to exclude each other where two could read the same text
// (a CUDA OOM is not also a user exception, a plain non-zero exit reported as Interrupted is not
// also an interruption), so that one failure yields one finding. On an array node whose subtasks
// failed for different reasons, every class of failure gets its finding; the class with the most
// subtasks is the root cause (error) and the others are reported as warnings.

// Cause slugs of the Flyte families. They are part of the JSON contract.
const (
	causeOOMKilled         = "oom-killed"
	causeSidecarOOM        = "sidecar-oom-killed"
	causeMemoryError       = "memory-error"
	causeMemoryEviction    = "memory-pressure-eviction"
	causeGPUOOM            = "gpu-oom"
	causeException         = "exception"
	causeMissingModule     = "missing-module"
	causeNonzeroExit       = "nonzero-exit"
	causeStartFailed       = "container-start-failed"
	causeExecutionTimeout  = "execution-timeout"
	causeActiveDeadline    = "active-deadline"
	causeFailureNodeTmo    = "failure-node-timeout"
	causeSDKTimeout        = "sdk-timeout"
	causeNodeShutdown      = "node-shutdown"
	causePreempted         = "preempted"
	causeNodeLost          = "node-lost"
	causeNodeDrained       = "node-drained"
	causeNodeAffinity      = "node-affinity"
	causeDeletedExternally = "deleted-externally"
	causeEvicted           = "evicted"
	causeEphemeralStorage  = "ephemeral-storage-exceeded"
	causeSigkilled         = "sigkilled"
	causeInterrupted       = "interrupted"
	causeOutputsMissing    = "outputs-missing"
	causeOffloadedInputs   = "offloaded-inputs-unreadable"
	causeMetadataPrefix    = "metadata-prefix-invalid"
	causeBadSpec           = "bad-specification"
	causeSystemRetries     = "system-retries-exhausted"
	causeEventRecording    = "event-recording-failed"
	causeAborted           = "aborted"
	causeChildAborted      = "child-aborted"
)

func flyteRules() []*Rule {
	return []*Rule{
		flyteOOMRule(), flyteMemoryEvictionRule(), flyteGPUOOMRule(),
		flyteUserExceptionRule(), flyteNonzeroExitRule(),
		flyteExecutionTimeoutRule(), flyteActiveDeadlineRule(), flyteSDKTimeoutRule(),
		flyteNodeShutdownRule(), flyteResourceDeletedRule(), flyteObjectDeletionRule(), flyteEvictedRule(), flyteInterruptedRule(),
		flyteOutputsMissingRule(), flyteWorkflowStartRule(), flyteSystemRetriesRule(),
		flyteAbortedRule(), flyteChildAbortedRule(),
	}
}

// ---------------------------------------------------------------------------------------------
// out-of-memory

func flyteOOMRule() *Rule {
	return &Rule{
		ID: "FD5001", Name: "oom-killed", Title: "A container was killed for exceeding its memory limit",
		Category: CatOutOfMemory, Causes: []string{causeOOMKilled, causeSidecarOOM, causeMemoryError},
		Severity: Error, Requires: []string{"admin", "kube"},
		Doc: `The kernel's OOM killer stopped a container of the task because it used more memory than its
limit (container state terminated, reason OOMKilled, exit code 137). Flyte reports it with code
OOMKilled, kind USER, retryable: "Pod failed. No message received from kubernetes.
[<container>] terminated with exit code (137). Reason [OOMKilled]. Message: <log tail>.". When the
pod nevertheless ended Succeeded (a sidecar or a child process was killed, or the primary exited 0
after its child was killed), Flyte fails the attempt with "Pod reported success despite being
OOMKilled". OOMKilled is a USER error and uses the task's retries= budget; retrying with the same
memory usually fails the same way, so the finding collapses the attempts ("2 attempts, both
OOMKilled"). When the pod still exists its memory request and limit are shown and the fix proposes
about twice the limit. A Python MemoryError raised by the task (MemoryError, numpy's _ArrayMemoryError: "Unable to
allocate 37.3 GiB for an array") has the same fix (cause memory-error).
In an array node (map task) the subtasks that were OOMKilled are listed by index.`,
		Fixes: []Fix{
			{Action: "give the task 1.5-2x more memory than it peaks at (requests and limits), and re-register",
				Commands: []string{`@task(requests=Resources(mem="4Gi"), limits=Resources(mem="4Gi"))`}},
			{Action: "or lower the task's peak memory: process the data in chunks, or override one call with .with_overrides(limits=Resources(mem=...))"},
		},
		Site: flyteOOM,
	}
}

func flyteOOM(s *Site) *Hit {
	if s.Stuck {
		return nil
	}
	if subs, ok := flyteArraySubs(s); ok {
		h := flyteArrayHit(s, subs, CatOutOfMemory, []string{"oom"}, "were OOMKilled")
		if h == nil {
			return nil
		}
		if pc := flyteOOMContainer(s); pc != nil {
			h.Summary = strings.Replace(h.Summary, "OOMKilled (", "OOMKilled ("+flyteMemoryShort(pc)+"; ", 1)
			h.Detail += "; " + flyteMemoryLine(pc)
			h.Fixes = flyteMemoryFixes(s, pc)
		}
		return h
	}
	var (
		n, total      = 0, len(s.Attempts)
		evidenceLines []string
		memoryError   bool
		exc           string
	)
	for _, a := range s.Attempts {
		if a.Error == nil {
			continue
		}
		code, msg := Unwrap(a.Error.Code, a.Error.Message)
		switch {
		case flyteIsOOM(code, msg):
			n++
			evidenceLines = append(evidenceLines, fmt.Sprintf("attempt %d: %s: %s", a.RetryAttempt, code, flyteTermSummary(msg)))
		case flytePyMemoryError(code, msg):
			n++
			memoryError = true
			exc = flyteExceptionLine(msg)
			evidenceLines = append(evidenceLines, fmt.Sprintf("attempt %d: %s: %s", a.RetryAttempt, code, exc))
		}
	}
	code, msg, _ := s.Error()
	pc := flyteOOMContainer(s)
	if n == 0 {
		switch {
		case flyteIsOOM(code, msg):
			n = 1
			evidenceLines = append(evidenceLines, "Admin error: "+code+": "+flyteTermSummary(msg))
		case flytePyMemoryError(code, msg):
			n, memoryError, exc = 1, true, flyteExceptionLine(msg)
			evidenceLines = append(evidenceLines, "Admin error: "+code+": "+exc)
		case pc != nil:
			n = 1
		default:
			return nil
		}
	}
	if pc != nil {
		evidenceLines = append(evidenceLines, flyteContainerLine(pc))
	}
	where := flyteWhere(s)
	h := &Hit{Evidence: evidenceLines, Subject: s.Subject()}
	switch {
	case memoryError:
		h.Cause = causeMemoryError
		h.Summary = fmt.Sprintf("%s ran out of memory: Python MemoryError%s", where, flyteOnAttempts(n, total))
		h.Detail = fmt.Sprintf("flytekit reported %s: %s", code, exc)
		pc = flytePrimaryContainer(s)
		if pc != nil {
			h.Summary += " (" + flyteMemoryShort(pc) + ")"
			h.Detail += "; " + flyteMemoryLine(pc)
			h.Subject.Pod, h.Subject.Container = pc.Pod.Name, pc.Container.Name
		}
		h.Fixes = flyteMemoryFixes(s, pc)
		if m := flyteAllocRe.FindStringSubmatch(exc); m != nil && pc != nil {
			cur, ok1 := parseQuantity(cmp.Or(pc.Container.Limits["memory"], pc.Container.Requests["memory"]))
			alloc, ok2 := parseQuantity(m[1] + strings.TrimSuffix(m[2], "B"))
			if ok1 && ok2 && len(h.Fixes) > 0 {
				next := flyteFormatBytes(math.Max(2*cur, cur+alloc))
				h.Fixes[0] = Fix{Action: fmt.Sprintf("the task asked for %s %s more than its %s: raise its memory to about %s (request and limit), or allocate less at once",
					m[1], m[2], flyteMemoryShort(pc), next),
					Commands: []string{fmt.Sprintf(`@task(requests=Resources(mem=%q), limits=Resources(mem=%q))`, next, next)}}
			}
		}
		return h
	case pc != nil && !flyteIsPrimary(s, pc):
		h.Cause = causeSidecarOOM
		h.Summary = fmt.Sprintf("container %s of %s was OOMKilled%s", pc.Container.Name, where, flyteOnAttempts(n, total))
		h.Detail = fmt.Sprintf("%s is not the task's primary container (an init or sidecar container, such as Flyte's copilot); %s",
			pc.Container.Name, flyteMemoryLine(pc))
		h.Subject.Pod, h.Subject.Container = pc.Pod.Name, pc.Container.Name
		h.Fixes = []Fix{
			{Action: fmt.Sprintf("raise the memory limit of container %s in the task's pod template (or the platform's copilot/sidecar resources)", pc.Container.Name)},
			{Action: "look at the container's last state", Commands: []string{flyteDescribe(s, pc.Pod)}},
		}
		return h
	default:
		h.Summary = fmt.Sprintf("%s was OOMKilled%s", where, flyteOnAttempts(n, total))
		h.Detail = flyteTermSummary(msg)
		if h.Detail == "" && pc != nil {
			h.Detail = flyteContainerLine(pc)
		}
	}
	if pc != nil {
		h.Summary += " (" + flyteMemoryShort(pc) + ")"
		h.Detail += "; " + flyteMemoryLine(pc)
		h.Subject.Pod, h.Subject.Container = pc.Pod.Name, pc.Container.Name
	}
	h.Fixes = flyteMemoryFixes(s, pc)
	return h
}

func flyteMemoryEvictionRule() *Rule {
	return &Rule{
		ID: "FD5002", Name: "memory-pressure-eviction", Title: "The kubelet evicted the pod because its node ran out of memory",
		Category: CatOutOfMemory, Causes: []string{causeMemoryEviction}, Severity: Error, Requires: []string{"admin", "kube"},
		Doc: `The node ran low on memory and the kubelet evicted the pod ("The node was low on resource:
memory. ... Container x was using 5Gi, request is 1Gi, has larger consumption of memory."). The
kubelet evicts the pods that use most memory above their request first, so a task whose memory
request is far below its real use (Burstable QoS) is the first to go, even if it never reached its
limit. Flyte reports the pod's reason (code Evicted, USER, retryable) or, when the container was
SIGKILLed, Interrupted (SYSTEM). Setting the request equal to the limit (Guaranteed QoS) and to
what the task really uses prevents it.`,
		Fixes: []Fix{{Action: "request the memory the task really uses, equal to its limit (Guaranteed QoS)",
			Commands: []string{`@task(requests=Resources(mem="4Gi"), limits=Resources(mem="4Gi"))`}}},
		Site: func(s *Site) *Hit {
			if s.Stuck {
				return nil
			}
			if subs, ok := flyteArraySubs(s); ok {
				return flyteArrayHit(s, subs, CatOutOfMemory, []string{"memory-eviction"}, "were evicted for node memory pressure")
			}
			text, _ := s.Find(flyteMemEvictRe)
			if text == "" {
				return nil
			}
			h := &Hit{
				Summary:  fmt.Sprintf("%s was evicted because its node ran low on memory", flyteWhere(s)),
				Detail:   "kubelet: " + firstLine(text),
				Evidence: []string{firstLine(text)},
			}
			if m := flyteEvictUsageRe.FindStringSubmatch(text); m != nil {
				h.Summary += fmt.Sprintf(" (it used %s against a request of %s)", flyteHumanMem(m[2]), m[3])
				h.Fixes = []Fix{{Action: fmt.Sprintf("request at least what the task uses (%s), equal to its limit", flyteHumanMem(m[2])),
					Commands: []string{fmt.Sprintf(`@task(requests=Resources(mem=%q), limits=Resources(mem=%q))`,
						flyteSuggestMem(m[2]), flyteSuggestMem(m[2]))}}}
			}
			return h
		},
	}
}

func flyteGPUOOMRule() *Rule {
	return &Rule{
		ID: "FD5003", Name: "gpu-out-of-memory", Title: "The task ran out of GPU memory",
		Category: CatOutOfMemory, Causes: []string{causeGPUOOM}, Severity: Error, Requires: []string{"admin"},
		Doc: `The task's code failed allocating GPU memory ("torch.OutOfMemoryError: CUDA out of memory. Tried
to allocate ...", "CUDA error: out of memory", XLA "RESOURCE_EXHAUSTED: Out of memory"). flytekit
reports the exception as a USER error (USER:OutOfMemoryError or USER:RuntimeError), non-recoverable,
so retries= does not retry it. More container memory does not help: the batch or the model has to
fit the GPU, or the task needs a GPU with more memory.`,
		Fixes: []Fix{
			{Action: "lower the batch size or sequence length, or use mixed precision / gradient checkpointing"},
			{Action: "or request a GPU with more memory", Commands: []string{`@task(requests=Resources(gpu="1"), accelerator=A100_80GB)`}},
		},
		Site: func(s *Site) *Hit {
			if s.Stuck {
				return nil
			}
			if subs, ok := flyteArraySubs(s); ok {
				return flyteArrayHit(s, subs, CatOutOfMemory, []string{"gpu-oom"}, "ran out of GPU memory")
			}
			code, msg, _ := s.Error()
			if !flyteGPUOOMRe.MatchString(msg) {
				return nil
			}
			line := flyteLineMatching(msg, flyteGPUOOMRe)
			return &Hit{
				Summary:  fmt.Sprintf("%s ran out of GPU memory", flyteWhere(s)),
				Detail:   fmt.Sprintf("%s: %s", orUnknown(code), line),
				Evidence: []string{line},
			}
		},
	}
}

// ---------------------------------------------------------------------------------------------
// user code

func flyteUserExceptionRule() *Rule {
	return &Rule{
		ID: "FD5101", Name: "user-exception", Title: "The task's code raised an exception",
		Category: CatUserCode, Causes: []string{causeException, causeMissingModule}, Severity: Error, Requires: []string{"admin", "kube"},
		Doc: `flytekit caught an exception from the task function (or from importing the task's module) and
wrote it to error.pb as a ContainerError with origin USER and the traceback as the message
("Trace: ... Message: ValueError: ..."); the pod itself exits 0. Current flytekit uses code
USER:RuntimeError for any uncaught exception and a typed code for its own exceptions
(USER:ValueError, USER:TypeError, USER:AssertionError, USER:Recoverable, ...); older flytekit
named the exception type in the code. Propeller copies the code, message and origin (kind USER).
Uncaught exceptions are NON_RECOVERABLE: the attempt fails permanently and retries= does not apply;
only FlyteRecoverableException (code USER:Recoverable) is retried. The finding names the exception
type from the traceback, quotes its message and the innermost frame of the user's code.
ModuleNotFoundError / ImportError mean the image lacks a package (cause missing-module). In an array
node (map task) the subtasks that raised are listed by index: the array node's error is a summary
with one "[3-4]: <message>" line per distinct message, empty code, kind UNKNOWN. USER:Timeout
(FD6003), Python MemoryError (FD5001) and CUDA out-of-memory errors (FD5003) are left to their rules.`,
		Fixes: []Fix{
			{Action: "fix the code or the input that raised the exception, then relaunch"},
			{Action: "if the failure is transient, raise FlyteRecoverableException so that retries= applies"},
		},
		Site: func(s *Site) *Hit {
			if s.Stuck {
				return nil
			}
			if subs, ok := flyteArraySubs(s); ok {
				h := flyteArrayHit(s, subs, CatUserCode, []string{"user-exception"}, "raised an exception")
				if h != nil {
					if m := flyteModuleRe.FindStringSubmatch(h.Detail); m != nil {
						h.Cause = causeMissingModule
						h.Fixes = flyteModuleFixes(m[1])
					}
				}
				return h
			}
			code, msg, _ := s.Error()
			m := flyteUserCodeRe.FindStringSubmatch(code)
			if m == nil || flyteUserCodeExcluded(code, msg) {
				return nil
			}
			exc := flyteExceptionLine(msg)
			if exc == "" {
				exc = m[1]
			}
			h := &Hit{
				Summary:  fmt.Sprintf("%s raised %s", flyteWhere(s), flyteClip(exc, 200)),
				Evidence: []string{fmt.Sprintf("Admin error %s (kind USER): %s", code, flyteClip(exc, 300))},
			}
			n := flyteAttemptsWithCode(s, code)
			if n > 1 {
				h.Summary += flyteAttemptsParen(n, len(s.Attempts))
			}
			recoverable := m[1] == "Recoverable"
			detail := "flytekit reported " + code
			if recoverable {
				detail += " (FlyteRecoverableException: retried within retries=)"
			} else {
				detail += " (non-recoverable: retries= does not apply)"
			}
			if f := flyteUserFrame(msg); f != "" {
				detail += "; raised at " + f
				h.Evidence = append(h.Evidence, "raised at "+f)
			}
			h.Detail = detail + ": " + exc
			if mm := flyteModuleRe.FindStringSubmatch(msg); mm != nil {
				h.Cause = causeMissingModule
				h.Fixes = flyteModuleFixes(mm[1])
				return h
			}
			excType, _, _ := strings.Cut(exc, ":")
			if i := strings.LastIndex(excType, "."); i >= 0 {
				excType = excType[i+1:]
			}
			fixes := []Fix{{Action: fmt.Sprintf("fix the code or the input that raised %s, then relaunch", excType)}}
			if f := flyteLogFix(s); f != nil {
				fixes = append(fixes, *f)
			}
			if !recoverable {
				fixes = append(fixes, Fix{Action: "if the failure is transient, raise FlyteRecoverableException so that retries= applies"})
			}
			h.Fixes = fixes
			return h
		},
	}
}

func flyteNonzeroExitRule() *Rule {
	return &Rule{
		ID: "FD5102", Name: "nonzero-exit", Title: "The task's container exited non-zero without reporting an error",
		Category: CatUserCode, Causes: []string{causeNonzeroExit, causeMissingModule, causeStartFailed}, Severity: Error,
		Requires: []string{"admin", "kube"},
		Doc: `The task's process exited with a non-zero code before flytekit could write error.pb: a crash
while importing the task's module, a sys.exit(1), a failing shell command, or an entrypoint that is
not pyflyte-execute. Flyte's message is "Pod failed. No message received from kubernetes.
[<container>] terminated with exit code (N). Reason [Error]. Message: <log tail>." (containers use
terminationMessagePolicy FallbackToLogsOnError, so the log tail is quoted). Flyte's code for this
changed in v1.15.1: up to v1.14 a pod that failed without a pod-level reason was UnknownError, kind
USER (user retry budget); from v1.15.1 it is Interrupted, kind SYSTEM (system retry budget,
max-node-retries-system-failures, 3 by default). flytedoctor uses the Admin version to say which
applies, and classifies a plain non-zero exit (not a signal: not 137, 143 or 247) with no node
shutdown, eviction or deletion in the pod's evidence as user code, even when Flyte calls it
Interrupted. Reason [StartError] / exit 128 means the container could not start at all (for example
"exec: \"pyflyte-fast-execute\": executable file not found in $PATH": the image lacks flytekit).`,
		Fixes: []Fix{{Action: "read the container's log for the error, fix the code or the image, and relaunch"}},
		Site: func(s *Site) *Hit {
			if s.Stuck {
				return nil
			}
			if subs, ok := flyteArraySubs(s); ok {
				return flyteArrayHit(s, subs, CatUserCode, []string{"nonzero-exit"}, "exited non-zero")
			}
			code, _, _ := s.Error()
			if flyteUserCodeRe.MatchString(code) || strings.HasPrefix(code, "SYSTEM") {
				return nil // flytekit wrote error.pb: the process did not crash
			}
			t := flyteAppExit(s)
			if t == nil {
				return nil
			}
			where := flyteWhere(s)
			h := &Hit{Cause: causeNonzeroExit, Evidence: []string{t.line()}}
			last := flyteTailLine(t.Tail)
			switch {
			case t.Reason == "StartError" || t.Reason == "ContainerCannotRun":
				h.Cause = causeStartFailed
				h.Summary = fmt.Sprintf("the container of %s could not start (exit code %d, %s)", where, t.Exit, t.Reason)
				h.Detail = "the runtime said: " + flyteClip(cmp.Or(last, t.Tail), 300)
				h.Fixes = []Fix{{Action: "make the image runnable by Flyte: flytekit installed and the task's command (pyflyte-fast-execute / pyflyte-execute) on PATH; do not override the image's command in a way that drops it"}}
				if img := flyteImage(s, t); img != "" {
					h.Fixes = append(h.Fixes, Fix{Action: "check the image's entrypoint and installed tools", Commands: []string{
						"docker run --rm --entrypoint pyflyte-execute " + img + " --help"}})
				}
			default:
				h.Summary = fmt.Sprintf("the container of %s exited with code %d before flytekit reported an error", where, t.Exit)
				if last != "" {
					h.Summary += ": " + flyteClip(last, 160)
				}
				h.Detail = fmt.Sprintf("[%s] terminated with exit code (%d), reason %s, with no error document", t.Container, t.Exit, orUnknown(t.Reason))
				if last != "" {
					h.Detail += "; log tail: " + flyteClip(last, 300)
				}
				if m := flyteModuleRe.FindStringSubmatch(t.Tail); m != nil {
					h.Cause = causeMissingModule
					h.Fixes = flyteModuleFixes(m[1])
				} else if f := flyteLogFix(s); f != nil {
					h.Fixes = []Fix{{Action: "fix the failing command or code shown in the log tail, and relaunch"}, *f}
				}
			}
			h.Detail += flyteVersionNote(s, code)
			if n := flyteAttemptsWithCode(s, code); n > 1 {
				h.Summary += flyteAttemptsParen(n, len(s.Attempts))
			}
			return h
		},
	}
}

// ---------------------------------------------------------------------------------------------
// timeouts

func flyteExecutionTimeoutRule() *Rule {
	return &Rule{
		ID: "FD6001", Name: "task-execution-timeout", Title: "An attempt ran longer than the task's timeout",
		Category: CatTimeout, Causes: []string{causeExecutionTimeout}, Severity: Error, Requires: []string{"admin"},
		Doc: `Propeller aborted an attempt that ran longer than its execution deadline: the task's
timeout (@task(timeout=...), TaskMetadata.timeout), or else propeller's
node-config.default-deadlines.node-execution-deadline (unset, i.e. no limit, by default). The error
is code TimeoutExpired, kind USER, retryable: "task execution timeout [1h0m0s] expired". The deadline
counts from the start of each attempt. Note the second deadline that comes with it: when a task sets
a timeout T, the node's active deadline is 2T and counts queueing and all retries, so a task with
timeout=T and retries=10 usually gets only two attempts before the node times out (see FD6002).`,
		Fixes: []Fix{{Action: "raise the task's timeout, or make each attempt faster (smaller inputs, checkpoints)",
			Commands: []string{"@task(timeout=timedelta(hours=2))"}}},
		Site: func(s *Site) *Hit {
			if s.Stuck {
				return nil
			}
			if subs, ok := flyteArraySubs(s); ok {
				return flyteArrayHit(s, subs, CatTimeout, []string{"timeout"}, "timed out")
			}
			code, msg, _ := s.Error()
			text, m := s.Find(flyteExecTimeoutRe)
			if code != "TimeoutExpired" && m == nil {
				return nil
			}
			d := ""
			if m != nil {
				d = m[1]
			}
			h := &Hit{
				Summary:  fmt.Sprintf("%s ran longer than its timeout", flyteWhere(s)),
				Detail:   fmt.Sprintf("propeller: %s (code TimeoutExpired, kind USER, retryable)", cmp.Or(text, msg)),
				Evidence: []string{cmp.Or(text, msg)},
			}
			if d != "" {
				h.Summary += " of " + d
			}
			n := 0
			for _, a := range s.Attempts {
				// A timed-out attempt is aborted by propeller; the error is the node's.
				if a.Error == nil && a.Phase == "ABORTED" {
					n++
				} else if a.Error != nil {
					if c, _ := Unwrap(a.Error.Code, a.Error.Message); c == "TimeoutExpired" {
						n++
					}
				}
			}
			if n > 1 {
				h.Summary += flyteOnAttempts(n, len(s.Attempts))
			}
			if dur, err := time.ParseDuration(d); err == nil && dur > 0 {
				h.Fixes = []Fix{{Action: fmt.Sprintf("raise the task's timeout above %s (the node's active deadline becomes twice the timeout), or make each attempt faster", d),
					Commands: []string{fmt.Sprintf("@task(timeout=%s)", flytePyTimedelta(2*dur))}}}
			}
			return h
		},
	}
}

func flyteActiveDeadlineRule() *Rule {
	return &Rule{
		ID: "FD6002", Name: "node-active-deadline", Title: "The node exceeded its active deadline",
		Category: CatTimeout, Causes: []string{causeActiveDeadline, causeFailureNodeTmo}, Severity: Error, Requires: []string{"admin"},
		Doc: `The node ran out of its active deadline, which counts the time spent queued, running and in every
retry. Propeller moves the node to TIMED_OUT ("task active timeout [<d>] expired") and aborts the
running attempt; this is not retried. The workflow then fails with code Timeout, message "Timeout in
node", kind USER. A task with timeout=T gets an active deadline of 2T (so retries rarely get past the
second attempt); without a timeout the deadline is propeller's
node-config.default-deadlines.node-active-deadline (unset, i.e. no limit, by default). A long wait in
the queue (for resources, quota or a GPU) eats into the same deadline. When the node that timed out
is the workflow's failure node (on_failure=, node fn0), the workflow fails with code TimedOut,
"FailureNode Timed-out" (cause failure-node-timeout); the original failure is the node that failed
before it.`,
		Fixes: []Fix{{Action: "raise the task's timeout (the active deadline is twice the timeout), lower retries so they fit, or remove what kept the node queued",
			Commands: []string{"@task(timeout=timedelta(hours=2), retries=1)"}}},
		Site: func(s *Site) *Hit {
			if s.Stuck {
				return nil
			}
			code, msg, _ := s.Error()
			text, m := s.Find(flyteActiveTimeoutRe)
			timedOut := s.Node != nil && s.Node.Phase == "TIMED_OUT"
			failureNode := code == "TimedOut" || strings.Contains(msg, "FailureNode Timed-out")
			if !timedOut && m == nil && !failureNode && !(code == "Timeout" && strings.Contains(msg, "Timeout in node")) {
				return nil
			}
			where := flyteWhere(s)
			h := &Hit{Cause: causeActiveDeadline, Summary: where + " exceeded its active deadline (queueing, running and retries together)"}
			if m != nil {
				h.Summary = fmt.Sprintf("%s exceeded its active deadline of %s (queueing, running and retries together)", where, m[1])
				h.Evidence = append(h.Evidence, "propeller: "+text)
			}
			var parts []string
			if timedOut {
				parts = append(parts, "node phase TIMED_OUT")
				h.Evidence = append(h.Evidence, fmt.Sprintf("node %s: phase TIMED_OUT", s.Node.ID))
			}
			if code != "" {
				parts = append(parts, fmt.Sprintf("workflow error %s: %s (kind USER, not retried)", code, firstLine(msg)))
				h.Evidence = append(h.Evidence, "Admin error "+code+": "+firstLine(msg))
			}
			if len(parts) == 0 {
				parts = append(parts, text)
			}
			h.Detail = strings.Join(parts, "; ")
			if s.Node != nil && !s.Node.StartedAt.IsZero() && !s.Node.UpdatedAt.IsZero() {
				h.Detail += fmt.Sprintf("; the node ran %s from its start", s.Node.UpdatedAt.Sub(s.Node.StartedAt).Round(time.Second))
			}
			if failureNode {
				h.Cause = causeFailureNodeTmo
				h.Summary = "the workflow's failure node (on_failure=) timed out"
				if s.Node != nil {
					h.Summary = fmt.Sprintf("the workflow's failure node, %s, timed out", where)
				}
				h.Fixes = []Fix{{Action: "raise the failure handler's timeout or make it faster; the workflow's first failure is the node that failed before it"}}
			}
			return h
		},
	}
}

func flyteSDKTimeoutRule() *Rule {
	return &Rule{
		ID: "FD6003", Name: "sdk-timeout", Title: "The task's code gave up waiting (flytekit timeout)",
		Category: CatTimeout, Causes: []string{causeSDKTimeout}, Severity: Error, Requires: []string{"admin"},
		Doc: `flytekit raised FlyteTimeout inside the task (code USER:Timeout, kind USER): a wait in the
task's own code timed out, such as FlyteRemote.wait(timeout=...) or an eager workflow waiting for a
sub-execution. It is not propeller's deadline; the task's timeout= does not cover it.`,
		Fixes: []Fix{{Action: "raise the timeout passed to the wait in the task's code, or check why the awaited execution is slow"}},
		Site: func(s *Site) *Hit {
			if s.Stuck {
				return nil
			}
			code, msg, _ := s.Error()
			if code != "USER:Timeout" {
				return nil
			}
			line := cmp.Or(flyteExceptionLine(msg), firstLine(msg))
			return &Hit{
				Summary:  fmt.Sprintf("%s timed out waiting inside its own code: %s", flyteWhere(s), flyteClip(line, 160)),
				Detail:   "flytekit reported USER:Timeout: " + line,
				Evidence: []string{code + ": " + line},
			}
		},
	}
}

// ---------------------------------------------------------------------------------------------
// interruptions

func flyteNodeShutdownRule() *Rule {
	return &Rule{
		ID: "FD7001", Name: "node-shutdown", Title: "The pod's node shut down or the pod was preempted",
		Category: CatInterrupted, Causes: []string{causeNodeShutdown, causePreempted, causeNodeLost, causeNodeDrained, causeNodeAffinity},
		Severity: Error, Requires: []string{"admin", "kube"},
		Doc: `The pod was stopped from outside: the node shut down (spot or preemptible reclaim, scale-down,
maintenance; kubelet graceful node shutdown: pod reason Shutdown or Terminated, "Pod was terminated
in response to imminent node shutdown."), the scheduler preempted it for a higher-priority pod
(DisruptionTarget PreemptionByScheduler), the node was lost (taint manager NoExecute), drained
(Eviction API), or the node no longer matched its affinity after a restart (reason NodeAffinity).
Flyte reports code Interrupted, kind SYSTEM, retryable: it uses the system retry budget
(max-node-retries-system-failures, 3 by default), not the task's retries=. For interruptible tasks,
propeller's interruptible-failure-threshold decides how many attempts may run on interruptible
nodes (default -1: all but the last, which runs non-interruptible). Retrying usually succeeds; when
every attempt is interrupted, run the task on on-demand nodes (interruptible=False).`,
		Fixes: []Fix{
			{Action: "relaunch; if this node is a spot/preemptible node, run the task non-interruptible", Commands: []string{"@task(interruptible=False)"}},
			{Action: "or raise the system retry budget (propeller node-config max-node-retries-system-failures) or make the task resume from a checkpoint"},
		},
		Site: func(s *Site) *Hit {
			if s.Stuck {
				return nil
			}
			if subs, ok := flyteArraySubs(s); ok {
				return flyteArrayHit(s, subs, CatInterrupted, []string{"shutdown"}, "were stopped by a node shutdown or preemption")
			}
			cause, ev, node := flyteShutdownEvidence(s)
			if cause == "" {
				return nil
			}
			n := 0
			for _, a := range s.Attempts {
				if a.Error != nil {
					if c, _ := Unwrap(a.Error.Code, a.Error.Message); c == "Interrupted" {
						n++
					}
				}
			}
			what := map[string]string{causeNodeShutdown: "its node shut down", causePreempted: "the scheduler preempted it",
				causeNodeLost: "its node was lost", causeNodeDrained: "its node was drained", causeNodeAffinity: "its node no longer matched the pod's affinity"}[cause]
			if node != "" {
				what += " (" + node + ")"
			}
			h := &Hit{Cause: cause, Summary: fmt.Sprintf("%s was interrupted: %s", flyteWhere(s), what), Evidence: ev}
			if n > 1 {
				h.Summary = fmt.Sprintf("%s was interrupted%s; on the last one %s", flyteWhere(s), flyteOnAttempts(n, len(s.Attempts)), what)
			}
			h.Detail = ev[0] + "; Flyte reports this as Interrupted (SYSTEM, retryable: system retry budget, not retries=)"
			fixes := []Fix{}
			if flyteInterruptible(s) {
				fixes = append(fixes, Fix{Action: "the task runs interruptible (on spot/preemptible nodes); make it non-interruptible if it must not be interrupted",
					Commands: []string{"@task(interruptible=False)"}})
			} else {
				fixes = append(fixes, Fix{Action: "relaunch: interruptions are usually transient", Commands: []string{flyteRelaunch(s)}})
			}
			fixes = append(fixes, Fix{Action: "if every attempt is interrupted, raise the system retry budget (propeller node-config max-node-retries-system-failures, 3 by default) or checkpoint so that a retry resumes"})
			h.Fixes = fixes
			return h
		},
	}
}

func flyteResourceDeletedRule() *Rule {
	return &Rule{
		ID: "FD7002", Name: "pod-deleted-externally", Title: "The task's pod was deleted while Flyte was watching it",
		Category: CatInterrupted, Causes: []string{causeDeletedExternally}, Severity: Error, Requires: []string{"admin"},
		Doc: `Propeller looked for the task's pod and it was gone: code ResourceDeletedExternally, kind SYSTEM,
retryable, "resource not found, name [<namespace>/<pod>]. reason: pods "<pod>" not found". Someone or
something deleted it (kubectl delete, a cleanup job, a node that was removed with its pods, or the
garbage collector removing a finished pod before propeller read its final status).`,
		Fixes: []Fix{{Action: "find what deletes pods in the namespace (cleanup jobs, kubectl delete, node removal) and stop it, then relaunch"}},
		Site: func(s *Site) *Hit {
			if s.Stuck {
				return nil
			}
			if subs, ok := flyteArraySubs(s); ok {
				return flyteArrayHit(s, subs, CatInterrupted, []string{"deleted"}, "had their pods deleted externally")
			}
			code, msg, _ := s.Error()
			text, m := s.Find(flyteNotFoundRe)
			if code != "ResourceDeletedExternally" && m == nil {
				return nil
			}
			pod := ""
			if m != nil {
				pod = m[1]
			}
			h := &Hit{
				Summary:  fmt.Sprintf("the pod of %s was deleted while it ran", flyteWhere(s)),
				Detail:   "propeller: " + firstLine(cmp.Or(text, msg)) + " (code ResourceDeletedExternally, kind SYSTEM, retryable)",
				Evidence: []string{cmp.Or(text, msg)},
			}
			if pod != "" {
				h.Summary = fmt.Sprintf("pod %s of %s was deleted while it ran", pod, flyteWhere(s))
				ns, name, _ := strings.Cut(pod, "/")
				h.Fixes = []Fix{
					{Action: "find who deleted the pod in the API server audit log or the namespace's events", Commands: []string{
						fmt.Sprintf("kubectl get events -n %s --field-selector involvedObject.name=%s", ns, name)}},
					{Action: "stop the process that deletes running pods, then relaunch"},
				}
			}
			return h
		},
	}
}

func flyteObjectDeletionRule() *Rule {
	return &Rule{
		ID: "FD7003", Name: "pod-terminated-in-background", Title: "The task's pod was being deleted before it finished",
		Category: CatInterrupted, Causes: []string{causeDeletedExternally}, Severity: Error, Requires: []string{"admin"},
		Doc: `Propeller found the task's pod with a deletion timestamp while it had not finished: code
UnexpectedObjectDeletion, kind SYSTEM, retryable, "object [<namespace>/<pod>] terminated in the
background, manually". The pod was deleted (by hand, by a controller, or because its node went away
and the pod garbage collector removed it).`,
		Fixes: []Fix{{Action: "find what deleted the pod (kubectl delete, node removal, a cleanup controller) and relaunch"}},
		Site: func(s *Site) *Hit {
			if s.Stuck {
				return nil
			}
			code, msg, _ := s.Error()
			text, m := s.Find(flyteBackgroundRe)
			if code != "UnexpectedObjectDeletion" && m == nil {
				return nil
			}
			h := &Hit{
				Summary:  fmt.Sprintf("the pod of %s was deleted before it finished", flyteWhere(s)),
				Detail:   "propeller: " + firstLine(cmp.Or(text, msg)) + " (code UnexpectedObjectDeletion, kind SYSTEM, retryable)",
				Evidence: []string{cmp.Or(text, msg)},
			}
			if m != nil {
				h.Summary = fmt.Sprintf("pod %s of %s was deleted before it finished", m[1], flyteWhere(s))
			}
			return h
		},
	}
}

func flyteEvictedRule() *Rule {
	return &Rule{
		ID: "FD7004", Name: "pod-evicted", Title: "The kubelet evicted the task's pod",
		Category: CatInterrupted, Causes: []string{causeEvicted, causeEphemeralStorage}, Severity: Error, Requires: []string{"admin", "kube"},
		Doc: `The kubelet evicted the pod (pod reason Evicted): the node ran short of disk or another
resource, or the pod wrote more to its local disk (container writable layer, emptyDir, /tmp) than
its ephemeral-storage limit ("Pod ephemeral local storage usage exceeds the total limit of
containers 1Gi."). Flyte reports the pod's reason (code Evicted, USER, retryable) or, when the
container was SIGKILLed, Interrupted (SYSTEM). Memory-pressure evictions are FD5002.`,
		Fixes: []Fix{{Action: "give the task enough local disk, or write large files to the raw output prefix instead of local disk",
			Commands: []string{`@task(requests=Resources(ephemeral_storage="20Gi"), limits=Resources(ephemeral_storage="20Gi"))`}}},
		Site: func(s *Site) *Hit {
			if s.Stuck {
				return nil
			}
			if subs, ok := flyteArraySubs(s); ok {
				return flyteArrayHit(s, subs, CatInterrupted, []string{"evicted"}, "were evicted")
			}
			text, m := s.Find(flyteEvictRe)
			code, _, _ := s.Error()
			evictedPod := ""
			for _, name := range flytePodNames(s) {
				if s.Pods[name].Reason == "Evicted" {
					evictedPod = name
				}
			}
			if m == nil && code != "Evicted" && evictedPod == "" {
				return nil
			}
			if s2, _ := s.Find(flyteMemEvictRe); s2 != "" {
				return nil // FD5002
			}
			h := &Hit{Cause: causeEvicted, Summary: fmt.Sprintf("%s was evicted by the kubelet", flyteWhere(s))}
			if text != "" {
				h.Detail = "kubelet: " + firstLine(text)
				h.Evidence = append(h.Evidence, firstLine(text))
			} else {
				h.Detail = "pod reason Evicted"
				h.Evidence = append(h.Evidence, "pod "+evictedPod+": reason Evicted")
			}
			if m != nil && (m[2] != "" || m[4] != "") {
				h.Cause = causeEphemeralStorage
				limit := cmp.Or(m[2], m[4])
				h.Summary = fmt.Sprintf("%s was evicted for writing more local disk than its ephemeral-storage limit of %s", flyteWhere(s), limit)
				h.Fixes = []Fix{{Action: fmt.Sprintf("raise the task's ephemeral-storage above %s, or write large files to the raw output prefix (FlyteFile/FlyteDirectory) instead of local disk", limit),
					Commands: []string{fmt.Sprintf(`@task(requests=Resources(ephemeral_storage=%q), limits=Resources(ephemeral_storage=%q))`, flyteSuggestMem(limit), flyteSuggestMem(limit))}}}
			} else if m != nil && m[1] != "" {
				h.Summary = fmt.Sprintf("%s was evicted because its node ran low on %s", flyteWhere(s), m[1])
			}
			return h
		},
	}
}

func flyteInterruptedRule() *Rule {
	return &Rule{
		ID: "FD7005", Name: "interrupted", Title: "Flyte reported the attempt as Interrupted",
		Category: CatInterrupted, Causes: []string{causeSigkilled, causeInterrupted}, Severity: Error, Requires: []string{"admin", "kube"},
		Doc: `Flyte reported code Interrupted (kind SYSTEM, retryable: system retry budget) and no more specific
evidence of a node shutdown, preemption or eviction was found. Flyte uses Interrupted for a pod
whose reason is Shutdown, Terminated, NodeShutdown or NodeAffinity, for a primary container killed
by SIGKILL (exit code 137 or 247) that was not OOMKilled, and, since v1.15.1, for any pod that failed
without a pod-level reason (up to v1.14 that was UnknownError, kind USER). flytedoctor reads the
Admin version to say which semantics apply; a plain non-zero exit with an application log tail is
classified as user code instead (FD5102). A SIGKILL without OOMKilled usually means the node went
away or the container was killed from outside (kubectl delete --grace-period=0, a node problem).`,
		Fixes: []Fix{{Action: "relaunch; if it repeats, look at the node the pod ran on and the pod's events"}},
		Site: func(s *Site) *Hit {
			if s.Stuck {
				return nil
			}
			if subs, ok := flyteArraySubs(s); ok {
				return flyteArrayHit(s, subs, CatInterrupted, []string{"interrupted"}, "were interrupted")
			}
			code, msg, _ := s.Error()
			if code != "Interrupted" {
				return nil
			}
			if c, _, _ := flyteShutdownEvidence(s); c != "" {
				return nil // FD7001
			}
			if t, _ := s.Find(flyteEvictRe); t != "" {
				return nil // FD7004, FD5002
			}
			if flyteOOMContainer(s) != nil {
				return nil // FD5001
			}
			if flyteAppExit(s) != nil {
				return nil // FD5102
			}
			terms := flyteTerms(s)
			if flyteSystemTail(terms) {
				return nil // flytekit's own error before error.pb: storage rules or the system fallback
			}
			h := &Hit{Cause: causeInterrupted, Summary: fmt.Sprintf("%s was interrupted", flyteWhere(s))}
			var t *flyteTerm
			if len(terms) > 0 {
				t = &terms[len(terms)-1]
			}
			if t != nil && flyteSignalExit(t.Exit) {
				h.Cause = causeSigkilled
				h.Summary = fmt.Sprintf("%s was killed by a signal (exit code %d, not OOMKilled)", flyteWhere(s), t.Exit)
				h.Evidence = append(h.Evidence, t.line())
			} else if t != nil {
				h.Evidence = append(h.Evidence, t.line())
			} else {
				h.Evidence = append(h.Evidence, "Admin error Interrupted: "+firstLine(msg))
			}
			h.Detail = "Flyte code Interrupted (kind SYSTEM, retryable: system retry budget)" + flyteVersionNote(s, code)
			if t != nil && !flyteSignalExit(t.Exit) && t.Exit != 0 {
				h.Detail += fmt.Sprintf("; the container exited with code %d and left no log tail, so it may be the task's own exit: check its log", t.Exit)
			}
			if p := flyteLastPod(s); p != nil {
				h.Fixes = []Fix{{Action: "relaunch; if it repeats, look at the pod's events and its node", Commands: []string{flyteDescribe(s, p)}}}
				if p.NodeName != "" {
					h.Fixes = append(h.Fixes, Fix{Action: "check the node it ran on", Commands: []string{"kubectl describe node " + p.NodeName}})
				}
			}
			return h
		},
	}
}

// ---------------------------------------------------------------------------------------------
// system

func flyteOutputsMissingRule() *Rule {
	return &Rule{
		ID: "FD8001", Name: "outputs-not-written", Title: "The task finished without writing its outputs or error",
		Category: CatSystem, Causes: []string{causeOutputsMissing}, Severity: Error, Requires: []string{"admin", "kube"},
		Doc: `The container ended without leaving outputs.pb (code OutputsNotFound, "Outputs not generated by task
execution", or "No outputs produced": "outputs not found at [...]") or left an error file that could
not be read (ErrorFileNotFound). Flyte treats this as retryable. It means the process that ran was
not flytekit's pyflyte-execute (a custom image ENTRYPOINT or command replaced it, or a raw
ContainerTask did not write to its output directory), or it was killed after exiting cleanly, or it
wrote outputs somewhere else (a different raw output or metadata bucket than propeller reads).`,
		Fixes: []Fix{
			{Action: "check that the task's container runs pyflyte-execute (or, for a raw ContainerTask, writes its outputs to output_data_dir)"},
			{Action: "check that the image's ENTRYPOINT does not swallow the arguments Flyte passes"},
		},
		Site: func(s *Site) *Hit {
			if s.Stuck {
				return nil
			}
			code, msg, _ := s.Error()
			text, m := s.Find(flyteOutputsRe)
			if m == nil && code != "OutputsNotFound" && code != "ErrorFileNotFound" && code != "No outputs produced" {
				return nil
			}
			h := &Hit{
				Summary:  fmt.Sprintf("%s ended without writing its outputs (%s)", flyteWhere(s), orUnknown(code)),
				Detail:   fmt.Sprintf("propeller: %s", firstLine(cmp.Or(text, msg))),
				Evidence: []string{cmp.Or(text, msg)},
			}
			for _, pc := range s.Containers() {
				st := pc.Container.State
				if st.State == "terminated" {
					h.Detail += fmt.Sprintf("; container %s terminated with exit code %d (%s)", pc.Container.Name, st.ExitCode, orUnknown(st.Reason))
					h.Evidence = append(h.Evidence, flyteContainerLine(&pc))
				}
			}
			return h
		},
	}
}

func flyteWorkflowStartRule() *Rule {
	return &Rule{
		ID: "FD8002", Name: "workflow-start-failure", Title: "Propeller could not start the workflow",
		Category: CatSystem, Causes: []string{causeOffloadedInputs, causeMetadataPrefix, causeBadSpec}, Severity: Error,
		Requires: []string{"admin"}, Fallback: true,
		Doc: `Propeller failed the workflow before its first node ran, with a SYSTEM error:
OffloadedInputsReadFailure (propeller could not read the inputs flyteadmin offloaded to
<metadata container>/metadata/<project>/<domain>/<execution>/inputs: propeller's storage identity
lacks s3:GetObject there, or admin and propeller are configured with different buckets),
MetadataPrefixCreationFailure (propeller could not build the execution's metadata path from its
storage container and propeller.metadata-prefix), or BadSpecificationError (the compiled workflow is
invalid: "StartNode not found.", inline and offloaded inputs at once; usually a flytekit/flyteadmin
version mismatch). A fallback: storage-permission rules explain an access-denied read first.`,
		Fixes: []Fix{{Action: "read flytepropeller's log for the execution and compare propeller's and flyteadmin's storage configuration",
			Commands: []string{"kubectl logs -n flyte deploy/flytepropeller | grep EXECUTION"}}},
		Site: func(s *Site) *Hit {
			code, msg, _ := s.Error()
			var cause, what string
			switch code {
			case "OffloadedInputsReadFailure":
				cause, what = causeOffloadedInputs, "propeller could not read the execution's offloaded inputs"
			case "MetadataPrefixCreationFailure":
				cause, what = causeMetadataPrefix, "propeller could not build the execution's metadata path"
			case "BadSpecificationError":
				cause, what = causeBadSpec, "the compiled workflow is invalid"
			default:
				return nil
			}
			h := &Hit{Cause: cause, Summary: "the workflow failed to start: " + what,
				Detail: fmt.Sprintf("%s (kind SYSTEM): %s", code, firstLine(msg)), Evidence: []string{code + ": " + msg}}
			grep := "kubectl logs -n flyte deploy/flytepropeller | grep " + s.Execution.ID.Name
			switch cause {
			case causeOffloadedInputs:
				h.Fixes = []Fix{{Action: "give flytepropeller's storage identity s3:GetObject on flyteadmin's metadata prefix, and check both use the same metadata bucket"}}
				if uri := cmp.Or(flyteS3URI(msg), s.Execution.InputsURI); strings.HasPrefix(uri, "s3://") {
					bucket, key, _ := strings.Cut(strings.TrimPrefix(uri, "s3://"), "/")
					h.Fixes = append(h.Fixes, Fix{Action: "check the object and the permission", Commands: []string{
						fmt.Sprintf("aws s3api head-object --bucket %s --key %s", bucket, key),
						fmt.Sprintf("aws iam simulate-principal-policy --policy-source-arn PROPELLER_ROLE_ARN --action-names s3:GetObject --resource-arns arn:aws:s3:::%s/%s", bucket, key)}})
				}
			case causeMetadataPrefix:
				h.Fixes = []Fix{{Action: "check propeller's storage.container and propeller.metadata-prefix configuration", Commands: []string{grep}}}
			default:
				h.Fixes = []Fix{{Action: "re-register the workflow with a flytekit version that matches flyteadmin, and check propeller's log", Commands: []string{grep}}}
			}
			return h
		},
	}
}

func flyteSystemRetriesRule() *Rule {
	return &Rule{
		ID: "FD8003", Name: "system-retries-exhausted", Title: "Propeller gave up after repeated system errors",
		Category: CatSystem, Causes: []string{causeSystemRetries, causeEventRecording}, Severity: Error,
		Requires: []string{"admin"}, Fallback: true,
		Doc: `Propeller failed to process the workflow more times than propeller's max-workflow-retries (10 by
default) and failed it: code RuntimeExecutionError or "Workflow abort failed", kind SYSTEM, "max
number of system retry attempts [11/10] exhausted. Last known status message: ...". The last known
message says what kept failing, most often EventRecordingFailed (propeller could not record a node
or task event in flyteadmin: admin down or overloaded, or a gRPC message larger than admin accepts)
or a storage error. A fallback: when another rule recognises the last message, that rule reports it.`,
		Fixes: []Fix{{Action: "read flytepropeller's log for the execution; fix what the last known status message names",
			Commands: []string{"kubectl logs -n flyte deploy/flytepropeller | grep EXECUTION"}}},
		Site: func(s *Site) *Hit {
			code, msg, _ := s.Error()
			m := flyteSysRetriesRe.FindStringSubmatch(msg)
			if m == nil && code != "RuntimeExecutionError" {
				return nil
			}
			last := ""
			if m != nil {
				last = strings.TrimSpace(m[3])
			}
			h := &Hit{Cause: causeSystemRetries, Evidence: []string{code + ": " + msg}}
			h.Summary = "propeller gave up on the workflow after repeated system errors"
			if m != nil {
				h.Summary += fmt.Sprintf(" (%s/%s attempts)", m[1], m[2])
			}
			h.Detail = firstLine(msg)
			grep := "kubectl logs -n flyte deploy/flytepropeller | grep " + s.Execution.ID.Name
			h.Fixes = []Fix{{Action: "read flytepropeller's log for the execution", Commands: []string{grep}}}
			if strings.Contains(last, "EventRecordingFailed") || strings.Contains(last, "failed to record") {
				h.Cause = causeEventRecording
				h.Summary = "propeller could not record the workflow's events in flyteadmin and gave up"
				h.Fixes = append(h.Fixes, Fix{Action: "check that flyteadmin is up and reachable from propeller", Commands: []string{"kubectl logs -n flyte deploy/flyteadmin --since=1h"}})
				if mm := flyteGRPCSizeRe.FindStringSubmatch(last); mm != nil {
					h.Fixes = append(h.Fixes, Fix{Action: fmt.Sprintf("an event (%s bytes) is larger than flyteadmin's gRPC limit (%s bytes): raise flyteadmin's server.grpc.maxMessageSizeBytes or shrink the error message / outputs the task produces", mm[1], mm[2])})
				}
			}
			if last != "" {
				h.Detail = "last known status message: " + flyteClip(last, 400)
			}
			return h
		},
	}
}

// ---------------------------------------------------------------------------------------------
// aborts

func flyteAbortedRule() *Rule {
	return &Rule{
		ID: "FD8101", Name: "execution-aborted", Title: "The execution was aborted",
		Category: CatAborted, Causes: []string{causeAborted}, Severity: Info, Requires: []string{"admin"},
		Doc: `Someone (or something: a schedule, a parent execution, flytekit's remote.terminate) aborted the
execution; Admin keeps the cause and principal (closure.abort_metadata). It is not a failure and is
reported as information, never as an error. Running nodes are aborted and their pods deleted.
A healthy SUCCEEDED execution produces no finding at all.`,
		Fixes: []Fix{{Action: "nothing to fix; relaunch or recover the execution if the abort was a mistake"}},
		Site: func(s *Site) *Hit {
			if s.Node != nil || s.Execution.Phase != "ABORTED" {
				return nil
			}
			who := orUnknown(s.Execution.AbortPrincipal)
			h := &Hit{Summary: "the execution was aborted by " + who}
			if c := strings.TrimSpace(s.Execution.AbortCause); c != "" {
				h.Summary += ": " + flyteClip(c, 200)
				h.Detail = "abort cause: " + c
			}
			h.Evidence = []string{fmt.Sprintf("execution phase ABORTED, abort_principal %q, abort_cause %q", s.Execution.AbortPrincipal, s.Execution.AbortCause)}
			id := s.Execution.ID
			h.Fixes = []Fix{{Action: "nothing to fix; to run it again, relaunch it, or recover it to reuse the outputs of the nodes that finished",
				Commands: []string{fmt.Sprintf("flytectl create execution -p %s -d %s --recover %s", id.Project, id.Domain, id.Name)}}}
			return h
		},
	}
}

func flyteChildAbortedRule() *Rule {
	return &Rule{
		ID: "FD8102", Name: "child-execution-aborted", Title: "A child execution was aborted, failing its parent",
		Category: CatAborted, Causes: []string{causeChildAborted}, Severity: Warning, Requires: []string{"admin"},
		Doc: `A launch-plan node's child execution was aborted; propeller fails the parent node with code
RemoteChildWorkflowExecutionFailed, kind USER ("launchplan [<child>] aborted, caused by: launchplan
execution aborted"), and the parent execution fails. Nothing broke: someone aborted the child (its
abort cause and principal are shown), so this is a warning, not an error.`,
		Fixes: []Fix{{Action: "relaunch the parent if the child was aborted by mistake"}},
		Site: func(s *Site) *Hit {
			if s.Node == nil {
				return nil
			}
			if !flyteChildAborted(s) {
				return nil
			}
			code, msg, _ := s.Error()
			child := s.Node.ChildExecution
			name := ""
			if m := flyteLPAbortedRe.FindStringSubmatch(msg); m != nil {
				name = m[1]
			}
			h := &Hit{Evidence: []string{code + ": " + msg}}
			if child != nil {
				name = child.ID.Name
				h.Evidence = append(h.Evidence, fmt.Sprintf("child execution %s: phase %s, abort_principal %q, abort_cause %q",
					child.ID, child.Phase, child.AbortPrincipal, child.AbortCause))
			}
			h.Summary = fmt.Sprintf("child execution %s of node %s was aborted", orUnknown(name), s.Node.ID)
			if child != nil && child.AbortPrincipal != "" {
				h.Summary += " by " + child.AbortPrincipal
			}
			if child != nil && child.AbortCause != "" {
				h.Summary += ": " + flyteClip(child.AbortCause, 200)
			}
			h.Detail = fmt.Sprintf("the parent node failed with %s: %s", orUnknown(code), firstLine(msg))
			id := s.Execution.ID
			h.Fixes = []Fix{{Action: "relaunch the parent (recover reuses the nodes that finished) if the child was aborted by mistake",
				Commands: []string{fmt.Sprintf("flytectl create execution -p %s -d %s --recover %s", id.Project, id.Domain, id.Name)}}}
			return h
		},
	}
}

// ---------------------------------------------------------------------------------------------
// helpers (prefixed flyte)

var (
	// DemystifyFailure: "\r\n[<ctr>] terminated with exit code (137). Reason [OOMKilled]. Message: \n<tail>."
	flyteTermRe          = regexp.MustCompile(`\[([^\[\]\r\n]+)\] terminated with exit code \((-?\d+)\)\. Reason \[([^\]\r\n]*)\]\. Message: ?\n?`)
	flyteUserCodeRe      = regexp.MustCompile(`^USER:([A-Za-z_][\w.]*)$`)
	flyteExcLineRe       = regexp.MustCompile(`(?m)^[ \t]*((?:[A-Za-z_]\w*\.)*_?[A-Z]\w*(?:Error|Exception|Exit|Interrupt|Timeout|Failure|Warning))(?:: (.*?))?[ \t]*$`)
	flyteFrameRe         = regexp.MustCompile(`(?m)^[ \t]*File "([^"]+)", line (\d+), in (\S+)`)
	flyteModuleRe        = regexp.MustCompile(`(?:ModuleNotFoundError|ImportError): No module named '([^']+)'`)
	flyteGPUOOMRe        = regexp.MustCompile(`CUDA out of memory|CUDA error: out of memory|OutOfMemoryError: CUDA|RESOURCE_EXHAUSTED: Out of memory while trying to allocate`)
	flyteMemEvictRe      = regexp.MustCompile(`The node was low on resource: memory\.`)
	flyteEvictUsageRe    = regexp.MustCompile(`Container (\S+) was using (\d+\w*), (?:request is|which exceeds its request of) (\w+)`)
	flyteEvictRe         = regexp.MustCompile(`The node was low on resource: ([\w-]+)\.|Pod ephemeral local storage usage exceeds the total limit of containers (\d+\w*)|Container (\S+) exceeded its local ephemeral storage limit "([^"]+)"|The node had condition: \[\w+\]`)
	flyteExecTimeoutRe   = regexp.MustCompile(`task execution timeout \[([^\]]+)\] expired`)
	flyteActiveTimeoutRe = regexp.MustCompile(`task active timeout \[([^\]]+)\] expired`)
	flyteNotFoundRe      = regexp.MustCompile(`resource not found, name \[([^\]]+)\]`)
	flyteBackgroundRe    = regexp.MustCompile(`object \[([^\]]+)\] terminated in the background, manually`)
	flyteOutputsRe       = regexp.MustCompile(`Outputs not generated by task execution|outputs not found at \[[^\]]*\]`)
	flyteSysRetriesRe    = regexp.MustCompile(`(?s)max number of system retry attempts \[(\d+)/(\d+)\] exhausted\.? ?(?:- system failure\.)?(?:Last known status message: (.*))?`)
	flyteGRPCSizeRe      = regexp.MustCompile(`received message larger than max \((\d+) vs\. (\d+)\)`)
	flyteLPAbortedRe     = regexp.MustCompile(`launchplan \[([^\]]+)\] aborted`)
	flyteShutdownTextRe  = regexp.MustCompile(`imminent node shutdown|Node is in progress of shutting down|node is shutting down`)
	flytePreemptTextRe   = regexp.MustCompile(`preempting to accommodate a higher priority|Preempted in order to admit critical pod`)
	flyteS3Re            = regexp.MustCompile(`s3://[^\s\]\[,:"']+`)
	flyteArrayStartRe    = regexp.MustCompile(`(?m)^((?:\[\d+(?:-\d+)?\])+): `)
	flyteArrayRangeRe    = regexp.MustCompile(`\[(\d+)(?:-(\d+))?\]`)
	flyteLegacySubRe     = regexp.MustCompile(`(?s)^code:"([^"]*)" message:"(.*)"$`)
	flyteVersionRe       = regexp.MustCompile(`v?(\d+)\.(\d+)\.(\d+)`)
	flyteAllocRe         = regexp.MustCompile(`Unable to allocate ([\d.]+) ([KMGT]i?B)`)
	flyteSysCodeRe       = regexp.MustCompile(`\bSYSTEM:\w+`)
	flyteErrorLineRe     = regexp.MustCompile(`(?i)^(?:fatal\b|error\b|.*\berror:|.*\bfailed\b|.*\bnot found\b|.*\bno such file\b|.*\bpermission denied\b)`)
)

// flyteChildAborted: the site is a launch-plan node whose child execution was aborted.
func flyteChildAborted(s *Site) bool {
	if s.Node == nil {
		return false
	}
	if c := s.Node.ChildExecution; c != nil && c.Phase == "ABORTED" {
		return true
	}
	code, msg, _ := s.Error()
	return code == "RemoteChildWorkflowExecutionFailed" && flyteLPAbortedRe.MatchString(msg)
}

// flyteIsOOM says whether an Admin error reports an OOM kill.
func flyteIsOOM(code, msg string) bool {
	return code == "OOMKilled" || strings.Contains(msg, "Reason [OOMKilled]") || strings.Contains(msg, "despite being OOMKilled")
}

// flyteUserCodeExcluded: USER:* codes other rules own (GPU OOM, MemoryError, flytekit timeouts).
func flyteUserCodeExcluded(code, msg string) bool {
	return code == "USER:Timeout" || flytePyMemoryError(code, msg) || flyteGPUOOMRe.MatchString(msg)
}

// flytePyMemoryError: the task's Python code raised MemoryError (or numpy's _ArrayMemoryError);
// a CUDA out-of-memory error is FD5003's.
func flytePyMemoryError(code, msg string) bool {
	if !strings.HasPrefix(code, "USER") || flyteGPUOOMRe.MatchString(msg) {
		return false
	}
	exc, _, _ := strings.Cut(flyteExceptionLine(msg), ":")
	exc = exc[strings.LastIndex(exc, ".")+1:]
	return exc == "MemoryError" || exc == "_ArrayMemoryError"
}

// flyteWhere names the place: "task workflows.etl.aggregate (node n1-0-n1)".
func flyteWhere(s *Site) string {
	if s.Node == nil {
		return "execution " + s.Execution.ID.Name
	}
	task := ""
	for _, a := range s.Attempts {
		if a.TaskID.Name != "" {
			task = a.TaskID.Name
		}
	}
	if task == "" {
		return "node " + s.Node.ID
	}
	return fmt.Sprintf("task %s (node %s)", task, s.Node.ID)
}

// flyteOnAttempts collapses retries: " on both attempts", " on all 3 attempts", " on 2 of 3
// attempts"; "" for a single attempt.
func flyteOnAttempts(n, total int) string {
	switch {
	case total <= 1:
		return ""
	case n == total && n == 2:
		return " on both attempts"
	case n == total:
		return fmt.Sprintf(" on all %d attempts", n)
	}
	return fmt.Sprintf(" on %d of %d attempts", max(n, 1), total)
}

// flyteAttemptsParen is the same as a parenthesis: " (all 3 attempts)".
func flyteAttemptsParen(n, total int) string {
	if on := flyteOnAttempts(n, total); on != "" {
		return " (" + strings.TrimPrefix(on, " on ") + ")"
	}
	return ""
}

func flyteAttemptsWithCode(s *Site, code string) int {
	n := 0
	for _, a := range s.Attempts {
		if a.Error != nil {
			if c, _ := Unwrap(a.Error.Code, a.Error.Message); c == code {
				n++
			}
		}
	}
	return n
}

// flyteTermSummary is the decisive part of a pod-failure message: the termination line and the
// last line of the log tail.
func flyteTermSummary(msg string) string {
	if strings.Contains(msg, "despite being OOMKilled") {
		return "Pod reported success despite being OOMKilled"
	}
	ts := flyteTermsIn(msg)
	if len(ts) == 0 {
		return firstLine(msg)
	}
	return ts[len(ts)-1].line()
}

// flyteTerm is a container termination, from the pod or from Admin's message.
type flyteTerm struct {
	Container string
	Exit      int
	Reason    string
	Tail      string
	pc        *PodContainer
}

func (t flyteTerm) line() string {
	s := fmt.Sprintf("[%s] terminated with exit code (%d). Reason [%s]", t.Container, t.Exit, t.Reason)
	if l := flyteTailLine(t.Tail); l != "" {
		s += "; log tail: " + flyteClip(l, 300)
	}
	return s
}

func flyteTermsIn(msg string) []flyteTerm {
	locs := flyteTermRe.FindAllStringSubmatchIndex(msg, -1)
	var out []flyteTerm
	for i, l := range locs {
		end := len(msg)
		if i+1 < len(locs) {
			// The tail ends at the last "\r\n" before the next termination, searched for
			// between the two only (from the start of msg it was quadratic in terminations).
			end = locs[i+1][0]
			if j := strings.LastIndex(msg[l[1]:end], "\r\n"); j >= 0 {
				end = l[1] + j
			}
		}
		exit, _ := strconv.Atoi(msg[l[4]:l[5]])
		tail := strings.TrimSpace(msg[l[1]:end])
		tail = strings.TrimSpace(strings.TrimSuffix(tail, "."))
		out = append(out, flyteTerm{Container: msg[l[2]:l[3]], Exit: exit, Reason: msg[l[6]:l[7]], Tail: tail})
	}
	return out
}

// flyteTerms are the site's terminated containers: from the pods when they exist, else from
// Admin's messages (latest last).
func flyteTerms(s *Site) []flyteTerm {
	var out []flyteTerm
	for _, pc := range s.Containers() {
		for _, st := range []evidence.ContainerState{pc.Container.LastState, pc.Container.State} {
			if st.State == "terminated" && (st.ExitCode != 0 || st.Reason == "OOMKilled") {
				pc := pc
				out = append(out, flyteTerm{Container: pc.Container.Name, Exit: int(st.ExitCode), Reason: st.Reason,
					Tail: strings.TrimSpace(st.Message), pc: &pc})
			}
		}
	}
	if len(out) == 0 {
		_, msg, _ := s.Error()
		out = flyteTermsIn(msg)
	}
	for i := range out {
		if out[i].Tail == "" {
			out[i].Tail = flyteLogTail(s, out[i].Container)
		}
	}
	return out
}

// flyteLogTail is the end of a container's log, when the Kubernetes collector fetched it (the
// container is named like its pod for python tasks).
func flyteLogTail(s *Site, container string) string {
	for _, l := range s.Kube().Logs {
		if l.Container == container && !l.Previous && (s.Pods[l.Pod] != nil || s.Missing[l.Pod] || l.Pod == container) {
			lines := strings.Split(strings.TrimSpace(l.Text), "\n")
			if len(lines) > 30 {
				lines = lines[len(lines)-30:]
			}
			return strings.Join(lines, "\n")
		}
	}
	return ""
}

// flyteSystemTail: the log tail is flytekit's own SYSTEM error (for example the fast-register
// download, which runs before error.pb handling): not the task's code, and not an interruption.
func flyteSystemTail(terms []flyteTerm) bool {
	for _, t := range terms {
		if flyteSysCodeRe.MatchString(t.Tail) {
			return true
		}
	}
	return false
}

func flyteSignalExit(code int) bool { return code == 137 || code == 143 || code == 247 }

// flyteAppExit is the termination that shows the task's own process failed: a plain non-zero
// exit (not a signal, not OOMKilled) of the primary container, with no node shutdown, eviction
// or deletion in the evidence. Flyte may call it Interrupted (v1.15.1+) or UnknownError.
func flyteAppExit(s *Site) *flyteTerm {
	code, msg, _ := s.Error()
	switch code {
	case "UnknownError", "Interrupted", "Error", "StartError", "ContainerCannotRun", "":
	default:
		return nil
	}
	if flyteIsOOM(code, msg) {
		return nil
	}
	if c, _, _ := flyteShutdownEvidence(s); c != "" {
		return nil
	}
	if t, _ := s.Find(flyteEvictRe); t != "" {
		return nil
	}
	if t, _ := s.Find(execFormatRe); t != "" {
		return nil // image-pull: platform-mismatch
	}
	for _, name := range flytePodNames(s) {
		if p := s.Pods[name]; p.Reason != "" || !p.DeletionTimestamp.IsZero() {
			return nil
		}
	}
	terms := flyteTerms(s)
	if flyteSystemTail(terms) {
		return nil
	}
	for i := len(terms) - 1; i >= 0; i-- {
		t := terms[i]
		if t.pc != nil && !flyteIsPrimary(s, t.pc) {
			continue
		}
		if t.Exit == 0 || flyteSignalExit(t.Exit) || t.Reason == "OOMKilled" {
			return nil
		}
		// With Interrupted, insist on an application log tail: without one the exit is ambiguous.
		if code == "Interrupted" && t.Tail == "" && t.Reason != "StartError" && t.Reason != "ContainerCannotRun" {
			return nil
		}
		return &terms[i]
	}
	return nil
}

// flyteShutdownEvidence finds a node shutdown, preemption, node loss, drain or affinity
// rejection, and returns its cause, the decisive evidence and the node's name.
func flyteShutdownEvidence(s *Site) (cause string, ev []string, node string) {
	for _, name := range flytePodNames(s) {
		p := s.Pods[name]
		for _, c := range p.Conditions {
			if c.Type != "DisruptionTarget" || c.Status != "True" {
				continue
			}
			line := fmt.Sprintf("pod %s: condition DisruptionTarget %s: %s", p.Name, c.Reason, c.Message)
			switch {
			case c.Reason == "PreemptionByScheduler":
				return causePreempted, []string{line}, p.NodeName
			case c.Reason == "DeletionByTaintManager":
				return causeNodeLost, []string{line}, p.NodeName
			case c.Reason == "EvictionByEvictionAPI":
				return causeNodeDrained, []string{line}, p.NodeName
			case c.Reason == "TerminationByKubelet" && !flyteEvictRe.MatchString(c.Message):
				return causeNodeShutdown, []string{line}, p.NodeName
			}
		}
		switch p.Reason {
		case "Shutdown", "Terminated", "NodeShutdown":
			return causeNodeShutdown, []string{fmt.Sprintf("pod %s: phase %s, reason %s: %s", p.Name, p.Phase, p.Reason, p.Message)}, p.NodeName
		case "NodeAffinity":
			return causeNodeAffinity, []string{fmt.Sprintf("pod %s: reason NodeAffinity: %s", p.Name, p.Message)}, p.NodeName
		case "NodeLost":
			return causeNodeLost, []string{fmt.Sprintf("pod %s: reason NodeLost: %s", p.Name, p.Message)}, p.NodeName
		}
	}
	if t, _ := s.Find(flyteShutdownTextRe); t != "" {
		return causeNodeShutdown, []string{firstLine(t)}, ""
	}
	if t, _ := s.Find(flytePreemptTextRe); t != "" {
		return causePreempted, []string{firstLine(t)}, ""
	}
	return "", nil, ""
}

// flyteInterruptible: the pod carries Flyte's interruptible=true label.
func flyteInterruptible(s *Site) bool {
	for _, name := range flytePodNames(s) {
		if s.Pods[name].Labels["interruptible"] == "true" {
			return true
		}
	}
	return false
}

func flytePodNames(s *Site) []string {
	names := make([]string, 0, len(s.Pods))
	for n := range s.Pods {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func flyteLastPod(s *Site) *evidence.Pod {
	names := flytePodNames(s)
	if len(names) == 0 {
		return nil
	}
	return s.Pods[names[len(names)-1]]
}

// flyteOOMContainer is the OOMKilled container of the latest pod, if a pod shows one.
func flyteOOMContainer(s *Site) *PodContainer {
	var found *PodContainer
	for _, pc := range s.Containers() {
		if pc.Container.State.Reason == "OOMKilled" || pc.Container.LastState.Reason == "OOMKilled" {
			pc := pc
			found = &pc
		}
	}
	return found
}

// flytePrimaryContainer is the primary container of the site's latest pod.
func flytePrimaryContainer(s *Site) *PodContainer {
	var found *PodContainer
	for _, pc := range s.Containers() {
		if flyteIsPrimary(s, &pc) {
			pc := pc
			found = &pc
		}
	}
	return found
}

// flyteIsPrimary: the container is the task's primary one (named in the attempt's log context,
// or named like the pod, as Flyte names python tasks' containers, or the pod's only container).
func flyteIsPrimary(s *Site, pc *PodContainer) bool {
	if pc.Init {
		return false
	}
	for _, a := range s.Attempts {
		for _, p := range a.Pods {
			if p.PodName == pc.Pod.Name && p.PrimaryContainer != "" {
				return p.PrimaryContainer == pc.Container.Name
			}
		}
	}
	return pc.Container.Name == pc.Pod.Name || len(pc.Pod.Containers) == 1
}

func flyteContainerLine(pc *PodContainer) string {
	st := pc.Container.State
	if st.State != "terminated" && pc.Container.LastState.State == "terminated" {
		st = pc.Container.LastState
	}
	line := fmt.Sprintf("pod %s container %s: %s", pc.Pod.Name, pc.Container.Name, orUnknown(st.State))
	if st.Reason != "" {
		line += ", reason " + st.Reason
	}
	if st.State == "terminated" {
		line += fmt.Sprintf(", exit code %d", st.ExitCode)
	}
	return line
}

func flyteMemoryShort(pc *PodContainer) string {
	lim, req := pc.Container.Limits["memory"], pc.Container.Requests["memory"]
	switch {
	case lim != "":
		return "memory limit " + lim
	case req != "":
		return "memory request " + req + ", no limit"
	}
	return "no memory request or limit"
}

func flyteMemoryLine(pc *PodContainer) string {
	req, lim := orUnknown(pc.Container.Requests["memory"]), orUnknown(pc.Container.Limits["memory"])
	return fmt.Sprintf("container %s: memory request %s, limit %s", pc.Container.Name, req, lim)
}

// flyteMemoryFixes propose about twice the current limit (or request) when it is known.
func flyteMemoryFixes(s *Site, pc *PodContainer) []Fix {
	if pc == nil {
		return nil // the rule's defaults
	}
	cur := cmp.Or(pc.Container.Limits["memory"], pc.Container.Requests["memory"])
	if cur == "" {
		return nil
	}
	next := flyteSuggestMem(cur)
	fixes := []Fix{{
		Action:   fmt.Sprintf("raise the task's memory from %s to about %s (request and limit), and re-register", cur, next),
		Commands: []string{fmt.Sprintf(`@task(requests=Resources(mem=%q), limits=Resources(mem=%q))`, next, next)},
	}, {Action: "or lower the task's peak memory (process the data in chunks)"}}
	if !s.Missing[pc.Pod.Name] {
		fixes = append(fixes, Fix{Action: "look at the container's state and the node's memory", Commands: []string{flyteDescribe(s, pc.Pod)}})
	}
	return fixes
}

// flyteSuggestMem doubles a quantity ("2Gi" → "4Gi", "1536Mi" → "3Gi", "5242880Ki" → "10Gi").
func flyteSuggestMem(q string) string {
	b, ok := parseQuantity(q)
	if !ok || b <= 0 {
		return q
	}
	return flyteFormatBytes(2 * b)
}

func flyteHumanMem(q string) string {
	b, ok := parseQuantity(q)
	if !ok {
		return q
	}
	gi := b / (1 << 30)
	if gi >= 1 {
		return strconv.FormatFloat(math.Round(gi*10)/10, 'f', -1, 64) + "Gi"
	}
	return strconv.FormatFloat(math.Round(b/(1<<20)), 'f', -1, 64) + "Mi"
}

// flyteFormatBytes rounds up to a whole Gi (or 256Mi steps below 1Gi).
func flyteFormatBytes(b float64) string {
	if b >= 1<<30 {
		return fmt.Sprintf("%dGi", int(math.Ceil(b/(1<<30))))
	}
	mi := int(math.Ceil(b/(1<<20)/256)) * 256
	if mi >= 1024 {
		return "1Gi"
	}
	return fmt.Sprintf("%dMi", mi)
}

// flyteExceptionLine is the last "Type: message" line of a traceback.
func flyteExceptionLine(msg string) string {
	ms := flyteExcLineRe.FindAllStringSubmatch(msg, -1)
	if len(ms) == 0 {
		return ""
	}
	m := ms[len(ms)-1]
	if m[2] = strings.TrimSuffix(strings.TrimSpace(m[2]), ":"); m[2] == "" {
		return m[1]
	}
	return m[1] + ": " + m[2]
}

// flyteUserFrame is the innermost frame of the traceback outside flytekit and site-packages:
// "/root/workflows/fanout.py:31 in parse_shard".
func flyteUserFrame(msg string) string {
	ms := flyteFrameRe.FindAllStringSubmatch(msg, -1)
	for i := len(ms) - 1; i >= 0; i-- {
		if f := ms[i][1]; !strings.Contains(f, "site-packages") && !strings.Contains(f, "/flytekit/") {
			return fmt.Sprintf("%s:%s in %s", f, ms[i][2], ms[i][3])
		}
	}
	return ""
}

func flyteLineMatching(msg string, re *regexp.Regexp) string {
	for _, l := range strings.Split(msg, "\n") {
		if re.MatchString(l) {
			return strings.TrimSpace(l)
		}
	}
	return firstLine(msg)
}

// flyteTailLine is the telling line of a log tail: the last exception or error line, else the
// last line.
func flyteTailLine(tail string) string {
	if l := flyteExceptionLine(tail); l != "" {
		return l
	}
	lines := strings.Split(tail, "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		if l := strings.TrimSpace(lines[i]); flyteErrorLineRe.MatchString(l) {
			return l
		}
	}
	return flyteLastLine(tail)
}

func flyteLastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		if l := strings.TrimSpace(lines[i]); l != "" {
			return strings.TrimSuffix(l, "\r")
		}
	}
	return ""
}

// flyteClip cuts s to at most n bytes, at a character boundary, marking the cut with "...".
func flyteClip(s string, n int) string {
	s = strings.TrimSpace(s)
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "..."
}

func flyteModuleFixes(module string) []Fix {
	top, _, _ := strings.Cut(module, ".")
	return []Fix{
		{Action: fmt.Sprintf("add the package that provides module %q to the task's image, then re-register", top),
			Commands: []string{fmt.Sprintf(`ImageSpec(packages=[%q])`, top)}},
		{Action: "check that the task runs in the image you built (container_image= of the task, --image of pyflyte register)"},
	}
}

func flyteNamespace(s *Site, p *evidence.Pod) string {
	if p != nil && p.Namespace != "" {
		return p.Namespace
	}
	return cmp.Or(s.Execution.Namespace, s.Kube().Namespace, s.Execution.ID.Project+"-"+s.Execution.ID.Domain)
}

func flyteDescribe(s *Site, p *evidence.Pod) string {
	return fmt.Sprintf("kubectl describe pod -n %s %s", flyteNamespace(s, p), p.Name)
}

// flyteLogFix points at the task's log: kubectl logs when the pod exists, else Flyte's log link.
func flyteLogFix(s *Site) *Fix {
	if p := flyteLastPod(s); p != nil {
		return &Fix{Action: "read the task's log", Commands: []string{fmt.Sprintf("kubectl logs -n %s %s", flyteNamespace(s, p), p.Name)}}
	}
	for i := len(s.Attempts) - 1; i >= 0; i-- {
		for _, l := range s.Attempts[i].Logs {
			if l.URI != "" {
				return &Fix{Action: fmt.Sprintf("read the task's log (%s): %s", cmp.Or(l.Name, "log"), l.URI)}
			}
		}
	}
	return nil
}

func flyteImage(s *Site, t *flyteTerm) string {
	if t.pc != nil {
		return t.pc.Container.Image
	}
	for _, pc := range s.Containers() {
		if pc.Container.Name == t.Container {
			return pc.Container.Image
		}
	}
	return ""
}

func flyteRelaunch(s *Site) string {
	id := s.Execution.ID
	return fmt.Sprintf("flytectl create execution -p %s -d %s --relaunch %s", id.Project, id.Domain, id.Name)
}

func flyteS3URI(msg string) string { return flyteS3Re.FindString(msg) }

// flyteVersionNote explains Interrupted/UnknownError for a pod that failed without a pod-level
// reason, by the Admin version when it is known.
func flyteVersionNote(s *Site, code string) string {
	if code != "Interrupted" && code != "UnknownError" {
		return ""
	}
	v := ""
	if s.Snapshot.Admin != nil {
		v = s.Snapshot.Admin.Version
	}
	after, known := flyteVersionAtLeast(v, 1, 15, 1)
	switch {
	case !known && code == "Interrupted":
		return "; since Flyte v1.15.1 a pod that fails without a pod-level reason is reported as Interrupted (SYSTEM, system retry budget); up to v1.14 it was UnknownError (USER)"
	case !known:
		return "; up to Flyte v1.14 a pod that fails without a pod-level reason is UnknownError (USER); since v1.15.1 it is Interrupted (SYSTEM)"
	case after:
		return fmt.Sprintf("; Flyte %s (v1.15.1 or later) reports a pod that fails without a pod-level reason as Interrupted, kind SYSTEM, retried on the system retry budget (max-node-retries-system-failures)", v)
	}
	return fmt.Sprintf("; Flyte %s (before v1.15.1) reports a pod that fails without a pod-level reason as UnknownError, kind USER, retried on the task's retries=", v)
}

func flyteVersionAtLeast(v string, major, minor, patch int) (atLeast, known bool) {
	m := flyteVersionRe.FindStringSubmatch(v)
	if m == nil {
		return false, false
	}
	got := [3]int{}
	for i := range got {
		got[i], _ = strconv.Atoi(m[i+1])
	}
	want := [3]int{major, minor, patch}
	for i := range got {
		if got[i] != want[i] {
			return got[i] > want[i], true
		}
	}
	return true, true
}

func flytePyTimedelta(d time.Duration) string {
	switch {
	case d%time.Hour == 0:
		return fmt.Sprintf("timedelta(hours=%d)", int(d/time.Hour))
	case d%time.Minute == 0:
		return fmt.Sprintf("timedelta(minutes=%d)", int(d/time.Minute))
	}
	return fmt.Sprintf("timedelta(seconds=%d)", int(math.Ceil(d.Seconds())))
}

// ---------------------------------------------------------------------------------------------
// array nodes

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
func flyteArraySubs(s *Site) ([]flyteSub, bool) {
	type subs struct {
		list []flyteSub
		ok   bool
	}
	v := siteOnce(s, "array-subtasks", func() subs {
		l, ok := flyteReadArraySubs(s)
		return subs{l, ok}
	})
	return v.list, v.ok
}

// flyteMaxSubtasks bounds the subtask indices read from one summary, all ranges together: a
// line such as "[0-99999][0-99999]...: msg" must not expand to billions.
const flyteMaxSubtasks = 100000

func flyteReadArraySubs(s *Site) ([]flyteSub, bool) {
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
		sub.Code, sub.Text = Unwrap(sub.Code, text)
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
	case flyteIsOOM(code, msg) || flytePyMemoryError(code, msg):
		return "oom"
	case flyteMemEvictRe.MatchString(msg):
		return "memory-eviction"
	case flyteGPUOOMRe.MatchString(msg):
		return "gpu-oom"
	case code == "TimeoutExpired" || flyteExecTimeoutRe.MatchString(msg) || flyteActiveTimeoutRe.MatchString(msg):
		return "timeout"
	case code == "ResourceDeletedExternally" || code == "UnexpectedObjectDeletion" || flyteNotFoundRe.MatchString(msg) || flyteBackgroundRe.MatchString(msg):
		return "deleted"
	case flyteShutdownTextRe.MatchString(msg) || flytePreemptTextRe.MatchString(msg):
		return "shutdown"
	case code == "Evicted" || flyteEvictRe.MatchString(msg):
		return "evicted"
	case strings.HasPrefix(code, "SYSTEM") || flyteSysCodeRe.MatchString(msg):
		return "other"
	case flyteUserCodeRe.MatchString(code) || (strings.Contains(msg, "Traceback (most recent call last)") && flyteExceptionLine(msg) != ""):
		return "user-exception"
	}
	if ts := flyteTermsIn(msg); len(ts) > 0 {
		t := ts[len(ts)-1]
		if t.Exit != 0 && !flyteSignalExit(t.Exit) {
			return "nonzero-exit"
		}
		if flyteSignalExit(t.Exit) {
			return "interrupted"
		}
	}
	if code == "Interrupted" {
		return "interrupted"
	}
	return "other"
}

var flyteClassCategory = map[string]string{
	"oom": CatOutOfMemory, "memory-eviction": CatOutOfMemory, "gpu-oom": CatOutOfMemory,
	"user-exception": CatUserCode, "nonzero-exit": CatUserCode, "timeout": CatTimeout,
	"deleted": CatInterrupted, "shutdown": CatInterrupted, "evicted": CatInterrupted, "interrupted": CatInterrupted,
}

// flyteArrayHit reports the subtasks of the given classes. The category with the most failed
// subtasks is the root cause (error); a category with fewer is reported as a warning, so that
// the array node's root cause is its dominant failure whatever the table order.
func flyteArrayHit(s *Site, subs []flyteSub, category string, classes []string, what string) *Hit {
	counts := map[string]int{}
	var mine []flyteSub
	failed := 0
	for _, sub := range subs {
		counts[flyteClassCategory[sub.Class]] += len(sub.Indices)
		failed += len(sub.Indices)
		if contains(classes, sub.Class) {
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
	h := &Hit{
		Summary: fmt.Sprintf("%s: %s %s %s (%d%s)", flyteWhere(s), noun, flyteClip(strings.Join(idx, ", "), 80), what, n, of),
		Subject: s.Subject(),
	}
	if first.Class != "oom" {
		h.Summary += ": " + flyteClip(flyteDecisive(first.Code, first.Text), 160)
	}
	h.Subject.Pod = ""
	var detail []string
	for _, sub := range mine {
		line := fmt.Sprintf("subtasks %s: %s", sub.Ranges, flyteClip(flyteDecisive(sub.Code, sub.Text), 300))
		detail = append(detail, line)
		h.Evidence = append(h.Evidence, "array node error "+sub.Ranges+": "+flyteClip(sub.Text, 500))
	}
	var others []string
	for _, sub := range subs {
		if !contains(classes, sub.Class) {
			others = append(others, fmt.Sprintf("%s %s", sub.Ranges, flyteClip(flyteDecisive(sub.Code, sub.Text), 120)))
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
	for _, name := range flytePodNames(s) {
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
		w := Warning
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
func flyteDecisive(code, msg string) string {
	if l := flyteExceptionLine(msg); l != "" && strings.Contains(msg, "Trace") {
		return l
	}
	if flyteIsOOM(code, msg) {
		return flyteTermSummary(msg)
	}
	if ts := flyteTermsIn(msg); len(ts) > 0 {
		return ts[len(ts)-1].line()
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
