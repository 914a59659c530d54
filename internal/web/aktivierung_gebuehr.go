package web

// The fee and payment of an activation as the citizen will see them. They
// are not typed into the activation form: they are the payment settings
// of (online service, tenant) in internal/payment, which the application
// uses; the activation page shows them and links to where they are set.

import (
	"context"

	"github.com/ozgo/ozgo/internal/payment"
)

// feeConfigURL is where tenant admins set fee rules and the payment
// provider (the fee administration pages).
const feeConfigURL = "/verwaltung/zahlung"

// feeView is the fee box of the activation page.
type feeView struct {
	Text       string // the fee as the applicant sees it, "keine Gebühr" …
	Mode       string // how it is paid
	LegalBasis string
	Rule       bool // a fee rule exists (the tenant's or the default)
	Own        bool // the rule is the tenant's own
	Endpoint   bool // a payment provider is configured
	PaymentOK  bool
	ConfigURL  string
}

func (u *UI) feeView(ctx context.Context, slug, tenantID string) (*feeView, error) {
	st, err := u.Tenants.Fees(ctx, slug, tenantID)
	if err != nil {
		return nil, err
	}
	v := &feeView{Rule: st.Rule, Own: st.Own, Endpoint: st.Endpoint, PaymentOK: st.PaymentOK(), ConfigURL: feeConfigURL}
	mode := payment.ModeNone
	var cfg *payment.Config
	if st.Rule && u.Payment != nil {
		if cfg, err = u.Payment.Config(ctx, slug, tenantID); err != nil {
			return nil, err
		}
		mode = cfg.Mode
		v.LegalBasis = cfg.LegalBasis
	}
	v.Mode = u.t("activation.fee.mode." + string(mode))
	switch {
	case !st.Rule:
		v.Text = u.t("activation.fee.no_rule")
	default:
		amount, ok := u.feeAmount(cfg.Rule)
		if !ok || mode == payment.ModeNone {
			amount = u.t("activation.fee.free")
		}
		v.Text = amount
	}
	return v, nil
}
