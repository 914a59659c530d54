package tenant

import (
	"strings"
	"testing"
)

func TestParseFee(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
		ok   bool
	}{
		{"12", 1200, true}, {"12,50", 1250, true}, {"12.5", 1250, true}, {"0,05", 5, true}, {"12,50 €", 1250, true},
		{"1000000", 100000000, true}, {"1000000,01", 0, false}, {"-1", 0, false}, {"1,234", 0, false}, {"zwölf", 0, false}, {"", 0, false},
	} {
		got, ok := ParseFee(tc.in)
		if ok != tc.ok || ok && got != tc.want {
			t.Errorf("ParseFee(%q) = %d, %v", tc.in, got, ok)
		}
	}
	if FormatFee(1250) != "12,50" || FormatFee(5) != "0,05" {
		t.Error(FormatFee(1250), FormatFee(5))
	}
}

func TestParseCSV(t *testing.T) {
	tests := []struct {
		name  string
		in    string
		rows  int
		lines []int
	}{
		{"semicolon", "ars;behoerde\n084160041041;Amt\n", 1, nil},
		{"comma with BOM", "\ufeffARS,Behoerde,email\n084160041041,Amt,a@x.example\n\n084160041042,Amt,\n", 2, nil},
		{"quoted", "ars;behoerde\n084160041041;\"Amt; Abteilung 2\"\n", 1, nil},
		{"unknown column", "ars;behoerde;farbe\n1;2;3\n", 0, []int{1}},
		{"missing column", "ars\n084160041041\n", 0, []int{1}},
		{"field count", "ars;behoerde\n084160041041;Amt;zu viel\n084160041042;Amt\n", 1, []int{2}},
		{"empty", "ars;behoerde\n", 0, []int{2}},
		{"nothing", "", 0, []int{1}},
		{"bad quote", "ars;behoerde\n084160041041;Amt\n1;\"offen\n", 1, []int{3}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rows, lerrs := ParseCSV(strings.NewReader(tc.in))
			if len(rows) != tc.rows {
				t.Errorf("%d rows, want %d", len(rows), tc.rows)
			}
			var lines []int
			for _, le := range lerrs {
				lines = append(lines, le.Line)
			}
			if len(lines) != len(tc.lines) || len(lines) > 0 && lines[0] != tc.lines[0] {
				t.Errorf("error lines %v, want %v (%v)", lines, tc.lines, lerrs)
			}
		})
	}
	rows, _ := ParseCSV(strings.NewReader("ars;behoerde\n084160041041;Amt\n084160041042;Amt 2\n"))
	if rows[1].Line != 3 || rows[1].In.Authority != "Amt 2" {
		t.Errorf("row %+v", rows[1])
	}
}

func FuzzParseCSV(f *testing.F) {
	f.Add("ars;behoerde;gebuehr;vertrauensniveau\n084160041041;Amt;12,50;hoch\n")
	f.Add("\ufeffars,behoerde\n*,Amt\n")
	f.Add("ars;behoerde\n\"a;b\";\"c\"\"d\"\n")
	v := &Version{Slug: "x", LeiKa: []string{"99010014001001"}, RequiredParams: Params}
	f.Fuzz(func(t *testing.T, in string) {
		rows, lerrs := ParseCSV(strings.NewReader(in))
		for _, le := range lerrs {
			if le.Line < 1 || le.Err == nil {
				t.Fatalf("error without a line: %+v", le)
			}
		}
		for _, r := range rows {
			if r.Line < 2 {
				t.Fatalf("row on line %d", r.Line)
			}
			a, es := ParseActivation(r.In, v)
			if len(es) == 0 && len(a.GemeindeARS) != 12 {
				t.Fatalf("accepted %+v", a)
			}
		}
	})
}

func TestParseFokus(t *testing.T) {
	fs, lerrs := ParseFokus("99023001000000;Führerschein\r\n\n99041006000000 ; Elterngeld\n123;Kurz\n99023001000000;Doppelt\n99107023000000;\n")
	if len(fs) != 2 || fs[1].Name != "Elterngeld" {
		t.Errorf("parsed %+v", fs)
	}
	var lines []int
	for _, le := range lerrs {
		lines = append(lines, le.Line)
	}
	if len(lines) != 3 || lines[0] != 4 || lines[1] != 5 || lines[2] != 6 {
		t.Errorf("error lines %v", lines)
	}
}
