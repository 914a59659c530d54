package web

// The service authors' pages (/verwaltung/onlinedienste): prepare a new
// version of an online service (LeiKa keys, FIM form version, minimum
// trust level, default fee, texts, required parameters) and publish it
// once for every tenant ("Einer für Alle").

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/ozgo/ozgo/internal/errs"
	"github.com/ozgo/ozgo/internal/httpx"
	"github.com/ozgo/ozgo/internal/identity"
	"github.com/ozgo/ozgo/internal/tenant"
)

func (u *UI) registerDienste(rt *httpx.Router) {
	rt.HandleFunc("GET /verwaltung/onlinedienste", u.dienste)
	rt.HandleFunc("GET /verwaltung/onlinedienste/neu", u.dienstNeu)
	rt.HandleFunc("POST /verwaltung/onlinedienste/neu", u.dienstNeuPost)
	rt.HandleFunc("POST /verwaltung/onlinedienste/{slug}/versionen/{version}/veroeffentlichen", u.dienstVeroeffentlichen)
}

// requireRole is requireStaff for staff with role; others get 404.
func (u *UI) requireRole(w http.ResponseWriter, r *http.Request, role identity.Role) (*identity.Actor, bool) {
	a, ok := u.requireStaff(w, r)
	if !ok {
		return nil, false
	}
	if !a.Has(role) {
		u.NotFound(w, r)
		return nil, false
	}
	return a, true
}

// requireAuthor is requireRole for service authors.
func (u *UI) requireAuthor(w http.ResponseWriter, r *http.Request) (*identity.Actor, bool) {
	return u.requireRole(w, r, identity.RoleServiceAuthor)
}

// published loads the published version named by the path's {slug}.
func (u *UI) published(w http.ResponseWriter, r *http.Request) (*tenant.Version, bool) {
	v, err := u.Tenants.PublishedVersion(r.Context(), r.PathValue("slug"))
	if err != nil {
		u.RenderError(w, r, err)
		return nil, false
	}
	return v, true
}

type dienstRow struct {
	Slug     string
	Versions []*tenant.Version
}

type diensteData struct {
	Services []dienstRow
	Notice   string
}

// dienste is GET /verwaltung/onlinedienste: every online service with its
// versions.
func (u *UI) dienste(w http.ResponseWriter, r *http.Request) {
	if _, ok := u.requireAuthor(w, r); !ok {
		return
	}
	ctx := r.Context()
	latest, err := u.Tenants.Services(ctx)
	if err != nil {
		u.RenderError(w, r, err)
		return
	}
	d := &diensteData{}
	if r.URL.Query().Get("hinweis") == "veroeffentlicht" {
		d.Notice = u.t("services.notice.published")
	} else if r.URL.Query().Get("hinweis") == "vorbereitet" {
		d.Notice = u.t("services.notice.prepared")
	}
	for _, v := range latest {
		vs, err := u.Tenants.Versions(ctx, v.Slug)
		if err != nil {
			u.RenderError(w, r, err)
			return
		}
		d.Services = append(d.Services, dienstRow{Slug: v.Slug, Versions: vs})
	}
	u.Render(w, r, http.StatusOK, "dienste", Page{Title: u.t("services.title"), Section: "konto", Data: d})
}

// dienstInput is the version form as typed.
type dienstInput struct {
	Slug, Title, Summary, LeiKa, Form, Level, Fee string
	Params                                        map[string]bool
}

type dienstNeuData struct {
	In       dienstInput
	Forms    []option
	Levels   []option
	Params   []option
	Existing bool
	Errors   []fieldError
	Err      map[string]string
}

func (u *UI) dienstForm(r *http.Request, in dienstInput) (*dienstNeuData, error) {
	d := &dienstNeuData{In: in}
	forms, err := u.Tenants.Forms(r.Context())
	if err != nil {
		return nil, err
	}
	for _, f := range forms {
		d.Forms = append(d.Forms, option{f.ID + " " + f.Version, f.Name + " (" + f.ID + ", Version " + f.Version + ")"})
	}
	for _, l := range []identity.TrustLevel{identity.None, identity.Niedrig, identity.Substantiell, identity.Hoch} {
		d.Levels = append(d.Levels, option{l.String(), u.t("activation.level." + l.String())})
	}
	for _, p := range tenant.Params {
		d.Params = append(d.Params, option{p, u.t("services.param." + p)})
	}
	return d, nil
}

