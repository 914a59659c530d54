package tenant_test

import (
	"context"
	"testing"

	"github.com/ozgo/ozgo/internal/audit"
	"github.com/ozgo/ozgo/internal/crypt"
	"github.com/ozgo/ozgo/internal/payment"
	"github.com/ozgo/ozgo/internal/payment/xbd"
	"github.com/ozgo/ozgo/internal/store"
	"github.com/ozgo/ozgo/internal/store/dbtest"
	"github.com/ozgo/ozgo/internal/tenant"
	"github.com/ozgo/ozgo/internal/tenant/tenanttest"
)

// The parameters "gebuehr" and "zahlung" are met by the payment settings
// of (service, tenant): a fee rule (the tenant's or the default), and a
// provider when the application is paid in the online service.
func TestActivationFeesFromPaymentSettings(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		ctx := context.Background()
		key, _ := crypt.GenerateKey()
		keys, err := crypt.NewKeyring(key)
		if err != nil {
			t.Fatal(err)
		}
		pay := payment.New(db, keys, audit.New(db, keys), payment.Options{})
		f.svc.Payment = feeSettings{pay}
		env := &tenanttest.Env{Tenants: f.svc, Author: f.author}
		env.Publish(t, tenanttest.BlaueKarte(tenant.ParamAuthority, tenant.ParamFee, tenant.ParamPayment))
		in := tenant.ActivationInput{ARS: "990010000001", Authority: "Ausländerbehörde Aheim", Fee: "99,00", PaymentEndpoint: "egal"}
		fields := func() map[string]bool {
			t.Helper()
			_, es, err := f.svc.Activate(ctx, f.a, "aheim", in, "blaue-karte-eu")
			if err != nil {
				t.Fatal(err)
			}
			out := map[string]bool{}
			for _, e := range es {
				out[e.Field] = true
			}
			return out
		}
		// No fee rule: "gebuehr" is missing, whatever the input says.
		if got := fields(); !got["gebuehr"] || got["zahlung"] {
			t.Fatalf("without a rule: %v", got)
		}
		// A default rule with payment before submission: the provider is
		// missing.
		if err := pay.SetConfig(ctx, payment.Config{Service: "blaue-karte-eu", Mode: payment.ModeMandatory, Rule: payment.Rule{Kind: payment.RuleFixed, Amount: 10000}}); err != nil {
			t.Fatal(err)
		}
		if got := fields(); got["gebuehr"] || !got["zahlung"] {
			t.Fatalf("default rule, no provider: %v", got)
		}
		st, err := f.svc.Fees(ctx, "blaue-karte-eu", "aheim")
		if err != nil || !st.Rule || st.Own || st.Endpoint || st.PaymentOK() {
			t.Fatalf("fee status %+v %v", st, err)
		}
		// The tenant's provider: complete.
		if err := pay.SetEndpoint(ctx, payment.EndpointConfig{TenantID: "aheim", Endpoint: xbd.Endpoint{TokenURL: "https://pay.example/token", APIURL: "https://pay.example/api",
			ClientID: "aheim", ClientSecret: "geheim", OriginatorID: "ozgo", EndpointID: "aheim"}}); err != nil {
			t.Fatal(err)
		}
		if ok, err := pay.HasEndpoint(ctx, "aheim"); err != nil || !ok {
			t.Fatalf("HasEndpoint: %v %v", ok, err)
		}
		if ok, err := pay.HasEndpoint(ctx, "nordkreis"); err != nil || ok {
			t.Fatalf("HasEndpoint of another tenant: %v %v", ok, err)
		}
		if got := fields(); len(got) != 0 {
			t.Fatalf("complete: %v", got)
		}
		// The tenant's own rule without payment in the service: fine too.
		if err := pay.SetConfig(ctx, payment.Config{Service: "blaue-karte-eu", TenantID: "aheim", Mode: payment.ModeDeferred, Rule: payment.Rule{Kind: payment.RuleFixed, Amount: 5000}}); err != nil {
			t.Fatal(err)
		}
		st, _ = f.svc.Fees(ctx, "blaue-karte-eu", "aheim")
		if !st.Own || !st.Paid {
			t.Fatalf("own rule: %+v", st)
		}
	})
}

// feeSettings is the app's adapter (internal/app/payment.go) in small.
type feeSettings struct{ p *payment.Service }

func (f feeSettings) FeeStatus(ctx context.Context, service, tenantID string) (tenant.FeeStatus, error) {
	st, err := f.p.FeeState(ctx, service, tenantID)
	return tenant.FeeStatus{Rule: st.Rule, Own: st.Own, Paid: st.Rule && st.Mode != payment.ModeNone, Endpoint: st.Endpoint}, err
}
