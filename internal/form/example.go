package form

import "strings"

// Example returns a plausible valid answer for a field, as typed by a
// person (German notation): for previews of a form and for tests that fill
// forms end to end. Files and groups get "".
func Example(n *Node) string {
	e := n.Element
	if n.IsGroup() || n.IsFile() {
		return ""
	}
	if len(n.Codes) > 0 {
		return n.Codes[len(n.Codes)-1]
	}
	p := e.Praezisierung
	switch e.Datentyp {
	case "bool":
		return "true"
	case "date":
		return "31.12.2024"
	case "time":
		return "14:30"
	case "datetime":
		return "31.12.2024 14:30"
	case "num_currency":
		return "65.000,50"
	case "num", "num_int":
		if p.MinValue != "" {
			return FormatNumber(p.MinValue)
		}
		if e.Datentyp == "num" {
			return "1,75"
		}
		return "3"
	}
	switch {
	case strings.Contains(p.Pattern, "@"):
		return "erika@example.de"
	case p.MinLength != nil && *p.MinLength == 5 && p.MaxLength != nil && *p.MaxLength == 5:
		return "72070"
	}
	v := "Testwert"
	if p.MinLength != nil && len(v) < *p.MinLength {
		v += strings.Repeat("x", *p.MinLength-len(v))
	}
	if p.MaxLength != nil && len(v) > *p.MaxLength {
		v = v[:*p.MaxLength]
	}
	return v
}
