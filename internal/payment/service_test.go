package payment_test

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ozgo/ozgo/internal/audit"
	"github.com/ozgo/ozgo/internal/crypt"
	"github.com/ozgo/ozgo/internal/errs"
	"github.com/ozgo/ozgo/internal/payment"
	"github.com/ozgo/ozgo/internal/payment/xbd"
	"github.com/ozgo/ozgo/internal/paysim"
	"github.com/ozgo/ozgo/internal/store"
	"github.com/ozgo/ozgo/internal/store/dbtest"
	"github.com/ozgo/ozgo/internal/submission"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// env is a payment service against a paysim over HTTP.
type env struct {
	svc     *payment.Service
	sim     *httptest.Server
	submits atomic.Int32
	paid    atomic.Int32 // OnPaid calls
	mu      sync.Mutex
	failErr error // returned by the submitter, if set
}

func newEnv(t *testing.T, db *store.DB) *env {
	t.Helper()
	key, err := crypt.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	keys, err := crypt.NewKeyring(key)
	if err != nil {
		t.Fatal(err)
	}
	e := &env{}
	e.sim = httptest.NewServer(paysim.New(paysim.Options{Secret: "geheim", Log: slog.New(slog.DiscardHandler)}).Handler())
	t.Cleanup(e.sim.Close)
	e.svc = payment.New(db, keys, audit.New(db, keys), payment.Options{Interval: time.Millisecond, Log: slog.New(slog.DiscardHandler)})
	e.svc.Submit = func(ctx context.Context, p *payment.Payment, secret string) (string, error) {
		if secret != "draft-secret" {
			return "", errors.New("wrong secret")
		}
		if p.Context["ars"] != "084160041041" {
			return "", errors.New("submit context lost")
		}
		e.mu.Lock()
		err := e.failErr
		e.mu.Unlock()
		if err != nil {
			return "", err
		}
		// Slow enough that parallel completions would overlap.
		time.Sleep(20 * time.Millisecond)
		e.submits.Add(1)
		return "sub-" + p.ID[:8], nil
	}
	e.svc.OnPaid = func(context.Context, *payment.Payment) { e.paid.Add(1) }
	ctx := context.Background()
	if err := e.svc.SetEndpoint(ctx, payment.EndpointConfig{Endpoint: xbd.Endpoint{
		TokenURL: e.sim.URL + "/oauth/token", APIURL: e.sim.URL + paysim.APIPrefix, ClientID: "ozgo test", ClientSecret: "geheim",
		OriginatorID: "ozgo-test", EndpointID: "08416041"}}); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.SetConfig(ctx, payment.Config{Service: "blaue-karte-eu", Mode: payment.ModeMandatory,
		Rule:       payment.Rule{Kind: payment.RulePer, Base: 9300, Amount: 1000, CountPath: "kinder", Label: "Je Kind"},
		LegalBasis: "§ 45 AufenthV", BookingData: map[string]string{"haushaltsstelle": "1.1220"}, RefPrefix: "TUE"}); err != nil {
		t.Fatal(err)
	}
	return e
}

func (e *env) setFail(err error) {
	e.mu.Lock()
	e.failErr = err
	e.mu.Unlock()
}

func (e *env) start(t *testing.T, draft string, retry bool) (*payment.Payment, error) {
	t.Helper()
	return e.startWith(t, draft, retry, 2)
}

func (e *env) startWith(t *testing.T, draft string, retry bool, children int) (*payment.Payment, error) {
	t.Helper()
	kinder := make([]any, children)
	for i := range kinder {
		kinder[i] = map[string]any{}
	}
	return e.svc.Start(context.Background(), payment.StartRequest{
		DraftID: draft, Secret: "draft-secret", Service: "blaue-karte-eu", ServiceTitle: "Blaue Karte EU (verlängern)",
		Data: map[string]any{"kinder": kinder}, Retry: retry,
		Context:   map[string]string{"ars": "084160041041", "actor": "person:1"},
		ReturnURL: func(id string) string { return "https://ozgo.example/bezahlt?zahlung=" + id },
	})
}

