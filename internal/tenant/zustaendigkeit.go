package tenant

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/ozgo/ozgo/internal/catalog"
	"github.com/ozgo/ozgo/internal/store"
)

// syncZustaendigkeit makes the catalog say what an activation says: the
// activation's authority handles the service's Leistungen in the Gemeinde,
// with the Gemeinde's page of the online service as its online link while
// the activation is live. So the Leistung pages and the Zuständigkeit API
// show the configured authority instead of one derived from the
// typisierung. Leistungen the catalog does not know are left out.
func (s *Service) syncZustaendigkeit(ctx context.Context, tx *store.Tx, sn *catalog.Snapshot, v *Version, a *Activation) error {
	// The tenant's own authority of that name, else one the catalog holds
	// for no tenant (imported, or the demo's) under the same name in the
	// Gemeinde: the same office, not a second one beside it.
	var id int64
	err := tx.QueryRowContext(ctx, `SELECT id FROM behoerden WHERE (tenant = ? OR tenant = '') AND region_ars = ? AND name = ? ORDER BY tenant DESC, id LIMIT 1`,
		a.TenantID, a.GemeindeARS, a.Authority).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		b := catalog.Behoerde{Tenant: a.TenantID, Name: a.Authority, RegionARS: a.GemeindeARS, Telefon: a.ContactPhone, Email: a.ContactEmail}
		id, err = catalog.NewStore(s.DB).CreateBehoerde(ctx, tx, b)
	}
	if err != nil {
		return fmt.Errorf("tenant: authority of %s/%s: %w", a.Slug, a.GemeindeARS, err)
	}
	link := ""
	if s.PublicURL != "" && a.Live {
		link = strings.TrimSuffix(s.PublicURL, "/") + "/onlinedienste/" + a.Slug + "/gemeinden/" + a.GemeindeARS
	}
	for _, k := range v.LeiKa {
		if _, err := sn.Leistung(k); err != nil {
			continue
		}
		// The activation is the truth for this Leistung in this Gemeinde:
		// it replaces what was assigned there before (an earlier name, the
		// Kreis's authority before the Gemeinde took over).
		if _, err := tx.ExecContext(ctx, `DELETE FROM zustaendigkeiten WHERE leistung_ref = ? AND region_ars = ?`, k, a.GemeindeARS); err != nil {
			return fmt.Errorf("tenant: zuständigkeit: %w", err)
		}
		if err := catalog.NewStore(s.DB).Assign(ctx, tx, catalog.Assignment{LeistungRef: k, RegionARS: a.GemeindeARS, BehoerdeID: id, OnlinedienstURL: link}); err != nil {
			return fmt.Errorf("tenant: zuständigkeit: %w", err)
		}
	}
	return nil
}
