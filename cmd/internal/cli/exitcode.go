package cli

import (
	"errors"
	"fmt"

	"github.com/flytedoctor/flytedoctor/rules"
)

// Exit codes, the contract scripts rely on.
const (
	ExitOK       = 0 // nothing at or above --fail-on
	ExitFailure  = 1 // flytedoctor itself failed: Admin unreachable, execution not found, ...
	ExitUsage    = 2 // bad flags, arguments or config
	ExitErrors   = 3 // the execution failed / error findings
	ExitWarnings = 4 // warnings only, with --fail-on warning
)

// usageError is bad input from the user: exit 2.
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

func usagef(format string, a ...any) error { return &usageError{fmt.Errorf(format, a...)} }

// exitError carries a non-zero exit code for a run that worked but found problems; it prints nothing.
type exitError struct{ code int }

func (e *exitError) Error() string { return fmt.Sprintf("exit code %d", e.code) }

// exitCode maps an error returned by a command to the process exit code.
func exitCode(err error) int {
	var ue *usageError
	var ee *exitError
	switch {
	case err == nil:
		return ExitOK
	case errors.As(err, &ee):
		return ee.code
	case errors.As(err, &ue):
		return ExitUsage
	default:
		return ExitFailure
	}
}

// codeFor turns the worst finding into an exit code under --fail-on.
func codeFor(res *rules.Result, failOn string) int {
	worst, any := res.Worst()
	switch {
	case failOn == "never" || !any:
		return ExitOK
	case worst == rules.Error:
		return ExitErrors
	case worst == rules.Warning && failOn == "warning":
		return ExitWarnings
	}
	return ExitOK
}
