package jsonout

import (
	"bufio"
	"bytes"
	"encoding/json"
	"testing"
)

// indentedByEncoding is what Write must write: encoding/json's own indented output.
func indentedByEncoding(t testing.TB, v any) []byte {
	t.Helper()
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func indentedHere(t testing.TB, v any) []byte {
	t.Helper()
	var compact bytes.Buffer
	enc := json.NewEncoder(&compact)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	w := bufio.NewWriter(&out)
	writeIndented(w, compact.Bytes())
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

func TestWriteIndentedIsEncodingJSONsIndent(t *testing.T) {
	deep := any("leaf")
	for range 40 { // deeper than the newline buffer's 64 spaces
		deep = map[string]any{"k": []any{deep}}
	}
	for _, v := range []any{
		nil, 0, "", "x", []any{}, map[string]any{}, []any{[]any{}, map[string]any{}},
		map[string]any{"a": []any{1, 2.5, true, nil}, "b": map[string]any{"c": map[string]any{}}},
		map[string]any{`{"tricky":[1,2]}`: `a "quoted" \ string, with: {braces} and [brackets]`},
		[]any{`ends with a backslash \`, `\"`, "\\\\", "<html> & \u2028 é \x01"},
		json.RawMessage(`{"raw" : [ 1 , {} ]}`),
		deep,
	} {
		want, got := indentedByEncoding(t, v), indentedHere(t, v)
		if !bytes.Equal(got, want) {
			t.Errorf("%v:\ngot  %q\nwant %q", v, got, want)
		}
	}
}
