package xbd

import (
	"errors"
	"strconv"
	"strings"
)

// Amount is a sum of money in euro cents. XBezahldienste and FIT-Connect
// write amounts as JSON numbers in euro with at most two decimals
// (grosAmount, totalNetAmount, ...; FIT-Connect's grossAmount has
// "multipleOf": 0.01); Amount reads and writes that form exactly, without
// ever going through a float.
type Amount int64

// MaxAmount is the largest grosAmount XBezahldienste accepts ("<= 999999"
// euro, docs.fitko.de/xbezahldienste/APIDoku/versionen/v1.0.0/initiate-payment-transaction).
const MaxAmount Amount = 999999_00

// String writes the amount as a decimal in euro: 1234 → "12.34".
func (a Amount) String() string {
	n := int64(a)
	sign := ""
	if n < 0 {
		sign, n = "-", -n
	}
	return sign + strconv.FormatInt(n/100, 10) + "." + pad2(n%100)
}

func pad2(n int64) string {
	if n < 10 {
		return "0" + strconv.FormatInt(n, 10)
	}
	return strconv.FormatInt(n, 10)
}

// German writes the amount the way German pages do: "1.234,50 €".
func (a Amount) German() string {
	n := int64(a)
	sign := ""
	if n < 0 {
		sign, n = "-", -n
	}
	euros := strconv.FormatInt(n/100, 10)
	var b strings.Builder
	for i, c := range euros {
		if i > 0 && (len(euros)-i)%3 == 0 {
			b.WriteByte('.')
		}
		b.WriteRune(c)
	}
	return sign + b.String() + "," + pad2(n%100) + " €"
}

// MarshalJSON writes the amount as a JSON number in euro.
func (a Amount) MarshalJSON() ([]byte, error) { return []byte(a.String()), nil }

// UnmarshalJSON reads a JSON number in euro with at most two significant
// decimals.
func (a *Amount) UnmarshalJSON(b []byte) error {
	v, err := ParseAmount(string(b))
	if err != nil {
		return err
	}
	*a = v
	return nil
}

// ErrAmount is returned for a number that is not a whole number of cents.
var ErrAmount = errors.New("xbd: amount is not a decimal number of euro with at most two decimals")

// ParseAmount reads a decimal number of euro ("12", "12.5", "12.50",
// "-3.10", "12.500") into cents. Exponents, more than two non-zero decimals,
// signs other than a leading minus and values beyond ±10^15 euro are
// refused.
func ParseAmount(s string) (Amount, error) {
	neg := false
	if strings.HasPrefix(s, "-") {
		neg, s = true, s[1:]
	}
	whole, frac, hasDot := strings.Cut(s, ".")
	if whole == "" || len(whole) > 15 || !digits(whole) || (len(whole) > 1 && whole[0] == '0') {
		return 0, ErrAmount
	}
	if hasDot && (frac == "" || !digits(frac)) {
		return 0, ErrAmount
	}
	// Trailing zeros beyond the cents carry no value.
	for len(frac) > 2 && frac[len(frac)-1] == '0' {
		frac = frac[:len(frac)-1]
	}
	if len(frac) > 2 {
		return 0, ErrAmount
	}
	for len(frac) < 2 {
		frac += "0"
	}
	w, _ := strconv.ParseInt(whole, 10, 64)
	f, _ := strconv.ParseInt(frac, 10, 64)
	v := w*100 + f
	if neg {
		v = -v
	}
	return Amount(v), nil
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