// pay plays the tester on paysim's payment page, without following the
// redirect back (the closed tab).
func (e *env) pay(t *testing.T, p *payment.Payment, result string) {
	t.Helper()
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.PostForm(p.PayURL, url.Values{"ergebnis": {result}, "zahlart": {"GIROPAY"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "https://ozgo.example/bezahlt?zahlung="+p.ID) {
		t.Fatalf("payment page answered %d → %s", resp.StatusCode, resp.Header.Get("Location"))
	}
}

func TestPayAndComplete(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		p, err := e.start(t, "draft-1", false)
		if err != nil {
			t.Fatal(err)
		}
		if p.Status != xbd.StatusInitial || p.Amount != 11300 || !strings.HasPrefix(p.PayURL, e.sim.URL+"/pay/") || p.Attempt != 1 {
			t.Fatalf("started %+v", p)
		}
		// Reload, double click: the same payment.
		again, err := e.start(t, "draft-1", true)
		if err != nil || again.ID != p.ID || again.TransactionID != p.TransactionID {
			t.Fatalf("second start: %+v, %v", again, err)
		}
		if _, err := e.svc.ForDraft(ctx, "draft-1"); !errs.Is(err, errs.NotFound) {
			t.Fatalf("unpaid draft has payment information: %v", err)
		}
		e.pay(t, p, "bezahlt")
		p, err = e.svc.Refresh(ctx, p)
		if err != nil || !p.Paid() || p.Method != "GIROPAY" {
			t.Fatalf("after paying: %+v, %v", p, err)
		}
		in, err := e.svc.ForDraft(ctx, "draft-1")
		if err != nil || in.Status != "BOOKED" || in.GrossAmount != 11300 || in.PaymentMethod != "GIROPAY" || in.TransactionID != p.TransactionID || !strings.HasPrefix(in.TransactionReference, "TUE-") {
			t.Fatalf("payment information %+v, %v", in, err)
		}
		// FIT-Connect's metadata schema 2.1.0 accepts it.
		pi, _ := json.Marshal(in)
		meta := submission.Metadata{Schema: submission.MetadataSchemaURI, PaymentInformation: pi, ContentStructure: submission.ContentStructure{
			Data:        submission.DataRef{Hash: submission.SHA512([]byte(`{}`)), SubmissionSchema: submission.SchemaRef{SchemaURI: "https://schema.fitko.de/fim/s00000121_1.0.schema.json", MimeType: "application/json"}},
			Attachments: []submission.Attachment{}}}
		doc, err := meta.Encode()
		if err != nil {
			t.Fatal(err)
		}
		if err := submission.ValidateMetadata(doc); err != nil {
			t.Fatalf("metadata with %s: %v", pi, err)
		}
		// The return and the job race; the application is submitted once.
		var wg sync.WaitGroup
		for range 3 {
			wg.Add(2)
			go func() { defer wg.Done(); _, _ = e.svc.Complete(ctx, p, "return") }()
			go func() { defer wg.Done(); _, _ = e.svc.ReconcileOnce(ctx) }()
		}
		wg.Wait()
		if n, paid := e.submits.Load(), e.paid.Load(); n != 1 || paid != 1 {
			t.Fatalf("submitted %d times, counted %d", n, paid)
		}
		p, _ = e.svc.Get(ctx, p.ID)
		if p.SubmissionID == "" {
			t.Fatalf("no submission: %+v", p)
		}
		in, err = e.svc.ForSubmission(ctx, p.SubmissionID)
		if err != nil || in.Status != "BOOKED" {
			t.Fatalf("for submission: %+v, %v", in, err)
		}
		// A replayed return changes nothing.
		if p2, err := e.svc.Complete(ctx, p, "return"); err != nil || p2.SubmissionID != p.SubmissionID || e.submits.Load() != 1 {
			t.Fatalf("replay: %+v, %v", p2, err)
		}
	})
}

func TestParallelStartCreatesOneTransaction(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		var wg sync.WaitGroup
		ids := make([]string, 6)
		for i := range ids {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if p, err := e.start(t, "draft-par", true); err == nil {
					ids[i] = p.TransactionID
				} else {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		for _, id := range ids {
			if id == "" || id != ids[0] {
				t.Fatalf("transactions %v", ids)
			}
		}
	})
}

func TestCancelAndRetry(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		for _, result := range []string{"abgebrochen", "fehlgeschlagen"} {
			draft := "draft-" + result
			p, err := e.start(t, draft, false)
			if err != nil {
				t.Fatal(err)
			}
			e.pay(t, p, result)
			if p, err = e.svc.Refresh(ctx, p); err != nil || !p.Failed() {
				t.Fatalf("%s: %+v, %v", result, p, err)
			}
			// Without Retry (a reload of the return) the failed attempt stays.
			if same, err := e.start(t, draft, false); err != nil || same.ID != p.ID {
				t.Fatalf("reload: %+v, %v", same, err)
			}
			next, err := e.start(t, draft, true)
			if err != nil || next.ID == p.ID || next.Attempt != 2 || next.RequestID == p.RequestID || next.TransactionID == p.TransactionID || next.Status != xbd.StatusInitial {
				t.Fatalf("retry: %+v, %v", next, err)
			}
			// A failed status never comes back to life.
			if p2, err := e.svc.Refresh(ctx, p); err != nil || p2.Status != p.Status {
				t.Fatalf("refresh of final: %+v, %v", p2, err)
			}
		}
	})
}

// TestClosedTab: paid, the applicant never returns; the job finds out and
// submits.
func TestClosedTab(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		p, err := e.start(t, "draft-tab", false)
		if err != nil {
			t.Fatal(err)
		}
		e.pay(t, p, "bezahlt")
		deadline := time.Now().Add(5 * time.Second)
		for {
			if _, err := e.svc.ReconcileOnce(ctx); err != nil {
				t.Fatal(err)
			}
			p, _ = e.svc.Get(ctx, p.ID)
			if p.SubmissionID != "" || time.Now().After(deadline) {
				break
			}
			time.Sleep(5 * time.Millisecond)
		}
		if !p.Paid() || p.SubmissionID == "" || e.submits.Load() != 1 {
			t.Fatalf("not completed: %+v", p)
		}
		open, _ := e.svc.List(ctx, payment.FilterOpen, 10)
		if len(open) != 0 {
			t.Fatalf("still open: %d", len(open))
		}
	})
}

