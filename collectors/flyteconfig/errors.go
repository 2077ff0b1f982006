package flyteconfig

import (
	"errors"
	"io/fs"
	"strconv"
	"strings"

	"github.com/flytedoctor/flytedoctor/collectors/userinput"
)

// Error is a problem with a config file. Error() is always one line so the CLI can print it
// as is: "config file <path>[ line N]: [<key>: ]<what is wrong and how to fix it>".
type Error struct {
	Path string
	Line int    // 1-based YAML line, 0 if unknown
	Key  string // dotted key such as admin.authType, "" if not about one key
	Msg  string
	Err  error // underlying cause, if any
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("config file ")
	b.WriteString(userinput.ClipPath(e.Path))
	if e.Line > 0 {
		b.WriteString(" line ")
		b.WriteString(strconv.Itoa(e.Line))
	}
	if errors.Is(e.Err, fs.ErrNotExist) {
		b.WriteString(" not found: ")
	} else {
		b.WriteString(": ")
	}
	if e.Key != "" {
		b.WriteString(e.Key)
		b.WriteString(": ")
	}
	b.WriteString(oneLine(e.Msg))
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// oneLine folds multi-line messages (yaml.v3 type errors are multi-line) into one line.
func oneLine(s string) string {
	fields := strings.FieldsFunc(s, func(r rune) bool { return r == '\n' || r == '\r' })
	for i := range fields {
		fields[i] = strings.TrimSpace(fields[i])
	}
	return strings.Join(fields, "; ")
}
