package payment

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"time"

	"github.com/ozgo/ozgo/internal/errs"
	"github.com/ozgo/ozgo/internal/payment/xbd"
	"github.com/ozgo/ozgo/internal/store"
)

// timeFormat is how times are stored: fixed width, so they compare as text.
const timeFormat = "2006-01-02T15:04:05.000000000Z"

func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(timeFormat)
}

func parseTime(s string) time.Time {
	t, _ := time.Parse(timeFormat, s)
	return t
}

// Config is the fee and payment setting of an online service for a tenant.
type Config struct {
	Service  string
	TenantID string // "" is the default for all tenants
	Mode     Mode
	Rule     Rule
	// LegalBasis is shown to the applicant with the fee ("§ 45 Nr. 2
	// Buchst. b AufenthV").
	LegalBasis string
	// BookingData is the budget data (Haushaltsstelle, Objektnummer, ...)
	// sent with every item as bookingData.
	BookingData map[string]string
	// RefPrefix starts the Kassenzeichen ozgo derives for each payment
	// (transactionReference); letters, digits and "-".
	RefPrefix string
}

// EndpointConfig is a tenant's XBezahldienste provider.
type EndpointConfig struct {
	TenantID string // "" is the platform's default provider
	xbd.Endpoint
}

// SetConfig stores a fee setting, replacing the one for (service, tenant).
func (s *Service) SetConfig(ctx context.Context, c Config) error {
	if !c.Mode.Valid() {
		return errs.E(errs.Invalid, "Unbekannte Zahlungsart "+string(c.Mode))
	}
	if err := c.Rule.Check(); err != nil {
		return err
	}
	if c.RefPrefix != "" && (!xbd.ValidID(c.RefPrefix) || len(c.RefPrefix) > 12) {
		return errs.E(errs.Invalid, "Präfix des Kassenzeichens: bis 12 Zeichen aus Buchstaben, Ziffern und -")
	}
	rule, err := json.Marshal(c.Rule)
	if err != nil {
		return err
	}
	if c.BookingData == nil {
		c.BookingData = map[string]string{}
	}
	booking, err := json.Marshal(c.BookingData)
	if err != nil {
		return err
	}
	return s.DB.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM payment_fees WHERE service = ? AND tenant_id = ?`, c.Service, c.TenantID); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO payment_fees (service, tenant_id, mode, rule, legal_basis, booking_data, ref_prefix, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, c.Service, c.TenantID, string(c.Mode), string(rule), c.LegalBasis, string(booking), c.RefPrefix, formatTime(s.now()))
		return err
	})
}

// Config returns the fee setting of a service for a tenant, falling back
// to the service's default (tenant ""). A service without one is free:
// ModeNone.
func (s *Service) Config(ctx context.Context, service, tenant string) (*Config, error) {
	rows, err := s.DB.QueryContext(ctx, `SELECT tenant_id, mode, rule, legal_basis, booking_data, ref_prefix FROM payment_fees
		WHERE service = ? AND (tenant_id = ? OR tenant_id = '') ORDER BY tenant_id DESC`, service, tenant)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	c := &Config{Service: service, TenantID: tenant, Mode: ModeNone, Rule: Rule{Kind: RuleNone}}
	if !rows.Next() {
		return c, rows.Err()
	}
	var mode, rule, booking string
	if err := rows.Scan(&c.TenantID, &mode, &rule, &c.LegalBasis, &booking, &c.RefPrefix); err != nil {
		return nil, err
	}
	c.Mode = Mode(mode)
	if err := json.Unmarshal([]byte(rule), &c.Rule); err != nil {
		return nil, fmt.Errorf("payment: fee rule of %s/%s: %w", service, c.TenantID, err)
	}
	if err := json.Unmarshal([]byte(booking), &c.BookingData); err != nil {
		return nil, fmt.Errorf("payment: booking data of %s/%s: %w", service, c.TenantID, err)
	}
	return c, nil
}

func endpointAD(tenant string) []byte { return []byte("ozgo payment endpoint v1 " + tenant) }

// SetEndpoint stores a tenant's provider; the client secret is sealed.
func (s *Service) SetEndpoint(ctx context.Context, e EndpointConfig) error {
	if e.TokenURL == "" || e.APIURL == "" || e.ClientID == "" {
		return errs.E(errs.Invalid, "Token-URL, API-URL und Client-ID sind nötig")
	}
	if !xbd.ValidID(e.OriginatorID) || !xbd.ValidID(e.EndpointID) {
		return errs.E(errs.Invalid, "originatorId und endPointId: 1 bis 36 Zeichen aus Buchstaben, Ziffern und -")
	}
	sealed, err := s.Keys.Seal([]byte(e.ClientSecret), endpointAD(e.TenantID))
	if err != nil {
		return err
	}
	return s.DB.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM payment_endpoints WHERE tenant_id = ?`, e.TenantID); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO payment_endpoints (tenant_id, token_url, api_url, client_id, client_secret, originator_id, endpoint_id, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, e.TenantID, e.TokenURL, e.APIURL, e.ClientID, sealed, e.OriginatorID, e.EndpointID, formatTime(s.now()))
		return err
	})
}

