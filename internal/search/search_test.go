package search

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
)

// texts builds Docs with IDs 0, 1, … from names.
func texts(names ...string) []Doc {
	docs := make([]Doc, len(names))
	for i, n := range names {
		docs[i] = Doc{ID: i, Text: n}
	}
	return docs
}

// ids returns the IDs of hits in order.
func ids(hits []Hit) []int {
	out := make([]int, len(hits))
	for i, h := range hits {
		out[i] = h.ID
	}
	return out
}

func TestSearchMatching(t *testing.T) {
	docs := []Doc{
		{ID: 0, Text: "Führerschein Ersterteilung"},
		{ID: 1, Text: "Einziehung einer Straße"},
		{ID: 2, Text: "Hundesteuer Befreiung"},
		{ID: 3, Text: "Gewerbe Ummeldung"},
		{ID: 4, Text: "Wohnsitz ummelden"},
		{ID: 5, Text: "Antrag auf Wohngeld"},
		{ID: 6, Text: "Elterngeld", Extra: []string{"BEEG"}, Codes: []string{"99041001000000"}},
		{ID: 7, Text: "Tübingen, Universitätsstadt", Codes: []string{"084160041041", "08416041", "72070"}},
		{ID: 8, Text: "Mainz-Bingen"},
		{ID: 9, Text: "Förderdarlehen – Nr. 124"},
		{ID: 10, Text: "Die und der"},
		{ID: 11, Text: "Bescheinigung"},
	}
	ix := Build(docs)
	tests := []struct {
		query string
		want  []int // matching IDs, any order
	}{
		{"fuhrerschein", []int{0}},
		{"fuehrerschein", []int{0}},
		{"FÜHRERSCHEIN", []int{0}},
		{"führer", []int{0}},
		{"schein", []int{0, 11}}, // infix, both
		{"strasse", []int{1}},
		{"STRAẞE", []int{1}},
		{"Hund", []int{2}},
		{"Hunde", []int{2}},
		{"steuer", []int{2}},
		{"ummelden", []int{3, 4}},
		{"Ummeldung", []int{3, 4}},
		{"Anträge", []int{5}},
		{"Antrag Wohngeld", []int{5}},
		{"wohngeld antrag", []int{5}},         // order is free
		{"Antrag Elterngeld", nil},            // every word must match
		{"Antrag auf das Wohngeld", []int{5}}, // stop words ignored
		{"BEEG", []int{6}},
		{"99041001000000", []int{6}},
		{"9904", []int{6}},
		{"9", nil}, // one digit: no code prefix
		{"72070", []int{7}},
		{"08", []int{7}},
		{"08416041", []int{7}},
		{"124", []int{9}}, // numbers in Text are tokens
		{"Tübingen", []int{7}},
		{"Mainz", []int{8}},
		{"Bingen", []int{7, 8}}, // "Tübingen" ends with it
		{"MainzBingen", []int{8}},
		{"Mainz Bingen", []int{8}},
		{"die", []int{10}}, // only stop words: they count
		{"fu", nil},        // too short for a prefix
		{"", nil},
		{"   ", nil},
		{"-.,;!", nil},
		{"\xff\xfe", nil},
	}
	for _, tt := range tests {
		got := ids(ix.Search(tt.query, nil))
		slices.Sort(got)
		want := slices.Clone(tt.want)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("Search(%q) = %v, want %v", tt.query, got, want)
		}
	}
}

