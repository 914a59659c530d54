package maturity

import "strconv"

// Gemeinde is a Gemeinde as coverage counts it.
type Gemeinde struct {
	ARS        string
	Population int64 // 0 when unknown
}

// Target is the Reifegrad from which a Gemeinde counts as covered.
const Target = 3

// Coverage is how far a Leistung is offered in a region.
type Coverage struct {
	GemeindenGesamt    int   `json:"gemeinden_gesamt"`
	GemeindenAb3       int   `json:"gemeinden_ab_reifegrad_3"`
	BevoelkerungGesamt int64 `json:"bevoelkerung_gesamt"`
	BevoelkerungAb3    int64 `json:"bevoelkerung_ab_reifegrad_3"`
	// Flaechendeckend is the 100 % rule: every Gemeinde of the region
	// offers it at Reifegrad 3 or more. A region without Gemeinden is not
	// area-wide.
	Flaechendeckend bool `json:"flaechendeckend"`
}

// Cover computes the coverage over gemeinden; levels maps a Gemeinde's
// ARS to its Reifegrad (missing = 0). Population weighting uses each
// Gemeinde's own population, so one city can outweigh twenty villages.
func Cover(gemeinden []Gemeinde, levels map[string]int) Coverage {
	var c Coverage
	for _, g := range gemeinden {
		c.GemeindenGesamt++
		c.BevoelkerungGesamt += g.Population
		if levels[g.ARS] >= Target {
			c.GemeindenAb3++
			c.BevoelkerungAb3 += g.Population
		}
	}
	c.Flaechendeckend = c.GemeindenGesamt > 0 && c.GemeindenAb3 == c.GemeindenGesamt
	return c
}

// AnteilGemeinden is the share of Gemeinden in tenths of a percent
// (0…1000), rounded half up with integers so the same figures always give
// the same text.
func (c Coverage) AnteilGemeinden() int {
	return permille(int64(c.GemeindenAb3), int64(c.GemeindenGesamt))
}

// AnteilBevoelkerung is the population share in tenths of a percent.
func (c Coverage) AnteilBevoelkerung() int { return permille(c.BevoelkerungAb3, c.BevoelkerungGesamt) }

// OverHalf reports whether more than half of the Gemeinden are covered
// (the Fokusleistungen ranking's "> 50 %"), exactly, without rounding.
func (c Coverage) OverHalf() bool { return 2*c.GemeindenAb3 > c.GemeindenGesamt }

func permille(part, total int64) int {
	if total <= 0 {
		return 0
	}
	return int((part*1000 + total/2) / total)
}

// FormatPermille writes tenths of a percent the German way: 909 → "90,9".
func FormatPermille(p int) string {
	whole, frac := p/10, p%10
	return strconv.Itoa(whole) + "," + strconv.Itoa(frac)
}
