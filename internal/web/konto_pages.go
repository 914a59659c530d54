package web

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/ozgo/ozgo/internal/errs"
	"github.com/ozgo/ozgo/internal/form"
	"github.com/ozgo/ozgo/internal/httpx"
	"github.com/ozgo/ozgo/internal/identity"
)

type kontoData struct {
	Actor      *identity.Actor
	Person     *identity.Person
	Staff      *identity.Staff
	ActingName string
	Parties    []identity.Party
	Orgs       []identity.Organisation
	OrgName    string
	Errors     []fieldError
	OrgErr     string
	// TOTP enrolment for staff without a second factor.
	TOTPSecret string
	TOTPURI    string
	CodeErr    string
	Notice     string
	// Password change for staff: errors per field.
	PwErr map[string]string
}

// konto is GET /konto: "Mein Konto".
func (u *UI) konto(w http.ResponseWriter, r *http.Request) {
	a, ok := u.requireLogin(w, r, identity.None)
	if !ok {
		return
	}
	d, err := u.kontoData(r, a)
	if err != nil {
		u.RenderError(w, r, err)
		return
	}
	switch r.URL.Query().Get("hinweis") {
	case "2fa":
		d.Notice = u.t("account.staff.totp_done")
	case "passwort":
		d.Notice = u.t("account.staff.password_done")
	case "org":
		d.Notice = u.t("account.org.created")
	case "handeln":
		d.Notice = u.t("account.acting.changed")
	}
	u.Render(w, r, http.StatusOK, "konto", Page{Title: u.t("account.title"), Section: "konto", Data: d})
}

func (u *UI) kontoData(r *http.Request, a *identity.Actor) (*kontoData, error) {
	ctx := r.Context()
	svc := u.Identity.Service
	d := &kontoData{Actor: a}
	if a.Kind == identity.KindStaff {
		st, err := svc.StaffByID(ctx, a.Principal)
		if err != nil {
			return nil, err
		}
		d.Staff = st
		if !st.HasTOTP {
			d.TOTPSecret = identity.NewTOTPSecret()
			d.TOTPURI = identity.TOTPURI(d.TOTPSecret, st.Email)
		}
		return d, nil
	}
	p, err := svc.Person(ctx, a.Principal)
	if err != nil {
		return nil, err
	}
	d.Person = p
	if d.Parties, err = svc.Parties(ctx, a.Principal); err != nil {
		return nil, err
	}
	if d.Orgs, err = svc.Organisations(ctx, a.Principal); err != nil {
		return nil, err
	}
	if a.ActingAs != "" {
		d.ActingName = svc.PartyName(ctx, a.ActingAs)
	}
	return d, nil
}

// kontoHandelnAls is POST /konto/handeln-als: act for a party or oneself.
func (u *UI) kontoHandelnAls(w http.ResponseWriter, r *http.Request) {
	a, ok := u.requireCitizen(w, r)
	if !ok {
		return
	}
	_ = a
	sess, _ := identity.SessionFrom(r.Context())
	if err := u.Identity.Service.ActAs(r.Context(), sess, r.PostFormValue("partei")); err != nil {
		u.RenderError(w, r, err)
		return
	}
	http.Redirect(w, r, "/konto?hinweis=handeln", http.StatusSeeOther)
}

// organisationAnlegen is POST /organisationen.
func (u *UI) organisationAnlegen(w http.ResponseWriter, r *http.Request) {
	a, ok := u.requireCitizen(w, r)
	if !ok {
		return
	}
	name := r.PostFormValue("name")
	_, err := u.Identity.Service.CreateOrganisation(r.Context(), a.Principal, name)
	u.kontoResult(w, r, a, err, "org", func(d *kontoData) {
		msg, args := errs.MessageArgsOf(err)
		d.OrgName, d.OrgErr = name, u.cat.Resolve("de", msg, args)
		d.Errors = []fieldError{{Field: "org-name", Message: d.OrgErr}}
	})
}

// kontoResult ends a form on "Mein Konto": an Invalid error shows the
// page again with what fill marks (422), another error its error page,
// success the page with the notice hinweis.
func (u *UI) kontoResult(w http.ResponseWriter, r *http.Request, a *identity.Actor, err error, hinweis string, fill func(d *kontoData)) {
	if errs.Is(err, errs.Invalid) {
		d, derr := u.kontoData(r, a)
		if derr != nil {
			u.RenderError(w, r, derr)
			return
		}
		fill(d)
		u.Render(w, r, http.StatusUnprocessableEntity, "konto", Page{Title: u.t("account.title"), IsError: true, Section: "konto", Data: d})
		return
	}
	if err != nil {
		u.RenderError(w, r, err)
		return
	}
	http.Redirect(w, r, "/konto?hinweis="+hinweis, http.StatusSeeOther)
}

