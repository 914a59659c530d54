package app

import (
	"context"
	"log/slog"
	"strings"
	"testing"

	"github.com/ozgo/ozgo/internal/audit"
	"github.com/ozgo/ozgo/internal/catalog"
	"github.com/ozgo/ozgo/internal/config"
	"github.com/ozgo/ozgo/internal/demo"
	"github.com/ozgo/ozgo/internal/identity"
	"github.com/ozgo/ozgo/internal/store"
	"github.com/ozgo/ozgo/internal/tenant"
)

// TestActivationSetsUpWorkspace: a tenant without a Fachverfahren
// activates a service with delivery to the built-in inbox. Its admin's
// session holds the tenant key, so ozgo creates the tenant's FIT-Connect
// destination with fresh keys sealed under the tenant key; applications
// from the Gemeinde are routed there and the Reifegrad counts the
// delivery. Without an unlocked key nothing is set up and the admin gets
// a German message; an inbox that does not take the Leistung does not
// count for the Reifegrad.
func TestActivationSetsUpWorkspace(t *testing.T) {
	ctx := context.Background()
	a, err := Open(ctx, config.Config{DataDir: t.TempDir()}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	all, err := catalog.ParseRegions(catalog.EmbeddedRegions())
	if err != nil {
		t.Fatal(err)
	}
	var regions []catalog.Region
	for _, r := range all {
		if r.ARS == "08" || r.ARS == "081" || strings.HasPrefix(r.ARS, "08116") {
			regions = append(regions, r)
		}
	}
	if _, err := catalog.NewStore(a.DB).ImportRegions(ctx, regions, nil); err != nil {
		t.Fatal(err)
	}
	if err := a.DB.InTx(ctx, func(tx *store.Tx) error { return demo.LoadOnlineServices(ctx, tx) }); err != nil {
		t.Fatal(err)
	}
	for _, tn := range [][3]string{{"land", "Land (Test)", "08"}, {"kreis", "Landkreis Esslingen (Test)", "08116"}} {
		if err := a.Identity.CreateTenant(ctx, audit.System, tn[0], tn[1], tn[2]); err != nil {
			t.Fatal(err)
		}
	}
	st, err := a.Identity.CreateStaff(ctx, audit.System, identity.NewStaff{Email: "admin@kreis.example", Name: "Admin", TenantID: "kreis",
		Roles: []identity.Role{identity.RoleTenantAdmin}, Password: "ein langes Passwort 2026"})
	if err != nil || st.TenantKey() == nil {
		t.Fatalf("first staff of the tenant: %v (key %v)", err, st != nil && st.TenantKey() != nil)
	}
	author := &identity.Actor{Kind: identity.KindStaff, Principal: "author", TenantID: "land", Roles: []identity.Role{identity.RoleServiceAuthor}}
	svc := demo.OnlineServices[2]
	v, err := a.Tenants.PrepareVersion(ctx, author, tenant.Version{Slug: svc.Slug, Title: svc.Title, Summary: "Test", LeiKa: []string{svc.LeiKa},
		FormID: svc.FormID, FormVersion: svc.FormVersion, MinTrustLevel: svc.MinTrustLevel, RequiredParams: []string{tenant.ParamAuthority}})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Tenants.Publish(ctx, author, svc.Slug, v.Version); err != nil {
		t.Fatal(err)
	}
	const gemeinde = "081160019019" // Esslingen am Neckar
	in := tenant.ActivationInput{ARS: gemeinde, Authority: "Bürgeramt Esslingen (Test)", Delivery: tenant.DeliveryInbox,
		ContactEmail: "buergeramt@esslingen.example", ContactPhone: "+49 711 000000", Postfach: "ja", TrustLevel: "niedrig"}

	// The admin's session without the key (single sign-on, not unlocked).
	locked := &identity.Actor{Kind: identity.KindStaff, Principal: st.ID, TenantID: "kreis", Roles: []identity.Role{identity.RoleTenantAdmin}}
	_, es, err := a.Tenants.Activate(ctx, locked, "kreis", in, svc.Slug)
	if err != nil || len(es) != 1 || es[0].Field != "zustellung" || !strings.Contains(a.I18n.Resolve("de", es[0].Message, es[0].Args), "Schlüssel") {
		t.Fatalf("locked key: %v %v", es, err)
	}
	if id, _ := a.Inbox.Workspace(ctx, "kreis"); id != "" {
		t.Fatal("a workspace was set up without the tenant key")
	}

	admin := *locked
	admin.TenantKey = st.TenantKey()
	if _, es, err := a.Tenants.Activate(ctx, &admin, "kreis", in, svc.Slug); err != nil || len(es) > 0 {
		t.Fatalf("activate: %v %v", es, err)
	}
	dest, err := a.Inbox.Workspace(ctx, "kreis")
	if err != nil || dest == "" {
		t.Fatalf("no workspace: %v", err)
	}
	if ok, err := a.Inbox.Offers(ctx, "kreis", svc.LeiKa); err != nil || !ok {
		t.Fatalf("workspace does not take the Leistung: %v %v", ok, err)
	}
	d, err := a.FitConnect.InternalDestination(ctx, dest)
	if err != nil || d.TenantID != "kreis" || d.Contact.LegalName != "Landkreis Esslingen (Test)" || d.Contact.Email != "buergeramt@esslingen.example" {
		t.Fatalf("destination %+v %v", d, err)
	}
	// The private keys are sealed under the tenant key: no plaintext key
	// material in the table.
	var sealedBy string
	if err := a.DB.QueryRowContext(ctx, `SELECT sealed_by FROM inbox_keys WHERE destination_id = ?`, dest).Scan(&sealedBy); err != nil || sealedBy != "tenant" {
		t.Fatalf("keys sealed by %q: %v", sealedBy, err)
	}
	// Routing: the Gemeinde's applications go to the workspace.
	s, err := a.Antraege.Registry.Get(ctx, svc.Slug)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := a.Antraege.Route(ctx, s, gemeinde); err != nil || got.ID != dest {
		t.Fatalf("route: %v %v", got, err)
	}
	as, err := a.Tenants.Reifegrad(ctx, svc.Slug, gemeinde)
	if err != nil {
		t.Fatal(err)
	}
	delivery := func(as tenant.Assessment) bool {
		for _, c := range as.Criteria {
			if c.ID == "zustellung" {
				return c.Met
			}
		}
		t.Fatal("no delivery criterion")
		return false
	}
	if !delivery(as) || as.Level != 3 {
		t.Errorf("Reifegrad %d, delivery met %v", as.Level, delivery(as))
	}
	// A second Gemeinde reuses the workspace; no second destination.
	in.ARS = "081160015015"
	if _, es, err := a.Tenants.Activate(ctx, &admin, "kreis", in, svc.Slug); err != nil || len(es) > 0 {
		t.Fatalf("second activation: %v %v", es, err)
	}
	if again, _ := a.Inbox.Workspace(ctx, "kreis"); again != dest {
		t.Errorf("second workspace %s", again)
	}
	// The workspace switched off (say, by its operator): the inbox no
	// longer counts as digital delivery.
	var n int
	_ = a.DB.QueryRowContext(ctx, `SELECT COUNT(*) FROM fc_destinations WHERE tenant_id = 'kreis'`).Scan(&n)
	if n != 1 {
		t.Errorf("%d destinations of the tenant", n)
	}
	if _, err := a.DB.ExecContext(ctx, `UPDATE fc_destinations SET status = 'inactive' WHERE id = ?`, dest); err != nil {
		t.Fatal(err)
	}
	if as, err = a.Tenants.Reifegrad(ctx, svc.Slug, gemeinde); err != nil || delivery(as) {
		t.Errorf("switched-off workspace counts: %v", err)
	}
}
