package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/ozgo/ozgo/internal/app"
	"github.com/ozgo/ozgo/internal/audit"
	"github.com/ozgo/ozgo/internal/catalog"
	"github.com/ozgo/ozgo/internal/config"
)

const importUsage = "usage: ozgo import catalog|regions FILE [--data DIR] [--database-url URL]\n"

// runImport loads a catalog JSON or region CSV file. The whole file is
// checked before anything is written, and written in one transaction, so a
// broken file leaves the old data intact.
func runImport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) < 1 || (args[0] != "catalog" && args[0] != "regions") {
		fmt.Fprint(stderr, importUsage)
		return errUsage
	}
	kind := args[0]
	var cfg config.Config
	fs := flag.NewFlagSet("ozgo import "+kind, flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfg.RegisterStorage(fs, config.DefaultDataDir)
	// Allow the file before or after the flags.
	rest := args[1:]
	var file string
	if len(rest) > 0 && len(rest[0]) > 0 && rest[0][0] != '-' {
		file, rest = rest[0], rest[1:]
	}
	if err := fs.Parse(rest); err != nil {
		return errUsage
	}
	if file == "" && fs.NArg() == 1 {
		file = fs.Arg(0)
	} else if fs.NArg() > 0 || file == "" {
		fmt.Fprint(stderr, importUsage)
		return errUsage
	}
	if err := cfg.Validate(); err != nil {
		fmt.Fprintln(stderr, err)
		return errUsage
	}
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	start := time.Now()
	// Parse and check the whole file before opening the database.
	var (
		cat     *catalog.CatalogData
		regions []catalog.Region
	)
	if kind == "catalog" {
		cat, err = catalog.ParseCatalog(f)
	} else {
		var warnings []string
		regions, warnings, err = catalog.ParseRegionsWarn(f)
		for _, w := range warnings {
			fmt.Fprintf(stderr, "warning: %s\n", w)
		}
	}
	if err != nil {
		return fmt.Errorf("%s: %w (nothing was imported)", file, err)
	}
	log := NewLogger(cfg, stderr)
	a, err := app.Open(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer a.Close()
	st := catalog.NewStore(a.DB)
	bar := newProgress(stderr, "import "+kind)
	var stats catalog.ImportStats
	if kind == "catalog" {
		stats, err = st.ImportCatalog(ctx, cat, bar.update)
	} else {
		stats, err = st.ImportRegions(ctx, regions, bar.update)
	}
	if err != nil {
		return fmt.Errorf("%s: %w (nothing was imported)", file, err)
	}
	if stats.Changed() {
		details := map[string]string{}
		for _, t := range stats.Tables {
			details[t.Name] = fmt.Sprintf("+%d ~%d -%d", t.Added, t.Changed, t.Removed)
		}
		if _, err := a.Audit.Record(ctx, audit.Entry{Actor: "cli", Action: "catalog.imported", ObjectType: kind, ObjectID: "", Details: details}); err != nil {
			return err
		}
	}
	printStats(stdout, stats, time.Since(start))
	return nil
}

func printStats(w io.Writer, stats catalog.ImportStats, d time.Duration) {
	for _, t := range stats.Tables {
		fmt.Fprintf(w, "%-16s %6d records: %d added, %d changed, %d removed\n", t.Name, t.Total, t.Added, t.Changed, t.Removed)
	}
	if !stats.Changed() {
		fmt.Fprintf(w, "nothing changed (%.1fs)\n", d.Seconds())
	} else {
		fmt.Fprintf(w, "done in %.1fs\n", d.Seconds())
	}
}
