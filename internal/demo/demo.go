// Package demo loads the demo data set into a fresh or existing ozgo
// database. Loading is idempotent: a data directory is created once and
// reused on later starts. Each domain adds its part here as it lands.
package demo

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/ozgo/ozgo/internal/audit"
	"github.com/ozgo/ozgo/internal/store"
)

// DataSet names the demo data version; bump it when the demo content changes
// so existing demo directories get the additions.
const DataSet = "2026-11-foundation"

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
}

// Load makes sure the demo data set is in db.
func Load(ctx context.Context, db *store.DB, log *audit.Log) (Result, error) {
	res := Result{DataSet: DataSet}
	err := db.InTx(ctx, func(tx *store.Tx) error {
		var have string
		err := tx.QueryRowContext(ctx, `SELECT value FROM platform_settings WHERE key = ?`, settingKey).Scan(&have)
		switch {
		case err == nil && have == DataSet:
			return nil
		case err != nil && !errors.Is(err, sql.ErrNoRows):
			return fmt.Errorf("demo: read marker: %w", err)
		}
		// Domain data sets are loaded here, inside this transaction, as the
		// domains land (catalog and regions, tenants, online services, demo
		// identities).
		now := time.Now().UTC().Format(time.RFC3339Nano)
		if _, err := tx.ExecContext(ctx, `DELETE FROM platform_settings WHERE key = ?`, settingKey); err != nil {
			return fmt.Errorf("demo: write marker: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO platform_settings (key, value, updated_at) VALUES (?, ?, ?)`, settingKey, DataSet, now); err != nil {
			return fmt.Errorf("demo: write marker: %w", err)
		}
		if _, err := log.Append(ctx, tx, audit.Entry{
			Actor: audit.System, Action: "demo.loaded", ObjectType: "dataset", ObjectID: DataSet,
		}); err != nil {
			return err
		}
		res.Loaded = true
		return nil
	})
	return res, err
}
