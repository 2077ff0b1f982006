package deadline

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestEndedAndNear(t *testing.T) {
	far, cancel := context.WithTimeout(context.Background(), time.Hour)
	defer cancel()
	if err := Ended(far); err != nil || Near(far) {
		t.Errorf("an hour away: Ended %v, Near %v; want nil, false", err, Near(far))
	}
	soon, cancel2 := context.WithTimeout(context.Background(), Slack/2)
	defer cancel2()
	if !Near(soon) {
		t.Errorf("%s away: Near false, want true", Slack/2)
	}
	past, cancel3 := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel3()
	if err := Ended(past); !errors.Is(err, context.DeadlineExceeded) || !Near(past) {
		t.Errorf("past: Ended %v, Near %v; want DeadlineExceeded, true", err, Near(past))
	}
	if Near(context.Background()) || Ended(context.Background()) != nil {
		t.Error("no deadline: Near or Ended says otherwise")
	}
}
