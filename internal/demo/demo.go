// Package demo loads the demo data set into a fresh or existing ozgo
// database. Loading is idempotent: a data directory is created once and
// reused on later starts. Each domain adds its part here as it lands.
package demo

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"time"

	"github.com/ozgo/ozgo/internal/audit"
	"github.com/ozgo/ozgo/internal/catalog"
	"github.com/ozgo/ozgo/internal/errs"
	"github.com/ozgo/ozgo/internal/fim"
	"github.com/ozgo/ozgo/internal/identity"
	"github.com/ozgo/ozgo/internal/onlinedienst"
	"github.com/ozgo/ozgo/internal/store"
)

// DataSet names the demo data version; bump it when the demo content changes
// so existing demo directories get the additions.
const DataSet = "2026-11-tenant-zustellung"

const settingKey = "demo.dataset"

// Login is one demo account to print at start.
type Login struct {
	Role, User, Password, Note string
}

// Result says what Load did.
type Result struct {
	Loaded  bool // false when the data set was already there
	DataSet string
	Logins  []Login
	// Zustellpunkt is the id of the demo destination (see LoadZustellpunkt).
	Zustellpunkt string
}

// Progress reports loading steps to the operator.
type Progress func(step string, done, total int)

// Load makes sure the demo data set is in db: the full catalog and all
// regions (embedded copies of the real data), and demo authorities for the
// Universitätsstadt Tübingen with their Zuständigkeiten.
func Load(ctx context.Context, db *store.DB, log *audit.Log, progress Progress) (Result, error) {
	res := Result{DataSet: DataSet}
	var have string
	err := db.QueryRowContext(ctx, `SELECT value FROM platform_settings WHERE key = ?`, settingKey).Scan(&have)
	switch {
	case err == nil && have == DataSet:
		return res, nil
	case err != nil && !errors.Is(err, sql.ErrNoRows):
		return res, fmt.Errorf("demo: read marker: %w", err)
	}
	step := func(name string) catalog.Progress {
		return func(done, total int) {
			if progress != nil {
				progress(name, done, total)
			}
		}
	}
	// The imports are idempotent and each transactional; if the process
	// dies between them, the next start simply runs them again.
	st := catalog.NewStore(db)
	regions, err := catalog.ParseRegions(catalog.EmbeddedRegions())
	if err != nil {
		return res, fmt.Errorf("demo: embedded regions: %w", err)
	}
	if _, err := st.ImportRegions(ctx, regions, step("Regionen")); err != nil {
		return res, fmt.Errorf("demo: regions: %w", err)
	}
	cat, err := catalog.ParseCatalog(catalog.EmbeddedCatalog())
	if err != nil {
		return res, fmt.Errorf("demo: embedded catalog: %w", err)
	}
	if _, err := st.ImportCatalog(ctx, cat, step("Leistungskatalog")); err != nil {
		return res, fmt.Errorf("demo: catalog: %w", err)
	}
	err = db.InTx(ctx, func(tx *store.Tx) error {
		if err := loadAuthorities(ctx, tx, st); err != nil {
			return err
		}
		if err := LoadOnlineServices(ctx, tx); err != nil {
			return err
		}
		now := time.Now().UTC().Format(time.RFC3339Nano)
		if _, err := tx.ExecContext(ctx, `DELETE FROM platform_settings WHERE key = ?`, settingKey); err != nil {
			return fmt.Errorf("demo: write marker: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO platform_settings (key, value, updated_at) VALUES (?, ?, ?)`, settingKey, DataSet, now); err != nil {
			return fmt.Errorf("demo: write marker: %w", err)
		}
		_, err := log.Append(ctx, tx, audit.Entry{Actor: audit.System, Action: "demo.loaded", ObjectType: "dataset", ObjectID: DataSet})
		return err
	})
	if err != nil {
		return res, err
	}
	res.Loaded = true
	return res, nil
}

// DemoGemeinde is the Gemeinde the demo authorities serve.
const DemoGemeinde = "084160041041" // Tübingen, Universitätsstadt

type demoAuthority struct {
	catalog.Behoerde
	// leistungen maps LeiKa keys to an online service URL ("" for none).
	leistungen map[string]string
}

// The demo authorities are invented: names carry "(Demo)", contact data
// uses the reserved example domains, so nobody mistakes them for real
// offices.
var demoAuthorities = []demoAuthority{
	{
		Behoerde: catalog.Behoerde{
			Name: "Bürgerbüro Tübingen (Demo)", RegionARS: DemoGemeinde,
			Anschrift: "Am Markt 1, 72070 Tübingen", Telefon: "+49 7071 000000", Email: "buergerbuero@tuebingen.example",
			Website: "https://tuebingen.example/buergerbuero", Oeffnungszeiten: "Mo–Fr 8–12 Uhr, Do 14–18 Uhr",
		},
		leistungen: map[string]string{
			"99115005104000": "", // Wohnsitz Anmeldung
			"99115005104001": "",
			"99115005104002": "",
			"99115005070000": "", // Wohnsitz Abmeldung
			"99008001012000": "", // Personalausweis Ausstellung
		},
	},
	{
		Behoerde: catalog.Behoerde{
			Name: "Steuerverwaltung der Universitätsstadt Tübingen (Demo)", RegionARS: DemoGemeinde,
			Anschrift: "Am Markt 1, 72070 Tübingen", Telefon: "+49 7071 000001", Email: "steuern@tuebingen.example",
			Website: "https://tuebingen.example/steuern", Oeffnungszeiten: "Mo–Fr 8–12 Uhr",
		},
		leistungen: map[string]string{
			"99102013000000": "https://tuebingen.example/online/hundesteuer", // Hundesteuer
			"99102013002000": "https://tuebingen.example/online/hundesteuer",
			"99102013010000": "",
		},
	},
	{
		Behoerde: catalog.Behoerde{
			Name: "Landratsamt Tübingen, Führerscheinstelle (Demo)", RegionARS: "08416",
			Anschrift: "Wilhelm-Keil-Straße 50, 72072 Tübingen", Telefon: "+49 7071 000002", Email: "fuehrerschein@landkreis-tuebingen.example",
			Website: "https://landkreis-tuebingen.example/fuehrerschein", Oeffnungszeiten: "Mo–Fr 7:30–12 Uhr",
		},
		leistungen: map[string]string{
			"99023001000000": "", // Führerschein
			"99023001012000": "",
			"99023001036000": "https://landkreis-tuebingen.example/online/fuehrerschein-ersatz",
		},
	},
	{
		Behoerde: catalog.Behoerde{
			Name: "Elterngeldstelle Baden-Württemberg (Demo)", RegionARS: "08",
			Anschrift: "Schlossplatz 10, 76113 Karlsruhe", Telefon: "+49 721 000003", Email: "elterngeld@bw.example",
			Website: "https://bw.example/elterngeld", Oeffnungszeiten: "Mo–Fr 8–16 Uhr",
		},
		leistungen: map[string]string{
			"99041006000000": "https://bw.example/online/elterngeld", // Elterngeld
			"99041006017000": "https://bw.example/online/elterngeld",
		},
	},
}

func loadAuthorities(ctx context.Context, tx *store.Tx, st *catalog.Store) error {
	for _, a := range demoAuthorities {
		var id int64
		err := tx.QueryRowContext(ctx, `SELECT id FROM behoerden WHERE name = ? AND region_ars = ?`, a.Name, a.RegionARS).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			id, err = st.CreateBehoerde(ctx, tx, a.Behoerde)
		}
		if err != nil {
			return fmt.Errorf("demo: authority %s: %w", a.Name, err)
		}
		for key, url := range a.leistungen {
			if err := st.Assign(ctx, tx, catalog.Assignment{LeistungRef: key, RegionARS: a.RegionARS, BehoerdeID: id, OnlinedienstURL: url}); err != nil {
				return fmt.Errorf("demo: assign %s to %s: %w", key, a.Name, err)
			}
		}
	}
	return nil
}

