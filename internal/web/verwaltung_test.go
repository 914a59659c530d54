package web

import (
	"bytes"
	"context"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/ozgo/ozgo/internal/httpx"
	"github.com/ozgo/ozgo/internal/i18n"
	"github.com/ozgo/ozgo/internal/identity"
	"github.com/ozgo/ozgo/internal/store"
	"github.com/ozgo/ozgo/internal/store/dbtest"
	"github.com/ozgo/ozgo/internal/tenant"
	"github.com/ozgo/ozgo/internal/tenant/tenanttest"
)

// tenantRegions is a hand-made Land with a Kreis of two Gemeinden and a
// Gemeinde elsewhere.
const tenantRegions = `ebene,ars,ags,name,art,uebergeordnet_ars,flaeche_km2,bevoelkerung,plz,laengengrad,breitengrad
land,99,,Testland,,,,,,,
kreis,99001,,Nordkreis,Landkreis,99,,,,,
gemeindeverband,990010000,,Nordkreis verbandsfrei,,99001,,,,,
gemeinde,990010000001,99001001,Aheim,Stadt,990010000,10.0,60000,11111,9.0,48.0
gemeinde,990010000002,99001002,Bedorf,Gemeinde,990010000,10.0,40000,11112,9.1,48.1
kreis,99002,,Südkreis,Landkreis,99,,,,,
gemeindeverband,990020000,,Südkreis verbandsfrei,,99002,,,,,
gemeinde,990020000001,99002001,Cestadt,Stadt,990020000,10.0,100000,11115,9.4,48.4
`

func tenantUI(t *testing.T, db *store.DB) (*UI, http.Handler) {
	t.Helper()
	env := tenanttest.New(t, db, tenantRegions)
	env.Publish(t, tenanttest.BlaueKarte(tenant.ParamAuthority))
	ui, err := New(i18n.MustLoad(), slog.New(slog.DiscardHandler), "test-1")
	if err != nil {
		t.Fatal(err)
	}
	ui.Catalog, ui.Identity, ui.Tenants = env.Catalog, &Identity{Service: env.Identity}, env.Tenants
	rt := httpx.NewRouter(http.HandlerFunc(ui.NotFound), http.HandlerFunc(ui.MethodNotAllowed))
	ui.Register(rt)
	return ui, ui.WithSession(rt)
}

// adminCookie creates a tenant for ars with an admin and logs them in.
func adminCookie(t *testing.T, ui *UI, id, ars string, role identity.Role) *http.Cookie {
	t.Helper()
	ctx := context.Background()
	if id != "" {
		if err := ui.Identity.Service.CreateTenant(ctx, "system", id, id, ars); err != nil {
			t.Fatal(err)
		}
	}
	email := string(role) + "@" + id + ".example"
	if id == "" {
		email = string(role) + "@ozgo.example"
	}
	st, err := ui.Identity.Service.CreateStaff(ctx, "system", identity.NewStaff{Email: email, TenantID: id, Roles: []identity.Role{role}, Password: "ein-langes-passwort"})
	if err != nil {
		t.Fatal(err)
	}
	sess, err := ui.Identity.Service.FinishStaffLogin(ctx, "", st)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Cookie{Name: sessionCookie, Value: sess.Token}
}

