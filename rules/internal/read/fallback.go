package read

import (
	"cmp"
)

// fallbackLine is the decisive line of an error no rule recognised.
func FallbackLine(msg string) string {
	return Clip(cmp.Or(Decisive("", msg), FirstLine(msg)), 400)
}

// fallbackCode names the error in a summary: its code, or its first line when it has none.
func FallbackCode(code, line string) string {
	if code != "" {
		return code
	}
	return Clip(OrUnknown(line), 160)
}
