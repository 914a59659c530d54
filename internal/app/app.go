// Package app wires ozgo together: it opens the database and key ring,
// migrates, and builds the HTTP handler from the domain packages. cmd/ozgo
// (through internal/cli) is the only caller.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/ozgo/ozgo/internal/api"
	"github.com/ozgo/ozgo/internal/audit"
	"github.com/ozgo/ozgo/internal/backchannel"
	"github.com/ozgo/ozgo/internal/blob"
	"github.com/ozgo/ozgo/internal/buildinfo"
	"github.com/ozgo/ozgo/internal/catalog"
	"github.com/ozgo/ozgo/internal/config"
	"github.com/ozgo/ozgo/internal/crypt"
	"github.com/ozgo/ozgo/internal/errs"
	"github.com/ozgo/ozgo/internal/fitconnect"
	"github.com/ozgo/ozgo/internal/fitconnect/httpapi"
	"github.com/ozgo/ozgo/internal/form"
	"github.com/ozgo/ozgo/internal/httpx"
	"github.com/ozgo/ozgo/internal/i18n"
	"github.com/ozgo/ozgo/internal/identity"
	"github.com/ozgo/ozgo/internal/inbox"
	"github.com/ozgo/ozgo/internal/onlinedienst"
	"github.com/ozgo/ozgo/internal/payment"
	"github.com/ozgo/ozgo/internal/postfach"
	"github.com/ozgo/ozgo/internal/store"
	"github.com/ozgo/ozgo/internal/submission"
	"github.com/ozgo/ozgo/internal/tenant"
	"github.com/ozgo/ozgo/internal/web"
)

// App is one running ozgo: configuration, storage and the shared services
// every domain uses.
type App struct {
	Cfg      config.Config
	Log      *slog.Logger
	DB       *store.DB
	Keys     *crypt.Keyring
	Blobs    blob.Store
	Audit    *audit.Log
	I18n     *i18n.Catalog
	Catalog  *catalog.Service
	Antraege *onlinedienst.Antraege
	Identity *identity.Service
	// Login configures the login pages: the external identity providers
	// for citizens. Set by SetupLogin (or by tests).
	Login *web.Identity
	// Limits throttle lookups and logins per client address; nil takes
	// web.DefaultLimits (load tests may set an empty list).
	Limits   []web.LimitRule
	Registry *prometheus.Registry
	Draining *httpx.Draining
	// Postfach is the back channel; Mailer sends its notifications.
	Postfach *postfach.Service
	Mailer   *postfach.Mailer
	Inbox    *inbox.Service
	// FitConnect is the FIT-Connect-compatible Zustelldienst; its worker
	// (callbacks, deadlines) runs with FitConnect.Run.
	FitConnect *fitconnect.Service
	// Tenants keeps tenants, published online services, activations,
	// Reifegrad and coverage, feedback, statistics and announcements.
	Tenants *tenant.Service
	// Payment runs fees and the XBezahldienste flow; its reconciliation
	// job runs with Payment.Run (payment.go).
	Payment *payment.Service
}

