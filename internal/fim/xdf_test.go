package fim

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const (
	fileS94    = "testdata/xdf2/S00000094/S00000094V1.0_xdf2.xml"
	fileS121   = "testdata/xdf2/S00000121/S00000121V1.0_xdf2.xml"
	fileInput  = "testdata/xdf3/input.xml"
	fileSimple = "testdata/xdf3/simple.xml"
	fileXDF1   = "testdata/xdf1/S00000036_xdf1.xml"
)

func mustParse(t testing.TB, path string) *Document {
	t.Helper()
	d, err := ParseFile(path)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return d
}

// find returns the first element with the id (depth first) and its child entry.
func find(d *Document, id string) (*Child, *Element) {
	var c *Child
	d.Root.Walk(func(x *Child) {
		if c == nil && x.Element.ID == id {
			c = x
		}
	})
	if c == nil {
		return nil, nil
	}
	return c, c.Element
}

// The counts were taken with Python's ElementTree over the same files
// (occurrences in the tree and distinct ids).
func TestParseRealFiles(t *testing.T) {
	tests := []struct {
		file, id, version, name, format string
		stats                           Stats
		top                             []string // ids of the root's children
		warnings                        int
	}{
		{fileS94, "S00000094", "1.0", "Benachrichtigung über die Beschäftigung einer schwangeren oder stillenden Frau",
			"XDatenfelder 2.0, Stammdatenschema",
			Stats{Groups: 16, Fields: 44, Rules: 13, DistinctGroups: 13, DistinctFields: 29, DistinctRules: 13},
			[]string{"G00000253", "G00000255", "F00000463", "F00000601", "G00000258"}, 0},
		{fileS121, "S00000121", "1.0", "Antrag Blaue Karte EU", "XDatenfelder 2.0, Stammdatenschema",
			Stats{Groups: 29, Fields: 88, Rules: 3, DistinctGroups: 23, DistinctFields: 71, DistinctRules: 3},
			[]string{"G00000630", "G00000771", "G00000629", "G00000633", "G00000642", "G00000636", "F00001029",
				"G00000637", "F00001034", "F00001035", "G00000638", "G00000639", "F00001049", "F00001050",
				"F00001051", "F00001036", "F00001037", "F00001038", "F00001039", "F00001040"}, 0},
		{fileInput, "G60000000088", "1.2.0", "Anschrift Inland", "XDatenfelder 3.0.0, Datenfeldgruppe",
			Stats{Groups: 1, Fields: 1, DistinctGroups: 1, DistinctFields: 1},
			[]string{"F60000000243"}, 0},
		{fileSimple, "G60000000088", "1.2.0", "Anschrift Inland", "XDatenfelder 3.0.0, Datenfeldgruppe",
			Stats{Groups: 2, Fields: 1, Rules: 2, DistinctGroups: 2, DistinctFields: 1, DistinctRules: 1},
			[]string{"G60000000086"}, 0},
	}
	for _, tt := range tests {
		t.Run(filepath.Base(tt.file), func(t *testing.T) {
			d := mustParse(t, tt.file)
			r := d.Root
			if r.ID != tt.id || r.Version != tt.version || r.Name != tt.name {
				t.Errorf("root = %s %s %q", r.ID, r.Version, r.Name)
			}
			if got := d.Format.String(); got != tt.format {
				t.Errorf("format = %q", got)
			}
			if got := d.Stats(); got != tt.stats {
				t.Errorf("stats = %+v, want %+v", got, tt.stats)
			}
			var top []string
			for _, c := range r.Children {
				top = append(top, c.Element.ID)
			}
			if strings.Join(top, " ") != strings.Join(tt.top, " ") {
				t.Errorf("top = %v", top)
			}
			if len(d.Warnings) != tt.warnings {
				t.Errorf("warnings = %q", d.Warnings)
			}
			if d.NachrichtID == "" || d.Erstellungszeitpunkt == "" {
				t.Errorf("header = %q %q", d.NachrichtID, d.Erstellungszeitpunkt)
			}
		})
	}
}

