package demo

import (
	"context"
	"crypto/sha256"
	"testing"

	"github.com/ozgo/ozgo/internal/audit"
	"github.com/ozgo/ozgo/internal/store"
	"github.com/ozgo/ozgo/internal/store/dbtest"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

type keys struct{}

func (keys) CurrentKID() string { return "k" }
func (keys) DeriveKeyFor(string, string) ([]byte, error) {
	s := sha256.Sum256([]byte("k"))
	return s[:], nil
}

func TestLoadIsIdempotent(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		log := audit.New(db, keys{})
		r1, err := Load(ctx, db, log, nil)
		if err != nil || !r1.Loaded {
			t.Fatalf("first load: %+v %v", r1, err)
		}
		r2, err := Load(ctx, db, log, nil)
		if err != nil || r2.Loaded {
			t.Fatalf("second load changed something: %+v %v", r2, err)
		}
		rep, err := log.Verify(ctx)
		if err != nil || !rep.OK() || rep.Checked != 1 {
			t.Fatalf("audit %+v %v", rep, err)
		}
	})
}
