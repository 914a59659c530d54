// Package store opens ozgo's SQL database — embedded SQLite or PostgreSQL —
// and runs the embedded migrations.
//
// Domain packages write their SQL by hand with `?` placeholders; DB and Tx
// rebind them to `$1, $2, ...` for PostgreSQL. Where the engines need
// different SQL, a domain asks DB.Engine.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
	_ "modernc.org/sqlite"             // registers the "sqlite" driver (pure Go)
)

// Engine names a SQL engine.
type Engine string

// The supported engines.
const (
	SQLite   Engine = "sqlite"
	Postgres Engine = "postgres"
)

// SQLiteFile is the name of the embedded database file in the data directory.
const SQLiteFile = "ozgo.db"

// Querier is what both *DB and *Tx offer, so domain stores can run the same
// code inside or outside a transaction.
type Querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	Engine() Engine
}

// DB is an open database of either engine.
type DB struct {
	sql    *sql.DB
	engine Engine
	// where describes the database for logs without credentials.
	where  string
	rebind sync.Map // query string -> rebound query string (PostgreSQL only)
}

// Options say which database to open.
type Options struct {
	// URL is a postgres:// or postgresql:// connection URL. Empty means the
	// embedded SQLite database in DataDir.
	URL string
	// DataDir holds the SQLite file when URL is empty.
	DataDir string
}

// Open opens (and for SQLite creates) the database. It does not migrate.
func Open(ctx context.Context, opt Options) (*DB, error) {
	if opt.URL == "" {
		if opt.DataDir == "" {
			return nil, errors.New("store: neither a database URL nor a data directory given")
		}
		return openSQLite(ctx, filepath.Join(opt.DataDir, SQLiteFile))
	}
	u, err := url.Parse(opt.URL)
	if err != nil {
		return nil, fmt.Errorf("store: database URL cannot be parsed (check its syntax)")
	}
	switch u.Scheme {
	case "postgres", "postgresql":
		return openPostgres(ctx, opt.URL, redactURL(u))
	case "sqlite", "file":
		// sqlite:///path/to/file.db or file:/path, for tests and special setups.
		p := u.Path
		if u.Opaque != "" {
			p = u.Opaque
		}
		return openSQLite(ctx, p)
	default:
		return nil, fmt.Errorf("store: unsupported database URL scheme %q (use postgres:// or omit --database-url for embedded SQLite)", u.Scheme)
	}
}

func openSQLite(ctx context.Context, path string) (*DB, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("store: create data directory: %w", err)
	}
	// WAL lets readers run beside the writer; synchronous=FULL makes every
	// acknowledged commit survive power loss, not only a process crash;
	// _txlock=immediate takes the write lock at BEGIN, so two transactions
	// never deadlock upgrading a read lock; busy_timeout makes writers queue.
	q := url.Values{}
	for _, p := range []string{
		"journal_mode(WAL)",
		"synchronous(FULL)",
		"foreign_keys(ON)",
		"busy_timeout(15000)",
	} {
		q.Add("_pragma", p)
	}
	q.Set("_txlock", "immediate")
	q.Set("_time_format", "sqlite")
	dsn := "file:" + path + "?" + q.Encode()
	sdb, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("store: open sqlite: %w", err)
	}
	sdb.SetMaxOpenConns(8)
	sdb.SetMaxIdleConns(8)
	sdb.SetConnMaxIdleTime(5 * time.Minute)
	db := &DB{sql: sdb, engine: SQLite, where: "sqlite:" + path}
	if err := db.ping(ctx); err != nil {
		sdb.Close()
		return nil, err
	}
	// Files are created with the process umask; the database holds personal
	// data, so make it private to the service account.
	for _, suffix := range []string{"", "-wal", "-shm"} {
		if err := os.Chmod(path+suffix, 0o600); err != nil && !errors.Is(err, os.ErrNotExist) {
			sdb.Close()
			return nil, fmt.Errorf("store: restrict database file permissions: %w", err)
		}
	}
	return db, nil
}

func openPostgres(ctx context.Context, dsn, where string) (*DB, error) {
	sdb, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, fmt.Errorf("store: open postgres %s: %w", where, err)
	}
	sdb.SetMaxOpenConns(25)
	sdb.SetMaxIdleConns(10)
	sdb.SetConnMaxIdleTime(5 * time.Minute)
	sdb.SetConnMaxLifetime(time.Hour)
	db := &DB{sql: sdb, engine: Postgres, where: where}
	if err := db.ping(ctx); err != nil {
		sdb.Close()
		return nil, err
	}
	return db, nil
}

func (db *DB) ping(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := db.sql.PingContext(ctx); err != nil {
		return fmt.Errorf("store: cannot reach database %s: %w", db.where, err)
	}
	return nil
}

// redactURL returns the URL without password and query, for logs.
func redactURL(u *url.URL) string {
	c := *u
	if c.User != nil {
		c.User = url.User(c.User.Username())
	}
	c.RawQuery = ""
	return c.String()
}

// Engine reports which SQL engine this is.
func (db *DB) Engine() Engine { return db.engine }

// String describes the database for logs (no credentials).
func (db *DB) String() string { return db.where }

// SQL returns the underlying pool, for pool statistics and tools. Domain code
// uses the Querier methods, which rebind placeholders.
func (db *DB) SQL() *sql.DB { return db.sql }

