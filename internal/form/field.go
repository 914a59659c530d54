package form

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/ozgo/ozgo/internal/din91379"
	"github.com/ozgo/ozgo/internal/errs"
	"github.com/ozgo/ozgo/internal/fim"
)

// maxTextInput bounds a text answer when the form sets no maximum.
const maxTextInput = 10000

// CheckField turns what was typed into a field into its typed value, or
// returns an Invalid error for that field whose message is a catalog key.
// An empty answer returns (nil, nil): whether it may be empty is decided by
// the field's cardinality, one level up. codes are the allowed codes of a
// select field (nil when the field has no code list, e.g. degraded to free
// text). The value is what goes into the JSON instance: a string, a
// json.Number or a bool.
func CheckField(el *fim.Element, raw string, codes []string) (any, error) {
	id := el.ID
	s := strings.TrimSpace(raw)
	if s == "" {
		return nil, nil
	}
	if !utf8.ValidString(s) {
		return nil, errs.FieldError(id, "form.error.encoding")
	}
	if len(codes) > 0 {
		for _, c := range codes {
			if s == c {
				return s, nil
			}
		}
		return nil, errs.FieldError(id, "form.error.code")
	}
	p := el.Praezisierung
	switch el.Datentyp {
	case "num", "num_int", "num_currency":
		var n string
		var err error
		switch el.Datentyp {
		case "num":
			n, err = ParseNumber(s)
		case "num_int":
			n, err = ParseInteger(s)
		default:
			n, err = ParseCurrency(s)
		}
		switch {
		case err == ErrTooPrecise:
			return nil, errs.FieldError(id, "form.error.currency_precision")
		case err == ErrNotInteger:
			return nil, errs.FieldError(id, "form.error.integer")
		case err != nil:
			return nil, errs.FieldError(id, "form.error.number")
		}
		if e := checkRange(id, n, p); e != nil {
			return nil, e
		}
		return json.Number(n), nil
	case "date":
		d, err := ParseDate(s)
		if err != nil {
			return nil, errs.FieldError(id, "form.error.date")
		}
		return d, nil
	case "time":
		t, err := ParseTime(s)
		if err != nil {
			return nil, errs.FieldError(id, "form.error.time")
		}
		return t, nil
	case "datetime":
		t, err := ParseDateTime(s)
		if err != nil {
			return nil, errs.FieldError(id, "form.error.datetime")
		}
		return t, nil
	case "bool":
		b, err := ParseBool(s)
		if err != nil {
			return nil, errs.FieldError(id, "form.error.bool")
		}
		return b, nil
	case "file", "obj":
		// Uploads and structured objects do not come in as typed text.
		return nil, errs.FieldError(id, "form.error.unsupported")
	}
	// text, text_latin and anything unknown: text with the form's limits.
	if el.Datentyp == "text_latin" {
		// XDatenfelder's text_latin is text restricted to the Latin
		// characters of DIN 91379 (formerly String.Latin+ 1.2), data type
		// C, compared and stored in NFC as the standard requires.
		s = din91379.Normalize(s)
		if bad := din91379.Check(s, din91379.TypeC); bad != nil {
			return nil, errs.FieldError(id, "form.error.latin", string(bad.Char), fmt.Sprintf("U+%04X", bad.Char))
		}
	}
	n := utf8.RuneCountInString(s)
	if p.MinLength != nil && n < *p.MinLength {
		return nil, errs.FieldError(id, "form.error.too_short", *p.MinLength)
	}
	limit := maxTextInput
	if p.MaxLength != nil {
		limit = *p.MaxLength
	}
	if n > limit {
		return nil, errs.FieldError(id, "form.error.too_long", limit)
	}
	if re := pattern(p.Pattern); re != nil && !re.MatchString(s) {
		return nil, errs.FieldError(id, "form.error.pattern")
	}
	return s, nil
}

func checkRange(id, n string, p fim.Praezisierung) error {
	v, ok := Rat(n)
	if !ok {
		return errs.FieldError(id, "form.error.number")
	}
	if p.MinValue != "" {
		if lo, err := ParseNumber(p.MinValue); err == nil {
			if l, ok := Rat(lo); ok && v.Cmp(l) < 0 {
				return errs.FieldError(id, "form.error.min_value", FormatNumber(lo))
			}
		}
	}
	if p.MaxValue != "" {
		if hi, err := ParseNumber(p.MaxValue); err == nil {
			if h, ok := Rat(hi); ok && v.Cmp(h) > 0 {
				return errs.FieldError(id, "form.error.max_value", FormatNumber(hi))
			}
		}
	}
	return nil
}

// patterns caches compiled praezisierung patterns. A pattern Go cannot
// compile (XSD regex features RE2 lacks) is not enforced here; the JSON
// Schema export reports it.
var patterns sync.Map // string -> *regexp.Regexp (nil for uncompilable)

// pattern compiles a FIM pattern as a whole-value match.
func pattern(p string) *regexp.Regexp {
	if p == "" {
		return nil
	}
	if v, ok := patterns.Load(p); ok {
		re, _ := v.(*regexp.Regexp)
		return re
	}
	re, err := regexp.Compile(`^(?:` + p + `)$`)
	if err != nil {
		re = nil
	}
	patterns.Store(p, re)
	return re
}
