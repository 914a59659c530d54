// Package web renders ozgo's HTML pages: the base layout in KERN UX, the
// start page, the public catalog (Themenfelder, Lebenslagen, Leistungen
// with their Zuständigkeit, search, regions, choosing one's Gemeinde), error
// pages, and the embedded static assets.
//
// Handlers stay thin: they decode the request, call the domain, and render
// a template with a Page. Every user-facing string comes from the i18n
// catalog; templates call {{.T "key"}}.
package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"mime"
	"net/http"
	"path"
	"strings"

	"github.com/ozgo/ozgo/internal/catalog"
	"github.com/ozgo/ozgo/internal/errs"
	"github.com/ozgo/ozgo/internal/httpx"
	"github.com/ozgo/ozgo/internal/i18n"
	"github.com/ozgo/ozgo/internal/identity"
	"github.com/ozgo/ozgo/internal/inbox"
	"github.com/ozgo/ozgo/internal/onlinedienst"
	"github.com/ozgo/ozgo/internal/payment"
	"github.com/ozgo/ozgo/internal/postfach"
	"github.com/ozgo/ozgo/internal/tenant"
)

//go:embed templates
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

func init() {
	// Not every system mime table knows web fonts; the stylesheet's fonts
	// must not be served as octet-stream.
	_ = mime.AddExtensionType(".woff2", "font/woff2")
	_ = mime.AddExtensionType(".woff", "font/woff")
}

// UI holds the parsed templates and assets.
type UI struct {
	cat     *i18n.Catalog
	log     *slog.Logger
	version string
	pages   map[string]*template.Template
	assets  map[string]string // asset path -> short content hash
	static  fs.FS

	// PublicURL is the configured address citizens use
	// (https://service.example.de), "" to take the request's; see absURL.
	PublicURL string

	// Catalog serves the Leistungen and regions pages.
	Catalog *catalog.Service
	// Antraege serves the online services; nil leaves their pages out.
	Antraege *onlinedienst.Antraege
	// Identity serves login, logout and the account pages; nil leaves
	// them out.
	Identity *Identity
	// Postfach serves /postfach and /antraege; nil leaves them out.
	Postfach *postfach.Service
	// Inbox serves the clerk workspace /sachbearbeitung.
	Inbox *inbox.Service
	// Tenants serves the administration, coverage dashboard, status and
	// feedback pages; nil leaves them out.
	Tenants *tenant.Service
	tn      tenantState
	// Payment serves fees and the payment flow (bezahlen.go); nil leaves
	// them out and applications are submitted unpaid.
	Payment *payment.Service
}

