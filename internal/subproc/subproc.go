package subproc

import (
	"context"
	"errors"
	"os/exec"
	"time"
)

// WaitDelay bounds how long Wait waits, once the helper is dead or the context is done, for
// descendants that hold its stdout or stderr open.
const WaitDelay = 250 * time.Millisecond

// Command is exec.CommandContext for a helper. Cancelling ctx kills the helper and everything
// in its process group. An interactive helper (one given a terminal as stdin) stays in
// flytedoctor's process group, since a background group that reads the terminal is stopped
// by the kernel; Ctrl-C then reaches it directly, and ctx still kills it.
func Command(ctx context.Context, interactive bool, name string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.WaitDelay = WaitDelay
	if !interactive {
		isolate(cmd)
	}
	return cmd
}

// Finished drops the error Wait reports when the helper exited successfully but a descendant
// still held its output open after WaitDelay: what the helper printed has been read.
func Finished(cmd *exec.Cmd, err error) error {
	if errors.Is(err, exec.ErrWaitDelay) && cmd.ProcessState != nil && cmd.ProcessState.Success() {
		return nil
	}
	return err
}
