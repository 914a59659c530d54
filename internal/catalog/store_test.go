package catalog

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/ozgo/ozgo/internal/errs"
	"github.com/ozgo/ozgo/internal/store"
	"github.com/ozgo/ozgo/internal/store/dbtest"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

var (
	parsedOnce    sync.Once
	parsedCatalog *CatalogData
	parsedRegions []Region
)

func realData(t testing.TB) (*CatalogData, []Region) {
	t.Helper()
	parsedOnce.Do(func() {
		var err error
		if parsedCatalog, err = ParseCatalog(EmbeddedCatalog()); err != nil {
			panic(err)
		}
		if parsedRegions, err = ParseRegions(EmbeddedRegions()); err != nil {
			panic(err)
		}
	})
	return parsedCatalog, parsedRegions
}

// loaded imports the real data into db.
func loaded(t testing.TB, db *store.DB) *Service {
	return loadedSubset(t, db)
}

// loadedSubset imports the catalog and the regions of the given Länder (all
// when none are given): tests that are not about completeness stay fast
// under the race detector.
func loadedSubset(t testing.TB, db *store.DB, laender ...string) *Service {
	t.Helper()
	cat, regions := realData(t)
	if len(laender) > 0 {
		var sub []Region
		for _, r := range regions {
			for _, l := range laender {
				if strings.HasPrefix(r.ARS, l) {
					sub = append(sub, r)
				}
			}
		}
		regions = sub
	}
	st := NewStore(db)
	ctx := context.Background()
	if _, err := st.ImportRegions(ctx, regions, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := st.ImportCatalog(ctx, cat, nil); err != nil {
		t.Fatal(err)
	}
	return NewService(st)
}

func TestImportIsIdempotentAndComplete(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		svc := loaded(t, db)
		st := svc.Store()
		v1, _ := st.Version(ctx)
		cat, regions := realData(t)
		s1, err := st.ImportCatalog(ctx, cat, nil)
		if err != nil {
			t.Fatal(err)
		}
		s2, err := st.ImportRegions(ctx, regions, nil)
		if err != nil {
			t.Fatal(err)
		}
		if s1.Changed() || s2.Changed() {
			t.Fatalf("second import changed something: %+v %+v", s1, s2)
		}
		if v2, _ := st.Version(ctx); v2 != v1 || v1 == "" {
			t.Fatalf("version moved without change: %q -> %q", v1, v2)
		}
		sn, err := svc.Snapshot(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(sn.Themenfelder) != 14 || len(sn.Lebenslagen) != 58 || len(sn.OZGLeistungen) != 557 || len(sn.Leistungen) != 5251 {
			t.Fatalf("snapshot counts %d %d %d %d", len(sn.Themenfelder), len(sn.Lebenslagen), len(sn.OZGLeistungen), len(sn.Leistungen))
		}
		if n := sn.CountGemeinden(""); n != 10796 {
			t.Errorf("Gemeinden %d", n)
		}
		if n := sn.CountGemeinden("08"); n != 1101 {
			t.Errorf("Gemeinden in BW %d", n)
		}
		// Round trip of a full record.
		r, err := sn.Region("084160041041")
		if err != nil || r.Name != "Tübingen, Universitätsstadt" || r.PLZ != "72070" || r.AGS != "08416041" || r.Bevoelkerung == nil || r.Laengengrad == nil {
			t.Fatalf("Tübingen: %+v %v", r, err)
		}
		l, err := sn.Leistung("99041006000000")
		if err != nil || l.Name != "Elterngeld" || l.Typisierung != "2/3" || strings.Join(l.Rechtsgrundlagen, ",") != "BEEG" {
			t.Fatalf("Elterngeld: %+v %v", l, err)
		}
	})
}