// Close closes the pool.
func (db *DB) Close() error { return db.sql.Close() }

// Ping checks that the database answers.
func (db *DB) Ping(ctx context.Context) error { return db.sql.PingContext(ctx) }

// ExecContext runs a statement with `?` placeholders.
func (db *DB) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return db.sql.ExecContext(ctx, db.bind(query), args...)
}

// QueryContext runs a query with `?` placeholders.
func (db *DB) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return db.sql.QueryContext(ctx, db.bind(query), args...)
}

// QueryRowContext runs a single-row query with `?` placeholders.
func (db *DB) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	return db.sql.QueryRowContext(ctx, db.bind(query), args...)
}

func (db *DB) bind(query string) string {
	if db.engine != Postgres {
		return query
	}
	if q, ok := db.rebind.Load(query); ok {
		return q.(string)
	}
	q := Rebind(query)
	db.rebind.Store(query, q)
	return q
}

// Tx is a transaction with the same placeholder handling as DB.
type Tx struct {
	tx *sql.Tx
	db *DB
	// vals holds what a package remembers for the rest of the
	// transaction (the audit log: which chain it holds).
	vals map[any]any
}

// Value returns what SetValue stored under key in this transaction.
func (tx *Tx) Value(key any) any { return tx.vals[key] }

// SetValue stores v under key for the rest of the transaction. Keys
// should be unexported types of the calling package, as with
// context.WithValue.
func (tx *Tx) SetValue(key, v any) {
	if tx.vals == nil {
		tx.vals = map[any]any{}
	}
	tx.vals[key] = v
}

// ExecContext runs a statement with `?` placeholders.
func (tx *Tx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return tx.tx.ExecContext(ctx, tx.db.bind(query), args...)
}

// QueryContext runs a query with `?` placeholders.
func (tx *Tx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return tx.tx.QueryContext(ctx, tx.db.bind(query), args...)
}

// QueryRowContext runs a single-row query with `?` placeholders.
func (tx *Tx) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	return tx.tx.QueryRowContext(ctx, tx.db.bind(query), args...)
}

// Engine reports which SQL engine this is.
func (tx *Tx) Engine() Engine { return tx.db.engine }

// Prepare prepares a statement with `?` placeholders once, for hot paths
// that run it many times (Tx.Prepare for statements inside a
// transaction). Parsing SQL is a large part of a short statement's cost on
// SQLite.
func (db *DB) Prepare(ctx context.Context, query string) (*sql.Stmt, error) {
	return db.sql.PrepareContext(ctx, db.bind(query))
}

// Prepare prepares a statement with `?` placeholders inside the
// transaction; it is closed when the transaction ends.
func (tx *Tx) Prepare(ctx context.Context, query string) (*sql.Stmt, error) {
	return tx.tx.PrepareContext(ctx, tx.db.bind(query))
}

// InTx runs fn in a transaction: committed if fn returns nil, rolled back
// otherwise (also when fn panics, after which the panic continues).
func (db *DB) InTx(ctx context.Context, fn func(tx *Tx) error) (err error) {
	stx, err := db.sql.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: begin transaction: %w", err)
	}
	tx := &Tx{tx: stx, db: db}
	defer func() {
		if p := recover(); p != nil {
			_ = stx.Rollback()
			panic(p)
		}
		if err != nil {
			_ = stx.Rollback()
		}
	}()
	if err = fn(tx); err != nil {
		return err
	}
	if err = stx.Commit(); err != nil {
		return fmt.Errorf("store: commit: %w", err)
	}
	return nil
}

// Rebind turns `?` placeholders into PostgreSQL's `$1, $2, ...`, leaving
// question marks inside string literals, quoted identifiers and comments
// alone.
func Rebind(query string) string {
	var b strings.Builder
	b.Grow(len(query) + 8)
	n := 0
	for i := 0; i < len(query); i++ {
		c := query[i]
		switch {
		case c == '\'' || c == '"':
			j := i + 1
			for j < len(query) {
				if query[j] == c {
					if j+1 < len(query) && query[j+1] == c { // doubled quote escapes itself
						j += 2
						continue
					}
					break
				}
				j++
			}
			if j >= len(query) {
				j = len(query) - 1
			}
			b.WriteString(query[i : j+1])
			i = j
		case c == '-' && i+1 < len(query) && query[i+1] == '-':
			j := strings.IndexByte(query[i:], '\n')
			if j < 0 {
				b.WriteString(query[i:])
				return b.String()
			}
			b.WriteString(query[i : i+j])
			i += j - 1
		case c == '/' && i+1 < len(query) && query[i+1] == '*':
			j := strings.Index(query[i+2:], "*/")
			if j < 0 {
				b.WriteString(query[i:])
				return b.String()
			}
			b.WriteString(query[i : i+2+j+2])
			i += 2 + j + 1
		case c == '?':
			n++
			b.WriteByte('$')
			b.WriteString(fmt.Sprint(n))
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// TimeFormat is how every domain stores times in TEXT columns: UTC with a
// fixed width, so they compare correctly as strings on both engines.
const TimeFormat = "2006-01-02T15:04:05.000000000Z"

// FormatTime formats t for storage.
func FormatTime(t time.Time) string { return t.UTC().Format(TimeFormat) }

// ParseTime reads a time stored with FormatTime (zero if malformed).
func ParseTime(s string) time.Time {
	t, _ := time.Parse(TimeFormat, s)
	return t
}
