package web

// The public status page (/status), the operators' announcements of
// maintenance and incidents (/verwaltung/betrieb) with the site-wide
// banner, the feedback form of every online service, and the embeddable
// page of an active online service.

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ozgo/ozgo/internal/catalog"
	"github.com/ozgo/ozgo/internal/errs"
	"github.com/ozgo/ozgo/internal/identity"
	"github.com/ozgo/ozgo/internal/tenant"
)

// tenantState is the pages' small in-memory state: the banner cache and
// the feedback rate limit. The zero value is ready.
type tenantState struct {
	mu        sync.Mutex
	banner    []tenant.Announcement
	bannerAt  time.Time
	posts     map[string][]time.Time // keyed hash of the address -> recent posts
	postsSeen time.Time
}

// bannerTTL is how long the banner is cached: announcements are rare, and
// every page shows the banner.
const bannerTTL = 30 * time.Second

// Banner returns the announcements for the banner on every page.
func (p Page) Banner() []tenant.Announcement {
	u := p.ui
	if u == nil || u.Tenants == nil {
		return nil
	}
	u.tn.mu.Lock()
	defer u.tn.mu.Unlock()
	if time.Since(u.tn.bannerAt) > bannerTTL {
		// A database hiccup must not break every page: keep the old banner.
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		if _, b, err := u.Tenants.Announcements(ctx); err == nil {
			u.tn.banner, u.tn.bannerAt = b, time.Now()
		}
	}
	return u.tn.banner
}

// Feedback rate limit per address: a few ratings per hour are plenty for
// a person, and a bot gets nowhere.
const (
	feedbackPerHour = 5
	feedbackWindow  = time.Hour
)

// allowFeedback counts a post from addr. Addresses are kept only as keyed
// hashes and only for the window.
func (u *UI) allowFeedback(addr string) bool {
	m := hmac.New(sha256.New, u.Tenants.FeedbackKey)
	m.Write([]byte(addr))
	key := hex.EncodeToString(m.Sum(nil))
	now := time.Now()
	u.tn.mu.Lock()
	defer u.tn.mu.Unlock()
	if u.tn.posts == nil || now.Sub(u.tn.postsSeen) > feedbackWindow {
		u.tn.posts, u.tn.postsSeen = map[string][]time.Time{}, now
	}
	var recent []time.Time
	for _, t := range u.tn.posts[key] {
		if now.Sub(t) < feedbackWindow {
			recent = append(recent, t)
		}
	}
	if len(recent) >= feedbackPerHour {
		u.tn.posts[key] = recent
		return false
	}
	u.tn.posts[key] = append(recent, now)
	return true
}

type statusData struct {
	Healthy       bool
	Announcements []tenant.Announcement
	Now           time.Time
	Operator      bool
}

// status is GET /status: the public status page.
func (u *UI) status(w http.ResponseWriter, r *http.Request) {
	d := &statusData{Healthy: u.Tenants.DB.Ping(r.Context()) == nil, Now: time.Now()}
	cur, _, err := u.Tenants.Announcements(r.Context())
	if err != nil {
		u.RenderError(w, r, err)
		return
	}
	d.Announcements = cur
	d.Operator = identity.ActorFrom(r.Context()).Has(identity.RoleOperator)
	u.Render(w, r, http.StatusOK, "status", Page{Title: u.t("status.title"), Data: d})
}

type betriebData struct {
	Kind, Message, Start, End string
	Open                      []tenant.Announcement
	Errors                    []fieldError
	Err                       map[string]string
	Fokus                     string // the Fokusleistungen as "LeiKa;Name" lines
	FokusLines                []lineErrorView
}

// dateTimeLayout is what <input type="datetime-local"> sends.
const dateTimeLayout = "2006-01-02T15:04"

var berlin = func() *time.Location {
	l, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		return time.UTC
	}
	return l
}()

