package payment_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ozgo/ozgo/internal/demo"
	"github.com/ozgo/ozgo/internal/errs"
	"github.com/ozgo/ozgo/internal/identity"
	"github.com/ozgo/ozgo/internal/payment"
	"github.com/ozgo/ozgo/internal/postfach"
	"github.com/ozgo/ozgo/internal/store"
	"github.com/ozgo/ozgo/internal/store/dbtest"
)

// caseEnv is env with a submitted case of tenant "tue" whose service has a
// deferred fee of 100 €.
type caseEnv struct {
	*env
	pf                  *postfach.Service
	owner, other        *identity.Actor
	clerk, foreignClerk *identity.Actor
}

const caseID = "case-1"

func newCaseEnv(t *testing.T, db *store.DB) *caseEnv {
	t.Helper()
	ctx := context.Background()
	e := newEnv(t, db)
	if err := db.InTx(ctx, func(tx *store.Tx) error { return demo.LoadOnlineServices(ctx, tx) }); err != nil {
		t.Fatal(err)
	}
	now := store.FormatTime(time.Now())
	if _, err := db.ExecContext(ctx, `INSERT INTO tenants (id, name, ars, created_at) VALUES ('tue', 'Tübingen', '084160041041', ?), ('ber', 'Berlin', '11', ?)`, now, now); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, `INSERT INTO submissions (id, reference, token_hash, owner, service, form_id, form_version, schema_id, data, attachments, submitted_at, tenant_id)
		VALUES (?, '2026-AAAA-BBBB', 'x', 'person:p1', 'blaue-karte-eu', 'S00000121', '1.0', 's', ?, ?, ?, 'tue')`, caseID, []byte{}, []byte{}, now); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.SetConfig(ctx, payment.Config{Service: "blaue-karte-eu", TenantID: "tue", Mode: payment.ModeDeferred,
		Rule: payment.Rule{Kind: payment.RuleFixed, Amount: 100_00, Label: "Erteilung"}, LegalBasis: "§ 45 AufenthV", RefPrefix: "TUE-ABH"}); err != nil {
		t.Fatal(err)
	}
	pf := &postfach.Service{DB: db, Keys: e.svc.Keys, Audit: e.svc.Audit, Cases: postfach.SubmissionCases{DB: db}}
	e.svc.Postfach = pf
	return &caseEnv{env: e, pf: pf,
		owner:        &identity.Actor{Kind: identity.KindCitizen, Principal: "p1", TrustLevel: identity.Substantiell},
		other:        &identity.Actor{Kind: identity.KindCitizen, Principal: "p2", TrustLevel: identity.Substantiell},
		clerk:        &identity.Actor{Kind: identity.KindStaff, Principal: "s1", TenantID: "tue", Roles: []identity.Role{identity.RoleClerk}},
		foreignClerk: &identity.Actor{Kind: identity.KindStaff, Principal: "s2", TenantID: "ber", Roles: []identity.Role{identity.RoleClerk}},
	}
}

func (c *caseEnv) request(t *testing.T, a *identity.Actor) (*payment.CaseRequest, error) {
	t.Helper()
	due := time.Now().AddDate(0, 0, 30).Format("2006-01-02")
	return c.svc.RequestCasePayment(context.Background(), a, payment.RequestCase{CaseID: caseID, Data: map[string]any{}, DueDate: due,
		ServiceTitle: "Blaue Karte EU beantragen", PayURL: "https://ozgo.example/antraege/" + caseID + "/bezahlen"})
}

func (c *caseEnv) startCase(a *identity.Actor) (*payment.Payment, error) {
	return c.svc.StartCase(context.Background(), a, caseID, "Blaue Karte EU beantragen", func(id string) string {
		return "https://ozgo.example/bezahlt?zahlung=" + id
	})
}

