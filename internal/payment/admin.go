package payment

// Administration of fees and providers by staff (the pages under
// /verwaltung/zahlung): the tenant admin sets the fee rules of the
// tenant's online services and the tenant's XBezahldienste provider; the
// platform operator the defaults (tenant ""). Every change is audited; the
// client secret is write-only.

import (
	"context"
	"database/sql"
	"errors"
	"net/url"
	"strconv"

	"github.com/ozgo/ozgo/internal/audit"
	"github.com/ozgo/ozgo/internal/errs"
	"github.com/ozgo/ozgo/internal/identity"
	"github.com/ozgo/ozgo/internal/payment/xbd"
)

// AuthorizeManage checks that a may manage the payment settings of tenant:
// its tenant admin, or the platform operator for the defaults ("").
func AuthorizeManage(a *identity.Actor, tenant string) error {
	o := identity.Object{Type: "payment_settings", TenantID: tenant}
	if tenant == "" {
		o.Type, o.Platform = "tenant", true
	}
	return identity.Authorize(a, identity.ActionManage, o)
}

// OwnConfig is the fee setting stored for exactly (service, tenant), nil
// when the tenant has none of its own (the default then applies).
func (s *Service) OwnConfig(ctx context.Context, a *identity.Actor, service, tenant string) (*Config, error) {
	if err := AuthorizeManage(a, tenant); err != nil {
		return nil, err
	}
	c, err := s.Config(ctx, service, tenant)
	if err != nil {
		return nil, err
	}
	var n int
	if err := s.DB.QueryRowContext(ctx, `SELECT COUNT(*) FROM payment_fees WHERE service = ? AND tenant_id = ?`, service, tenant).Scan(&n); err != nil {
		return nil, err
	}
	if n == 0 {
		return nil, nil
	}
	return c, nil
}

// SetConfigAs is SetConfig for a staff member, audited.
func (s *Service) SetConfigAs(ctx context.Context, a *identity.Actor, c Config) error {
	if err := AuthorizeManage(a, c.TenantID); err != nil {
		return err
	}
	if err := s.SetConfig(ctx, c); err != nil {
		return err
	}
	_, err := s.Audit.Record(ctx, audit.Entry{Actor: a.ID(), Action: "payment.fee_set", ObjectType: "online_service", ObjectID: c.Service, Tenant: c.TenantID, Outcome: audit.Success,
		Details: map[string]string{"mode": string(c.Mode), "rule": c.Rule.Kind, "amount_cents": strconv.FormatInt(c.Rule.Amount, 10)}})
	return err
}

// EndpointInfo is a tenant's own provider as the admin page shows it:
// without the secret.
type EndpointInfo struct {
	TenantID, TokenURL, APIURL, ClientID, OriginatorID, EndpointID string
	HasSecret                                                      bool
}

// OwnEndpoint is the provider stored for exactly tenant, nil if none.
func (s *Service) OwnEndpoint(ctx context.Context, a *identity.Actor, tenant string) (*EndpointInfo, error) {
	if err := AuthorizeManage(a, tenant); err != nil {
		return nil, err
	}
	e := &EndpointInfo{TenantID: tenant}
	var sealed []byte
	err := s.DB.QueryRowContext(ctx, `SELECT token_url, api_url, client_id, client_secret, originator_id, endpoint_id FROM payment_endpoints WHERE tenant_id = ?`, tenant).
		Scan(&e.TokenURL, &e.APIURL, &e.ClientID, &sealed, &e.OriginatorID, &e.EndpointID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	e.HasSecret = len(sealed) > 0
	return e, nil
}

// checkURL accepts absolute http(s) URLs only.
func checkURL(field, raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return errs.FieldError(field, "payment.error.url")
	}
	return nil
}

