package inbox

import (
	"reflect"
	"testing"
)

func TestNameWords(t *testing.T) {
	for in, want := range map[string][]string{
		"Müller-Lüdenscheidt": {"muller", "ludenscheidt"},
		"MUELLER":             {"muller"},
		"Ana Núñez":           {"ana", "nunez"},
		"Strauß, J.":          {"strauss"},
		"":                    nil,
	} {
		if got := nameWords(in); !reflect.DeepEqual(got, want) {
			t.Errorf("nameWords(%q) = %v, want %v", in, got, want)
		}
	}
}

func TestFillTemplate(t *testing.T) {
	v := map[string]string{"Familienname": "Mustermann", "Vorgangsnummer": "2026-AAAA-BBBB"}
	for in, want := range map[string]string{
		"Sehr geehrte Frau {Familienname}, Vorgang {Vorgangsnummer}.": "Sehr geehrte Frau Mustermann, Vorgang 2026-AAAA-BBBB.",
		"{Unbekannt} bleibt":           "{Unbekannt} bleibt",
		"offen { ohne Ende":            "offen { ohne Ende",
		"{Familienname}{Familienname}": "MustermannMustermann",
	} {
		if got := FillTemplate(in, v); got != want {
			t.Errorf("FillTemplate(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzFillTemplate(f *testing.F) {
	f.Add("Hallo {Familienname} {x")
	f.Fuzz(func(t *testing.T, s string) {
		out := FillTemplate(s, map[string]string{"Familienname": "M"})
		if len(out) > len(s)*2+16 {
			t.Fatalf("output grew too much: %d from %d", len(out), len(s))
		}
	})
}

func TestLooksLikeReference(t *testing.T) {
	for in, want := range map[string]bool{"2026-7K3M-Q9XD": true, "2026-7k3m-q9xd": true, "2026-7K3M-Q9X": false, "Mustermann": false} {
		if got := looksLikeReference(in); got != want {
			t.Errorf("%q: %v", in, got)
		}
	}
}

// FuzzExternalNames: the name fields of an external sender's application
// (JSON of unknown shape, decrypted) are found without panicking, and only
// string values are returned.
func FuzzExternalNames(f *testing.F) {
	f.Add([]byte(`{"antragsteller":{"familienname":"Muster","vorname":"Erika"},"name":["A","B"]}`))
	f.Add([]byte(`[1,2,{"nachname":null}]`))
	f.Add([]byte(`"x"`))
	f.Fuzz(func(t *testing.T, data []byte) {
		keys := nameKeysOf(data)
		for _, n := range applicantNames(data, keys) {
			_ = nameWords(n)
		}
	})
}

func TestNameKeysOf(t *testing.T) {
	keys := nameKeysOf([]byte(`{"antragsteller":{"familienname":"Muster","Vorname":"Erika","strasse":"Am Markt"},"name":"Firma"}`))
	if !keys["familienname"] || !keys["Vorname"] || !keys["name"] || keys["strasse"] || keys["antragsteller"] {
		t.Errorf("keys: %v", keys)
	}
	names := applicantNames([]byte(`{"antragsteller":{"familienname":"Muster","strasse":"Am Markt"}}`), keys)
	if len(names) != 1 || names[0] != "Muster" {
		t.Errorf("names: %v", names)
	}
}
