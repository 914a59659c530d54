package web

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/ozgo/ozgo/internal/audit"
	"github.com/ozgo/ozgo/internal/crypt"
	"github.com/ozgo/ozgo/internal/httpx"
	"github.com/ozgo/ozgo/internal/i18n"
	"github.com/ozgo/ozgo/internal/identity"
	"github.com/ozgo/ozgo/internal/payment"
	"github.com/ozgo/ozgo/internal/paysim"
	"github.com/ozgo/ozgo/internal/store"
	"github.com/ozgo/ozgo/internal/store/dbtest"
	"github.com/ozgo/ozgo/internal/tenant"
	"github.com/ozgo/ozgo/internal/tenant/tenanttest"
)

// paymentAdminUI is tenantUI with the payment service, so the payment
// routes are registered.
func paymentAdminUI(t *testing.T, db *store.DB) (*UI, http.Handler) {
	t.Helper()
	env := tenanttest.New(t, db, tenantRegions)
	env.Publish(t, tenanttest.BlaueKarte(tenant.ParamAuthority))
	ui, err := New(i18n.MustLoad(), slog.New(slog.DiscardHandler), "test-1")
	if err != nil {
		t.Fatal(err)
	}
	ui.Catalog, ui.Identity, ui.Tenants = env.Catalog, &Identity{Service: env.Identity}, env.Tenants
	key, _ := crypt.GenerateKey()
	keys, _ := crypt.NewKeyring(key)
	ui.Payment = payment.New(db, keys, audit.New(db, keys), payment.Options{Log: slog.New(slog.DiscardHandler)})
	rt := httpx.NewRouter(http.HandlerFunc(ui.NotFound), http.HandlerFunc(ui.MethodNotAllowed))
	ui.Register(rt)
	return ui, ui.WithSession(rt)
}

