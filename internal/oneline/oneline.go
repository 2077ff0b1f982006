// Package oneline folds text from servers and libraries (error messages, response bodies,
// panics) into the one bounded line a report or error line may hold.
package oneline

import (
	"strings"
	"unicode/utf8"
)

// Fold joins s's words with single spaces: newlines, tabs and runs of spaces go.
func Fold(s string) string { return strings.Join(strings.Fields(s), " ") }

// Clip is Fold cut to at most n bytes at a character boundary, the cut marked with "…".
func Clip(s string, n int) string {
	s = Fold(s)
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
