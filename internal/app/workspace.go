package app

import (
	"context"
	"strings"

	"github.com/ozgo/ozgo/internal/fim"
	"github.com/ozgo/ozgo/internal/fitconnect"
	"github.com/ozgo/ozgo/internal/identity"
	"github.com/ozgo/ozgo/internal/inbox"
	"github.com/ozgo/ozgo/internal/tenant"
)

// workspaces gives the tenant domain (activations with delivery to the
// built-in inbox) the clerk workspaces of internal/inbox.
type workspaces struct{ a *App }

func (w workspaces) Offers(ctx context.Context, tenantID, leika string) (bool, error) {
	return w.a.Inbox.Offers(ctx, tenantID, leika)
}

// Prepare sets up or extends the tenant's workspace destination. Its
// contact names the tenant and the inbox, with the address and phone of
// the first activation that delivers to it (an activation has no postal
// address: the tenant's region stands for it).
func (w workspaces) Prepare(ctx context.Context, actor *identity.Actor, tenantID string, v *tenant.Version, act *tenant.Activation) error {
	t, err := w.a.Tenants.Tenant(ctx, tenantID)
	if err != nil {
		return err
	}
	name := t.Name
	if t.Profile.DisplayName != "" {
		name = t.Profile.DisplayName
	}
	address := name
	if sn, err := w.a.Catalog.Snapshot(ctx); err == nil {
		if r, err := sn.Region(t.ARS); err == nil {
			address = r.Name
		}
	}
	phone := strings.TrimSpace(act.ContactPhone)
	if phone == "" {
		phone = "nicht angegeben"
	}
	email := strings.TrimSpace(act.ContactEmail)
	contact := fitconnect.ContactInformation{LegalName: name, Address: address, Phone: phone, Email: email, Unit: "Posteingang Onlinedienste"}
	offer := inbox.Offer{LeiKa: v.LeiKa[0], SchemaURI: fim.SchemaID(v.FormID, v.FormVersion), Region: t.ARS}
	return w.a.Inbox.Prepare(ctx, actor, tenantID, contact, offer)
}
