package store_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ozgo/ozgo/internal/store"
	"github.com/ozgo/ozgo/internal/store/dbtest"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

func TestRebind(t *testing.T) {
	tests := []struct{ in, want string }{
		{"SELECT 1", "SELECT 1"},
		{"SELECT * FROM t WHERE a = ? AND b = ?", "SELECT * FROM t WHERE a = $1 AND b = $2"},
		{"SELECT '?' , ? FROM t", "SELECT '?' , $1 FROM t"},
		{`SELECT "col?" , ? FROM t`, `SELECT "col?" , $1 FROM t`},
		{"SELECT 'it''s ?', ?", "SELECT 'it''s ?', $1"},
		{"SELECT ? -- why?\n, ?", "SELECT $1 -- why?\n, $2"},
		{"SELECT /* ? */ ?", "SELECT /* ? */ $1"},
		{"SELECT 'unterminated ?", "SELECT 'unterminated ?"},
	}
	for _, tt := range tests {
		if got := store.Rebind(tt.in); got != tt.want {
			t.Errorf("Rebind(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func FuzzRebind(f *testing.F) {
	for _, s := range []string{"SELECT ?", "'?'", `"?"`, "-- ?", "/* ? */", "'", "/*"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := store.Rebind(s)
		if !strings.Contains(s, "?") && got != s {
			t.Fatalf("query without placeholders changed: %q -> %q", s, got)
		}
	})
}

func TestMigrationsLoadForBothEngines(t *testing.T) {
	for _, e := range []store.Engine{store.SQLite, store.Postgres} {
		ms, err := store.Migrations(e)
		if err != nil {
			t.Fatalf("%s: %v", e, err)
		}
		if len(ms) == 0 || ms[0].Version != 1 {
			t.Fatalf("%s: unexpected migrations %+v", e, ms)
		}
		for _, m := range ms {
			if strings.Contains(m.SQL, "{{") {
				t.Errorf("%s: migration %d has an unexpanded macro", e, m.Version)
			}
		}
	}
}

func TestMigrate(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		v, err := db.SchemaVersion(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if v != store.LatestVersion() {
			t.Fatalf("version %d, want %d", v, store.LatestVersion())
		}
		// Idempotent: a second run applies nothing.
		res, err := db.Migrate(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Applied) != 0 || res.From != v || res.To != v {
			t.Fatalf("second migrate: %+v", res)
		}
	})
}

func TestMigrateRefusesNewerSchema(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		future := store.LatestVersion() + 1
		_, err := db.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES (?, ?, ?, ?)`,
			future, "from_the_future", "x", time.Now().UTC().Format(time.RFC3339))
		if err != nil {
			t.Fatal(err)
		}
		_, err = db.Migrate(ctx, nil)
		if !errors.Is(err, store.ErrSchemaTooNew) {
			t.Fatalf("err = %v, want ErrSchemaTooNew", err)
		}
		if !strings.Contains(err.Error(), "newer ozgo") {
			t.Errorf("message does not tell what to do: %v", err)
		}
	})
}

func TestMigrationFailureLeavesNothing(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		ms, err := store.Migrations(db.Engine())
		if err != nil {
			t.Fatal(err)
		}
		bad := store.Migration{Version: len(ms) + 1, Name: "broken", SQL: "CREATE TABLE half_done (x INTEGER); THIS IS NOT SQL;"}
		_, err = store.MigrateWith(ctx, db, append(ms, bad))
		if err == nil {
			t.Fatal("broken migration succeeded")
		}
		v, _ := db.SchemaVersion(ctx)
		if v != len(ms) {
			t.Fatalf("version after failed migration = %d, want %d", v, len(ms))
		}
		if _, err := db.ExecContext(ctx, `SELECT COUNT(*) FROM half_done`); err == nil {
			t.Fatal("table of the failed migration exists: migration was not transactional")
		}
	})
}

func TestTxRollbackAndTypes(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if _, err := db.ExecContext(ctx, `CREATE TABLE probe (id INTEGER PRIMARY KEY, name TEXT NOT NULL, at TIMESTAMP NOT NULL)`); err != nil {
			t.Fatal(err)
		}
		at := time.Date(2026, 11, 23, 10, 48, 27, 123456000, time.UTC)
		boom := errors.New("boom")
		err := db.InTx(ctx, func(tx *store.Tx) error {
			if _, err := tx.ExecContext(ctx, `INSERT INTO probe (id, name, at) VALUES (?, ?, ?)`, 1, "Ümlaut ß ?", at); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("InTx error = %v", err)
		}
		var n int
		if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM probe`).Scan(&n); err != nil || n != 0 {
			t.Fatalf("rolled back row visible: n=%d err=%v", n, err)
		}
		err = db.InTx(ctx, func(tx *store.Tx) error {
			_, err := tx.ExecContext(ctx, `INSERT INTO probe (id, name, at) VALUES (?, ?, ?)`, 1, "Ümlaut ß ?", at)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		var name string
		var got time.Time
		if err := db.QueryRowContext(ctx, `SELECT name, at FROM probe WHERE id = ?`, 1).Scan(&name, &got); err != nil {
			t.Fatal(err)
		}
		if name != "Ümlaut ß ?" || !got.Equal(at) {
			t.Fatalf("round trip: %q %v, want %v", name, got, at)
		}
	})
}

func TestSQLiteFileIsPrivateAndWAL(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	db, err := store.Open(ctx, store.Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var mode string
	if err := db.QueryRowContext(ctx, `PRAGMA journal_mode`).Scan(&mode); err != nil {
		t.Fatal(err)
	}
	if mode != "wal" {
		t.Errorf("journal_mode = %q, want wal", mode)
	}
	st, err := os.Stat(filepath.Join(dir, store.SQLiteFile))
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm()&0o077 != 0 {
		t.Errorf("database file mode %o is readable by others", st.Mode().Perm())
	}
}

func TestOpenRejectsUnknownScheme(t *testing.T) {
	_, err := store.Open(context.Background(), store.Options{URL: "mysql://localhost/x"})
	if err == nil || !strings.Contains(err.Error(), "unsupported") {
		t.Fatalf("err = %v", err)
	}
}

func TestOpenUnreachablePostgresRedactsPassword(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err := store.Open(ctx, store.Options{URL: "postgres://ozgo:geheim@127.0.0.1:1/ozgo?connect_timeout=2"})
	if err == nil {
		t.Fatal("connected to port 1?")
	}
	if strings.Contains(err.Error(), "geheim") {
		t.Fatalf("password in error: %v", err)
	}
}
