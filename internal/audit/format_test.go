package audit

import (
	"context"
	"crypto/sha256"
	"testing"
	"time"

	"github.com/ozgo/ozgo/internal/store"
	"github.com/ozgo/ozgo/internal/store/dbtest"
)

type fixedKeys struct{}

func (fixedKeys) CurrentKID() string { return "k1" }
func (fixedKeys) DeriveKeyFor(kid, purpose string) ([]byte, error) {
	s := sha256.Sum256([]byte(kid + "|" + purpose))
	return s[:], nil
}

// TestEntriesFromBeforeChains: entries written before the log had
// several chains (format 1, hashed without chain fields, as migration
// 0015 leaves them in chain 0) still verify, and new entries continue
// chain 0 after them; altering an old entry is still found.
func TestEntriesFromBeforeChains(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		l := New(db, fixedKeys{})
		prev := ""
		for i := int64(1); i <= 2; i++ {
			e := Entry{Seq: i, ChainSeq: i, format: 1, At: time.Date(2026, 1, 1, 0, 0, int(i), 0, time.UTC), Actor: System,
				Action: "migration.applied", ObjectType: "schema", Outcome: Success, KeyID: "k1", PrevHash: prev}
			h, err := l.hash(e)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := db.ExecContext(ctx, `INSERT INTO audit_log (seq, chain, chain_seq, format, at, actor, action, object_type, object_id, tenant, outcome, details, key_id, prev_hash, hash)
				VALUES (?, 0, ?, 1, ?, ?, ?, ?, '', '', ?, '{}', ?, ?, ?)`, e.Seq, e.ChainSeq, formatTime(e.At), e.Actor, e.Action, e.ObjectType, string(e.Outcome), e.KeyID, prev, h); err != nil {
				t.Fatal(err)
			}
			if _, err := db.ExecContext(ctx, `UPDATE audit_chains SET seq = ?, hash = ? WHERE chain = 0`, i, h); err != nil {
				t.Fatal(err)
			}
			prev = h
		}
		if db.Engine() == store.Postgres {
			if _, err := db.ExecContext(ctx, `SELECT setval('audit_seq', 3, false)`); err != nil {
				t.Fatal(err)
			}
		}
		e, err := l.Record(ctx, Entry{Actor: System, Action: "x", ObjectType: "y"})
		if err != nil {
			t.Fatal(err)
		}
		if e.Chain != 0 || e.ChainSeq != 3 || e.PrevHash != prev {
			t.Fatalf("new entry %d/%d does not continue the old chain", e.Chain, e.ChainSeq)
		}
		r, err := l.Verify(ctx)
		if err != nil || !r.OK() || r.Checked != 3 {
			t.Fatalf("report %+v %v", r, err)
		}
		if _, err := db.ExecContext(ctx, `UPDATE audit_log SET actor = 'staff:1' WHERE seq = 1`); err != nil {
			t.Fatal(err)
		}
		if r, _ := l.Verify(ctx); r.OK() || r.Problems[0].Seq != 1 {
			t.Fatalf("altered old entry not found: %+v", r)
		}
	})
}