func TestImportAppliesChangesAndRemovals(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		svc := loadedSubset(t, db, "01")
		cat, _ := realData(t)
		changed := *cat
		changed.Leistungen = append([]Leistung(nil), cat.Leistungen[:len(cat.Leistungen)-10]...)
		changed.Leistungen[0].Name = "Geänderter Name"
		st, err := svc.Store().ImportCatalog(ctx, &changed, nil)
		if err != nil {
			t.Fatal(err)
		}
		lk := st.Tables[3]
		if lk.Changed != 1 || lk.Removed != 10 || lk.Added != 0 {
			t.Fatalf("stats %+v", lk)
		}
		svc.Invalidate()
		sn, _ := svc.Snapshot(ctx)
		if len(sn.Leistungen) != 5241 {
			t.Fatalf("%d Leistungen after removal", len(sn.Leistungen))
		}
		if l, _ := sn.Leistung(changed.Leistungen[0].Ref); l.Name != "Geänderter Name" {
			t.Fatalf("change not applied: %+v", l)
		}
	})
}

// A failing import leaves the old data intact: the database rejects a row
// half way through (a parent region missing in the database), and nothing
// of the import remains.
func TestImportIsTransactional(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		svc := loadedSubset(t, db, "01")
		before, _ := svc.Store().Version(ctx)
		_, all := realData(t)
		var regions []Region
		for _, r := range all {
			if strings.HasPrefix(r.ARS, "01") {
				regions = append(regions, r)
			}
		}
		broken := append([]Region(nil), regions...)
		broken[0].Name = "Umbenannt"
		broken = append(broken, Region{ARS: "999999999999", Ebene: Gemeinde, Name: "Nirgendwo", ParentARS: "999999999"})
		if _, err := svc.Store().ImportRegions(ctx, broken, nil); err == nil {
			t.Fatal("import with a dangling parent succeeded")
		}
		if after, _ := svc.Store().Version(ctx); after != before {
			t.Fatal("version changed by a failed import")
		}
		svc.Invalidate()
		sn, _ := svc.Snapshot(ctx)
		if r, _ := sn.Region(regions[0].ARS); r.Name != regions[0].Name {
			t.Fatalf("partial import visible: %q", r.Name)
		}
	})
}

