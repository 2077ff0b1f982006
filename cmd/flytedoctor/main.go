// Command flytedoctor diagnoses failed Flyte executions. See README.md.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/flytedoctor/flytedoctor/cmd/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Main(ctx, cli.NewFactory(), os.Args[1:])
	stop()
	os.Exit(code)
}