func TestParseS00000094Details(t *testing.T) {
	d := mustParse(t, fileS94)
	r := d.Root
	if r.Kind != KindSchema || r.Status.Code != "aktiv" || r.Status.ListURI != "urn:xoev-de:fim:codeliste:xdatenfelder.status" ||
		r.FachlicherErsteller != "Bundesredaktion" || r.Freigabedatum != "2021-08-31" || r.AbleitungStruktur != "3" || r.AbleitungRepraesentation != "1" {
		t.Errorf("root meta = %+v", r)
	}
	if !strings.HasPrefix(r.BezeichnungEingabe, "Benachrichtigung über die Beschäftigung einer schwangeren oder stillenden Frau nach § 27 (1)") ||
		!strings.Contains(r.BezeichnungAusgabe, "§ 27 Abs. 1") {
		t.Errorf("bezeichnung = %q / %q", r.BezeichnungEingabe, r.BezeichnungAusgabe)
	}
	if r.Bezug != "§§ 1, 3-6, 11-12, 15, 27-28 MuSchG v. 12.12.2019; \n§ 10 ArbZG v. 22.12.2020; \n§ 2 MuSchEltZV  v. 15.2.2021" {
		t.Errorf("bezug = %q", r.Bezug)
	}
	if len(r.Rules) != 1 || r.Rules[0].ID != "R00000849" || !strings.Contains(r.Rules[0].Definition, "F00000601 zum Pflichtfeld") ||
		!strings.HasPrefix(r.Rules[0].Script, "function script()") || r.Rules[0].Status.Code != "aktiv" {
		t.Errorf("root rules = %+v", r.Rules)
	}

	c, f := find(d, "F00000463")
	if f == nil || f.Feldart != "select" || f.Datentyp != "text" || c.Cardinality != (Cardinality{Min: 1, Max: 1, Raw: "1:1"}) {
		t.Fatalf("F00000463 = %+v %+v", c, f)
	}
	want := CodeListRef{ID: "C00000021", CanonicalURI: "urn:de:fim:codeliste:artbeschäftigungsverhältnis", Version: "2018-05-09",
		CanonicalVersionURI: "urn:de:fim:codeliste:artbeschäftigungsverhältnis_2018-05-09"}
	if f.CodeList == nil || *f.CodeList != want {
		t.Errorf("F00000463 code list = %+v", f.CodeList)
	}

	_, f = find(d, "F00002483")
	p := f.Praezisierung
	if p.MinLength == nil || *p.MinLength != 6 || p.MaxLength == nil || *p.MaxLength != 254 ||
		p.Pattern != `[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{1,63}$` || p.Raw == "" {
		t.Errorf("F00002483 praezisierung = %+v", p)
	}
	_, f = find(d, "F60000233")
	if f.Datentyp != "num_int" || f.Praezisierung.MinValue != "1850" || f.Praezisierung.MaxValue != "2080" {
		t.Errorf("F60000233 = %s %+v", f.Datentyp, f.Praezisierung)
	}
	c, f = find(d, "F60000262")
	if c.Cardinality != (Cardinality{Min: 2, Max: 5, Raw: "2:5"}) || !c.Cardinality.Multiple() {
		t.Errorf("F60000262 cardinality = %+v", c.Cardinality)
	}
	_, g := find(d, "G60000088")
	if g.Kind != KindGroup || len(g.Children) != 2 || g.Children[0].Cardinality.Min != 0 || g.BezeichnungEingabe != "Anschrift in Deutschland" {
		t.Errorf("G60000088 = %+v", g)
	}
	_, f = find(d, "F60000243")
	if f.HilfetextEingabe != "Geben Sie an, wie die Straße heißt." || f.Schemaelementart != "HAR" {
		t.Errorf("F60000243 = %q %q", f.HilfetextEingabe, f.Schemaelementart)
	}
	refs := d.CodeListRefs()
	if len(refs) != 4 || refs[0].Ref.Key() != "urn:de:fim:codeliste:anschrift-inland-oder-ausland_2021-06-18" || refs[0].Fields[0] != "F60000263" {
		t.Errorf("refs = %+v", refs)
	}
	if rules := d.Rules(); len(rules) != 13 || rules[12].ID != "R60000021" || rules[12].Version != "1.3" {
		t.Errorf("rules = %d", len(rules))
	}
}

