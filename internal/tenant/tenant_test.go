package tenant_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ozgo/ozgo/internal/catalog"
	"github.com/ozgo/ozgo/internal/errs"
	"github.com/ozgo/ozgo/internal/identity"
	"github.com/ozgo/ozgo/internal/store"
	"github.com/ozgo/ozgo/internal/store/dbtest"
	"github.com/ozgo/ozgo/internal/tenant"
	"github.com/ozgo/ozgo/internal/tenant/tenanttest"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// regions is a hand-made Land with one Kreis of four Gemeinden and one
// Kreis of one Gemeinde.
const regions = `ebene,ars,ags,name,art,uebergeordnet_ars,flaeche_km2,bevoelkerung,plz,laengengrad,breitengrad
land,99,,Testland,,,,,,,
kreis,99001,,Nordkreis,Landkreis,99,,,,,
gemeindeverband,990010000,,Nordkreis verbandsfrei,,99001,,,,,
gemeinde,990010000001,99001001,Aheim,Stadt,990010000,10.0,60000,11111,9.0,48.0
gemeinde,990010000002,99001002,Bedorf,Gemeinde,990010000,10.0,20000,11112,9.1,48.1
gemeinde,990010000003,99001003,Cestadt,Gemeinde,990010000,10.0,15000,11113,9.2,48.2
gemeinde,990010000004,99001004,Dedorf,Gemeinde,990010000,10.0,5000,11114,9.3,48.3
kreis,99002,,Südkreis,Landkreis,99,,,,,
gemeindeverband,990020000,,Südkreis verbandsfrei,,99002,,,,,
gemeinde,990020000001,99002001,Eheim,Stadt,990020000,10.0,100000,11115,9.4,48.4
`

type fixture struct {
	svc                        *tenant.Service
	operator, author, kreis, a *identity.Actor
	clock                      *time.Time
}

func setup(t *testing.T, db *store.DB) fixture {
	t.Helper()
	ctx := context.Background()
	env := tenanttest.New(t, db, regions)
	svc := env.Tenants
	now := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	svc.Now = func() time.Time { return now }
	f := fixture{svc: svc, clock: &now, author: env.Author,
		operator: &identity.Actor{Kind: identity.KindStaff, Principal: "op", Roles: []identity.Role{identity.RoleOperator}},
		kreis:    &identity.Actor{Kind: identity.KindStaff, Principal: "kr", TenantID: "nordkreis", Roles: []identity.Role{identity.RoleTenantAdmin}},
		a:        &identity.Actor{Kind: identity.KindStaff, Principal: "ah", TenantID: "aheim", Roles: []identity.Role{identity.RoleTenantAdmin}},
	}
	for _, nt := range []tenant.NewTenant{
		{ID: "nordkreis", Name: "Nordkreis", ARS: "99001", AdminEmail: "admin@nordkreis.example", AdminName: "Admin", AdminPassw: "ein langes passwort"},
		{ID: "aheim", Name: "Stadt Aheim", ARS: "990010000001", AdminEmail: "admin@aheim.example", AdminName: "Admin", AdminPassw: "ein langes passwort"},
	} {
		if err := svc.CreateTenant(ctx, f.operator, nt); err != nil {
			t.Fatal(err)
		}
	}
	v := tenanttest.BlaueKarte(tenant.ParamAuthority, tenant.ParamContact)
	v.FeeCents = 10000
	env.Publish(t, v)
	return f
}

func TestCreateTenantOnlyByOperator(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		ctx := context.Background()
		err := f.svc.CreateTenant(ctx, f.kreis, tenant.NewTenant{ID: "x", Name: "X", ARS: "99", AdminEmail: "a@x.example", AdminName: "A", AdminPassw: "ein langes passwort"})
		if !errs.Is(err, errs.NotFound) {
			t.Errorf("tenant admin creating a tenant: %v", err)
		}
		es := f.svc.CheckNewTenant(ctx, tenant.NewTenant{ID: "nordkreis", ARS: "12"})
		fields := map[string]bool{}
		for _, e := range es {
			fields[e.Field] = true
		}
		for _, want := range []string{"id", "name", "ars", "email", "admin-name", "password"} {
			if !fields[want] {
				t.Errorf("no error for %s: %v", want, es)
			}
		}
	})
}