// Open prepares the data directory, the key ring and the database, and
// migrates the schema. The caller must Close the App.
func Open(ctx context.Context, cfg config.Config, log *slog.Logger) (*App, error) {
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("data directory %s: %w", cfg.DataDir, err)
	}
	keys, err := crypt.LoadKeyring(cfg.DataDir, cfg.MasterKey)
	if err != nil {
		return nil, fmt.Errorf("master key: %w", err)
	}
	if keys.Generated() {
		log.Warn("created a new master key; back it up, without it encrypted data cannot be read",
			"file", filepath.Join(cfg.DataDir, "master.key"), "kid", keys.CurrentKID())
	}
	db, err := store.Open(ctx, store.Options{URL: cfg.DatabaseURL, DataDir: cfg.DataDir})
	if err != nil {
		return nil, err
	}
	a := &App{Cfg: cfg, Log: log, DB: db, Keys: keys, I18n: i18n.MustLoad(), Draining: &httpx.Draining{}}
	ok := false
	defer func() {
		if !ok {
			db.Close()
		}
	}()
	res, err := db.Migrate(ctx, log)
	if err != nil {
		return nil, err
	}
	a.Audit = audit.New(db, keys)
	a.Catalog = catalog.NewService(catalog.NewStore(db))
	a.Identity = identity.NewService(db, keys, a.Audit)
	if err := a.checkKeys(ctx); err != nil {
		return nil, err
	}
	if len(res.Applied) > 0 {
		_, err := a.Audit.Record(ctx, audit.Entry{
			Actor: audit.System, Action: "schema.migrated", ObjectType: "schema", ObjectID: fmt.Sprint(res.To),
			Details: map[string]string{"from": fmt.Sprint(res.From), "to": fmt.Sprint(res.To), "version": buildinfo.Version()},
		})
		if err != nil {
			return nil, err
		}
	}
	fsBlobs, err := blob.NewFS(filepath.Join(cfg.DataDir, "blobs"))
	if err != nil {
		return nil, fmt.Errorf("blob store: %w", err)
	}
	a.Blobs = blob.NewEncrypted(fsBlobs, keys)
	registry := onlinedienst.NewRegistry(db)
	registry.Log = log
	a.Antraege = &onlinedienst.Antraege{
		DB: db, Registry: registry, Drafts: form.NewDrafts(db, keys, cfg.DraftTTL),
		Blobs: a.Blobs, Audit: a.Audit, MaxUpload: cfg.MaxUpload,
	}
	a.Registry = prometheus.NewRegistry()
	a.Registry.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		collectors.NewDBStatsCollector(db.SQL(), string(db.Engine())),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name:        "ozgo_build_info",
			Help:        "Always 1; the labels tell the version and database engine.",
			ConstLabels: prometheus.Labels{"version": buildinfo.Version(), "engine": string(db.Engine())},
		}, func() float64 { return 1 }),
	)
	fcOpts, err := fitconnect.OptionsFromEnv(config.Getenv)
	if err != nil {
		return nil, err
	}
	fcOpts.Registerer, fcOpts.Callbacks, fcOpts.Log = a.Registry, httpapi.NewCallbackClient(), log
	if cfg.PublicURL != "" {
		fcOpts.Issuer = strings.TrimSuffix(cfg.PublicURL, "/") + httpapi.Prefix
	}
	a.FitConnect = fitconnect.New(db, keys, a.Blobs, a.Audit, fcOpts)
	a.Mailer = &postfach.Mailer{DB: db, Keys: keys, Contacts: a.Identity.ContactEmails, BaseURL: cfg.PublicURL, Log: log,
		SMTP: postfach.SMTP{Host: cfg.SMTPHost, Port: cfg.SMTPPort, Security: cfg.SMTPSecurity, User: cfg.SMTPUser, Password: cfg.SMTPPassword, From: cfg.SMTPFrom}}
	a.Mailer.Register(a.Registry)
	a.Postfach = &postfach.Service{DB: db, Keys: keys, Blobs: a.Blobs, Audit: a.Audit, Cases: postfach.SubmissionCases{DB: db}, Notifier: a.Mailer}
	a.Postfach.OnDecided = a.countDecided
	a.Inbox = &inbox.Service{DB: db, Keys: keys, Audit: a.Audit, Drafts: a.Antraege.Drafts, Postfach: a.Postfach, Models: registry.Model, FC: a.FitConnect}
	// The citizen path: submitted applications go to the authority through
	// the Zustelldienst; its worker runs with Antraege.Delivery.Run.
	a.Antraege.Delivery = &submission.Delivery{DB: db, Keys: keys, Blobs: a.Blobs, Drafts: a.Antraege.Drafts, FC: a.FitConnect,
		Audit: a.Audit, I18n: a.I18n, Log: log, PublicURL: cfg.PublicURL}
	a.Registry.MustRegister(a.Antraege.Delivery.Collectors()...)
	a.Tenants = tenant.New(db, a.Audit, a.Catalog, a.Identity)
	a.Tenants.FeedbackKey = keys.DeriveKey("feedback-form")
	a.Tenants.PublicURL = cfg.PublicURL
	a.Tenants.DestinationExists = a.destinationOf
	a.Tenants.Models = registry
	a.Tenants.Blobs = a.Blobs // uploaded logos
	// Activated services are routed by their activations (one source of
	// truth; see onlinedienst/routing.go).
	a.Antraege.Activations = a.Tenants.RoutingActivation
	if err := a.openPayment(); err != nil { // payment (issue 8)
		return nil, err
	}
	a.Tenants.Payment = feeSettings{a.Payment} // fee and payment parameters of activations
	a.Tenants.Inbox = workspaces{a}            // activations delivering to the built-in inbox
	ok = true
	return a, nil
}

