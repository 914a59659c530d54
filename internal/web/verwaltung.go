package web

// The administration pages for staff (/verwaltung): operators create
// tenants with their first admin and announce maintenance; tenant admins
// activate published online services for their Gemeinden (one by one or
// from a CSV file), see the Reifegrad with what is missing, copy the embed
// snippet, and read statistics and feedback.

import (
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/ozgo/ozgo/internal/catalog"
	"github.com/ozgo/ozgo/internal/errs"
	"github.com/ozgo/ozgo/internal/httpx"
	"github.com/ozgo/ozgo/internal/identity"
	"github.com/ozgo/ozgo/internal/maturity"
	"github.com/ozgo/ozgo/internal/tenant"
)

// maxCSVUpload bounds a bulk activation upload.
const maxCSVUpload = 2 << 20

func (u *UI) registerVerwaltung(rt *httpx.Router) {
	rt.HandleFunc("GET /verwaltung", u.verwaltung)
	rt.HandleFunc("GET /verwaltung/mandanten/neu", u.mandantNeu)
	rt.HandleFunc("POST /verwaltung/mandanten/neu", u.mandantNeuPost)
	rt.HandleFunc("GET /verwaltung/profil", u.profil)
	rt.HandleFunc("POST /verwaltung/profil", u.profilPost)
	rt.HandleFunc("GET /verwaltung/onlinedienste/{slug}/aktivieren", u.aktivieren)
	rt.HandleFunc("POST /verwaltung/onlinedienste/{slug}/aktivieren", u.aktivierenPost)
	rt.HandleFunc("GET /verwaltung/onlinedienste/{slug}/sammelaktivierung", u.sammel)
	rt.HandleFunc("POST /verwaltung/onlinedienste/{slug}/sammelaktivierung", u.sammelPost, httpx.BodyLimit(maxCSVUpload+64<<10))
	rt.HandleFunc("GET /verwaltung/onlinedienste/{slug}/gemeinden/{ars}", u.reifegrad)
	rt.HandleFunc("POST /verwaltung/onlinedienste/{slug}/gemeinden/{ars}/deaktivieren", u.deaktivieren)
	rt.HandleFunc("GET /verwaltung/statistik", u.statistik)
	rt.HandleFunc("GET /verwaltung/statistik.csv", u.statistikCSV)
	rt.HandleFunc("GET /verwaltung/betrieb", u.betrieb)
	rt.HandleFunc("POST /verwaltung/betrieb", u.betriebPost)
	rt.HandleFunc("POST /verwaltung/fokusleistungen", u.fokusPost)
	rt.HandleFunc("GET /onlinedienste/{slug}/bewertung", u.bewertung)
	rt.HandleFunc("POST /onlinedienste/{slug}/bewertung", u.bewertungPost, httpx.BodyLimit(16<<10))
	rt.HandleFunc("GET /einbetten/{slug}/{ars}", u.einbetten)
	rt.HandleFunc("GET /onlinedienste/{slug}/gemeinden/{ars}", u.onlinedienstGemeinde)
	u.registerDienste(rt)
	u.registerLogo(rt)
}

// requireStaff sends a browser without a staff session to the staff login
// and answers 404 to citizens.
func (u *UI) requireStaff(w http.ResponseWriter, r *http.Request) (*identity.Actor, bool) {
	a := identity.ActorFrom(r.Context())
	if !a.LoggedIn() {
		ret := r.URL.Path
		if r.Method == http.MethodGet && r.URL.RawQuery != "" {
			ret += "?" + r.URL.RawQuery
		}
		http.Redirect(w, r, "/mitarbeiter/anmelden?return="+url.QueryEscape(ret), http.StatusSeeOther)
		return nil, false
	}
	if a.Kind != identity.KindStaff {
		u.NotFound(w, r)
		return nil, false
	}
	return a, true
}

// requireTenantAdmin is requireStaff for a tenant's admins.
func (u *UI) requireTenantAdmin(w http.ResponseWriter, r *http.Request) (*identity.Actor, tenant.Tenant, bool) {
	a, ok := u.requireStaff(w, r)
	if !ok {
		return nil, tenant.Tenant{}, false
	}
	if !a.Has(identity.RoleTenantAdmin) || a.TenantID == "" {
		u.NotFound(w, r)
		return nil, tenant.Tenant{}, false
	}
	t, err := u.Tenants.Tenant(r.Context(), a.TenantID)
	if err != nil {
		u.RenderError(w, r, err)
		return nil, t, false
	}
	return a, t, true
}