func TestSearchRanking(t *testing.T) {
	tests := []struct {
		name  string
		docs  []Doc
		query string
		want  []int // IDs in order
	}{
		{
			name:  "(a) whole Text equals the query",
			docs:  texts("Elterngeld Bewilligung", "Elterngeld"),
			query: "elterngeld",
			want:  []int{1, 0},
		},
		{
			name: "(a) primary name before the comma beats a shorter name and a higher boost",
			docs: []Doc{
				{ID: 0, Text: "Tübingen Nord", Boost: 5},
				{ID: 1, Text: "Tübingen, Universitätsstadt"},
			},
			query: "Tübingen",
			want:  []int{1, 0},
		},
		{
			name: "(a) exact matches among themselves go by Boost, the qualifier does not count as length",
			docs: []Doc{
				{ID: 0, Text: "Tübingen", Boost: 2},
				{ID: 1, Text: "Tübingen, Universitätsstadt", Boost: 3.5},
				{ID: 2, Text: "Tübingen, Universitätsstadt", Boost: 0.5},
				{ID: 3, Text: "Reg.-Bez. Tübingen", Boost: 9},
			},
			query: "Tübingen",
			want:  []int{1, 0, 2, 3},
		},
		{
			name:  "(a) a parenthesised qualifier too",
			docs:  texts("Halle Neustadt", "Halle (Saale), Stadt"),
			query: "halle",
			want:  []int{1, 0},
		},
		{
			name:  "(a) separators do not matter",
			docs:  texts("Hundesteuer Befreiung", "Hundesteuer"),
			query: "Hunde-Steuer",
			want:  []int{1, 0},
		},
		{
			name:  "(b) a match at the start beats a better match later",
			docs:  texts("Befreiung Hund", "Hundesteuer Befreiung"),
			query: "hund",
			want:  []int{1, 0},
		},
		{
			name: "(c) exact > stem > prefix > stem prefix > compound end > infix > Extra only",
			docs: []Doc{
				{ID: 0, Text: "A Kfzummeldeamt"},
				{ID: 1, Text: "B Kfzummeldung"},
				{ID: 2, Text: "C Ummeldebescheid"},
				{ID: 3, Text: "D Ummeldungsbescheid"},
				{ID: 4, Text: "E Ummelden"},
				{ID: 5, Text: "F Ummeldung"},
				{ID: 6, Text: "0 Anderes", Extra: []string{"Ummeldung"}},
			},
			query: "ummeldung",
			want:  []int{5, 4, 3, 2, 1, 0, 6},
		},
		{
			name: "(c) exact code > code prefix",
			docs: []Doc{
				{ID: 0, Text: "A", Codes: []string{"084160041041"}},
				{ID: 1, Text: "B", Codes: []string{"08416"}},
			},
			query: "08416",
			want:  []int{1, 0},
		},
		{
			name:  "(c) summed over the query words",
			docs:  texts("Hundesteuer Befreiungen", "Hundesteuer Befreiung"),
			query: "hundesteuer befreiung",
			want:  []int{1, 0},
		},
		{
			name: "(d) fewer tokens beat a higher boost",
			docs: []Doc{
				{ID: 0, Text: "Elterngeld Bewilligung Antrag", Boost: 9},
				{ID: 1, Text: "Elterngeld Informationserteilung"},
				{ID: 2, Text: "Elterngeld Bewilligung"},
			},
			query: "elterngeld",
			want:  []int{2, 1, 0}, // 2 and 1 by (f)
		},
		{
			name: "(e) boost among equally long names",
			docs: []Doc{
				{ID: 0, Text: "Hundesteuer Befreiung"},
				{ID: 1, Text: "Hundesteuer Festsetzung", Boost: 0.5},
			},
			query: "hundesteuer",
			want:  []int{1, 0},
		},
		{
			name:  "(f) normalized alphabetical order, umlauts folded, then ID",
			docs:  []Doc{{ID: 7, Text: "Gewerbe Ummeldung"}, {ID: 3, Text: "Gewerbe Ummeldung"}, {ID: 1, Text: "Gewerbe Änderung"}, {ID: 0, Text: "Gewerbe Anzeige"}},
			query: "gewerbe",
			want:  []int{1, 0, 3, 7},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hits := Build(tt.docs).Search(tt.query, nil)
			if got := ids(hits); !slices.Equal(got, tt.want) {
				t.Errorf("Search(%q) = %v, want %v", tt.query, got, tt.want)
			}
			for i := 1; i < len(hits); i++ {
				if hits[i].Score > hits[i-1].Score {
					t.Errorf("Score rises at %d: %v", i, hits)
				}
			}
		})
	}
}

func TestSearchScore(t *testing.T) {
	ix := Build(texts("Elterngeld", "Elterngeld Bewilligung", "Bewilligung Elterngeld", "x", "Elterngeldstelle"))
	got := map[int]float64{}
	for _, h := range ix.Search("Elterngeld", nil) {
		got[h.ID] = h.Score
	}
	want := map[int]float64{0: 132, 1: 32, 2: 12, 4: 30}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("scores = %v, want %v", got, want)
	}
}

