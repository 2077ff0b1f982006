package system

import (
	"fmt"
	"strings"

	"github.com/flytedoctor/flytedoctor/rules/internal/pattern"
	"github.com/flytedoctor/flytedoctor/rules/internal/read"
	"github.com/flytedoctor/flytedoctor/rules/rule"
)

// Cases quote Flyte users verbatim: fires-tensorflow-plugin-rejects-4515,
// https://github.com/flyteorg/flyte/issues/4515, and fires-k8s-array-plugin-panic-2739,
// https://github.com/flyteorg/flyte/issues/2739; quiet-event-recording-failed is FD8003's.
//
// Propeller's wrap of a plugin's error: "failed to execute handle for plugin [tensorflow]: <why>".
var pluginRe = pattern.MustCompile(`failed to execute handle for plugin \[([^\]]+)\]: (.+)`)

var panicRe = pattern.MustCompile(`panic when executing a plugin \[([^\]]+)\]`)

// storageWhyRe: a plugin's error that is propeller reading or writing the task's data, which
// the storage rules (or FD8001) explain.
var storageWhyRe = pattern.MustCompile(`failed to read data from dataDir|Failed to write data|failed to read error file|path:(?:s3|gs|abfs)://|outputs not found at`)

var failedAtRe = pattern.MustCompile(`failed at Node\[([^\]]+)\]`)

// where names the place, and for a workflow propeller failed as a whole, the node the last
// status message names.
func where(s *rule.Site, msg string) string {
	if m := failedAtRe.FindStringSubmatch(msg); s.Node == nil && m != nil {
		return fmt.Sprintf("node %s of execution %s", m[1], s.Execution.ID.Name)
	}
	return read.Where(s)
}

const causePluginRejected = "plugin-rejected-task"

const causePluginPanic = "plugin-panic"

// PluginFailed is FD8007: a Flyte backend plugin could not run the task.
func PluginFailed() *rule.Rule {
	return &rule.Rule{
		ID: "FD8007", Name: "plugin-failed", Title: "A Flyte backend plugin could not run the task",
		Category: rule.CatSystem, Causes: []string{causePluginRejected, causePluginPanic}, Severity: rule.Error, Requires: []rule.Evidence{rule.Admin},
		Supersedes: []string{"FD8003", "FD8901"}, // names the plugin and its reason
		Doc: `Propeller handed the task to a backend plugin (tensorflow, pytorch, mpi, spark, ray, k8s-array, a
connector) and the plugin returned an error instead of creating its resource: "failed during
plugin execution, caused by: failed to execute handle for plugin [tensorflow]: number of worker
should be more then 0" (flyteorg/flyte#4515). Propeller treats it as a system error and retries
the workflow round until max-workflow-retries (10 by default) runs out, so a task_config the plugin
rejects fails only after those retries, as "max number of system retry attempts [11/10]
exhausted". "panic when executing a plugin [k8s-array]" is a bug in Flyte itself
(flyteorg/flyte#2739): the stack trace in propeller's log belongs in a Flyte issue.`,
		Fixes: []rule.Fix{{Action: "fix what the plugin names in the task's task_config, or report the plugin's panic to Flyte"}},
		Run: func(pass *rule.Pass) {
			s := pass.Site
			code, msg, _ := s.Error()
			m := pluginRe.FindStringSubmatch(msg)
			if m == nil {
				return
			}
			plugin, why := m[1], strings.TrimSpace(read.FirstLine(m[2]))
			if storageWhyRe.MatchString(why) {
				return
			}
			h := rule.Hit{Cause: causePluginRejected, Evidence: []string{code + ": " + read.Clip(read.FirstLine(msg), 600)}}
			retries := ""
			if r := sysRetriesRe.FindStringSubmatch(msg); r != nil {
				retries = fmt.Sprintf(", after %s/%s system retries", r[1], r[2])
			}
			if p := panicRe.FindStringSubmatch(msg); p != nil {
				h.Cause = causePluginPanic
				h.Summary = fmt.Sprintf("Flyte's %s plugin panicked while handling %s%s: a bug in Flyte", p[1], where(s, msg), retries)
				h.Detail = "Propeller caught a panic in the plugin and retried the workflow round until its system retries ran out; the stack trace is in Admin's error and in propeller's log"
				h.Fixes = []rule.Fix{
					{Action: "find the stack trace in propeller's log", Commands: []string{"kubectl logs -n flyte deploy/flytepropeller | grep -A40 'panic when executing a plugin'"}},
					{Action: fmt.Sprintf("upgrade flytepropeller or report the trace at https://github.com/flyteorg/flyte/issues; until then, avoid what the %s plugin chokes on (for an array node, its size or concurrency)", p[1])},
				}
				pass.Report(h)
				return
			}
			h.Summary = fmt.Sprintf("Flyte's %s plugin refused to run %s: %s%s", plugin, where(s, msg), read.Clip(why, 200), retries)
			h.Detail = fmt.Sprintf("The %s plugin rejected the task before creating anything. Propeller treats a plugin error as a system failure and retries the workflow round, so a rejection that depends only on the task's definition fails every time, after the system retries", plugin)
			h.Fixes = []rule.Fix{
				{Action: fmt.Sprintf("fix what the %s plugin names in the task's definition (its task_config: replicas, workers, resources), re-register and relaunch", plugin)},
				{Action: "check that the plugin is enabled and configured in propeller (tasks.task-plugins.enabled-plugins and its own section)", Commands: []string{"kubectl logs -n flyte deploy/flytepropeller | grep " + s.Execution.ID.Name}},
			}
			pass.Report(h)
		},
	}
}