func (u *UI) betriebPage(w http.ResponseWriter, r *http.Request, status int, d *betriebData) {
	cur, _, err := u.Tenants.Announcements(r.Context())
	if err != nil {
		u.RenderError(w, r, err)
		return
	}
	for _, a := range cur {
		if a.Kind == tenant.Incident && a.Ends.IsZero() {
			d.Open = append(d.Open, a)
		}
	}
	if d.FokusLines == nil {
		fs, err := u.Tenants.Fokusleistungen(r.Context())
		if err != nil {
			u.RenderError(w, r, err)
			return
		}
		var b strings.Builder
		for _, f := range fs {
			b.WriteString(f.LeiKa + ";" + f.Name + "\n")
		}
		d.Fokus = b.String()
	}
	u.Render(w, r, status, "betrieb", Page{Title: u.t("ops.title"), IsError: len(d.Errors) > 0, Section: "konto", Data: d})
}

// betrieb is GET /verwaltung/betrieb: announce maintenance or incidents.
func (u *UI) betrieb(w http.ResponseWriter, r *http.Request) {
	_, ok := u.requireRole(w, r, identity.RoleOperator)
	if !ok {
		return
	}
	u.betriebPage(w, r, http.StatusOK, &betriebData{Kind: tenant.Maintenance})
}

// betriebPost is POST /verwaltung/betrieb.
func (u *UI) betriebPost(w http.ResponseWriter, r *http.Request) {
	a, ok := u.requireRole(w, r, identity.RoleOperator)
	if !ok {
		return
	}
	if id := r.PostFormValue("beenden"); id != "" {
		n, err := strconv.ParseInt(id, 10, 64)
		if err != nil {
			u.RenderError(w, r, errs.E(errs.BadRequest, ""))
			return
		}
		if err := u.Tenants.EndIncident(r.Context(), a, n); err != nil {
			u.RenderError(w, r, err)
			return
		}
		u.tn.mu.Lock()
		u.tn.bannerAt = time.Time{}
		u.tn.mu.Unlock()
		http.Redirect(w, r, "/verwaltung?hinweis=betrieb", http.StatusSeeOther)
		return
	}
	d := &betriebData{Kind: r.PostFormValue("art"), Message: r.PostFormValue("text"), Start: r.PostFormValue("beginn"), End: r.PostFormValue("ende")}
	an := tenant.Announcement{Kind: d.Kind, Message: d.Message}
	var es []*errs.Error
	start, err := time.ParseInLocation(dateTimeLayout, d.Start, berlin)
	if err != nil {
		es = append(es, errs.FieldError("beginn", "ops.error.start"))
	}
	an.Starts = start
	if d.End != "" {
		end, err := time.ParseInLocation(dateTimeLayout, d.End, berlin)
		if err != nil {
			es = append(es, errs.FieldError("ende", "status.error.window"))
		}
		an.Ends = end
	}
	if len(es) == 0 {
		err := u.Tenants.Announce(r.Context(), a, an)
		if es = asFieldErrors(err); es == nil && err != nil {
			u.RenderError(w, r, err)
			return
		}
	}
	if len(es) > 0 {
		d.Errors, d.Err = u.fieldErrors(es)
		u.betriebPage(w, r, http.StatusUnprocessableEntity, d)
		return
	}
	u.tn.mu.Lock()
	u.tn.bannerAt = time.Time{}
	u.tn.mu.Unlock()
	http.Redirect(w, r, "/verwaltung?hinweis=betrieb", http.StatusSeeOther)
}

type bewertungData struct {
	Slug, Title, ARS string
	Token            string
	Stars            string
	Comment          string
	Errors           []fieldError
	Err              map[string]string
	Done             bool
	MaxComment       int
}

// bewertung is GET /onlinedienste/{slug}/bewertung: 1–5 stars and an
// optional text, no login, no cookie.
func (u *UI) bewertung(w http.ResponseWriter, r *http.Request) {
	v, ok := u.published(w, r)
	if !ok {
		return
	}
	ars := r.URL.Query().Get("ars")
	if !catalog.ValidARS(ars) {
		ars = ""
	}
	d := &bewertungData{Slug: v.Slug, Title: v.Title, ARS: ars, Token: u.Tenants.FeedbackToken(v.Slug), MaxComment: tenant.MaxComment,
		Done: r.URL.Query().Get("hinweis") == "danke"}
	u.Render(w, r, http.StatusOK, "bewertung", Page{Title: u.t("feedback.title", v.Title), Data: d})
}

