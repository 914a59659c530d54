package payment

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ozgo/ozgo/internal/audit"
	"github.com/ozgo/ozgo/internal/crypt"
	"github.com/ozgo/ozgo/internal/errs"
	"github.com/ozgo/ozgo/internal/payment/xbd"
	"github.com/ozgo/ozgo/internal/postfach"
	"github.com/ozgo/ozgo/internal/store"
)

// SubmitFunc submits the application of a paid payment's draft and returns
// the submission id. secret is the draft's token. An error of code Invalid
// or NotFound is final (the draft is incomplete, expired or gone); other
// errors are retried.
type SubmitFunc func(ctx context.Context, p *Payment, secret string) (submissionID string, err error)

// Options configure a Service.
type Options struct {
	// Interval is how often the reconciliation job looks for work and the
	// first delay before an open transaction is re-checked; it doubles per
	// check up to MaxInterval. Default 30s (OZGO_PAYMENT_RECHECK).
	Interval    time.Duration
	MaxInterval time.Duration
	Registerer  prometheus.Registerer
	Log         *slog.Logger
}

// OptionsFromEnv reads OZGO_PAYMENT_RECHECK (a duration such as 30s).
func OptionsFromEnv(getenv func(string) string) (Options, error) {
	var o Options
	if s := getenv("OZGO_PAYMENT_RECHECK"); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil || d <= 0 {
			return o, fmt.Errorf("OZGO_PAYMENT_RECHECK must be a positive duration such as 30s, not %q", s)
		}
		o.Interval = d
	}
	return o, nil
}

// Service runs payments.
type Service struct {
	DB     *store.DB
	Keys   *crypt.Keyring
	Audit  *audit.Log
	Client *xbd.Client
	// Submit submits a paid application; set by the wiring (see
	// AntragSubmitter).
	Submit SubmitFunc
	// OnPaid is called once per paid application, after it was submitted
	// (the statistics count it); may be nil.
	OnPaid func(ctx context.Context, p *Payment)
	// CaseGemeinde names the Gemeinde (ARS) a submitted case came from,
	// "" when unknown, so deferred fees count where the application did;
	// may be nil.
	CaseGemeinde func(ctx context.Context, caseID string) string
	// Postfach delivers the Zahlungsaufforderung of deferred fees
	// (case.go); may be nil when there are none.
	Postfach *postfach.Service
	Log      *slog.Logger
	// Now is the clock; tests replace it.
	Now func() time.Time

	interval, maxInterval time.Duration
	created               prometheus.Counter
	completed             *prometheus.CounterVec
	submitFailed          prometheus.Counter
	checkFailed           prometheus.Counter
}

// New returns a payment service.
func New(db *store.DB, keys *crypt.Keyring, log *audit.Log, opt Options) *Service {
	s := &Service{DB: db, Keys: keys, Audit: log, Client: xbd.NewClient(), Log: opt.Log, Now: time.Now,
		interval: opt.Interval, maxInterval: opt.MaxInterval}
	if s.Log == nil {
		s.Log = slog.Default()
	}
	if s.interval <= 0 {
		s.interval = 30 * time.Second
	}
	if s.maxInterval <= 0 {
		s.maxInterval = time.Hour
	}
	s.created = prometheus.NewCounter(prometheus.CounterOpts{Name: "ozgo_payment_transactions_created_total", Help: "Payment transactions created at a provider."})
	s.completed = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "ozgo_payment_submissions_total", Help: "Paid applications submitted, by who completed them (return, reconcile)."}, []string{"by"})
	s.submitFailed = prometheus.NewCounter(prometheus.CounterOpts{Name: "ozgo_payment_submit_failed_total", Help: "Paid applications whose submission failed for good; an operator must look (ozgo payment list --attention)."})
	s.checkFailed = prometheus.NewCounter(prometheus.CounterOpts{Name: "ozgo_payment_check_errors_total", Help: "Failed status checks or creations at a provider."})
	if opt.Registerer != nil {
		opt.Registerer.MustRegister(s.created, s.completed, s.submitFailed, s.checkFailed)
	}
	return s
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// Quote is what an application costs and how it is paid.
type Quote struct {
	Config *Config
	Fee    Fee
}

// Due reports whether the applicant is asked to pay in the online service.
func (q *Quote) Due() bool {
	return q.Fee.Total > 0 && (q.Config.Mode == ModeMandatory || q.Config.Mode == ModeOptional)
}