func TestVerwaltungActivation(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, db *store.DB) {
		ui, h := tenantUI(t, db)
		aheim := adminCookie(t, ui, "aheim", "990010000001", identity.RoleTenantAdmin)
		cestadt := adminCookie(t, ui, "cestadt", "990020000001", identity.RoleTenantAdmin)
		citizen := loginAs(t, ui, "buergerin", identity.Substantiell)

		w := send(h, "GET", "/verwaltung", nil, nil)
		if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/mitarbeiter/anmelden?return=%2Fverwaltung" {
			t.Errorf("anonymous: %d %s", w.Code, w.Header().Get("Location"))
		}
		if w := send(h, "GET", "/verwaltung", nil, citizen); w.Code != http.StatusNotFound {
			t.Errorf("citizen: %d", w.Code)
		}
		w = send(h, "GET", "/verwaltung/onlinedienste/blaue-karte-eu/aktivieren", nil, aheim)
		checkPage(t, w.Body.String())
		if w.Code != 200 || !strings.Contains(w.Body.String(), `value="990010000001" checked`) {
			t.Fatalf("form: %d", w.Code)
		}
		// Incomplete: 422 with the error summary linking to the field.
		w = send(h, "POST", "/verwaltung/onlinedienste/blaue-karte-eu/aktivieren", url.Values{"ars": {"990010000001"}}, aheim)
		checkPage(t, w.Body.String())
		if w.Code != http.StatusUnprocessableEntity || !strings.HasPrefix(titleOf(w.Body.String()), "Fehler: ") || !strings.Contains(w.Body.String(), `href="#behoerde"`) {
			t.Fatalf("incomplete: %d %s", w.Code, titleOf(w.Body.String()))
		}
		// Another tenant's Gemeinde: refused as outside the area.
		w = send(h, "POST", "/verwaltung/onlinedienste/blaue-karte-eu/aktivieren", url.Values{"ars": {"990020000001"}, "behoerde": {"Amt"}}, aheim)
		if w.Code != http.StatusUnprocessableEntity || !strings.Contains(w.Body.String(), "liegt nicht im Gebiet") {
			t.Fatalf("foreign Gemeinde: %d", w.Code)
		}
		w = send(h, "POST", "/verwaltung/onlinedienste/blaue-karte-eu/aktivieren", url.Values{"ars": {"990010000001"}, "behoerde": {"Amt Aheim"}, "zustellung": {"pdf"}}, aheim)
		if w.Code != http.StatusSeeOther {
			t.Fatalf("activate: %d %s", w.Code, w.Body)
		}
		page := "/verwaltung/onlinedienste/blaue-karte-eu/gemeinden/990010000001"
		w = send(h, "GET", page, nil, aheim)
		body := w.Body.String()
		checkPage(t, body)
		for _, want := range []string{"Reifegrad 2</h2>", "Für Reifegrad 3 fehlt noch", "Anmeldung mit dem nötigen Vertrauensniveau", "/onlinedienste/blaue-karte-eu/gemeinden/990010000001"} {
			if !strings.Contains(body, want) {
				t.Errorf("Reifegrad page lacks %q", want)
			}
		}
		// Tenant isolation: another tenant's admin sees nothing.
		for _, rq := range []struct{ method, path string }{
			{"GET", page},
			{"POST", page + "/deaktivieren"},
		} {
			if w := send(h, rq.method, rq.path, url.Values{}, cestadt); w.Code != http.StatusNotFound {
				t.Errorf("%s %s by another tenant: %d", rq.method, rq.path, w.Code)
			}
		}
		if w := send(h, "GET", "/verwaltung/mandanten/neu", nil, aheim); w.Code != http.StatusNotFound {
			t.Errorf("tenant admin creating tenants: %d", w.Code)
		}
		// The statistics page and its CSV.
		if err := ui.Tenants.Count(context.Background(), "blaue-karte-eu", "990010000001", tenant.StatSubmitted); err != nil {
			t.Fatal(err)
		}
		w = send(h, "GET", "/verwaltung/statistik.csv", nil, aheim)
		if w.Code != 200 || !strings.Contains(w.Body.String(), "blaue-karte-eu,990010000001,0,1,0,0") {
			t.Errorf("statistics CSV: %d %q", w.Code, w.Body)
		}
	})
}

