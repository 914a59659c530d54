package search

import (
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

// fuzzSeeds are queries and names that exercise the folding and matching.
var fuzzSeeds = []string{
	"", " ", "Führerschein", "FUEHRERSCHEIN", "Straße", "Reg.-Bez. Tübingen",
	"Unternehmensführung & -entwicklung", "Mainz-Bingen", "08416", "72070",
	"99012001001000", "Hunde steuer", "die und der", "Fu\u0308hrer\u00adschein",
	"ＡＢＣ", "\xff\xfe", "aee", "quee", "ẞ", "æ", "İstanbul", "ǅ", strings.Repeat("ab ", 300),
}

func FuzzNormalize(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n := Normalize(s)
		if !utf8.ValidString(n) {
			t.Fatalf("Normalize(%q) = %q is not valid UTF-8", s, n)
		}
		if strings.HasPrefix(n, " ") || strings.HasSuffix(n, " ") || strings.Contains(n, "  ") {
			t.Fatalf("Normalize(%q) = %q: bad spacing", s, n)
		}
		if strings.ToLower(n) != n && asciiUpper(n) {
			t.Fatalf("Normalize(%q) = %q has upper-case ASCII", s, n)
		}
		if n2 := Normalize(n); n2 != n {
			t.Fatalf("not idempotent: Normalize(%q) = %q, Normalize(that) = %q", s, n, n2)
		}
	})
}

// asciiUpper reports whether s contains an ASCII capital letter.
func asciiUpper(s string) bool {
	return strings.IndexFunc(s, func(r rune) bool { return 'A' <= r && r <= 'Z' }) >= 0
}

func FuzzTokens(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		toks := Tokens(s)
		if got := strings.Join(toks, " "); got != Normalize(s) {
			t.Fatalf("Tokens(%q) = %q, Normalize = %q", s, toks, Normalize(s))
		}
		for _, tok := range toks {
			if tok == "" || strings.ContainsRune(tok, ' ') || Normalize(tok) != tok {
				t.Fatalf("Tokens(%q): bad token %q", s, tok)
			}
			if st := Stem(tok); st == "" || !strings.HasPrefix(tok, st) {
				t.Fatalf("Stem(%q) = %q", tok, st)
			}
		}
	})
}

// fuzzIndex is a small index with the kinds of names the fuzzer should hit.
var fuzzIndex = Build([]Doc{
	{ID: 0, Text: "Führerschein Ersterteilung", Codes: []string{"99023001001000"}},
	{ID: 1, Text: "Tübingen, Universitätsstadt", Codes: []string{"084160041041", "08416041", "72070"}, Boost: 3},
	{ID: 2, Text: "Reg.-Bez. Tübingen", Codes: []string{"084"}},
	{ID: 3, Text: "Hundesteuer", Extra: []string{"KAG", "Hund anmelden"}},
	{ID: 4, Text: "Hundesteuer Befreiung"},
	{ID: 5, Text: "Mainz-Bingen"},
	{ID: 6, Text: "Einziehung einer Straße"},
	{ID: 7, Text: "Die und der"},
	{ID: 8, Text: ""},
	{ID: 9, Text: "ab ab ab"},
})

func FuzzSearch(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s, uint8(0))
	}
	f.Add("tübingen", uint8(2))
	f.Fuzz(func(t *testing.T, q string, drop uint8) {
		keep := func(id int) bool { return id != int(drop) }
		hits := fuzzIndex.Search(q, keep)
		if !slices.Equal(hits, fuzzIndex.Search(q, keep)) {
			t.Fatalf("Search(%q) is not deterministic", q)
		}
		seen := map[int]bool{}
		for i, h := range hits {
			if seen[h.ID] || h.ID == int(drop) || h.ID < 0 || h.ID > 9 {
				t.Fatalf("Search(%q): bad hit %v in %v", q, h, hits)
			}
			seen[h.ID] = true
			if i > 0 && h.Score > hits[i-1].Score {
				t.Fatalf("Search(%q): Score rises: %v", q, hits)
			}
		}
		if strings.TrimSpace(Normalize(q)) == "" && len(hits) > 0 {
			t.Fatalf("Search(%q) without words found %v", q, hits)
		}
	})
}
