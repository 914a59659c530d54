package maturity

import (
	"fmt"
	"slices"
	"testing"
)

// full is an input meeting every criterion up to Reifegrad 3.
var full = Input{Texts: true, Authority: true, FormLive: true, LoginLevel: 2, RequiredLevel: 2, Evidence: true, Delivery: true, Postfach: true}

func TestAssess(t *testing.T) {
	tests := []struct {
		name    string
		change  func(*Input)
		level   int
		missing []string
	}{
		{"nothing", func(in *Input) { *in = Input{} }, 0, []string{CritTexts, CritAuthority}},
		{"texts only", func(in *Input) { *in = Input{Texts: true} }, 0, []string{CritAuthority}},
		{"information", func(in *Input) { *in = Input{Texts: true, Authority: true} }, 1, []string{CritForm}},
		{"form but pdf", func(in *Input) { in.Delivery = false }, 2, []string{CritDelivery}},
		{"form, no login", func(in *Input) { in.LoginLevel = 0; in.RequiredLevel = 0 }, 2, []string{CritLogin}},
		{"login below required", func(in *Input) { in.LoginLevel = 1 }, 2, []string{CritLogin}},
		{"login above required", func(in *Input) { in.LoginLevel = 3 }, 3, []string{CritOnceOnly}},
		{"no evidence upload", func(in *Input) { in.Evidence = false }, 2, []string{CritEvidence}},
		{"no postfach", func(in *Input) { in.Postfach = false }, 2, []string{CritPostfach}},
		{"three missing", func(in *Input) { in.Delivery, in.Postfach, in.LoginLevel = false, false, 0 }, 2, []string{CritLogin, CritDelivery, CritPostfach}},
		{"fully online", func(in *Input) {}, 3, []string{CritOnceOnly}},
		{"once only", func(in *Input) { in.OnceOnly = true }, 4, nil},
		// Levels cannot be skipped: all of 3 without a live form is 1.
		{"no form", func(in *Input) { in.FormLive = false }, 1, []string{CritForm}},
		{"no authority", func(in *Input) { in.Authority = false }, 0, []string{CritAuthority}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := full
			tc.change(&in)
			r := Assess(in)
			if r.Level != tc.level {
				t.Fatalf("level = %d, want %d (%+v)", r.Level, tc.level, r.Criteria)
			}
			var got []string
			for _, c := range r.Missing() {
				got = append(got, c.ID)
			}
			if !slices.Equal(got, tc.missing) {
				t.Errorf("missing = %v, want %v", got, tc.missing)
			}
			if len(r.Criteria) != 8 {
				t.Errorf("%d criteria listed, want all 8", len(r.Criteria))
			}
		})
	}
}

func TestCover(t *testing.T) {
	// A hand-made Kreis: one town of 90,000 and four villages.
	kreis := []Gemeinde{{"1", 90000}, {"2", 2500}, {"3", 2500}, {"4", 4000}, {"5", 1000}}
	tests := []struct {
		name                 string
		levels               map[string]int
		gem, pop             int
		gemAnteil, popAnteil string
		area, half           bool
	}{
		{"none", nil, 0, 0, "0,0", "0,0", false, false},
		{"town only", map[string]int{"1": 3}, 1, 90000, "20,0", "90,0", false, false},
		{"villages only", map[string]int{"2": 4, "3": 3, "4": 3, "5": 3}, 4, 10000, "80,0", "10,0", false, true},
		{"level 2 does not count", map[string]int{"1": 2, "2": 2, "3": 2, "4": 2, "5": 2}, 0, 0, "0,0", "0,0", false, false},
		{"exactly half is not over half", map[string]int{"1": 3, "2": 3}, 2, 92500, "40,0", "92,5", false, false},
		{"all but one", map[string]int{"1": 3, "2": 3, "3": 3, "4": 3}, 4, 99000, "80,0", "99,0", false, true},
		{"100 percent", map[string]int{"1": 3, "2": 3, "3": 3, "4": 4, "5": 3}, 5, 100000, "100,0", "100,0", true, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := Cover(kreis, tc.levels)
			if c.GemeindenGesamt != 5 || c.BevoelkerungGesamt != 100000 {
				t.Fatalf("totals = %d, %d", c.GemeindenGesamt, c.BevoelkerungGesamt)
			}
			if c.GemeindenAb3 != tc.gem || c.BevoelkerungAb3 != int64(tc.pop) {
				t.Errorf("covered = %d Gemeinden, %d people; want %d, %d", c.GemeindenAb3, c.BevoelkerungAb3, tc.gem, tc.pop)
			}
			if g := FormatPermille(c.AnteilGemeinden()); g != tc.gemAnteil {
				t.Errorf("Gemeinden share = %s, want %s", g, tc.gemAnteil)
			}
			if g := FormatPermille(c.AnteilBevoelkerung()); g != tc.popAnteil {
				t.Errorf("population share = %s, want %s", g, tc.popAnteil)
			}
			if c.Flaechendeckend != tc.area {
				t.Errorf("flaechendeckend = %v", c.Flaechendeckend)
			}
			if c.OverHalf() != tc.half {
				t.Errorf("over half = %v", c.OverHalf())
			}
		})
	}
}

func TestCoverEmptyRegionIsNotAreaWide(t *testing.T) {
	c := Cover(nil, map[string]int{"x": 4})
	if c.Flaechendeckend || c.AnteilGemeinden() != 0 || c.OverHalf() {
		t.Errorf("empty region: %+v", c)
	}
}

func TestPermilleRounding(t *testing.T) {
	// 40 of 44 Gemeinden: 90.909…% → 90,9; 2 of 3 → 66,7 (half up).
	for _, tc := range []struct {
		part, total int64
		want        string
	}{{40, 44, "90,9"}, {2, 3, "66,7"}, {1, 3, "33,3"}, {1, 8, "12,5"}, {1, 1101, "0,1"}, {0, 1101, "0,0"}} {
		if got := FormatPermille(permille(tc.part, tc.total)); got != tc.want {
			t.Errorf("%d/%d = %s, want %s", tc.part, tc.total, got, tc.want)
		}
	}
}

// BenchmarkCoverGermany covers as many Gemeinden as Germany has, half of
// them at Reifegrad 3: the dashboard does this once per Leistung.
func BenchmarkCoverGermany(b *testing.B) {
	const n = 10796
	gs := make([]Gemeinde, n)
	levels := map[string]int{}
	for i := range gs {
		gs[i] = Gemeinde{ARS: fmt.Sprintf("%012d", i), Population: int64(1000 + i)}
		if i%2 == 0 {
			levels[gs[i].ARS] = 3
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		if c := Cover(gs, levels); c.GemeindenAb3 != n/2 {
			b.Fatal(c)
		}
	}
}
