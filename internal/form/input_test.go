package form

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestParseNumber(t *testing.T) {
	ok := map[string]string{
		"1.234,56": "1234.56", "1234,56": "1234.56", "1234.56": "1234.56", "1.234": "1234", "1.5": "1.5",
		"1.234.567,8": "1234567.8", "1.234.567": "1234567", "-3,5": "-3.5", "+7": "7", "0,50": "0.5",
		"1 234 567,89": "1234567.89", "1\u202f234,5": "1234.5", " 42 ": "42", "007": "7", ",5": "0.5",
		"-0": "0", "12.3456": "12.3456", "0.001": "0.001",
	}
	for in, want := range ok {
		got, err := ParseNumber(in)
		if err != nil || got != want {
			t.Errorf("ParseNumber(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"", "abc", "1,2,3", "1.23,4.5", "12.34.5", "1.2345,6", "1,", "--1", "1e5", "0x10", "1,5a", ".", "1..2", "12345.678.9"} {
		if got, err := ParseNumber(in); err == nil {
			t.Errorf("ParseNumber(%q) = %q, want an error", in, got)
		}
	}
}

func TestParseIntegerAndCurrency(t *testing.T) {
	if n, err := ParseInteger("1.000"); err != nil || n != "1000" {
		t.Errorf("ParseInteger(1.000) = %q %v", n, err)
	}
	if _, err := ParseInteger("1,5"); err == nil {
		t.Error("1,5 accepted as integer")
	}
	for in, want := range map[string]string{"12,50 €": "12.50", "€ 3": "3.00", "1.234,5 EUR": "1234.50", "0,99": "0.99"} {
		if got, err := ParseCurrency(in); err != nil || got != want {
			t.Errorf("ParseCurrency(%q) = %q %v, want %q", in, got, err, want)
		}
	}
	if _, err := ParseCurrency("1,999"); err != ErrTooPrecise {
		t.Errorf("1,999 €: %v", err)
	}
}

func TestParseDateTime(t *testing.T) {
	for in, want := range map[string]string{"31.12.2024": "2024-12-31", "1.2.2024": "2024-02-01", "29.02.2024": "2024-02-29", "2024-12-31": "2024-12-31", " 01.01.1900 ": "1900-01-01"} {
		if got, err := ParseDate(in); err != nil || got != want {
			t.Errorf("ParseDate(%q) = %q %v, want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"31.02.2024", "29.02.2023", "1.2.24", "2024/12/31", "32.1.2024", "", "31.12.", "a.b.cdef", "2024-1-1x"} {
		if got, err := ParseDate(in); err == nil {
			t.Errorf("ParseDate(%q) = %q, want an error", in, got)
		}
	}
	for in, want := range map[string]string{"14:30": "14:30:00", "14.30": "14:30:00", "9:05 Uhr": "09:05:00", "23:59:59": "23:59:59"} {
		if got, err := ParseTime(in); err != nil || got != want {
			t.Errorf("ParseTime(%q) = %q %v, want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"24:00", "12:60", "1230", "12:3", "12:30:61", ""} {
		if got, err := ParseTime(in); err == nil {
			t.Errorf("ParseTime(%q) = %q, want an error", in, got)
		}
	}
	for in, want := range map[string]string{
		"31.12.2024 14:30":          "2024-12-31T14:30:00+01:00",
		"01.07.2024, 9:00 Uhr":      "2024-07-01T09:00:00+02:00",
		"2024-07-01T09:00:00Z":      "2024-07-01T09:00:00Z",
		"2024-07-01T09:00:00+02:00": "2024-07-01T09:00:00+02:00",
	} {
		if got, err := ParseDateTime(in); err != nil || got != want {
			t.Errorf("ParseDateTime(%q) = %q %v, want %q", in, got, err, want)
		}
	}
	if _, err := ParseDateTime("31.12.2024"); err == nil {
		t.Error("date without time accepted as date-time")
	}
}

func TestFormat(t *testing.T) {
	for in, want := range map[string]string{"1234.56": "1.234,56", "-1001": "-1.001", "0.5": "0,5", "100": "100", "1234567": "1.234.567"} {
		if got := FormatNumber(in); got != want {
			t.Errorf("FormatNumber(%q) = %q, want %q", in, got, want)
		}
	}
	if got := FormatDate("2024-12-31"); got != "31.12.2024" {
		t.Errorf("FormatDate = %q", got)
	}
}

func TestParseBool(t *testing.T) {
	for in, want := range map[string]bool{"ja": true, "Nein": false, "true": true, "on": true, "0": false} {
		if got, err := ParseBool(in); err != nil || got != want {
			t.Errorf("ParseBool(%q) = %v %v", in, got, err)
		}
	}
	if _, err := ParseBool("vielleicht"); err == nil {
		t.Error("vielleicht accepted")
	}
}

func FuzzParseNumber(f *testing.F) {
	for _, s := range []string{"1.234,56", "1.5", "-3", "1 234", ",5", "1.2.3"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := ParseNumber(s)
		if err != nil {
			return
		}
		if _, ok := Rat(n); !ok {
			t.Fatalf("ParseNumber(%q) = %q, which is not a number", s, n)
		}
		// Shown the German way, it reads back to the same number.
		if again, err := ParseNumber(FormatNumber(n)); err != nil || again != n {
			t.Fatalf("round trip: %q -> %q -> %q -> %q %v", s, n, FormatNumber(n), again, err)
		}
	})
}

func FuzzParseDate(f *testing.F) {
	for _, s := range []string{"31.12.2024", "2024-02-29", "1.2.2024", "31.02.2024"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDate(s)
		if err != nil {
			return
		}
		if len(d) != 10 || !utf8.ValidString(d) {
			t.Fatalf("ParseDate(%q) = %q", s, d)
		}
		if again, err := ParseDate(FormatDate(d)); err != nil || again != d {
			t.Fatalf("round trip: %q -> %q -> %q -> %q", s, d, FormatDate(d), again)
		}
		if _, err := ParseDateTime(d + " 12:00"); err != nil && !strings.HasPrefix(d, "0000") {
			t.Fatalf("date %q not usable in a date-time: %v", d, err)
		}
	})
}
