//go:build unix

package subproc

import (
	"errors"
	"os"
	"os/exec"
	"syscall"
)

// isolate starts cmd as the leader of a new process group and makes cancellation kill the group.
func isolate(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error {
		err := syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		if errors.Is(err, syscall.ESRCH) {
			return os.ErrProcessDone
		}
		return err
	}
}
