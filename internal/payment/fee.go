// Package payment computes fees (Gebühren) and runs the payment of an
// application through an XBezahldienste provider: fee rules and payment
// modes per (online service, tenant), the payments of drafts with their
// idempotent request ids, the completion of the submission once a payment
// is booked, and the reconciliation job that re-checks open transactions.
package payment

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/ozgo/ozgo/internal/errs"
	"github.com/ozgo/ozgo/internal/payment/xbd"
)

// Mode says whether and when an application is paid.
type Mode string

// Payment modes.
const (
	// ModeNone: no payment in the online service.
	ModeNone Mode = "none"
	// ModeOptional: the applicant may pay now or submit without paying
	// (the authority then sends a bill).
	ModeOptional Mode = "optional"
	// ModeMandatory: the application is submitted only once paid.
	ModeMandatory Mode = "mandatory"
	// ModeDeferred: submitted unpaid; the authority asks for the payment
	// after the Bescheid through the Postfach.
	ModeDeferred Mode = "deferred"
)

// Valid reports whether m is a known mode.
func (m Mode) Valid() bool {
	switch m {
	case ModeNone, ModeOptional, ModeMandatory, ModeDeferred:
		return true
	}
	return false
}

// Rule kinds.
const (
	RuleNone  = "none"  // no fee
	RuleFixed = "fixed" // Amount
	RulePer   = "per"   // Base + Amount × count of CountPath
	RuleTable = "table" // Table[value of Field], else Default
)

// Rule is a fee rule. Amounts are cents; the JSON form is what
// payment_fees.rule stores.
type Rule struct {
	Kind string `json:"kind"`
	// Amount is the fixed fee (fixed) or the fee per counted item (per).
	Amount int64 `json:"amount,omitempty"`
	// Base is added once to a per-item fee, e.g. a basic fee.
	Base int64 `json:"base,omitempty"`
	// CountPath names, in the JSON instance of the form (dot-separated
	// keys), the repeated group or field whose occurrences are counted.
	CountPath string `json:"countPath,omitempty"`
	// Field names the form value (instance path) that chooses the fee from
	// Table; Default applies to values not in Table, unless NoDefault.
	Field     string           `json:"field,omitempty"`
	Table     map[string]int64 `json:"table,omitempty"`
	Default   int64            `json:"default,omitempty"`
	NoDefault bool             `json:"noDefault,omitempty"`
	// Min and Max bound the total; 0 means no bound.
	Min int64 `json:"min,omitempty"`
	Max int64 `json:"max,omitempty"`
	// Label names the fee in the breakdown ("Gebühr für die Verlängerung").
	Label string `json:"label,omitempty"`
	// BaseLabel names the basic fee of a per-item rule.
	BaseLabel string `json:"baseLabel,omitempty"`
}

// Line is one position of a fee breakdown; it becomes one XBezahldienste
// item.
type Line struct {
	ID       string `json:"id"`
	Label    string `json:"label"`
	Quantity int64  `json:"quantity"`
	Single   int64  `json:"single"`
	Total    int64  `json:"total"`
}

// Fee is a computed fee: the total and its breakdown. Total is always the
// sum of the lines' totals.
type Fee struct {
	Total int64  `json:"total"`
	Lines []Line `json:"lines"`
}

// Check validates a rule as an author wrote it.
func (r Rule) Check() error {
	bad := func(msg string) error { return errs.E(errs.Invalid, "Gebührenregel: "+msg) }
	if r.Amount < 0 || r.Base < 0 || r.Default < 0 || r.Min < 0 || r.Max < 0 {
		return bad("Beträge dürfen nicht negativ sein")
	}
	if r.Max > 0 && r.Min > r.Max {
		return bad("Mindestbetrag über Höchstbetrag")
	}
	switch r.Kind {
	case RuleNone, "":
	case RuleFixed:
		if r.Amount <= 0 {
			return bad("fester Betrag fehlt")
		}
	case RulePer:
		if r.CountPath == "" || r.Amount <= 0 {
			return bad("Betrag je Eintrag und zu zählendes Feld nötig")
		}
	case RuleTable:
		if r.Field == "" || len(r.Table) == 0 {
			return bad("Feld und Tabelle nötig")
		}
		for _, v := range r.Table {
			if v < 0 {
				return bad("Beträge dürfen nicht negativ sein")
			}
		}
	default:
		return bad("unbekannte Art " + strconv.Quote(r.Kind))
	}
	return nil
}

// ErrNoTableEntry is returned when a table rule has no entry for the
// form's value and no default.
var ErrNoTableEntry = errs.E(errs.Invalid, "payment.error.no_fee")

