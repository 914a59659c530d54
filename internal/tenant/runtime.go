package tenant

// What the form runtime takes from activations (routing, login level,
// contact) and what the completeness check takes from the form runtime and
// the payment settings (evidence, fee, payment).

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/ozgo/ozgo/internal/errs"
	"github.com/ozgo/ozgo/internal/identity"
	"github.com/ozgo/ozgo/internal/onlinedienst"
)

// RoutingActivation is onlinedienst.ActivationLookup: the activation of
// slug in the Gemeinde ars (nil when there is none) and whether slug has
// any activation at all, live or not. A service someone switched on
// anywhere is routed by activations only (see onlinedienst/routing.go).
func (s *Service) RoutingActivation(ctx context.Context, slug, ars string) (*onlinedienst.Activation, bool, error) {
	var n int
	if err := s.DB.QueryRowContext(ctx, `SELECT COUNT(*) FROM activations WHERE slug = ?`, slug).Scan(&n); err != nil {
		return nil, false, fmt.Errorf("tenant: activations of %s: %w", slug, err)
	}
	if n == 0 {
		return nil, false, nil
	}
	a, err := s.Activation(ctx, slug, ars)
	if errs.Is(err, errs.NotFound) {
		return nil, true, nil
	}
	if err != nil {
		return nil, true, err
	}
	return &onlinedienst.Activation{TenantID: a.TenantID, Authority: a.Authority, Delivery: a.Delivery, DestinationID: a.DestinationID,
		ContactEmail: a.ContactEmail, ContactPhone: a.ContactPhone, ProcessingDays: a.ProcessingDays, OpeningHoursURL: a.OpeningHoursURL,
		TrustLevel: a.TrustLevel, Live: a.Live}, true, nil
}

// Workspaces are the tenants' built-in clerk workspaces (internal/inbox,
// wired by the app): activations with delivery "eingang" need one that
// takes applications of the Leistung.
type Workspaces interface {
	// Offers reports whether the tenant's workspace takes applications of
	// the Leistung leika.
	Offers(ctx context.Context, tenantID, leika string) (bool, error)
	// Prepare makes the tenant's workspace take applications of version
	// v: it sets the workspace up when the tenant has none (which needs
	// the tenant key of the actor's session) and adds the Leistung. a is
	// the activation that asks for it (its contact details).
	Prepare(ctx context.Context, actor *identity.Actor, tenantID string, v *Version, a *Activation) error
}

// inboxReady reports whether the built-in inbox takes the applications
// of v in the tenant's workspace; without workspaces wired (tests of the
// tenant domain alone) an inbox counts as ready.
func (s *Service) inboxReady(ctx context.Context, tenantID string, v *Version) (bool, error) {
	if s.Inbox == nil || len(v.LeiKa) == 0 {
		return s.Inbox == nil, nil
	}
	return s.Inbox.Offers(ctx, tenantID, v.LeiKa[0])
}

// prepareInbox readies the workspace of the tenant for the activations
// in acts that deliver to it; a locked tenant key is a line error.
func (s *Service) prepareInbox(ctx context.Context, actor *identity.Actor, tenantID string, v *Version, acts []*Activation) ([]LineError, error) {
	if s.Inbox == nil {
		return nil, nil
	}
	for _, a := range acts {
		if a.Delivery != DeliveryInbox {
			continue
		}
		err := s.Inbox.Prepare(ctx, actor, tenantID, v, a)
		var e *errs.Error
		switch {
		case err == nil:
			return nil, nil // one workspace per tenant: done
		case errors.As(err, &e) && e.Message == "inbox.locked":
			return []LineError{{Err: errs.FieldError("zustellung", "tenant.error.inbox_locked")}}, nil
		case errs.Is(err, errs.Invalid):
			return []LineError{{Err: errs.FieldError("zustellung", "tenant.error.inbox_setup", errs.MessageOf(err))}}, nil
		default:
			return nil, err
		}
	}
	return nil, nil
}

