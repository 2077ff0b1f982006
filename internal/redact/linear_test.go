package redact

import (
	"testing"

	"github.com/flytedoctor/flytedoctor/internal/growth"
)

// Logs and messages are outside text: redaction must stay linear whatever they repeat.
func TestLinear(t *testing.T) {
	for _, unit := range []string{
		"https://", "https://u:", "x://", "a=b:c ", "a:", "password=", "-----BEGIN PRIVATE KEY-----",
		"-----BEGIN PRIVATE KEY-----\nAAAA", keyID + " ", keyID + secretKey, "bearer ", "Bearer abcdefgh ",
		`"auth":"`, "eyJabcdefghij.", "eyJabcdefghij.abcdefghij.", "authorization: ", "IQoJb3JpZ2lu",
	} {
		growth.AssertLinear(t, "Text", unit, func(s string) { New(Options{}).Text("f", s) })
	}
	for _, unit := range []string{`{"a":`, `[`, `{"name":"TOKEN","value":"x"},`, `"{\"a\":1}",`} {
		growth.AssertLinear(t, "Bytes", unit, func(s string) { New(Options{}).Bytes("f", []byte("["+s+"1]")) })
	}
}
