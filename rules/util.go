package rules

import (
	"strconv"
	"strings"
)

func orUnknown(s string) string {
	if s == "" {
		return "(unknown)"
	}
	return s
}

// firstLine is the first line of s, trimmed (Flyte's pod messages use "\r\n").
func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return strings.TrimSpace(s)
}

// parseQuantity parses a Kubernetes quantity ("500m", "24Gi", "95551679124", "1e3"); "K" is
// accepted too, as messages write it.
func parseQuantity(s string) (float64, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, false
	}
	if v, err := strconv.ParseFloat(s, 64); err == nil {
		return v, true
	}
	mult := map[string]float64{
		"Ki": 1 << 10, "Mi": 1 << 20, "Gi": 1 << 30, "Ti": 1 << 40, "Pi": 1 << 50, "Ei": 1 << 60,
		"n": 1e-9, "u": 1e-6, "m": 1e-3, "k": 1e3, "K": 1e3, "M": 1e6, "G": 1e9, "T": 1e12, "P": 1e15, "E": 1e18,
	}
	for _, n := range []int{2, 1} {
		if len(s) > n {
			if f, ok := mult[s[len(s)-n:]]; ok {
				if v, err := strconv.ParseFloat(s[:len(s)-n], 64); err == nil {
					return v * f, true
				}
			}
		}
	}
	return 0, false
}
