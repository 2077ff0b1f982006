package read

import (
	"github.com/flytedoctor/flytedoctor/rules/internal/pattern"
)

var flyteFrameRe = pattern.MustCompile(`(?m)^[ \t]*File "([^"]+)", line (\d+), in (\S+)`)