// Endpoint returns the provider of a tenant, or the platform's default.
func (s *Service) Endpoint(ctx context.Context, tenant string) (*EndpointConfig, error) {
	var e EndpointConfig
	var sealed []byte
	err := s.DB.QueryRowContext(ctx, `SELECT tenant_id, token_url, api_url, client_id, client_secret, originator_id, endpoint_id
		FROM payment_endpoints WHERE tenant_id = ? OR tenant_id = '' ORDER BY tenant_id DESC LIMIT 1`, tenant).
		Scan(&e.TenantID, &e.TokenURL, &e.APIURL, &e.ClientID, &sealed, &e.OriginatorID, &e.EndpointID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errs.K(errs.Unavailable, "payment.error.no_endpoint")
	}
	if err != nil {
		return nil, err
	}
	secret, err := s.Keys.Open(sealed, endpointAD(e.TenantID))
	if err != nil {
		return nil, fmt.Errorf("payment: open client secret of %q: %w", e.TenantID, err)
	}
	e.ClientSecret = string(secret)
	return &e, nil
}

// Payment is one attempt to pay for a draft.
type Payment struct {
	ID      string
	DraftID string // the draft, or "case:" + CaseID for a case-bound payment
	// CaseID is the case (submission) whose Zahlungsaufforderung this
	// attempt pays; "" for the payment of a draft before submission.
	CaseID         string
	Attempt        int
	RequestID      string
	Service        string
	TenantID       string
	Owner          string
	Amount         int64
	Lines          []Line
	Reference      string // transactionReference (Kassenzeichen)
	Status         string // "" until the provider answered; then xbd.Status*
	TransactionID  string
	TransactionURL string
	PayURL         string // where the browser pays
	Method         string
	MethodDetail   string
	TransactionAt  time.Time
	SubmissionID   string
	// Context is what the web layer handed to Start for the submission
	// (see StartRequest.Context); filled only for the SubmitFunc.
	Context       map[string]string
	SubmitError   string
	Checks        int
	NextCheck     time.Time
	LastError     string
	Created       time.Time
	Updated       time.Time
	sealedSecret  []byte
	sealedContext []byte
	request       string
}

// Open reports whether the transaction may still change.
func (p *Payment) Open() bool { return !xbd.Final(p.Status) }

// Paid reports whether the provider booked the payment.
func (p *Payment) Paid() bool { return p.Status == xbd.StatusPayed }

// Failed reports whether the payment failed or was cancelled.
func (p *Payment) Failed() bool {
	return p.Status == xbd.StatusFailed || p.Status == xbd.StatusCanceled
}

const paymentColumns = `id, draft_id, attempt, request_id, service, tenant_id, owner, draft_secret, submit_context, amount_cents, items, reference, request, status,
	transaction_id, transaction_url, pay_url, payment_method, payment_method_detail, transaction_at, submission_id, submit_error,
	checks, next_check_at, last_error, created_at, updated_at, case_id`

func scanPayment(row interface{ Scan(...any) error }) (*Payment, error) {
	var p Payment
	var items, tat, next, created, updated string
	err := row.Scan(&p.ID, &p.DraftID, &p.Attempt, &p.RequestID, &p.Service, &p.TenantID, &p.Owner, &p.sealedSecret, &p.sealedContext, &p.Amount, &items, &p.Reference, &p.request, &p.Status,
		&p.TransactionID, &p.TransactionURL, &p.PayURL, &p.Method, &p.MethodDetail, &tat, &p.SubmissionID, &p.SubmitError,
		&p.Checks, &next, &p.LastError, &created, &updated, &p.CaseID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errs.E(errs.NotFound, "")
	}
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(items), &p.Lines); err != nil {
		return nil, fmt.Errorf("payment %s: items: %w", p.ID, err)
	}
	p.TransactionAt, p.NextCheck, p.Created, p.Updated = parseTime(tat), parseTime(next), parseTime(created), parseTime(updated)
	return &p, nil
}

// Get loads a payment by its id.
func (s *Service) Get(ctx context.Context, id string) (*Payment, error) {
	return scanPayment(s.DB.QueryRowContext(ctx, `SELECT `+paymentColumns+` FROM payments WHERE id = ?`, id))
}

// Latest is the newest attempt for a draft; NotFound if none.
func (s *Service) Latest(ctx context.Context, draftID string) (*Payment, error) {
	return latest(ctx, s.DB, draftID)
}

