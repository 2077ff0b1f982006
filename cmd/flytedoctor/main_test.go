package main

import (
	"os"
	"testing"

	"github.com/flytedoctor/flytedoctor/internal/testnet"
)

// TestMain fails the run if a test sends anything beyond 127.0.0.1 (see internal/testnet),
// and removes the binary the tests built.
func TestMain(m *testing.M) {
	code := testnet.Main(m)
	removeBinary()
	os.Exit(code)
}