// bewertungPost is POST /onlinedienste/{slug}/bewertung. Spam is kept out
// without tracking: a signed, time-stamped form token (too fast or too old
// is refused), a honeypot field people never see, and a rate limit per
// address kept only as a keyed hash for an hour.
func (u *UI) bewertungPost(w http.ResponseWriter, r *http.Request) {
	v, ok := u.published(w, r)
	if !ok {
		return
	}
	ars := r.PostFormValue("ars")
	if !catalog.ValidARS(ars) {
		ars = ""
	}
	d := &bewertungData{Slug: v.Slug, Title: v.Title, ARS: ars, Stars: r.PostFormValue("sterne"), Comment: r.PostFormValue("kommentar"), MaxComment: tenant.MaxComment}
	var es []*errs.Error
	if r.PostFormValue("website") != "" {
		// The honeypot: only bots fill it. Answer as if it worked.
		http.Redirect(w, r, "/onlinedienste/"+v.Slug+"/bewertung?hinweis=danke", http.StatusSeeOther)
		return
	}
	if err := u.Tenants.CheckFeedbackToken(v.Slug, r.PostFormValue("token")); err != nil {
		es = append(es, errs.FieldError("sterne-1", errs.MessageOf(err)))
	} else if !u.allowFeedback(clientAddr(r)) {
		es = append(es, errs.FieldError("sterne-1", "feedback.error.rate"))
	}
	stars, _ := strconv.Atoi(d.Stars)
	if len(es) == 0 {
		err := u.Tenants.AddFeedback(r.Context(), tenant.Feedback{Slug: v.Slug, GemeindeARS: ars, Stars: stars, Comment: d.Comment})
		if es = asFieldErrors(err); es == nil && err != nil {
			u.RenderError(w, r, err)
			return
		}
		for _, e := range es {
			if e.Field == "sterne" {
				e.Field = "sterne-1"
			}
		}
	}
	if len(es) > 0 {
		d.Token = u.Tenants.FeedbackToken(v.Slug)
		d.Errors, d.Err = u.fieldErrors(es)
		u.Render(w, r, http.StatusUnprocessableEntity, "bewertung", Page{Title: u.t("feedback.title", v.Title), IsError: true, Data: d})
		return
	}
	http.Redirect(w, r, "/onlinedienste/"+v.Slug+"/bewertung?hinweis=danke", http.StatusSeeOther)
}

type gemeindeDienstData struct {
	Version    *tenant.Version
	Activation *tenant.Activation
	Fee        *feeView // the fee as the payment settings define it
	Gemeinde   catalog.Region
	Tenant     tenant.Tenant
	Start      string // the online service's start page
	Rating     string // its feedback form
	Crumbs     []crumb
}

// gemeindeDienst loads an online service live in a Gemeinde.
func (u *UI) gemeindeDienst(w http.ResponseWriter, r *http.Request) (*gemeindeDienstData, bool) {
	ctx := r.Context()
	slug, ars := r.PathValue("slug"), r.PathValue("ars")
	act, err := u.Tenants.Activation(ctx, slug, ars)
	if err != nil || !act.Live {
		u.NotFound(w, r)
		return nil, false
	}
	v, err := u.Tenants.PublishedVersion(ctx, slug)
	if err != nil {
		u.RenderError(w, r, err)
		return nil, false
	}
	t, err := u.Tenants.Tenant(ctx, act.TenantID)
	if err != nil {
		u.RenderError(w, r, err)
		return nil, false
	}
	sn, err := u.snapshot(r)
	if err != nil {
		u.RenderError(w, r, err)
		return nil, false
	}
	g, err := sn.Region(ars)
	if err != nil {
		u.RenderError(w, r, err)
		return nil, false
	}
	fee, err := u.feeView(ctx, slug, act.TenantID)
	if err != nil {
		u.RenderError(w, r, err)
		return nil, false
	}
	return &gemeindeDienstData{Version: v, Activation: act, Fee: fee, Gemeinde: g, Tenant: t, Start: "/onlinedienste/" + slug,
		Rating: "/onlinedienste/" + slug + "/bewertung?ars=" + ars}, true
}