func latest(ctx context.Context, q store.Querier, draftID string) (*Payment, error) {
	return scanPayment(q.QueryRowContext(ctx, `SELECT `+paymentColumns+` FROM payments WHERE draft_id = ? ORDER BY attempt DESC LIMIT 1`, draftID))
}

// BySubmission is the payment an application was submitted with;
// NotFound if none. A deferred fee paid later (CaseRequest) is not one.
func (s *Service) BySubmission(ctx context.Context, submissionID string) (*Payment, error) {
	if submissionID == "" {
		return nil, errs.E(errs.NotFound, "")
	}
	return scanPayment(s.DB.QueryRowContext(ctx, `SELECT `+paymentColumns+` FROM payments WHERE submission_id = ? AND case_id = '' ORDER BY attempt DESC LIMIT 1`, submissionID))
}

// Filter selects payments for operators.
type Filter string

// Filters.
const (
	FilterAll       Filter = ""
	FilterOpen      Filter = "open"      // the provider has not decided yet
	FilterAttention Filter = "attention" // paid, but the application could not be submitted
)

// List returns payments for operators, newest first, at most limit.
func (s *Service) List(ctx context.Context, f Filter, limit int) ([]*Payment, error) {
	where := ``
	switch f {
	case FilterOpen:
		where = ` WHERE status IN ('', 'INITIAL')`
	case FilterAttention:
		where = ` WHERE status = 'PAYED' AND submission_id = '' AND submit_error <> ''`
	}
	rows, err := s.DB.QueryContext(ctx, `SELECT `+paymentColumns+` FROM payments`+where+` ORDER BY created_at DESC, id LIMIT ?`, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*Payment
	for rows.Next() {
		p, err := scanPayment(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// ProviderOrigins are the origins (scheme://host) of a tenant's provider
// that the fee page's forms may hand over to (the page's CSP form-action
// must allow the redirect to the payment page): those of the API and token
// URLs and of payURL, the payment page of an earlier attempt, if given.
// A provider whose payment pages live on yet another host is reached once
// its first transaction named it.
func (s *Service) ProviderOrigins(ctx context.Context, tenant, payURL string) []string {
	var out []string
	add := func(raw string) {
		u, err := url.Parse(raw)
		if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
			return
		}
		o := u.Scheme + "://" + u.Host
		if !slices.Contains(out, o) {
			out = append(out, o)
		}
	}
	if e, err := s.Endpoint(ctx, tenant); err == nil {
		add(e.APIURL)
		add(e.TokenURL)
	}
	add(payURL)
	return out
}

// FeeState is what the completeness check of activations (internal/tenant)
// asks of the payment settings of an online service for a tenant.
type FeeState struct {
	// Rule: a fee rule exists for (service, tenant) or as the service's
	// default (tenant ""); Own: it is the tenant's own.
	Rule, Own bool
	// Mode is how the fee is paid (ModeNone without a rule).
	Mode Mode
	// Endpoint: the tenant (or the platform by default) has a provider.
	Endpoint bool
}

// FeeState reads the fee state of service for tenant.
func (s *Service) FeeState(ctx context.Context, service, tenant string) (FeeState, error) {
	var st FeeState
	rows, err := s.DB.QueryContext(ctx, `SELECT tenant_id FROM payment_fees WHERE service = ? AND (tenant_id = ? OR tenant_id = '')`, service, tenant)
	if err != nil {
		return st, fmt.Errorf("payment: fee rules of %s: %w", service, err)
	}
	for rows.Next() {
		var t string
		if err := rows.Scan(&t); err != nil {
			rows.Close()
			return st, err
		}
		st.Rule = true
		st.Own = st.Own || t == tenant && t != ""
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return st, err
	}
	c, err := s.Config(ctx, service, tenant)
	if err != nil {
		return st, err
	}
	st.Mode = c.Mode
	if st.Endpoint, err = s.HasEndpoint(ctx, tenant); err != nil {
		return st, err
	}
	return st, nil
}

// HasEndpoint reports whether payments of the tenant can be made: the
// tenant has an XBezahldienste provider, or the platform's default one
// (tenant "") applies, as Endpoint falls back to it. Read-only; for the
// completeness check of activations (internal/tenant).
func (s *Service) HasEndpoint(ctx context.Context, tenant string) (bool, error) {
	var n int
	if err := s.DB.QueryRowContext(ctx, `SELECT COUNT(*) FROM payment_endpoints WHERE tenant_id = ? OR tenant_id = ''`, tenant).Scan(&n); err != nil {
		return false, fmt.Errorf("payment: endpoint of %q: %w", tenant, err)
	}
	return n > 0, nil
}