// Quote computes the fee of an application from its JSON instance.
func (s *Service) Quote(ctx context.Context, service, tenant string, data map[string]any) (*Quote, error) {
	c, err := s.Config(ctx, service, tenant)
	if err != nil {
		return nil, err
	}
	q := &Quote{Config: c}
	if c.Mode == ModeNone {
		return q, nil
	}
	q.Fee, err = c.Rule.Compute(data)
	if err != nil {
		return nil, err
	}
	return q, nil
}

// RequestID derives the XBezahldienste requestId of a draft's attempt:
// the same draft and attempt always give the same id (≤ 36 characters of
// ^[\w\d-]+$), so a repeated request is recognisable as the same one.
func RequestID(draftID string, attempt int) string {
	h := sha256.Sum256([]byte("ozgo payment request v1\x00" + draftID + "\x00" + strconv.Itoa(attempt)))
	return "ozgo-" + hex.EncodeToString(h[:])[:31]
}

// StartRequest asks to pay for a draft.
type StartRequest struct {
	DraftID, Secret, Owner string
	Service, ServiceTitle  string
	TenantID               string
	// Data is the application's JSON instance, for the fee.
	Data map[string]any
	// ReturnURL is where the provider sends the browser back, for a
	// payment id.
	ReturnURL func(paymentID string) string
	// Retry starts a new attempt when the last one failed or was
	// cancelled; without it such an attempt is returned as it is.
	Retry bool
	// Context is kept (sealed, it may hold personal data such as a reply
	// address) and handed to the SubmitFunc as Payment.Context, so the
	// submission can be completed without the request: the actor, the
	// chosen Gemeinde, ...
	Context map[string]string
	// CaseID is set for the payment of a case's Zahlungsaufforderung
	// (StartCase); DraftID is then "case:" + CaseID.
	CaseID string
}

// kassenzeichen derives a Kassenzeichen from the tenant's prefix and a
// random id.
func kassenzeichen(prefix, id string) string {
	if prefix == "" {
		prefix = "OZGO"
	}
	return prefix + "-" + strings.ToUpper(id[:12])
}

// creationLease is how long the process that created a payment row has to
// create its transaction before another may take over.
const creationLease = 30 * time.Second

// Start returns the payment of a draft, creating the row and the
// provider's transaction when there is none: an open, paid or (unless
// Retry) failed attempt is returned as it is, so a double click, a reload
// or a second tab never makes a second transaction.
func (s *Service) Start(ctx context.Context, req StartRequest) (*Payment, error) {
	q, err := s.Quote(ctx, req.Service, req.TenantID, req.Data)
	if err != nil {
		return nil, err
	}
	if !q.Due() {
		return nil, errs.K(errs.Conflict, "payment.error.not_due")
	}
	return s.start(ctx, req, charge{Amount: q.Fee.Total, Fee: q.Fee, Booking: q.Config.BookingData, RefPrefix: q.Config.RefPrefix})
}

// charge is what one payment asks for: computed from the fee rule for a
// draft, or fixed by the Zahlungsaufforderung of a case.
type charge struct {
	Amount    int64
	Fee       Fee
	Booking   map[string]string
	RefPrefix string
	// Reference is the Kassenzeichen every attempt shares (a case's
	// request); "" derives one per attempt from RefPrefix.
	Reference string
}

// start is the one payment flow of drafts and cases: find the attempt or
// insert it, then make sure the provider's transaction exists.
func (s *Service) start(ctx context.Context, req StartRequest, ch charge) (*Payment, error) {
	ep, err := s.Endpoint(ctx, req.TenantID)
	if err != nil {
		return nil, err
	}
	var p *Payment
	inserted := false
	for try := 0; try < 3 && p == nil; try++ {
		p, inserted, err = s.findOrInsert(ctx, req, ch)
		if errors.Is(err, errRace) {
			p, err = nil, nil
			continue
		}
		if err != nil {
			return nil, err
		}
	}
	if p == nil {
		return nil, errs.E(errs.Conflict, "payment.error.busy")
	}
	if p.TransactionID != "" || xbd.Final(p.Status) {
		return p, nil
	}
	return s.ensureTransaction(ctx, ep, p, inserted, true)
}

var errRace = errors.New("payment: concurrent attempt")

