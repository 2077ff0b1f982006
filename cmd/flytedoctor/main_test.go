package main

import (
	"os"
	"testing"

	"github.com/flytedoctor/flytedoctor/internal/testnet"
)

// TestMain fails the run if a test sends anything beyond 127.0.0.1 (see internal/testnet),
// and removes the binary the tests built. With runMainEnv set it is flytedoctor itself: the
// fault matrix re-executes the test binary as the real main().
func TestMain(m *testing.M) {
	if os.Getenv(runMainEnv) == "1" {
		main()
		return
	}
	code := testnet.Main(m)
	removeBinary()
	os.Exit(code)
}
