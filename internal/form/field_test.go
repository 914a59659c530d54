package form

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/ozgo/ozgo/internal/errs"
	"github.com/ozgo/ozgo/internal/fim"
	"github.com/ozgo/ozgo/internal/i18n"
)

func intp(i int) *int { return &i }

func TestCheckField(t *testing.T) {
	cat := i18n.MustLoad()
	plz := &fim.Element{ID: "F1", Datentyp: "text", Praezisierung: fim.Praezisierung{MinLength: intp(5), MaxLength: intp(5), Pattern: "[0-9]{5}"}}
	name := &fim.Element{ID: "F2", Datentyp: "text", Praezisierung: fim.Praezisierung{MaxLength: intp(10)}}
	alter := &fim.Element{ID: "F3", Datentyp: "num_int", Praezisierung: fim.Praezisierung{MinValue: "0", MaxValue: "150"}}
	betrag := &fim.Element{ID: "F4", Datentyp: "num_currency", Praezisierung: fim.Praezisierung{MaxValue: "10000"}}
	datum := &fim.Element{ID: "F5", Datentyp: "date"}
	ja := &fim.Element{ID: "F6", Datentyp: "bool"}
	auswahl := &fim.Element{ID: "F7", Datentyp: "text", Feldart: "select"}
	zeit := &fim.Element{ID: "F8", Datentyp: "datetime"}
	gewicht := &fim.Element{ID: "F9", Datentyp: "num", Praezisierung: fim.Praezisierung{MinValue: "0,5"}}
	latin := &fim.Element{ID: "F11", Datentyp: "text_latin", Praezisierung: fim.Praezisierung{MaxLength: intp(20)}}
	tests := []struct {
		el    *fim.Element
		raw   string
		codes []string
		want  any
		key   string
	}{
		{plz, "72070", nil, "72070", ""},
		{plz, " 72070 ", nil, "72070", ""},
		{plz, "7207", nil, nil, "form.error.too_short"},
		{plz, "7207x", nil, nil, "form.error.pattern"},
		{plz, "720701", nil, nil, "form.error.too_long"},
		{plz, "", nil, nil, ""},
		{name, "Müller-Lüdenscheidt", nil, nil, "form.error.too_long"},
		{name, "Zoë Ünal", nil, "Zoë Ünal", ""},
		{alter, "42", nil, json.Number("42"), ""},
		{alter, "1.000", nil, nil, "form.error.max_value"},
		{alter, "-1", nil, nil, "form.error.min_value"},
		{alter, "4,5", nil, nil, "form.error.integer"},
		{alter, "zwölf", nil, nil, "form.error.integer"},
		{betrag, "1.234,5 €", nil, json.Number("1234.50"), ""},
		{betrag, "12,345", nil, nil, "form.error.currency_precision"},
		{betrag, "10.000,01", nil, nil, "form.error.max_value"},
		{gewicht, "0,4", nil, nil, "form.error.min_value"},
		{gewicht, "0,75", nil, json.Number("0.75"), ""},
		{datum, "31.12.2024", nil, "2024-12-31", ""},
		{datum, "31.11.2024", nil, nil, "form.error.date"},
		{ja, "ja", nil, true, ""},
		{ja, "vielleicht", nil, nil, "form.error.bool"},
		{auswahl, "DE", []string{"DE", "AT"}, "DE", ""},
		{auswahl, "XX", []string{"DE", "AT"}, nil, "form.error.code"},
		{zeit, "31.12.2024 14:30", nil, "2024-12-31T14:30:00+01:00", ""},
		{zeit, "morgen", nil, nil, "form.error.datetime"},
		{&fim.Element{ID: "F10", Datentyp: "file"}, "x", nil, nil, "form.error.unsupported"},
		{name, "a\xffb", nil, nil, "form.error.encoding"},
		// text_latin: DIN 91379 data type C, stored in NFC.
		{latin, "Zoë Ünal-Łukasiewicz", nil, "Zoë Ünal-Łukasiewicz", ""},
		{latin, "Zoe\u0308", nil, "Zoë", ""},
		{latin, "„Zitat“", nil, nil, "form.error.latin"},
		{latin, "Петров", nil, nil, "form.error.latin"},
		{name, "„Zitat“", nil, "„Zitat“", ""},
	}
	for _, tt := range tests {
		got, err := CheckField(tt.el, tt.raw, tt.codes)
		var e *errs.Error
		switch {
		case tt.key == "" && err != nil:
			t.Errorf("%s %q: unexpected error %v", tt.el.ID, tt.raw, err)
		case tt.key != "" && (!errors.As(err, &e) || e.Message != tt.key || e.Field != tt.el.ID || e.Code != errs.Invalid):
			t.Errorf("%s %q: error %v, want %s", tt.el.ID, tt.raw, err, tt.key)
		case tt.key == "" && got != tt.want:
			t.Errorf("%s %q = %#v, want %#v", tt.el.ID, tt.raw, got, tt.want)
		}
		if tt.key != "" && !cat.Has(tt.key) {
			t.Errorf("message %s is not in the catalog", tt.key)
		}
	}
	// Messages read well with their arguments.
	_, err0 := CheckField(latin, "Anna–Lena", nil)
	m0, a0 := errs.MessageArgsOf(err0)
	if got := cat.Resolve("de", m0, a0); !strings.HasPrefix(got, "Das Zeichen „–“ (U+2013) ist in diesem Feld nicht erlaubt.") {
		t.Errorf("latin message = %q", got)
	}
	_, err := CheckField(alter, "200", nil)
	msg, args := errs.MessageArgsOf(err)
	if got := cat.Resolve("de", msg, args); got != "Der Wert darf nicht größer als 150 sein." {
		t.Errorf("message %q", got)
	}
}

// The patterns of the real forms compile as whole-value matches.
func TestRealPatternsCompile(t *testing.T) {
	for _, path := range []string{"../fim/testdata/xdf2/S00000094/S00000094V1.0_xdf2.xml", "../fim/testdata/xdf2/S00000121/S00000121V1.0_xdf2.xml"} {
		doc, err := fim.ParseFile(path)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		doc.Root.Walk(func(c *fim.Child) {
			if p := c.Element.Praezisierung.Pattern; p != "" {
				n++
				if pattern(p) == nil {
					t.Errorf("%s: pattern %q does not compile", c.Element.ID, p)
				}
			}
		})
		t.Logf("%s: %d patterns", path, n)
	}
}

func FuzzCheckField(f *testing.F) {
	f.Add("num_currency", "1.234,56")
	f.Add("date", "31.12.2024")
	f.Add("text", "72070")
	f.Fuzz(func(t *testing.T, typ, raw string) {
		el := &fim.Element{ID: "F", Datentyp: typ, Praezisierung: fim.Praezisierung{MaxLength: intp(20), Pattern: "[0-9]*", MinValue: "-5", MaxValue: "1000000"}}
		v, err := CheckField(el, raw, nil)
		if err == nil && v != nil {
			if _, jerr := json.Marshal(v); jerr != nil {
				t.Fatalf("value %#v does not encode: %v", v, jerr)
			}
		}
	})
}
