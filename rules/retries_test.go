package rules_test

import (
	"testing"
	"time"

	"github.com/flytedoctor/flytedoctor/collectors/evidence"
	"github.com/flytedoctor/flytedoctor/rules"
	"github.com/flytedoctor/flytedoctor/rules/rule"
)

// retriedRun: n0 was OOMKilled on attempt 0 and succeeded on attempt 1; the map task n1 lost
// subtask 5 to an OOM on its first try and succeeded on the retry; n2 failed, or succeeded,
// as the test says.
func retriedRun(n2Failed bool) *evidence.Snapshot {
	t0 := time.Date(2026, 9, 5, 7, 0, 0, 0, time.UTC)
	id := evidence.ExecutionID{Project: "flytesnacks", Domain: "development", Name: "retried1"}
	oom := func(pod string) *evidence.ExecutionError {
		return &evidence.ExecutionError{Code: "OOMKilled", Kind: "USER",
			Message: "Pod failed. No message received from kubernetes.\r\n[" + pod + "] terminated with exit code (137). Reason [OOMKilled]. Message: \n."}
	}
	ex := &evidence.Execution{ID: id, Phase: "SUCCEEDED", Nodes: []*evidence.Node{
		{ID: "n0", Phase: "SUCCEEDED", Kind: evidence.KindTask, Attempts: []*evidence.TaskAttempt{
			{RetryAttempt: 0, Phase: "FAILED", PodName: "retried1-n0-0", Error: oom("retried1-n0-0"), CreatedAt: t0, UpdatedAt: t0.Add(time.Minute)},
			{RetryAttempt: 1, Phase: "SUCCEEDED", PodName: "retried1-n0-1", CreatedAt: t0.Add(70 * time.Second), UpdatedAt: t0.Add(3 * time.Minute)},
		}},
		{ID: "n1", Phase: "SUCCEEDED", Kind: evidence.KindArray, IsArray: true, Attempts: []*evidence.TaskAttempt{
			{RetryAttempt: 0, Phase: "SUCCEEDED", ExternalResources: []evidence.ExternalResource{
				{ExternalID: "retried1-n1-0-5", Index: 5, Phase: "FAILED"},
				{ExternalID: "retried1-n1-0-5-1", Index: 5, RetryAttempt: 1, Phase: "SUCCEEDED"},
			}},
		}},
	}}
	kube := &evidence.Kube{Namespace: "flytesnacks-development", Pods: []evidence.Pod{{Name: "retried1-n1-0-5", Phase: "Failed",
		Containers: []evidence.Container{{Name: "retried1-n1-0-5", State: evidence.ContainerState{State: "terminated", Reason: "OOMKilled", ExitCode: 137}}}}}}
	if n2Failed {
		ex.Phase = "FAILED"
		n1 := ex.Nodes[1]
		n1.Phase = "FAILED"
		n1.Error = &evidence.ExecutionError{Code: "USER:ValueError", Kind: "USER", Message: "Trace:\n\n    Traceback (most recent call last):\n      File \"/root/wf.py\", line 3, in f\n        raise ValueError(x)\n\nMessage:\n\n    ValueError: column ts is missing"}
		n1.Attempts[0].Phase = "FAILED"
		n1.Attempts[0].Error = n1.Error
		n1.Attempts[0].ExternalResources = append(n1.Attempts[0].ExternalResources,
			evidence.ExternalResource{ExternalID: "retried1-n1-0-7", Index: 7, Phase: "FAILED"})
	}
	return &evidence.Snapshot{CollectedAt: t0.Add(time.Hour), Execution: ex, Kube: kube}
}

// A succeeded execution has no error finding, however many retries it took.
func TestSucceededAfterRetriesHasNoError(t *testing.T) {
	res := rules.Run(retriedRun(false), rules.Table(), rules.Config{})
	for _, f := range res.Findings {
		if f.Severity == rule.Error || f.RootCause {
			t.Errorf("a succeeded execution got %s %s: %s", f.RuleID, f.Severity, f.Summary)
		}
	}
}

// A failure that a later attempt recovered is context, never the root cause: the map task
// failed because of its subtask 7's ValueError, not subtask 5's OOM, which a retry made good.
func TestRecoveredFailureIsNotTheCause(t *testing.T) {
	res := rules.Run(retriedRun(true), rules.Table(), rules.Config{})
	var roots []string
	for _, f := range res.Findings {
		if f.RootCause {
			roots = append(roots, f.RuleID+" "+f.Category)
		}
		if f.Category == rule.CatOutOfMemory {
			t.Errorf("the recovered OOM is a finding: %s %s", f.RuleID, f.Summary)
		}
	}
	if len(roots) != 1 || roots[0] != "FD5101 "+rule.CatUserCode {
		t.Errorf("root causes %v, want the ValueError", roots)
	}
}
