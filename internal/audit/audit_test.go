package audit_test

import (
	"context"
	"crypto/sha256"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/ozgo/ozgo/internal/audit"
	"github.com/ozgo/ozgo/internal/store"
	"github.com/ozgo/ozgo/internal/store/dbtest"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// testKeys derives keys from a fixed secret; the real keyring lives in crypt.
type testKeys struct{ secret string }

func (k testKeys) CurrentKID() string { return "test0001" }
func (k testKeys) DeriveKeyFor(kid, purpose string) ([]byte, error) {
	if kid != "test0001" {
		return nil, fmt.Errorf("unknown key %s", kid)
	}
	s := sha256.Sum256([]byte(k.secret + "|" + purpose))
	return s[:], nil
}

func seed(t *testing.T, l *audit.Log, n int) {
	t.Helper()
	for i := 0; i < n; i++ {
		_, err := l.Record(context.Background(), audit.Entry{
			Actor: "staff:1", Action: "case.viewed", ObjectType: "case", ObjectID: fmt.Sprint(i),
			Tenant: "t1", Details: map[string]string{"via": "inbox", "n": fmt.Sprint(i)},
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

func TestChainIntact(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, db *store.DB) {
		l := audit.New(db, testKeys{"s"})
		seed(t, l, 5)
		r, err := l.Verify(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if !r.OK() || r.Checked != 5 || r.HeadSeq != 5 {
			t.Fatalf("report %+v", r)
		}
		recent, err := l.Recent(context.Background(), 2)
		if err != nil || len(recent) != 2 || recent[0].Seq != 5 || recent[0].Details["n"] != "4" {
			t.Fatalf("recent %+v %v", recent, err)
		}
	})
}

func TestEmptyChainIsIntact(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, db *store.DB) {
		r, err := audit.New(db, testKeys{"s"}).Verify(context.Background())
		if err != nil || !r.OK() || r.Checked != 0 {
			t.Fatalf("report %+v err %v", r, err)
		}
	})
}

func TestTamperingDetected(t *testing.T) {
	tests := []struct {
		name    string
		sql     []string
		wantSeq int64
		want    string
	}{
		{"altered field", []string{`UPDATE audit_log SET object_id = 'other' WHERE seq = 3`}, 3, "altered"},
		{"altered details", []string{`UPDATE audit_log SET details = '{"n":"9","via":"inbox"}' WHERE seq = 2`}, 2, "altered"},
		{"altered outcome", []string{`UPDATE audit_log SET outcome = 'denied' WHERE seq = 4`}, 4, "altered"},
		{"removed middle", []string{`DELETE FROM audit_log WHERE seq = 3`}, 4, "missing"},
		{"removed last", []string{`DELETE FROM audit_log WHERE seq = 5`}, 4, "removed at the end"},
		{"removed and renumbered", []string{`DELETE FROM audit_log WHERE seq = 3`, `UPDATE audit_log SET seq = seq - 1, chain_seq = chain_seq - 1 WHERE seq > 3`}, 3, "link"},
		{"head moved back", []string{`UPDATE audit_chains SET seq = 4 WHERE chain = 0`}, 5, "removed at the end"},
		{"hash recomputed without key", []string{`UPDATE audit_log SET actor = 'staff:2', hash = 'deadbeef' WHERE seq = 1`}, 1, "altered"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dbtest.Engines(t, func(t *testing.T, db *store.DB) {
				ctx := context.Background()
				l := audit.New(db, testKeys{"s"})
				seed(t, l, 5)
				for _, q := range tt.sql {
					if _, err := db.ExecContext(ctx, q); err != nil {
						t.Fatal(err)
					}
				}
				r, err := l.Verify(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if r.OK() {
					t.Fatal("tampering not detected")
				}
				p := r.Problems[0]
				if p.Seq != tt.wantSeq || !strings.Contains(p.Reason, tt.want) {
					t.Fatalf("first problem %+v, want seq %d containing %q (all: %+v)", p, tt.wantSeq, tt.want, r.Problems)
				}
			})
		})
	}
}

func TestWrongKeyDetected(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, db *store.DB) {
		seed(t, audit.New(db, testKeys{"s"}), 2)
		r, err := audit.New(db, testKeys{"other"}).Verify(context.Background())
		if err != nil || r.OK() {
			t.Fatalf("verify with a different key passed: %+v %v", r, err)
		}
	})
}

