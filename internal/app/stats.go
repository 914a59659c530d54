package app

import (
	"context"

	"github.com/ozgo/ozgo/internal/store"
	"github.com/ozgo/ozgo/internal/tenant"
)

// countDecided counts a case's first decision in the monthly statistics
// ("entschieden"), inside the transaction that records it, so a decision
// is counted exactly once whether a clerk made it in the workspace or a
// Fachverfahren sent it through the back channel. Cases that did not come
// through one of ozgo's online services have no service to count under.
func (a *App) countDecided(ctx context.Context, tx *store.Tx, caseID string) error {
	if a.Tenants == nil || a.Antraege == nil || a.Antraege.Delivery == nil {
		return nil
	}
	service, ars, ok, err := a.Antraege.Delivery.CaseOrigin(ctx, tx, caseID)
	if err != nil || !ok {
		return err
	}
	return a.Tenants.CountTx(ctx, tx, service, ars, tenant.StatDecided)
}
