package web

// The fee and payment of an activation as the citizen will see them. They
// are not typed into the activation form: they are the payment settings
// of (online service, tenant) in internal/payment, which the application
// uses; the activation page shows them and links to where they are set.

import (
	"context"
	"strings"

	"github.com/ozgo/ozgo/internal/payment"
	"github.com/ozgo/ozgo/internal/payment/xbd"
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
	case mode == payment.ModeNone || cfg.Rule.Kind == payment.RuleNone:
		v.Text = u.t("activation.fee.free")
	default:
		v.Text = feeText(u, cfg.Rule)
	}
	return v, nil
}

// feeText describes a fee rule the way the payment page will compute it.
func feeText(u *UI, r payment.Rule) string {
	eur := func(c int64) string { return xbd.Amount(c).German() }
	var s string
	switch r.Kind {
	case payment.RuleFixed:
		s = eur(r.Amount)
	case payment.RulePer:
		s = u.t("activation.fee.per", eur(r.Amount))
		if r.Base > 0 {
			s = eur(r.Base) + " + " + s
		}
	case payment.RuleTable:
		lo, hi := int64(-1), int64(0)
		for _, c := range r.Table {
			if lo < 0 || c < lo {
				lo = c
			}
			hi = max(hi, c)
		}
		if !r.NoDefault {
			if lo < 0 || r.Default < lo {
				lo = r.Default
			}
			hi = max(hi, r.Default)
		}
		if lo == hi {
			s = eur(lo)
		} else {
			s = u.t("activation.fee.range", eur(max(lo, 0)), eur(hi))
		}
	default:
		return u.t("activation.fee.free")
	}
	var bounds []string
	if r.Min > 0 {
		bounds = append(bounds, u.t("activation.fee.min", eur(r.Min)))
	}
	if r.Max > 0 {
		bounds = append(bounds, u.t("activation.fee.max", eur(r.Max)))
	}
	if len(bounds) > 0 {
		s += " (" + strings.Join(bounds, ", ") + ")"
	}
	if r.Label != "" {
		s = r.Label + ": " + s
	}
	return s
}
