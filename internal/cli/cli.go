// Package cli implements the ozgo command line: serve, demo, migrate,
// audit verify, version. cmd/ozgo only forwards to Run, so every command is
// testable in-process.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/ozgo/ozgo/internal/app"
	"github.com/ozgo/ozgo/internal/audit"
	"github.com/ozgo/ozgo/internal/buildinfo"
	"github.com/ozgo/ozgo/internal/config"
	"github.com/ozgo/ozgo/internal/crypt"
	"github.com/ozgo/ozgo/internal/demo"
	"github.com/ozgo/ozgo/internal/errs"
	"github.com/ozgo/ozgo/internal/httpx"
	"github.com/ozgo/ozgo/internal/i18n"
	"github.com/ozgo/ozgo/internal/store"
)

// Exit codes.
const (
	ExitOK    = 0
	ExitError = 1
	ExitUsage = 2
)

const usage = `ozgo – Plattform für Online-Verwaltungsleistungen (OZG)

Usage:
  ozgo serve   [--addr 127.0.0.1:8080] [--data DIR] [--database-url postgres://…]
  ozgo demo    [--addr 127.0.0.1:8080] [--data ./ozgo-demo]
  ozgo migrate [--data DIR] [--database-url postgres://…]
  ozgo import catalog FILE.json | regions FILE.csv [--data DIR] [--database-url …]
  ozgo audit verify [--data DIR] [--database-url postgres://…]
  ozgo user create --email ADDRESS --role ROLE [--tenant ID] [--totp] [--data DIR]
  ozgo tenant create --id ID --name NAME [--ars ARS] [--data DIR]
  ozgo fim inspect|jsonschema|validate FILE … [--codelists DIR]
  ozgo devidp  --i-know-this-is-a-test-idp [--addr 127.0.0.1:8081] [--public-url URL] [--sp-metadata URL] [--oidc-client-id ID] [--oidc-redirect URL]…
  ozgo paysim  [--addr 127.0.0.1:8082] [--secret paysim] [--public-url URL]
  ozgo payment list [--open | --attention] [--json] [--data DIR]
  ozgo payment fee set --service SLUG --mode MODE --rule JSON … | endpoint set --token-url URL --api-url URL …
  ozgo fitconnect client create --name NAME --scope SCOPE … [--tenant ID] [--json]
  ozgo version

Every flag has an OZGO_* environment variable (see "ozgo COMMAND --help").
The master key comes from OZGO_MASTER_KEY or DIR/master.key (created on first start).
`

// Run executes one command. ctx is cancelled by SIGINT/SIGTERM.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return ExitUsage
	}
	cmd, rest := args[0], args[1:]
	var err error
	switch cmd {
	case "serve":
		err = runServe(ctx, rest, stdout, stderr, false)
	case "demo":
		err = runServe(ctx, rest, stdout, stderr, true)
	case "migrate":
		err = runMigrate(ctx, rest, stdout, stderr)
	case "import":
		err = runImport(ctx, rest, stdout, stderr)
	case "fim":
		err = runFim(ctx, rest, stdout, stderr)
	case "user":
		err = runUser(ctx, rest, stdout, stderr)
	case "tenant":
		err = runTenant(ctx, rest, stdout, stderr)
	case "devidp":
		err = runDevIdP(ctx, rest, stdout, stderr)
	case "paysim":
		err = runPaysim(ctx, rest, stdout, stderr)
	case "payment":
		err = runPayment(ctx, rest, stdout, stderr)
	case "fitconnect":
		err = runFitConnect(ctx, rest, stdout, stderr)
	case "audit":
		if len(rest) == 0 || rest[0] != "verify" {
			fmt.Fprint(stderr, "usage: ozgo audit verify [--data DIR] [--database-url URL]\n")
			return ExitUsage
		}
		err = runAuditVerify(ctx, rest[1:], stdout, stderr)
	case "version", "--version", "-version":
		fmt.Fprintf(stdout, "ozgo %s (%s, %s/%s, schema %d)\n", buildinfo.Version(), runtime.Version(), runtime.GOOS, runtime.GOARCH, store.LatestVersion())
		return ExitOK
	case "help", "--help", "-h", "-help":
		fmt.Fprint(stdout, usage)
		return ExitOK
	default:
		fmt.Fprintf(stderr, "ozgo: unknown command %q\n\n%s", cmd, usage)
		return ExitUsage
	}
	switch {
	case err == nil:
		return ExitOK
	case errors.Is(err, flag.ErrHelp):
		return ExitOK
	case errors.Is(err, errUsage):
		return ExitUsage
	default:
		fmt.Fprintf(stderr, "ozgo %s: %s\n", cmd, describe(err))
		return ExitError
	}
}

// describe renders an error for the operator: application errors carry a
// message catalog key, which is replaced by its German text.
func describe(err error) string {
	s := err.Error()
	var e *errs.Error
	if errors.As(err, &e) && e.Message != "" {
		cat := i18n.MustLoad()
		if cat.Has(e.Message) {
			s = strings.Replace(s, e.Error(), cat.Resolve(i18n.Default, e.Message, e.Args), 1)
		}
	}
	return s
}

