package redact

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strconv"
	"unicode/utf8"
)

// MaxDepth bounds the nesting JSON redaction follows, JSON quoted in strings included.
const MaxDepth = 256

// JSON redacts a JSON document: structured rules (the value of an env var or Flyte
// key-value pair whose name looks secret, annotations with such names, fields named for a
// credential, docker config auths), then the text rules on every string, JSON quoted in a
// string (kubectl's last-applied-configuration) included. Key order is kept; the result is
// indented with two spaces.
func (r *Redactor) JSON(where string, data []byte) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	n, err := parse(dec, 0)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("more than one JSON document")
	}
	r.walk(where, n, "", "", 0)
	var buf bytes.Buffer
	buf.Grow(len(data) + len(data)/8)
	write(&buf, n, 0, true)
	buf.WriteByte('\n')
	return buf.Bytes(), nil
}

// Bytes is JSON for what parses as JSON and Text for the rest.
func (r *Redactor) Bytes(where string, data []byte) []byte {
	if t := bytes.TrimSpace(data); len(t) > 0 && (t[0] == '{' || t[0] == '[') {
		if out, err := r.JSON(where, data); err == nil {
			return out
		}
	}
	return []byte(r.Text(where, string(data)))
}

type kind byte

const (
	kObject kind = iota
	kArray
	kString
	kLiteral // number, true, false, null: kept as written
)

type node struct {
	kind  kind
	s     string // string value, or the literal
	keys  []string
	items []*node // object values (parallel to keys) or array items
}

func (n *node) get(key string) *node {
	for i, k := range n.keys {
		if k == key {
			return n.items[i]
		}
	}
	return nil
}

var errDepth = errors.New("JSON nested too deep")

func parse(dec *json.Decoder, depth int) (*node, error) {
	if depth > MaxDepth {
		return nil, errDepth
	}
	tok, err := dec.Token()
	if err != nil {
		if err == io.EOF {
			return nil, io.ErrUnexpectedEOF
		}
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			n := &node{kind: kObject}
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				k, _ := kt.(string)
				v, err := parse(dec, depth+1)
				if err != nil {
					return nil, err
				}
				n.keys = append(n.keys, k)
				n.items = append(n.items, v)
			}
			if _, err := dec.Token(); err != nil {
				return nil, err
			}
			return n, nil
		case '[':
			n := &node{kind: kArray}
			for dec.More() {
				v, err := parse(dec, depth+1)
				if err != nil {
					return nil, err
				}
				n.items = append(n.items, v)
			}
			if _, err := dec.Token(); err != nil {
				return nil, err
			}
			return n, nil
		}
		return nil, errors.New("unexpected delimiter")
	case string:
		return &node{kind: kString, s: t}, nil
	case json.Number:
		return &node{kind: kLiteral, s: string(t)}, nil
	case bool:
		return &node{kind: kLiteral, s: strconv.FormatBool(t)}, nil
	case nil:
		return &node{kind: kLiteral, s: "null"}, nil
	}
	return nil, errors.New("unexpected token")
}

// walk redacts n in place; key is the member name n is the value of, parent the one above.
func (r *Redactor) walk(where string, n *node, key, parent string, depth int) {
	switch n.kind {
	case kString:
		n.s = r.str(where, n.s, depth)
	case kArray:
		for _, it := range n.items {
			r.walk(where, it, key, parent, depth+1)
		}
	case kObject:
		r.object(where, n, key, parent, depth)
	}
}

