package report

import (
	"time"

	"github.com/flytedoctor/flytedoctor/collectors/evidence"
	"github.com/flytedoctor/flytedoctor/rules"
)

// Texts that come from the execution (its messages, a user's code) and try every way to
// break out of where a format puts them.
const (
	hostileSummary = "pipe | and `tick` and ```fence``` <script>alert(1)</script> *bold* _it_ [link](http://evil.example) $x$ &amp; ~~del~~\nsecond line # not a heading"
	hostileDetail  = "line one | x\n```\n</details>\n<b>bold</b> ]]> end"
	hostileError   = "error with ``` and </details> and <summary>x</summary> ]]> and \x1b[31mred\x1b[0m and \x00 nul and \xff bad"
)

var hostileEvidence = []string{"- starts like a list", "1. starts like an ordered list", "# starts like a heading", "> a quote", "<img src=x onerror=alert(1)>", "= underline"}

// hostileReport is a failed execution whose messages are all hostile.
func hostileReport() *Report {
	t0 := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	ex := &evidence.Execution{ID: evidence.ExecutionID{Project: "p", Domain: "d", Name: "hostile"}, Phase: "FAILED",
		LaunchPlan: evidence.Identifier{Name: "wf|lp<x>", Version: "v1"}, StartedAt: t0, Duration: evidence.Duration(90 * time.Second),
		Error: &evidence.ExecutionError{Kind: "USER", Code: "User|Error", Message: hostileError},
		Nodes: []*evidence.Node{{ID: "n0", Phase: "FAILED", Kind: evidence.KindTask, Duration: evidence.Duration(80 * time.Second),
			Error: &evidence.ExecutionError{Kind: "USER", Code: "User|Error", Message: hostileError},
			Attempts: []*evidence.TaskAttempt{{Phase: "FAILED", PodName: "hostile-n0-0", Duration: evidence.Duration(80 * time.Second),
				Error: &evidence.ExecutionError{Kind: "USER", Code: "User|Error", Message: hostileError}}}}},
	}
	snap := &evidence.Snapshot{SchemaVersion: evidence.SchemaVersion, CollectedAt: t0, Tool: evidence.Tool{Name: "flytedoctor", Version: "test"},
		Target: ex.ID, Execution: ex,
		Collection: []evidence.CollectorRecord{{Collector: "flyteadmin", Status: evidence.StatusPartial, Calls: map[string]int{"GetExecution": 1},
			Errors: []evidence.CollectionError{{Method: "ListTaskExecutions", Target: "n0", Code: "Internal", Message: hostileError}}}}}
	res := &rules.Result{Findings: []rules.Finding{{
		RuleID: "FD5101", Category: "user-code", Cause: "exception", Severity: rules.Error, RootCause: true,
		Summary: hostileSummary, Detail: hostileDetail, Evidence: hostileEvidence,
		Subject: rules.Subject{Execution: ex.ID.String(), Node: "n0", Path: []string{"n0"}, Attempts: []uint32{0}, Pod: "hostile-n0-0"},
		Fixes:   []rules.Fix{{Action: "run `rm -rf /` | never *now*", Commands: []string{"echo '```' | cat", "printf '<b>|</b>'"}}},
		DocsURL: "https://github.com/flytedoctor/flytedoctor/blob/main/docs/rules.md#fd5101",
	}, {
		RuleID: "FD9002", Category: "collection", Cause: "call-failed", Severity: rules.Warning,
		Summary: "a | warning with <tags> and\nlines",
	}}}
	return New(snap, res)
}