func (s *Service) findOrInsert(ctx context.Context, req StartRequest, ch charge) (*Payment, bool, error) {
	var out *Payment
	inserted := false
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		last, err := latest(ctx, tx, req.DraftID)
		if err != nil && !errs.Is(err, errs.NotFound) {
			return err
		}
		attempt := 1
		if last != nil {
			// A new attempt only on request, and only when the last one
			// failed or is for another amount (the answers changed after
			// it was started; if that one is paid after all, the
			// completion refuses it and operators see it).
			changed := last.Open() && last.Amount != ch.Amount
			if !req.Retry || !(last.Failed() || changed) {
				out = last
				return nil
			}
			attempt = last.Attempt + 1
		}
		p, err := s.newPayment(req, ch, attempt)
		if err != nil {
			return err
		}
		items, _ := json.Marshal(p.Lines)
		_, err = tx.ExecContext(ctx, `INSERT INTO payments (`+paymentColumns+`, locked_until)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			p.ID, p.DraftID, p.Attempt, p.RequestID, p.Service, p.TenantID, p.Owner, p.sealedSecret, p.sealedContext, p.Amount, string(items), p.Reference, p.request, "",
			"", "", "", "", "", "", "", "", 0, formatTime(p.NextCheck), "", formatTime(p.Created), formatTime(p.Created), p.CaseID, formatTime(p.Created.Add(creationLease)))
		if err != nil {
			// Most likely the unique (draft, attempt) of a parallel request.
			return fmt.Errorf("%w: %v", errRace, err)
		}
		_, err = s.Audit.Append(ctx, tx, audit.Entry{Actor: actorOf(req.Owner), Action: "payment.started", ObjectType: "payment", ObjectID: p.ID,
			Details: map[string]string{"service": p.Service, "tenant": p.TenantID, "attempt": strconv.Itoa(p.Attempt), "amount_cents": strconv.FormatInt(p.Amount, 10)}})
		out, inserted = p, true
		return err
	})
	return out, inserted, err
}

func actorOf(owner string) string {
	if owner == "" {
		return "anonymous"
	}
	return owner
}

func newID() (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return hex.EncodeToString(b), nil
}

func secretAD(id string) []byte { return []byte("ozgo payment draft secret v1 " + id) }

func contextAD(id string) []byte { return []byte("ozgo payment submit context v1 " + id) }

func (s *Service) newPayment(req StartRequest, ch charge, attempt int) (*Payment, error) {
	id, err := newID()
	if err != nil {
		return nil, err
	}
	now := s.now().UTC()
	ref := ch.Reference
	if ref == "" {
		ref = kassenzeichen(ch.RefPrefix, id)
	}
	p := &Payment{ID: id, DraftID: req.DraftID, CaseID: req.CaseID, Attempt: attempt, RequestID: RequestID(req.DraftID, attempt), Service: req.Service,
		TenantID: req.TenantID, Owner: req.Owner, Amount: ch.Amount, Lines: ch.Fee.Lines,
		Reference: ref, Created: now, Updated: now, NextCheck: now.Add(s.interval)}
	if p.sealedSecret, err = s.Keys.Seal([]byte(req.Secret), secretAD(id)); err != nil {
		return nil, err
	}
	if req.Context == nil {
		req.Context = map[string]string{}
	}
	cb, err := json.Marshal(req.Context)
	if err != nil {
		return nil, err
	}
	if p.sealedContext, err = s.Keys.Seal(cb, contextAD(id)); err != nil {
		return nil, err
	}
	booking := ch.Booking
	r := xbd.PaymentRequest{
		RequestID: p.RequestID, RequestTimestamp: now.Format(time.RFC3339), Currency: "EUR", GrosAmount: xbd.Amount(p.Amount),
		Purpose: xbd.Sanitize(p.Reference, 27, true), Description: xbd.Sanitize(req.ServiceTitle, 250, false),
		RedirectURL: req.ReturnURL(id), Items: ch.Fee.Items(p.Reference, booking),
		Requestor: &xbd.Requestor{ID: "ozgo", Name: "ozgo"},
	}
	if p := r.Validate(); len(p) > 0 {
		return nil, errs.Wrap(errs.Internal, "payment.Start", fmt.Errorf("payment request: %s", strings.Join(p, "; ")), "")
	}
	b, err := json.Marshal(r)
	if err != nil {
		return nil, err
	}
	p.request = string(b)
	return p, nil
}

// ensureTransaction creates the provider's transaction of a row that has
// none yet. Only the holder of the row's lease calls the provider; others
// wait for it a little (wait) or leave it to the reconciliation job. The
// request is the stored one, unchanged, so a provider that keeps requestIds
// recognises a repeat after a crash.
func (s *Service) ensureTransaction(ctx context.Context, ep *EndpointConfig, p *Payment, held, wait bool) (*Payment, error) {
	deadline := s.now().Add(15 * time.Second)
	for !held {
		now := s.now()
		// The inserting request holds the lease already; a takeover needs
		// an expired one.
		res, err := s.DB.ExecContext(ctx, `UPDATE payments SET locked_until = ? WHERE id = ? AND transaction_id = '' AND locked_until <= ?`,
			formatTime(now.Add(creationLease)), p.ID, formatTime(now))
		if err != nil {
			return nil, err
		}
		if n, _ := res.RowsAffected(); n == 1 {
			break
		}
		cur, err := s.Get(ctx, p.ID)
		if err != nil {
			return nil, err
		}
		if cur.TransactionID != "" || !wait || s.now().After(deadline) {
			return cur, nil
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(300 * time.Millisecond):
		}
	}
	var r xbd.PaymentRequest
	if err := json.Unmarshal([]byte(p.request), &r); err != nil {
		return nil, err
	}
	// A browser that gives up must not leave a half-created transaction
	// behind: finish the call on its own clock.
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	t, err := s.Client.Create(cctx, ep.Endpoint, r)
	if err != nil {
		s.checkFailed.Inc()
		_, _ = s.DB.ExecContext(ctx, `UPDATE payments SET locked_until = '', last_error = ?, updated_at = ? WHERE id = ?`, errorCode(err), formatTime(s.now()), p.ID)
		s.Log.Warn("payment: creating the transaction failed", "payment", p.ID, "err", err)
		return nil, errs.Wrap(errs.Unavailable, "payment.Start", err, "payment.error.provider")
	}
	s.created.Inc()
	if err := s.store(ctx, p.ID, t, true); err != nil {
		return nil, err
	}
	return s.Get(ctx, p.ID)
}

// errorCode is a short code of an error for storage, without personal data.
func errorCode(err error) string {
	var se *xbd.StatusError
	switch {
	case errors.As(err, &se):
		return "provider_" + strconv.Itoa(se.Status)
	case errors.Is(err, context.DeadlineExceeded):
		return "timeout"
	}
	return "provider_unreachable"
}

// store writes the provider's view of a transaction.
func (s *Service) store(ctx context.Context, id string, t *xbd.PaymentTransaction, created bool) error {
	pi := t.PaymentInformation
	now := s.now()
	var tat string
	if ts, err := time.Parse(time.RFC3339, pi.TransactionTimestamp); err == nil {
		tat = formatTime(ts)
	}
	q := `UPDATE payments SET status = ?, transaction_url = ?, payment_method = ?, payment_method_detail = ?, transaction_at = ?, last_error = '', updated_at = ?`
	args := []any{pi.Status, pi.TransactionURL, pi.PaymentMethod, pi.PaymentMethodDetail, tat, formatTime(now)}
	if created {
		q += `, transaction_id = ?, pay_url = ?, locked_until = ''`
		args = append(args, pi.TransactionID, pi.TransactionRedirectURL)
	}
	q += ` WHERE id = ?`
	args = append(args, id)
	if !created {
		// A status never goes back from final, whatever a provider says.
		q += ` AND status NOT IN ('PAYED', 'FAILED', 'CANCELED')`
	}
	_, err := s.DB.ExecContext(ctx, q, args...)
	return err
}

// Refresh asks the provider for the status of an open payment, server to
// server: the browser's return is never taken as proof.
func (s *Service) Refresh(ctx context.Context, p *Payment) (*Payment, error) {
	if !p.Open() || p.TransactionID == "" {
		return p, nil
	}
	ep, err := s.Endpoint(ctx, p.TenantID)
	if err != nil {
		return nil, err
	}
	t, err := s.Client.Status(ctx, ep.Endpoint, p.TransactionID)
	if err != nil {
		s.checkFailed.Inc()
		s.Log.Warn("payment: status check failed", "payment", p.ID, "err", err)
		return nil, errs.Wrap(errs.Unavailable, "payment.Refresh", err, "payment.error.provider")
	}
	if t.PaymentInformation.TransactionID != p.TransactionID {
		return nil, errs.Wrap(errs.Unavailable, "payment.Refresh", errors.New("provider answered for another transaction"), "payment.error.provider")
	}
	if err := s.store(ctx, p.ID, t, false); err != nil {
		return nil, err
	}
	np, err := s.Get(ctx, p.ID)
	if err == nil && np.Status != p.Status && xbd.Final(np.Status) {
		_, _ = s.Audit.Record(ctx, audit.Entry{Actor: audit.System, Action: "payment.status", ObjectType: "payment", ObjectID: p.ID,
			Details: map[string]string{"status": np.Status, "transaction": np.TransactionID}})
	}
	return np, err
}

// completeLease bounds how long one process may take to submit.
const completeLease = 2 * time.Minute

// Complete submits the application of a paid payment once: the caller
// that takes the row's lease submits, others get the payment as it is
// (SubmissionID set when the other one finished). by names the caller for
// the metric ("return", "reconcile").
func (s *Service) Complete(ctx context.Context, p *Payment, by string) (*Payment, error) {
	if !p.Paid() || p.SubmissionID != "" || p.SubmitError != "" {
		return p, nil
	}
	now := s.now()
	res, err := s.DB.ExecContext(ctx, `UPDATE payments SET locked_until = ? WHERE id = ? AND status = 'PAYED' AND submission_id = '' AND submit_error = '' AND locked_until <= ?`,
		formatTime(now.Add(completeLease)), p.ID, formatTime(now))
	if err != nil {
		return nil, err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return s.Get(ctx, p.ID)
	}
	return s.completeHeld(ctx, p, by)
}

// completeHeld submits while holding the row's lease.
func (s *Service) completeHeld(ctx context.Context, p *Payment, by string) (*Payment, error) {
	release := func(code string) {
		_, _ = s.DB.ExecContext(context.WithoutCancel(ctx), `UPDATE payments SET locked_until = '', last_error = ?, updated_at = ? WHERE id = ?`, code, formatTime(s.now()), p.ID)
	}
	if s.Submit == nil && p.CaseID == "" {
		release("no_submitter")
		return nil, errs.Wrap(errs.Internal, "payment.Complete", errors.New("no SubmitFunc configured"), "")
	}
	secret, err := s.Keys.Open(p.sealedSecret, secretAD(p.ID))
	if err != nil {
		release("secret")
		return nil, err
	}
	cb, err := s.Keys.Open(p.sealedContext, contextAD(p.ID))
	if err == nil {
		err = json.Unmarshal(cb, &p.Context)
	}
	if err != nil {
		release("context")
		return nil, err
	}
	if p.CaseID != "" {
		// A deferred fee: the application is submitted already; record
		// the payment in the case instead (case.go).
		return s.completeCase(ctx, p, by)
	}
	subID, err := s.Submit(ctx, p, string(secret))
	if err != nil {
		code := errs.CodeOf(err)
		if code == errs.Invalid || code == errs.NotFound {
			// Paid, but the application cannot be submitted any more:
			// visible to operators (ozgo payment list --attention).
			s.submitFailed.Inc()
			s.Log.Error("payment: paid application could not be submitted; an operator must look", "payment", p.ID, "transaction", p.TransactionID, "code", string(code))
			_ = s.DB.InTx(context.WithoutCancel(ctx), func(tx *store.Tx) error {
				if _, err := tx.ExecContext(ctx, `UPDATE payments SET submit_error = ?, locked_until = '', updated_at = ? WHERE id = ?`, string(code), formatTime(s.now()), p.ID); err != nil {
					return err
				}
				_, err := s.Audit.Append(ctx, tx, audit.Entry{Actor: audit.System, Action: "payment.submit_failed", ObjectType: "payment", ObjectID: p.ID, Outcome: audit.Failure,
					Details: map[string]string{"code": string(code), "transaction": p.TransactionID}})
				return err
			})
			return s.Get(ctx, p.ID)
		}
		release("submit")
		return nil, err
	}
	err = s.DB.InTx(context.WithoutCancel(ctx), func(tx *store.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE payments SET submission_id = ?, locked_until = '', last_error = '', updated_at = ? WHERE id = ?`, subID, formatTime(s.now()), p.ID); err != nil {
			return err
		}
		_, err := s.Audit.Append(ctx, tx, audit.Entry{Actor: audit.System, Action: "payment.submitted", ObjectType: "payment", ObjectID: p.ID,
			Details: map[string]string{"submission": subID, "transaction": p.TransactionID, "by": by}})
		return err
	})
	if err != nil {
		return nil, err
	}
	s.completed.WithLabelValues(by).Inc()
	if s.OnPaid != nil {
		s.OnPaid(ctx, p)
	}
	return s.Get(ctx, p.ID)
}

// SecretMatches reports whether secret is the token of the payment's
// draft: the browser that returns from the provider must hold it, even
// after the draft became a submission.
func (s *Service) SecretMatches(p *Payment, secret string) bool {
	if secret == "" {
		return false
	}
	plain, err := s.Keys.Open(p.sealedSecret, secretAD(p.ID))
	return err == nil && subtle.ConstantTimeCompare(plain, []byte(secret)) == 1
}