func TestParseS00000121Details(t *testing.T) {
	d := mustParse(t, fileS121)
	c, g := find(d, "G00000015")
	if c.Cardinality != (Cardinality{Min: 1, Max: Unbounded, Raw: "1:*"}) || c.Cardinality.String() != "1:*" || len(g.Children) != 3 {
		t.Errorf("G00000015 = %+v", c.Cardinality)
	}
	_, f := find(d, "F00000025")
	if f.CodeList == nil || f.CodeList.Key() != "urn:de:xoev:codeliste:erreichbarkeit_2" {
		t.Errorf("F00000025 = %+v", f.CodeList)
	}
	_, f = find(d, "F00001019")
	if f.Datentyp != "file" || f.Feldart != "input" {
		t.Errorf("F00001019 = %s %s", f.Feldart, f.Datentyp)
	}
	_, f = find(d, "F00000728")
	if f.Datentyp != "num_currency" {
		t.Errorf("F00000728 = %s", f.Datentyp)
	}
	_, f = find(d, "F00000013")
	if f.Praezisierung.MinLength == nil || *f.Praezisierung.MinLength != 1 || f.Praezisierung.MaxLength != nil {
		t.Errorf("F00000013 = %+v", f.Praezisierung)
	}
	var files, dates, bools int
	d.Root.Walk(func(c *Child) {
		switch c.Element.Datentyp {
		case "file":
			files++
		case "date":
			dates++
		case "bool":
			bools++
		}
	})
	if files != 8 || dates != 7 || bools != 17 {
		t.Errorf("file/date/bool = %d/%d/%d", files, dates, bools)
	}
}

func TestParseXDF3(t *testing.T) {
	d := mustParse(t, fileSimple)
	r := d.Root
	if r.Kind != KindGroup || r.Freigabestatus != (Code{Code: "6", ListVersionID: "2020-03-19"}) || r.Beschreibung != "Eine Beschreibung" ||
		r.Bezug != "Rechtsbezug" || r.GueltigAb != "2021-03-01" || r.GueltigBis != "2021-03-02" || r.StatusGesetztDurch != "FIM Baustein Datenfelder" ||
		r.Versionshinweis != "Hausnummerzusatz aufgenommen" || len(r.Stichwoerter) != 1 || r.HilfetextEingabe != "Eingabehilfe" {
		t.Errorf("root = %+v", r)
	}
	if len(r.Rules) != 1 {
		t.Fatalf("rules = %d", len(r.Rules))
	}
	rule := r.Rules[0]
	if rule.ID != "R60000000019" || rule.Version != "1.2.0" || rule.Typ != "V" || rule.Script != "some script content" ||
		!strings.HasPrefix(rule.Freitext, "Es muss entweder Feldgruppe G60000086") || rule.Bezug != "Eine Bezugsquelle" {
		t.Errorf("rule = %+v", rule)
	}
	c, f := find(d, "F60000000243")
	if c.Cardinality.String() != "1:1" || f.Feldart != "input" || f.Vorbefuellung != "keine" ||
		*f.Praezisierung.MinLength != 1 || *f.Praezisierung.MaxLength != 55 || len(f.Rules) != 1 {
		t.Errorf("field = %+v", f)
	}

	d = mustParse(t, fileInput)
	_, f = find(d, "F60000000243")
	p := f.Praezisierung
	if f.Feldart != "select" || f.CodeList != nil || f.Inhalt != "Some Content" || f.CodeKey != "CodeKey" || f.NameKey != "NameKey" ||
		f.HelpKey != "HelpKey" || f.MaxSize != "10" || len(f.MediaTypes) != 1 || f.MediaTypes[0] != "application/json" ||
		*p.MinLength != 0 || *p.MaxLength != 1 || p.MinValue != "0" || p.MaxValue != "1" || p.Pattern != "abc" || p.Raw != "Constraints" {
		t.Errorf("input field = %+v", f)
	}
}