// New parses the embedded templates. version is shown in the footer.
func New(cat *i18n.Catalog, log *slog.Logger, version string) (*UI, error) {
	static, err := fs.Sub(staticFS, "static")
	if err != nil {
		return nil, err
	}
	u := &UI{cat: cat, log: log, version: version, pages: map[string]*template.Template{}, assets: map[string]string{}, static: static}
	err = fs.WalkDir(static, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(static, p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		u.assets[p] = hex.EncodeToString(sum[:])[:12]
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("web: hash assets: %w", err)
	}
	funcs := template.FuncMap{
		"asset": u.assetURL,
		"num":   formatInt,
		"dec":   formatDecimal,
		"tel":   telURL,
		"add":   func(a, b int) int { return a + b },
		"list":  func(v ...string) []string { return v },
		// fielderror bundles a field's id and error message for the
		// "fielderror" template (layout/parts.html).
		"fielderror": func(id, msg any) fieldErrorPart { return fieldErrorPart{ID: fmt.Sprint(id), Msg: msg} },
	}
	layout, err := template.New("layout").Funcs(funcs).ParseFS(templateFS, "templates/layout/*.html")
	if err != nil {
		return nil, fmt.Errorf("web: parse layout: %w", err)
	}
	pages, err := fs.Glob(templateFS, "templates/pages/*.html")
	if err != nil {
		return nil, err
	}
	for _, p := range pages {
		t, err := layout.Clone()
		if err != nil {
			return nil, err
		}
		if _, err := t.ParseFS(templateFS, p); err != nil {
			return nil, fmt.Errorf("web: parse %s: %w", p, err)
		}
		u.pages[strings.TrimSuffix(path.Base(p), ".html")] = t
	}
	return u, nil
}

// assetURL returns the URL of a static file with a content hash, so assets
// can be cached for long and still change with a release.
func (u *UI) assetURL(p string) (string, error) {
	h, ok := u.assets[p]
	if !ok {
		return "", fmt.Errorf("web: unknown asset %q", p)
	}
	return "/static/" + p + "?v=" + h, nil
}

// Page is what every template gets.
type Page struct {
	Lang    string
	Title   string // without the site suffix; "" on the start page
	IsError bool   // prefix the title with "Fehler:" (GOV.UK pattern for invalid forms)
	// Section is the main navigation entry the page belongs to ("home",
	// "leistungen", "regionen"); its link gets aria-current.
	Section string
	Version string
	Data    any
	path    string // the request path, set by Render
	ui      *UI
	actor   *identity.Actor
}

// LoggedIn reports whether someone is logged in (for the header).
func (p Page) LoggedIn() bool { return p.actor.LoggedIn() }

// Clerk reports whether staff of a tenant is logged in (the workspace
// in the header).
func (p Page) Clerk() bool {
	return p.actor != nil && p.actor.Kind == identity.KindStaff && p.actor.TenantID != ""
}

// Citizen reports whether a citizen is logged in (Postfach and
// "Meine Anträge" in the header).
func (p Page) Citizen() bool { return p.actor != nil && p.actor.Kind == identity.KindCitizen }

// Acting is the party name shown in the header while a citizen acts for
// someone else ("" otherwise).
func (p Page) Acting() bool { return p.actor != nil && p.actor.ActingAs != "" }

// LoginLink is the login page coming back to the current page.
func (p Page) LoginLink() string {
	if p.path == "/anmelden" || p.path == "/abgemeldet" || p.path == "/abmelden" {
		return "/anmelden"
	}
	return loginURL(p.path, identity.None)
}

// T looks up a message in the page's language.
func (p Page) T(key string, args ...any) string { return p.ui.cat.T(p.Lang, key, args...) }

// N looks up the singular (key.one) or plural (key.other) form of a
// message for the count n; n is its first argument.
func (p Page) N(key string, n int, args ...any) string {
	form := ".other"
	if n == 1 {
		form = ".one"
	}
	return p.T(key+form, append([]any{formatInt(n)}, args...)...)
}

// Ebene names a region level in words.
func (p Page) Ebene(e catalog.Ebene) string { return p.T("region.ebene." + string(e)) }

// Current returns the aria-current value of a navigation link to href in
// section: "page" on that very page, "true" elsewhere in its section, ""
// otherwise.
func (p Page) Current(href, section string) string {
	switch {
	case p.path == href:
		return "page"
	case section != "" && p.Section == section:
		return "true"
	}
	return ""
}

// Part passes the page and one value to a shared template ("pager",
// "breadcrumbs", …), which reads the value as .V and still has .T.
type Part struct {
	Page
	V any
}

// fieldErrorPart is the error of one form field for the "fielderror"
// template: Msg is empty (nothing shown) or the message.
type fieldErrorPart struct {
	ID  string
	Msg any
}

// With bundles the page with v for a shared template.
func (p Page) With(v any) Part { return Part{Page: p, V: v} }

// FullTitle is the document title: "Fehler: Seite – ozgo".
func (p Page) FullTitle() string {
	suffix := p.T("site.title_suffix")
	t := suffix
	if p.Title != "" {
		t = p.Title + " – " + suffix
	}
	if p.IsError {
		t = p.T("site.error_prefix") + ": " + t
	}
	return t
}

// Render writes a full page. It renders into a buffer first so a template
// error becomes a clean 500 page instead of half a page.
func (u *UI) Render(w http.ResponseWriter, r *http.Request, status int, name string, p Page) {
	t, ok := u.pages[name]
	if !ok {
		u.RenderError(w, r, errs.Wrap(errs.Internal, "web.Render", fmt.Errorf("no template %q", name), ""))
		return
	}
	p.ui = u
	p.path = r.URL.Path
	p.actor = identity.ActorFrom(r.Context())
	if p.Lang == "" {
		p.Lang = i18n.Default
	}
	p.Version = u.version
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", p); err != nil {
		if name == "error" {
			// The error page itself failed: last resort, plain text.
			u.log.Error("error page failed to render", "err", err)
			http.Error(w, "Technischer Fehler", http.StatusInternalServerError)
			return
		}
		u.RenderError(w, r, errs.Wrap(errs.Internal, "web.Render "+name, err, ""))
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		_, _ = w.Write(buf.Bytes())
	}
}

