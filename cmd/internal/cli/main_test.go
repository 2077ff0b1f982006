package cli

import (
	"context"
	"os"
	"testing"

	"github.com/flytedoctor/flytedoctor/internal/testnet"
)

// asCLI makes the test binary run as flytedoctor: the bash completion test gives the script
// this binary, and the script calls it back with __complete.
const asCLI = "FLYTEDOCTOR_TEST_BINARY_IS_CLI"

func TestMain(m *testing.M) {
	if os.Getenv(asCLI) == "1" {
		os.Exit(Main(context.Background(), NewFactory(), os.Args[1:]))
	}
	os.Exit(testnet.Main(m))
}
