package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/flytedoctor/flytedoctor/collectors/flyteadmin/fakeadmin"
	"github.com/flytedoctor/flytedoctor/internal/testnet"
)

// BenchmarkPeakRSS runs the real binary against a fake Admin serving a 10,000-node execution
// with 10 ms per call and reports the binary's peak resident set size. With the dev stack
// loaded, the Kubernetes and S3 collectors run too, against its kube-apiserver (namespace
// bench-run-v1, whose 200 pods of this execution BenchmarkRunLatency in cmd/internal/cli
// seeds; unseeded, the collector reads the namespace's events and finds no pods) and S3 server.
//
// The binary runs under GNU time: Linux carries a process's high-water RSS across exec, and Go
// starts children sharing the test process's memory until exec, so the child's own rusage would
// report this (large) test process instead. time(1) forks from a small process.
func BenchmarkPeakRSS(b *testing.B) {
	gnuTime, err := exec.LookPath("/usr/bin/time")
	if err != nil {
		b.Skip("needs GNU time (Debian package time; make bench installs it)")
	}
	bin := flytedoctor(b)
	dir := b.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	name, extra, env := "rss10000", []string{"--skip", "kube,s3"}, []string(nil)
	if stackExtra, stackEnv, ok := stackCollectors(); ok {
		name, extra, env = "run10000", stackExtra, stackEnv
	}
	srv := fakeadmin.New(fakeadmin.Synthetic(name, 10000), fakeadmin.Options{Latency: 10 * time.Millisecond})
	addr, stop, err := srv.Start(ctx)
	if err != nil {
		b.Fatal(err)
	}
	defer stop()
	stats := filepath.Join(dir, "time.out")
	b.ResetTimer()
	for range b.N {
		for _, format := range []string{"text", "json"} {
			args := append([]string{"-f", "%M %U %S", "-o", stats, bin, "--admin-endpoint", addr, "--insecure",
				"--fail-on", "never", "-o", format}, extra...)
			cmd := exec.Command(gnuTime, append(args, "flytesnacks/development/"+name)...)
			// No user config, no colour; no instance-metadata probe, and the trap for anything
			// else that would leave the machine.
			cmd.Env = append(append(testnet.Env(), "HOME="+b.TempDir()), env...)
			if out, err := cmd.CombinedOutput(); err != nil {
				b.Fatalf("flytedoctor -o %s: %v\n%s", format, err, out)
			}
			raw, err := os.ReadFile(stats)
			if err != nil {
				b.Fatal(err)
			}
			var kib int64
			var user, sys float64
			if _, err := fmt.Sscanf(string(raw), "%d %f %f", &kib, &user, &sys); err != nil {
				b.Fatalf("GNU time output %q: %v", raw, err)
			}
			b.ReportMetric(float64(kib)/1024, "peak-MiB-"+format)
			b.Logf("10,000 nodes, -o %s, %v: peak RSS %.1f MiB, user %.2fs sys %.2fs", format, extra, float64(kib)/1024, user, sys)
		}
	}
}