func TestActivationReifegrad(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		ctx := context.Background()
		// Incomplete: no authority, no contact, wrong trust level.
		_, es, err := f.svc.Activate(ctx, f.a, "aheim", tenant.ActivationInput{ARS: "990010000001", TrustLevel: "mittel"}, "blaue-karte-eu")
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]bool{}
		for _, e := range es {
			got[e.Field] = true
		}
		for _, want := range []string{"behoerde", "email", "vertrauensniveau"} {
			if !got[want] {
				t.Errorf("completeness: no error for %s (%v)", want, es)
			}
		}
		// Another tenant's Gemeinde: refused.
		_, es, _ = f.svc.Activate(ctx, f.a, "aheim", tenant.ActivationInput{ARS: "990010000002", Authority: "Amt", ContactEmail: "amt@aheim.example"}, "blaue-karte-eu")
		if len(es) != 1 || es[0].Field != "ars" {
			t.Errorf("foreign Gemeinde: %v", es)
		}
		// Another tenant: 404.
		if _, _, err := f.svc.Activate(ctx, f.a, "nordkreis", tenant.ActivationInput{}, "blaue-karte-eu"); !errs.Is(err, errs.NotFound) {
			t.Errorf("foreign tenant: %v", err)
		}
		// Complete, but PDF, no login, no Postfach: Reifegrad 2.
		in := tenant.ActivationInput{ARS: "990010000001", Authority: "Ausländerbehörde Aheim", ContactEmail: "amt@aheim.example", Fee: "100,00"}
		if _, es, err := f.svc.Activate(ctx, f.a, "aheim", in, "blaue-karte-eu"); err != nil || len(es) > 0 {
			t.Fatal(err, es)
		}
		as, err := f.svc.Reifegrad(ctx, "blaue-karte-eu", "990010000001")
		if err != nil {
			t.Fatal(err)
		}
		var missing []string
		for _, c := range as.Missing() {
			missing = append(missing, c.ID)
		}
		if as.Level != 2 || strings.Join(missing, " ") != "anmeldung zustellung postfach" {
			t.Fatalf("Reifegrad %d, missing %v", as.Level, missing)
		}
		in.Delivery, in.DestinationID, in.TrustLevel, in.Postfach = "zustellpunkt", "2b3a4ed7-1d6b-4c7a-9a43-8a1e0e3f9f11", "substantiell", "ja"
		if _, es, err := f.svc.Activate(ctx, f.a, "aheim", in, "blaue-karte-eu"); err != nil || len(es) > 0 {
			t.Fatal(err, es)
		}
		as, _ = f.svc.Reifegrad(ctx, "blaue-karte-eu", "990010000001")
		if as.Level != 3 {
			t.Fatalf("after fixing: Reifegrad %d, missing %v", as.Level, as.Missing())
		}
		// Not activated: no authority in the catalog, Reifegrad 0.
		as, err = f.svc.Reifegrad(ctx, "blaue-karte-eu", "990010000003")
		if err != nil || as.Level != 0 {
			t.Errorf("not activated: %d %v", as.Level, err)
		}
	})
}