func (r *Redactor) object(where string, n *node, key, parent string, depth int) {
	done := make([]bool, len(n.items))
	set := func(i int, rule string) {
		v := n.items[i]
		done[i] = true
		if v.kind != kString || v.s == "" || hasMarker(v.s) {
			return
		}
		v.s = Marker(rule)
		r.count(rule, where, 1)
	}
	// {"name": N, "value": V} (a pod's env) and {"key": N, "value": V} (Flyte's envs).
	if vi := index(n.keys, "value"); vi >= 0 {
		for _, nk := range []string{"name", "key"} {
			if nm := n.get(nk); nm != nil && nm.kind == kString && NameLooksSecret(nm.s) {
				set(vi, RuleNamed)
				break
			}
		}
	}
	annotations := key == "annotations" || (key == "values" && parent == "annotations")
	dockerAuth := parent == "auths"
	for i, k := range n.keys {
		if done[i] {
			continue
		}
		v := n.items[i]
		switch {
		case annotations && v.kind == kString && NameLooksSecret(k):
			set(i, RuleNamed)
			continue
		case dockerAuth && v.kind == kString && (k == "auth" || k == "identitytoken" || k == "registrytoken" || k == "password"):
			set(i, RuleDockerAuth)
			continue
		case v.kind == kString && !allDigits(v.s):
			// A secret is never digits alone; a list's pagination "token" is.
			if rule, ok := ValueNameRule(k); ok {
				set(i, rule)
				continue
			}
		}
		r.walk(where, v, k, key, depth+1)
	}
	for i, k := range n.keys {
		n.keys[i] = r.Text(where, k)
	}
}

// str redacts a string value; one holding a JSON document is redacted as JSON and written
// back compact.
func (r *Redactor) str(where, s string, depth int) string {
	if len(s) >= 2 && (s[0] == '{' || s[0] == '[') && depth < MaxDepth && json.Valid([]byte(s)) {
		dec := json.NewDecoder(bytes.NewReader([]byte(s)))
		dec.UseNumber()
		if n, err := parse(dec, depth); err == nil {
			r.walk(where, n, "", "", depth+1)
			var buf bytes.Buffer
			write(&buf, n, 0, false)
			return buf.String()
		}
	}
	return r.Text(where, s)
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func hasMarker(s string) bool {
	return len(s) >= len(markerPrefix) && s[:len(markerPrefix)] == markerPrefix
}

func index(keys []string, k string) int {
	for i, x := range keys {
		if x == k {
			return i
		}
	}
	return -1
}

// write encodes n, indented two spaces a level when indent is set, else compact; strings as
// encoding/json writes them without HTML escaping.
func write(b *bytes.Buffer, n *node, depth int, indent bool) {
	nl := func(d int) {
		if indent {
			b.WriteByte('\n')
			for range d {
				b.WriteString("  ")
			}
		}
	}
	switch n.kind {
	case kLiteral:
		b.WriteString(n.s)
	case kString:
		writeString(b, n.s)
	case kArray:
		if len(n.items) == 0 {
			b.WriteString("[]")
			return
		}
		b.WriteByte('[')
		for i, it := range n.items {
			if i > 0 {
				b.WriteByte(',')
			}
			nl(depth + 1)
			write(b, it, depth+1, indent)
		}
		nl(depth)
		b.WriteByte(']')
	case kObject:
		if len(n.items) == 0 {
			b.WriteString("{}")
			return
		}
		b.WriteByte('{')
		for i, k := range n.keys {
			if i > 0 {
				b.WriteByte(',')
			}
			nl(depth + 1)
			writeString(b, k)
			b.WriteByte(':')
			if indent {
				b.WriteByte(' ')
			}
			write(b, n.items[i], depth+1, indent)
		}
		nl(depth)
		b.WriteByte('}')
	}
}

const hexDigits = "0123456789abcdef"

func writeString(b *bytes.Buffer, s string) {
	b.WriteByte('"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b.WriteString(s[start:i])
			switch c {
			case '"', '\\':
				b.WriteByte('\\')
				b.WriteByte(c)
			case '\n':
				b.WriteString(`\n`)
			case '\r':
				b.WriteString(`\r`)
			case '\t':
				b.WriteString(`\t`)
			default:
				b.WriteString(`\u00`)
				b.WriteByte(hexDigits[c>>4])
				b.WriteByte(hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b.WriteString(s[start:i])
			b.WriteString(`\ufffd`)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b.WriteString(s[start:i])
			b.WriteString(`\u202`)
			b.WriteByte(hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b.WriteString(s[start:])
	b.WriteByte('"')
}
