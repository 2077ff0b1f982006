package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/flytedoctor/flytedoctor/collectors/flyteadmin/fakeadmin"
	"github.com/flytedoctor/flytedoctor/internal/testnet"
)

// BenchmarkBeyondVersion runs the real binary, `flytedoctor version` and a whole diagnosis of a
// 1,000-node execution against a fake Admin with no added latency, and reports what the run
// costs beyond the process's start and exit (median wall of each; CPU from rusage). With the
// dev stack loaded the Kubernetes (namespace bench-run-v1) and S3 collectors run against its
// servers; without it they are skipped and the name says so.
func BenchmarkBeyondVersion(b *testing.B) {
	bin := flytedoctor(b)
	what, env, diagnose := beyondVersionRun(b)
	home := b.TempDir()
	run := func(args ...string) (wall, cpu time.Duration) {
		cmd := exec.Command(bin, args...)
		cmd.Env = append(append(testnet.Env(), "HOME="+home), env...)
		start := time.Now()
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("flytedoctor %v: %v\n%s", args, err, out)
		}
		return time.Since(start), cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	}
	median := func(d []time.Duration) time.Duration {
		sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
		return d[len(d)/2]
	}
	run("version")
	run(diagnose...) // warm the servers and the page cache
	var vWall, vCPU, dWall, dCPU []time.Duration
	b.ResetTimer()
	for range b.N {
		w, c := run("version")
		vWall, vCPU = append(vWall, w), append(vCPU, c)
		w, c = run(diagnose...)
		dWall, dCPU = append(dWall, w), append(dCPU, c)
	}
	b.StopTimer()
	mv, md := median(vWall), median(dWall)
	b.ReportMetric(float64(mv.Microseconds())/1000, "version-ms")
	b.ReportMetric(float64(md.Microseconds())/1000, "run-ms")
	b.ReportMetric(float64((md-mv).Microseconds())/1000, "beyond-version-ms")
	b.Logf("1,000 nodes, zero latency, %s: version %s (cpu %s), run %s (cpu %s), beyond version %s (medians of %d)",
		what, mv.Round(100*time.Microsecond), median(vCPU), md.Round(100*time.Microsecond), median(dCPU), (md - mv).Round(100*time.Microsecond), b.N)
}

// beyondVersionRun serves the synthetic 1,000-node execution from a fake Admin with no added
// latency for the rest of b, and returns what runs, the environment and the arguments of its
// diagnosis.
func beyondVersionRun(b *testing.B) (what string, env, diagnose []string) {
	ctx, cancel := context.WithCancel(context.Background())
	b.Cleanup(cancel)
	what, extra := "kube,s3 skipped", []string{"--skip", "kube,s3"}
	if stackExtra, stackEnv, ok := stackCollectors(); ok {
		what, extra, env = "all collectors", stackExtra, stackEnv
	}
	const name = "start1000"
	srv := fakeadmin.New(fakeadmin.Synthetic(name, 1000), fakeadmin.Options{})
	addr, stop, err := srv.Start(ctx)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(stop)
	diagnose = append([]string{"--admin-endpoint", addr, "--insecure", "--fail-on", "never", "-o", "json"}, extra...)
	return what, env, append(diagnose, "flytesnacks/development/"+name)
}

// BenchmarkProfileRun is BenchmarkBeyondVersion's diagnosis under a CPU profile: main() in the
// test binary, the fake servers in this process, one profile per run written to
// $FLYTEDOCTOR_PROFILE_DIR (skipped without it), to read together:
// go tool pprof -top DIR/*.pprof (make profile-binary).
func BenchmarkProfileRun(b *testing.B) {
	dir := os.Getenv("FLYTEDOCTOR_PROFILE_DIR")
	if dir == "" {
		b.Skip("set FLYTEDOCTOR_PROFILE_DIR to the directory the profiles go to")
	}
	what, env, diagnose := beyondVersionRun(b)
	home := b.TempDir()
	b.Logf("1,000 nodes, zero latency, %s", what)
	b.ResetTimer()
	for i := range b.N {
		cmd := exec.Command(os.Args[0], diagnose...)
		cmd.Env = append(append(testnet.Env(), "HOME="+home, runMainEnv+"=1",
			cpuProfileEnv+"="+filepath.Join(dir, fmt.Sprintf("run-%03d.pprof", i))), env...)
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("flytedoctor %v: %v\n%s", diagnose, err, out)
		}
	}
}

// stackCollectors are the flags and environment that point the Kubernetes collector at the dev
// stack's apiserver (namespace bench-run-v1, which BenchmarkRunLatency seeds) and the S3
// collector at its versitygw; ok is false when the stack's env is not loaded.
func stackCollectors() (extra, env []string, ok bool) {
	kc, s3 := os.Getenv("STACK_KUBECONFIG"), os.Getenv("STACK_S3_ENDPOINT")
	if kc == "" || s3 == "" {
		return nil, nil, false
	}
	return []string{"--kubeconfig", kc, "-n", "bench-run-v1", "--s3-endpoint", s3},
		[]string{"AWS_ACCESS_KEY_ID=" + os.Getenv("AWS_ACCESS_KEY_ID"), "AWS_SECRET_ACCESS_KEY=" + os.Getenv("AWS_SECRET_ACCESS_KEY"), "AWS_REGION=us-east-1"}, true
}
