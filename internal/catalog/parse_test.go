package catalog

import (
	"errors"
	"strings"
	"testing"
)

func TestParseEmbeddedCatalog(t *testing.T) {
	d, err := ParseCatalog(EmbeddedCatalog())
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Themenfelder) != 14 || len(d.Lebenslagen) != 58 || len(d.OZGLeistungen) != 557 || len(d.Leistungen) != 5251 {
		t.Fatalf("counts %d %d %d %d", len(d.Themenfelder), len(d.Lebenslagen), len(d.OZGLeistungen), len(d.Leistungen))
	}
	keyed, refs := 0, map[string]bool{}
	for _, l := range d.Leistungen {
		if l.LeiKa != "" {
			keyed++
		}
		if refs[l.Ref] {
			t.Fatalf("duplicate ref %s", l.Ref)
		}
		refs[l.Ref] = true
	}
	if keyed != 4813 {
		t.Errorf("%d Leistungen with key, want 4813", keyed)
	}
	// Refs of keyless entries are stable across parses.
	d2, _ := ParseCatalog(EmbeddedCatalog())
	for i := range d.Leistungen {
		if d.Leistungen[i].Ref != d2.Leistungen[i].Ref {
			t.Fatal("refs differ between two parses of the same file")
		}
	}
}

func TestParseEmbeddedRegions(t *testing.T) {
	rs, err := ParseRegions(EmbeddedRegions())
	if err != nil {
		t.Fatal(err)
	}
	count := map[Ebene]int{}
	bw := 0
	for _, r := range rs {
		count[r.Ebene]++
		if r.Ebene == Gemeinde && strings.HasPrefix(r.ARS, "08") {
			bw++
		}
	}
	want := map[Ebene]int{Land: 16, Regierungsbezirk: 29, Kreis: 401, Gemeindeverband: 4606, Gemeinde: 10796}
	for e, n := range want {
		if count[e] != n {
			t.Errorf("%s: %d, want %d", e, count[e], n)
		}
	}
	if bw != 1101 {
		t.Errorf("Gemeinden in Baden-Württemberg: %d, want 1101", bw)
	}
}

func TestParseCatalogErrorsNameThePlace(t *testing.T) {
	const head = "{\n \"themenfelder\": [\n  {\"id\": 1, \"name\": \"Familie\"}\n ],\n \"lebenslagen\": [\n  {\"id\": 1, \"themenfeld_id\": 1, \"name\": \"Geburt\"}\n ],\n \"ozg_leistungen\": [\n  {\"ozg_id\": \"10000\", \"name\": \"Elterngeld\", \"lebenslage_id\": 1}\n ],\n"
	tests := []struct {
		name, in, want string
		line           int
	}{
		{"bad key", head + " \"leika_leistungen\": [\n  {\"leika_schluessel\": \"99041006000000\", \"name\": \"Elterngeld\", \"typisierung\": \"2/3\", \"ozg_id\": \"10000\"},\n  {\"leika_schluessel\": \"123\", \"name\": \"Kaputt\"}\n ]\n}\n",
			"leika_leistungen[1]: leika_schluessel \"123\" is not a 14-digit LeiKa key", 13},
		{"unknown ozg", head + " \"leika_leistungen\": [\n  {\"leika_schluessel\": null, \"name\": \"X\", \"ozg_id\": \"99999\"}\n ]\n}\n",
			"leika_leistungen[0]: ozg_id 99999 does not name an OZG-Leistung", 12},
		{"missing name", head + " \"leika_leistungen\": [\n  {\"leika_schluessel\": \"99041006000000\"}\n ]\n}\n",
			"leika_leistungen[0]: name is missing", 12},
		{"duplicate key", head + " \"leika_leistungen\": [\n  {\"leika_schluessel\": \"99041006000000\", \"name\": \"A\"},\n  {\"leika_schluessel\": \"99041006000000\", \"name\": \"B\"}\n ]\n}\n",
			"appears twice", 13},
		{"wrong type", head + " \"leika_leistungen\": [\n  {\"leika_schluessel\": 99041006000000, \"name\": \"A\"}\n ]\n}\n",
			"leika_leistungen[0]: field \"leika_schluessel\" has the wrong type", 12},
		{"syntax", head + " \"leika_leistungen\": [\n  {\"name\": \"A\",,}\n ]\n}\n", "JSON syntax error", 12},
		{"truncated", head + " \"leika_leistungen\": [\n  {\"name\": \"A\"", "", 0},
		{"not a catalog", "{\"foo\": 1}", "has no \"themenfelder\" array", 0},
		{"bad lebenslage ref", "{\"themenfelder\": [{\"id\": 1, \"name\": \"A\"}],\n\"lebenslagen\": [{\"id\": 1, \"themenfeld_id\": 7, \"name\": \"B\"}], \"ozg_leistungen\": [], \"leika_leistungen\": []}",
			"lebenslagen[0]: themenfeld_id 7 does not name a Themenfeld", 2},
		{"trailing data", head + " \"leika_leistungen\": []\n}\n{}", "unexpected data after", 0},
		{"not utf8", "{\"themenfelder\": [{\"id\": 1, \"name\": \"\xff\"}]}", "not valid UTF-8", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseCatalog(strings.NewReader(tt.in))
			if err == nil {
				t.Fatal("accepted")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q lacks %q", err, tt.want)
			}
			var pe *ParseError
			if tt.line > 0 && (!errors.As(err, &pe) || pe.Line != tt.line) {
				t.Errorf("error %q: line %v, want %d", err, pe, tt.line)
			}
		})
	}
}

