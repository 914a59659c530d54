package search

import (
	"slices"
	"strings"
	"testing"
)

func TestNormalize(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Führerschein", "fuhrerschein"},
		{"FÜHRERSCHEIN", "fuhrerschein"},
		{"Fuehrerschein", "fuhrerschein"},
		{"fuhrerschein", "fuhrerschein"},
		{"Fu\u0308hrerschein", "fuhrerschein"}, // decomposed ü
		{"Führer\u00adschein", "fuhrerschein"}, // soft hyphen
		{"Straße", "strasse"},
		{"STRASSE", "strasse"},
		{"Straẞe", "strasse"}, // capital sharp s
		{"Ärzte Aerzte ärzte", "arzte arzte arzte"},
		{"Öffnung Oeffnung", "offnung offnung"},
		// Diphthongs and "qu" keep their e, so these stay readable.
		{"Hundesteuer Bauer neue Quelle Feuer", "hundesteuer bauer neue quelle feuer"},
		{"Café Łódź Škoda Ærø", "cafe lodz skoda aro"},
		{"ＡＢＣ１２", "abc12"}, // fullwidth
		{"Reg.-Bez. Tübingen", "reg bez tubingen"},
		{"Unternehmensführung & -entwicklung", "unternehmensfuhrung entwicklung"},
		{"(Baumuster-) Prüfung", "baumuster prufung"},
		{"§18c UStG – Nr. 124", "18c ustg nr 124"},
		{"Tübingen, Universitätsstadt", "tubingen universitatsstadt"},
		{"ΕΛΛΗΝΙΚΆ", "ελληνικά"}, // other scripts are only lowercased
		{"", ""},
		{"  \t\n ", ""},
		{"--- ... ,;", ""},
		{"a\xffb", "a b"}, // invalid UTF-8 separates
		{"\xc3", ""},
	}
	for _, tt := range tests {
		if got := Normalize(tt.in); got != tt.want {
			t.Errorf("Normalize(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestTokens(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"Mainz-Bingen", []string{"mainz", "bingen"}},
		{"Anmeldung eines Hundes", []string{"anmeldung", "eines", "hundes"}},
		{"Elterngeld  Elterngeld", []string{"elterngeld", "elterngeld"}},
		{"...", nil},
	}
	for _, tt := range tests {
		if got := Tokens(tt.in); !slices.Equal(got, tt.want) {
			t.Errorf("Tokens(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestCompounds(t *testing.T) {
	tests := []struct {
		in   string
		want []string // joined compounds, "^" marks one at the start
	}{
		{"Mainz-Bingen", []string{"^mainzbingen"}},
		{"Brüder-Grimm-Stadt Hanau", []string{"^brudergrimmstadt"}},
		{"Stadt Baden-Baden", []string{"badenbaden"}},
		{"Reg.-Bez. Tübingen", nil},          // ".-" is no compound hyphen
		{"Berg- und Universitätsstadt", nil}, // nor a dangling one
		{"Unternehmensführung & -entwicklung", nil},
		{"Wenningstedt-Braderup (Sylt)", []string{"^wenningstedtbraderup"}},
	}
	for _, tt := range tests {
		var got []string
		addCompounds(words(tt.in), func(tok string, start bool) {
			if start {
				tok = "^" + tok
			}
			got = append(got, tok)
		})
		if !slices.Equal(got, tt.want) {
			t.Errorf("compounds of %q = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestStem(t *testing.T) {
	tests := []struct{ in, want string }{
		{"ummelden", "ummeld"},
		{"ummeldung", "ummeld"},
		{"ummeldungen", "ummeld"},
		{"hund", "hund"},
		{"hunde", "hund"},
		{"hundes", "hund"},
		{"hunden", "hund"},
		{"antrag", "antrag"},
		{"antrage", "antrag"}, // Anträge
		{"antrags", "antrag"},
		{"leistungen", "leist"},
		{"kinder", "kind"},
		{"kindern", "kind"},
		{"gebuhren", "gebuhr"},
		{"regeln", "regel"},
		{"seen", "see"},
		{"arztinnen", "arztin"},
		{"arztin", "arztin"},
		{"schein", "schein"},
		{"haus", "haus"}, // s after a vowel stays
		{"kurs", "kurs"}, // too short for the genitive rule
		{"ehe", "ehe"},   // minimum stem length
		{"bauen", "bau"},
		{"eu", "eu"},
		{"124", "124"},
		{"18c", "18c"},
		{"", ""},
	}
	for _, tt := range tests {
		got := Stem(tt.in)
		if got != tt.want {
			t.Errorf("Stem(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if !strings.HasPrefix(tt.in, got) {
			t.Errorf("Stem(%q) = %q is not a prefix", tt.in, got)
		}
	}
}