func TestOperatorCreatesTenant(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, db *store.DB) {
		ui, h := tenantUI(t, db)
		op := adminCookie(t, ui, "", "", identity.RoleOperator)
		w := send(h, "POST", "/verwaltung/mandanten/neu", url.Values{"id": {"Nord Kreis"}}, op)
		if w.Code != http.StatusUnprocessableEntity || strings.Count(w.Body.String(), `<li><a class="kern-link" href="#`) != 6 {
			t.Errorf("invalid tenant: %d", w.Code)
		}
		form := url.Values{"id": {"nordkreis"}, "name": {"Nordkreis"}, "ars": {"99001"}, "admin-name": {"A"}, "email": {"admin@nordkreis.example"}, "password": {"ein langes passwort"}}
		if w := send(h, "POST", "/verwaltung/mandanten/neu", form, op); w.Code != http.StatusSeeOther {
			t.Fatalf("create: %d %s", w.Code, w.Body)
		}
		w = send(h, "GET", "/verwaltung", nil, op)
		if !strings.Contains(w.Body.String(), "nordkreis") {
			t.Error("new tenant not listed")
		}
		if _, err := ui.Identity.Service.StaffLogin(context.Background(), "admin@nordkreis.example", "ein langes passwort", "127.0.0.1"); err != nil {
			t.Errorf("first admin cannot log in: %v", err)
		}
		// Platform statistics for operators, without feedback text.
		if w := send(h, "GET", "/verwaltung/statistik", nil, op); w.Code != 200 || strings.Contains(w.Body.String(), "Rückmeldungen</h2>") {
			t.Errorf("operator statistics: %d", w.Code)
		}
		// The Fokusleistungen: a wrong line refuses the whole list.
		w = send(h, "GET", "/verwaltung/betrieb", nil, op)
		checkPage(t, w.Body.String())
		if !strings.Contains(w.Body.String(), "99023001000000;Führerschein") {
			t.Error("preset Fokusleistungen not shown")
		}
		w = send(h, "POST", "/verwaltung/fokusleistungen", url.Values{"fokus": {"99010014001001;Blaue Karte\n12;kaputt\n"}}, op)
		if w.Code != http.StatusUnprocessableEntity || !strings.Contains(w.Body.String(), `href="#fokus"`) {
			t.Errorf("bad Fokus list: %d", w.Code)
		}
		if w := send(h, "POST", "/verwaltung/fokusleistungen", url.Values{"fokus": {"99010014001001;Blaue Karte EU\n"}}, op); w.Code != http.StatusSeeOther {
			t.Fatalf("Fokus list: %d", w.Code)
		}
		fs, err := ui.Tenants.Fokusleistungen(context.Background())
		if err != nil || len(fs) != 1 || fs[0].LeiKa != "99010014001001" {
			t.Errorf("Fokusleistungen %+v %v", fs, err)
		}
	})
}

