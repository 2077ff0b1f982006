//go:build !linux

package subproc

// Adopt does nothing here: only Linux lets a process adopt its orphaned descendants.
func Adopt() error { return nil }

// EndAll does nothing here; helpers still die with their process group when the run's
// context ends (see Command).
func EndAll() {}
