package read

import (
	"math"
	"strconv"
	"strings"
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

// parseQuantity parses a Kubernetes quantity ("500m", "24Gi", "95551679124", "1e3"); "K" is
// accepted too, as messages write it.
func ParseQuantity(s string) (float64, bool) {
	s = strings.TrimSpace(s)
	if v, ok := parseDecimal(s); ok {
		return v, true
	}
	for _, n := range []int{2, 1} {
		if len(s) > n {
			if f := quantitySuffix(s[len(s)-n:]); f != 0 {
				if v, ok := parseDecimal(s[:len(s)-n]); ok && !math.IsInf(v*f, 0) {
					return v * f, true
				}
			}
		}
	}
	return 0, false
}

// parseDecimal reads a decimal number such as "1.5", "-3" or "1e3". strconv.ParseFloat alone
// also reads "Inf", "NaN" and hex floats, which no quantity is.
func parseDecimal(s string) (float64, bool) {
	if s == "" || strings.Trim(s, "0123456789.+-eE") != "" {
		return 0, false
	}
	v, err := strconv.ParseFloat(s, 64)
	return v, err == nil
}

// quantitySuffix is the multiplier of a quantity suffix, 0 for none.
func quantitySuffix(s string) float64 {
	switch s {
	case "Ki":
		return 1 << 10
	case "Mi":
		return 1 << 20
	case "Gi":
		return 1 << 30
	case "Ti":
		return 1 << 40
	case "Pi":
		return 1 << 50
	case "Ei":
		return 1 << 60
	case "n":
		return 1e-9
	case "u":
		return 1e-6
	case "m":
		return 1e-3
	case "k", "K":
		return 1e3
	case "M":
		return 1e6
	case "G":
		return 1e9
	case "T":
		return 1e12
	case "P":
		return 1e15
	case "E":
		return 1e18
	}
	return 0
}
