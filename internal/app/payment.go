package app

import (
	"context"
	"strings"

	"github.com/ozgo/ozgo/internal/config"
	"github.com/ozgo/ozgo/internal/payment"
	"github.com/ozgo/ozgo/internal/payment/xbd"
	"github.com/ozgo/ozgo/internal/tenant"
	"github.com/ozgo/ozgo/internal/web"
)

// openPayment builds the payment service: fees, the XBezahldienste flow
// and the reconciliation job (a.Payment.Run).
func (a *App) openPayment() error {
	opt, err := payment.OptionsFromEnv(config.Getenv)
	if err != nil {
		return err
	}
	opt.Registerer, opt.Log = a.Registry, a.Log
	a.Payment = payment.New(a.DB, a.Keys, a.Audit, opt)
	a.Payment.Submit = payment.AntragSubmitter(a.Payment, a.Antraege, nil)
	a.Payment.Postfach = a.Postfach // Zahlungsaufforderungen of deferred fees
	a.Payment.CaseGemeinde = func(ctx context.Context, caseID string) string {
		_, ars, _, err := a.Antraege.Delivery.CaseOrigin(ctx, a.DB, caseID)
		if err != nil {
			a.Log.Warn("payment: Gemeinde of the case unknown", "case", caseID, "err", err)
		}
		return ars
	}
	a.Payment.OnPaid = func(ctx context.Context, p *payment.Payment) {
		// Counts only, per month, service and Gemeinde.
		if err := a.Tenants.Count(ctx, p.Service, p.Context["ars"], tenant.StatPaid); err != nil {
			a.Log.Warn("payment: statistics not counted", "err", err)
		}
	}
	return nil
}

// wirePayment gives the pages the payment flow and the payment service the
// pages' way to rebuild a submission's options (the receipt PDF's answers)
// when the reconciliation job submits without a request.
func (a *App) wirePayment(ui *web.UI) {
	ui.Payment = a.Payment
	a.Payment.Submit = payment.AntragSubmitter(a.Payment, a.Antraege, ui.PaymentSubmitOptions)
}

// DemoPaymentService is the demo online service that costs a fee.
const DemoPaymentService = "blaue-karte-eu-verlaengern"

// DemoDeferredService is the demo online service whose fee is requested
// after the Bescheid (mode deferred).
const DemoDeferredService = "blaue-karte-eu"

// SetupDemoPayment configures the demo's fee and provider: the built-in
// payment simulator at paysimURL (ozgo paysim) as the platform's default
// provider, and the fee of "Blaue Karte EU verlängern", 93 euro under
// § 45 Nr. 2 Buchst. b AufenthV (extension for more than three months; see
// https://www.gesetze-im-internet.de/aufenthv/__45.html), paid before the
// application is submitted. It runs at every demo start because the
// simulator's port may change.
func (a *App) SetupDemoPayment(ctx context.Context, paysimURL, secret string) error {
	base := strings.TrimSuffix(paysimURL, "/")
	if err := a.Payment.SetEndpoint(ctx, payment.EndpointConfig{TenantID: "", Endpoint: xbd.Endpoint{
		TokenURL: base + "/oauth/token", APIURL: base + "/xbezahldienste/v1",
		ClientID: "ozgo-demo", ClientSecret: secret, OriginatorID: "ozgo-demo", EndpointID: "08416041",
	}}); err != nil {
		return err
	}
	if err := a.Payment.SetConfig(ctx, payment.Config{
		Service: DemoPaymentService, Mode: payment.ModeMandatory,
		Rule:        payment.Rule{Kind: payment.RuleFixed, Amount: 93_00, Label: "Verlängerung der Blauen Karte EU"},
		LegalBasis:  "§ 45 Nr. 2 Buchst. b Aufenthaltsverordnung (AufenthV)",
		BookingData: map[string]string{"haushaltsstelle": "1.1220.100000", "objektnummer": "DEMO-ABH-01"},
		RefPrefix:   "TUE-ABH",
	}); err != nil {
		return err
	}
	// The first Blaue Karte EU: 100 euro (§ 45 AufenthV), due when it is
	// granted, so requested with the Bescheid through the Postfach. Only
	// set when there is none yet, so a change made in /verwaltung/zahlung
	// survives the next demo start.
	if c, err := a.Payment.Config(ctx, DemoDeferredService, ""); err != nil || c.Mode != payment.ModeNone {
		return err
	}
	return a.Payment.SetConfig(ctx, payment.Config{
		Service: DemoDeferredService, Mode: payment.ModeDeferred,
		Rule:        payment.Rule{Kind: payment.RuleFixed, Amount: 100_00, Label: "Erteilung der Blauen Karte EU"},
		LegalBasis:  "§ 45 Aufenthaltsverordnung (AufenthV)",
		BookingData: map[string]string{"haushaltsstelle": "1.1220.100000", "objektnummer": "DEMO-ABH-02"},
		RefPrefix:   "TUE-ABH",
	})
}

// feeSettings gives the tenant domain (the completeness check of
// activations) the payment settings without making it depend on the
// payment package.
type feeSettings struct{ p *payment.Service }

func (f feeSettings) FeeStatus(ctx context.Context, service, tenantID string) (tenant.FeeStatus, error) {
	st, err := f.p.FeeState(ctx, service, tenantID)
	return tenant.FeeStatus{Rule: st.Rule, Own: st.Own, Paid: st.Rule && st.Mode != payment.ModeNone, Endpoint: st.Endpoint}, err
}
