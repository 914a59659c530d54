// Package form is the runtime of online forms built from FIM
// XDatenfelder: it turns what people type into typed values and checks
// them against the form model. This file parses German input.
//
// People type numbers and dates the way they write them: "1.234,56",
// "12,50 €", "31.12.2024", "14.30 Uhr". Everything is parsed strictly
// (no guessing beyond the rules written here) into canonical forms: decimal
// strings with a point ("1234.56"), ISO dates ("2024-12-31"), times
// ("14:30:00").
package form

import (
	"errors"
	"math/big"
	"strings"
	"time"
	_ "time/tzdata" // Europe/Berlin for date-times without an offset, also where the system has no zoneinfo
	"unicode"

	"github.com/ozgo/ozgo/internal/ascii"
)

// Input errors; the validation layer maps them to catalog messages.
var (
	ErrNotNumber   = errors.New("not a number")
	ErrNotInteger  = errors.New("not a whole number")
	ErrTooPrecise  = errors.New("more than two decimal places")
	ErrNotDate     = errors.New("not a date")
	ErrNotTime     = errors.New("not a time")
	ErrNotDateTime = errors.New("not a date and time")
	ErrNotBool     = errors.New("not yes or no")
)

// maxInput bounds what is parsed at all, maxDigits the digits of a number:
// nobody types more, and FormatNumber's output of any accepted number stays
// within maxInput.
const (
	maxInput  = 100
	maxDigits = 40
)

// ParseNumber reads a decimal number in German or plain notation and
// returns it canonically ("1234.56", "-3.5", "1000"):
//   - a comma is the decimal separator; dots before it group thousands and
//     must then stand every three digits ("1.234.567,8");
//   - without a comma, one dot followed by exactly three digits groups
//     thousands ("1.234" is 1234, but "0.001" is a decimal), any other
//     single dot is a decimal point ("1.5" is 1.5), several dots group
//     thousands;
//   - spaces (also narrow no-break spaces) group thousands too; a leading
//     sign is allowed.
func ParseNumber(s string) (string, error) {
	s = cleanNumber(s)
	if s == "" || len(s) > maxInput {
		return "", ErrNotNumber
	}
	sign := ""
	switch {
	case strings.HasPrefix(s, "-"):
		sign, s = "-", s[1:]
	case strings.HasPrefix(s, "−"): // U+2212, typed by some keyboards and pasted from documents
		sign, s = "-", s[len("−"):]
	case strings.HasPrefix(s, "+"):
		s = s[1:]
	}
	intPart, frac := s, ""
	if i := strings.LastIndexByte(s, ','); i >= 0 {
		intPart, frac = s[:i], s[i+1:]
		if frac == "" || !ascii.Digits(frac) {
			return "", ErrNotNumber
		}
		var ok bool
		if intPart, ok = ungroup(intPart, '.'); !ok {
			return "", ErrNotNumber
		}
	} else if n := strings.Count(s, "."); n == 1 {
		i := strings.IndexByte(s, '.')
		if len(s)-i-1 == 3 && i > 0 && i <= 3 && s[0] != '0' {
			intPart = s[:i] + s[i+1:]
		} else {
			intPart, frac = s[:i], s[i+1:]
			if frac == "" || !ascii.Digits(frac) {
				return "", ErrNotNumber
			}
		}
	} else if n > 1 {
		var ok bool
		if intPart, ok = ungroup(s, '.'); !ok {
			return "", ErrNotNumber
		}
	}
	if intPart == "" {
		intPart = "0"
	}
	if !ascii.Digits(intPart) || len(intPart)+len(frac) > maxDigits {
		return "", ErrNotNumber
	}
	intPart = strings.TrimLeft(intPart, "0")
	if intPart == "" {
		intPart = "0"
	}
	frac = strings.TrimRight(frac, "0")
	out := intPart
	if frac != "" {
		out += "." + frac
	}
	if out == "0" {
		sign = ""
	}
	return sign + out, nil
}

// ParseInteger reads a whole number ("1.000" is 1000; "1,5" is refused).
func ParseInteger(s string) (string, error) {
	n, err := ParseNumber(s)
	if err != nil {
		return "", ErrNotInteger
	}
	if strings.Contains(n, ".") {
		return "", ErrNotInteger
	}
	return n, nil
}

// ParseCurrency reads an amount in euros with at most two decimal places;
// a trailing "€" or "EUR" is allowed. The result has exactly two decimals.
func ParseCurrency(s string) (string, error) {
	s = strings.TrimSpace(s)
	for _, suffix := range []string{"€", "EUR", "Euro"} {
		s = strings.TrimSpace(strings.TrimSuffix(s, suffix))
	}
	s = strings.TrimSpace(strings.TrimPrefix(s, "€"))
	n, err := ParseNumber(s)
	if err != nil {
		return "", err
	}
	i := strings.IndexByte(n, '.')
	switch {
	case i < 0:
		return n + ".00", nil
	case len(n)-i-1 > 2:
		return "", ErrTooPrecise
	case len(n)-i-1 == 1:
		return n + "0", nil
	}
	return n, nil
}

// Rat returns a canonical number as an exact rational, for comparisons.
func Rat(canonical string) (*big.Rat, bool) {
	return new(big.Rat).SetString(canonical)
}