func TestBulkActivationAndCoverage(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		ctx := context.Background()
		// Line 3 is outside the area, line 4 has a bad fee and delivery:
		// nothing is stored, each error names its line.
		bad := "ars;behoerde;email;gebuehr;zustellung;postfach;vertrauensniveau\n" +
			"990010000001;Amt A;a@x.example;;eingang;ja;niedrig\n" +
			"990020000001;Amt E;e@x.example;;eingang;ja;niedrig\n" +
			"990010000002;Amt B;b@x.example;zwölf;fax;ja;niedrig\n"
		n, lerrs, err := f.svc.BulkActivate(ctx, f.kreis, "nordkreis", "blaue-karte-eu", strings.NewReader(bad))
		if err != nil {
			t.Fatal(err)
		}
		lines := map[int][]string{}
		for _, le := range lerrs {
			lines[le.Line] = append(lines[le.Line], le.Err.Field)
		}
		// The fee column is ignored since fees are payment settings: line 4
		// has one error (the delivery).
		if n != 0 || len(lines[3]) != 1 || len(lines[4]) != 1 || len(lines[2]) != 0 {
			t.Fatalf("n=%d, errors by line %v", n, lines)
		}
		if acts, _ := f.svc.TenantActivations(ctx, "nordkreis"); len(acts) != 0 {
			t.Fatalf("a failed upload stored %d activations", len(acts))
		}
		// Dedorf gets a line of its own (PDF only: Reifegrad 2); "*" takes
		// the other three Gemeinden of the Kreis at Reifegrad 3.
		good := "\ufeffars,behoerde,email,zustellung,postfach,vertrauensniveau\n" +
			"990010000004,Amt D,d@x.example,pdf,nein,\n" +
			"*,Landratsamt Nordkreis,lra@x.example,eingang,ja,substantiell\n"
		n, lerrs, err = f.svc.BulkActivate(ctx, f.kreis, "nordkreis", "blaue-karte-eu", strings.NewReader(good))
		if err != nil || len(lerrs) > 0 || n != 4 {
			t.Fatalf("n=%d %v %v", n, lerrs, err)
		}
		cov, err := f.svc.Coverage(ctx, "99001", "99010014001001")
		if err != nil || len(cov) != 1 {
			t.Fatal(cov, err)
		}
		c := cov[0].Coverage
		if c.GemeindenGesamt != 4 || c.GemeindenAb3 != 3 || c.BevoelkerungGesamt != 100000 || c.BevoelkerungAb3 != 95000 || c.Flaechendeckend {
			t.Errorf("Kreis coverage %+v", c)
		}
		cov, _ = f.svc.Coverage(ctx, "99", "99010014001001")
		c = cov[0].Coverage
		if c.GemeindenGesamt != 5 || c.GemeindenAb3 != 3 || c.BevoelkerungGesamt != 200000 || c.BevoelkerungAb3 != 95000 {
			t.Errorf("Land coverage %+v", c)
		}
		// Dedorf switched to the inbox: the Kreis is area-wide.
		if _, es, err := f.svc.Activate(ctx, f.kreis, "nordkreis", tenant.ActivationInput{ARS: "990010000004", Authority: "Amt D", ContactEmail: "d@x.example", Delivery: "eingang", Postfach: "ja", TrustLevel: "hoch"}, "blaue-karte-eu"); err != nil || len(es) > 0 {
			t.Fatal(err, es)
		}
		cov, _ = f.svc.Coverage(ctx, "99001", "")
		var found bool
		for _, lc := range cov {
			if lc.LeiKa == "99010014001001" {
				found = true
				if !lc.Flaechendeckend || lc.GemeindenAb3 != 4 {
					t.Errorf("after fix: %+v", lc.Coverage)
				}
			}
		}
		if !found || !cov[0].Fokus {
			t.Errorf("coverage list: %+v", cov)
		}
		// Aheim activated it itself: the Kreis cannot overwrite that, but
		// Aheim may take over what the Kreis set up.
		if _, es, err := f.svc.Activate(ctx, f.a, "aheim", tenant.ActivationInput{ARS: "990010000001", Authority: "Bürgeramt Aheim", ContactEmail: "a@x.example", Delivery: "eingang", Postfach: "ja", TrustLevel: "niedrig"}, "blaue-karte-eu"); err != nil || len(es) > 0 {
			t.Fatal(err, es)
		}
		_, es, err := f.svc.Activate(ctx, f.kreis, "nordkreis", tenant.ActivationInput{ARS: "990010000001", Authority: "Landratsamt", ContactEmail: "l@x.example"}, "blaue-karte-eu")
		if err != nil || len(es) != 1 || es[0].Message != "tenant.error.owned" {
			t.Fatalf("Kreis overwrote the Gemeinde's own activation: %v %v", err, es)
		}
		if a, _ := f.svc.Activation(ctx, "blaue-karte-eu", "990010000001"); a.TenantID != "aheim" || a.Authority != "Bürgeramt Aheim" {
			t.Errorf("activation now %+v", a)
		}
		if err := f.svc.Deactivate(ctx, f.kreis, "nordkreis", "blaue-karte-eu", "990010000001"); !errs.Is(err, errs.NotFound) {
			t.Errorf("Kreis switched off the Gemeinde's activation: %v", err)
		}
		// Switched off: no longer counted.
		if err := f.svc.Deactivate(ctx, f.a, "aheim", "blaue-karte-eu", "990010000001"); err != nil {
			t.Fatal(err)
		}
		cov, _ = f.svc.Coverage(ctx, "99001", "99010014001001")
		if cov[0].BevoelkerungAb3 != 40000 {
			t.Errorf("after deactivation %+v", cov[0].Coverage)
		}
	})
}