// checkKeys refuses to run with a master key other than the one the
// database was written with. Several processes on one PostgreSQL database
// must share OZGO_MASTER_KEY; a node that created a key file of its own
// would otherwise write data the others cannot read.
func (a *App) checkKeys(ctx context.Context) error {
	entries, err := a.Audit.Recent(ctx, 1)
	if err != nil {
		return err
	}
	if len(entries) == 0 {
		return nil
	}
	kid := entries[0].KeyID
	for _, k := range a.Keys.KIDs() {
		if k == kid {
			return nil
		}
	}
	return fmt.Errorf("the database was written with master key %s, which this process does not have (it has %v): give every ozgo process the same key via OZGO_MASTER_KEY or the data directory's master.key", kid, a.Keys.KIDs())
}

// Close releases the database.
func (a *App) Close() error { return a.DB.Close() }

// Handler builds the complete HTTP handler.
func (a *App) Handler() (http.Handler, error) {
	ui, err := web.New(a.I18n, a.Log, buildinfo.Version())
	if err != nil {
		return nil, err
	}
	writeError := func(w http.ResponseWriter, r *http.Request, err error) {
		if httpx.WantsJSON(r) {
			httpx.WriteProblem(w, r, a.Log, a.I18n, err)
			return
		}
		ui.RenderError(w, r, err)
	}
	notFound := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if httpx.WantsJSON(r) {
			writeError(w, r, errs.E(errs.NotFound, ""))
			return
		}
		ui.NotFound(w, r)
	})
	methodNotAllowed := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if httpx.WantsJSON(r) {
			httpx.WriteProblemObject(w, httpx.Problem{
				Type: httpx.ProblemTypeBase + "method_not_allowed", Status: http.StatusMethodNotAllowed,
				Title: a.I18n.T(i18n.Default, "error.title.method_not_allowed"), Instance: r.URL.Path,
				Detail: a.I18n.T(i18n.Default, "error.detail.method_not_allowed"), RequestID: httpx.RequestID(r.Context()),
			})
			return
		}
		ui.MethodNotAllowed(w, r)
	})
	ui.Catalog = a.Catalog
	ui.Antraege = a.Antraege
	ui.Postfach = a.Postfach
	ui.PublicURL = a.Cfg.PublicURL
	ui.Inbox = a.Inbox
	ui.Tenants = a.Tenants
	a.wirePayment(ui) // payment (issue 8)
	ui.Identity = a.Login
	if ui.Identity == nil {
		ui.Identity = &web.Identity{Service: a.Identity}
	}
	rt := httpx.NewRouter(notFound, methodNotAllowed)
	a.registerOps(rt)
	ui.Register(rt)
	(&api.API{Catalog: a.Catalog, Log: a.Log, I18n: a.I18n, Tenants: a.Tenants}).Register(rt)
	(&httpapi.API{Svc: a.FitConnect, Log: a.Log, I18n: a.I18n}).Register(rt)
	(&backchannel.API{DB: a.DB, FC: a.FitConnect, Postfach: a.Postfach, Blobs: a.Blobs, Log: a.Log, I18n: a.I18n, MaxFile: a.Cfg.MaxUpload}).Register(rt)

	metrics := httpx.NewMetrics(a.Registry)
	limits := a.Limits
	if limits == nil {
		limits = web.DefaultLimits()
	}
	return httpx.Chain(metrics.InFlight(ui.RateLimit(limits, writeError, ui.WithSession(rt))), httpx.Options{
		Log:            a.Log,
		Metrics:        metrics,
		WriteError:     writeError,
		FrameAncestors: a.Cfg.FrameAncestors,
		HSTS:           a.Cfg.HTTPS(),
		TrustedOrigins: a.Cfg.TrustedOrigins,
		// The IdP posts its SAML response cross-site; the response is
		// signed and bound to a pending request and the browser.
		CrossSiteRoutes: []string{"POST /saml/acs"},
	})
}

