package catalog

import "strings"

// synonyms are the words citizens use for Leistungen whose LeiKa names are
// phrased differently ("Ummeldung" for "Wohnsitz Anmeldung"). Keys are
// LeiKa key prefixes: the 8-digit Leistungsobjekt covers all its
// Verrichtungen. The list is deliberately small and curated for the
// national Fokusleistungen; tenants will extend it with their own terms.
var synonyms = map[string]string{
	"99115005": "Ummeldung ummelden Umzug umziehen Wohnungsanmeldung Meldeamt Wohnung anmelden",
	"99023001": "Fahrerlaubnis Führerscheinstelle",
	"99023002": "Führerschein",
	"99036008": "Auto Kfz Fahrzeug anmelden ummelden Zulassungsstelle",
	"99008001": "Perso Ausweis Bürgeramt",
	"99012008": "Bauantrag bauen Bauamt",
	"99041006": "Elternzeit Geld Geburt Kind",
	"99102013": "Hund anmelden Hundemarke",
	"99059001": "Heirat heiraten Standesamt Trauung",
	"99107023": "Mietzuschuss Lastenzuschuss",
}

// synonymsFor returns the extra search terms of a Leistung.
func synonymsFor(leika string) []string {
	if len(leika) < 8 {
		return nil
	}
	if s, ok := synonyms[leika[:8]]; ok {
		return strings.Fields(s)
	}
	return nil
}