func TestVersionsKeepServing(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		ctx := context.Background()
		v2, err := f.svc.PrepareVersion(ctx, f.author, tenant.Version{Slug: "blaue-karte-eu", Title: "Blaue Karte EU (neu)", Summary: "Antrag",
			LeiKa: []string{"99010014001001"}, FormID: "S00000121", FormVersion: "1.0", MinTrustLevel: identity.Substantiell})
		if err != nil {
			t.Fatal(err)
		}
		if pv, _ := f.svc.PublishedVersion(ctx, "blaue-karte-eu"); pv.Version != 1 {
			t.Errorf("a prepared draft replaced the published version: %d", pv.Version)
		}
		if err := f.svc.Publish(ctx, f.kreis, v2.Slug, v2.Version); !errs.Is(err, errs.NotFound) {
			t.Errorf("tenant admin publishing: %v", err)
		}
		if err := f.svc.Publish(ctx, f.author, v2.Slug, v2.Version); err != nil {
			t.Fatal(err)
		}
		vs, _ := f.svc.Versions(ctx, "blaue-karte-eu")
		if len(vs) != 2 || vs[0].State != tenant.Published || vs[1].State != tenant.Superseded {
			t.Errorf("versions %+v %+v", vs[0], vs[1])
		}
		// The new minimum applies to new activations.
		_, es, _ := f.svc.Activate(ctx, f.a, "aheim", tenant.ActivationInput{ARS: "990010000001", Authority: "Amt", TrustLevel: "niedrig"}, "blaue-karte-eu")
		if len(es) != 1 || es[0].Field != "vertrauensniveau" {
			t.Errorf("trust level below the new minimum: %v", es)
		}
	})
}