func TestDashboardAndStatus(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, db *store.DB) {
		ui, h := tenantUI(t, db)
		kreis := adminCookie(t, ui, "nordkreis", "99001", identity.RoleTenantAdmin)
		csv := "ars;behoerde;zustellung;postfach;vertrauensniveau\n*;Landratsamt;eingang;ja;niedrig\n"
		w := sendCSV(t, h, "/verwaltung/onlinedienste/blaue-karte-eu/sammelaktivierung", csv, kreis)
		if w.Code != http.StatusSeeOther {
			t.Fatalf("bulk: %d %s", w.Code, w.Body)
		}
		w = send(h, "GET", "/dashboard/abdeckung?ars=99", nil, nil)
		body := w.Body.String()
		if w.Code != 200 {
			t.Fatalf("dashboard: %d %s", w.Code, body)
		}
		checkPage(t, body)
		for _, want := range []string{"2 / 3", "66,7 %", "100.000 / 200.000", "50,0 %", `class="ozgo-map__p3"`, "<title id=\"chart1-title\">"} {
			if !strings.Contains(body, want) {
				t.Errorf("dashboard lacks %q", want)
			}
		}
		w = send(h, "GET", "/dashboard/abdeckung?ars=99001&leika=99010014001001", nil, nil)
		if !strings.Contains(w.Body.String(), "100,0 %") || !strings.Contains(w.Body.String(), "Flächendeckend") {
			t.Error("Kreis not shown as area-wide")
		}
		for _, tc := range []struct {
			path   string
			status int
		}{
			{"/dashboard/abdeckung?ars=9", 400},
			{"/dashboard/abdeckung?ars=98", 404},
			{"/dashboard/abdeckung?leika=abc", 400},
			{"/dashboard/abdeckung.csv?ars=99&tabelle=nichts", 400},
			{"/status", 200},
			{"/onlinedienste/blaue-karte-eu/bewertung", 200},
			{"/einbetten/blaue-karte-eu/990010000001", 200},
			{"/onlinedienste/blaue-karte-eu/gemeinden/990010000001", 200},
			{"/onlinedienste/blaue-karte-eu/gemeinden/990020000001", 404},
			{"/einbetten/blaue-karte-eu/990020000001", 404},
		} {
			if w := send(h, "GET", tc.path, nil, nil); w.Code != tc.status {
				t.Errorf("%s: %d, want %d", tc.path, w.Code, tc.status)
			}
		}
		w = send(h, "GET", "/dashboard/abdeckung.csv?ars=99&leika=99010014001001&tabelle=gemeinden", nil, nil)
		if ct := w.Header().Get("Content-Type"); ct != "text/csv; charset=utf-8" || !strings.Contains(w.Body.String(), "990010000002,Bedorf,40000,3") {
			t.Errorf("CSV %s %q", ct, w.Body)
		}
		// Feedback: without a valid token refused; the honeypot is
		// answered as if it worked and stores nothing.
		w = send(h, "POST", "/onlinedienste/blaue-karte-eu/bewertung", url.Values{"sterne": {"5"}}, nil)
		if w.Code != http.StatusUnprocessableEntity {
			t.Errorf("feedback without token: %d", w.Code)
		}
		w = send(h, "POST", "/onlinedienste/blaue-karte-eu/bewertung", url.Values{"sterne": {"5"}, "website": {"http://spam.example"}}, nil)
		if w.Code != http.StatusSeeOther {
			t.Errorf("honeypot: %d", w.Code)
		}
	})
}