// errorData is the error page's content.
type errorData struct {
	Heading   string
	Detail    string
	RequestID string
	ShowRef   bool
}

// RenderError renders the German error page for err, with the status the
// error's code maps to. Internal details stay in the log.
func (u *UI) RenderError(w http.ResponseWriter, r *http.Request, err error) {
	e := httpx.Classify(err)
	status := httpx.Status(e.Code)
	httpx.LogError(r, u.log, err, status)
	msg, args := errs.MessageArgsOf(e)
	u.renderStatus(w, r, status, string(e.Code), msg, args...)
}

func (u *UI) renderStatus(w http.ResponseWriter, r *http.Request, status int, code, message string, args ...any) {
	p := Page{ui: u, Lang: i18n.Default}
	d := errorData{
		Heading:   p.T("error.title." + code),
		Detail:    p.T("error.detail." + code),
		RequestID: httpx.RequestID(r.Context()),
		ShowRef:   status >= 500,
	}
	if message != "" && code != string(errs.Internal) {
		d.Detail = u.cat.Resolve(p.Lang, message, args)
	}
	u.Render(w, r, status, "error", Page{Title: d.Heading, Data: d})
}

// NotFound is the handler for unmatched paths.
func (u *UI) NotFound(w http.ResponseWriter, r *http.Request) {
	u.renderStatus(w, r, http.StatusNotFound, string(errs.NotFound), "")
}

// MethodNotAllowed is the handler for a known path with a wrong method.
func (u *UI) MethodNotAllowed(w http.ResponseWriter, r *http.Request) {
	u.renderStatus(w, r, http.StatusMethodNotAllowed, "method_not_allowed", "")
}

// Register adds the page routes.
func (u *UI) Register(rt *httpx.Router) {
	rt.HandleFunc("GET /{$}", u.home)
	rt.HandleFunc("GET /suche", u.suche)
	rt.HandleFunc("GET /themenfelder/{id}", u.themenfeld)
	rt.HandleFunc("GET /lebenslagen/{id}", u.lebenslage)
	rt.HandleFunc("GET /leistungen/{ref}", u.leistung)
	rt.HandleFunc("GET /ort", u.ortWaehlen)
	rt.HandleFunc("POST /ort", u.ortSetzen)
	rt.HandleFunc("POST /ort/vergessen", u.ortVergessen)
	rt.HandleFunc("GET /regionen", u.regionen)
	rt.HandleFunc("GET /regionen/{ars}", u.region)
	u.registerAntrag(rt)
	u.registerBezahlen(rt)
	u.registerKonto(rt)
	u.registerPostfach(rt)
	u.registerSachbearbeitung(rt)
	u.registerDashboard(rt)
	rt.Handle("GET /static/", http.StripPrefix("/static/", u.staticHandler()))
	// Browsers ask for /favicon.ico on their own; answer with the SVG icon
	// instead of a 404 in every log.
	rt.HandleFunc("GET /favicon.ico", func(w http.ResponseWriter, r *http.Request) {
		r2 := r.Clone(r.Context())
		r2.URL.Path = "/img/favicon.svg"
		r2.URL.RawQuery = ""
		u.staticHandler().ServeHTTP(w, r2)
	})
}

// staticHandler serves embedded assets. Versioned URLs (?v=hash matching
// the content) are cached for a year; others for an hour. Directories are
// not listed.
func (u *UI) staticHandler() http.Handler {
	files := http.FileServerFS(u.static)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := strings.TrimPrefix(path.Clean("/"+r.URL.Path), "/")
		h, ok := u.assets[p]
		if !ok {
			u.NotFound(w, r)
			return
		}
		if r.URL.Query().Get("v") == h {
			w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
		} else {
			w.Header().Set("Cache-Control", "public, max-age=3600")
		}
		w.Header().Set("ETag", `"`+h+`"`)
		files.ServeHTTP(w, r)
	})
}
