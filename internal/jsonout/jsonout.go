// Package jsonout writes indented JSON fast: the snapshot, the report, anything that goes
// through encoding/json.
package jsonout

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
)

// Write writes v as indented JSON, two spaces a level, then a newline: byte for byte what json.Encoder with SetIndent("", "  ")
// and SetEscapeHTML(false) writes. The compact encoding is indented as it is written out:
// at 10,000 nodes encoding/json's indent pass (a scanner step per byte) cost more than the
// encoding itself. The encoder hands its whole buffer to indenter in one Write, so no second
// copy of the report is made (6 MB at 10,000 nodes).
func Write(w io.Writer, v any) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	enc := json.NewEncoder(indenter{bw})
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return err
	}
	return bw.Flush()
}

// indenter indents each compact JSON text written to it (json.Encoder writes one per Encode).
type indenter struct{ w *bufio.Writer }

func (in indenter) Write(p []byte) (int, error) {
	writeIndented(in.w, p)
	return len(p), nil
}

// writeIndented writes src, compact JSON as encoding/json writes it (no space outside
// strings), indented as json.Indent would with no prefix and two spaces. Errors stay in w
// (bufio keeps the first).
func writeIndented(w *bufio.Writer, src []byte) {
	const spaces = 64
	nl := []byte("\n" + string(bytes.Repeat([]byte(" "), spaces)))
	newline := func(depth int) {
		n := 2 * depth
		if n <= spaces {
			w.Write(nl[:1+n])
			return
		}
		// Deeper than nl holds: rare, the rest in pieces.
		w.Write(nl)
		for n -= spaces; n > 0; n -= spaces {
			w.Write(nl[1 : 1+min(n, spaces)])
		}
	}
	depth, from := 0, 0
	for i := 0; i < len(src); i++ {
		c := src[i]
		switch c {
		case '"':
			// Skip the string: its punctuation is text.
			for i++; i < len(src) && src[i] != '"'; i++ {
				if src[i] == '\\' {
					i++
				}
			}
		case '{', '[':
			if i+1 < len(src) && (src[i+1] == '}' || src[i+1] == ']') {
				i++ // {} and [] stay as they are
				continue
			}
			w.Write(src[from : i+1])
			depth++
			newline(depth)
			from = i + 1
		case '}', ']':
			w.Write(src[from:i])
			depth--
			newline(depth)
			from = i
		case ',':
			w.Write(src[from : i+1])
			newline(depth)
			from = i + 1
		case ':':
			w.Write(src[from : i+1])
			w.WriteByte(' ')
			from = i + 1
		}
	}
	w.Write(src[from:])
}