func TestStatisticsFeedbackAnnouncements(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		ctx := context.Background()
		for _, k := range []string{tenant.StatStarted, tenant.StatStarted, tenant.StatSubmitted} {
			if err := f.svc.Count(ctx, "blaue-karte-eu", "990010000002", k); err != nil {
				t.Fatal(err)
			}
		}
		if err := f.svc.Count(ctx, "blaue-karte-eu", "990020000001", tenant.StatStarted); err != nil {
			t.Fatal(err)
		}
		rows, err := f.svc.Statistics(ctx, f.kreis, "nordkreis")
		if err != nil || len(rows) != 1 || rows[0].Month != "2026-11" || rows[0].Counts["begonnen"] != 2 || rows[0].Counts["eingereicht"] != 1 {
			t.Fatalf("statistics %+v %v", rows, err)
		}
		tok := f.svc.FeedbackToken("blaue-karte-eu")
		if err := f.svc.CheckFeedbackToken("blaue-karte-eu", tok); !errs.Is(err, errs.Invalid) {
			t.Errorf("instant post accepted: %v", err)
		}
		*f.clock = f.clock.Add(10 * time.Second)
		if err := f.svc.CheckFeedbackToken("blaue-karte-eu", tok); err != nil {
			t.Errorf("token: %v", err)
		}
		if err := f.svc.CheckFeedbackToken("andere", tok); err == nil {
			t.Error("token of another service accepted")
		}
		*f.clock = f.clock.Add(7 * time.Hour)
		if err := f.svc.CheckFeedbackToken("blaue-karte-eu", tok); err == nil {
			t.Error("old token accepted")
		}
		if err := f.svc.AddFeedback(ctx, tenant.Feedback{Slug: "blaue-karte-eu", Stars: 6}); !errs.Is(err, errs.Invalid) {
			t.Errorf("6 stars: %v", err)
		}
		if _, es, err := f.svc.Activate(ctx, f.a, "aheim", tenant.ActivationInput{ARS: "990010000001", Authority: "Amt", ContactEmail: "a@x.example"}, "blaue-karte-eu"); err != nil || len(es) > 0 {
			t.Fatal(err, es)
		}
		for _, s := range []int{5, 4} {
			if err := f.svc.AddFeedback(ctx, tenant.Feedback{Slug: "blaue-karte-eu", GemeindeARS: "990010000001", Stars: s, Comment: "gut"}); err != nil {
				t.Fatal(err)
			}
		}
		sum, err := f.svc.TenantFeedback(ctx, f.a, "aheim")
		if err != nil || len(sum) != 1 || sum[0].Count != 2 || sum[0].AvgTenth != 45 || len(sum[0].Comments) != 2 {
			t.Fatalf("feedback %+v %v", sum, err)
		}
		if _, err := f.svc.TenantFeedback(ctx, f.kreis, "aheim"); !errs.Is(err, errs.NotFound) {
			t.Errorf("other tenant reads feedback: %v", err)
		}
		start := f.clock.Add(48 * time.Hour)
		if err := f.svc.Announce(ctx, f.operator, tenant.Announcement{Kind: tenant.Maintenance, Message: "Wartung", Starts: start, Ends: start.Add(2 * time.Hour)}); err != nil {
			t.Fatal(err)
		}
		if err := f.svc.Announce(ctx, f.a, tenant.Announcement{Kind: tenant.Incident, Message: "x", Starts: *f.clock}); err == nil {
			t.Error("tenant admin announced")
		}
		cur, banner, err := f.svc.Announcements(ctx)
		if err != nil || len(cur) != 1 || len(banner) != 1 {
			t.Errorf("announcements %v %v %v", cur, banner, err)
		}
	})
}

func TestCreateTenantTakenEmailLeavesNothing(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		ctx := context.Background()
		in := tenant.NewTenant{ID: "bedorf", Name: "Bedorf", ARS: "990010000002", AdminEmail: "admin@aheim.example", AdminName: "A", AdminPassw: "ein langes passwort"}
		err := f.svc.CreateTenant(ctx, f.operator, in)
		var e *errs.Error
		if !errors.As(err, &e) || e.Field != "email" {
			t.Fatalf("taken e-mail: %v", err)
		}
		if _, err := f.svc.Tenant(ctx, "bedorf"); !errs.Is(err, errs.NotFound) {
			t.Errorf("tenant left behind: %v", err)
		}
		in.AdminEmail = "admin@bedorf.example"
		if err := f.svc.CreateTenant(ctx, f.operator, in); err != nil {
			t.Errorf("second try: %v", err)
		}
	})
}

