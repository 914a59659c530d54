package fim

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Row counts and first entries checked against the files with Python.
func TestParseCodeListRealFiles(t *testing.T) {
	tests := []struct {
		file, versionURI, uri, version, short string
		codeCol, nameCol                      string
		n                                     int
		first                                 Entry
	}{
		{"codelists/urn_de_bund_destatis_bevoelkerungsstatistik_schluessel_staat_2023-02-24.xml",
			"urn:de:bund:destatis:bevoelkerungsstatistik:schluessel:staat_2023-02-24", "urn:de:bund:destatis:bevoelkerungsstatistik:schluessel:staat", "2023-02-24", "Staat",
			"schluessel-staat", "suchbegriff", 197, Entry{"000", "Deutschland"}},
		{"codelists/urn_de_bund_destatis_bevoelkerungsstatistik_schluessel_staatsangehoerigkeit_2023-02-24.xml",
			"urn:de:bund:destatis:bevoelkerungsstatistik:schluessel:staatsangehoerigkeit_2023-02-24", "urn:de:bund:destatis:bevoelkerungsstatistik:schluessel:staatsangehoerigkeit", "2023-02-24", "",
			"DESTATIS-Schluessel-Staatsangehoerigkeit", "Suchbegriff", 211, Entry{}},
		{"codelists/urn_de_fim_codeliste_anschrift-inland-oder-ausland_2021-06-18.xml",
			"urn:de:fim:codeliste:anschrift-inland-oder-ausland_2021-06-18", "urn:de:fim:codeliste:anschrift-inland-oder-ausland", "2021-06-18", "Anschrift Inland oder Ausland",
			"code", "name", 2, Entry{"001", "in Deutschland"}},
		{"codelists/urn_de_fim_codeliste_art-der-erwerbstaetigkeit-aufenthaltserlaubnis_2021-05-19.xml",
			"urn:de:fim:codeliste:art-der-erwerbstaetigkeit-aufenthaltserlaubnis_2021-05-19", "urn:de:fim:codeliste:art-der-erwerbstaetigkeit-aufenthaltserlaubnis", "2021-05-19", "",
			"code", "name", 22, Entry{}},
		{"codelists/urn_de_fim_codeliste_gesetzlichervertreterbevollm_chtigter_2021-03-19.xml",
			"urn:de:fim:codeliste:gesetzlichervertreterbevollmächtigter_2021-03-19", "urn:de:fim:codeliste:gesetzlichervertreterbevollmächtigter", "2021-03-19", "",
			"code", "name", 5, Entry{}},
		{"codelists/urn_de_xauslaender_codelist_azr_artderaugenfarbe_1.xml",
			"urn:de:xauslaender:codelist:azr:artderaugenfarbe_1", "urn:de:xauslaender:codelist:azr:artderaugenfarbe", "1", "",
			"code", "beschreibung", 11, Entry{}},
		{"codelists/urn_xpersonenstand_schluesseltabelle_geschlecht_3.xml",
			"urn:xpersonenstand:schluesseltabelle:geschlecht_3", "urn:xpersonenstand:schluesseltabelle:geschlecht", "3", "",
			"key", "name", 4, Entry{"d", "divers"}},
		{"xdf2/S00000094/C00000020_genericode.xml",
			"urn:de:fim:codeliste:statusfrauschwangerstillend_2020-02-06", "urn:de:fim:codeliste:statusfrauschwangerstillend", "2020-02-06", "",
			"code", "name", 2, Entry{"001", "ist schwanger"}},
		{"xdf2/S00000094/C00000021_genericode.xml",
			"urn:de:fim:codeliste:artbeschäftigungsverhältnis_2018-05-09", "urn:de:fim:codeliste:artbeschäftigungsverhältnis", "2018-05-09", "Art Beschäftigungsverhältnis",
			"code", "name", 9, Entry{"001", "Arbeitnehmerin"}},
		{"xdf2/S00000094/C60000006_genericode.xml",
			"urn:de:fim:codeliste:anschrift-inland-oder-ausland_2021-06-18", "urn:de:fim:codeliste:anschrift-inland-oder-ausland", "2021-06-18", "",
			"code", "name", 2, Entry{}},
		{"xdf2/S00000094/C60000020_genericode.xml",
			"urn:de:bund:destatis:bevoelkerungsstatistik:schluessel:staat_2021-02-19", "urn:de:bund:destatis:bevoelkerungsstatistik:schluessel:staat", "2021-02-19", "",
			"schluessel-staat", "suchbegriff", 197, Entry{"000", "Deutschland"}},
	}
	seen := map[string]bool{}
	for _, tt := range tests {
		seen[tt.file] = true
		t.Run(filepath.Base(tt.file), func(t *testing.T) {
			l, err := ParseCodeListFile(filepath.Join("testdata", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			if l.CanonicalVersionURI != tt.versionURI || l.CanonicalURI != tt.uri || l.Version != tt.version {
				t.Errorf("ids = %q %q %q", l.CanonicalVersionURI, l.CanonicalURI, l.Version)
			}
			if tt.short != "" && l.ShortName != tt.short {
				t.Errorf("short name = %q", l.ShortName)
			}
			if l.CodeColumn != tt.codeCol || l.NameColumn != tt.nameCol {
				t.Errorf("columns = %q %q", l.CodeColumn, l.NameColumn)
			}
			if len(l.Entries) != tt.n {
				t.Errorf("entries = %d, want %d", len(l.Entries), tt.n)
			}
			if tt.first != (Entry{}) && l.Entries[0] != tt.first {
				t.Errorf("first = %+v", l.Entries[0])
			}
			for _, e := range l.Entries {
				if e.Code == "" || e.Name == "" {
					t.Errorf("incomplete entry %+v", e)
				}
			}
		})
	}
	// Every list we ship is covered.
	for _, dir := range []string{"codelists", "xdf2/S00000094"} {
		files, _ := filepath.Glob(filepath.Join("testdata", dir, "*.xml"))
		for _, f := range files {
			rel, _ := filepath.Rel("testdata", f)
			if !seen[filepath.ToSlash(rel)] && !strings.Contains(f, "_xdf2") {
				t.Errorf("%s not tested", rel)
			}
		}
	}
	l, _ := ParseCodeListFile("testdata/codelists/urn_de_xauslaender_codelist_azr_artderaugenfarbe_1.xml")
	if l.LongName == "" && l.ShortName == "" {
		t.Error("no names")
	}
}

const gcHead = `<gc:CodeList xmlns:gc="http://docs.oasis-open.org/codelist/ns/genericode/1.0/"><Identification><ShortName>T</ShortName><Version>1</Version><CanonicalUri>urn:t</CanonicalUri><CanonicalVersionUri>urn:t_1</CanonicalVersionUri></Identification>`

func TestParseCodeListHeuristics(t *testing.T) {
	// No second key: the name is the first other string column, skipping
	// non-string ones; values may be positional.
	in := gcHead + `<ColumnSet><Column Id="n"><Data Type="integer"/></Column><Column Id="k"><Data Type="string"/></Column><Column Id="b"><Data Type="string"/></Column>
		<Key Id="codeKey"><ColumnRef Ref="k"/></Key></ColumnSet><SimpleCodeList>
		<Row><Value><SimpleValue>1</SimpleValue></Value><Value><SimpleValue>A</SimpleValue></Value><Value><SimpleValue>Alpha</SimpleValue></Value></Row>
		<Row><Value ColumnRef="k"><SimpleValue>B</SimpleValue></Value></Row>
		<Row><Value ColumnRef="b"><SimpleValue>kein Code</SimpleValue></Value></Row>
		</SimpleCodeList></gc:CodeList>`
	l, err := ParseCodeList(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if l.CodeColumn != "k" || l.NameColumn != "b" || len(l.Entries) != 2 || l.Entries[0] != (Entry{"A", "Alpha"}) || l.Entries[1] != (Entry{"B", ""}) {
		t.Errorf("list = %+v", l)
	}
	// No key at all: the first column is the code.
	in = gcHead + `<ColumnSet><Column Id="c"/><Column Id="d"/></ColumnSet><SimpleCodeList><Row><Value ColumnRef="c"><SimpleValue>x</SimpleValue></Value><Value ColumnRef="d"><SimpleValue>y</SimpleValue></Value></Row></SimpleCodeList></gc:CodeList>`
	if l, err = ParseCodeList(strings.NewReader(in)); err != nil || l.CodeColumn != "c" || l.NameColumn != "d" || l.Entries[0] != (Entry{"x", "y"}) {
		t.Errorf("no key: %v %+v", err, l)
	}
}

func TestParseCodeListErrors(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"xdf", `<x:xdatenfelder.stammdatenschema.0102 xmlns:x="urn:xoev-de:fim:standard:xdatenfelder_2"/>`, "not a genericode"},
		{"no uri", `<gc:CodeList xmlns:gc="http://docs.oasis-open.org/codelist/ns/genericode/1.0/"/>`, "without CanonicalVersionUri"},
		{"no columns", gcHead + `</gc:CodeList>`, "without columns"},
		{"duplicate", gcHead + `<ColumnSet><Column Id="c"/></ColumnSet><SimpleCodeList><Row><Value><SimpleValue>x</SimpleValue></Value></Row><Row><Value><SimpleValue>x</SimpleValue></Value></Row></SimpleCodeList></gc:CodeList>`, `code "x" appears twice`},
		{"broken", gcHead, "broken XML"},
	}
	for _, tt := range tests {
		_, err := ParseCodeList(strings.NewReader(tt.in))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v", tt.name, err)
		}
	}
	_, err := ParseCodeList(strings.NewReader(tests[0].in))
	if !errors.Is(err, ErrNotGenericode) {
		t.Errorf("sentinel: %v", err)
	}
}

