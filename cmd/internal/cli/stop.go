package cli

import (
	"context"
	"os"

	"github.com/flytedoctor/flytedoctor/collectors/plan"
)

// Interrupted is the cause to cancel the run's context with at the first SIGINT or SIGTERM.
func Interrupted(sig os.Signal) error { return plan.Interrupted(sig) }

// stopOf says why ctx ended (--timeout, an interrupt), or nil while it has not.
func stopOf(ctx context.Context) *plan.Stop { return plan.StopOf(ctx) }
