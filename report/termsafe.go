package report

import (
	"io"
	"unicode/utf8"
)

// termSafe keeps texts from Admin, the kubelet and users' logs from driving the terminal: a
// message could clear the screen, rewrite earlier lines with \r, set the window title or plant
// an OSC 8 link. Control characters are shown in caret notation (^[, ^M) as cat -v does, C1
// controls and invalid UTF-8 as U+FFFD; only newlines and tabs pass, and, when colour is on, the
// SGR colour sequences (ESC [ digits ; m) our Style writes. Every Write must hold whole
// sequences: the text writer writes each Fprintf at once.
type termSafe struct {
	w     io.Writer
	color bool
	buf   []byte
}

func (t *termSafe) Write(p []byte) (int, error) {
	t.buf = appendTermSafe(t.buf[:0], p, t.color)
	if _, err := t.w.Write(t.buf); err != nil {
		return 0, err
	}
	return len(p), nil
}

func appendTermSafe(dst, p []byte, color bool) []byte {
	for i := 0; i < len(p); {
		c := p[i]
		switch {
		case c == '\n' || c == '\t':
			dst = append(dst, c)
			i++
		case c == '\r' && i+1 < len(p) && p[i+1] == '\n':
			i++ // a CRLF line end is a line end
		case c == 0x1b && color:
			if n := sgrLen(p[i:]); n > 0 {
				dst = append(dst, p[i:i+n]...)
				i += n
				continue
			}
			dst = append(dst, '^', '[')
			i++
		case c < 0x20:
			dst = append(dst, '^', c+'@')
			i++
		case c == 0x7f:
			dst = append(dst, '^', '?')
			i++
		case c < utf8.RuneSelf:
			dst = append(dst, c)
			i++
		default:
			r, size := utf8.DecodeRune(p[i:])
			if r == utf8.RuneError || (r >= 0x80 && r <= 0x9f) {
				dst = utf8.AppendRune(dst, utf8.RuneError)
			} else {
				dst = append(dst, p[i:i+size]...)
			}
			i += size
		}
	}
	return dst
}

// sgrLen is the length of the SGR sequence ESC [ (digits|;)* m at the start of p, or 0.
func sgrLen(p []byte) int {
	if len(p) < 3 || p[1] != '[' {
		return 0
	}
	for i := 2; i < len(p) && i < 32; i++ {
		switch c := p[i]; {
		case c == 'm':
			return i + 1
		case c == ';' || (c >= '0' && c <= '9'):
		default:
			return 0
		}
	}
	return 0
}
