package catalog

import (
	"strconv"

	"github.com/ozgo/ozgo/internal/ascii"
)

// ValidRef reports whether s has the form of a Leistung ref: a 14-digit
// LeiKa key or "x" and 13 lowercase hex digits (see KeylessRef).
func ValidRef(s string) bool {
	if len(s) != 14 {
		return false
	}
	if s[0] != 'x' {
		return ascii.Digits(s)
	}
	for i := 1; i < len(s); i++ {
		if c := s[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// ValidARS reports whether s has the form of an Amtlicher Regionalschlüssel
// of one of the levels (2, 3, 5, 9 or 12 digits).
func ValidARS(s string) bool {
	switch len(s) {
	case 2, 3, 5, 9, 12:
		return ascii.Digits(s)
	}
	return false
}

// ParseID parses a Themenfeld or Lebenslage id strictly: digits only, no
// sign, no leading zero, at most 9 digits.
func ParseID(s string) (int, bool) {
	if len(s) > 9 || !ascii.Digits(s) || s[0] == '0' {
		return 0, false
	}
	n, err := strconv.Atoi(s)
	return n, err == nil && n > 0
}