// ParseDate reads "31.12.2024", "1.2.2024" or ISO "2024-12-31" and checks
// that the day exists. Two-digit years are refused: "1.2.24" could be 1924.
func ParseDate(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" || len(s) > maxInput {
		return "", ErrNotDate
	}
	var d, m, y string
	if parts := strings.Split(s, "."); len(parts) == 3 {
		d, m, y = strings.TrimSpace(parts[0]), strings.TrimSpace(parts[1]), strings.TrimSpace(parts[2])
	} else if parts := strings.Split(s, "-"); len(parts) == 3 && len(parts[0]) == 4 {
		y, m, d = parts[0], parts[1], parts[2]
	} else {
		return "", ErrNotDate
	}
	if len(y) != 4 || len(m) < 1 || len(m) > 2 || len(d) < 1 || len(d) > 2 || !ascii.Digits(y+m+d) {
		return "", ErrNotDate
	}
	iso := y + "-" + pad2(m) + "-" + pad2(d)
	t, err := time.Parse("2006-01-02", iso)
	if err != nil || t.Format("2006-01-02") != iso || t.Year() < 1 {
		return "", ErrNotDate
	}
	return iso, nil
}

// ParseTime reads "14:30", "14.30", "9:05 Uhr" or "14:30:15".
func ParseTime(s string) (string, error) {
	s = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(s), "Uhr"))
	if s == "" || len(s) > maxInput {
		return "", ErrNotTime
	}
	parts := strings.FieldsFunc(s, func(r rune) bool { return r == ':' || r == '.' })
	if len(parts) < 2 || len(parts) > 3 || strings.Count(s, ":")+strings.Count(s, ".") != len(parts)-1 {
		return "", ErrNotTime
	}
	if len(parts) == 2 {
		parts = append(parts, "00")
	}
	for i, p := range parts {
		if len(p) < 1 || len(p) > 2 || !ascii.Digits(p) || (i > 0 && len(p) != 2) {
			return "", ErrNotTime
		}
	}
	out := pad2(parts[0]) + ":" + parts[1] + ":" + parts[2]
	if _, err := time.Parse("15:04:05", out); err != nil {
		return "", ErrNotTime
	}
	return out, nil
}

// Berlin is the zone of date-times typed without an offset and the one
// times are shown in.
var Berlin = func() *time.Location {
	l, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		panic(err) // embedded via time/tzdata
	}
	return l
}()

// ParseDateTime reads "31.12.2024 14:30" (German time, Europe/Berlin) or an
// RFC 3339 date-time, and returns RFC 3339 with the offset.
func ParseDateTime(s string) (string, error) {
	s = strings.TrimSpace(s)
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.Format(time.RFC3339), nil
	}
	s = strings.Replace(s, ",", " ", 1)
	f := strings.Fields(s)
	if len(f) < 2 || len(f) > 3 {
		return "", ErrNotDateTime
	}
	if len(f) == 3 {
		if f[2] != "Uhr" {
			return "", ErrNotDateTime
		}
		f = f[:2]
	}
	d, err := ParseDate(f[0])
	if err != nil {
		return "", ErrNotDateTime
	}
	tm, err := ParseTime(f[1])
	if err != nil {
		return "", ErrNotDateTime
	}
	t, err := time.ParseInLocation("2006-01-02 15:04:05", d+" "+tm, Berlin)
	if err != nil {
		return "", ErrNotDateTime
	}
	return t.Format(time.RFC3339), nil
}

// ParseBool reads the values of yes/no controls and typed answers.
func ParseBool(s string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true", "ja", "j", "yes", "on", "1":
		return true, nil
	case "false", "nein", "n", "no", "off", "0":
		return false, nil
	}
	return false, ErrNotBool
}

func cleanNumber(s string) string {
	s = strings.TrimSpace(s)
	// Spaces group thousands: "1 234 567,89" (also U+00A0 and U+202F).
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) || r == '\u202f' || r == '\u00a0' || r == '\'' {
			return -1
		}
		return r
	}, s)
}

// ungroup removes thousands separators, requiring groups of three digits
// after the first group of one to three.
func ungroup(s string, sep byte) (string, bool) {
	if strings.IndexByte(s, sep) < 0 {
		return s, true
	}
	parts := strings.Split(s, string(sep))
	if len(parts[0]) < 1 || len(parts[0]) > 3 || parts[0][0] == '0' {
		return "", false
	}
	for _, p := range parts[1:] {
		if len(p) != 3 {
			return "", false
		}
	}
	return strings.Join(parts, ""), true
}

func pad2(s string) string {
	if len(s) == 1 {
		return "0" + s
	}
	return s
}

// FormatNumber shows a canonical number the German way, for redisplaying
// an answer in its field: "1234.56" → "1.234,56". ParseNumber reads the
// result back to the same canonical number; the canonical form itself is
// not user input ("1.001" would read as one thousand and one).
func FormatNumber(canonical string) string {
	sign := ""
	if strings.HasPrefix(canonical, "-") {
		sign, canonical = "-", canonical[1:]
	}
	intPart, frac, _ := strings.Cut(canonical, ".")
	var b strings.Builder
	for i, c := range intPart {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			b.WriteByte('.')
		}
		b.WriteRune(c)
	}
	if frac != "" {
		b.WriteByte(',')
		b.WriteString(frac)
	}
	return sign + b.String()
}

// FormatDate shows an ISO date the German way: "2024-12-31" → "31.12.2024".
func FormatDate(iso string) string {
	t, err := time.Parse("2006-01-02", iso)
	if err != nil {
		return iso
	}
	return t.Format("02.01.2006")
}