// TestSubmitFailsForGood: paid, but the draft is gone; operators see it.
func TestSubmitFailsForGood(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		p, err := e.start(t, "draft-gone", false)
		if err != nil {
			t.Fatal(err)
		}
		e.pay(t, p, "bezahlt")
		p, _ = e.svc.Refresh(ctx, p)
		e.setFail(errs.K(errs.NotFound, "form.draft.not_found"))
		p, err = e.svc.Complete(ctx, p, "return")
		if err != nil || p.SubmitError != "not_found" || p.SubmissionID != "" {
			t.Fatalf("%+v, %v", p, err)
		}
		att, err := e.svc.List(ctx, payment.FilterAttention, 10)
		if err != nil || len(att) != 1 || att[0].ID != p.ID {
			t.Fatalf("attention list %v, %v", att, err)
		}
		// A temporary failure is retried instead.
		e.setFail(errs.E(errs.Unavailable, "später"))
		p2, err := e.start(t, "draft-later", false)
		if err != nil {
			t.Fatal(err)
		}
		e.pay(t, p2, "bezahlt")
		p2, _ = e.svc.Refresh(ctx, p2)
		if _, err := e.svc.Complete(ctx, p2, "return"); err == nil {
			t.Fatal("temporary failure not reported")
		}
		p2, _ = e.svc.Get(ctx, p2.ID)
		if p2.SubmitError != "" {
			t.Fatalf("temporary failure marked final: %+v", p2)
		}
		e.setFail(nil)
		if p2, err = e.svc.Complete(ctx, p2, "return"); err != nil || p2.SubmissionID == "" {
			t.Fatalf("retry: %+v, %v", p2, err)
		}
	})
}

func TestProviderDown(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		e.sim.Close()
		_, err := e.start(t, "draft-down", false)
		if !errs.Is(err, errs.Unavailable) {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestConfigFallbackAndSecretSealed(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		if err := e.svc.SetConfig(ctx, payment.Config{Service: "blaue-karte-eu", TenantID: "tuebingen", Mode: payment.ModeDeferred,
			Rule: payment.Rule{Kind: payment.RuleFixed, Amount: 9600}}); err != nil {
			t.Fatal(err)
		}
		c, err := e.svc.Config(ctx, "blaue-karte-eu", "tuebingen")
		if err != nil || c.Mode != payment.ModeDeferred || c.Rule.Amount != 9600 {
			t.Fatalf("tenant: %+v, %v", c, err)
		}
		c, err = e.svc.Config(ctx, "blaue-karte-eu", "reutlingen")
		if err != nil || c.Mode != payment.ModeMandatory || c.TenantID != "" {
			t.Fatalf("fallback: %+v, %v", c, err)
		}
		c, err = e.svc.Config(ctx, "andere", "")
		if err != nil || c.Mode != payment.ModeNone {
			t.Fatalf("none: %+v, %v", c, err)
		}
		q, err := e.svc.Quote(ctx, "blaue-karte-eu", "tuebingen", nil)
		if err != nil || q.Due() {
			t.Fatalf("deferred is not due in the online service: %+v, %v", q, err)
		}
		var sealed []byte
		if err := db.QueryRowContext(ctx, `SELECT client_secret FROM payment_endpoints WHERE tenant_id = ''`).Scan(&sealed); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(sealed), "geheim") {
			t.Fatal("client secret stored in the clear")
		}
		if err := e.svc.SetConfig(ctx, payment.Config{Service: "x", Mode: "bald"}); !errs.Is(err, errs.Invalid) {
			t.Fatalf("bad mode: %v", err)
		}
	})
}

// TestAnswersChangedAfterStart: an open transaction for an old amount is
// not continued; a paid one for an old amount is not submitted.
func TestAnswersChangedAfterStart(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		old, err := e.startWith(t, "draft-changed", true, 2)
		if err != nil {
			t.Fatal(err)
		}
		next, err := e.startWith(t, "draft-changed", true, 3)
		if err != nil || next.ID == old.ID || next.Amount != 12300 || next.Attempt != 2 {
			t.Fatalf("new amount: %+v, %v", next, err)
		}
		if same, err := e.startWith(t, "draft-changed", true, 3); err != nil || same.ID != next.ID {
			t.Fatalf("double click: %+v, %v", same, err)
		}
		// The applicant pays the old one in another tab after all.
		e.pay(t, old, "bezahlt")
		e.setFail(errs.K(errs.Invalid, "payment.error.amount_changed"))
		old, _ = e.svc.Refresh(ctx, old)
		old, err = e.svc.Complete(ctx, old, "reconcile")
		if err != nil || old.SubmitError != "invalid" || old.SubmissionID != "" {
			t.Fatalf("paid old amount: %+v, %v", old, err)
		}
	})
}
