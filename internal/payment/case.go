package payment

// Deferred fees (mode deferred, issue 8): the application is submitted
// without paying; when the clerk decides the case, ozgo computes the fee
// from the fee rule and the application's data and sends the applicant a
// Postfach message of kind Zahlungsaufforderung with the amount, the
// Kassenzeichen, the due date and a link to the case's payment page. The
// applicant pays through the same flow as a fee before submission (start,
// findOrInsert, ensureTransaction, Refresh, the reconciliation job); only
// the completion differs: instead of submitting a draft, the payment is
// recorded in the case (audit entry, statistics through OnPaid).

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ozgo/ozgo/internal/audit"
	"github.com/ozgo/ozgo/internal/errs"
	"github.com/ozgo/ozgo/internal/form"
	"github.com/ozgo/ozgo/internal/identity"
	"github.com/ozgo/ozgo/internal/payment/xbd"
	"github.com/ozgo/ozgo/internal/postfach"
	"github.com/ozgo/ozgo/internal/store"
)

// CaseRequest is the Zahlungsaufforderung of a case.
type CaseRequest struct {
	CaseID      string
	Service     string
	TenantID    string
	Owner       string
	Amount      int64
	Lines       []Line
	Reference   string // Kassenzeichen, the same for every attempt
	LegalBasis  string
	DueDate     string // YYYY-MM-DD
	MessageID   string
	RequestedBy string
	Created     time.Time
}

// caseInfo is what the payment needs of a case (a submission).
type caseInfo struct {
	ID, Owner, TenantID, Reference, Service string
}

func (s *Service) loadCase(ctx context.Context, id string) (*caseInfo, error) {
	c := &caseInfo{ID: id}
	err := s.DB.QueryRowContext(ctx, `SELECT owner, tenant_id, reference, service FROM submissions WHERE id = ? AND tenant_id <> ''`, id).
		Scan(&c.Owner, &c.TenantID, &c.Reference, &c.Service)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errs.E(errs.NotFound, "")
	}
	return c, err
}

// authorizeCase lets the case's applicant (their party) and the staff of
// its tenant see it; everybody else gets NotFound, a visitor without a
// session Unauthorized.
func authorizeCase(a *identity.Actor, c *caseInfo, action identity.Action) error {
	o := identity.Object{Type: "case"}
	if a.Kind == identity.KindCitizen {
		o.Owner = c.Owner
	} else {
		o.TenantID = c.TenantID
	}
	return identity.Authorize(a, action, o)
}

// RequestCase asks the clerk's case for its deferred fee.
type RequestCase struct {
	CaseID string
	// Data is the application's JSON instance, for the fee rule.
	Data map[string]any
	// DueDate is YYYY-MM-DD, not before today.
	DueDate string
	// ServiceTitle names the online service in the message.
	ServiceTitle string
	// PayURL is the absolute address of the case's payment page, for the
	// message text (the Postfach page links it too).
	PayURL string
}

// CaseFee is the fee a clerk may request for a case: the quote when the
// service's mode is deferred and the fee is not zero, nil otherwise. The
// clerk sees it before deciding; the amount is the fee rule's and cannot
// be changed here (the rule is the legal basis; a different amount is a
// matter for the Bescheid and the authority's cash office).
func (s *Service) CaseFee(ctx context.Context, a *identity.Actor, caseID string, data map[string]any) (*Quote, error) {
	c, err := s.loadCase(ctx, caseID)
	if err != nil {
		return nil, err
	}
	if err := authorizeCase(a, c, identity.ActionView); err != nil {
		return nil, err
	}
	q, err := s.Quote(ctx, c.Service, c.TenantID, data)
	if err != nil {
		return nil, err
	}
	if q.Config.Mode != ModeDeferred || q.Fee.Total <= 0 {
		return nil, nil
	}
	return q, nil
}

