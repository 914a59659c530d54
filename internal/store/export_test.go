package store

import (
	"context"
)

// MigrateWith runs a given migration list, for tests of the runner itself.
func MigrateWith(ctx context.Context, db *DB, ms []Migration) (MigrateResult, error) {
	return db.migrate(ctx, nil, ms)
}
