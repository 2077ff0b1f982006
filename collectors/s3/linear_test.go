package s3

import (
	"testing"

	"github.com/flytedoctor/flytedoctor/internal/growth"
)

// TestPathsLinear: a 100 KiB message full of URIs and flytekit transfers is read quickly.
func TestPathsLinear(t *testing.T) {
	for _, unit := range append(messageSeeds(), "Failed to get data from s3://a/b to /tmp/c (recursive=False)\n", "s3://b/k ", "s3://") {
		growth.AssertLinear(t, "Paths", unit, func(msg string) { Paths(messageExecution(msg), "") })
	}
}
