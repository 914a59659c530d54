// Package ascii has the small byte-level checks several packages need on
// keys, codes and typed numbers (LeiKa keys, ARS, postcodes, ids).
package ascii

// Digits reports whether s is non-empty and consists of ASCII digits only.
func Digits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
