package api

import "strconv"

// parseID parses a positive decimal id strictly: digits only, no sign, no
// spaces, at most 9 digits.
func parseID(s string) (int, bool) {
	if s == "" || len(s) > 9 {
		return 0, false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0, false
		}
	}
	n, err := strconv.Atoi(s)
	return n, err == nil && n > 0
}