// RequestCasePayment records the Zahlungsaufforderung of a case and sends
// it to the applicant's Postfach. Only a clerk of the case's tenant may;
// a case has at most one request: a second call returns the first.
func (s *Service) RequestCasePayment(ctx context.Context, a *identity.Actor, in RequestCase) (*CaseRequest, error) {
	if s.Postfach == nil {
		return nil, errs.Wrap(errs.Internal, "payment.RequestCasePayment", errors.New("no Postfach configured"), "")
	}
	c, err := s.loadCase(ctx, in.CaseID)
	if err != nil {
		return nil, err
	}
	if err := authorizeCase(a, c, identity.ActionWork); err != nil {
		return nil, err
	}
	if r, err := s.caseRequest(ctx, c.ID); err == nil {
		return r, nil
	} else if !errs.Is(err, errs.NotFound) {
		return nil, err
	}
	due, err := time.ParseInLocation("2006-01-02", in.DueDate, form.Berlin)
	if err != nil {
		return nil, errs.FieldError("zahlungsfrist", "payment.error.due")
	}
	today := s.now().In(form.Berlin).Format("2006-01-02")
	if in.DueDate < today {
		return nil, errs.FieldError("zahlungsfrist", "payment.error.due_past")
	}
	q, err := s.Quote(ctx, c.Service, c.TenantID, in.Data)
	if err != nil {
		return nil, err
	}
	if q.Config.Mode != ModeDeferred || q.Fee.Total <= 0 {
		return nil, errs.K(errs.Conflict, "payment.error.not_due")
	}
	id, err := newID()
	if err != nil {
		return nil, err
	}
	r := &CaseRequest{CaseID: c.ID, Service: c.Service, TenantID: c.TenantID, Owner: c.Owner, Amount: q.Fee.Total, Lines: q.Fee.Lines,
		Reference: kassenzeichen(q.Config.RefPrefix, id), LegalBasis: q.Config.LegalBasis, DueDate: in.DueDate, RequestedBy: a.ID(), Created: s.now()}
	items, err := json.Marshal(r.Lines)
	if err != nil {
		return nil, err
	}
	// The row first: its primary key makes a parallel second request fail
	// here, before a second message is sent.
	_, err = s.DB.ExecContext(ctx, `INSERT INTO payment_requests (case_id, service, tenant_id, owner, amount_cents, items, reference, legal_basis, due_date, message_id, requested_by, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, '', ?, ?)`, r.CaseID, r.Service, r.TenantID, r.Owner, r.Amount, string(items), r.Reference, r.LegalBasis, r.DueDate, r.RequestedBy, formatTime(r.Created))
	if err != nil {
		if r2, err2 := s.caseRequest(ctx, c.ID); err2 == nil {
			return r2, nil
		}
		return nil, err
	}
	title := in.ServiceTitle
	if title == "" {
		title = c.Service
	}
	var body strings.Builder
	fmt.Fprintf(&body, "Für Ihren Antrag „%s“ (Vorgangsnummer %s) wird eine Gebühr erhoben.\n\n", title, c.Reference)
	for _, l := range r.Lines {
		if l.Quantity > 1 {
			fmt.Fprintf(&body, "%s: %d × %s = %s\n", l.Label, l.Quantity, xbd.Amount(l.Single).German(), xbd.Amount(l.Total).German())
		} else {
			fmt.Fprintf(&body, "%s: %s\n", l.Label, xbd.Amount(l.Total).German())
		}
	}
	fmt.Fprintf(&body, "Zu zahlen: %s\n", xbd.Amount(r.Amount).German())
	if r.LegalBasis != "" {
		fmt.Fprintf(&body, "Rechtsgrundlage: %s\n", r.LegalBasis)
	}
	fmt.Fprintf(&body, "Kassenzeichen: %s\nZahlbar bis: %s\n\n", r.Reference, due.Format("02.01.2006"))
	if in.PayURL != "" {
		fmt.Fprintf(&body, "Sie können die Gebühr online bezahlen: %s", in.PayURL)
	}
	pc := &postfach.Case{ID: c.ID, Owner: c.Owner, TenantID: c.TenantID, Reference: c.Reference}
	m, err := s.Postfach.SendAs(ctx, a.ID(), pc, postfach.Draft{CaseID: c.ID, Kind: postfach.Zahlungsaufforderung,
		Subject: "Zahlungsaufforderung – " + xbd.Amount(r.Amount).German(), Body: body.String(), DueDate: r.DueDate})
	if err != nil {
		_, _ = s.DB.ExecContext(context.WithoutCancel(ctx), `DELETE FROM payment_requests WHERE case_id = ? AND message_id = ''`, c.ID)
		return nil, err
	}
	r.MessageID = m.ID
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE payment_requests SET message_id = ? WHERE case_id = ?`, m.ID, c.ID); err != nil {
			return err
		}
		_, err := s.Audit.Append(ctx, tx, audit.Entry{Actor: a.ID(), Action: "payment.requested", ObjectType: "case", ObjectID: c.ID, Tenant: c.TenantID, Outcome: audit.Success,
			Details: map[string]string{"amount_cents": fmt.Sprint(r.Amount), "reference": r.Reference, "due": r.DueDate, "message": m.ID}})
		return err
	})
	if err != nil {
		return nil, err
	}
	return r, nil
}

func (s *Service) caseRequest(ctx context.Context, caseID string) (*CaseRequest, error) {
	r := &CaseRequest{}
	var items, created string
	err := s.DB.QueryRowContext(ctx, `SELECT case_id, service, tenant_id, owner, amount_cents, items, reference, legal_basis, due_date, message_id, requested_by, created_at
		FROM payment_requests WHERE case_id = ?`, caseID).Scan(&r.CaseID, &r.Service, &r.TenantID, &r.Owner, &r.Amount, &items, &r.Reference, &r.LegalBasis, &r.DueDate, &r.MessageID, &r.RequestedBy, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errs.E(errs.NotFound, "")
	}
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(items), &r.Lines); err != nil {
		return nil, fmt.Errorf("payment request %s: items: %w", caseID, err)
	}
	r.Created = parseTime(created)
	return r, nil
}

// CasePayment is a case's Zahlungsaufforderung with its newest attempt
// (nil before the first).
type CasePayment struct {
	Request *CaseRequest
	Last    *Payment
}

// Paid reports whether the request is paid.
func (c *CasePayment) Paid() bool { return c.Last != nil && c.Last.Paid() }

// CaseStatus returns the Zahlungsaufforderung of a case, for its
// applicant or the staff of its tenant; NotFound when there is none or a
// is neither.
func (s *Service) CaseStatus(ctx context.Context, a *identity.Actor, caseID string) (*CasePayment, error) {
	c, err := s.loadCase(ctx, caseID)
	if err != nil {
		return nil, err
	}
	if err := authorizeCase(a, c, identity.ActionView); err != nil {
		return nil, err
	}
	r, err := s.caseRequest(ctx, caseID)
	if err != nil {
		return nil, err
	}
	out := &CasePayment{Request: r}
	last, err := latest(ctx, s.DB, caseDraftID(caseID))
	switch {
	case err == nil:
		out.Last = last
	case !errs.Is(err, errs.NotFound):
		return nil, err
	}
	return out, nil
}

func caseDraftID(caseID string) string { return "case:" + caseID }

// StartCase starts (or finds) the payment of a case's Zahlungsaufforderung
// for its applicant: the same idempotent flow as Start, with the amount
// and Kassenzeichen of the request. A failed or cancelled attempt is
// followed by a new one; an open or paid one is returned as it is.
func (s *Service) StartCase(ctx context.Context, a *identity.Actor, caseID, serviceTitle string, returnURL func(paymentID string) string) (*Payment, error) {
	c, err := s.loadCase(ctx, caseID)
	if err != nil {
		return nil, err
	}
	if a.Kind != identity.KindCitizen {
		if !a.LoggedIn() {
			return nil, errs.E(errs.Unauthorized, "")
		}
		return nil, errs.E(errs.NotFound, "")
	}
	if err := authorizeCase(a, c, identity.ActionEdit); err != nil {
		return nil, err
	}
	r, err := s.caseRequest(ctx, caseID)
	if err != nil {
		return nil, err
	}
	cfg, err := s.Config(ctx, r.Service, r.TenantID)
	if err != nil {
		return nil, err
	}
	// The statistics count the payment in the applicant's Gemeinde when
	// the submission pipeline knows it, else in the tenant's region.
	var ars string
	if s.CaseGemeinde != nil {
		ars = s.CaseGemeinde(ctx, caseID)
	}
	if ars == "" {
		_ = s.DB.QueryRowContext(ctx, `SELECT ars FROM tenants WHERE id = ?`, r.TenantID).Scan(&ars)
	}
	req := StartRequest{DraftID: caseDraftID(caseID), CaseID: caseID, Owner: r.Owner, Service: r.Service, ServiceTitle: serviceTitle,
		TenantID: r.TenantID, Retry: true, ReturnURL: returnURL,
		Context: map[string]string{"actor": a.ID(), "ars": ars}}
	return s.start(ctx, req, charge{Amount: r.Amount, Fee: Fee{Total: r.Amount, Lines: r.Lines}, Booking: cfg.BookingData, Reference: r.Reference})
}

// completeCase records a paid Zahlungsaufforderung in its case, holding
// the row's lease (completeHeld): submission_id becomes the case id, an
// audit entry of the case's tenant says it was paid, OnPaid counts it.
func (s *Service) completeCase(ctx context.Context, p *Payment, by string) (*Payment, error) {
	err := s.DB.InTx(context.WithoutCancel(ctx), func(tx *store.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE payments SET submission_id = ?, locked_until = '', last_error = '', updated_at = ? WHERE id = ?`, p.CaseID, formatTime(s.now()), p.ID); err != nil {
			return err
		}
		_, err := s.Audit.Append(ctx, tx, audit.Entry{Actor: audit.System, Action: "payment.case_paid", ObjectType: "case", ObjectID: p.CaseID, Tenant: p.TenantID, Outcome: audit.Success,
			Details: map[string]string{"payment": p.ID, "transaction": p.TransactionID, "reference": p.Reference, "amount_cents": fmt.Sprint(p.Amount), "by": by}})
		return err
	})
	if err != nil {
		return nil, err
	}
	s.completed.WithLabelValues(by).Inc()
	if s.OnPaid != nil {
		s.OnPaid(ctx, p)
	}
	s.receipt(ctx, p)
	return s.Get(ctx, p.ID)
}

// receipt puts a notice of the payment into the case's Postfach thread,
// where the clerk and the applicant see it. The payment is recorded
// already; a failure here is logged, not repeated.
func (s *Service) receipt(ctx context.Context, p *Payment) {
	if s.Postfach == nil {
		return
	}
	c, err := s.loadCase(ctx, p.CaseID)
	if err == nil {
		pc := &postfach.Case{ID: c.ID, Owner: c.Owner, TenantID: c.TenantID, Reference: c.Reference}
		body := fmt.Sprintf("Die Gebühr von %s zum Kassenzeichen %s ist eingegangen (Transaktionsnummer %s).", xbd.Amount(p.Amount).German(), p.Reference, p.TransactionID)
		_, err = s.Postfach.SendAs(context.WithoutCancel(ctx), audit.System, pc, postfach.Draft{CaseID: c.ID, Kind: postfach.Mitteilung, Subject: "Zahlung eingegangen", Body: body})
	}
	if err != nil {
		s.Log.Warn("payment: notice of the payment not sent", "payment", p.ID, "err", err)
	}
}
