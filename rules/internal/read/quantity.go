package read

import (
	"math"
	"strings"

	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/flytedoctor/flytedoctor/rules/internal/pattern"
)

func OrUnknown(s string) string {
	if s == "" {
		return "(unknown)"
	}
	return s
}

// firstLine is the first line of s, trimmed (Flyte's pod messages use "\r\n").
func FirstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return strings.TrimSpace(s)
}

// hugeExponent is an exponent of 1000 or more: apimachinery takes minutes over one such as
// 1E400000000000000, and no Kubernetes message writes one.
var hugeExponent = pattern.MustCompile(`[eE][+-]?0*[0-9]{4}`)

// ParseQuantity reads a Kubernetes quantity ("500m", "24Gi", "95551679124", "1e3") with
// apimachinery, as the API server does; "K" is accepted too, as messages write it. Inputs longer
// than 64 bytes, with an exponent of 4 digits or more, or without a digit (Kubernetes reads a
// bare suffix or sign as 0) are refused before apimachinery sees them.
func ParseQuantity(s string) (float64, bool) {
	s = strings.TrimSpace(s)
	if len(s) > 64 || hugeExponent.MatchString(s) || !strings.ContainsAny(s, "0123456789") {
		return 0, false
	}
	if strings.HasSuffix(s, "K") {
		s = s[:len(s)-1] + "k"
	}
	q, err := resource.ParseQuantity(s)
	if err != nil {
		return 0, false
	}
	v := q.AsApproximateFloat64()
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, false
	}
	return v, true
}