func TestParseRegionsErrorsNameTheLine(t *testing.T) {
	const header = "ebene,ars,ags,name,art,uebergeordnet_ars,flaeche_km2,bevoelkerung,plz,laengengrad,breitengrad\n"
	const land = "land,08,,Baden-Württemberg,,,,,,,\n"
	tests := []struct {
		name, in, want string
		line           int
	}{
		{"bad header", "ebene,ars\nland,08\n", "column", 1},
		{"bad level", header + land + "dorf,08111,,X,,08,,,,,\n", "ebene \"dorf\"", 3},
		{"ars length", header + land + "kreis,0811,,X,,08,,,,,\n", "must have 5 digits", 3},
		{"missing parent", header + land + "kreis,09111,,X,,09,,,,,\n", "uebergeordnet_ars 09 of 09111 is not in the file", 3},
		{"parent not a prefix", header + land + "land,09,,Bayern,,,,,,,\nkreis,08111,,X,,09,,,,,\n", "cannot contain", 4},
		{"duplicate", header + land + land, "appears twice (also on line 2)", 3},
		{"bad number", header + land + "kreis,08111,,X,,08,abc,,,,\n", "flaeche_km2", 3},
		{"bad plz", header + land + "kreis,08111,,X,,08,,,7207,,\n", "plz", 3},
		{"coordinates out of range", header + land + "kreis,08111,,X,,08,,,,200,48\n", "laengengrad", 3},
		{"field count", header + land + "kreis,08111\n", "expected 11 columns", 3},
		{"bad quote", header + land + "kreis,08111,,\"X,,08,,,,,\n", "", 3},
		{"empty", "", "empty", 1},
		{"only header", header, "no regions", 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseRegions(strings.NewReader(tt.in))
			if err == nil {
				t.Fatal("accepted")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q lacks %q", err, tt.want)
			}
			var pe *ParseError
			if !errors.As(err, &pe) || pe.Line != tt.line {
				t.Errorf("error %q: %+v, want line %d", err, pe, tt.line)
			}
		})
	}
}