// payOnly plays the applicant on paysim's page without following the
// redirect back.
func payOnly(t *testing.T, p *payment.Payment, result string) {
	t.Helper()
	hc := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := hc.PostForm(p.PayURL, url.Values{"ergebnis": {result}, "zahlart": {"GIROPAY"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("payment page answered %d", resp.StatusCode)
	}
}

func TestCaseRequestSendsOneMessage(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, db *store.DB) {
		c := newCaseEnv(t, db)
		ctx := context.Background()
		q, err := c.svc.CaseFee(ctx, c.clerk, caseID, map[string]any{})
		if err != nil || q == nil || q.Fee.Total != 100_00 {
			t.Fatalf("CaseFee = %+v, %v", q, err)
		}
		r, err := c.request(t, c.clerk)
		if err != nil {
			t.Fatal(err)
		}
		if r.Amount != 100_00 || !strings.HasPrefix(r.Reference, "TUE-ABH-") || r.MessageID == "" {
			t.Fatalf("request = %+v", r)
		}
		again, err := c.request(t, c.clerk)
		if err != nil || again.Reference != r.Reference || again.MessageID != r.MessageID {
			t.Fatalf("second request = %+v, %v", again, err)
		}
		msgs, err := c.pf.List(ctx, c.owner, postfach.Filter{CaseID: caseID})
		if err != nil {
			t.Fatal(err)
		}
		if len(msgs) != 1 || msgs[0].Kind != postfach.Zahlungsaufforderung || msgs[0].DueDate != r.DueDate {
			t.Fatalf("messages = %+v", msgs)
		}
		m, err := c.pf.Get(ctx, c.owner, msgs[0].ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"100,00 €", r.Reference, "§ 45 AufenthV", "/antraege/" + caseID + "/bezahlen"} {
			if !strings.Contains(m.Body, want) {
				t.Errorf("message lacks %q:\n%s", want, m.Body)
			}
		}
		// A due date in the past is refused (new case state: no request).
		if _, err := db.ExecContext(ctx, `DELETE FROM payment_requests`); err != nil {
			t.Fatal(err)
		}
		_, err = c.svc.RequestCasePayment(ctx, c.clerk, payment.RequestCase{CaseID: caseID, DueDate: "2020-01-01"})
		if !errs.Is(err, errs.Invalid) {
			t.Fatalf("past due date: %v", err)
		}
	})
}

func TestCasePaymentAuthorization(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, db *store.DB) {
		c := newCaseEnv(t, db)
		ctx := context.Background()
		if _, err := c.request(t, c.foreignClerk); !errs.Is(err, errs.NotFound) {
			t.Fatalf("other tenant's clerk requested: %v", err)
		}
		if _, err := c.request(t, c.owner); !errs.Is(err, errs.NotFound) {
			t.Fatalf("applicant requested: %v", err)
		}
		if _, err := c.request(t, c.clerk); err != nil {
			t.Fatal(err)
		}
		for name, a := range map[string]*identity.Actor{"other citizen": c.other, "other tenant's clerk": c.foreignClerk} {
			if _, err := c.svc.CaseStatus(ctx, a, caseID); !errs.Is(err, errs.NotFound) {
				t.Errorf("%s sees the request: %v", name, err)
			}
			if _, err := c.startCase(a); !errs.Is(err, errs.NotFound) {
				t.Errorf("%s starts the payment: %v", name, err)
			}
		}
		if _, err := c.startCase(c.clerk); !errs.Is(err, errs.NotFound) {
			t.Errorf("the clerk starts the payment: %v", err)
		}
		if _, err := c.svc.CaseStatus(ctx, &identity.Actor{}, caseID); !errs.Is(err, errs.Unauthorized) {
			t.Errorf("anonymous: %v", err)
		}
		if _, err := c.svc.CaseStatus(ctx, c.owner, caseID); err != nil {
			t.Errorf("owner: %v", err)
		}
		if _, err := c.svc.CaseStatus(ctx, c.clerk, caseID); err != nil {
			t.Errorf("clerk: %v", err)
		}
	})
}

// TestCasePaymentIdempotent: starts in parallel and in a row, a reload
// after paying: one transaction.
func TestCasePaymentIdempotent(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, db *store.DB) {
		c := newCaseEnv(t, db)
		if _, err := c.request(t, c.clerk); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		got := make([]*payment.Payment, 4)
		for i := range got {
			wg.Add(1)
			go func() {
				defer wg.Done()
				p, err := c.startCase(c.owner)
				if err != nil {
					t.Error(err)
					return
				}
				got[i] = p
			}()
		}
		wg.Wait()
		if t.Failed() {
			return
		}
		p, err := c.startCase(c.owner)
		if err != nil {
			t.Fatal(err)
		}
		for _, g := range got {
			if g.ID != p.ID || g.TransactionID == "" || g.TransactionID != p.TransactionID {
				t.Fatalf("two payments: %+v vs %+v", g, p)
			}
		}
		if p.CaseID != caseID || p.Amount != 100_00 || p.Attempt != 1 {
			t.Fatalf("payment = %+v", p)
		}
		r, _ := c.svc.CaseStatus(context.Background(), c.owner, caseID)
		if p.Reference != r.Request.Reference {
			t.Fatalf("Kassenzeichen %q, request %q", p.Reference, r.Request.Reference)
		}
		var n int
		if err := db.QueryRowContext(context.Background(), `SELECT COUNT(*) FROM payments WHERE case_id = ?`, caseID).Scan(&n); err != nil || n != 1 {
			t.Fatalf("%d payment rows, %v", n, err)
		}
	})
}

