package web

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/ozgo/ozgo/internal/audit"
	"github.com/ozgo/ozgo/internal/crypt"
	"github.com/ozgo/ozgo/internal/demo"
	"github.com/ozgo/ozgo/internal/httpx"
	"github.com/ozgo/ozgo/internal/identity"
	"github.com/ozgo/ozgo/internal/payment"
	"github.com/ozgo/ozgo/internal/payment/xbd"
	"github.com/ozgo/ozgo/internal/paysim"
	"github.com/ozgo/ozgo/internal/store"
	"github.com/ozgo/ozgo/internal/store/dbtest"
)

// TestBezahlen runs the payment flow of a demo service against paysim over
// HTTP: the fee page, one transaction for a double click, a return that
// proves nothing before paying, the status fetched from the provider, one
// submission for a replayed return, and no access without the draft's
// cookie.
func TestBezahlen(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, db *store.DB) {
		ui, h := antragUI(t, db)
		ctx := context.Background()
		sim := httptest.NewServer(paysim.New(paysim.Options{Log: slog.New(slog.DiscardHandler)}).Handler())
		defer sim.Close()
		key, _ := crypt.GenerateKey()
		keys, _ := crypt.NewKeyring(key)
		ui.Payment = payment.New(db, keys, audit.New(db, keys), payment.Options{Log: slog.New(slog.DiscardHandler)})
		ui.Payment.Submit = payment.AntragSubmitter(ui.Payment, ui.Antraege, ui.PaymentSubmitOptions)
		if err := ui.Payment.SetEndpoint(ctx, payment.EndpointConfig{Endpoint: xbd.Endpoint{TokenURL: sim.URL + "/oauth/token", APIURL: sim.URL + paysim.APIPrefix,
			ClientID: "ozgo", ClientSecret: paysim.DefaultSecret, OriginatorID: "ozgo", EndpointID: "08416041"}}); err != nil {
			t.Fatal(err)
		}
		if err := ui.Payment.SetConfig(ctx, payment.Config{Service: "blaue-karte-eu", Mode: payment.ModeMandatory,
			Rule: payment.Rule{Kind: payment.RuleFixed, Amount: 10000, Label: "Erteilung"}, LegalBasis: "§ 45 Nr. 1 AufenthV"}); err != nil {
			t.Fatal(err)
		}
		// The routes are registered with the UI's Payment set.
		rt := httpx.NewRouter(http.HandlerFunc(ui.NotFound), http.HandlerFunc(ui.MethodNotAllowed))
		ui.Register(rt)
		h = ui.WithSession(rt)
		b := &browser{t: t, h: h, ort: &http.Cookie{Name: ortCookie, Value: demo.DemoGemeinde}}
		base := "/onlinedienste/blaue-karte-eu/antrag"
		m := fillAll(t, ui, b, "blaue-karte-eu")

		w := b.post(base+"/absenden", url.Values{})
		if w.Code != http.StatusSeeOther || w.Header().Get("Location") != base+"/bezahlen" {
			t.Fatalf("submit without paying: %d %s", w.Code, w.Header().Get("Location"))
		}
		w = b.get(base + "/bezahlen")
		body := w.Body.String()
		if w.Code != 200 || !strings.Contains(body, "100,00 €") || !strings.Contains(body, "§ 45 Nr. 1 AufenthV") {
			t.Fatalf("fee page: %d", w.Code)
		}
		if csp := w.Header().Get("Content-Security-Policy"); csp != "" && !strings.Contains(csp, sim.URL) {
			t.Errorf("CSP does not allow the provider: %s", csp)
		}
		checkPage(t, body)
		w = b.post(base+"/bezahlen", url.Values{})
		payURL := w.Header().Get("Location")
		if w.Code != http.StatusSeeOther || !strings.HasPrefix(payURL, sim.URL+"/pay/") {
			t.Fatalf("pay: %d %s", w.Code, payURL)
		}
		if w := b.post(base+"/bezahlen", url.Values{}); w.Header().Get("Location") != payURL {
			t.Fatalf("double click made another transaction: %s", w.Header().Get("Location"))
		}
		var id string
		if err := db.QueryRowContext(ctx, `SELECT id FROM payments`).Scan(&id); err != nil {
			t.Fatal(err)
		}
		ret := base + "/bezahlt?zahlung=" + id
		// Without the draft's cookie, or with a made-up id: nothing.
		if w := (&browser{t: t, h: h, ort: b.ort}).get(ret); w.Code != http.StatusNotFound {
			t.Errorf("return without cookie: %d", w.Code)
		}
		if w := b.get(base + "/bezahlt?zahlung=" + strings.Repeat("0", 32)); w.Code != http.StatusNotFound {
			t.Errorf("return with unknown id: %d", w.Code)
		}
		// Returning before paying proves nothing.
		w = b.get(ret)
		if w.Code != 200 || !strings.Contains(w.Body.String(), "Zahlung noch nicht abgeschlossen") {
			t.Fatalf("early return: %d", w.Code)
		}
		checkPage(t, w.Body.String())
		noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		resp, err := noRedirect.PostForm(payURL, url.Values{"ergebnis": {"bezahlt"}})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		w = b.get(ret)
		if w.Code != http.StatusSeeOther || w.Header().Get("Location") != base+"/zahlung" {
			t.Fatalf("return after paying: %d %s", w.Code, w.Header().Get("Location"))
		}
		w = b.get(base + "/zahlung")
		if w.Code != 200 || !strings.Contains(w.Body.String(), "BOOKED") {
			t.Fatalf("confirmation: %d", w.Code)
		}
		checkPage(t, w.Body.String())
		// A replayed return does not submit again.
		if w := b.get(ret); w.Code != http.StatusSeeOther {
			t.Errorf("replayed return: %d", w.Code)
		}
		var n int
		if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM submissions`).Scan(&n); err != nil || n != 1 {
			t.Fatalf("submissions: %d %v", n, err)
		}
		var sub, ref string
		if err := db.QueryRowContext(ctx, `SELECT p.submission_id, s.reference FROM payments p JOIN submissions s ON s.id = p.submission_id WHERE p.id = ?`, id).Scan(&sub, &ref); err != nil || sub == "" {
			t.Fatalf("payment not linked: %q %v", sub, err)
		}
		// The authority receives the payment in the FIT-Connect metadata.
		meta := checkDelivered(t, ui, db, ref, m)
		var pi map[string]any
		if err := json.Unmarshal(meta.PaymentInformation, &pi); err != nil || pi["status"] != "BOOKED" || pi["grossAmount"] != 100.0 || pi["transactionReference"] == "" {
			t.Fatalf("paymentInformation in the metadata: %s %v", meta.PaymentInformation, err)
		}
		// The clerk sees the payment with the case.
		if _, err := db.ExecContext(ctx, `UPDATE submissions SET tenant_id = 'tue' WHERE id = ?`, sub); err != nil {
			t.Fatal(err)
		}
		clerk := staffCookie(t, ui, "clerk@tue.example", "tue", identity.RoleClerk)
		w = send(h, "GET", "/sachbearbeitung/"+sub, nil, clerk)
		if body := w.Body.String(); w.Code != 200 || !strings.Contains(body, `id="fall-zahlung"`) || !strings.Contains(body, "100,00 €") || !strings.Contains(body, pi["transactionId"].(string)) {
			t.Fatalf("clerk's case: %d", w.Code)
		}
		checkPage(t, w.Body.String())
	})
}
