package redact

import (
	"encoding/json"
	"strings"
	"testing"
)

// FuzzRedact: redaction never panics, keeps JSON valid, and is idempotent.
func FuzzRedact(f *testing.F) {
	for _, s := range []string{
		"aws_access_key_id = " + keyID + "\naws_secret_access_key = " + secretKey,
		`{"env":[{"name":"DB_PASSWORD","value":"x1"}],"annotations":{"api-token":"y"}}`,
		"-----BEGIN EC PRIVATE KEY-----\nMHcCAQEE\n-----END EC PRIVATE KEY-----",
		"https://u:p@h/x?X-Amz-Signature=abc&token=1",
		`{"a":"{\"password\":\"p\"}"}`,
		"Bearer " + jwt,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r := New(Options{})
		once := r.Text("f", s)
		if twice := New(Options{}).Text("f", once); twice != once {
			t.Fatalf("not idempotent:\n%q\n%q", once, twice)
		}
		if strings.Count(once, markerPrefix) < r.Total() {
			t.Fatalf("%d removals but %d markers", r.Total(), strings.Count(once, markerPrefix))
		}
		if json.Valid([]byte(s)) {
			out, err := New(Options{}).JSON("f", []byte(s))
			if err != nil {
				if err == errDepth {
					return
				}
				t.Fatalf("valid JSON rejected: %v", err)
			}
			if !json.Valid(out) {
				t.Fatalf("output not JSON: %q", out)
			}
		}
	})
}