// kontoZweiterFaktor is POST /konto/zweiter-faktor: a staff member sets up
// TOTP, proving it with a first code.
func (u *UI) kontoZweiterFaktor(w http.ResponseWriter, r *http.Request) {
	a, ok := u.requireLogin(w, r, identity.None)
	if !ok {
		return
	}
	if a.Kind != identity.KindStaff {
		u.NotFound(w, r)
		return
	}
	secret := strings.TrimSpace(r.PostFormValue("secret"))
	err := u.Identity.Service.EnrollTOTP(r.Context(), a.Principal, secret, r.PostFormValue("code"))
	u.kontoResult(w, r, a, err, "2fa", func(d *kontoData) {
		d.TOTPSecret, d.TOTPURI = secret, identity.TOTPURI(secret, d.Staff.Email)
		d.CodeErr = u.t("identity.staff.totp_wrong")
		d.Errors = []fieldError{{Field: "totp-code", Message: d.CodeErr}}
	})
}

// kontoPasswort is POST /konto/passwort: staff change their password.
// The tenant key is wrapped anew under the new password in the same step
// (identity.ChangePassword), so key access survives the change.
func (u *UI) kontoPasswort(w http.ResponseWriter, r *http.Request) {
	a, ok := u.requireLogin(w, r, identity.None)
	if !ok {
		return
	}
	if a.Kind != identity.KindStaff {
		u.NotFound(w, r)
		return
	}
	old, next := r.PostFormValue("passwort"), r.PostFormValue("neues-passwort")
	var err error
	if next != r.PostFormValue("neues-passwort-2") {
		err = errs.FieldError("neues-passwort-2", "account.staff.password_mismatch")
	} else {
		err = u.Identity.Service.ChangePassword(r.Context(), a.Principal, old, next)
	}
	u.kontoResult(w, r, a, err, "passwort", func(d *kontoData) {
		var e *errs.Error
		errors.As(err, &e)
		field := e.Field
		msg, args := errs.MessageArgsOf(err)
		d.PwErr = map[string]string{field: u.cat.Resolve("de", msg, args)}
		d.Errors = []fieldError{{Field: field, Message: d.PwErr[field]}}
	})
}

type organisationData struct {
	Org     *identity.Organisation
	IsAdmin bool
	Code    string
	Role    string
	Back    crumb
}

// organisation is GET /organisationen/{id}: members, invitations. Only
// members see it; everyone else gets 404.
func (u *UI) organisation(w http.ResponseWriter, r *http.Request) {
	u.renderOrganisation(w, r, "", "")
}

func (u *UI) renderOrganisation(w http.ResponseWriter, r *http.Request, code, role string) {
	a, ok := u.requireCitizen(w, r)
	if !ok {
		return
	}
	o, err := u.Identity.Service.Organisation(r.Context(), a, r.PathValue("id"))
	if err != nil {
		u.RenderError(w, r, err)
		return
	}
	d := organisationData{Org: o, IsAdmin: identity.Authorize(a, identity.ActionManage, identity.Object{Type: "organisation", Owner: "organisation:" + o.ID}) == nil, Code: code, Role: role, Back: crumb{Name: u.t("account.title"), URL: "/konto"}}
	u.Render(w, r, http.StatusOK, "organisation", Page{Title: o.Name, Section: "konto", Data: d})
}

// organisationEinladen is POST /organisationen/{id}/einladungen.
func (u *UI) organisationEinladen(w http.ResponseWriter, r *http.Request) {
	a, ok := u.requireCitizen(w, r)
	if !ok {
		return
	}
	role := r.PostFormValue("rolle")
	if role != identity.OrgAdmin {
		role = identity.OrgMember
	}
	code, err := u.Identity.Service.InviteMember(r.Context(), a, r.PathValue("id"), role)
	if err != nil {
		u.RenderError(w, r, err)
		return
	}
	u.renderOrganisation(w, r, code, role)
}

type vollmachtForm struct {
	Grantor   string
	Scope     string
	From      string
	Until     string
	Code      string
	FromErr   string
	UntilErr  string
	ScopeErr  string
	CodeErr   string
	RedeemVal string
}

