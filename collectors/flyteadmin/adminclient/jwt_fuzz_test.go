package adminclient

import (
	"encoding/base64"
	"strings"
	"testing"
	"time"
)

// FuzzJWTClaims reads access tokens as an identity provider may send them: a token that reads
// as a JWT gives a subject from it and an expiry that is unknown or after 1970, never one
// wrapped around by a float too large for int64.
func FuzzJWTClaims(f *testing.F) {
	enc := base64.RawURLEncoding.EncodeToString
	for _, payload := range []string{
		`{"sub":"alice@example.com","exp":1786700000,"iat":1786696400,"aud":"flyteadmin"}`,
		`{"sub":"0oa1b2c3","exp":1.7867e9}`,
		`{"sub":"svc","exp":-5}`,
		`{"sub":42}`,
	} {
		f.Add(enc([]byte(`{"alg":"RS256","kid":"k1"}`)) + "." + enc([]byte(payload)) + ".c2ln")
	}
	f.Add("opaque-access-token")
	f.Fuzz(func(t *testing.T, tok string) {
		sub, exp, ok := jwtClaims(tok)
		if !ok {
			if sub != "" || !exp.IsZero() {
				t.Fatalf("jwtClaims(%q) = %q, %v without a JWT", tok, sub, exp)
			}
			return
		}
		if strings.Count(tok, ".") != 2 {
			t.Fatalf("jwtClaims(%q) read a JWT from %d parts", tok, strings.Count(tok, ".")+1)
		}
		if !exp.IsZero() && !exp.After(time.Unix(0, 0)) {
			t.Fatalf("jwtClaims(%q): expiry %v", tok, exp)
		}
	})
}