func TestZustaendigkeit(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		svc := loadedSubset(t, db, "01", "08")
		st := svc.Store()
		var kreisID, landID int64
		err := db.InTx(ctx, func(tx *store.Tx) error {
			var err error
			kreisID, err = st.CreateBehoerde(ctx, tx, Behoerde{Name: "Landratsamt Tübingen", RegionARS: "08416", Email: "amt@tuebingen.example"})
			if err != nil {
				return err
			}
			landID, err = st.CreateBehoerde(ctx, tx, Behoerde{Name: "Land BW", RegionARS: "08"})
			if err != nil {
				return err
			}
			if err := st.Assign(ctx, tx, Assignment{LeistungRef: "99023001000000", RegionARS: "08416", BehoerdeID: kreisID}); err != nil {
				return err
			}
			if err := st.Assign(ctx, tx, Assignment{LeistungRef: "99023001000000", RegionARS: "08", BehoerdeID: landID}); err != nil {
				return err
			}
			return st.Assign(ctx, tx, Assignment{LeistungRef: "99041006000000", RegionARS: "08", BehoerdeID: landID, OnlinedienstURL: "https://bw.example/elterngeld"})
		})
		if err != nil {
			t.Fatal(err)
		}
		// Nearest assignment wins: Kreis before Land.
		z, err := svc.Zustaendigkeit(ctx, "99023001000000", "084160041041")
		if err != nil || z.Quelle != Zugeordnet || z.Behoerde == nil || z.Behoerde.ID != kreisID || z.Ebene != "kreis" {
			t.Fatalf("Führerschein Tübingen: %+v %v", z, err)
		}
		// Elsewhere in BW only the Land assignment applies.
		z, _ = svc.Zustaendigkeit(ctx, "99023001000000", "081110000000")
		if z.Behoerde == nil || z.Behoerde.ID != landID || z.Ebene != "land" {
			t.Fatalf("Führerschein Stuttgart: %+v", z)
		}
		z, _ = svc.Zustaendigkeit(ctx, "99041006000000", "084160041041")
		if z.OnlinedienstURL != "https://bw.example/elterngeld" {
			t.Fatalf("online service not found: %+v", z)
		}
		// No assignment outside BW: derived from the typisierung.
		z, _ = svc.Zustaendigkeit(ctx, "99102013000000", "010010000000") // Hundesteuer (4) in Flensburg
		if z.Quelle != Abgeleitet || z.Ebene != "land" || z.Zustaendig == nil || z.Zustaendig.ARS != "01" {
			t.Fatalf("derived Land: %+v", z)
		}
		z, _ = svc.Zustaendigkeit(ctx, "99023001000000", "010010000000") // 2/3 → Kreis "Flensburg, Stadt"
		if z.Quelle != Abgeleitet || z.Ebene != "kreis" || z.Zustaendig == nil || z.Zustaendig.ARS != "01001" {
			t.Fatalf("derived Kreis: %+v", z)
		}
		if _, err := svc.Zustaendigkeit(ctx, "99999999999999", "010010000000"); err == nil {
			t.Fatal("unknown Leistung accepted")
		}
		if _, err := svc.Zustaendigkeit(ctx, "99023001000000", "999999999999"); err == nil {
			t.Fatal("unknown region accepted")
		}
		offers, err := st.AssignmentsIn(ctx, ChainARS("084160041041"), true)
		if err != nil || len(offers) != 1 || offers[0].LeistungRef != "99041006000000" {
			t.Fatalf("online offers: %+v %v", offers, err)
		}
		bs, err := st.BehoerdenIn(ctx, ChainARS("084160041041"))
		if err != nil || len(bs) != 2 || bs[0].ID != kreisID {
			t.Fatalf("authorities: %+v %v", bs, err)
		}
		// Removing a region that authorities belong to is refused with a clear message.
		_, regions := realData(t)
		var without []Region
		for _, r := range regions {
			if (strings.HasPrefix(r.ARS, "01") || strings.HasPrefix(r.ARS, "08")) && !strings.HasPrefix(r.ARS, "08416") {
				without = append(without, r)
			}
		}
		_, err = st.ImportRegions(ctx, without, nil)
		if msg, args := errs.MessageArgsOf(err); !errs.Is(err, errs.Conflict) || msg != "catalog.import.region_in_use" || len(args) != 2 || args[0] != "08416" {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestValidateBehoerde(t *testing.T) {
	for _, b := range []Behoerde{
		{RegionARS: "08"},
		{Name: "A"},
		{Name: "A", RegionARS: "08", Email: "kein mail"},
		{Name: "A", RegionARS: "08", Website: "javascript:alert(1)"},
	} {
		if ValidateBehoerde(b) == nil {
			t.Errorf("accepted %+v", b)
		}
	}
}

func TestCreateBehoerdeStoresBareEmail(t *testing.T) {
	db := dbtest.SQLite(t)
	ctx := context.Background()
	_, regions := realData(t)
	st := NewStore(db)
	if _, err := st.ImportRegions(ctx, regions[:1], nil); err != nil { // Schleswig-Holstein
		t.Fatal(err)
	}
	var id int64
	err := db.InTx(ctx, func(tx *store.Tx) (err error) {
		id, err = st.CreateBehoerde(ctx, tx, Behoerde{Name: "Amt", RegionARS: regions[0].ARS, Email: "Amt Nord <post@amt.example>"})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	b, err := st.Behoerde(ctx, id)
	if err != nil || b.Email != "post@amt.example" {
		t.Fatalf("%+v %v", b, err)
	}
	err = db.InTx(ctx, func(tx *store.Tx) error {
		_, err := st.CreateBehoerde(ctx, tx, Behoerde{Name: "Amt", RegionARS: "999"})
		return err
	})
	var e *errs.Error
	if !errors.As(err, &e) || e.Code != errs.Invalid || e.Field != "region" {
		t.Fatalf("unknown region: %v", err)
	}
}
