package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/ozgo/ozgo/internal/app"
	"github.com/ozgo/ozgo/internal/audit"
	"github.com/ozgo/ozgo/internal/config"
	"github.com/ozgo/ozgo/internal/fim"
	"github.com/ozgo/ozgo/internal/store"
)

const fimImportUsage = `usage:
  ozgo fim codelists import DIR [--data DIR] [--database-url URL]
  ozgo fim import FILE [--codelists DIR] [--data DIR] [--database-url URL]
`

// runFimStorage handles the fim sub-commands that write to the database:
// "codelists import DIR" and "import FILE". Code lists found beside FILE
// and in --codelists are stored too, so the form's code lists resolve the
// same way later.
func runFimStorage(ctx context.Context, sub string, args []string, stdout, stderr io.Writer) error {
	if sub == "codelists" {
		if len(args) == 0 || args[0] != "import" {
			fmt.Fprint(stderr, fimImportUsage)
			return errUsage
		}
		args = args[1:]
	}
	var cfg config.Config
	fs := flag.NewFlagSet("ozgo fim "+sub, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, fimImportUsage) }
	cfg.RegisterStorage(fs, config.DefaultDataDir)
	codelists := fs.String("codelists", "", "folder with genericode code lists")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 || (sub == "codelists" && *codelists != "") {
		fmt.Fprint(stderr, fimImportUsage)
		return errUsage
	}
	if err := cfg.Validate(); err != nil {
		fmt.Fprintln(stderr, err)
		return errUsage
	}
	// Read and check everything before touching the database.
	var dirs []string
	var formRaw []byte
	if sub == "codelists" {
		dirs = []string{pos[0]}
	} else {
		if formRaw, err = os.ReadFile(pos[0]); err != nil {
			return err
		}
		if _, err := fim.Parse(strings.NewReader(string(formRaw))); err != nil {
			fmt.Fprintf(stderr, "ozgo fim import: %s: %v\n", pos[0], err)
			return errUsage
		}
		dirs = []string{filepath.Dir(pos[0])}
		if *codelists != "" {
			dirs = append(dirs, *codelists)
		}
	}
	var lists [][]byte
	var names []string
	for _, dir := range dirs {
		entries, err := os.ReadDir(dir)
		if err != nil {
			return err
		}
		for _, de := range entries {
			if de.IsDir() || !strings.EqualFold(filepath.Ext(de.Name()), ".xml") {
				continue
			}
			p := filepath.Join(dir, de.Name())
			raw, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			if _, err := fim.ParseCodeList(strings.NewReader(string(raw))); err != nil {
				if !errors.Is(err, fim.ErrNotGenericode) {
					fmt.Fprintf(stderr, "warning: %s: %v (skipped)\n", p, err)
				}
				continue
			}
			lists, names = append(lists, raw), append(names, p)
		}
	}
	if sub == "codelists" && len(lists) == 0 {
		return fmt.Errorf("%s holds no genericode code lists", pos[0])
	}

	a, err := app.Open(ctx, cfg, NewLogger(cfg, stderr))
	if err != nil {
		return err
	}
	defer a.Close()
	st := fim.NewStore(a.DB)
	return a.DB.InTx(ctx, func(tx *store.Tx) error {
		added := 0
		for i, raw := range lists {
			l, res, err := st.ImportCodeList(ctx, tx, raw)
			if err != nil {
				return fmt.Errorf("%s: %w (nothing was imported)", names[i], err)
			}
			state := "already stored"
			if res.Created {
				added++
				state = "stored"
				if _, err := a.Audit.Append(ctx, tx, audit.Entry{Actor: "cli", Action: "fim.codelist.imported", ObjectType: "codelist", ObjectID: l.CanonicalVersionURI}); err != nil {
					return err
				}
			}
			fmt.Fprintf(stdout, "code list %s (%d entries): %s\n", l.CanonicalVersionURI, len(l.Entries), state)
		}
		if sub == "codelists" {
			fmt.Fprintf(stdout, "%d code lists, %d new\n", len(lists), added)
			return nil
		}
		// Resolve against everything stored, including what was just added.
		cls, err := st.CodeListsQ(ctx, tx)
		if err != nil {
			return err
		}
		f, res, err := st.ImportForm(ctx, tx, formRaw, cls)
		if err != nil {
			return fmt.Errorf("%s: %w (nothing was imported)", pos[0], err)
		}
		for _, w := range f.Warnings {
			fmt.Fprintf(stderr, "warning: %s\n", w)
		}
		if !res.Created {
			fmt.Fprintf(stdout, "form %s %s (%s) is already stored with identical content\n", f.ID, f.Version, f.Name)
			return nil
		}
		if _, err := a.Audit.Append(ctx, tx, audit.Entry{Actor: "cli", Action: "fim.form.imported", ObjectType: "form", ObjectID: f.ID + " " + f.Version,
			Details: map[string]string{"sha256": f.SHA256}}); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "form %s %s (%s) stored, %d warnings\n", f.ID, f.Version, f.Name, len(f.Warnings))
		return nil
	})
}