type vollmachtRow struct {
	identity.Mandate
	StateText string
	Mine      bool // the viewer is on the grantor side
	CanRevoke bool
}

type vollmachtenData struct {
	Rows     []vollmachtRow
	Grantors []identity.Party
	Form     vollmachtForm
	Errors   []fieldError
	Offered  string // the code of a mandate just offered
	Notice   string
}

// vollmachten is GET /vollmachten: mandates given and received.
func (u *UI) vollmachten(w http.ResponseWriter, r *http.Request) {
	a, ok := u.requireCitizen(w, r)
	if !ok {
		return
	}
	if a.ActingAs != "" {
		u.NotFound(w, r)
		return
	}
	today := time.Now().In(form.Berlin)
	f := vollmachtForm{Grantor: "person:" + a.Principal, Scope: "", From: today.Format("02.01.2006"), Until: today.AddDate(1, 0, 0).Format("02.01.2006")}
	notice := ""
	switch r.URL.Query().Get("hinweis") {
	case "angenommen":
		notice = u.t("mandates.accepted")
	case "widerrufen":
		notice = u.t("mandates.revoked")
	}
	u.renderVollmachten(w, r, a, http.StatusOK, vollmachtenData{Form: f, Notice: notice})
}

func (u *UI) renderVollmachten(w http.ResponseWriter, r *http.Request, a *identity.Actor, status int, d vollmachtenData) {
	ctx := r.Context()
	ms, err := u.Identity.Service.Mandates(ctx, a)
	if err != nil {
		u.RenderError(w, r, err)
		return
	}
	now := time.Now()
	for _, m := range ms {
		row := vollmachtRow{Mandate: m, StateText: u.t("mandates.state." + m.State(now))}
		row.Mine = m.Grantor == "person:"+a.Principal || strings.HasPrefix(m.Grantor, "organisation:") && a.Orgs[strings.TrimPrefix(m.Grantor, "organisation:")] != ""
		row.CanRevoke = m.Revoked.IsZero()
		d.Rows = append(d.Rows, row)
	}
	d.Grantors = []identity.Party{{Ref: "person:" + a.Principal, Name: u.t("mandates.grantor.self")}}
	orgs, err := u.Identity.Service.Organisations(ctx, a.Principal)
	if err != nil {
		u.RenderError(w, r, err)
		return
	}
	for _, o := range orgs {
		if o.Role == identity.OrgAdmin {
			d.Grantors = append(d.Grantors, identity.Party{Ref: "organisation:" + o.ID, Name: o.Name})
		}
	}
	u.Render(w, r, status, "vollmachten", Page{Title: u.t("mandates.title"), IsError: len(d.Errors) > 0, Section: "konto", Data: d})
}

// vollmachtAnbieten is POST /vollmachten: offer a mandate.
func (u *UI) vollmachtAnbieten(w http.ResponseWriter, r *http.Request) {
	a, ok := u.requireCitizen(w, r)
	if !ok {
		return
	}
	f := vollmachtForm{Grantor: r.PostFormValue("vollmachtgeber"), Scope: strings.TrimSpace(r.PostFormValue("leistung")),
		From: strings.TrimSpace(r.PostFormValue("von")), Until: strings.TrimSpace(r.PostFormValue("bis"))}
	d := vollmachtenData{Form: f}
	from, err := time.ParseInLocation("02.01.2006", f.From, form.Berlin)
	if err != nil {
		d.Form.FromErr = u.t("mandates.form.date_invalid")
		d.Errors = append(d.Errors, fieldError{Field: "von", Message: d.Form.FromErr})
	}
	until, err := time.ParseInLocation("02.01.2006", f.Until, form.Berlin)
	if err != nil {
		d.Form.UntilErr = u.t("mandates.form.date_invalid")
		d.Errors = append(d.Errors, fieldError{Field: "bis", Message: d.Form.UntilErr})
	}
	if len(d.Errors) == 0 {
		// The mandate holds through the whole last day.
		until = until.AddDate(0, 0, 1)
		_, code, err := u.Identity.Service.OfferMandate(r.Context(), a, f.Grantor, f.Scope, from, until)
		if err == nil {
			d.Offered = code
			u.renderVollmachten(w, r, a, http.StatusOK, d)
			return
		}
		if !errs.Is(err, errs.Invalid) {
			u.RenderError(w, r, err)
			return
		}
		var e *errs.Error
		if errors.As(err, &e) {
			msg := u.cat.Resolve("de", e.Message, e.Args)
			switch e.Field {
			case "scope":
				d.Form.ScopeErr = msg
				d.Errors = append(d.Errors, fieldError{Field: "leistung", Message: msg})
			default:
				d.Form.UntilErr = msg
				d.Errors = append(d.Errors, fieldError{Field: "bis", Message: msg})
			}
		}
	}
	u.renderVollmachten(w, r, a, http.StatusUnprocessableEntity, d)
}