func TestCodeListStore(t *testing.T) {
	s := NewCodeListStore()
	n, warns, err := s.LoadDir("testdata/xdf2/S00000094") // the schema beside the lists is skipped
	if err != nil || n != 4 || len(warns) != 0 {
		t.Fatalf("beside S00000094: %d %q %v", n, warns, err)
	}
	n, warns, err = s.LoadDir("testdata/codelists")
	if err != nil || n != 7 || len(warns) != 0 {
		t.Fatalf("codelists: %d %q %v", n, warns, err)
	}
	if s.Len() != 10 { // anschrift-inland-oder-ausland_2021-06-18 is in both folders
		t.Errorf("len = %d", s.Len())
	}
	staat := "urn:de:bund:destatis:bevoelkerungsstatistik:schluessel:staat"

	r := s.Resolve(CodeListRef{CanonicalURI: staat, Version: "2021-02-19", CanonicalVersionURI: staat + "_2021-02-19"})
	if r.How != ResolvedExact || r.List.Version != "2021-02-19" || r.Warning != "" {
		t.Errorf("exact = %+v", r)
	}
	// Two other versions at hand: the newest wins.
	r = s.Resolve(CodeListRef{CanonicalURI: staat, Version: "2017-01-01", CanonicalVersionURI: staat + "_2017-01-01"})
	if r.How != ResolvedOtherVersion || r.List.Version != "2023-02-24" || !strings.Contains(r.Warning, "using version 2023-02-24") {
		t.Errorf("fallback = %+v", r)
	}
	// Canonical URI derived from the version URI.
	r = s.Resolve(CodeListRef{CanonicalVersionURI: "urn:xpersonenstand:schluesseltabelle:geschlecht_2"})
	if r.How != ResolvedOtherVersion || r.List.Version != "3" {
		t.Errorf("derived = %+v", r)
	}
	r = s.Resolve(CodeListRef{CanonicalURI: "urn:de:xoev:codeliste:erreichbarkeit", Version: "2", CanonicalVersionURI: "urn:de:xoev:codeliste:erreichbarkeit_2"})
	if r.How != ResolvedMissing || r.List != nil || !strings.Contains(r.Warning, "free text") {
		t.Errorf("missing = %+v", r)
	}
	var nilStore *CodeListStore
	if r := nilStore.Resolve(CodeListRef{CanonicalVersionURI: "urn:x_1"}); r.How != ResolvedMissing {
		t.Errorf("nil store = %+v", r)
	}
	if got := len(s.Lists()); got != 10 {
		t.Errorf("lists = %d", got)
	}
	if _, _, err := s.LoadDir("testdata/does-not-exist"); err == nil {
		t.Error("missing folder accepted")
	}
}

