// Package tenanttest sets up the tenant domain on a test database: a
// hand-made region table, the demo's FIM forms and online services, and
// the services around it, so tests of the tenant, web and api packages
// start from the same ground.
package tenanttest

import (
	"context"
	"strings"
	"testing"

	"github.com/ozgo/ozgo/internal/audit"
	"github.com/ozgo/ozgo/internal/catalog"
	"github.com/ozgo/ozgo/internal/crypt"
	"github.com/ozgo/ozgo/internal/demo"
	"github.com/ozgo/ozgo/internal/identity"
	"github.com/ozgo/ozgo/internal/store"
	"github.com/ozgo/ozgo/internal/tenant"
)

// Env is the set-up domain.
type Env struct {
	Tenants  *tenant.Service
	Identity *identity.Service
	Catalog  *catalog.Service
	// Author is a service author of the tenant "land".
	Author *identity.Actor
}

// New imports regions (CSV in the format of catalog.ParseRegions) and the
// demo online services into db and returns the services.
func New(t testing.TB, db *store.DB, regions string) *Env {
	t.Helper()
	ctx := context.Background()
	st := catalog.NewStore(db)
	rs, err := catalog.ParseRegions(strings.NewReader(regions))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.ImportRegions(ctx, rs, nil); err != nil {
		t.Fatal(err)
	}
	if err := db.InTx(ctx, func(tx *store.Tx) error { return demo.LoadOnlineServices(ctx, tx) }); err != nil {
		t.Fatal(err)
	}
	key, err := crypt.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	keys, err := crypt.NewKeyring(key)
	if err != nil {
		t.Fatal(err)
	}
	log := audit.New(db, keys)
	e := &Env{Identity: identity.NewService(db, keys, log), Catalog: catalog.NewService(st),
		Author: &identity.Actor{Kind: identity.KindStaff, Principal: "author", TenantID: "land", Roles: []identity.Role{identity.RoleServiceAuthor}}}
	e.Tenants = tenant.New(db, log, e.Catalog, e.Identity)
	e.Tenants.FeedbackKey = []byte("test key")
	return e
}

// Publish prepares and publishes v as the author.
func (e *Env) Publish(t testing.TB, v tenant.Version) {
	t.Helper()
	ctx := context.Background()
	nv, err := e.Tenants.PrepareVersion(ctx, e.Author, v)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Tenants.Publish(ctx, e.Author, nv.Slug, nv.Version); err != nil {
		t.Fatal(err)
	}
}

// BlaueKarte is a version of the demo service "blaue-karte-eu" (form
// S00000121) requiring the given parameters.
func BlaueKarte(params ...string) tenant.Version {
	return tenant.Version{Slug: "blaue-karte-eu", Title: "Blaue Karte EU", Summary: "Antrag", LeiKa: []string{"99010014001001"},
		FormID: "S00000121", FormVersion: "1.0", EvidenceUpload: true, RequiredParams: params}
}
