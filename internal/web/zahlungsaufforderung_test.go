package web

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ozgo/ozgo/internal/audit"
	"github.com/ozgo/ozgo/internal/crypt"
	"github.com/ozgo/ozgo/internal/httpx"
	"github.com/ozgo/ozgo/internal/identity"
	"github.com/ozgo/ozgo/internal/payment"
	"github.com/ozgo/ozgo/internal/payment/xbd"
	"github.com/ozgo/ozgo/internal/paysim"
	"github.com/ozgo/ozgo/internal/store"
	"github.com/ozgo/ozgo/internal/store/dbtest"
)

var paymentIDInURL = regexp.MustCompile(`zahlung=([0-9a-f]{32})`)

// TestFallZahlung runs a deferred fee over HTTP: offered to the clerk,
// a bad due date refused before the Bescheid goes out, requested with the
// Bescheid, paid by the applicant through paysim (one transaction for a
// double click, the return checked with the provider), shown as paid on
// both sides; others get 404, visitors without a session the login.
func TestFallZahlung(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, db *store.DB) {
		ui, _ := antragUI(t, db)
		ctx := context.Background()
		sim := httptest.NewServer(paysim.New(paysim.Options{Log: slog.New(slog.DiscardHandler)}).Handler())
		defer sim.Close()
		key, _ := crypt.GenerateKey()
		keys, _ := crypt.NewKeyring(key)
		ui.Payment = payment.New(db, keys, audit.New(db, keys), payment.Options{Log: slog.New(slog.DiscardHandler)})
		ui.Payment.Postfach = ui.Postfach
		if err := ui.Payment.SetEndpoint(ctx, payment.EndpointConfig{Endpoint: xbd.Endpoint{TokenURL: sim.URL + "/oauth/token", APIURL: sim.URL + paysim.APIPrefix,
			ClientID: "ozgo", ClientSecret: paysim.DefaultSecret, OriginatorID: "ozgo", EndpointID: "08416041"}}); err != nil {
			t.Fatal(err)
		}
		if err := ui.Payment.SetConfig(ctx, payment.Config{Service: "blaue-karte-eu", Mode: payment.ModeDeferred,
			Rule: payment.Rule{Kind: payment.RuleFixed, Amount: 10000, Label: "Erteilung"}, LegalBasis: "§ 45 AufenthV", RefPrefix: "TUE"}); err != nil {
			t.Fatal(err)
		}
		rt := httpx.NewRouter(http.HandlerFunc(ui.NotFound), http.HandlerFunc(ui.MethodNotAllowed))
		ui.Register(rt)
		h := ui.WithSession(rt)

		citizen := loginAs(t, ui, "mustermann", identity.Hoch)
		sess, _ := ui.Identity.Service.Session(ctx, citizen.Value)
		other := loginAs(t, ui, "andere", identity.Hoch)
		clerk := staffCookie(t, ui, "clerk@tue.example", "tue", identity.RoleClerk)
		foreign := staffCookie(t, ui, "clerk@ber.example", "ber", identity.RoleClerk)
		dr, _, err := ui.Antraege.Drafts.Create(ctx, "person:"+sess.Principal, "blaue-karte-eu", "S00000121", "1.0")
		if err != nil {
			t.Fatal(err)
		}
		var id string
		err = db.InTx(ctx, func(tx *store.Tx) error {
			sub, err := ui.Antraege.Drafts.Submit(ctx, tx, dr, "s", []byte(`{"G00000630":{"F00000013":"Mustermann"}}`))
			if err != nil {
				return err
			}
			id = sub.ID
			_, err = tx.ExecContext(ctx, `UPDATE submissions SET tenant_id = 'tue' WHERE id = ?`, sub.ID)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		fall, pay := "/sachbearbeitung/"+id, "/antraege/"+id+"/bezahlen"

		w := send(h, "GET", fall, nil, clerk)
		checkPage(t, w.Body.String())
		if !strings.Contains(w.Body.String(), "Gebühr von 100,00 € mit dem Bescheid anfordern") {
			t.Fatalf("no fee offered: %d", w.Code)
		}
		if w := send(h, "POST", fall+"/gebuehr", url.Values{"zahlungsfrist": {"31.12.2099"}}, foreign); w.Code != http.StatusNotFound {
			t.Errorf("other tenant's clerk requests: %d", w.Code)
		}
		if w := send(h, "GET", pay, nil, citizen); w.Code != http.StatusNotFound {
			t.Errorf("payment page before the request: %d", w.Code)
		}

		decision := url.Values{"entscheidung": {"bewilligt"}, "bescheidtext": {"Bewilligt."}, "gebuehr": {"1"}, "zahlungsfrist": {"gestern"}}
		w = multipartPost(h, fall+"/entscheiden", decision, nil, clerk)
		checkPage(t, w.Body.String())
		if w.Code != http.StatusUnprocessableEntity || !strings.Contains(w.Body.String(), "Zahlungsfrist als Datum") {
			t.Fatalf("bad due date: %d", w.Code)
		}
		var msgs int
		if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM messages WHERE case_id = ?`, id).Scan(&msgs); err != nil || msgs != 0 {
			t.Fatalf("a message went out despite the bad due date: %d %v", msgs, err)
		}
		decision.Set("zahlungsfrist", time.Now().AddDate(0, 0, 20).Format("02.01.2006"))
		if w := multipartPost(h, fall+"/entscheiden", decision, nil, clerk); w.Code != http.StatusSeeOther {
			t.Fatalf("decide: %d %s", w.Code, w.Body)
		}
		var kinds []string
		rows, _ := db.QueryContext(ctx, `SELECT kind FROM messages WHERE case_id = ? ORDER BY sent_at`, id)
		for rows.Next() {
			var k string
			_ = rows.Scan(&k)
			kinds = append(kinds, k)
		}
		rows.Close()
		if strings.Join(kinds, ",") != "bescheid,zahlungsaufforderung" {
			t.Fatalf("messages: %v", kinds)
		}

		// Access to the payment page.
		if w := send(h, "GET", pay, nil, nil); w.Code != http.StatusSeeOther || !strings.HasPrefix(w.Header().Get("Location"), "/anmelden") {
			t.Errorf("anonymous: %d %s", w.Code, w.Header().Get("Location"))
		}
		for name, c := range map[string]*http.Cookie{"other citizen": other, "clerk": clerk} {
			if w := send(h, "GET", pay, nil, c); w.Code != http.StatusNotFound {
				t.Errorf("%s sees the payment page: %d", name, w.Code)
			}
			if w := send(h, "POST", pay, url.Values{}, c); w.Code != http.StatusNotFound {
				t.Errorf("%s starts the payment: %d", name, w.Code)
			}
		}
		w = send(h, "GET", pay, nil, citizen)
		checkPage(t, w.Body.String())
		if w.Code != 200 || !strings.Contains(w.Body.String(), "100,00 € bezahlen") {
			t.Fatalf("payment page: %d", w.Code)
		}
		w = send(h, "POST", pay, url.Values{}, citizen)
		payURL := w.Header().Get("Location")
		if w.Code != http.StatusSeeOther || !strings.HasPrefix(payURL, sim.URL+"/pay/") {
			t.Fatalf("pay: %d %s", w.Code, payURL)
		}
		if w := send(h, "POST", pay, url.Values{}, citizen); w.Header().Get("Location") != payURL {
			t.Fatalf("a double click made another transaction: %s", w.Header().Get("Location"))
		}

		// Pay at the provider; follow only what it says.
		hc := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		resp, err := hc.PostForm(payURL, url.Values{"ergebnis": {"bezahlt"}, "zahlart": {"GIROPAY"}})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		back, _ := url.Parse(resp.Header.Get("Location"))
		pid := paymentIDInURL.FindStringSubmatch(back.RawQuery)
		if back.Path != "/antraege/"+id+"/bezahlt" || pid == nil {
			t.Fatalf("return URL %s", back)
		}
		if w := send(h, "GET", back.RequestURI(), nil, other); w.Code != http.StatusNotFound {
			t.Errorf("other citizen on the return: %d", w.Code)
		}
		if w := send(h, "GET", back.RequestURI(), nil, citizen); w.Code != http.StatusSeeOther || w.Header().Get("Location") != pay {
			t.Fatalf("return: %d %s", w.Code, w.Header().Get("Location"))
		}
		w = send(h, "GET", pay, nil, citizen)
		checkPage(t, w.Body.String())
		if !strings.Contains(w.Body.String(), "Gebühr bezahlt") {
			t.Fatalf("not paid after the return")
		}
		w = send(h, "GET", "/antraege", nil, citizen)
		if !strings.Contains(w.Body.String(), `<span class="ozgo-payment-status">bezahlt</span>`) {
			t.Errorf("status monitor does not say bezahlt")
		}
		w = send(h, "GET", fall, nil, clerk)
		if !strings.Contains(w.Body.String(), `id="fall-zahlung-status">bezahlt<`) {
			t.Errorf("case view does not say bezahlt")
		}
		var n int
		if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM payments WHERE case_id = ?`, id).Scan(&n); err != nil || n != 1 {
			t.Errorf("%d payments, %v", n, err)
		}
	})
}