// registerOps adds the operations endpoints: liveness, readiness, metrics.
func (a *App) registerOps(rt *httpx.Router) {
	rt.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok\n"))
	})
	rt.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if err := a.Ready(r.Context()); err != nil {
			// The reason helps the operator; it holds no secrets.
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = fmt.Fprintf(w, "not ready: %v\n", err)
			return
		}
		_, _ = w.Write([]byte("ready\n"))
	})
	rt.Handle("GET /metrics", httpx.RequireBearer(a.Cfg.MetricsToken, httpx.MetricsHandler(a.Registry)))
}

// Ready checks that this process can serve: not shutting down, database
// reachable, schema at the version this binary expects.
func (a *App) Ready(ctx context.Context) error {
	if a.Draining.Is() {
		return errors.New("shutting down")
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if err := a.DB.Ping(ctx); err != nil {
		return errors.New("database unreachable")
	}
	v, err := a.DB.SchemaVersion(ctx)
	if err != nil {
		return errors.New("database schema unreadable")
	}
	if want := store.LatestVersion(); v != want {
		return fmt.Errorf("database schema at version %d, expected %d", v, want)
	}
	return nil
}

// janitorInterval is how often expired drafts are removed.
const janitorInterval = 15 * time.Minute

// RunJanitor removes expired drafts and their uploaded files, now and then
// every janitorInterval, until ctx ends. Several processes may run it on
// one database; each draft is deleted once.
func (a *App) RunJanitor(ctx context.Context) {
	t := time.NewTicker(janitorInterval)
	defer t.Stop()
	for {
		a.expireDrafts(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (a *App) expireDrafts(ctx context.Context) {
	if err := a.Identity.Purge(ctx); err != nil && ctx.Err() == nil {
		a.Log.Error("purging expired sessions failed", "err", err)
	}
	for {
		n, blobs, err := a.Antraege.Drafts.Expire(ctx)
		for _, id := range blobs {
			if err := a.Blobs.Delete(ctx, id); err != nil {
				a.Log.Warn("expired draft: file not deleted", "blob", id, "err", err)
			}
		}
		if err != nil {
			if ctx.Err() == nil {
				a.Log.Error("expiring drafts failed", "err", err)
			}
			return
		}
		if n > 0 {
			a.Log.Info("expired drafts deleted", "drafts", n, "files", len(blobs))
		}
		if n < 500 {
			return
		}
	}
}

// destinationOf reports whether the FIT-Connect destination id exists and
// belongs to the tenant, for the activation form. It asks as a principal
// of that tenant allowed to manage exactly this destination, so the
// Zustelldienst's own rules decide.
func (a *App) destinationOf(ctx context.Context, tenantID, id string) (bool, error) {
	if tenantID == "" {
		return false, nil
	}
	d, err := a.FitConnect.GetDestination(ctx, fitconnect.Principal{TenantID: tenantID, Scopes: []string{fitconnect.ScopeManage + id}}, id)
	switch {
	case errs.Is(err, errs.NotFound):
		return false, nil
	case err != nil:
		return false, err
	}
	// Only an active destination receives applications (routing skips the
	// others), so an activation must name one.
	return d.TenantID == tenantID && d.Status == fitconnect.DestinationActive, nil
}