const xdf3Werte = `<?xml version="1.0" encoding="UTF-8"?>
<xdf:xdatenfelder.datenfeldgruppe.0103 xmlns:xdf="urn:xoev-de:fim:standard:xdatenfelder_3.0.0">
  <xdf:header><xdf:nachrichtID>1</xdf:nachrichtID><xdf:erstellungszeitpunkt>2024-01-01T00:00:00Z</xdf:erstellungszeitpunkt></xdf:header>
  <xdf:datenfeldgruppe>
    <xdf:identifikation><xdf:id>G99000000001</xdf:id><xdf:version>1.0.0</xdf:version></xdf:identifikation>
    <xdf:name>Test</xdf:name>
    <xdf:struktur>
      <xdf:anzahl>0:3</xdf:anzahl>
      <xdf:enthaelt>
        <xdf:datenfeld>
          <xdf:identifikation><xdf:id>F99000000001</xdf:id><xdf:version>1.0.0</xdf:version></xdf:identifikation>
          <xdf:name>Farbe</xdf:name>
          <xdf:feldart><code>select</code></xdf:feldart>
          <xdf:datentyp><code>text</code></xdf:datentyp>
          <xdf:werte>
            <xdf:wert><xdf:code>r</xdf:code><xdf:name>rot</xdf:name><xdf:hilfe>wie Blut</xdf:hilfe></xdf:wert>
            <xdf:wert><xdf:code>g</xdf:code><xdf:name>grün</xdf:name></xdf:wert>
          </xdf:werte>
        </xdf:datenfeld>
        <xdf:datenfeld>
          <xdf:identifikation><xdf:id>F99000000002</xdf:id><xdf:version>1.0.0</xdf:version></xdf:identifikation>
          <xdf:name>Hinweis</xdf:name>
          <xdf:feldart><code>label</code></xdf:feldart>
          <xdf:datentyp><code>text</code></xdf:datentyp>
          <xdf:inhalt>Nur ein Hinweis.</xdf:inhalt>
        </xdf:datenfeld>
        <xdf:datenfeld>
          <xdf:identifikation><xdf:id>F99000000003</xdf:id><xdf:version>1.0.0</xdf:version></xdf:identifikation>
          <xdf:name>Land</xdf:name>
          <xdf:feldart><code>select</code></xdf:feldart>
          <xdf:datentyp><code>text</code></xdf:datentyp>
          <xdf:codelisteReferenz>
            <xdf:canonicalIdentification>urn:xpersonenstand:schluesseltabelle:geschlecht</xdf:canonicalIdentification>
            <xdf:version>3</xdf:version>
          </xdf:codelisteReferenz>
        </xdf:datenfeld>
      </xdf:enthaelt>
    </xdf:struktur>
  </xdf:datenfeldgruppe>
</xdf:xdatenfelder.datenfeldgruppe.0103>`

func TestParseXDF3WerteAndFlatCodeListRef(t *testing.T) {
	d, err := Parse(strings.NewReader(xdf3Werte))
	if err != nil {
		t.Fatal(err)
	}
	_, f := find(d, "F99000000001")
	if len(f.Werte) != 2 || f.Werte[0] != (Wert{Code: "r", Name: "rot", Hilfe: "wie Blut"}) || f.Werte[1].Name != "grün" {
		t.Errorf("werte = %+v", f.Werte)
	}
	_, f = find(d, "F99000000003")
	if f.CodeList == nil || f.CodeList.Key() != "urn:xpersonenstand:schluesseltabelle:geschlecht_3" {
		t.Errorf("ref = %+v", f.CodeList)
	}
	_, f = find(d, "F99000000002")
	if f.Feldart != "label" || f.Inhalt != "Nur ein Hinweis." {
		t.Errorf("label = %+v", f)
	}
}

func TestRejectXDF1(t *testing.T) {
	_, err := ParseFile(fileXDF1)
	if !errors.Is(err, ErrUnsupportedFormat) {
		t.Fatalf("err = %v", err)
	}
	for _, want := range []string{"XDatenfelder 1", "XDatenfelder 2.0", "3.0.0", "line 2"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%q lacks %q", err, want)
		}
	}
	// Recognised by its root alone, too.
	_, err = Parse(strings.NewReader(`<xdatenfelder.stammdatenschema.0102001 xmlns="urn:example"/>`))
	if !errors.Is(err, ErrUnsupportedFormat) {
		t.Errorf("root only: %v", err)
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, in string
		is       error
		want     string
	}{
		{"empty", "", ErrMalformed, "no root element"},
		{"broken", "<a>\n<b>\n</a>", ErrMalformed, "line 3"},
		{"text only", "hello", ErrMalformed, "broken XML"},
		{"unknown root", `<foo xmlns="urn:bar"/>`, ErrUnknownRoot, "supported are XDatenfelder 2.0 and 3.0.0"},
		{"unknown message", `<x:xdatenfelder.codeliste.0104 xmlns:x="urn:xoev-de:fim:standard:xdatenfelder_2"/>`, ErrUnknownRoot, "unknown message"},
		{"no schema", `<x:xdatenfelder.stammdatenschema.0102 xmlns:x="urn:xoev-de:fim:standard:xdatenfelder_2"/>`, ErrUnknownRoot, "no stammdatenschema"},
		{"no id", `<x:xdatenfelder.stammdatenschema.0102 xmlns:x="urn:xoev-de:fim:standard:xdatenfelder_2"><x:stammdatenschema/></x:xdatenfelder.stammdatenschema.0102>`, ErrUnknownRoot, "without an id"},
		{"encoding", `<?xml version="1.0" encoding="EBCDIC"?><a/>`, ErrMalformed, "unsupported encoding"},
		{"deep", strings.Repeat("<a>", maxDepth+1) + strings.Repeat("</a>", maxDepth+1), ErrMalformed, "nested deeper"},
		{"two roots", "<a/><b/>", ErrMalformed, "more than one root"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(strings.NewReader(tt.in))
			if !errors.Is(err, tt.is) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want %v containing %q", err, tt.is, tt.want)
			}
		})
	}
}

