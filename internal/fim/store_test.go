package fim

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/ozgo/ozgo/internal/errs"
	"github.com/ozgo/ozgo/internal/store"
	"github.com/ozgo/ozgo/internal/store/dbtest"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestStoreCodeListsAndForms(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		st := NewStore(db)
		lists, _ := filepath.Glob("testdata/xdf2/S00000094/C*_genericode.xml")
		if len(lists) != 4 {
			t.Fatalf("found %d lists", len(lists))
		}
		importLists := func() (created int) {
			err := db.InTx(ctx, func(tx *store.Tx) error {
				for _, p := range lists {
					_, res, err := st.ImportCodeList(ctx, tx, readFile(t, p))
					if err != nil {
						return err
					}
					if res.Created {
						created++
					}
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			return created
		}
		if n := importLists(); n != 4 {
			t.Fatalf("created %d lists", n)
		}
		if n := importLists(); n != 0 {
			t.Fatalf("second import created %d lists", n)
		}
		cls, err := st.CodeLists(ctx)
		if err != nil || cls.Len() != 4 {
			t.Fatalf("loaded %v lists, %v", cls, err)
		}

		raw := readFile(t, "testdata/xdf2/S00000094/S00000094V1.0_xdf2.xml")
		var f *Form
		err = db.InTx(ctx, func(tx *store.Tx) error {
			var res ImportResult
			f, res, err = st.ImportForm(ctx, tx, raw, cls)
			if err == nil && !res.Created {
				t.Error("first import not created")
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if f.ID != "S00000094" || f.Version != "1.0" || len(f.Warnings) != 0 {
			t.Fatalf("form %s %s warnings %v", f.ID, f.Version, f.Warnings)
		}
		// The same file again: nothing changes.
		err = db.InTx(ctx, func(tx *store.Tx) error {
			_, res, err := st.ImportForm(ctx, tx, raw, cls)
			if err == nil && res.Created {
				t.Error("second import created a form")
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		// Changed content under the same id and version is refused.
		changed := bytes.Replace(raw, []byte("Mutterschutzgesetz"), []byte("Mutterschutzgesetzes"), 1)
		err = db.InTx(ctx, func(tx *store.Tx) error {
			_, _, err := st.ImportForm(ctx, tx, changed, cls)
			return err
		})
		if msg, _ := errs.MessageArgsOf(err); !errs.Is(err, errs.Conflict) || msg != "fim.form.changed" {
			t.Fatalf("changed form: %v", err)
		}
		got, err := st.Form(ctx, "S00000094", "1.0")
		if err != nil || !bytes.Equal(got.Source, raw) || !bytes.Equal(got.SchemaJSON, f.SchemaJSON) || got.ImportedAt.IsZero() {
			t.Fatalf("round trip: %v", err)
		}
		doc, err := got.Document()
		if err != nil || doc.Root.ID != "S00000094" {
			t.Fatalf("stored XML does not parse again: %v", err)
		}
		if _, err := st.Form(ctx, "S99999999", "1.0"); !errs.Is(err, errs.NotFound) {
			t.Fatalf("unknown form: %v", err)
		}
		all, err := st.Forms(ctx)
		if err != nil || len(all) != 1 {
			t.Fatalf("forms %d %v", len(all), err)
		}
		// A changed code list under the same version URI is refused.
		l0 := readFile(t, lists[0])
		err = db.InTx(ctx, func(tx *store.Tx) error {
			_, _, err := st.ImportCodeList(ctx, tx, append(l0, []byte("\n<!-- anders -->\n")...))
			return err
		})
		if !errs.Is(err, errs.Conflict) {
			t.Fatalf("changed code list: %v", err)
		}
	})
}

func TestStoreRejectsXDF1(t *testing.T) {
	db := dbtest.SQLite(t)
	st := NewStore(db)
	err := db.InTx(context.Background(), func(tx *store.Tx) error {
		_, _, err := st.ImportForm(context.Background(), tx, readFile(t, "testdata/xdf1/S00000036_xdf1.xml"), NewCodeListStore())
		return err
	})
	if err == nil || !errors.Is(err, ErrUnsupportedFormat) {
		t.Fatalf("err = %v", err)
	}
}