func TestSearchKeep(t *testing.T) {
	ix := Build(texts("Hundesteuer", "Hundesteuer Befreiung", "Hundehaltung"))
	calls := map[int]int{}
	got := ids(ix.Search("hund", func(id int) bool {
		calls[id]++
		return id != 0
	}))
	if !slices.Equal(got, []int{2, 1}) {
		t.Errorf("got %v", got)
	}
	for id, n := range calls {
		if n != 1 {
			t.Errorf("keep(%d) called %d times", id, n)
		}
	}
	if len(calls) != 3 {
		t.Errorf("keep called for %v", calls)
	}
	if hits := ix.Search("hund", func(int) bool { return false }); hits != nil {
		t.Errorf("all filtered: got %v", hits)
	}
}

func TestSearchKeepPanics(t *testing.T) {
	ix := Build(texts("Hundesteuer", "Hundesteuer Befreiung"))
	func() {
		defer func() { _ = recover() }()
		ix.Search("hund", func(int) bool { panic("boom") })
	}()
	// The interrupted search must not leave state behind for the next.
	if got := ids(ix.Search("befreiung", nil)); !slices.Equal(got, []int{1}) {
		t.Errorf("after a panic: %v", got)
	}
	if got := ids(ix.Search("hund", nil)); !slices.Equal(got, []int{0, 1}) {
		t.Errorf("after a panic: %v", got)
	}
}

func TestSearchLimits(t *testing.T) {
	long := strings.Repeat("ä", maxQueryRunes)
	words := "eins zwei drei vier funf sechs sieben acht neun zehn"
	ix := Build(texts(long, words, "Elterngeld"))
	tests := []struct {
		name, query string
		want        []int
	}{
		{"runes past the limit are cut", long + " nichtda", []int{0}},
		{"a word cut in two is dropped", "elterngeld " + long[:len(long)-2] + "nichtda", []int{2}},
		{"unless it is the only one", long + "x", []int{0}},
		{"words past the tenth are ignored", words + " nichtda", []int{1}},
		{"the tenth word still counts", "elf " + words, nil},
		{"repeated words count once", strings.Repeat("elterngeld ", 50), []int{2}},
	}
	for _, tt := range tests {
		if got := ids(Build(nil).Search(tt.query, nil)); got != nil && len(got) != 0 {
			t.Errorf("empty index: %v", got)
		}
		if got := ids(ix.Search(tt.query, nil)); !slices.Equal(got, tt.want) && !(len(got) == 0 && len(tt.want) == 0) {
			t.Errorf("%s: got %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestBuildEdgeCases(t *testing.T) {
	ix := Build([]Doc{
		{ID: 5, Text: ""},        // nothing to find by name
		{ID: 5, Text: "Doppelt"}, // duplicate IDs are kept
		{ID: 6, Text: "Doppelt Doppelt", Extra: []string{"Doppelt", ""}}, // repeats merge
		{ID: 7, Codes: []string{"08 416", "", "abc"}},                    // separators in codes are ignored
		{ID: 8, Text: "NaN", Boost: nan()},
	})
	if got := ids(ix.Search("doppelt", nil)); !slices.Equal(got, []int{5, 6}) {
		t.Errorf("doppelt: %v", got)
	}
	if got := ids(ix.Search("08416", nil)); !slices.Equal(got, []int{7}) {
		t.Errorf("08416: %v", got)
	}
	if got := ids(ix.Search("nan", nil)); !slices.Equal(got, []int{8}) {
		t.Errorf("nan: %v", got)
	}
}

func nan() float64 {
	zero := 0.0
	return zero / zero
}

func TestSearchConcurrent(t *testing.T) {
	docs := catalogDocs(t)
	ix := Build(docs)
	queries := []string{"Elterngeld", "fuhrerschein", "hund", "steuer", "bau", "08", "ummelden"}
	want := make([][]Hit, len(queries))
	for i, q := range queries {
		want[i] = ix.Search(q, nil)
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for n := range 50 {
				i := (g + n) % len(queries)
				if got := ix.Search(queries[i], nil); !slices.Equal(got, want[i]) {
					t.Errorf("%q: results differ under concurrency", queries[i])
					return
				}
			}
		})
	}
	wg.Wait()
}