var errUsage = errors.New("usage")

func parseFlags(fs *flag.FlagSet, args []string, cfg *config.Config) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(fs.Output(), "unexpected argument %q\n", fs.Arg(0))
		return errUsage
	}
	if err := cfg.Validate(); err != nil {
		fmt.Fprintln(fs.Output(), err)
		return errUsage
	}
	return nil
}

// NewLogger builds the process logger: JSON for machines, text on a terminal.
func NewLogger(cfg config.Config, w io.Writer) *slog.Logger {
	level, _ := config.ParseLevel(cfg.LogLevel)
	opts := &slog.HandlerOptions{Level: level}
	format := cfg.LogFormat
	if format == "" {
		format = "json"
		if f, ok := w.(*os.File); ok {
			if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
				format = "text"
			}
		}
	}
	if format == "text" {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}

func runServe(ctx context.Context, args []string, stdout, stderr io.Writer, isDemo bool) error {
	name, dataDir := "serve", config.DefaultDataDir
	if isDemo {
		name, dataDir = "demo", config.DemoDataDir
	}
	var cfg config.Config
	fs := flag.NewFlagSet("ozgo "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfg.RegisterServer(fs, dataDir)
	if err := parseFlags(fs, args, &cfg); err != nil {
		return err
	}
	log := NewLogger(cfg, stderr)
	slog.SetDefault(log)

	a, err := app.Open(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer a.Close()
	var loaded demo.Result
	if isDemo {
		bars := map[string]*progressBar{}
		if loaded, err = demo.Load(ctx, a.DB, a.Audit, func(step string, done, total int) {
			if bars[step] == nil {
				bars[step] = newProgress(stderr, "Demo: "+step)
			}
			bars[step].update(done, total)
		}); err != nil {
			return err
		}
		if loaded.Logins, err = demo.LoadIdentity(ctx, a.Identity); err != nil {
			return err
		}
		z, err := demo.LoadZustellpunkt(ctx, a.FitConnect, cfg.DataDir)
		if err != nil {
			return err
		}
		loaded.Zustellpunkt = z.DestinationID
		// The demo authority works its cases in ozgo's clerk workspace,
		// which answers the Zustelldienst with the destination's key.
		// Its private keys are sealed under the tenant key (docs/schluessel.md).
		sigKey, err := os.ReadFile(filepath.Join(cfg.DataDir, demo.ZustellpunktDir, z.SigningKeyFile))
		if err != nil {
			return err
		}
		encKey, err := os.ReadFile(filepath.Join(cfg.DataDir, demo.ZustellpunktDir, z.EncryptionKeyFile))
		if err != nil {
			return err
		}
		tenantKey, err := demo.TenantKey(ctx, a.Identity)
		if err != nil {
			return err
		}
		if err := a.Inbox.StoreKeys(ctx, audit.System, tenantKey, z.DestinationID, z.TenantID, encKey, sigKey); err != nil {
			return err
		}
		more, err := demo.LoadTenants(ctx, a.Tenants, a.Identity)
		if err != nil {
			return err
		}
		loaded.Logins = append(loaded.Logins, more...)
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("cannot listen on %s (is another program using the port? choose another with --addr): %w", cfg.Addr, err)
	}
	defer ln.Close()
	scheme := "http"
	if cfg.TLSCert != "" {
		scheme = "https"
	}
	url := scheme + "://" + displayAddr(ln.Addr().String()) + "/"
	devidpURL := ""
	if isDemo {
		// The demo's test IdP runs on its own port, like a real one.
		idpLn, err := net.Listen("tcp", cfg.DevIdPAddr)
		if err != nil {
			return fmt.Errorf("cannot listen on %s for the demo's test identity provider (choose another with --devidp-addr): %w", cfg.DevIdPAddr, err)
		}
		devidpURL = "http://" + displayAddr(idpLn.Addr().String())
		idp, err := a.SetupDemoLogin(ctx, url, devidpURL)
		if err != nil {
			idpLn.Close()
			return err
		}
		go func() {
			_ = httpx.Serve(ctx, httpx.NewServer(idp.Handler(), log), idpLn, httpx.ServeOptions{Log: log})
		}()
	} else if err := a.SetupLogin(ctx, url); err != nil {
		return err
	}
	paysimURL := ""
	if isDemo { // payment (issue 8): the demo's payment simulator on its own port
		if paysimURL, err = StartDemoPaysim(ctx, a, cfg.PaysimAddr, log); err != nil {
			return err
		}
		log.Info("paysim listening", "url", paysimURL)
	}
	h, err := a.Handler()
	if err != nil {
		return err
	}
	go a.RunJanitor(ctx)
	if a.Mailer.BaseURL == "" {
		a.Mailer.BaseURL = strings.TrimSuffix(url, "/")
	}
	go a.Mailer.Run(ctx, 5*time.Second)
	go a.FitConnect.Run(ctx)
	go a.Antraege.Delivery.Run(ctx)
	go a.Inbox.Run(ctx, a.Log) // the clerk workspace picks up its destinations' submissions (ciphertext)
	go a.Payment.Run(ctx)      // payment (issue 8): reconciliation job
	log.Info("ozgo listening", "url", url, "version", buildinfo.Version(), "database", a.DB.String(), "data", cfg.DataDir)
	if isDemo {
		printDemo(stdout, url, devidpURL, cfg, a.DB, loaded)
	}
	return httpx.Serve(ctx, httpx.NewServer(h, log), ln, httpx.ServeOptions{
		ShutdownTimeout: cfg.ShutdownTimeout,
		TLSCertFile:     cfg.TLSCert,
		TLSKeyFile:      cfg.TLSKey,
		Draining:        a.Draining,
		Log:             log,
	})
}

// displayAddr turns a wildcard listen address into one a browser can open.
func displayAddr(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "localhost"
	}
	return net.JoinHostPort(host, port)
}

func printDemo(w io.Writer, url, devidpURL string, cfg config.Config, db *store.DB, r demo.Result) {
	state := "vorhandene Demodaten weiterverwendet"
	if r.Loaded {
		state = "Demodaten geladen"
	}
	fmt.Fprintf(w, "\nozgo-Demo läuft: %s\n", url)
	fmt.Fprintf(w, "  Daten:      %s (%s, %s: %s)\n", cfg.DataDir, db.Engine(), state, r.DataSet)
	if len(r.Logins) == 0 {
		fmt.Fprintf(w, "  Zugänge:    noch keine – Anmeldung für Bürgerinnen, Bürger und Mitarbeitende folgt mit dem Identitätsmodul.\n")
	} else {
		fmt.Fprintf(w, "  Zugänge:\n")
		for _, l := range r.Logins {
			fmt.Fprintf(w, "    %-22s %-20s %-16s %s\n", l.Role, l.User, l.Password, l.Note)
		}
	}
	if r.Zustellpunkt != "" {
		fmt.Fprintf(w, "  Zustellpunkt: %s (Tübingen; private Schlüssel in %s)\n", r.Zustellpunkt, filepath.Join(cfg.DataDir, demo.ZustellpunktDir))
	}
	fmt.Fprintf(w, "  Bürgerkonto: %sanmelden – Test-Identitätsprovider (TESTSYSTEM) unter %s/ mit erfundenen Personen\n", url, devidpURL)
	fmt.Fprintf(w, "  Beenden:    Strg+C\n\n")
}

func runMigrate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cfg config.Config
	fs := flag.NewFlagSet("ozgo migrate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfg.RegisterStorage(fs, config.DefaultDataDir)
	if err := parseFlags(fs, args, &cfg); err != nil {
		return err
	}
	log := NewLogger(cfg, stderr)
	db, err := store.Open(ctx, store.Options{URL: cfg.DatabaseURL, DataDir: cfg.DataDir})
	if err != nil {
		return err
	}
	defer db.Close()
	before, err := db.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	// app.Open migrates and records the migration in the audit log.
	a, err := app.Open(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer a.Close()
	after, err := a.DB.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	if after == before {
		fmt.Fprintf(stdout, "schema is up to date at version %d (%s)\n", after, db.Engine())
	} else {
		fmt.Fprintf(stdout, "schema migrated from version %d to %d (%s)\n", before, after, db.Engine())
	}
	return nil
}

func runAuditVerify(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cfg config.Config
	fs := flag.NewFlagSet("ozgo audit verify", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfg.RegisterStorage(fs, config.DefaultDataDir)
	if err := parseFlags(fs, args, &cfg); err != nil {
		return err
	}
	if _, err := os.Stat(cfg.DataDir); err != nil && cfg.DatabaseURL == "" {
		return fmt.Errorf("data directory %s: %w", cfg.DataDir, err)
	}
	keys, err := crypt.LoadKeyring(cfg.DataDir, cfg.MasterKey)
	if err != nil {
		return fmt.Errorf("master key: %w", err)
	}
	db, err := store.Open(ctx, store.Options{URL: cfg.DatabaseURL, DataDir: cfg.DataDir})
	if err != nil {
		return err
	}
	defer db.Close()
	rep, err := audit.New(db, keys).Verify(ctx)
	if err != nil {
		return err
	}
	if rep.OK() {
		fmt.Fprintf(stdout, "audit log intact: %d entries verified, chain head at %d\n", rep.Checked, rep.HeadSeq)
		return nil
	}
	var b strings.Builder
	fmt.Fprintf(&b, "audit log BROKEN: %d problem(s) in %d entries\n", len(rep.Problems), rep.Checked)
	for _, p := range rep.Problems {
		fmt.Fprintf(&b, "  entry %d: %s\n", p.Seq, p.Reason)
	}
	fmt.Fprint(stdout, b.String())
	return errors.New("audit log verification failed")
}

// openApp checks the storage flags and opens ozgo on them for a command;
// a flag error is printed and becomes errUsage.
func openApp(ctx context.Context, cfg config.Config, stderr io.Writer) (*app.App, error) {
	if err := cfg.Validate(); err != nil {
		fmt.Fprintln(stderr, err)
		return nil, errUsage
	}
	return app.Open(ctx, cfg, NewLogger(cfg, stderr))
}
