package plan

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/flytedoctor/flytedoctor/collectors/evidence"
)

func TestMarkStoppedFilesContextErrorsUnderTheStop(t *testing.T) {
	rec := evidence.CollectorRecord{Collector: "kube", Status: evidence.StatusPartial, Errors: []evidence.CollectionError{
		{Method: "list pods", Code: "DeadlineExceeded", Message: "cannot list pods: the plugin had not printed a credential"},
		{Method: "list nodes", Code: "Forbidden", Message: "nodes is forbidden", Attempts: 1},
		{Method: "list events", Code: "DeadlineExceeded", Message: "cannot list events: timed out", Attempts: 1},
		{Method: "get pods/log", Code: "DeadlineExceeded", Message: "not sent", NotSent: true},
	}}
	markStopped(&rec, &Stop{Code: evidence.CodeRunTimeout, Reason: "timed out after --timeout 5s"})
	if e := rec.Errors[0]; e.Code != evidence.CodeRunTimeout || e.Message != "timed out after --timeout 5s: cannot list pods: the plugin had not printed a credential" {
		t.Errorf("a call that never reached the server = %+v", e)
	}
	for _, e := range rec.Errors[1:] {
		if e.Code == evidence.CodeRunTimeout {
			t.Errorf("filed under the stop: %+v (a refusal, a call the server did not answer, a call never sent)", e)
		}
	}
}

func TestStopOfSaysWhyTheRunEnded(t *testing.T) {
	if StopOf(context.Background()) != nil {
		t.Fatal("a live context has no stop")
	}
	ctx, cancel := context.WithTimeoutCause(context.Background(), time.Nanosecond, TimedOut(5*time.Second))
	defer cancel()
	<-ctx.Done()
	if s := StopOf(ctx); s == nil || s.Code != evidence.CodeRunTimeout || s.Reason != "timed out after --timeout 5s" {
		t.Fatalf("StopOf = %+v", s)
	}
	if !errors.Is(context.Cause(ctx), context.DeadlineExceeded) {
		t.Error("the timeout cause does not read as DeadlineExceeded")
	}
	ictx, icancel := context.WithCancelCause(context.Background())
	icancel(Interrupted(os.Interrupt))
	if s := StopOf(ictx); s == nil || s.Code != evidence.CodeInterrupted || s.Reason != "interrupted by SIGINT" || !errors.Is(s, context.Canceled) {
		t.Fatalf("StopOf = %+v", s)
	}
}