func TestCodeListStoreBrokenFileAndReplace(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "broken.xml"), []byte(gcHead), 0o600)
	os.WriteFile(filepath.Join(dir, "other.xml"), []byte(`<a/>`), 0o600)
	os.WriteFile(filepath.Join(dir, "notes.txt"), []byte(`x`), 0o600)
	good := gcHead + `<ColumnSet><Column Id="c"/></ColumnSet><SimpleCodeList><Row><Value><SimpleValue>x</SimpleValue></Value></Row></SimpleCodeList></gc:CodeList>`
	os.WriteFile(filepath.Join(dir, "good.xml"), []byte(good), 0o600)
	s := NewCodeListStore()
	n, warns, err := s.LoadDir(dir)
	if err != nil || n != 1 || len(warns) != 1 || !strings.Contains(warns[0], "broken.xml") {
		t.Fatalf("%d %q %v", n, warns, err)
	}
	s.LoadDir(dir) // the same list again replaces it
	if s.Len() != 1 || len(s.byURI["urn:t"]) != 1 {
		t.Errorf("replace: %d %d", s.Len(), len(s.byURI["urn:t"]))
	}
}

func TestCompareVersions(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"2023-02-24", "2021-02-19", 1}, {"2", "3", -1}, {"10", "9", 1}, {"1.2.0", "1.10.0", -1}, {"1", "1", 0}, {"1", "1.0", -1}, {"a", "b", -1},
	}
	for _, tt := range tests {
		if got := compareVersions(tt.a, tt.b); got != tt.want {
			t.Errorf("%q vs %q = %d", tt.a, tt.b, got)
		}
	}
}
