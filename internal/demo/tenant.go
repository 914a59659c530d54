package demo

import (
	"bytes"
	"context"
	"fmt"

	"github.com/ozgo/ozgo/internal/audit"
	"github.com/ozgo/ozgo/internal/errs"
	"github.com/ozgo/ozgo/internal/identity"
	"github.com/ozgo/ozgo/internal/tenant"
)

// The demo's "Einer für Alle" setting in Baden-Württemberg: the Land
// publishes its online services once; the Landkreis Esslingen activates
// one of them for 40 of its 44 Gemeinden with a CSV upload
// (data/tenant/esslingen.csv), so the coverage dashboard shows exact
// shares: 40/44 Gemeinden and 496,906 of 535,024 people in the Kreis. The
// Universitätsstadt Tübingen activates the same service for itself.
const (
	DemoLand     = "land-bw"
	DemoKreis    = "landkreis-esslingen"
	DemoKreisARS = "08116"
	// DemoEfAService is the online service the Kreis activated in bulk.
	DemoEfAService = "mutterschutz-benachrichtigung"
)

var demoTenantStaff = []struct {
	Email, Name, Password, Note string
	Roles                       []identity.Role
	Tenant                      string
}{
	{"dienste@bw.example", "Onlinedienste Baden-Württemberg (Demo)", "demo-dienste-2026", "Veröffentlichung von Onlinediensten (Land)", []identity.Role{identity.RoleServiceAuthor}, DemoLand},
	{"verwaltung@landkreis-esslingen.example", "Mandantenverwaltung Landkreis Esslingen (Demo)", "demo-kreis-2026", "Verwaltung des Landkreises Esslingen", []identity.Role{identity.RoleTenantAdmin}, DemoKreis},
}

// demoVersions are the published versions of the demo online services:
// texts and form from OnlineServices, parameters as a Land would set them.
func demoVersions() []tenant.Version {
	var out []tenant.Version
	for _, s := range OnlineServices {
		out = append(out, tenant.Version{
			Slug: s.Slug, Title: s.Title, Summary: s.Summary, LeiKa: []string{s.LeiKa}, FormID: s.FormID, FormVersion: s.FormVersion,
			MinTrustLevel: s.MinTrustLevel, FeeCents: 0, EvidenceUpload: true,
			RequiredParams: []string{tenant.ParamAuthority, tenant.ParamContact},
		})
	}
	return out
}

// LoadTenants makes sure the demo's Land and Kreis tenants exist with
// their staff, that the demo online services are published by the Land,
// and that the Kreis activated the EfA service by CSV. Every step is
// skipped when already done; it returns the logins to print.
func LoadTenants(ctx context.Context, ts *tenant.Service, ids *identity.Service) ([]Login, error) {
	if err := ids.CreateTenant(ctx, audit.System, DemoLand, "Land Baden-Württemberg (Demo)", "08"); err != nil {
		return nil, fmt.Errorf("demo: tenant %s: %w", DemoLand, err)
	}
	if err := ids.CreateTenant(ctx, audit.System, DemoKreis, "Landkreis Esslingen (Demo)", DemoKreisARS); err != nil {
		return nil, fmt.Errorf("demo: tenant %s: %w", DemoKreis, err)
	}
	actors := map[identity.Role]*identity.Actor{}
	keys := map[string][]byte{}
	var out []Login
	for _, s := range demoTenantStaff {
		// Staff created now act under their own id; on later starts the
		// steps they would do are already done.
		a := &identity.Actor{Kind: identity.KindStaff, Principal: "demo", TenantID: s.Tenant, Roles: s.Roles}
		st, err := ids.CreateStaff(ctx, audit.System, identity.NewStaff{Email: s.Email, Name: s.Name, TenantID: s.Tenant, Roles: s.Roles, Password: s.Password, TenantKey: keys[s.Tenant]})
		switch {
		case err == nil:
			a.Principal = st.ID
			if k := st.TenantKey(); k != nil && s.Tenant != "" {
				keys[s.Tenant] = k // granted to the tenant's next demo account
			}
		case !errs.Is(err, errs.Conflict):
			return nil, fmt.Errorf("demo: staff %s: %w", s.Email, err)
		}
		// The demo acts as if its staff had logged in: with the tenant key
		// their passwords unlock (the Kreis sets up its workspace with it).
		if k, err := ids.UnlockWithPassword(ctx, s.Email, s.Password); err == nil {
			a.TenantKey = k
		}
		actors[s.Roles[0]] = a
		out = append(out, Login{Role: s.Note, User: s.Email, Password: s.Password, Note: "/mitarbeiter/anmelden"})
	}
	author := actors[identity.RoleServiceAuthor]
	for _, v := range demoVersions() {
		have, err := ts.Versions(ctx, v.Slug)
		if err != nil {
			return nil, err
		}
		if len(have) > 0 {
			continue
		}
		nv, err := ts.PrepareVersion(ctx, author, v)
		if err != nil {
			return nil, fmt.Errorf("demo: version %s: %w", v.Slug, err)
		}
		if err := ts.Publish(ctx, author, nv.Slug, nv.Version); err != nil {
			return nil, fmt.Errorf("demo: publish %s: %w", v.Slug, err)
		}
	}
	acts, err := ts.TenantActivations(ctx, DemoKreis)
	if err != nil {
		return nil, err
	}
	if len(acts) == 0 {
		raw, err := tenantFiles.ReadFile("data/tenant/esslingen.csv")
		if err != nil {
			return nil, err
		}
		_, lerrs, err := ts.BulkActivate(ctx, actors[identity.RoleTenantAdmin], DemoKreis, DemoEfAService, bytes.NewReader(raw))
		if err != nil {
			return nil, fmt.Errorf("demo: bulk activation: %w", err)
		}
		if len(lerrs) > 0 {
			return nil, fmt.Errorf("demo: bulk activation: line %d: %v", lerrs[0].Line, lerrs[0].Err)
		}
	}
	// The EfA service is routed by its activations alone once any exist
	// (onlinedienst/routing.go), so the Gemeinde Tübingen, where the
	// citizen tests apply, activates it too: delivery to its workspace
	// (the demo Zustellpunkt, whose key the clerk workspace holds). The
	// other demo services stay unactivated and keep the routing by the
	// Zustellpunkt's regions, until an admin activates them.
	if _, err := ts.Activation(ctx, DemoEfAService, DemoGemeinde); errs.Is(err, errs.NotFound) {
		admin := &identity.Actor{Kind: identity.KindStaff, Principal: "demo", TenantID: DemoTenant, Roles: []identity.Role{identity.RoleTenantAdmin}}
		_, es, err := ts.Activate(ctx, admin, DemoTenant, tenant.ActivationInput{ARS: DemoGemeinde, Authority: "Bürgerbüro Tübingen (Demo)",
			Delivery: tenant.DeliveryInbox, ContactEmail: "buergerbuero@tuebingen.example", ContactPhone: "+49 7071 000000",
			ProcessingDays: "10", OpeningHoursURL: "https://tuebingen.example/buergerbuero", Postfach: "ja"}, DemoEfAService)
		if err != nil {
			return nil, fmt.Errorf("demo: activation in Tübingen: %w", err)
		}
		if len(es) > 0 {
			return nil, fmt.Errorf("demo: activation in Tübingen: %v", es[0])
		}
	} else if err != nil {
		return nil, err
	}
	return out, nil
}