func TestVerwaltungZahlung(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, db *store.DB) {
		ui, h := paymentAdminUI(t, db)
		ctx := context.Background()
		aheim := adminCookie(t, ui, "aheim", "990010000001", identity.RoleTenantAdmin)
		clerk := adminCookie(t, ui, "bstadt", "990020000001", identity.RoleClerk)
		operator := adminCookie(t, ui, "", "", identity.RoleOperator)
		citizen := loginAs(t, ui, "buergerin", identity.Substantiell)
		page := "/verwaltung/zahlung/onlinedienste/blaue-karte-eu"

		if w := send(h, "GET", "/verwaltung/zahlung", nil, nil); w.Code != http.StatusSeeOther || !strings.HasPrefix(w.Header().Get("Location"), "/mitarbeiter/anmelden") {
			t.Errorf("anonymous: %d %s", w.Code, w.Header().Get("Location"))
		}
		for name, c := range map[string]*http.Cookie{"citizen": citizen, "clerk": clerk} {
			if w := send(h, "GET", "/verwaltung/zahlung", nil, c); w.Code != http.StatusNotFound {
				t.Errorf("%s: %d", name, w.Code)
			}
			if w := send(h, "POST", page, url.Values{"modus": {"mandatory"}, "art": {"fixed"}, "betrag": {"1"}}, c); w.Code != http.StatusNotFound {
				t.Errorf("%s saves: %d", name, w.Code)
			}
		}
		w := send(h, "GET", "/verwaltung/zahlung", nil, aheim)
		checkPage(t, w.Body.String())
		if w.Code != 200 || !strings.Contains(w.Body.String(), page) {
			t.Fatalf("overview: %d", w.Code)
		}

		// Bad input: German errors, the other fields kept, nothing stored.
		bad := url.Values{"modus": {"mandatory"}, "art": {"fixed"}, "betrag": {"zwölf"}, "bezeichnung": {"Erteilung"}, "rechtsgrundlage": {"§ 45 AufenthV"},
			"kassenzeichen": {"viel zu lang für ein präfix"}, "buchungsdaten": {"ohne gleichheitszeichen"}}
		w = send(h, "POST", page, bad, aheim)
		body := w.Body.String()
		checkPage(t, body)
		for _, want := range []string{"Bitte geben Sie einen Betrag in Euro an", "bis zu 12 Zeichen", "Schlüssel = Wert", `value="Erteilung"`, `value="§ 45 AufenthV"`, `href="#betrag"`} {
			if !strings.Contains(body, want) {
				t.Errorf("error page lacks %q", want)
			}
		}
		if w.Code != http.StatusUnprocessableEntity {
			t.Fatalf("bad input: %d", w.Code)
		}
		if c, _ := ui.Payment.Config(ctx, "blaue-karte-eu", "aheim"); c.Mode != payment.ModeNone {
			t.Fatalf("bad input stored: %+v", c)
		}

		good := url.Values{"modus": {"deferred"}, "art": {"fixed"}, "betrag": {"1.234,50"}, "bezeichnung": {"Erteilung"}, "rechtsgrundlage": {"§ 45 AufenthV"},
			"haushaltsstelle": {"1.1220"}, "buchungsdaten": {"kostenstelle = 4711"}, "kassenzeichen": {"AH-ABH"}, "mindest": {""}}
		if w := send(h, "POST", page, good, aheim); w.Code != http.StatusSeeOther {
			t.Fatalf("save: %d %s", w.Code, w.Body)
		}
		c, err := ui.Payment.Config(ctx, "blaue-karte-eu", "aheim")
		if err != nil || c.TenantID != "aheim" || c.Mode != payment.ModeDeferred || c.Rule.Amount != 1234_50 || c.BookingData["kostenstelle"] != "4711" || c.BookingData["haushaltsstelle"] != "1.1220" || c.RefPrefix != "AH-ABH" {
			t.Fatalf("stored: %+v, %v", c, err)
		}
		w = send(h, "GET", page, nil, aheim)
		checkPage(t, w.Body.String())
		if !strings.Contains(w.Body.String(), "Gebühr: 1.234,50 € – wird nach dem Bescheid erhoben") {
			t.Errorf("preview missing")
		}
		var n int
		if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM audit_log WHERE action = 'payment.fee_set' AND tenant = 'aheim'`).Scan(&n); err != nil || n != 1 {
			t.Errorf("audit: %d %v", n, err)
		}

		// The operator sets the platform's default, not a tenant's.
		if w := send(h, "POST", page, good, operator); w.Code != http.StatusSeeOther {
			t.Fatalf("operator: %d", w.Code)
		}
		if c, _ := ui.Payment.Config(ctx, "blaue-karte-eu", "other"); c.TenantID != "" || c.Mode != payment.ModeDeferred {
			t.Fatalf("default: %+v", c)
		}
		// The operator sees paid payments whose application could not be
		// submitted; tenant admins do not see the platform's list.
		now := store.FormatTime(time.Now())
		if _, err := db.ExecContext(ctx, `INSERT INTO payments (id, draft_id, attempt, request_id, service, tenant_id, owner, draft_secret, submit_context,
			amount_cents, items, reference, request, status, transaction_id, transaction_url, pay_url, payment_method, payment_method_detail, transaction_at,
			submission_id, submit_error, checks, next_check_at, locked_until, last_error, created_at, updated_at)
			VALUES ('p-stuck', 'd1', 1, 'r1', 'blaue-karte-eu', 'aheim', '', ?, ?, 9300, '[]', 'KZ-4711', '{}', 'PAYED', 'TX-4711', '', '', 'CREDITCARD', '', ?,
			'', 'not_found', 1, ?, '', '', ?, ?)`, []byte{}, []byte{}, now, now, now, now); err != nil {
			t.Fatal(err)
		}
		w = send(h, "GET", "/verwaltung/zahlung", nil, operator)
		if body := w.Body.String(); w.Code != 200 || !strings.Contains(body, "KZ-4711") || !strings.Contains(body, "TX-4711") || !strings.Contains(body, "93,00") {
			t.Errorf("operator's attention list: %d", w.Code)
		} else {
			checkPage(t, body)
		}
		if w := send(h, "GET", "/verwaltung/zahlung", nil, aheim); strings.Contains(w.Body.String(), "KZ-4711") {
			t.Error("a tenant admin sees the platform's attention list")
		}

		// The provider: saved with a write-only secret, tested.
		sim := httptest.NewServer(paysim.New(paysim.Options{Log: slog.New(slog.DiscardHandler)}).Handler())
		defer sim.Close()
		ep := url.Values{"token_url": {sim.URL + "/oauth/token"}, "api_url": {sim.URL + paysim.APIPrefix}, "client_id": {"aheim"},
			"client_secret": {paysim.DefaultSecret}, "originator_id": {"aheim"}, "endpoint_id": {"08416041"}, "aktion": {"testen"}}
		w = send(h, "POST", "/verwaltung/zahlung/bezahldienst", ep, aheim)
		checkPage(t, w.Body.String())
		if w.Code != 200 || !strings.Contains(w.Body.String(), "Verbindung erfolgreich") || strings.Contains(w.Body.String(), paysim.DefaultSecret) {
			t.Fatalf("test: %d", w.Code)
		}
		ep.Set("aktion", "speichern")
		if w := send(h, "POST", "/verwaltung/zahlung/bezahldienst", ep, aheim); w.Code != http.StatusSeeOther {
			t.Fatalf("save endpoint: %d", w.Code)
		}
		w = send(h, "GET", "/verwaltung/zahlung/bezahldienst", nil, aheim)
		if strings.Contains(w.Body.String(), paysim.DefaultSecret) || !strings.Contains(w.Body.String(), "Lassen Sie das Feld leer") {
			t.Fatalf("the secret is shown again or not known to be kept")
		}
		ep.Set("client_secret", "")
		ep.Set("aktion", "testen")
		if w := send(h, "POST", "/verwaltung/zahlung/bezahldienst", ep, aheim); !strings.Contains(w.Body.String(), "Verbindung erfolgreich") {
			t.Fatalf("test with the kept secret: %d", w.Code)
		}
		ep.Set("client_secret", "falsch")
		if w := send(h, "POST", "/verwaltung/zahlung/bezahldienst", ep, aheim); w.Code != http.StatusUnprocessableEntity || !strings.Contains(w.Body.String(), "Anmeldung abgelehnt") {
			t.Fatalf("test with a wrong secret: %d", w.Code)
		}
		if ok, _ := ui.Payment.HasEndpoint(ctx, "aheim"); !ok {
			t.Fatal("no endpoint after saving")
		}
	})
}

// FuzzParseEuro: amounts as admins type them never panic, and what is
// accepted is shown again as the same amount.
func FuzzParseEuro(f *testing.F) {
	for _, s := range []string{"93", "93,50", "1.234,50 €", "0,01", "", "-1", "12,345", "1e3", " 7 €"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, ok := parseEuro(s)
		if !ok {
			return
		}
		if n < 0 {
			t.Fatalf("%q → negative %d", s, n)
		}
		back, ok := parseEuro(euroField(n))
		if !ok || back != n {
			t.Fatalf("%q → %d → %q → %d", s, n, euroField(n), back)
		}
	})
}