// withSecret completes e with the stored secret of its tenant when the
// form left the (write-only) secret field empty.
func (s *Service) withSecret(ctx context.Context, e EndpointConfig) (EndpointConfig, error) {
	if e.ClientSecret != "" {
		return e, nil
	}
	var sealed []byte
	err := s.DB.QueryRowContext(ctx, `SELECT client_secret FROM payment_endpoints WHERE tenant_id = ?`, e.TenantID).Scan(&sealed)
	if errors.Is(err, sql.ErrNoRows) {
		return e, errs.FieldError("client_secret", "payment.error.secret_missing")
	}
	if err != nil {
		return e, err
	}
	plain, err := s.Keys.Open(sealed, endpointAD(e.TenantID))
	if err != nil {
		return e, err
	}
	e.ClientSecret = string(plain)
	return e, nil
}

// CheckEndpoint validates an endpoint as the admin entered it, field by
// field (errs.FieldError), so the page can mark the field.
func CheckEndpoint(e EndpointConfig) error {
	if err := checkURL("token_url", e.TokenURL); err != nil {
		return err
	}
	if err := checkURL("api_url", e.APIURL); err != nil {
		return err
	}
	if e.ClientID == "" {
		return errs.FieldError("client_id", "payment.error.client_id")
	}
	if !xbd.ValidID(e.OriginatorID) {
		return errs.FieldError("originator_id", "payment.error.xbd_id")
	}
	if !xbd.ValidID(e.EndpointID) {
		return errs.FieldError("endpoint_id", "payment.error.xbd_id")
	}
	return nil
}

// SetEndpointAs stores a tenant's provider for a staff member, audited.
// An empty secret keeps the stored one.
func (s *Service) SetEndpointAs(ctx context.Context, a *identity.Actor, e EndpointConfig) error {
	if err := AuthorizeManage(a, e.TenantID); err != nil {
		return err
	}
	if err := CheckEndpoint(e); err != nil {
		return err
	}
	e, err := s.withSecret(ctx, e)
	if err != nil {
		return err
	}
	if err := s.SetEndpoint(ctx, e); err != nil {
		return err
	}
	_, err = s.Audit.Record(ctx, audit.Entry{Actor: a.ID(), Action: "payment.endpoint_set", ObjectType: "payment_endpoint", ObjectID: e.TenantID, Tenant: e.TenantID, Outcome: audit.Success,
		Details: map[string]string{"token_url": e.TokenURL, "api_url": e.APIURL, "client_id": e.ClientID, "originator_id": e.OriginatorID, "endpoint_id": e.EndpointID}})
	return err
}

// TestEndpoint asks the provider for an OAuth2 access token (client
// credentials) with the entered settings, the stored secret if none was
// entered, and reports the result as an audited test. The token is
// fetched afresh, never from the cache, and discarded.
func (s *Service) TestEndpoint(ctx context.Context, a *identity.Actor, e EndpointConfig) error {
	if err := AuthorizeManage(a, e.TenantID); err != nil {
		return err
	}
	if err := CheckEndpoint(e); err != nil {
		return err
	}
	e, err := s.withSecret(ctx, e)
	if err != nil {
		return err
	}
	c := xbd.NewClient()
	if s.Client != nil && s.Client.HTTP != nil {
		c.HTTP = s.Client.HTTP
	}
	_, terr := c.Token(ctx, e.Endpoint)
	outcome, detail := audit.Success, "ok"
	if terr != nil {
		outcome, detail = audit.Failure, errorCode(terr)
	}
	_, _ = s.Audit.Record(ctx, audit.Entry{Actor: a.ID(), Action: "payment.endpoint_tested", ObjectType: "payment_endpoint", ObjectID: e.TenantID, Tenant: e.TenantID, Outcome: outcome,
		Details: map[string]string{"token_url": e.TokenURL, "result": detail}})
	if terr != nil {
		var se *xbd.StatusError
		if errors.As(terr, &se) && (se.Status == 400 || se.Status == 401 || se.Status == 403) {
			return errs.Wrap(errs.Unavailable, "payment.TestEndpoint", terr, "payment.test.refused")
		}
		return errs.Wrap(errs.Unavailable, "payment.TestEndpoint", terr, "payment.test.unreachable")
	}
	return nil
}
