package imagepull

import (
	"testing"

	"github.com/flytedoctor/flytedoctor/internal/growth"
	"github.com/flytedoctor/flytedoctor/rules/internal/read"
)

func TestPullLinear(t *testing.T) {
	for _, u := range append(PullSeeds(), `pull image "`, "a: ") {
		growth.AssertLinear(t, "cause", u, func(s string) { read.PullCause(s); read.PullImageIn(s); lastClause(s) })
	}
}