// vollmachtAnnehmen is POST /vollmachten/annehmen: redeem a code (a
// mandate offered to one, or an invitation into an organisation).
func (u *UI) vollmachtAnnehmen(w http.ResponseWriter, r *http.Request) {
	a, ok := u.requireCitizen(w, r)
	if !ok {
		return
	}
	code := r.PostFormValue("code")
	res, err := u.Identity.Service.Redeem(r.Context(), a, code, clientAddr(r))
	if err != nil {
		msg, status, ok := u.formError(w, r, err, errs.Invalid)
		if !ok {
			return
		}
		d := vollmachtenData{Form: vollmachtForm{Grantor: "person:" + a.Principal, RedeemVal: code, CodeErr: msg}}
		d.Errors = []fieldError{{Field: "code", Message: d.Form.CodeErr}}
		u.renderVollmachten(w, r, a, status, d)
		return
	}
	if strings.HasPrefix(res, "organisation:") {
		http.Redirect(w, r, "/organisationen/"+strings.TrimPrefix(res, "organisation:"), http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, "/vollmachten?hinweis=angenommen", http.StatusSeeOther)
}

// vollmachtWiderrufen is POST /vollmachten/{id}/widerrufen.
func (u *UI) vollmachtWiderrufen(w http.ResponseWriter, r *http.Request) {
	a, ok := u.requireCitizen(w, r)
	if !ok {
		return
	}
	if err := u.Identity.Service.RevokeMandate(r.Context(), a, r.PathValue("id")); err != nil {
		u.RenderError(w, r, err)
		return
	}
	http.Redirect(w, r, "/vollmachten?hinweis=widerrufen", http.StatusSeeOther)
}

// registerKonto adds the login and account routes.
func (u *UI) registerKonto(rt *httpx.Router) {
	if u.Identity == nil {
		return
	}
	rt.HandleFunc("GET /anmelden", u.anmelden)
	rt.HandleFunc("POST /anmelden/{provider}", u.anmeldenStart)
	rt.HandleFunc("GET /saml/metadata", u.samlMetadata)
	rt.HandleFunc("POST /saml/acs", u.samlACS)
	rt.HandleFunc("GET /oidc/callback", u.oidcCallback)
	rt.HandleFunc("GET /abmelden", u.abmelden)
	rt.HandleFunc("POST /abmelden", u.abmeldenPost)
	rt.HandleFunc("GET /abgemeldet", u.abgemeldet)
	rt.HandleFunc("GET /mitarbeiter/anmelden", u.mitarbeiterAnmelden)
	rt.HandleFunc("POST /mitarbeiter/anmelden", u.mitarbeiterAnmeldenPost)
	rt.HandleFunc("GET /mitarbeiter/anmelden/code", u.mitarbeiterCode)
	rt.HandleFunc("POST /mitarbeiter/anmelden/code", u.mitarbeiterCodePost)
	rt.HandleFunc("POST /mitarbeiter/anmelden/sso", u.mitarbeiterSSO)
	rt.HandleFunc("GET /mitarbeiter/oidc/callback", u.mitarbeiterSSOCallback)
	rt.HandleFunc("GET /konto", u.konto)
	rt.HandleFunc("POST /konto/handeln-als", u.kontoHandelnAls)
	rt.HandleFunc("POST /konto/zweiter-faktor", u.kontoZweiterFaktor)
	rt.HandleFunc("POST /konto/passwort", u.kontoPasswort)
	rt.HandleFunc("POST /organisationen", u.organisationAnlegen)
	rt.HandleFunc("GET /organisationen/{id}", u.organisation)
	rt.HandleFunc("POST /organisationen/{id}/einladungen", u.organisationEinladen)
	rt.HandleFunc("GET /vollmachten", u.vollmachten)
	rt.HandleFunc("POST /vollmachten", u.vollmachtAnbieten)
	rt.HandleFunc("POST /vollmachten/annehmen", u.vollmachtAnnehmen)
	rt.HandleFunc("POST /vollmachten/{id}/widerrufen", u.vollmachtWiderrufen)
}