// FeeStatus is the fee and payment of an online service for a tenant as
// the payment settings define them (internal/payment).
type FeeStatus struct {
	// Rule: a fee rule exists for (service, tenant) or as the service's
	// default (tenant ""); Own: the rule is the tenant's own.
	Rule, Own bool
	// Paid: the fee is paid in the online service (before or after
	// submission), so a payment provider is needed.
	Paid bool
	// Endpoint: the tenant (or the platform by default) has an
	// XBezahldienste provider.
	Endpoint bool
}

// PaymentOK reports whether applications can be paid as configured: no
// payment in the online service, or a provider to pay with.
func (f FeeStatus) PaymentOK() bool { return !f.Paid || f.Endpoint }

// FeeSettings reads the payment settings (internal/payment, wired by the
// app; the tenant domain does not depend on the payment package).
type FeeSettings interface {
	FeeStatus(ctx context.Context, service, tenant string) (FeeStatus, error)
}

// Fees reads the fee status of slug for the tenant. Without payment
// settings (tests of the tenant domain alone) there is neither a rule nor
// a provider.
func (s *Service) Fees(ctx context.Context, slug, tenantID string) (FeeStatus, error) {
	if s.Payment == nil {
		return FeeStatus{}, nil
	}
	return s.Payment.FeeStatus(ctx, slug, tenantID)
}

// checkFees is the completeness check of the parameters "gebuehr" and
// "zahlung": met by the payment settings, not by the activation's input.
func (s *Service) checkFees(ctx context.Context, v *Version, tenantID string) ([]*errs.Error, error) {
	if !v.Requires(ParamFee) && !v.Requires(ParamPayment) {
		return nil, nil
	}
	st, err := s.Fees(ctx, v.Slug, tenantID)
	if err != nil {
		return nil, err
	}
	var out []*errs.Error
	if v.Requires(ParamFee) && !st.Rule {
		out = append(out, errs.FieldError("gebuehr", "tenant.error.fee_missing"))
	}
	if v.Requires(ParamPayment) && !st.PaymentOK() {
		out = append(out, errs.FieldError("zahlung", "tenant.error.payment_missing"))
	}
	return out, nil
}

// evidenceCache keeps the computed evidence criterion per form version
// (form versions are immutable).
type evidenceCache struct {
	mu   sync.Mutex
	byID map[string]bool
	reg  *onlinedienst.Registry
}

// EvidenceUploadable computes the Reifegrad criterion "all evidence can be
// uploaded" from the FIM form of version v (form.Model.Evidence).
func (s *Service) EvidenceUploadable(ctx context.Context, v *Version) (bool, error) {
	s.evOnce.Do(func() {
		s.ev = &evidenceCache{byID: map[string]bool{}, reg: s.Models}
		if s.ev.reg == nil {
			s.ev.reg = onlinedienst.NewRegistry(s.DB)
		}
	})
	key := v.FormID + " " + v.FormVersion
	s.ev.mu.Lock()
	ok, have := s.ev.byID[key]
	s.ev.mu.Unlock()
	if have {
		return ok, nil
	}
	m, err := s.ev.reg.Model(ctx, v.FormID, v.FormVersion)
	if err != nil {
		return false, err
	}
	ok = m.Evidence().AllUploadable()
	s.ev.mu.Lock()
	s.ev.byID[key] = ok
	s.ev.mu.Unlock()
	return ok, nil
}

// EvidenceDetails lists what the form asks for, for the version page.
func (s *Service) EvidenceDetails(ctx context.Context, v *Version) (uploads, blocked, paper string, err error) {
	reg := s.Models
	if reg == nil {
		reg = onlinedienst.NewRegistry(s.DB)
	}
	m, err := reg.Model(ctx, v.FormID, v.FormVersion)
	if err != nil {
		return "", "", "", err
	}
	e := m.Evidence()
	return strings.Join(e.Uploads, ", "), strings.Join(e.Blocked, ", "), strings.Join(e.Paper, ", "), nil
}
