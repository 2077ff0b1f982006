package system

import (
	"fmt"

	"github.com/flytedoctor/flytedoctor/rules/internal/pattern"
	"github.com/flytedoctor/flytedoctor/rules/internal/read"
	"github.com/flytedoctor/flytedoctor/rules/rule"
)

// fires-inputs-too-large-5697 quotes https://github.com/flyteorg/flyte/pull/5697 verbatim;
// quiet-child-failed is a child execution that started and failed.
//
// Propeller's launch-plan node: "[UserError] failed to launch workflow, caused by: rpc error: ...".
var launchRe = pattern.MustCompile(`failed to launch workflow(?:, caused by: (.+))?`)

const causeLaunchTooLarge = "launch-inputs-too-large"

const causeLaunchRejected = "launch-rejected"

// ChildLaunchFailed is FD8009: flyteadmin refused to start a child launch plan.
func ChildLaunchFailed() *rule.Rule {
	return &rule.Rule{
		ID: "FD8009", Name: "child-launch-failed", Title: "Flyte Admin refused to start a child launch plan",
		Category: rule.CatSystem, Causes: []string{causeLaunchTooLarge, causeLaunchRejected}, Severity: rule.Error, Requires: []rule.Evidence{rule.Admin},
		Supersedes: []string{"FD8003", "FD8901"}, // says why the launch failed
		Doc: `A launch-plan node asks flyteadmin to create the child execution, passing the inputs inline. When
Admin refuses, the node fails with "[UserError] failed to launch workflow, caused by: <gRPC error>".
The usual refusal is size: "rpc error: code = ResourceExhausted desc = grpc: received message larger
than max (26624663 vs. 4194304)" when an upstream output (a large list from a map task) is passed
to the launch plan (flyteorg/flyte#5697). Other refusals name a launch plan that does not exist in
that project and domain, or inputs that do not match its interface.`,
		Fixes: []rule.Fix{{Action: "read Admin's answer in the error and fix the launch plan reference or its inputs"}},
		Run: func(pass *rule.Pass) {
			s := pass.Site
			if s.Stuck {
				return
			}
			code, msg, _ := s.Error()
			m := launchRe.FindStringSubmatch(msg)
			if m == nil {
				return
			}
			h := rule.Hit{Cause: causeLaunchRejected, Evidence: []string{code + ": " + read.Clip(read.FirstLine(msg), 600)}}
			if g := gRPCSizeRe.FindStringSubmatch(msg); g != nil {
				h.Cause = causeLaunchTooLarge
				h.Summary = fmt.Sprintf("%s could not start its child launch plan: its inputs (%s bytes) exceed flyteadmin's gRPC limit of %s bytes", read.Where(s), g[1], g[2])
				h.Detail = "Propeller sends a child launch plan's inputs inline in the CreateExecution call, so a large upstream output (a map task's list, a big dataclass) passed to it is larger than flyteadmin accepts"
				h.Fixes = []rule.Fix{
					{Action: "let propeller offload large literals instead of sending them inline (Flyte 1.14 or later)", Commands: []string{"propeller: literal-offloading-config: {enabled: true}"}},
					{Action: "or pass the data as a FlyteFile / FlyteDirectory (a reference) instead of a value"},
					{Action: "or raise flyteadmin's limit", Commands: []string{"server: grpc: maxMessageSizeBytes: 33554432"}},
				}
			} else {
				why := read.OrUnknown(m[1])
				h.Summary = fmt.Sprintf("%s could not start its child launch plan: %s", read.Where(s), read.Clip(why, 200))
				h.Detail = "flyteadmin refused the child execution; the answer names why (a launch plan missing in this project and domain, inputs that do not match its interface, a permission)"
				h.Fixes = []rule.Fix{{Action: "check the launch plan the node references exists, at that version, in the execution's project and domain, and that the inputs match",
					Commands: []string{fmt.Sprintf("flytectl get launchplan -p %s -d %s", s.Execution.ID.Project, s.Execution.ID.Domain)}}}
			}
			pass.Report(h)
		},
	}
}
