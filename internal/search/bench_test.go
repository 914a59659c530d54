package search

import "testing"

// catalogQueries is a mix of what citizens type: whole names, spellings
// without umlauts, short prefixes, two words, a compound part, a LeiKa key.
var catalogQueries = []string{
	"Elterngeld", "fuhrerschein", "hund", "ummeldung wohnung", "bau", "steuer",
	"Anträge", "Führerschein Ausstellung", "schein", "99012001001000",
}

// regionQueries are places, postcodes and key prefixes.
var regionQueries = []string{
	"Tübingen", "72070", "08416", "Frankfurt", "berlin", "Halle Saale",
	"münchen", "08", "bad", "Mainz-Bingen",
}

// benchSearch runs queries round-robin; the target is well under 10 ms per
// search on two cores (see Makefile: make bench).
func benchSearch(b *testing.B, ix *Index, queries []string) {
	b.ReportAllocs()
	hits := 0
	for i := 0; b.Loop(); i++ {
		hits += len(ix.Search(queries[i%len(queries)], nil))
	}
	if hits == 0 {
		b.Fatal("no hits")
	}
}

func BenchmarkSearchCatalog(b *testing.B) {
	ix := Build(catalogDocs(b))
	b.Run("mix", func(b *testing.B) { benchSearch(b, ix, catalogQueries) })
	for _, q := range catalogQueries {
		b.Run(q, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				ix.Search(q, nil)
			}
		})
	}
}

func BenchmarkSearchRegions(b *testing.B) {
	ix := Build(regionDocs(b))
	b.Run("mix", func(b *testing.B) { benchSearch(b, ix, regionQueries) })
	// The largest result sets, and ten common word parts, the most work a
	// query can cause.
	for _, q := range []string{"08", "bad", "berg burg dorf stadt heim hausen feld bach tal ingen"} {
		b.Run(q, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				ix.Search(q, nil)
			}
		})
	}
}

func BenchmarkBuildCatalog(b *testing.B) {
	docs := catalogDocs(b)
	b.ReportAllocs()
	for b.Loop() {
		Build(docs)
	}
}

func BenchmarkBuildRegions(b *testing.B) {
	docs := regionDocs(b)
	b.ReportAllocs()
	for b.Loop() {
		Build(docs)
	}
}

func BenchmarkNormalize(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		Normalize("Förderdarlehen der KfW zum Bau oder Erwerb von selbst genutzten Eigenheimen und Eigentumswohnungen")
	}
}
