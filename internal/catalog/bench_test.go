package catalog

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/ozgo/ozgo/internal/store/dbtest"
)

// BenchmarkImportRegionsSQLite measures a full import of all ~16,000
// regions into an empty SQLite database (one op = one import).
func BenchmarkImportRegionsSQLite(b *testing.B) {
	_, regions := realData(b)
	for b.Loop() {
		b.StopTimer()
		db := dbtest.SQLite(b)
		b.StartTimer()
		if _, err := NewStore(db).ImportRegions(context.Background(), regions, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkImportCatalogSQLite measures a full import of the catalog
// (~5,900 records) into an empty SQLite database.
func BenchmarkImportCatalogSQLite(b *testing.B) {
	cat, _ := realData(b)
	for b.Loop() {
		b.StopTimer()
		db := dbtest.SQLite(b)
		b.StartTimer()
		if _, err := NewStore(db).ImportCatalog(context.Background(), cat, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkImportAllPostgres imports regions and catalog into a fresh
// PostgreSQL schema (skipped without OZGO_TEST_POSTGRES).
func BenchmarkImportAllPostgres(b *testing.B) {
	cat, regions := realData(b)
	for b.Loop() {
		b.StopTimer()
		db := dbtest.Postgres(b)
		b.StartTimer()
		st := NewStore(db)
		if _, err := st.ImportRegions(context.Background(), regions, nil); err != nil {
			b.Fatal(err)
		}
		if _, err := st.ImportCatalog(context.Background(), cat, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParse measures parsing and checking both embedded files.
func BenchmarkParse(b *testing.B) {
	for b.Loop() {
		if _, err := ParseCatalog(EmbeddedCatalog()); err != nil {
			b.Fatal(err)
		}
		if _, err := ParseRegions(EmbeddedRegions()); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSearchLeistungen is the catalog search as the API runs it: a
// mix of realistic queries over all 5,251 Leistungen, first page.
func BenchmarkSearchLeistungen(b *testing.B) {
	db := dbtest.SQLite(b)
	svc := loaded(b, db)
	sn, err := svc.Snapshot(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	queries := []string{"Elterngeld", "fuhrerschein", "Hund", "ummelden", "Baugenehmigung Erteilung", "steuer", "Personalausweis verloren", "Gewerbe anmelden", "a", "an"}
	b.ReportAllocs()
	var lat []time.Duration
	i := 0
	for b.Loop() {
		t0 := time.Now()
		sn.SearchLeistungen(LeistungQuery{Q: queries[i%len(queries)], Limit: 20})
		lat = append(lat, time.Since(t0))
		i++
	}
	reportP99(b, lat)
}

// reportP99 adds the 99th percentile latency of the measured operations
// as the metric "p99-ns" (the target is p99 < 10 ms).
func reportP99(b *testing.B, lat []time.Duration) {
	if len(lat) == 0 {
		return
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)*99/100].Nanoseconds()), "p99-ns")
}

// BenchmarkSearchRegionen: name, postcode and ARS queries over ~16,000 regions.
func BenchmarkSearchRegionen(b *testing.B) {
	db := dbtest.SQLite(b)
	svc := loaded(b, db)
	sn, _ := svc.Snapshot(context.Background())
	queries := []string{"Tübingen", "72070", "08416", "Berlin", "Frankfurt am Main", "neu", "08", "a"}
	b.ReportAllocs()
	var lat []time.Duration
	i := 0
	for b.Loop() {
		t0 := time.Now()
		sn.SearchRegionen(RegionQuery{Q: queries[i%len(queries)], Limit: 20})
		lat = append(lat, time.Since(t0))
		i++
	}
	reportP99(b, lat)
}
