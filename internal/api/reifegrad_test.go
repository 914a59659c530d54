package api

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/ozgo/ozgo/internal/httpx"
	"github.com/ozgo/ozgo/internal/i18n"
	"github.com/ozgo/ozgo/internal/identity"
	"github.com/ozgo/ozgo/internal/store"
	"github.com/ozgo/ozgo/internal/store/dbtest"
	"github.com/ozgo/ozgo/internal/tenant/tenanttest"
)

// A hand-made Land: a Kreis of three Gemeinden, two of them activated.
const reifegradRegions = `ebene,ars,ags,name,art,uebergeordnet_ars,flaeche_km2,bevoelkerung,plz,laengengrad,breitengrad
land,99,,Testland,,,,,,,
kreis,99001,,Nordkreis,Landkreis,99,,,,,
gemeindeverband,990010000,,Nordkreis verbandsfrei,,99001,,,,,
gemeinde,990010000001,99001001,Aheim,Stadt,990010000,10.0,50000,11111,9.0,48.0
gemeinde,990010000002,99001002,Bedorf,Gemeinde,990010000,10.0,30000,11112,9.1,48.1
gemeinde,990010000003,99001003,Cedorf,Gemeinde,990010000,10.0,20000,11113,9.2,48.2
`

func reifegradAPI(t *testing.T, db *store.DB) http.Handler {
	t.Helper()
	ctx := context.Background()
	env := tenanttest.New(t, db, reifegradRegions)
	env.Publish(t, tenanttest.BlaueKarte())
	if err := env.Identity.CreateTenant(ctx, "system", "nordkreis", "Nordkreis", "99001"); err != nil {
		t.Fatal(err)
	}
	admin := &identity.Actor{Kind: identity.KindStaff, Principal: "k", TenantID: "nordkreis", Roles: []identity.Role{identity.RoleTenantAdmin}}
	csv := "ars;behoerde;zustellung;postfach;vertrauensniveau\n990010000001;Amt;eingang;ja;hoch\n990010000002;Amt;pdf;nein;keine\n"
	if _, lerrs, err := env.Tenants.BulkActivate(ctx, admin, "nordkreis", "blaue-karte-eu", strings.NewReader(csv)); err != nil || len(lerrs) > 0 {
		t.Fatal(err, lerrs)
	}
	rt := httpx.NewRouter(nil, nil)
	(&API{Catalog: env.Catalog, Log: slog.New(slog.DiscardHandler), I18n: i18n.MustLoad(), Tenants: env.Tenants}).Register(rt)
	return rt
}

func TestReifegradAPI(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, db *store.DB) {
		h := reifegradAPI(t, db)
		schema := openAPISchemas(t)
		for _, tt := range []struct {
			url, schema string
			status      int
		}{
			{"/api/v1/abdeckung?ars=99001", "Abdeckung", 200},
			{"/api/v1/abdeckung?ars=99&leika=99010014001001", "Abdeckung", 200},
			{"/api/v1/abdeckung", "Abdeckung", 200},
			{"/api/v1/reifegrad?leika=99010014001001&ars=990010000001", "Reifegrad", 200},
			{"/api/v1/reifegrad?leika=99010014001001&ars=990010000002", "Reifegrad", 200},
			{"/api/v1/reifegrad?leika=99041006000000&ars=990010000003", "Reifegrad", 200},
			{"/api/v1/abdeckung?ars=9", "Problem", 400},
			{"/api/v1/abdeckung?ars=98", "Problem", 404},
			{"/api/v1/reifegrad?leika=99010014001001", "Problem", 400},
			{"/api/v1/reifegrad?leika=99010014001001&ars=99001", "Problem", 400},
			{"/api/v1/reifegrad?leika=99010014001001&ars=990010000009", "Problem", 404},
		} {
			w := get(t, h, tt.url, nil)
			if w.Code != tt.status {
				t.Errorf("%s: status %d, want %d: %s", tt.url, w.Code, tt.status, w.Body)
				continue
			}
			inst, err := jsonschema.UnmarshalJSON(strings.NewReader(w.Body.String()))
			if err != nil {
				t.Fatalf("%s: %v", tt.url, err)
			}
			if err := schema(tt.schema).Validate(inst); err != nil {
				t.Errorf("%s does not match %s: %v", tt.url, tt.schema, err)
			}
		}
		var cov struct {
			Leistungen []struct {
				LeiKa              string  `json:"leika"`
				GemeindenGesamt    int     `json:"gemeinden_gesamt"`
				GemeindenAb3       int     `json:"gemeinden_ab_reifegrad_3"`
				BevoelkerungGesamt int64   `json:"bevoelkerung_gesamt"`
				BevoelkerungAb3    int64   `json:"bevoelkerung_ab_reifegrad_3"`
				Flaechendeckend    bool    `json:"flaechendeckend"`
				AnteilGemeinden    float64 `json:"anteil_gemeinden"`
				AnteilBevoelkerung float64 `json:"anteil_bevoelkerung"`
			} `json:"leistungen"`
		}
		get(t, h, "/api/v1/abdeckung?ars=99001&leika=99010014001001", &cov)
		if len(cov.Leistungen) != 1 {
			t.Fatalf("%+v", cov)
		}
		c := cov.Leistungen[0]
		if c.GemeindenGesamt != 3 || c.GemeindenAb3 != 1 || c.BevoelkerungGesamt != 100000 || c.BevoelkerungAb3 != 50000 || c.Flaechendeckend || c.AnteilGemeinden != 33.3 || c.AnteilBevoelkerung != 50 {
			t.Errorf("coverage %+v", c)
		}
		var rg struct {
			Reifegrad int `json:"reifegrad"`
			Fehlend   []struct {
				ID string `json:"id"`
			} `json:"fehlend"`
		}
		get(t, h, "/api/v1/reifegrad?leika=99010014001001&ars=990010000002", &rg)
		if rg.Reifegrad != 2 || len(rg.Fehlend) != 3 {
			t.Errorf("Bedorf: %+v", rg)
		}
	})
}
