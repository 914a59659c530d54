package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"path"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// Migration is one schema change, in the SQL of one engine.
type Migration struct {
	Version int
	Name    string
	SQL     string
	// Checksum is the SHA-256 of SQL, recorded so edits to an applied
	// migration are noticed.
	Checksum string
}

// ErrSchemaTooNew is returned when the database was migrated by a newer
// ozgo than this binary.
var ErrSchemaTooNew = errors.New("database schema is newer than this ozgo binary")

// migrationName matches "0001_name.sql", "0001_name.sqlite.sql" and
// "0001_name.postgres.sql".
var migrationName = regexp.MustCompile(`^(\d{4})_([a-z0-9_]+?)(?:\.(sqlite|postgres))?\.sql$`)

// macros let one migration file serve both engines where only column types
// differ. Anything beyond types goes into per-engine files.
var macros = map[Engine]*strings.Replacer{
	SQLite: strings.NewReplacer(
		"{{id}}", "INTEGER PRIMARY KEY AUTOINCREMENT",
		"{{timestamp}}", "TIMESTAMP",
		"{{bytes}}", "BLOB",
		"{{json}}", "TEXT",
		"{{bool}}", "BOOLEAN",
	),
	Postgres: strings.NewReplacer(
		"{{id}}", "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY",
		"{{timestamp}}", "TIMESTAMPTZ",
		"{{bytes}}", "BYTEA",
		"{{json}}", "JSONB",
		"{{bool}}", "BOOLEAN",
	),
}

// Migrations returns the embedded migrations for an engine, in order.
func Migrations(engine Engine) ([]Migration, error) {
	return loadMigrations(migrationFS, "migrations", engine)
}

func loadMigrations(fsys fs.FS, dir string, engine Engine) ([]Migration, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, fmt.Errorf("store: read migrations: %w", err)
	}
	type parts struct {
		name           string
		common, engine string
		hasCommon      bool
		hasEngine      bool
	}
	byVersion := map[int]*parts{}
	for _, e := range entries {
		m := migrationName.FindStringSubmatch(e.Name())
		if m == nil {
			return nil, fmt.Errorf("store: migration file %q does not match NNNN_name[.engine].sql", e.Name())
		}
		v, _ := strconv.Atoi(m[1])
		body, err := fs.ReadFile(fsys, path.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		p := byVersion[v]
		if p == nil {
			p = &parts{name: m[2]}
			byVersion[v] = p
		}
		if p.name != m[2] {
			return nil, fmt.Errorf("store: migration %04d has two names: %q and %q", v, p.name, m[2])
		}
		switch Engine(m[3]) {
		case "":
			p.common, p.hasCommon = string(body), true
		case engine:
			p.engine, p.hasEngine = string(body), true
		}
	}
	var out []Migration
	for v, p := range byVersion {
		var body string
		switch {
		case p.hasEngine:
			// An engine file replaces the common file for that engine.
			body = p.engine
		case p.hasCommon:
			body = p.common
		default:
			return nil, fmt.Errorf("store: migration %04d_%s has no file for %s", v, p.name, engine)
		}
		body = macros[engine].Replace(body)
		sum := sha256.Sum256([]byte(body))
		out = append(out, Migration{Version: v, Name: p.name, SQL: body, Checksum: hex.EncodeToString(sum[:])})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	for i, m := range out {
		if m.Version != i+1 {
			return nil, fmt.Errorf("store: migrations must be numbered 0001, 0002, ... without gaps; found %04d at position %d", m.Version, i+1)
		}
	}
	return out, nil
}

// LatestVersion is the newest schema version this binary knows.
func LatestVersion() int {
	ms, err := Migrations(SQLite)
	if err != nil || len(ms) == 0 {
		return 0
	}
	return ms[len(ms)-1].Version
}

const createVersionTable = `CREATE TABLE IF NOT EXISTS schema_migrations (
	version    INTEGER PRIMARY KEY,
	name       TEXT NOT NULL,
	checksum   TEXT NOT NULL,
	applied_at TEXT NOT NULL
)`

// migrationLockKey is the PostgreSQL advisory lock that keeps several ozgo
// processes starting at once from migrating concurrently ("ozgo" in ASCII).
const migrationLockKey = 0x6f7a676f

// MigrateResult tells what Migrate did.
type MigrateResult struct {
	From, To int
	Applied  []Migration
}

// Migrate brings the schema up to the newest embedded version, one
// transaction per migration. It refuses a database whose schema is newer
// than this binary.
func (db *DB) Migrate(ctx context.Context, log *slog.Logger) (MigrateResult, error) {
	ms, err := Migrations(db.engine)
	if err != nil {
		return MigrateResult{}, err
	}
	return db.migrate(ctx, log, ms)
}

func (db *DB) migrate(ctx context.Context, log *slog.Logger, ms []Migration) (res MigrateResult, err error) {
	if log == nil {
		log = slog.Default()
	}
	// One connection for the whole run so the session-level advisory lock
	// (PostgreSQL) covers every migration.
	conn, err := db.sql.Conn(ctx)
	if err != nil {
		return res, fmt.Errorf("store: migrate: %w", err)
	}
	defer conn.Close()
	if db.engine == Postgres {
		if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, migrationLockKey); err != nil {
			return res, fmt.Errorf("store: migrate: take lock: %w", err)
		}
		defer func() {
			// A fresh context: the caller's may be cancelled, and the lock
			// must not outlive this run on a pooled connection.
			uctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_, _ = conn.ExecContext(uctx, `SELECT pg_advisory_unlock($1)`, migrationLockKey)
		}()
	}
	if _, err := conn.ExecContext(ctx, createVersionTable); err != nil {
		return res, fmt.Errorf("store: migrate: create version table: %w", err)
	}
	applied, err := appliedMigrations(ctx, conn)
	if err != nil {
		return res, err
	}
	latest := 0
	if len(ms) > 0 {
		latest = ms[len(ms)-1].Version
	}
	for v := range applied {
		res.From = max(res.From, v)
	}
	if res.From > latest {
		return res, fmt.Errorf("%w: the database is at schema version %d, this ozgo knows versions up to %d; run the newer ozgo release (or restore a backup that matches this one)", ErrSchemaTooNew, res.From, latest)
	}
	res.To = res.From
	for _, m := range ms {
		if sum, ok := applied[m.Version]; ok {
			if sum != m.Checksum {
				log.Warn("applied migration differs from the embedded one", "version", m.Version, "name", m.Name)
			}
			continue
		}
		if err := db.applyOne(ctx, conn, m); err != nil {
			return res, err
		}
		log.Info("migration applied", "version", m.Version, "name", m.Name, "engine", string(db.engine))
		res.Applied = append(res.Applied, m)
		res.To = m.Version
	}
	return res, nil
}

