package main

import (
	"os"
	"runtime/pprof"
	"testing"

	"github.com/flytedoctor/flytedoctor/internal/testnet"
)

// cpuProfileEnv, beside runMainEnv, names the file the child writes its CPU profile to
// (BenchmarkProfileRun): a test-only switch, so the binary ships no profiling flag.
const cpuProfileEnv = "FLYTEDOCTOR_TEST_CPUPROFILE"

// profiled is runMain under a CPU profile written to path.
func profiled(path string) int {
	f, err := os.Create(path)
	if err != nil {
		panic(err)
	}
	defer f.Close()
	if err := pprof.StartCPUProfile(f); err != nil {
		panic(err)
	}
	defer pprof.StopCPUProfile()
	return runMain()
}

// TestMain fails the run if a test sends anything beyond 127.0.0.1 (see internal/testnet),
// and removes the binary the tests built. With runMainEnv set it is flytedoctor itself: the
// fault matrix re-executes the test binary as the real main().
func TestMain(m *testing.M) {
	if os.Getenv(runMainEnv) == "1" {
		if path := os.Getenv(cpuProfileEnv); path != "" {
			os.Exit(profiled(path))
		}
		main()
		return
	}
	code := testnet.Main(m)
	removeBinary()
	os.Exit(code)
}
