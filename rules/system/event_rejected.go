package system

import (
	"fmt"

	"github.com/flytedoctor/flytedoctor/rules/internal/pattern"
	"github.com/flytedoctor/flytedoctor/rules/internal/read"
	"github.com/flytedoctor/flytedoctor/rules/rule"
)

// Propeller fails a node at once, code NodeFailed, when flyteadmin refuses its event as too
// large or invalid: "TooLarge: Event message exceeds maximum gRPC size limit, caused by [...]".
// fires-dynamic-closure-too-large-377 quotes https://github.com/flyteorg/flytepropeller/pull/377
// (flyteorg/flyte#1613) verbatim; the scenario event-too-large, the same refusal that used up
// the system retries, is FD8003's.
var eventRejectedRe = pattern.MustCompile(`(TooLarge|InvalidArgument): (Event message exceeds maximum gRPC size limit|Invalid fields for event message), caused by \[(.*)\]`)

const causeEventTooLarge = "event-too-large"

const causeEventInvalid = "event-invalid"

// EventRejected is FD8010: flyteadmin refused the node's event, and propeller failed the node.
func EventRejected() *rule.Rule {
	return &rule.Rule{
		ID: "FD8010", Name: "event-rejected", Title: "Flyte Admin refused the node's event, and propeller failed the node",
		Category: rule.CatSystem, Causes: []string{causeEventTooLarge, causeEventInvalid}, Severity: rule.Error, Requires: []rule.Evidence{rule.Admin},
		Supersedes: []string{"FD5901", "FD8901"}, // Flyte calls it USER; it is the size of what propeller reports
		Doc: `Propeller reports every node's progress to flyteadmin as an event. For a dynamic node that event
carries the compiled workflow of its children, and a large fan-out makes it larger than flyteadmin's
gRPC limit (4 MiB by default). Propeller then fails the node at once, code NodeFailed, kind USER:
"TooLarge: Event message exceeds maximum gRPC size limit, caused by [rpc error: code =
ResourceExhausted desc = grpc: received message larger than max (5873232 vs. 4194304)]"
(flyteorg/flytepropeller#377). "InvalidArgument: Invalid fields for event message" is the same path
for an event flyteadmin rejects as invalid, such as a dynamic workflow beyond its limits. The task's
code succeeded; what failed is the size or shape of what it produced.`,
		Fixes: []rule.Fix{{Action: "make the dynamic node's workflow smaller: a map task instead of many task nodes, or nested launch plans"}},
		Run: func(pass *rule.Pass) {
			s := pass.Site
			if s.Stuck {
				return
			}
			code, msg, _ := s.Error()
			m := eventRejectedRe.FindStringSubmatch(msg)
			if m == nil {
				return
			}
			h := rule.Hit{Cause: causeEventInvalid, Evidence: []string{read.OrUnknown(code) + ": " + read.Clip(msg, 600)}}
			dynamic := s.Node != nil && s.Node.IsDynamic
			if m[1] == "TooLarge" {
				h.Cause = causeEventTooLarge
				size := ""
				if g := gRPCSizeRe.FindStringSubmatch(m[3]); g != nil {
					size = fmt.Sprintf(" (%s bytes, the limit is %s)", g[1], g[2])
				}
				h.Summary = fmt.Sprintf("flyteadmin refused the event of %s as too large%s, so propeller failed the node", read.Where(s), size)
				h.Detail = "Propeller could not report the node's progress: its event is larger than flyteadmin accepts"
				if dynamic {
					h.Detail += ". For a dynamic node the event carries the compiled workflow of all its children, so the fan-out decides its size"
				}
				h.Fixes = []rule.Fix{
					{Action: "shrink what the node reports: for a dynamic node, run the fan-out as a map task (one node, however many items) or split it into launch plans of a few hundred children each"},
					{Action: "or raise the limit on both sides: flyteadmin's server.grpc.maxMessageSizeBytes and propeller's admin client max message size", Commands: []string{"server: grpc: maxMessageSizeBytes: 16777216"}},
				}
			} else {
				h.Summary = fmt.Sprintf("flyteadmin refused the event of %s as invalid, so propeller failed the node: %s", read.Where(s), read.Clip(m[3], 200))
				h.Detail = "flyteadmin rejected the node's event; the reason in brackets names the field, for a dynamic node often a limit of the workflow it compiled"
				h.Fixes = []rule.Fix{{Action: "fix what flyteadmin names (a dynamic workflow within its limits), re-register and relaunch"}}
			}
			pass.Report(h)
		},
	}
}