func appliedMigrations(ctx context.Context, conn *sql.Conn) (map[int]string, error) {
	rows, err := conn.QueryContext(ctx, `SELECT version, checksum FROM schema_migrations`)
	if err != nil {
		return nil, fmt.Errorf("store: read schema version: %w", err)
	}
	defer rows.Close()
	out := map[int]string{}
	for rows.Next() {
		var v int
		var sum string
		if err := rows.Scan(&v, &sum); err != nil {
			return nil, fmt.Errorf("store: read schema version: %w", err)
		}
		out[v] = sum
	}
	return out, rows.Err()
}

func (db *DB) applyOne(ctx context.Context, conn *sql.Conn, m Migration) error {
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: migration %04d_%s: begin: %w", m.Version, m.Name, err)
	}
	defer tx.Rollback() //nolint:errcheck // after Commit this is a no-op
	// Another process may have applied it while we waited for the lock
	// (SQLite has no advisory lock; its write lock is taken at BEGIN).
	var exists int
	err = tx.QueryRowContext(ctx, db.bind(`SELECT COUNT(*) FROM schema_migrations WHERE version = ?`), m.Version).Scan(&exists)
	if err != nil {
		return fmt.Errorf("store: migration %04d_%s: %w", m.Version, m.Name, err)
	}
	if exists > 0 {
		return nil
	}
	if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
		return fmt.Errorf("store: migration %04d_%s failed, nothing of it was applied: %w", m.Version, m.Name, err)
	}
	_, err = tx.ExecContext(ctx, db.bind(`INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES (?, ?, ?, ?)`),
		m.Version, m.Name, m.Checksum, time.Now().UTC().Format(time.RFC3339Nano))
	if err != nil {
		return fmt.Errorf("store: migration %04d_%s: record version: %w", m.Version, m.Name, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: migration %04d_%s: commit: %w", m.Version, m.Name, err)
	}
	return nil
}

// SchemaVersion returns the newest applied migration (0 for an empty database).
func (db *DB) SchemaVersion(ctx context.Context) (int, error) {
	var v sql.NullInt64
	err := db.sql.QueryRowContext(ctx, `SELECT MAX(version) FROM schema_migrations`).Scan(&v)
	if err != nil {
		// A database that was never migrated has no version table yet.
		if isUndefinedTable(err) {
			return 0, nil
		}
		return 0, fmt.Errorf("store: read schema version: %w", err)
	}
	return int(v.Int64), nil
}

func isUndefinedTable(err error) bool {
	s := err.Error()
	return strings.Contains(s, "no such table") || strings.Contains(s, "SQLSTATE 42P01")
}
