// Package dbtest gives tests a fresh, migrated database of each engine.
//
// SQLite: a new file in the test's temp directory for every test.
// PostgreSQL: when OZGO_TEST_POSTGRES holds a connection URL of a server
// where the tests may create databases, one database per test package
// (named ozgo_test_<pid>_<package>) and a fresh schema in it per test.
// Without OZGO_TEST_POSTGRES the PostgreSQL variants are skipped, unless
// OZGO_REQUIRE_POSTGRES=1 (CI), which turns that into a failure.
//
// A package that uses PostgreSQL should call dbtest.Main from TestMain, so
// its database is dropped at the end; databases left behind by killed test
// runs are dropped by the next run.
package dbtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ozgo/ozgo/internal/store"
)

// EnvPostgres names the environment variable with the PostgreSQL server URL.
const EnvPostgres = "OZGO_TEST_POSTGRES"

// EnvRequirePostgres makes missing PostgreSQL a test failure instead of a skip.
const EnvRequirePostgres = "OZGO_REQUIRE_POSTGRES"

// SQLite returns a fresh, migrated SQLite database in t's temp directory.
func SQLite(t testing.TB) *store.DB {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, store.Options{DataDir: t.TempDir()})
	if err != nil {
		t.Fatalf("dbtest: open sqlite: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(ctx, quietLogger()); err != nil {
		t.Fatalf("dbtest: migrate sqlite: %v", err)
	}
	return db
}

// Postgres returns a fresh, migrated schema in this package's PostgreSQL test
// database, or skips the test when no server is configured.
func Postgres(t testing.TB) *store.DB {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, store.Options{URL: PostgresSchemaURL(t)})
	if err != nil {
		t.Fatalf("dbtest: open postgres: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(ctx, quietLogger()); err != nil {
		t.Fatalf("dbtest: migrate postgres: %v", err)
	}
	return db
}

// PostgresSchemaURL creates an empty schema in this package's PostgreSQL test
// database and returns a connection URL whose search_path points at it, for
// tests that hand a database to a separate ozgo process. The schema is
// dropped when the test ends.
func PostgresSchemaURL(t testing.TB) string {
	t.Helper()
	base := PostgresURL(t)
	ctx := context.Background()
	schema := "t_" + randomHex(6)
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatalf("dbtest: %v", err)
	}
	defer admin.Close()
	if _, err := admin.ExecContext(ctx, `CREATE SCHEMA `+schema); err != nil {
		t.Fatalf("dbtest: create schema: %v", err)
	}
	t.Cleanup(func() {
		a, err := sql.Open("pgx", base)
		if err != nil {
			return
		}
		defer a.Close()
		_, _ = a.ExecContext(context.Background(), `DROP SCHEMA `+schema+` CASCADE`)
	})
	u, _ := url.Parse(base)
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// Engines runs fn once per engine as subtests "sqlite" and "postgres", each
// with its own fresh database.
func Engines(t *testing.T, fn func(t *testing.T, db *store.DB)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) { fn(t, SQLite(t)) })
	t.Run("postgres", func(t *testing.T) { fn(t, Postgres(t)) })
}

var (
	pgOnce sync.Once
	pgURL  string // URL of this package's test database
	pgErr  error
	pgSkip string
)

// PostgresURL returns the URL of this package's PostgreSQL test database,
// creating it on first use, or skips t when none is configured.
func PostgresURL(t testing.TB) string {
	t.Helper()
	pgOnce.Do(setupPostgres)
	if pgSkip != "" {
		if os.Getenv(EnvRequirePostgres) == "1" {
			t.Fatalf("dbtest: PostgreSQL required (%s=1) but %s", EnvRequirePostgres, pgSkip)
		}
		t.Skipf("dbtest: %s", pgSkip)
	}
	if pgErr != nil {
		t.Fatalf("dbtest: %v", pgErr)
	}
	return pgURL
}

func setupPostgres() {
	server := os.Getenv(EnvPostgres)
	if server == "" {
		pgSkip = EnvPostgres + " is not set; PostgreSQL tests skipped"
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	admin, err := sql.Open("pgx", server)
	if err != nil {
		pgErr = fmt.Errorf("%s: %w", EnvPostgres, err)
		return
	}
	defer admin.Close()
	if err := admin.PingContext(ctx); err != nil {
		pgSkip = fmt.Sprintf("PostgreSQL at %s is not reachable: %v", redact(server), err)
		return
	}
	dropStale(ctx, admin)
	name := fmt.Sprintf("ozgo_test_%d_%s", os.Getpid(), packageName())
	if _, err := admin.ExecContext(ctx, `CREATE DATABASE `+name); err != nil {
		pgErr = fmt.Errorf("create test database %s: %w", name, err)
		return
	}
	u, _ := url.Parse(server)
	u.Path = "/" + name
	pgURL = u.String()
	pgDBName = name
}

var pgDBName string

// Main runs the package's tests and then drops its PostgreSQL test database.
// Use it as: func TestMain(m *testing.M) { dbtest.Main(m) }.
func Main(m *testing.M) {
	code := m.Run()
	if pgDBName != "" {
		dropDatabase(pgDBName)
	}
	os.Exit(code)
}

func dropDatabase(name string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	admin, err := sql.Open("pgx", os.Getenv(EnvPostgres))
	if err != nil {
		return
	}
	defer admin.Close()
	_, _ = admin.ExecContext(ctx, `DROP DATABASE IF EXISTS `+name+` WITH (FORCE)`)
}

var staleName = regexp.MustCompile(`^ozgo_test_(\d+)_`)

// dropStale removes test databases whose creating process is gone (a test
// binary killed before its TestMain could clean up).
func dropStale(ctx context.Context, admin *sql.DB) {
	rows, err := admin.QueryContext(ctx, `SELECT datname FROM pg_database WHERE datname LIKE 'ozgo_test_%'`)
	if err != nil {
		return
	}
	var stale []string
	for rows.Next() {
		var name string
		if rows.Scan(&name) != nil {
			continue
		}
		m := staleName.FindStringSubmatch(name)
		if m == nil {
			continue
		}
		pid, _ := strconv.Atoi(m[1])
		if pid != os.Getpid() && !processAlive(pid) {
			stale = append(stale, name)
		}
	}
	rows.Close()
	for _, name := range stale {
		_, _ = admin.ExecContext(ctx, `DROP DATABASE IF EXISTS `+name+` WITH (FORCE)`)
	}
}

func processAlive(pid int) bool {
	p, err := os.FindProcess(pid)
	if err != nil {
		return false
	}
	return p.Signal(syscall.Signal(0)) == nil
}

var nonIdent = regexp.MustCompile(`[^a-z0-9]+`)

func packageName() string {
	n := strings.TrimSuffix(filepath.Base(os.Args[0]), ".test")
	n = nonIdent.ReplaceAllString(strings.ToLower(n), "_")
	if len(n) > 30 {
		n = n[:30]
	}
	return n
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	if u.User != nil {
		u.User = url.User(u.User.Username())
	}
	return u.String()
}

func quietLogger() *slog.Logger {
	return slog.New(slog.DiscardHandler)
}
