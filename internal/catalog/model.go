// Package catalog holds the catalog of administrative services (Leistungen
// from the LeiKa, grouped into OZG-Leistungen, Lebenslagen and Themenfelder),
// the German regions by ARS, and the Zuständigkeit of authorities: who
// handles which Leistung where.
package catalog

import "strings"

// Themenfeld is one of the 14 topics of the OZG catalog.
type Themenfeld struct {
	ID   int
	Name string
}

// Lebenslage is a life situation within a Themenfeld.
type Lebenslage struct {
	ID           int
	ThemenfeldID int
	Name         string
}

// OZGLeistung bundles LeiKa-Leistungen (the 575 of the OZG catalog).
type OZGLeistung struct {
	ID           string
	Name         string
	LebenslageID int // 0 when the catalog names none
}

// Leistung is one administrative service of the LeiKa.
type Leistung struct {
	// Ref identifies the Leistung in URLs and the API: the LeiKa key, or a
	// stable "x…" id for catalog entries without a key.
	Ref   string
	LeiKa string // 14-digit key, "" when the catalog has none
	Name  string
	// Typisierung as in the LeiKa: "1", "2/3", "1, 2/3"; "" when unknown.
	Typisierung      string
	OZGID            string
	Rechtsgrundlagen []string // short names of the legal bases ("BEEG")
}

// Ebene is the level of a region.
type Ebene string

// The region levels, top down.
const (
	Land             Ebene = "land"
	Regierungsbezirk Ebene = "regierungsbezirk"
	Kreis            Ebene = "kreis"
	Gemeindeverband  Ebene = "gemeindeverband"
	Gemeinde         Ebene = "gemeinde"
)

// Ebenen lists the levels top down.
var Ebenen = []Ebene{Land, Regierungsbezirk, Kreis, Gemeindeverband, Gemeinde}

// ARSLength is the number of ARS digits of each level.
var ARSLength = map[Ebene]int{Land: 2, Regierungsbezirk: 3, Kreis: 5, Gemeindeverband: 9, Gemeinde: 12}

// Valid reports whether e is a known level.
func (e Ebene) Valid() bool { _, ok := ARSLength[e]; return ok }

// Region is a Land, Regierungsbezirk, Kreis, Gemeindeverband or Gemeinde.
type Region struct {
	ARS          string
	AGS          string // Gemeinden only
	Name         string
	Ebene        Ebene
	Art          string // "Landkreis", "Kreisfreie Stadt", "Stadt", …
	ParentARS    string
	FlaecheKM2   *float64
	Bevoelkerung *int64
	PLZ          string
	Laengengrad  *float64
	Breitengrad  *float64
}

// ShortName is the name without the part after the first comma
// ("Tübingen, Universitätsstadt" → "Tübingen").
func (r Region) ShortName() string {
	if i := strings.Index(r.Name, ","); i > 0 {
		return strings.TrimSpace(r.Name[:i])
	}
	return r.Name
}

// ChainARS returns the ARS of r and of every level above it that the ARS
// encodes, nearest first: Gemeinde, Gemeindeverband, Kreis,
// Regierungsbezirk, Land. Levels that do not exist in a Land (no
// Regierungsbezirk) simply find nothing when looked up.
func ChainARS(ars string) []string {
	var out []string
	for _, n := range []int{12, 9, 5, 3, 2} {
		if len(ars) >= n {
			out = append(out, ars[:n])
		}
	}
	return out
}

// Behoerde is an authority (Organisationseinheit) located in a region.
type Behoerde struct {
	ID              int64
	Tenant          string
	Name            string
	RegionARS       string
	Anschrift       string
	Telefon         string
	Email           string
	Website         string
	Oeffnungszeiten string
}

// Assignment says that a Behoerde handles a Leistung for every Gemeinde in
// a region.
type Assignment struct {
	LeistungRef     string
	RegionARS       string
	BehoerdeID      int64
	OnlinedienstURL string
}

// Quelle says where a Zuständigkeit comes from.
type Quelle string

// The sources of a Zuständigkeit.
const (
	// Zugeordnet: a tenant assigned an authority.
	Zugeordnet Quelle = "zugeordnet"
	// Abgeleitet: no assignment; the level is derived from the typisierung.
	Abgeleitet Quelle = "abgeleitet"
)

// Zustaendigkeit answers "who handles Leistung L for the Gemeinde G?".
type Zustaendigkeit struct {
	Leistung Leistung
	Region   Region // the region asked about
	Quelle   Quelle
	// Ebene is the level that handles it: "bund", or a region level.
	Ebene string
	// Zustaendig is the region whose authority handles it (nil for Bund).
	Zustaendig *Region
	// Behoerde is the assigned authority; nil when derived.
	Behoerde        *Behoerde
	OnlinedienstURL string
}

// DefaultEbene derives which level executes a Leistung from its LeiKa
// typisierung, for when no authority is assigned: 1 Bund; 2 and 4 Land;
// 2/3 Land or Kommune, in practice the Kreis (untere Verwaltungsbehörde);
// 3, 5 and 6 the Kommune, here the Gemeinde. With several types ("1, 2/3")
// the first one counts.
func DefaultEbene(typisierung string) string {
	t := strings.TrimSpace(strings.Split(typisierung, ",")[0])
	switch t {
	case "1":
		return "bund"
	case "2", "4":
		return string(Land)
	case "2/3":
		return string(Kreis)
	case "3", "5", "6":
		return string(Gemeinde)
	default:
		return string(Gemeinde)
	}
}

// typisierungTexte explains the LeiKa typisierung in words.
var typisierungTexte = map[string]string{
	"1":   "Regelung und Vollzug durch den Bund",
	"2":   "Regelung durch den Bund, Vollzug durch die Länder",
	"3":   "Regelung durch den Bund, Vollzug durch die Kommunen",
	"2/3": "Regelung durch den Bund, Vollzug durch die Länder oder Kommunen",
	"4":   "Regelung und Vollzug durch die Länder",
	"5":   "Regelung durch das Land, Vollzug durch die Kommunen",
	"6":   "Regelung und Vollzug durch die Kommunen",
}

// TypisierungText describes a typisierung ("2/3", "1, 2/3") in German.
func TypisierungText(t string) string {
	if strings.TrimSpace(t) == "" {
		return "Keine Angabe im Leistungskatalog"
	}
	var parts []string
	for _, p := range strings.Split(t, ",") {
		p = strings.TrimSpace(p)
		if s, ok := typisierungTexte[p]; ok {
			parts = append(parts, s+" (Typ "+p+")")
		} else if p != "" {
			parts = append(parts, "Typ "+p)
		}
	}
	return strings.Join(parts, "; ")
}
