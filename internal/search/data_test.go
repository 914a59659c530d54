package search

import (
	"encoding/csv"
	"encoding/json"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// leistung is the part of a LeiKa-Leistung in ozg-katalog.json the tests use.
type leistung struct {
	Name            string  `json:"name"`
	Schluessel      *string `json:"leika_schluessel"`
	Rechtsgrundlage *string `json:"rechtsgrundlagen_kurz"`
}

// region is one row of regionen.csv.
type region struct {
	ebene, ars, ags, name, art, plz string
	bevoelkerung                    int
}

var (
	catalogOnce sync.Once
	catalog     []leistung
	catalogErr  error
	regionsOnce sync.Once
	regions     []region
	regionsErr  error
)

// loadCatalog reads the LeiKa-Leistungen of the real catalog once.
func loadCatalog(tb testing.TB) []leistung {
	tb.Helper()
	catalogOnce.Do(func() {
		b, err := os.ReadFile("../catalog/data/ozg-katalog.json")
		if err != nil {
			catalogErr = err
			return
		}
		var f struct {
			Leistungen []leistung `json:"leika_leistungen"`
		}
		catalogErr = json.Unmarshal(b, &f)
		catalog = f.Leistungen
	})
	if catalogErr != nil {
		tb.Fatal(catalogErr)
	}
	return catalog
}

// catalogDocs turns the catalog into Docs the way a caller would: the name
// as Text, the law short names as Extra, the LeiKa key as Code.
func catalogDocs(tb testing.TB) []Doc {
	ls := loadCatalog(tb)
	docs := make([]Doc, len(ls))
	for i, l := range ls {
		d := Doc{ID: i, Text: l.Name}
		if l.Rechtsgrundlage != nil {
			d.Extra = strings.Split(*l.Rechtsgrundlage, ",")
		}
		if l.Schluessel != nil {
			d.Codes = []string{*l.Schluessel}
		}
		docs[i] = d
	}
	return docs
}

// loadRegions reads the real region list once.
func loadRegions(tb testing.TB) []region {
	tb.Helper()
	regionsOnce.Do(func() {
		f, err := os.Open("../catalog/data/regionen.csv")
		if err != nil {
			regionsErr = err
			return
		}
		defer f.Close()
		rows, err := csv.NewReader(f).ReadAll()
		if err != nil {
			regionsErr = err
			return
		}
		for _, r := range rows[1:] { // header: ebene,ars,ags,name,art,uebergeordnet_ars,flaeche_km2,bevoelkerung,plz,…
			pop, _ := strconv.Atoi(r[7])
			regions = append(regions, region{ebene: r[0], ars: r[1], ags: r[2], name: r[3], art: r[4], plz: r[8], bevoelkerung: pop})
		}
	})
	if regionsErr != nil {
		tb.Fatal(regionsErr)
	}
	return regions
}

// regionDocs turns the regions into Docs with the Boost a caller would
// choose: Gemeinden first among equal matches, then by population.
func regionDocs(tb testing.TB) []Doc {
	rs := loadRegions(tb)
	docs := make([]Doc, len(rs))
	for i, r := range rs {
		boost := map[string]float64{"gemeinde": 3, "kreis": 2, "land": 2.5, "regierungsbezirk": 1, "gemeindeverband": 0.5}[r.ebene]
		if r.bevoelkerung > 0 {
			boost += math.Log10(float64(r.bevoelkerung)) / 10
		}
		d := Doc{ID: i, Text: r.name, Codes: []string{r.ars}, Boost: boost}
		if r.ags != "" {
			d.Codes = append(d.Codes, r.ags)
		}
		if r.plz != "" {
			d.Codes = append(d.Codes, r.plz)
		}
		if r.art != "" {
			d.Extra = []string{r.art}
		}
		docs[i] = d
	}
	return docs
}

// names returns the Text of the docs of hits, in order.
func names(docs []Doc, hits []Hit) []string {
	out := make([]string, len(hits))
	for i, h := range hits {
		out[i] = docs[h.ID].Text
	}
	return out
}

// top returns at most n elements of s.
func top[T any](s []T, n int) []T { return s[:min(n, len(s))] }

func TestCatalogExamples(t *testing.T) {
	docs := catalogDocs(t)
	ix := Build(docs)
	if ix.Len() != 5251 {
		t.Fatalf("catalog has %d docs, want 5251", ix.Len())
	}
	contains := func(sub string) []string {
		var out []string
		for _, d := range docs {
			if strings.Contains(strings.ToLower(d.Text), sub) {
				out = append(out, d.Text)
			}
		}
		return out
	}
	index := func(got []string, name string) int {
		for i, n := range got {
			if n == name {
				return i
			}
		}
		return -1
	}
	tests := []struct {
		query string
		check func(t *testing.T, got []string)
	}{
		{"Elterngeld", func(t *testing.T, got []string) {
			want := []string{"Elterngeld", "Elterngeld Berechnung", "Elterngeld Bewilligung", "Elterngeld Informationserteilung"}
			if !slices.Equal(top(got, 4), want) {
				t.Errorf("top 4 = %q, want %q", top(got, 4), want)
			}
		}},
		{"fuhrerschein", nil},
		{"fuehrerschein", nil},
		{"FÜHRERSCHEIN", nil},
		{"Hund", func(t *testing.T, got []string) {
			for _, n := range contains("hundesteuer") {
				if index(got, n) < 0 {
					t.Errorf("%q missing", n)
				}
			}
			if a, b := index(got, "Hundesteuer"), index(got, "Hundesteuer Befreiung"); a < 0 || a > b {
				t.Errorf(`"Hundesteuer" at %d, "Hundesteuer Befreiung" at %d`, a, b)
			}
			if index(got, "Hundehaltung Anmeldung Kampfhund") < 0 {
				t.Error("compound Kampfhund not found")
			}
		}},
		{"Hunde", func(t *testing.T, got []string) {
			if index(got, "Hundesteuer") < 0 {
				t.Error(`"Hundesteuer" missing`)
			}
		}},
		{"ummelden", func(t *testing.T, got []string) {
			want := contains("ummeldung")
			if len(want) == 0 {
				t.Fatal("data has no Ummeldung any more")
			}
			for _, n := range want {
				if index(got, n) < 0 {
					t.Errorf("%q missing", n)
				}
			}
		}},
		{"Anträge", func(t *testing.T, got []string) {
			if index(got, "Antrag auf Notenverbesserung") < 0 {
				t.Error(`"Antrag auf Notenverbesserung" missing`)
			}
		}},
		{"strasse", func(t *testing.T, got []string) {
			if index(got, "Einziehung einer Straße") < 0 {
				t.Error(`"Einziehung einer Straße" missing`)
			}
		}},
		{"steuer", func(t *testing.T, got []string) {
			if i := index(got, "Hundesteuer"); i < 0 {
				t.Error(`"Hundesteuer" missing`)
			}
		}},
		{"schein", func(t *testing.T, got []string) {
			if index(got, "Führerschein") < 0 {
				t.Error(`"Führerschein" missing`)
			}
		}},
		{"BEEG", func(t *testing.T, got []string) {
			if len(got) == 0 || got[0] != "Elterngeld" {
				t.Errorf("law short name: top = %q", top(got, 3))
			}
		}},
		{"99012001001000", func(t *testing.T, got []string) {
			if !slices.Equal(got, []string{"Abbruchgenehmigung Erteilung"}) {
				t.Errorf("LeiKa key: got %q", got)
			}
		}},
		{"99012001", func(t *testing.T, got []string) {
			if len(got) != 2 || got[0] != "Abbruchgenehmigung" {
				t.Errorf("LeiKa prefix: got %q", got)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			got := names(docs, ix.Search(tt.query, nil))
			t.Logf("%d hits, top 5: %q", len(got), top(got, 5))
			if len(got) == 0 {
				t.Fatal("no hits")
			}
			if tt.check != nil {
				tt.check(t, got)
				return
			}
			// The Führerschein spellings.
			want := contains("führerschein")
			for _, n := range want {
				if index(got, n) < 0 {
					t.Errorf("%q missing", n)
				}
			}
			if !strings.HasPrefix(got[0], "Führerschein") {
				t.Errorf("first hit %q", got[0])
			}
		})
	}
}

func TestRegionExamples(t *testing.T) {
	docs := regionDocs(t)
	rs := loadRegions(t)
	ix := Build(docs)
	const tuebingen = "084160041041"
	position := func(hits []Hit, ars string) int {
		for i, h := range hits {
			if rs[h.ID].ars == ars {
				return i
			}
		}
		return -1
	}
	tests := []struct {
		query  string
		ars    string // must be among the hits
		within int    // at a position below this
	}{
		{"Tübingen", tuebingen, 5},
		{"tuebingen", tuebingen, 5},
		{"72070", tuebingen, 1},
		{"08416", tuebingen, 100},
		{"08416041", tuebingen, 1}, // AGS
		{"Reg.-Bez. Tübingen", "084", 1},
		{"Flensburg", "010010000000", 1},
		{"Halle Saale", "150020000000", 1},
		{"Mainzbingen", "07339", 1},
		{"Baden Württemberg", "08", 1},
		{"08", "08", 1},
		{"München", "091620000000", 1},
		{"Berlin", "110000000000", 2},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			hits := ix.Search(tt.query, nil)
			var got []string
			for _, h := range top(hits, 5) {
				got = append(got, rs[h.ID].name+" ("+rs[h.ID].ebene+" "+rs[h.ID].ars+")")
			}
			t.Logf("%d hits, top 5: %q", len(hits), got)
			if p := position(hits, tt.ars); p < 0 || p >= tt.within {
				t.Errorf("ARS %s at position %d, want < %d", tt.ars, p, tt.within)
			}
		})
	}
}