func TestDefaultEbeneAndTypisierungText(t *testing.T) {
	for typ, want := range map[string]string{"1": "bund", "2": "land", "2/3": "kreis", "4": "land", "5": "gemeinde", "6": "gemeinde", "1, 2/3": "bund", "": "gemeinde"} {
		if got := DefaultEbene(typ); got != want {
			t.Errorf("DefaultEbene(%q) = %q, want %q", typ, got, want)
		}
	}
	if got := TypisierungText("1, 2/3"); !strings.Contains(got, "Bund (Typ 1)") || !strings.Contains(got, "Länder oder Kommunen (Typ 2/3)") {
		t.Errorf("TypisierungText = %q", got)
	}
}

func FuzzParseCatalog(f *testing.F) {
	f.Add(`{"themenfelder":[{"id":1,"name":"A"}],"lebenslagen":[{"id":1,"themenfeld_id":1,"name":"B"}],"ozg_leistungen":[{"ozg_id":"1","name":"C","lebenslage_id":1}],"leika_leistungen":[{"leika_schluessel":"99041006000000","name":"D","ozg_id":"1"}]}`)
	f.Add(`{"themenfelder":[],"lebenslagen":[],"ozg_leistungen":[],"leika_leistungen":[{"leika_schluessel":null,"name":"x"}]}`)
	f.Add(`{`)
	f.Add(`[]`)
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseCatalog(strings.NewReader(s))
		if err == nil {
			for _, l := range d.Leistungen {
				if l.Ref == "" || l.Name == "" {
					t.Fatalf("accepted a Leistung without ref or name: %+v", l)
				}
			}
		}
	})
}

func FuzzParseRegions(f *testing.F) {
	const header = "ebene,ars,ags,name,art,uebergeordnet_ars,flaeche_km2,bevoelkerung,plz,laengengrad,breitengrad\n"
	f.Add(header + "land,08,,BW,,,,,,,\nkreis,08416,,Tübingen,Landkreis,08,519.1,228000,72070,9.05,48.52\n")
	f.Add(header)
	f.Add("\"")
	f.Fuzz(func(t *testing.T, s string) {
		rs, err := ParseRegions(strings.NewReader(s))
		if err == nil {
			for _, r := range rs {
				if len(r.ARS) != ARSLength[r.Ebene] {
					t.Fatalf("accepted %+v", r)
				}
			}
		}
	})
}

func TestParseRegionsRepairsMissingParent(t *testing.T) {
	_, warnings, err := ParseRegionsWarn(EmbeddedRegions())
	if err != nil {
		t.Fatal(err)
	}
	if len(warnings) != 2 || !strings.Contains(warnings[0], "070009999") || !strings.Contains(warnings[0], "attached to 07 (Rheinland-Pfalz)") || !strings.Contains(warnings[1], "130009999") {
		t.Fatalf("warnings %v", warnings)
	}
	rs, _ := ParseRegions(EmbeddedRegions())
	for _, r := range rs {
		if r.ARS == "070009999" && r.ParentARS != "07" {
			t.Fatalf("condominium parent %q", r.ParentARS)
		}
	}
}

func TestIDForms(t *testing.T) {
	for s, want := range map[string]bool{"99041006000000": true, "x0123456789abc": true, "x0123456789ABC": false, "9904100600000": false, "": false, "abc": false} {
		if ValidRef(s) != want {
			t.Errorf("ValidRef(%q) != %v", s, want)
		}
	}
	for s, want := range map[string]bool{"08": true, "084": true, "08416": true, "084160041": true, "084160041041": true, "0841": false, "08a": false, "": false} {
		if ValidARS(s) != want {
			t.Errorf("ValidARS(%q) != %v", s, want)
		}
	}
	for s, want := range map[string]int{"1": 1, "58": 58, "0": 0, "01": 0, "-1": 0, "1e3": 0, "1234567890": 0} {
		if n, ok := ParseID(s); n != want || ok != (want > 0) {
			t.Errorf("ParseID(%q) = %d %v", s, n, ok)
		}
	}
}