// onlinedienstGemeinde is GET /onlinedienste/{slug}/gemeinden/{ars}: the
// stable page of an online service in one Gemeinde, with what its
// activation says (authority, fee, contact, processing time).
func (u *UI) onlinedienstGemeinde(w http.ResponseWriter, r *http.Request) {
	d, ok := u.gemeindeDienst(w, r)
	if !ok {
		return
	}
	d.Crumbs = []crumb{{Name: u.t("home.title"), URL: "/"}, {Name: u.t("onlinedienste.title"), URL: "/onlinedienste"}, {Name: d.Version.Title, URL: d.Start}, {Name: d.Gemeinde.Name}}
	u.Render(w, r, http.StatusOK, "onlinedienst_gemeinde", Page{Title: u.t("gemeindedienst.title", d.Version.Title, d.Gemeinde.ShortName()), Section: "onlinedienste", Data: d})
}

// einbetten is GET /einbetten/{slug}/{ars}: a small page for the iframe on
// a municipal website, framable only by the tenant's embed origin.
func (u *UI) einbetten(w http.ResponseWriter, r *http.Request) {
	d, ok := u.gemeindeDienst(w, r)
	if !ok {
		return
	}
	if o := d.Tenant.Profile.EmbedOrigin; o != "" && tenant.ValidOrigin(o) {
		csp := w.Header().Get("Content-Security-Policy")
		if i := strings.Index(csp, "frame-ancestors "); i >= 0 {
			rest := csp[i:]
			end := strings.Index(rest, ";")
			if end < 0 {
				end = len(rest)
			}
			w.Header().Set("Content-Security-Policy", csp[:i]+"frame-ancestors 'self' "+o+rest[end:])
		}
	}
	u.Render(w, r, http.StatusOK, "einbetten", Page{Title: d.Version.Title, Data: d})
}

// FeedbackOn reports whether the feedback form exists (for links to it
// from other pages).
func (p Page) FeedbackOn() bool { return p.ui != nil && p.ui.Tenants != nil }

// field is one input of the administration forms (template "tn-input" or
// "tn-radios").
type field struct {
	ID, Name, Label, Hint, Value, Error, Type, Class, Autocomplete string
	Options                                                        []option
}

// Input describes a text input for the template "tn-input"; the id is
// also the name.
func (p Page) Input(id, label, hint, value, err, typ string) field {
	return field{ID: id, Name: id, Label: label, Hint: hint, Value: value, Error: err, Type: typ}
}

// Radios describes a group of radio buttons for "tn-radios".
func (p Page) Radios(id, label, hint, value, err string, opts []option) field {
	return field{ID: id, Name: id, Label: label, Hint: hint, Value: value, Error: err, Options: opts}
}

// When formats a time in German local time: "26.11.2026, 14:00 Uhr".
func (p Page) When(t time.Time) string {
	return t.In(berlin).Format("02.01.2006, 15:04") + " Uhr"
}

// AdminBack is the back link to the administration's start page.
func (p Page) AdminBack() crumb { return crumb{Name: p.T("admin.back"), URL: "/verwaltung"} }

// AccentOptions are the tenant colours as radio options.
func (p Page) AccentOptions() []option {
	var out []option
	for _, a := range tenant.Accents {
		out = append(out, option{a, p.T("profile.accent." + a)})
	}
	return out
}