// sendCSV uploads csv as the bulk activation file.
func sendCSV(t *testing.T, h http.Handler, target, csv string, c *http.Cookie) *httptest.ResponseRecorder {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fw, err := mw.CreateFormFile("datei", "gemeinden.csv")
	if err != nil {
		t.Fatal(err)
	}
	_, _ = fw.Write([]byte(csv))
	_ = mw.Close()
	r := httptest.NewRequest("POST", target, &buf)
	r.Header.Set("Content-Type", mw.FormDataContentType())
	r.AddCookie(c)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func TestTenantComposedKeysExist(t *testing.T) {
	cat := i18n.MustLoad()
	var keys []string
	for _, c := range []string{"texte", "behoerde", "formular", "anmeldung", "nachweise", "zustellung", "postfach", "once_only"} {
		keys = append(keys, "maturity.criterion."+c, "maturity.fix."+c)
	}
	for l := 0; l <= 4; l++ {
		keys = append(keys, "maturity.level."+itoa(l))
	}
	for _, d := range []string{tenant.DeliveryPDF, tenant.DeliveryInbox, tenant.DeliveryDestination} {
		keys = append(keys, "activation.delivery."+d)
	}
	for _, l := range []identity.TrustLevel{identity.None, identity.Niedrig, identity.Substantiell, identity.Hoch} {
		keys = append(keys, "activation.level."+l.String())
	}
	for _, a := range tenant.Accents {
		keys = append(keys, "profile.accent."+a)
	}
	for _, k := range tenant.StatKinds {
		keys = append(keys, "stats.kind."+k)
	}
	keys = append(keys, "status.kind."+tenant.Maintenance, "status.kind."+tenant.Incident)
	for _, h := range []string{"mandant", "profil", "sammel", "aktiviert", "deaktiviert", "betrieb", "bewertung"} {
		keys = append(keys, "admin.notice."+h)
	}
	for _, k := range keys {
		if !cat.Has(k) {
			t.Errorf("missing key %q", k)
		}
	}
}

func TestAuthorPublishesVersion(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, db *store.DB) {
		ui, h := tenantUI(t, db)
		author := adminCookie(t, ui, "land", "99", identity.RoleServiceAuthor)
		admin := adminCookie(t, ui, "aheim", "990010000001", identity.RoleTenantAdmin)
		if w := send(h, "GET", "/verwaltung/onlinedienste", nil, admin); w.Code != http.StatusNotFound {
			t.Errorf("tenant admin on author pages: %d", w.Code)
		}
		w := send(h, "GET", "/verwaltung/onlinedienste/neu?slug=blaue-karte-eu", nil, author)
		checkPage(t, w.Body.String())
		if w.Code != 200 || !strings.Contains(w.Body.String(), `value="S00000121 1.0" checked`) {
			t.Fatalf("prefilled form: %d", w.Code)
		}
		bad := url.Values{"slug": {"Blaue Karte"}, "leika": {"123"}, "niveau": {"mittel"}, "gebuehr": {"x"}}
		w = send(h, "POST", "/verwaltung/onlinedienste/neu", bad, author)
		for _, id := range []string{"#slug", "#titel", "#leika", "#formular", "#niveau", "#gebuehr"} {
			if !strings.Contains(w.Body.String(), `href="`+id+`"`) {
				t.Errorf("no error linking to %s", id)
			}
		}
		good := url.Values{"slug": {"blaue-karte-eu"}, "titel": {"Blaue Karte EU (2027)"}, "beschreibung": {"Antrag"}, "leika": {"99010014001001"},
			"formular": {"S00000121 1.0"}, "niveau": {"substantiell"}, "gebuehr": {"100,00"}, "nachweise": {"ja"}, "parameter": {"behoerde", "kontakt"}}
		if w := send(h, "POST", "/verwaltung/onlinedienste/neu", good, author); w.Code != http.StatusSeeOther {
			t.Fatalf("prepare: %d %s", w.Code, w.Body)
		}
		if w := send(h, "POST", "/verwaltung/onlinedienste/blaue-karte-eu/versionen/2/veroeffentlichen", url.Values{}, author); w.Code != http.StatusSeeOther {
			t.Fatalf("publish: %d", w.Code)
		}
		v, err := ui.Tenants.PublishedVersion(context.Background(), "blaue-karte-eu")
		if err != nil || v.Version != 2 || v.MinTrustLevel != identity.Substantiell || v.FeeCents != 10000 {
			t.Errorf("published %+v %v", v, err)
		}
	})
}

func TestCountStatistic(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, db *store.DB) {
		ui, _ := tenantUI(t, db)
		r := httptest.NewRequest("POST", "/onlinedienste/blaue-karte-eu/antrag", nil)
		r.AddCookie(&http.Cookie{Name: ortCookie, Value: "990010000002"})
		ui.countStatistic(r, "blaue-karte-eu", tenant.StatStarted)
		ui.countStatistic(httptest.NewRequest("POST", "/", nil), "blaue-karte-eu", tenant.StatStarted)
		rows, err := ui.Tenants.PlatformStatistics(context.Background(), &identity.Actor{Kind: identity.KindStaff, Principal: "op", Roles: []identity.Role{identity.RoleOperator}})
		if err != nil || len(rows) != 2 {
			t.Fatalf("%+v %v", rows, err)
		}
		for _, row := range rows {
			if row.Counts[tenant.StatStarted] != 1 || row.GemeindeARS != "" && row.GemeindeARS != "990010000002" {
				t.Errorf("row %+v", row)
			}
		}
	})
}
