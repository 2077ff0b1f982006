package rules_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/flytedoctor/flytedoctor/collectors/evidence"
	"github.com/flytedoctor/flytedoctor/rules"
)

// fanoutSnapshot is a dynamic node n0 with 40 children: the listed ones failed with the error
// their index maps to, the others succeeded.
func fanoutSnapshot(failed map[int]func(pod string) *evidence.ExecutionError) *evidence.Snapshot {
	t0 := time.Date(2026, 8, 14, 6, 30, 0, 0, time.UTC)
	ex := &evidence.Execution{ID: evidence.ExecutionID{Project: "flytesnacks", Domain: "development", Name: "grp1"}, Phase: "FAILED"}
	parent := &evidence.Node{ID: "n0", Phase: "FAILED", Kind: evidence.KindDynamic, IsParent: true, IsDynamic: true, ChildrenCollected: true}
	for i := range 40 {
		c := &evidence.Node{ID: fmt.Sprintf("n0-0-dn%d", i), SpecNodeID: fmt.Sprintf("dn%d", i), Phase: "SUCCEEDED", Kind: evidence.KindTask}
		if mk, ok := failed[i]; ok {
			pod := "grp1-" + c.ID + "-0"
			c.Phase = "FAILED"
			c.Error = mk(pod)
			c.Attempts = []*evidence.TaskAttempt{{Phase: "FAILED", PodName: pod, Error: mk(pod),
				CreatedAt: t0.Add(time.Duration(i) * time.Second), StartedAt: t0.Add(time.Duration(i)*time.Second + 2*time.Second),
				UpdatedAt: t0.Add(time.Duration(i)*time.Second + 40*time.Second)}}
		}
		parent.Children = append(parent.Children, c)
	}
	ex.Nodes = []*evidence.Node{parent}
	return &evidence.Snapshot{CollectedAt: t0.Add(time.Hour), Execution: ex}
}

func oom(pod string) *evidence.ExecutionError {
	return &evidence.ExecutionError{Code: "OOMKilled", Kind: "USER",
		Message: "Pod failed. No message received from kubernetes.\r\n[" + pod + "] terminated with exit code (137). Reason [OOMKilled]. Message: \n."}
}

func valueError(msg string) func(string) *evidence.ExecutionError {
	return func(string) *evidence.ExecutionError {
		return &evidence.ExecutionError{Code: "USER:ValueError", Kind: "USER", Message: "Trace:\n\n    Traceback (most recent call last):\n      File \"/root/wf.py\", line 9, in shard\n        raise ValueError(x)\n\nMessage:\n\n    ValueError: " + msg}
	}
}

// Three children OOMKilled the same way are one root cause at three places, with the fix once;
// a child that raised ValueError is its own. Every place keeps its subject and timeline.
func TestOneFindingForOneCauseAtManyPlaces(t *testing.T) {
	snap := fanoutSnapshot(map[int]func(string) *evidence.ExecutionError{3: oom, 17: oom, 29: oom, 8: valueError("bad shard")})
	res := rules.Run(snap, rules.Table(), rules.Config{})
	var roots []rules.Finding
	for _, f := range res.Findings {
		if f.RootCause {
			roots = append(roots, f)
		}
	}
	if len(roots) != 2 {
		t.Fatalf("root causes = %d, want 2 (one per cause): %+v", len(roots), roots)
	}
	var grouped, single rules.Finding
	for _, f := range roots {
		if f.RuleID == "FD5001" {
			grouped = f
		} else {
			single = f
		}
	}
	var labels []string
	for _, p := range grouped.Places {
		labels = append(labels, p.Label+"="+p.Node)
	}
	if want := []string{"dn3=n0-0-dn3", "dn17=n0-0-dn17", "dn29=n0-0-dn29"}; !slices.Equal(labels, want) {
		t.Errorf("places = %v, want %v", labels, want)
	}
	if grouped.PlacesSummary != "3 of 40 children of n0: dn3, dn17, dn29" || grouped.Subject.Node != "n0-0-dn3" {
		t.Errorf("summary %q, subject %+v", grouped.PlacesSummary, grouped.Subject)
	}
	if single.RuleID != "FD5101" || len(single.Places) != 0 {
		t.Errorf("the ValueError child: %s with %d places", single.RuleID, len(single.Places))
	}
	if len(res.Timelines) != 4 {
		t.Errorf("timelines for %d places, want 4", len(res.Timelines))
	}
	for _, tl := range res.Timelines {
		if len(tl.Attempts) != 1 || len(tl.Attempts[0].Spans) == 0 {
			t.Errorf("%s: timeline %+v", tl.Node, tl.Attempts)
		}
	}
}

// Different texts for one rule are different causes: two ValueErrors with unrelated messages
// stay apart, while messages that differ only by numbers (shard 5, shard 12) are one.
func TestGroupingKeepsDifferentCausesApart(t *testing.T) {
	snap := fanoutSnapshot(map[int]func(string) *evidence.ExecutionError{
		5: valueError("shard 5 has 0 rows"), 12: valueError("shard 12 has 0 rows"), 20: valueError("no such column: ts"),
	})
	var got []string
	for _, f := range rules.Run(snap, rules.Table(), rules.Config{}).Findings {
		if f.RootCause {
			got = append(got, fmt.Sprintf("%s %d %s", f.RuleID, len(f.Places), f.PlacesSummary))
		}
	}
	want := []string{"FD5101 2 2 of 40 children of n0: dn5, dn12", "FD5101 0 "}
	if !slices.Equal(got, want) {
		t.Errorf("root causes:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