// fieldErrors turns domain errors into the error summary and the messages
// by field.
func (u *UI) fieldErrors(es []*errs.Error) ([]fieldError, map[string]string) {
	var out []fieldError
	by := map[string]string{}
	for _, e := range es {
		msg := u.cat.Resolve("de", e.Message, e.Args)
		if _, dup := by[e.Field]; dup {
			continue
		}
		by[e.Field] = msg
		out = append(out, fieldError{Field: e.Field, Message: msg})
	}
	return out, by
}

// asFieldErrors returns the field errors in err, or nil when err is of
// another kind.
func asFieldErrors(err error) []*errs.Error {
	var e *errs.Error
	if errors.As(err, &e) && e.Field != "" {
		return []*errs.Error{e}
	}
	return nil
}

type activationRow struct {
	*tenant.Activation
	Title    string
	Gemeinde string
	Level    int
}

type serviceRow struct {
	*tenant.Version
	Active int
}

type verwaltungData struct {
	Actor       *identity.Actor
	Tenant      tenant.Tenant
	Tenants     []tenant.Tenant
	Services    []serviceRow
	Activations []activationRow
	Gemeinden   int
	Notice      string
}

// verwaltung is GET /verwaltung: the start page of the administration.
func (u *UI) verwaltung(w http.ResponseWriter, r *http.Request) {
	a, ok := u.requireStaff(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	d := &verwaltungData{Actor: a, Notice: noticeText(u, r)}
	if a.Has(identity.RoleOperator) {
		ts, err := u.Tenants.Tenants(ctx)
		if err != nil {
			u.RenderError(w, r, err)
			return
		}
		d.Tenants = ts
	}
	if a.Has(identity.RoleTenantAdmin) && a.TenantID != "" {
		t, err := u.Tenants.Tenant(ctx, a.TenantID)
		if err != nil {
			u.RenderError(w, r, err)
			return
		}
		d.Tenant = t
		sn, err := u.snapshot(r)
		if err != nil {
			u.RenderError(w, r, err)
			return
		}
		if t.ARS != "" {
			d.Gemeinden = sn.CountGemeinden(t.ARS)
		}
		vs, err := u.Tenants.PublishedVersions(ctx)
		if err != nil {
			u.RenderError(w, r, err)
			return
		}
		acts, err := u.Tenants.TenantActivations(ctx, t.ID)
		if err != nil {
			u.RenderError(w, r, err)
			return
		}
		titles := map[string]*tenant.Version{}
		for _, v := range vs {
			titles[v.Slug] = v
			n := 0
			for _, act := range acts {
				if act.Slug == v.Slug && act.Live {
					n++
				}
			}
			d.Services = append(d.Services, serviceRow{Version: v, Active: n})
		}
		for _, act := range acts {
			row := activationRow{Activation: act, Gemeinde: act.GemeindeARS}
			if g, err := sn.Region(act.GemeindeARS); err == nil {
				row.Gemeinde = g.Name
			}
			if v := titles[act.Slug]; v != nil {
				row.Title = v.Title
				lvl, err := u.Tenants.Level(ctx, v, act)
				if err != nil {
					u.RenderError(w, r, err)
					return
				}
				row.Level = lvl
			}
			d.Activations = append(d.Activations, row)
		}
	}
	u.Render(w, r, http.StatusOK, "verwaltung", Page{Title: u.t("admin.title"), Section: "konto", Data: d})
}

// noticeText is the success message named by ?hinweis= after a redirect.
func noticeText(u *UI, r *http.Request) string {
	switch h := r.URL.Query().Get("hinweis"); h {
	case "mandant", "profil", "sammel", "aktiviert", "deaktiviert", "betrieb", "bewertung", "logo", "logo_entfernt":
		return u.t("admin.notice." + h)
	}
	return ""
}

type mandantData struct {
	In     tenant.NewTenant
	Errors []fieldError
	Err    map[string]string
}

// mandantNeu is GET /verwaltung/mandanten/neu: the operator's form.
func (u *UI) mandantNeu(w http.ResponseWriter, r *http.Request) {
	_, ok := u.requireRole(w, r, identity.RoleOperator)
	if !ok {
		return
	}
	u.Render(w, r, http.StatusOK, "mandant_neu", Page{Title: u.t("tenant.new.title"), Section: "konto", Data: &mandantData{}})
}

// mandantNeuPost is POST /verwaltung/mandanten/neu.
func (u *UI) mandantNeuPost(w http.ResponseWriter, r *http.Request) {
	a, ok := u.requireRole(w, r, identity.RoleOperator)
	if !ok {
		return
	}
	in := tenant.NewTenant{ID: strings.TrimSpace(r.PostFormValue("id")), Name: r.PostFormValue("name"), ARS: strings.TrimSpace(r.PostFormValue("ars")),
		AdminEmail: strings.TrimSpace(r.PostFormValue("email")), AdminName: r.PostFormValue("admin-name"), AdminPassw: r.PostFormValue("password")}
	es := u.Tenants.CheckNewTenant(r.Context(), in)
	if len(es) == 0 {
		err := u.Tenants.CreateTenant(r.Context(), a, in)
		if es = asFieldErrors(err); es == nil && err != nil {
			u.RenderError(w, r, err)
			return
		}
	}
	if len(es) > 0 {
		d := &mandantData{In: in}
		d.In.AdminPassw = ""
		d.Errors, d.Err = u.fieldErrors(es)
		u.Render(w, r, http.StatusUnprocessableEntity, "mandant_neu", Page{Title: u.t("tenant.new.title"), IsError: true, Section: "konto", Data: d})
		return
	}
	http.Redirect(w, r, "/verwaltung?hinweis=mandant", http.StatusSeeOther)
}

type profilData struct {
	Notice  string
	Tenant  tenant.Tenant
	P       tenant.Profile
	Accents []string
	Errors  []fieldError
	Err     map[string]string
}

// profil is GET /verwaltung/profil: the tenant's details and branding.
func (u *UI) profil(w http.ResponseWriter, r *http.Request) {
	_, t, ok := u.requireTenantAdmin(w, r)
	if !ok {
		return
	}
	u.Render(w, r, http.StatusOK, "profil", Page{Title: u.t("profile.title"), Section: "konto", Data: &profilData{Tenant: t, P: t.Profile, Accents: tenant.Accents, Notice: noticeText(u, r)}})
}

// profilPost is POST /verwaltung/profil.
func (u *UI) profilPost(w http.ResponseWriter, r *http.Request) {
	a, t, ok := u.requireTenantAdmin(w, r)
	if !ok {
		return
	}
	// The logo is uploaded separately (mandant_logo.go); the old logo URL
	// field is gone because the CSP shows images from ozgo only.
	p := tenant.Profile{TenantID: t.ID, DisplayName: r.PostFormValue("display-name"), LogoURL: t.Profile.LogoURL,
		Accent: r.PostFormValue("accent"), PrivacyURL: strings.TrimSpace(r.PostFormValue("privacy")), ImprintURL: strings.TrimSpace(r.PostFormValue("imprint")),
		EmbedOrigin: strings.TrimSpace(r.PostFormValue("embed-origin"))}
	es := tenant.CheckProfile(p)
	if len(es) == 0 {
		err := u.Tenants.SaveProfile(r.Context(), a, p)
		if es = asFieldErrors(err); es == nil && err != nil {
			u.RenderError(w, r, err)
			return
		}
	}
	if len(es) > 0 {
		d := &profilData{Tenant: t, P: p, Accents: tenant.Accents}
		d.Errors, d.Err = u.fieldErrors(es)
		u.Render(w, r, http.StatusUnprocessableEntity, "profil", Page{Title: u.t("profile.title"), IsError: true, Section: "konto", Data: d})
		return
	}
	http.Redirect(w, r, "/verwaltung?hinweis=profil", http.StatusSeeOther)
}

type option struct {
	Value, Label string
}

type aktivierungData struct {
	Tenant     tenant.Tenant
	Version    *tenant.Version
	In         tenant.ActivationInput
	Fee        *feeView
	Deliveries []option
	Levels     []option
	Gemeinden  []catalog.Region // the tenant's Gemeinden when few
	Errors     []fieldError
	Err        map[string]string
}

// maxGemeindenChoice is up to how many Gemeinden the form offers them as
// a list; beyond, the ARS is typed.
const maxGemeindenChoice = 60

func (u *UI) aktivierungForm(r *http.Request, t tenant.Tenant, v *tenant.Version) (*aktivierungData, error) {
	fee, err := u.feeView(r.Context(), v.Slug, t.ID)
	if err != nil {
		return nil, err
	}
	d := &aktivierungData{Tenant: t, Version: v, Fee: fee}
	for _, k := range []string{tenant.DeliveryPDF, tenant.DeliveryInbox, tenant.DeliveryDestination} {
		d.Deliveries = append(d.Deliveries, option{k, u.t("activation.delivery." + k)})
	}
	for _, l := range []identity.TrustLevel{identity.None, identity.Niedrig, identity.Substantiell, identity.Hoch} {
		if l >= v.MinTrustLevel {
			d.Levels = append(d.Levels, option{l.String(), u.t("activation.level." + l.String())})
		}
	}
	sn, err := u.snapshot(r)
	if err != nil {
		return nil, err
	}
	if t.ARS != "" && sn.CountGemeinden(t.ARS) <= maxGemeindenChoice {
		for _, g := range sn.Regionen {
			if g.Ebene == catalog.Gemeinde && strings.HasPrefix(g.ARS, t.ARS) {
				d.Gemeinden = append(d.Gemeinden, g)
			}
		}
	}
	return d, nil
}

// inputOf turns a stored activation back into form input.
func inputOf(a *tenant.Activation) tenant.ActivationInput {
	in := tenant.ActivationInput{ARS: a.GemeindeARS, Authority: a.Authority, Delivery: a.Delivery, DestinationID: a.DestinationID,
		ContactEmail: a.ContactEmail, ContactPhone: a.ContactPhone,
		OpeningHoursURL: a.OpeningHoursURL, TrustLevel: a.TrustLevel.String()}
	if a.ProcessingDays > 0 {
		in.ProcessingDays = strconv.Itoa(a.ProcessingDays)
	}
	if a.PostfachAnswers {
		in.Postfach = "ja"
	}
	return in
}

// aktivieren is GET /verwaltung/onlinedienste/{slug}/aktivieren[?ars=]:
// the parameters of one Gemeinde, prefilled from its activation if any.
func (u *UI) aktivieren(w http.ResponseWriter, r *http.Request) {
	_, t, ok := u.requireTenantAdmin(w, r)
	if !ok {
		return
	}
	v, ok := u.published(w, r)
	if !ok {
		return
	}
	d, err := u.aktivierungForm(r, t, v)
	if err != nil {
		u.RenderError(w, r, err)
		return
	}
	d.In = tenant.ActivationInput{Delivery: tenant.DeliveryPDF, TrustLevel: v.MinTrustLevel.String()}
	if len(d.Gemeinden) == 1 {
		d.In.ARS = d.Gemeinden[0].ARS
	}
	if ars := r.URL.Query().Get("ars"); ars != "" {
		d.In.ARS = ars
		if act, err := u.Tenants.Activation(r.Context(), v.Slug, ars); err == nil && act.TenantID == t.ID {
			d.In = inputOf(act)
		}
	}
	u.Render(w, r, http.StatusOK, "aktivierung", Page{Title: u.t("activation.title", v.Title), Section: "konto", Data: d})
}

// aktivierenPost is POST /verwaltung/onlinedienste/{slug}/aktivieren.
func (u *UI) aktivierenPost(w http.ResponseWriter, r *http.Request) {
	a, t, ok := u.requireTenantAdmin(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	v, ok := u.published(w, r)
	if !ok {
		return
	}
	f := r.PostFormValue
	in := tenant.ActivationInput{ARS: strings.TrimSpace(f("ars")), Authority: f("behoerde"), Delivery: f("zustellung"), DestinationID: f("zustellpunkt"),
		ContactEmail: f("email"), ContactPhone: f("telefon"), ProcessingDays: f("bearbeitungstage"),
		OpeningHoursURL: f("oeffnungszeiten"), Postfach: f("postfach"), TrustLevel: f("vertrauensniveau")}
	act, es, err := u.Tenants.Activate(ctx, a, t.ID, in, v.Slug)
	if err != nil {
		u.RenderError(w, r, err)
		return
	}
	if len(es) > 0 {
		d, err := u.aktivierungForm(r, t, v)
		if err != nil {
			u.RenderError(w, r, err)
			return
		}
		d.In = in
		d.Errors, d.Err = u.fieldErrors(es)
		u.Render(w, r, http.StatusUnprocessableEntity, "aktivierung", Page{Title: u.t("activation.title", v.Title), IsError: true, Section: "konto", Data: d})
		return
	}
	http.Redirect(w, r, "/verwaltung/onlinedienste/"+v.Slug+"/gemeinden/"+act.GemeindeARS+"?hinweis=aktiviert", http.StatusSeeOther)
}

type criterionView struct {
	maturity.Criterion
	Text string
	Hint string
}

type reifegradData struct {
	tenant.Assessment
	Criteria      []criterionView
	Missing       []criterionView
	Next          int
	URL           string
	EmbedURL      string
	SnippetLink   string
	SnippetIframe string
	EmbedOrigin   string
	Notice        string
	Fee           *feeView
}

// reifegrad is GET /verwaltung/onlinedienste/{slug}/gemeinden/{ars}: the
// Reifegrad with every criterion, the parameters and the embed snippet.
func (u *UI) reifegrad(w http.ResponseWriter, r *http.Request) {
	_, t, ok := u.requireTenantAdmin(w, r)
	if !ok {
		return
	}
	ars := r.PathValue("ars")
	if t.ARS == "" || !strings.HasPrefix(ars, t.ARS) {
		u.NotFound(w, r)
		return
	}
	as, err := u.Tenants.Reifegrad(r.Context(), r.PathValue("slug"), ars)
	if err != nil {
		u.RenderError(w, r, err)
		return
	}
	d := &reifegradData{Assessment: as, Next: as.Level + 1, Notice: noticeText(u, r), EmbedOrigin: t.Profile.EmbedOrigin}
	if d.Fee, err = u.feeView(r.Context(), as.Version.Slug, t.ID); err != nil {
		u.RenderError(w, r, err)
		return
	}
	for _, c := range as.Criteria {
		cv := criterionView{Criterion: c, Text: u.t("maturity.criterion." + c.ID), Hint: u.t("maturity.fix." + c.ID)}
		d.Criteria = append(d.Criteria, cv)
		if c.Level == as.Level+1 && !c.Met {
			d.Missing = append(d.Missing, cv)
		}
	}
	base := u.absURL(r, "")
	d.URL = base + "/onlinedienste/" + as.Version.Slug + "/gemeinden/" + ars
	d.EmbedURL = base + "/einbetten/" + as.Version.Slug + "/" + ars
	d.SnippetLink = `<a href="` + template.HTMLEscapeString(d.URL) + `">` + template.HTMLEscapeString(as.Version.Title) + ` – online beantragen</a>`
	d.SnippetIframe = `<iframe src="` + template.HTMLEscapeString(d.EmbedURL) + `" title="` + template.HTMLEscapeString(as.Version.Title) + `" width="100%" height="320"></iframe>`
	u.Render(w, r, http.StatusOK, "reifegrad", Page{Title: u.t("maturity.title", as.Version.Title, as.Gemeinde.Name), Section: "konto", Data: d})
}

// deaktivieren is POST …/gemeinden/{ars}/deaktivieren.
func (u *UI) deaktivieren(w http.ResponseWriter, r *http.Request) {
	a, t, ok := u.requireTenantAdmin(w, r)
	if !ok {
		return
	}
	slug, ars := r.PathValue("slug"), r.PathValue("ars")
	if err := u.Tenants.Deactivate(r.Context(), a, t.ID, slug, ars); err != nil {
		u.RenderError(w, r, err)
		return
	}
	http.Redirect(w, r, "/verwaltung/onlinedienste/"+slug+"/gemeinden/"+ars+"?hinweis=deaktiviert", http.StatusSeeOther)
}

type lineErrorView struct {
	Line    int
	Message string
}

type sammelData struct {
	Tenant    tenant.Tenant
	Version   *tenant.Version
	Columns   []string
	Example   string
	Errors    []fieldError
	Lines     []lineErrorView
	FileError string
}

func (u *UI) sammelForm(t tenant.Tenant, v *tenant.Version) *sammelData {
	ex := "ars;behoerde;email;zustellung;postfach;vertrauensniveau\n"
	if t.ARS != "" {
		ex += "*;" + u.t("bulk.example.authority") + ";poststelle@example.org;eingang;ja;substantiell\n"
	}
	return &sammelData{Tenant: t, Version: v, Columns: tenant.CSVColumns, Example: ex}
}

// sammel is GET /verwaltung/onlinedienste/{slug}/sammelaktivierung.
func (u *UI) sammel(w http.ResponseWriter, r *http.Request) {
	_, t, ok := u.requireTenantAdmin(w, r)
	if !ok {
		return
	}
	v, ok := u.published(w, r)
	if !ok {
		return
	}
	u.Render(w, r, http.StatusOK, "sammel", Page{Title: u.t("bulk.title", v.Title), Section: "konto", Data: u.sammelForm(t, v)})
}

// sammelPost is POST …/sammelaktivierung: the CSV upload.
func (u *UI) sammelPost(w http.ResponseWriter, r *http.Request) {
	a, t, ok := u.requireTenantAdmin(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	v, ok := u.published(w, r)
	if !ok {
		return
	}
	d := u.sammelForm(t, v)
	fail := func(status int) {
		u.Render(w, r, status, "sammel", Page{Title: u.t("bulk.title", v.Title), IsError: true, Section: "konto", Data: d})
	}
	if err := r.ParseMultipartForm(maxCSVUpload); err != nil {
		d.FileError = u.t("bulk.error.upload")
		d.Errors = []fieldError{{Field: "datei", Message: d.FileError}}
		fail(http.StatusUnprocessableEntity)
		return
	}
	file, hdr, err := r.FormFile("datei")
	if err != nil || hdr.Size == 0 {
		d.FileError = u.t("bulk.error.no_file")
		d.Errors = []fieldError{{Field: "datei", Message: d.FileError}}
		fail(http.StatusUnprocessableEntity)
		return
	}
	defer file.Close()
	n, lerrs, err := u.Tenants.BulkActivate(ctx, a, t.ID, v.Slug, file)
	if err != nil {
		u.RenderError(w, r, err)
		return
	}
	if len(lerrs) > 0 {
		d.FileError = u.t("bulk.error.lines", len(lerrs))
		d.Errors = []fieldError{{Field: "datei", Message: d.FileError}}
		for i, le := range lerrs {
			if i == 100 {
				break
			}
			d.Lines = append(d.Lines, lineErrorView{Line: le.Line, Message: u.cat.Resolve("de", le.Err.Message, le.Err.Args)})
		}
		fail(http.StatusUnprocessableEntity)
		return
	}
	http.Redirect(w, r, "/verwaltung?hinweis=sammel&anzahl="+strconv.Itoa(n), http.StatusSeeOther)
}

type statistikData struct {
	Name     string
	Rows     []tenant.StatRow
	Kinds    []string
	Feedback []tenant.FeedbackSummary
	Platform bool
}

// statistikRows loads the counters the actor may see: a tenant admin those
// of the tenant's area, an operator those of the whole platform. The
// feedback's free text is only for the service's tenant admins.
func (u *UI) statistikRows(w http.ResponseWriter, r *http.Request) (*statistikData, bool) {
	a, ok := u.requireStaff(w, r)
	if !ok {
		return nil, false
	}
	ctx := r.Context()
	d := &statistikData{Kinds: tenant.StatKinds}
	var err error
	switch {
	case a.Has(identity.RoleTenantAdmin) && a.TenantID != "":
		var t tenant.Tenant
		if t, err = u.Tenants.Tenant(ctx, a.TenantID); err == nil {
			d.Name = t.Profile.DisplayName
			if d.Rows, err = u.Tenants.Statistics(ctx, a, t.ID); err == nil {
				d.Feedback, err = u.Tenants.TenantFeedback(ctx, a, t.ID)
			}
		}
	case a.Has(identity.RoleOperator):
		d.Name, d.Platform = u.t("stats.platform"), true
		d.Rows, err = u.Tenants.PlatformStatistics(ctx, a)
	default:
		u.NotFound(w, r)
		return nil, false
	}
	if err != nil {
		u.RenderError(w, r, err)
		return nil, false
	}
	return d, true
}

// statistik is GET /verwaltung/statistik: monthly counters and feedback.
func (u *UI) statistik(w http.ResponseWriter, r *http.Request) {
	d, ok := u.statistikRows(w, r)
	if !ok {
		return
	}
	u.Render(w, r, http.StatusOK, "statistik", Page{Title: u.t("stats.title"), Section: "konto", Data: d})
}

// statistikCSV is GET /verwaltung/statistik.csv.
func (u *UI) statistikCSV(w http.ResponseWriter, r *http.Request) {
	d, ok := u.statistikRows(w, r)
	if !ok {
		return
	}
	rows := d.Rows
	out := [][]string{append([]string{"monat", "onlinedienst", "ars"}, tenant.StatKinds...)}
	for _, s := range rows {
		rec := []string{s.Month, s.Slug, s.GemeindeARS}
		for _, k := range tenant.StatKinds {
			rec = append(rec, strconv.FormatInt(s.Counts[k], 10))
		}
		out = append(out, rec)
	}
	writeCSV(w, "statistik.csv", out)
}