// Compute applies the rule to the JSON instance of an application (what
// form.Model.Evaluate builds). Arithmetic is on int64 cents with overflow
// checks; there is no rounding anywhere.
func (r Rule) Compute(data map[string]any) (Fee, error) {
	if err := r.Check(); err != nil {
		return Fee{}, err
	}
	label := r.Label
	if label == "" {
		label = "Gebühr"
	}
	var f Fee
	switch r.Kind {
	case RuleNone, "":
		return Fee{}, nil
	case RuleFixed:
		f.Lines = []Line{{ID: "gebuehr", Label: label, Quantity: 1, Single: r.Amount, Total: r.Amount}}
	case RulePer:
		if r.Base > 0 {
			bl := r.BaseLabel
			if bl == "" {
				bl = "Grundgebühr"
			}
			f.Lines = append(f.Lines, Line{ID: "grundgebuehr", Label: bl, Quantity: 1, Single: r.Base, Total: r.Base})
		}
		n := int64(Count(data, r.CountPath))
		if n > 0 {
			t, ok := mul(r.Amount, n)
			if !ok {
				return Fee{}, errs.E(errs.Invalid, "Gebühr zu hoch")
			}
			f.Lines = append(f.Lines, Line{ID: "je-eintrag", Label: label, Quantity: n, Single: r.Amount, Total: t})
		}
	case RuleTable:
		v, ok := Value(data, r.Field)
		amount, found := r.Table[v]
		if !ok || !found {
			if r.NoDefault {
				return Fee{}, ErrNoTableEntry
			}
			amount = r.Default
		}
		if amount > 0 {
			f.Lines = []Line{{ID: "gebuehr", Label: label, Quantity: 1, Single: amount, Total: amount}}
		}
	}
	for _, l := range f.Lines {
		t, ok := add(f.Total, l.Total)
		if !ok {
			return Fee{}, errs.E(errs.Invalid, "Gebühr zu hoch")
		}
		f.Total = t
	}
	// Bounds adjust the total by one more line, so the breakdown still
	// adds up to what is charged.
	switch {
	case r.Min > 0 && f.Total < r.Min:
		d := r.Min - f.Total
		f.Lines = append(f.Lines, Line{ID: "mindestgebuehr", Label: "Aufschlag auf die Mindestgebühr", Quantity: 1, Single: d, Total: d})
		f.Total = r.Min
	case r.Max > 0 && f.Total > r.Max:
		// A negative line is not a valid XBezahldienste item; collapse the
		// breakdown into one line at the maximum.
		f.Lines = []Line{{ID: "hoechstgebuehr", Label: label + " (Höchstgebühr)", Quantity: 1, Single: r.Max, Total: r.Max}}
		f.Total = r.Max
	}
	return f, nil
}

func mul(a, b int64) (int64, bool) {
	if a == 0 || b == 0 {
		return 0, true
	}
	if a > math.MaxInt64/b {
		return 0, false
	}
	return a * b, true
}

func add(a, b int64) (int64, bool) {
	if a > math.MaxInt64-b {
		return 0, false
	}
	return a + b, true
}

// lookup walks a dot-separated path through nested objects. Arrays on the
// way (repeated groups) are searched in every element, so paths need no
// indices.
func lookup(v any, path []string) []any {
	if len(path) == 0 {
		if arr, ok := v.([]any); ok {
			return arr
		}
		if v == nil {
			return nil
		}
		return []any{v}
	}
	switch x := v.(type) {
	case map[string]any:
		child, ok := x[path[0]]
		if !ok {
			return nil
		}
		return lookup(child, path[1:])
	case []any:
		var out []any
		for _, e := range x {
			out = append(out, lookup(e, path)...)
		}
		return out
	}
	return nil
}

func split(path string) []string {
	if path == "" {
		return nil
	}
	return strings.Split(path, ".")
}

// Count is how many times the group or field at path occurs in the
// instance: the length of a repeated group, 1 for a single one, 0 if absent.
func Count(data map[string]any, path string) int {
	if path == "" {
		return 0
	}
	return len(lookup(data, split(path)))
}

// Value is the form value at path as text, the way a table rule keys it
// (code lists give their code, numbers their decimal form, yes/no "true"
// or "false").
func Value(data map[string]any, path string) (string, bool) {
	vs := lookup(data, split(path))
	if len(vs) != 1 {
		return "", false
	}
	switch v := vs[0].(type) {
	case string:
		return v, true
	case bool:
		return strconv.FormatBool(v), true
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64), true
	case json.Number:
		return v.String(), true
	case int, int64:
		return fmt.Sprint(v), true
	}
	return "", false
}

// Items turns a fee into XBezahldienste items: no VAT (fees are not
// taxable), the budget data on every item.
func (f Fee) Items(reference string, booking map[string]string) []xbd.Item {
	out := make([]xbd.Item, 0, len(f.Lines))
	for _, l := range f.Lines {
		it := xbd.Item{
			ID: l.ID, Reference: reference, Description: xbd.Sanitize(l.Label, 250, false),
			Quantity: l.Quantity, SingleNetAmount: xbd.Amount(l.Single), TotalNetAmount: xbd.Amount(l.Total),
		}
		if len(booking) > 0 {
			it.BookingData = booking
		}
		out = append(out, it)
	}
	return out
}
