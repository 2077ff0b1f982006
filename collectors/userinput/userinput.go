// Package userinput quotes what the user typed (arguments, flag values, config values) for
// error messages, clipped so that one line never echoes more than about 80 bytes of one input.
package userinput

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// Keep is how many bytes of an input Quote shows before clipping it.
const Keep = 60

// KeepPath is Keep for ClipPath: a path is worth seeing whole when it is at all reasonable.
const KeepPath = 160

// Escapes can make the shown form longer than the input; this bounds the growth.
const escapeSlack = 20

// Quote is strconv.Quote for inputs of any size: `"abc"` for short ones; for long ones the
// first bytes, an ellipsis and the whole length: `"aaaa…" (10000 bytes)`.
func Quote(s string) string {
	inner, long := escape(s, Keep)
	if !long {
		return `"` + inner + `"`
	}
	return `"` + inner + `…" (` + strconv.Itoa(len(s)) + " bytes)"
}

// ClipPath is Quote without the quotes and with a longer limit, for file paths shown bare:
// printable paths up to KeepPath bytes as is, else escaped and clipped: `/aaaa… (10000 bytes)`.
func ClipPath(s string) string {
	if len(s) <= KeepPath && printable(s) {
		return s
	}
	inner, long := escape(s, KeepPath)
	if !long {
		return inner
	}
	return inner + "… (" + strconv.Itoa(len(s)) + " bytes)"
}

// Scrub replaces every input longer than KeepPath found in msg by its Quote, for messages
// built by code that echoes what it was given whole (flag parsing, third-party errors). Both
// the input as typed and its Go-quoted form are looked for. Shorter inputs are left alone, so
// that paths and endpoints our own messages show stay whole.
func Scrub(msg string, inputs ...string) string {
	for _, in := range inputs {
		if len(in) <= KeepPath {
			continue
		}
		short := Quote(in)
		msg = strings.ReplaceAll(msg, strconv.Quote(in), short)
		msg = strings.ReplaceAll(msg, in, short)
	}
	return msg
}

// escape returns s Go-escaped without the quotes, cut so it stays within keep input bytes and
// keep+escapeSlack output bytes; long says whether anything was cut.
func escape(s string, keep int) (inner string, long bool) {
	head := prefix(s, keep)
	for {
		q := strconv.Quote(head)
		if len(q)-2 <= keep+escapeSlack || head == "" {
			return q[1 : len(q)-1], len(head) < len(s)
		}
		head = prefix(head, len(head)-1)
	}
}

func printable(s string) bool {
	for _, r := range s {
		if r == utf8.RuneError || !strconv.IsPrint(r) {
			return false
		}
	}
	return true
}

// prefix is s cut to at most n bytes on a rune boundary.
func prefix(s string, n int) string {
	if n >= len(s) {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