//go:embed data/fim
var fimFiles embed.FS

//go:embed data/tenant
var tenantFiles embed.FS

// OnlineServices are the demo's online services, built from real FIM
// Stammdatenschemata.
var OnlineServices = []onlinedienst.Service{
	{
		Slug: "blaue-karte-eu", Title: "Blaue Karte EU beantragen", LeiKa: "99010014001001",
		Summary: "Antrag auf Erteilung einer Blauen Karte EU zur Ausübung einer hochqualifizierten Beschäftigung. " +
			"Demo-Onlinedienst aus dem FIM-Stammdatenschema S00000121.",
		FormID: "S00000121", FormVersion: "1.0", Active: true,
	},
	{
		Slug: "blaue-karte-eu-verlaengern", Title: "Blaue Karte EU verlängern (mit Online-Ausweis)", LeiKa: "99010014001001",
		Summary: "Verlängerung einer Blauen Karte EU. Dieser Demo-Onlinedienst verlangt eine Anmeldung mit dem Vertrauensniveau „hoch“ " +
			"(Online-Ausweisfunktion); Formular aus dem FIM-Stammdatenschema S00000121.",
		FormID: "S00000121", FormVersion: "1.0", Active: true, MinTrustLevel: identity.Hoch,
	},
	{
		Slug: "mutterschutz-benachrichtigung", Title: "Beschäftigung einer schwangeren oder stillenden Frau mitteilen", LeiKa: "99006028000000",
		Summary: "Benachrichtigung der Aufsichtsbehörde durch den Arbeitgeber nach dem Mutterschutzgesetz. " +
			"Demo-Onlinedienst aus dem FIM-Stammdatenschema S00000094.",
		FormID: "S00000094", FormVersion: "1.0", Active: true,
	},
}

