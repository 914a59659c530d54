package din91379

import (
	"testing"
	"unicode/utf8"
)

func TestCheck(t *testing.T) {
	cases := []struct {
		s    string
		t    Type
		ok   bool
		char rune
	}{
		{"Nœl Schmidt-Strauß", TypeA, true, 0},
		{"Zoë O'Brien", TypeA, true, 0},
		{"Karl-Bröger-Straße 17", TypeA, false, '1'},
		{"Karl-Bröger-Straße 17", TypeB, true, 0},
		{"Ärger & Co. KG", TypeB, true, 0},
		{"Ein Absatz\r\nund noch einer\tmit Tab", TypeB, false, '\r'},
		{"Ein Absatz\r\nund noch einer\tmit Tab", TypeC, true, 0},
		{"½ Stunde", TypeC, true, 0},
		{"½ Stunde", TypeB, false, '½'},
		// Sequences: a letter with combining marks that has no
		// precomposed form ("L̥̄", Sanskrit transliteration).
		{"L\u0325\u0304", TypeA, true, 0},
		// Decomposed input is checked in NFC: "A" + combining diaeresis = "Ä".
		{"A\u0308rger", TypeA, true, 0},
		// A combining mark that forms no defined sequence is only allowed
		// in type C, where the marks are a group of their own.
		{"Q\u0308", TypeA, false, '\u0308'},
		{"Q\u0308", TypeC, true, 0},
		{"Привет", TypeC, false, 'П'},
		{"emoji 😀", TypeC, false, '😀'},
		{"Œuvre – mit Gedankenstrich", TypeC, false, '–'},
		{"", TypeA, true, 0},
	}
	for _, c := range cases {
		err := Check(c.s, c.t)
		if (err == nil) != c.ok {
			t.Errorf("Check(%q, %d) = %v, want ok=%v", c.s, c.t, err, c.ok)
			continue
		}
		if err != nil && err.Char != c.char {
			t.Errorf("Check(%q, %d) flags %U, want %U", c.s, c.t, err.Char, c.char)
		}
	}
}

func TestTableLoaded(t *testing.T) {
	loadOnce.Do(load)
	// The normative list of DIN 91379:2022-08: 500 letters, 149 letter
	// sequences, 18+60+6+4 non-letters and 20 combining diacritics.
	if got := len(set.single); got != 500+18+60+6+4+20 {
		t.Errorf("single characters = %d", got)
	}
	if got := len(set.seqs); got < 140 {
		t.Errorf("sequences = %d", got)
	}
	if set.maxSeq != 3 {
		t.Errorf("longest sequence = %d code points, want 3", set.maxSeq)
	}
}

func FuzzCheck(f *testing.F) {
	for _, s := range []string{"Müller", "L\u0325\u0304", "a\u0308\u0308", "\xff", "K\u035Fh"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, ty := range []Type{TypeA, TypeB, TypeC} {
			err := Check(s, ty)
			if err != nil && err.Offset >= utf8.RuneCountInString(Normalize(s)) {
				t.Fatalf("offset %d outside the text", err.Offset)
			}
			// A wider type accepts whatever a narrower one does.
			if err == nil && ty < TypeC && Check(s, ty+1) != nil {
				t.Fatalf("%q valid in type %d but not in %d", s, ty, ty+1)
			}
		}
		if Valid(s, TypeC) && !Valid(Normalize(s), TypeC) {
			t.Fatalf("normalising changed validity of %q", s)
		}
	})
}
