// Command flytedoctor diagnoses failed Flyte executions. See README.md.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	// Its init sets the garbage collection early, for most of the inits that follow.
	_ "github.com/flytedoctor/flytedoctor/cmd/flytedoctor/internal/gcpolicy"
	"github.com/flytedoctor/flytedoctor/cmd/internal/cli"
	"github.com/flytedoctor/flytedoctor/internal/subproc"
)

func main() { os.Exit(runMain()) }

// runMain is main up to its exit code: the test binary runs it under a CPU profile.
func runMain() int {
	_ = subproc.Adopt() // best effort: without it, process groups still end the helpers
	ctx, cancel := context.WithCancelCause(context.Background())
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		// The first signal stops the run, which still reports what it has; a second one
		// ends flytedoctor at once.
		cancel(cli.Interrupted(<-sigs))
		sig := <-sigs
		subproc.EndAll()
		os.Exit(128 + signalNumber(sig))
	}()
	code := cli.Main(ctx, cli.NewFactory(), os.Args[1:])
	signal.Stop(sigs)
	subproc.EndAll()
	return code
}

// signalNumber is the number a shell adds to 128 for a process killed by sig.
func signalNumber(sig os.Signal) int {
	if s, ok := sig.(syscall.Signal); ok {
		return int(s)
	}
	return 2 // os.Interrupt is SIGINT wherever it is not a syscall.Signal
}