// LoadOnlineServices imports the embedded code lists and forms and
// publishes the demo online services (also used by tests of the pages).
func LoadOnlineServices(ctx context.Context, tx *store.Tx) error {
	fs2 := fim.NewStore(nil)
	lists, err := fs.ReadDir(fimFiles, "data/fim/codelists")
	if err != nil {
		return err
	}
	for _, de := range lists {
		raw, err := fimFiles.ReadFile("data/fim/codelists/" + de.Name())
		if err != nil {
			return err
		}
		if _, _, err := fs2.ImportCodeList(ctx, tx, raw); err != nil {
			return fmt.Errorf("demo: code list %s: %w", de.Name(), err)
		}
	}
	cls, err := fs2.CodeListsQ(ctx, tx)
	if err != nil {
		return err
	}
	forms, err := fs.ReadDir(fimFiles, "data/fim/forms")
	if err != nil {
		return err
	}
	for _, de := range forms {
		raw, err := fimFiles.ReadFile("data/fim/forms/" + de.Name())
		if err != nil {
			return err
		}
		if _, _, err := fs2.ImportForm(ctx, tx, raw, cls); err != nil {
			return fmt.Errorf("demo: form %s: %w", de.Name(), err)
		}
	}
	reg := onlinedienst.NewRegistry(nil)
	for _, s := range OnlineServices {
		if err := reg.Put(ctx, tx, s); err != nil {
			return fmt.Errorf("demo: online service %s: %w", s.Slug, err)
		}
	}
	return nil
}

// DemoTenant is the demo's tenant: the Universitätsstadt Tübingen.
const DemoTenant = "tuebingen"

// demoStaff are the demo's staff accounts. Their passwords are public:
// they exist only in demo data directories.
var demoStaff = []struct {
	Email, Name, Password, Note string
	Roles                       []identity.Role
	Tenant                      string
}{
	{"betrieb@ozgo.example", "Plattformbetrieb (Demo)", "demo-betrieb-2026", "Plattformbetrieb", []identity.Role{identity.RoleOperator}, ""},
	{"verwaltung@tuebingen.example", "Mandantenverwaltung Tübingen (Demo)", "demo-verwaltung-2026", "Verwaltung des Mandanten Tübingen", []identity.Role{identity.RoleTenantAdmin}, DemoTenant},
	{"sachbearbeitung@tuebingen.example", "Sachbearbeitung Tübingen (Demo)", "demo-sachbearbeitung-2026", "Sachbearbeitung Tübingen", []identity.Role{identity.RoleClerk}, DemoTenant},
}

// LoadIdentity makes sure the demo tenant and staff accounts exist and
// returns the logins to print. Existing accounts are left as they are.
func LoadIdentity(ctx context.Context, ids *identity.Service) ([]Login, error) {
	if err := ids.CreateTenant(ctx, audit.System, DemoTenant, "Universitätsstadt Tübingen (Demo)", DemoGemeinde); err != nil {
		return nil, fmt.Errorf("demo: tenant: %w", err)
	}
	var out []Login
	keys := map[string][]byte{} // tenant key per tenant, to grant it to the next demo account
	for _, s := range demoStaff {
		if err := createDemoStaff(ctx, ids, keys, s.Email, s.Name, s.Password, s.Tenant, s.Roles); err != nil {
			return nil, err
		}
		out = append(out, Login{Role: s.Note, User: s.Email, Password: s.Password, Note: "/mitarbeiter/anmelden"})
	}
	return out, nil
}

// createDemoStaff creates a demo staff account unless it exists. The
// first account of a tenant creates the tenant key; later ones get it
// wrapped for their (public) demo password, as a tenant admin would grant
// it (docs/schluessel.md).
func createDemoStaff(ctx context.Context, ids *identity.Service, keys map[string][]byte, email, name, password, tenant string, roles []identity.Role) error {
	st, err := ids.CreateStaff(ctx, audit.System, identity.NewStaff{Email: email, Name: name, TenantID: tenant, Roles: roles, Password: password, TenantKey: keys[tenant]})
	switch {
	case err == nil:
		if k := st.TenantKey(); k != nil {
			keys[tenant] = k
		}
	case errs.Is(err, errs.Conflict):
		if k, err := ids.UnlockWithPassword(ctx, email, password); err == nil && keys[tenant] == nil {
			keys[tenant] = k
		}
	default:
		return fmt.Errorf("demo: staff %s: %w", email, err)
	}
	return nil
}

// TenantKey unlocks the demo tenant's key with the demo admin's public
// password, to seal the demo destination's private keys under it.
func TenantKey(ctx context.Context, ids *identity.Service) ([]byte, error) {
	for _, s := range demoStaff {
		if s.Tenant == DemoTenant {
			if k, err := ids.UnlockWithPassword(ctx, s.Email, s.Password); err == nil {
				return k, nil
			}
		}
	}
	return nil, fmt.Errorf("demo: no demo account of %s unlocks the tenant key (a data directory from before the tenant key model: start with a new one)", DemoTenant)
}