// TestCasePaymentCancelRetryAndReconcile: cancelled → a new attempt with
// the same Kassenzeichen; paid with the tab closed → the reconciliation
// job records it in the case, once, and counts it.
func TestCasePaymentCancelRetryAndReconcile(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, db *store.DB) {
		c := newCaseEnv(t, db)
		ctx := context.Background()
		if _, err := c.request(t, c.clerk); err != nil {
			t.Fatal(err)
		}
		p1, err := c.startCase(c.owner)
		if err != nil {
			t.Fatal(err)
		}
		payOnly(t, p1, "abgebrochen")
		if p1, err = c.svc.Refresh(ctx, p1); err != nil || !p1.Failed() {
			t.Fatalf("after cancel: %+v, %v", p1, err)
		}
		p2, err := c.startCase(c.owner)
		if err != nil {
			t.Fatal(err)
		}
		if p2.ID == p1.ID || p2.Attempt != 2 || p2.Reference != p1.Reference {
			t.Fatalf("retry: %+v after %+v", p2, p1)
		}
		payOnly(t, p2, "bezahlt")
		// The browser never comes back: the job must finish it.
		deadline := time.Now().Add(10 * time.Second)
		for {
			if _, err := c.svc.ReconcileOnce(ctx); err != nil {
				t.Fatal(err)
			}
			p2, _ = c.svc.Get(ctx, p2.ID)
			if p2.SubmissionID != "" || time.Now().After(deadline) {
				break
			}
			time.Sleep(5 * time.Millisecond)
		}
		if !p2.Paid() || p2.SubmissionID != caseID {
			t.Fatalf("not recorded: %+v", p2)
		}
		if c.paid.Load() != 1 || c.submits.Load() != 0 {
			t.Fatalf("OnPaid %d, submits %d", c.paid.Load(), c.submits.Load())
		}
		st, err := c.svc.CaseStatus(ctx, c.owner, caseID)
		if err != nil || !st.Paid() {
			t.Fatalf("status: %+v, %v", st, err)
		}
		// Paid: a further start returns the paid attempt, no new one.
		p3, err := c.startCase(c.owner)
		if err != nil || p3.ID != p2.ID {
			t.Fatalf("start after paying: %+v, %v", p3, err)
		}
		// Completing again (a late return) changes nothing.
		if _, err := c.svc.Complete(ctx, p2, "return"); err != nil || c.paid.Load() != 1 {
			t.Fatalf("second completion: %v, paid %d", err, c.paid.Load())
		}
		var audited int
		if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM audit_log WHERE action = 'payment.case_paid' AND object_id = ?`, caseID).Scan(&audited); err != nil || audited != 1 {
			t.Fatalf("audit entries %d, %v", audited, err)
		}
		// Both sides see the payment in the case's Postfach thread.
		msgs, err := c.pf.List(ctx, c.clerk, postfach.Filter{CaseID: caseID})
		if err != nil {
			t.Fatal(err)
		}
		var notice bool
		for _, m := range msgs {
			notice = notice || m.Kind == postfach.Mitteilung && m.Subject == "Zahlung eingegangen"
		}
		if !notice {
			t.Errorf("no notice of the payment in %+v", msgs)
		}
		// The payment of a draft is not confused with it.
		if _, err := c.svc.BySubmission(ctx, caseID); !errs.Is(err, errs.NotFound) {
			t.Fatalf("BySubmission: %v", err)
		}
	})
}

func TestHasEndpoint(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, db *store.DB) {
		c := newCaseEnv(t, db)
		ok, err := c.svc.HasEndpoint(context.Background(), "tue")
		if err != nil || !ok {
			t.Fatalf("default endpoint: %v %v", ok, err)
		}
		if _, err := db.ExecContext(context.Background(), `DELETE FROM payment_endpoints`); err != nil {
			t.Fatal(err)
		}
		if ok, _ := c.svc.HasEndpoint(context.Background(), "tue"); ok {
			t.Fatal("no endpoint, but HasEndpoint")
		}
	})
}
