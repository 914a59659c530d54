package form

import (
	"bytes"
	"context"
	"os"
	"testing"
	"time"

	"github.com/ozgo/ozgo/internal/crypt"
	"github.com/ozgo/ozgo/internal/errs"
	"github.com/ozgo/ozgo/internal/fim"
	"github.com/ozgo/ozgo/internal/store"
	"github.com/ozgo/ozgo/internal/store/dbtest"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// withService imports S00000121 and an online service row for drafts to
// belong to.
func withService(t *testing.T, db *store.DB) {
	t.Helper()
	raw, err := os.ReadFile(s121)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	err = db.InTx(ctx, func(tx *store.Tx) error {
		if _, _, err := fim.NewStore(db).ImportForm(ctx, tx, raw, fim.NewCodeListStore()); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO online_services (slug, title, summary, leika, form_id, form_version, active, created_at, updated_at)
			VALUES ('bk', 'Blaue Karte', '', '', 'S00000121', '1.0', ?, '', '')`, true)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

func testKeys(t *testing.T) *crypt.Keyring {
	k, err := crypt.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	kr, err := crypt.NewKeyring(k)
	if err != nil {
		t.Fatal(err)
	}
	return kr
}

func TestDrafts(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		withService(t, db)
		d := NewDrafts(db, testKeys(t), time.Hour)
		now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
		d.Now = func() time.Time { return now }

		dr, secret, err := d.Create(ctx, "", "bk", "S00000121", "1.0")
		if err != nil {
			t.Fatal(err)
		}
		dr.State.Values["G00000630.F00000013"] = "Müller-Lüdenscheidt"
		dr.State.Files["G00000630.F00001019"] = File{BlobID: "0123456789abcdef0123456789abcdef", Name: "foto.png"}
		if err := d.Save(ctx, dr); err != nil {
			t.Fatal(err)
		}
		// The answers are not stored in plain text.
		var raw []byte
		if err := db.QueryRowContext(ctx, `SELECT state FROM form_drafts WHERE id = ?`, dr.ID).Scan(&raw); err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(raw, []byte("Lüdenscheidt")) || bytes.Contains(raw, []byte("foto")) {
			t.Error("draft stored in plain text")
		}
		got, err := d.Load(ctx, dr.ID, secret)
		if err != nil || got.State.Values["G00000630.F00000013"] != "Müller-Lüdenscheidt" {
			t.Fatalf("load: %v %+v", err, got)
		}
		// A wrong secret or id finds nothing, and says nothing more.
		for _, c := range [][2]string{{dr.ID, secret + "x"}, {dr.ID, ""}, {"00000000000000000000000000000000", secret}} {
			if _, err := d.Load(ctx, c[0], c[1]); !errs.Is(err, errs.NotFound) {
				t.Errorf("load %v: %v", c, err)
			}
		}
		// Expiry: an hour after the last change.
		now = now.Add(59 * time.Minute)
		if _, err := d.Load(ctx, dr.ID, secret); err != nil {
			t.Fatalf("before expiry: %v", err)
		}
		if n, _, err := d.Expire(ctx); err != nil || n != 0 {
			t.Fatalf("expire before time: %d %v", n, err)
		}
		now = now.Add(2 * time.Minute)
		if _, err := d.Load(ctx, dr.ID, secret); err != ErrDraftExpired {
			t.Fatalf("after expiry: %v", err)
		}
		n, blobs, err := d.Expire(ctx)
		if err != nil || n != 1 || len(blobs) != 1 || blobs[0] != "0123456789abcdef0123456789abcdef" {
			t.Fatalf("expire: %d %v %v", n, blobs, err)
		}
		if _, err := d.Load(ctx, dr.ID, secret); !errs.Is(err, errs.NotFound) {
			t.Fatalf("expired draft still there: %v", err)
		}

		// Submission: stored sealed, the draft is gone, the secret reads it.
		dr, secret, err = d.Create(ctx, "", "bk", "S00000121", "1.0")
		if err != nil {
			t.Fatal(err)
		}
		var sub *Submission
		err = db.InTx(ctx, func(tx *store.Tx) error {
			var err error
			sub, err = d.Submit(ctx, tx, dr, "https://schema.fitko.de/fim/s00000121_1.0.schema.json", []byte(`{"G00000630":{"F00000013":"Geheim"}}`))
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := d.Load(ctx, dr.ID, secret); !errs.Is(err, errs.NotFound) {
			t.Error("draft survived its submission")
		}
		if err := db.QueryRowContext(ctx, `SELECT data FROM submissions WHERE id = ?`, sub.ID).Scan(&raw); err != nil || bytes.Contains(raw, []byte("Geheim")) {
			t.Errorf("submission stored in plain text (%v)", err)
		}
		back, err := d.LoadSubmission(ctx, sub.ID, secret)
		if err != nil || string(back.Data) != `{"G00000630":{"F00000013":"Geheim"}}` || back.Reference != sub.Reference {
			t.Fatalf("load submission: %v %+v", err, back)
		}
		if _, err := d.LoadSubmission(ctx, sub.ID, "wrong"); !errs.Is(err, errs.NotFound) {
			t.Errorf("submission with a wrong secret: %v", err)
		}
		if o, err := d.OpenSubmission(ctx, sub.ID); err != nil || o.Reference != sub.Reference || string(o.Data) != string(back.Data) {
			t.Errorf("open submission for delivery: %v", err)
		}
		// The same draft submitted again (a double click, a second tab):
		// refused, nothing stored twice.
		err = db.InTx(ctx, func(tx *store.Tx) error {
			_, err := d.Submit(ctx, tx, dr, "https://schema.fitko.de/fim/s00000121_1.0.schema.json", []byte(`{}`))
			return err
		})
		if !errs.Is(err, errs.NotFound) {
			t.Errorf("second submit of one draft: %v", err)
		}
		var count int
		if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM submissions`).Scan(&count); err != nil || count != 1 {
			t.Errorf("submissions: %d %v", count, err)
		}
	})
}
