//go:build !unix

package subproc

import "os/exec"

// isolate keeps exec's default there: cancellation kills the helper itself.
func isolate(*exec.Cmd) {}
