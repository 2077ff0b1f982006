package read

import (
	"regexp"
)

var flyteFrameRe = regexp.MustCompile(`(?m)^[ \t]*File "([^"]+)", line (\d+), in (\S+)`)
