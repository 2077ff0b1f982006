package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/flytedoctor/flytedoctor/bundle"
	"github.com/flytedoctor/flytedoctor/cmd/internal/demo"
	"github.com/flytedoctor/flytedoctor/collectors/flyteconfig"
	"github.com/flytedoctor/flytedoctor/collectors/userinput"
)

// writeDemoBundles writes each scenario as DIR/SCENARIO.tar.gz, through the bundle command's
// own path against the scenario's fake Admin, cluster and storage.
func writeDemoBundles(ctx context.Context, f *Factory, scenarios []demo.Scenario, dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("cannot create %s: %v", userinput.ClipPath(dir), err)
	}
	for _, s := range scenarios {
		out := filepath.Join(dir, s.Name+".tar.gz")
		bo := &bundleOptions{Out: out, LogBytes: bundle.DefaultLogBytes, LogPods: bundle.DefaultLogPods, MaxSize: bundle.DefaultTotalBytes}
		err := withDemo(ctx, f, s, func(df *Factory, o *diagnoseOptions, cfg *flyteconfig.Config) error {
			return runBundle(ctx, df, o, bo, cfg, []string{"flytedoctor", "demo", "--bundle=" + dir, s.Name})
		})
		if err != nil {
			return fmt.Errorf("demo %s: %w", s.Name, err)
		}
	}
	return nil
}
