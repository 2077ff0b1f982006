package main

import (
	"context"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/flytedoctor/flytedoctor/collectors/flyteadmin/fakeadmin"
)

// BenchmarkPeakRSS runs the real binary against a fake Admin serving a 10,000-node execution
// with 10 ms per call and reports the child process's peak resident set size.
func BenchmarkPeakRSS(b *testing.B) {
	bin := filepath.Join(b.TempDir(), "flytedoctor")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		b.Fatalf("go build: %v\n%s", err, out)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	srv := fakeadmin.New(fakeadmin.Synthetic("rss10000", 10000), fakeadmin.Options{Latency: 10 * time.Millisecond})
	addr, stop, err := srv.Start(ctx)
	if err != nil {
		b.Fatal(err)
	}
	defer stop()
	b.ResetTimer()
	for range b.N {
		for _, format := range []string{"text", "json"} {
			cmd := exec.Command(bin, "--admin-endpoint", addr, "--insecure", "--fail-on", "never", "-o", format,
				"flytesnacks/development/rss10000")
			cmd.Env = []string{"HOME=" + b.TempDir()} // no user config, no colour
			if out, err := cmd.CombinedOutput(); err != nil {
				b.Fatalf("flytedoctor -o %s: %v\n%s", format, err, out)
			}
			rss := cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss // KiB on Linux
			b.ReportMetric(float64(rss)/1024, "peak-MiB-"+format)
			b.Logf("10,000 nodes, -o %s: peak RSS %.1f MiB, user %s sys %s", format, float64(rss)/1024,
				cmd.ProcessState.UserTime().Round(time.Millisecond), cmd.ProcessState.SystemTime().Round(time.Millisecond))
		}
	}
}