// GemeindeOptions are Gemeinden as radio options.
func (p Page) GemeindeOptions(gs []catalog.Region) []option {
	var out []option
	for _, g := range gs {
		out = append(out, option{g.ARS, g.Name})
	}
	return out
}

// KindOptions are the announcement kinds as radio options.
func (p Page) KindOptions() []option {
	return []option{{tenant.Maintenance, p.T("status.kind.wartung")}, {tenant.Incident, p.T("status.kind.stoerung")}}
}

// StarOptions are the ratings 1–5 as radio options.
func (p Page) StarOptions() []option {
	var out []option
	for i := 1; i <= 5; i++ {
		out = append(out, option{strconv.Itoa(i), p.T("feedback.star", i)})
	}
	return out
}

// Named gives a field another form name than its id.
func (p Page) Named(name string, f field) field { f.Name = name; return f }

// Fee formats cents as euros: "12,50 €".
func (p Page) Fee(cents int64) string { return tenant.FormatFee(cents) + " €" }

// Tenths formats tenths as a German decimal: 45 → "4,5".
func (p Page) Tenths(n int) string { return strconv.Itoa(n/10) + "," + strconv.Itoa(n%10) }

// LevelName names a Reifegrad on the dashboard; 0 stands for "no online
// service activated" (see buildMap).
func (p Page) LevelName(l int) string {
	if l < 2 {
		return p.T("dashboard.level.none")
	}
	return p.T("maturity.level." + strconv.Itoa(l))
}

// fokusPost is POST /verwaltung/fokusleistungen: replace the list.
func (u *UI) fokusPost(w http.ResponseWriter, r *http.Request) {
	a, ok := u.requireRole(w, r, identity.RoleOperator)
	if !ok {
		return
	}
	text := r.PostFormValue("fokus")
	fs, lerrs := tenant.ParseFokus(text)
	if len(lerrs) == 0 && len(fs) == 0 {
		lerrs = []tenant.LineError{{Line: 1, Err: errs.FieldError("fokus", "tenant.error.fokus_empty")}}
	}
	if len(lerrs) > 0 {
		d := &betriebData{Kind: tenant.Maintenance, Fokus: text}
		for _, le := range lerrs {
			d.FokusLines = append(d.FokusLines, lineErrorView{Line: le.Line, Message: u.cat.Resolve("de", le.Err.Message, le.Err.Args)})
		}
		d.Errors = []fieldError{{Field: "fokus", Message: u.t("ops.fokus.error", len(lerrs))}}
		d.Err = map[string]string{"fokus": d.Errors[0].Message}
		u.betriebPage(w, r, http.StatusUnprocessableEntity, d)
		return
	}
	if err := u.Tenants.SetFokusleistungen(r.Context(), a, fs); err != nil {
		u.RenderError(w, r, err)
		return
	}
	http.Redirect(w, r, "/verwaltung?hinweis=betrieb", http.StatusSeeOther)
}

// lineErrorTable is a table of errors by line (template "tn-lineerrors").
type lineErrorTable struct {
	Caption string
	Lines   []lineErrorView
}

// LineErrors bundles errors by line with the table's caption.
func (p Page) LineErrors(caption string, lines []lineErrorView) lineErrorTable {
	return lineErrorTable{Caption: caption, Lines: lines}
}

// countStatistic adds one to the monthly counter kind (tenant.StatStarted,
// tenant.StatSubmitted, …) of the online service slug in the Gemeinde the
// applicant chose (none: counted without a Gemeinde). The form runtime
// calls it when an application is started and submitted. Counting must
// never stand in the way of an application: a failure is only logged.
func (u *UI) countStatistic(r *http.Request, slug, kind string) {
	if u.Tenants == nil {
		return
	}
	ars := ""
	if sn, err := u.snapshot(r); err == nil {
		if g := chosenOrt(r, sn); g != nil {
			ars = g.ARS
		}
	}
	if err := u.Tenants.Count(r.Context(), slug, ars, kind); err != nil {
		u.log.Warn("statistics counter not updated", "service", slug, "kind", kind, "err", err)
	}
}
