package fim

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

func addSeeds(f *testing.F, patterns ...string) {
	for _, p := range patterns {
		files, err := filepath.Glob(p)
		if err != nil || len(files) == 0 {
			f.Fatalf("no seeds for %s", p)
		}
		for _, file := range files {
			b, err := os.ReadFile(file)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(b)
		}
	}
}

// FuzzParseXDF: any input either fails with an error or yields a document
// whose export compiles as a JSON Schema.
func FuzzParseXDF(f *testing.F) {
	addSeeds(f, "testdata/xdf2/*/*_xdf2.xml", "testdata/xdf3/*.xml", "testdata/xdf1/*.xml")
	f.Add([]byte(xdf3Werte))
	f.Add([]byte(`<x:xdatenfelder.stammdatenschema.0102 xmlns:x="urn:xoev-de:fim:standard:xdatenfelder_2"><x:stammdatenschema><x:identifikation><x:id>S1</x:id></x:identifikation><x:struktur><x:anzahl>1:*</x:anzahl><x:enthaelt><x:datenfeld><x:identifikation><x:id>F1</x:id></x:identifikation><x:datentyp><code>num</code></x:datentyp><x:praezisierung>{"minValue":"1","pattern":"a"}</x:praezisierung></x:datenfeld></x:enthaelt></x:struktur></x:stammdatenschema></x:xdatenfelder.stammdatenschema.0102>`))
	store := NewCodeListStore()
	for _, dir := range []string{"testdata/codelists", "testdata/xdf2/S00000094"} {
		if _, _, err := store.LoadDir(dir); err != nil {
			f.Fatal(err)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		doc, err := Parse(bytes.NewReader(data))
		if err != nil {
			if doc != nil {
				t.Fatal("document and error")
			}
			return
		}
		_ = doc.Stats()
		_ = doc.Rules()
		x, err := JSONSchema(doc, store)
		if err != nil {
			t.Fatalf("export: %v", err)
		}
		if _, err := x.Compile(); err != nil {
			t.Fatalf("export does not compile: %v\n%s", err, x.JSON)
		}
	})
}

// FuzzParseGenericode: any input either fails or yields a list with a
// version URI and unique, non-empty codes.
func FuzzParseGenericode(f *testing.F) {
	addSeeds(f, "testdata/codelists/*.xml", "testdata/xdf2/S00000094/C*_genericode.xml")
	f.Fuzz(func(t *testing.T, data []byte) {
		l, err := ParseCodeList(bytes.NewReader(data))
		if err != nil {
			return
		}
		if l.CanonicalVersionURI == "" {
			t.Fatal("list without version URI")
		}
		seen := map[string]bool{}
		for _, e := range l.Entries {
			if e.Code == "" || seen[e.Code] {
				t.Fatalf("bad code %q", e.Code)
			}
			seen[e.Code] = true
		}
		s := NewCodeListStore()
		s.Add(l)
		if r := s.Resolve(CodeListRef{CanonicalVersionURI: l.CanonicalVersionURI}); r.How != ResolvedExact {
			t.Fatalf("own list not found: %+v", r)
		}
	})
}