func TestInputSizeBound(t *testing.T) {
	in := io.MultiReader(strings.NewReader("<a>"), strings.NewReader(strings.Repeat("x", 2000)), strings.NewReader("</a>"))
	_, err := readTreeLimit(in, 1000)
	if !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), "larger than 1000 bytes") {
		t.Errorf("err = %v", err)
	}
	if _, err := readTreeLimit(strings.NewReader("<a>x</a>"), 1000); err != nil {
		t.Error(err)
	}
}

func TestLatin1(t *testing.T) {
	in := "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><a>Stra\xdfe</a>"
	n, err := readTree(strings.NewReader(in))
	if err != nil || n.text != "Straße" {
		t.Errorf("%v %q", err, n.textOf())
	}
}

func TestParseWarnings(t *testing.T) {
	in := strings.Replace(xdf3Werte, "<xdf:anzahl>0:3</xdf:anzahl>", "<xdf:anzahl>viele</xdf:anzahl>", 1)
	in = strings.Replace(in, "<xdf:name>Farbe</xdf:name>", `<xdf:name>Farbe</xdf:name><xdf:praezisierung>{"minLength":"x",</xdf:praezisierung>`, 1)
	in = strings.Replace(in, "<xdf:name>Hinweis</xdf:name>", `<xdf:name>Hinweis</xdf:name><xdf:praezisierung>{"maxLength":7,"minValue":1.5,"totalDigits":"3"}</xdf:praezisierung>`, 1)
	d, err := Parse(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Warnings) != 2 || !strings.Contains(d.Warnings[0], `anzahl "viele"`) || !strings.Contains(d.Warnings[1], "not valid JSON") {
		t.Errorf("warnings = %q", d.Warnings)
	}
	if c := d.Root.Children[0]; c.Cardinality.Min != 0 || c.Cardinality.Max != 1 {
		t.Errorf("fallback cardinality = %+v", c.Cardinality)
	}
	_, f := find(d, "F99000000002")
	if p := f.Praezisierung; *p.MaxLength != 7 || p.MinValue != "1.5" || p.Extra["totalDigits"] != "3" {
		t.Errorf("numeric praezisierung = %+v", p)
	}
}

func TestParseCardinality(t *testing.T) {
	tests := []struct {
		in       string
		min, max int
		ok       bool
	}{
		{"1:1", 1, 1, true}, {"0:1", 0, 1, true}, {"2:5", 2, 5, true}, {"1:*", 1, Unbounded, true}, {" 0 : * ", 0, Unbounded, true},
		{"", 0, 1, false}, {"1", 0, 1, false}, {"3:2", 0, 1, false}, {"-1:2", 0, 1, false}, {"a:b", 0, 1, false}, {"1:99999999999999999999", 0, 1, false},
	}
	for _, tt := range tests {
		c, ok := ParseCardinality(tt.in)
		if ok != tt.ok || c.Min != tt.min || c.Max != tt.max {
			t.Errorf("%q = %+v %v", tt.in, c, ok)
		}
	}
}

func BenchmarkParseS00000121(b *testing.B) {
	data, err := os.ReadFile(fileS121)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(bytes.NewReader(data)); err != nil {
			b.Fatal(err)
		}
	}
}