func TestAppendRollsBackWithCaller(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		l := audit.New(db, testKeys{"s"})
		_ = db.InTx(ctx, func(tx *store.Tx) error {
			if _, err := l.Append(ctx, tx, audit.Entry{Actor: audit.System, Action: "x", ObjectType: "y"}); err != nil {
				t.Fatal(err)
			}
			return fmt.Errorf("the action failed")
		})
		r, err := l.Verify(ctx)
		if err != nil || !r.OK() || r.Checked != 0 {
			t.Fatalf("rolled-back entry left traces: %+v %v", r, err)
		}
	})
}

func TestConcurrentAppendsStayLinear(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		l := audit.New(db, testKeys{"s"})
		var wg sync.WaitGroup
		errc := make(chan error, 40)
		for g := 0; g < 4; g++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; i < 10; i++ {
					if _, err := l.Record(ctx, audit.Entry{Actor: audit.System, Action: "tick", ObjectType: "test", ObjectID: fmt.Sprint(g, i)}); err != nil {
						errc <- err
					}
				}
			}()
		}
		wg.Wait()
		close(errc)
		for err := range errc {
			t.Fatal(err)
		}
		r, err := l.Verify(ctx)
		if err != nil || !r.OK() || r.Checked != 40 {
			t.Fatalf("report %+v err %v", r, err)
		}
	})
}

func TestAppendRequiresFields(t *testing.T) {
	db := dbtest.SQLite(t)
	if _, err := audit.New(db, testKeys{"s"}).Record(context.Background(), audit.Entry{Action: "x"}); err == nil {
		t.Fatal("entry without actor accepted")
	}
}

// TestChainsUnderConcurrency: on PostgreSQL, transactions that are open at
// the same time append to different chains instead of waiting for each
// other, each keeps its chain for all its entries, and the whole log
// verifies. (On SQLite, one writer at a time uses chain 0.)
func TestChainsUnderConcurrency(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		l := audit.New(db, testKeys{"s"})
		const n = 6
		if db.Engine() == store.Postgres {
			// n transactions hold their chains at once: none may wait for
			// another (with one chain the second would block forever here).
			ready := make(chan struct{})
			var wg sync.WaitGroup
			var mu sync.Mutex
			chains := map[int]bool{}
			errc := make(chan error, n)
			var started sync.WaitGroup
			started.Add(n)
			for g := 0; g < n; g++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					errc <- db.InTx(ctx, func(tx *store.Tx) error {
						e1, err := l.Append(ctx, tx, audit.Entry{Actor: audit.System, Action: "a", ObjectType: "test", ObjectID: fmt.Sprint(g)})
						if err != nil {
							started.Done()
							return err
						}
						started.Done()
						<-ready
						e2, err := l.Append(ctx, tx, audit.Entry{Actor: audit.System, Action: "b", ObjectType: "test", ObjectID: fmt.Sprint(g)})
						if err != nil {
							return err
						}
						if e1.Chain != e2.Chain || e2.ChainSeq != e1.ChainSeq+1 {
							return fmt.Errorf("a transaction changed chains: %d/%d then %d/%d", e1.Chain, e1.ChainSeq, e2.Chain, e2.ChainSeq)
						}
						mu.Lock()
						chains[e1.Chain] = true
						mu.Unlock()
						return nil
					})
				}()
			}
			started.Wait()
			close(ready)
			wg.Wait()
			close(errc)
			for err := range errc {
				if err != nil {
					t.Fatal(err)
				}
			}
			if len(chains) != n {
				t.Errorf("%d open transactions used %d chains", n, len(chains))
			}
		}
		seed(t, l, 3)
		r, err := l.Verify(ctx)
		if err != nil || !r.OK() {
			t.Fatalf("report %+v err %v", r, err)
		}
	})
}
