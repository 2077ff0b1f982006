package checks

import (
	"os"
	"testing"

	"github.com/flytedoctor/flytedoctor/internal/testnet"
)

// TestMain fails the run if a test sends anything beyond 127.0.0.1 (see internal/testnet).
func TestMain(m *testing.M) { os.Exit(testnet.Main(m)) }