func TestActivationEntersZustaendigkeit(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		ctx := context.Background()
		// The catalog must know the Leistung for a Zuständigkeit.
		cat := `{"themenfelder":[{"id":1,"name":"Ein- & Auswanderung"}],"lebenslagen":[],"ozg_leistungen":[],
			"leika_leistungen":[{"leika_schluessel":"99010014001001","name":"Blaue Karte EU","typisierung":"1","ozg_id":null,"rechtsgrundlagen_kurz":null}]}`
		c, err := catalog.ParseCatalog(strings.NewReader(cat))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := catalog.NewStore(db).ImportCatalog(ctx, c, nil); err != nil {
			t.Fatal(err)
		}
		f.svc.Catalog.Invalidate()
		f.svc.PublicURL = "https://ozgo.example/"
		in := tenant.ActivationInput{ARS: "990010000001", Authority: "Ausländerbehörde Aheim", ContactEmail: "abh@aheim.example", Delivery: "eingang", Postfach: "ja", TrustLevel: "niedrig"}
		if _, es, err := f.svc.Activate(ctx, f.a, "aheim", in, "blaue-karte-eu"); err != nil || len(es) > 0 {
			t.Fatal(err, es)
		}
		z, err := f.svc.Catalog.Zustaendigkeit(ctx, "99010014001001", "990010000001")
		if err != nil {
			t.Fatal(err)
		}
		if z.Quelle != catalog.Zugeordnet || z.Behoerde == nil || z.Behoerde.Name != "Ausländerbehörde Aheim" || z.OnlinedienstURL != "https://ozgo.example/onlinedienste/blaue-karte-eu/gemeinden/990010000001" {
			t.Fatalf("Zuständigkeit %+v %+v", z, z.Behoerde)
		}
		// Another name replaces the first; switching off drops the link.
		in.Authority = "Bürgeramt Aheim"
		if _, es, err := f.svc.Activate(ctx, f.a, "aheim", in, "blaue-karte-eu"); err != nil || len(es) > 0 {
			t.Fatal(err, es)
		}
		if err := f.svc.Deactivate(ctx, f.a, "aheim", "blaue-karte-eu", "990010000001"); err != nil {
			t.Fatal(err)
		}
		z, _ = f.svc.Catalog.Zustaendigkeit(ctx, "99010014001001", "990010000001")
		if z.Behoerde == nil || z.Behoerde.Name != "Bürgeramt Aheim" || z.OnlinedienstURL != "" {
			t.Errorf("after switching off: %+v %+v", z, z.Behoerde)
		}
		// An authority the catalog holds for no tenant under the same name
		// in the Gemeinde is that office: reused, not doubled.
		st := catalog.NewStore(db)
		var shared int64
		if err := db.InTx(ctx, func(tx *store.Tx) error {
			var err error
			shared, err = st.CreateBehoerde(ctx, tx, catalog.Behoerde{Name: "Standesamt Aheim", RegionARS: "990010000001"})
			return err
		}); err != nil {
			t.Fatal(err)
		}
		in.Authority = "Standesamt Aheim"
		if _, es, err := f.svc.Activate(ctx, f.a, "aheim", in, "blaue-karte-eu"); err != nil || len(es) > 0 {
			t.Fatal(err, es)
		}
		var n int
		if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM behoerden WHERE name = ?`, "Standesamt Aheim").Scan(&n); err != nil || n != 1 {
			t.Fatalf("authorities named Standesamt Aheim: %d %v", n, err)
		}
		if z, _ = f.svc.Catalog.Zustaendigkeit(ctx, "99010014001001", "990010000001"); z.Behoerde == nil || z.Behoerde.ID != shared {
			t.Errorf("the shared authority is not reused: %+v", z.Behoerde)
		}
		if err := f.svc.Deactivate(ctx, f.a, "aheim", "blaue-karte-eu", "990010000001"); err != nil {
			t.Fatal(err)
		}
		// With an authority in the catalog, a Gemeinde without activation
		// still has Reifegrad 0 there (no texts of a service), and Aheim,
		// switched off, has 1: information only.
		as, err := f.svc.Reifegrad(ctx, "blaue-karte-eu", "990010000001")
		if err != nil || as.Level != 1 {
			t.Errorf("switched off: Reifegrad %d %v", as.Level, err)
		}
	})
}