// dienstNeu is GET /verwaltung/onlinedienste/neu[?slug=]: a new online
// service, or the next version of slug prefilled from its newest.
func (u *UI) dienstNeu(w http.ResponseWriter, r *http.Request) {
	if _, ok := u.requireAuthor(w, r); !ok {
		return
	}
	in := dienstInput{Level: identity.None.String(), Fee: "0,00", Params: map[string]bool{tenant.ParamAuthority: true, tenant.ParamContact: true}}
	existing := false
	if slug := r.URL.Query().Get("slug"); slug != "" {
		vs, err := u.Tenants.Versions(r.Context(), slug)
		if err != nil {
			u.RenderError(w, r, err)
			return
		}
		if len(vs) == 0 {
			u.NotFound(w, r)
			return
		}
		v := vs[0]
		existing = true
		in = dienstInput{Slug: v.Slug, Title: v.Title, Summary: v.Summary, LeiKa: strings.Join(v.LeiKa, " "), Form: v.FormID + " " + v.FormVersion,
			Level: v.MinTrustLevel.String(), Fee: tenant.FormatFee(v.FeeCents), Params: map[string]bool{}}
		for _, p := range v.RequiredParams {
			in.Params[p] = true
		}
	}
	d, err := u.dienstForm(r, in)
	if err != nil {
		u.RenderError(w, r, err)
		return
	}
	d.Existing = existing
	u.Render(w, r, http.StatusOK, "dienst_neu", Page{Title: u.t("services.new.title"), Section: "konto", Data: d})
}

// dienstNeuPost is POST /verwaltung/onlinedienste/neu: store the draft
// version.
func (u *UI) dienstNeuPost(w http.ResponseWriter, r *http.Request) {
	a, ok := u.requireAuthor(w, r)
	if !ok {
		return
	}
	if err := r.ParseForm(); err != nil {
		u.RenderError(w, r, errs.E(errs.BadRequest, ""))
		return
	}
	f := r.PostForm
	in := dienstInput{Slug: strings.TrimSpace(f.Get("slug")), Title: f.Get("titel"), Summary: f.Get("beschreibung"), LeiKa: f.Get("leika"),
		Form: f.Get("formular"), Level: f.Get("niveau"), Fee: f.Get("gebuehr"), Params: map[string]bool{}}
	for _, p := range f["parameter"] {
		in.Params[p] = true
	}
	v := tenant.Version{Slug: in.Slug, Title: strings.TrimSpace(in.Title), Summary: strings.TrimSpace(in.Summary),
		LeiKa: strings.FieldsFunc(in.LeiKa, func(r rune) bool { return r == ' ' || r == ',' || r == ';' })}
	v.FormID, v.FormVersion, _ = strings.Cut(in.Form, " ")
	for _, p := range tenant.Params {
		if in.Params[p] {
			v.RequiredParams = append(v.RequiredParams, p)
		}
	}
	var es []*errs.Error
	lvl, okLevel := tenant.ParseTrustLevelName(in.Level)
	if !okLevel {
		es = append(es, errs.FieldError("niveau", "tenant.error.trust_level"))
	}
	v.MinTrustLevel = lvl
	fee, okFee := tenant.ParseFee(in.Fee)
	if strings.TrimSpace(in.Fee) == "" {
		fee, okFee = 0, true
	}
	if !okFee {
		es = append(es, errs.FieldError("gebuehr", "tenant.error.fee"))
	}
	v.FeeCents = fee
	for _, e := range tenant.CheckVersion(&v) {
		es = append(es, renameField(e, map[string]string{"title": "titel", "form": "formular", "trust-level": "niveau", "fee": "gebuehr", "params": "parameter-" + tenant.Params[0]}))
	}
	if len(es) == 0 {
		_, err := u.Tenants.PrepareVersion(r.Context(), a, v)
		if es = asFieldErrors(err); es == nil && err != nil {
			u.RenderError(w, r, err)
			return
		}
		for i, e := range es {
			es[i] = renameField(e, map[string]string{"form": "formular"})
		}
	}
	if len(es) > 0 {
		d, err := u.dienstForm(r, in)
		if err != nil {
			u.RenderError(w, r, err)
			return
		}
		d.Errors, d.Err = u.fieldErrors(es)
		u.Render(w, r, http.StatusUnprocessableEntity, "dienst_neu", Page{Title: u.t("services.new.title"), IsError: true, Section: "konto", Data: d})
		return
	}
	http.Redirect(w, r, "/verwaltung/onlinedienste?hinweis=vorbereitet", http.StatusSeeOther)
}

// renameField points a domain error at the form's input id.
func renameField(e *errs.Error, ids map[string]string) *errs.Error {
	if id, ok := ids[e.Field]; ok {
		c := *e
		c.Field = id
		return &c
	}
	return e
}

// dienstVeroeffentlichen is POST …/versionen/{version}/veroeffentlichen.
func (u *UI) dienstVeroeffentlichen(w http.ResponseWriter, r *http.Request) {
	a, ok := u.requireAuthor(w, r)
	if !ok {
		return
	}
	n, err := strconv.Atoi(r.PathValue("version"))
	if err != nil {
		u.NotFound(w, r)
		return
	}
	if err := u.Tenants.Publish(r.Context(), a, r.PathValue("slug"), n); err != nil {
		u.RenderError(w, r, err)
		return
	}
	http.Redirect(w, r, "/verwaltung/onlinedienste?hinweis=veroeffentlicht", http.StatusSeeOther)
}
