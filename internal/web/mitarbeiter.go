package web

// /verwaltung/mitarbeiter: a tenant admin creates the tenant's staff
// accounts and resets their passwords. Both wrap the tenant key, which
// the admin's session holds, for the new password (docs/schluessel.md),
// so the account can open the tenant's applications at once.

import (
	"net/http"
	"strings"

	"github.com/ozgo/ozgo/internal/errs"
	"github.com/ozgo/ozgo/internal/identity"
)

type mitarbeiterData struct {
	Staff    []*identity.Staff
	Locked   bool // the admin's session holds no tenant key
	Notice   string
	Roles    []option
	In       mitarbeiterIn
	Errors   []fieldError
	Err      map[string]string
	ResetID  string // the row whose reset failed
	ResetErr string
	Recovery string // a new recovery code, shown once
}

type mitarbeiterIn struct{ Name, Email, Role string }

// requireStaffAdmin is requireStaff for a tenant's admins (the page needs
// nothing of the tenant service).
func (u *UI) requireStaffAdmin(w http.ResponseWriter, r *http.Request) (*identity.Actor, bool) {
	a, ok := u.requireStaff(w, r)
	if !ok {
		return nil, false
	}
	if !a.Has(identity.RoleTenantAdmin) || a.TenantID == "" {
		u.NotFound(w, r)
		return nil, false
	}
	return a, true
}

func (u *UI) mitarbeiterPage(w http.ResponseWriter, r *http.Request, a *identity.Actor, status int, d *mitarbeiterData) {
	var err error
	if d.Staff, err = u.Identity.Service.TenantStaff(r.Context(), a); err != nil {
		u.RenderError(w, r, err)
		return
	}
	d.Locked = a.TenantKey == nil
	d.Roles = []option{{Value: string(identity.RoleClerk), Label: u.t("staffadmin.role.clerk")}, {Value: string(identity.RoleTenantAdmin), Label: u.t("staffadmin.role.tenant_admin")}}
	if d.In.Role == "" {
		d.In.Role = string(identity.RoleClerk)
	}
	if d.Err == nil {
		d.Err = map[string]string{}
	}
	u.Render(w, r, status, "mitarbeiter", Page{Title: u.t("staffadmin.title"), Section: "konto", IsError: status != http.StatusOK, Data: d})
}

// mitarbeiter is GET /verwaltung/mitarbeiter.
func (u *UI) mitarbeiter(w http.ResponseWriter, r *http.Request) {
	a, ok := u.requireStaffAdmin(w, r)
	if !ok {
		return
	}
	d := &mitarbeiterData{}
	if n := r.URL.Query().Get("hinweis"); n == "angelegt" || n == "angelegt_ohne_schluessel" || n == "zurueckgesetzt" || n == "zurueckgesetzt_ohne_schluessel" {
		d.Notice = u.t("staffadmin.notice." + n)
	}
	u.mitarbeiterPage(w, r, a, http.StatusOK, d)
}

// mitarbeiterPost is POST /verwaltung/mitarbeiter: a new account.
func (u *UI) mitarbeiterPost(w http.ResponseWriter, r *http.Request) {
	a, ok := u.requireStaffAdmin(w, r)
	if !ok {
		return
	}
	in := mitarbeiterIn{Name: strings.TrimSpace(r.PostFormValue("name")), Email: strings.TrimSpace(r.PostFormValue("email")), Role: r.PostFormValue("rolle")}
	role := identity.Role(in.Role)
	if role != identity.RoleClerk && role != identity.RoleTenantAdmin {
		role = ""
	}
	st, err := u.Identity.Service.CreateTenantStaff(r.Context(), a, identity.NewStaff{Email: in.Email, Name: in.Name, Roles: []identity.Role{role}, Password: r.PostFormValue("password")})
	if err != nil {
		es := asFieldErrors(err)
		if es == nil && errs.Is(err, errs.Conflict) {
			es = []*errs.Error{errs.FieldError("email", "tenant.error.email_taken")}
		}
		if es == nil {
			u.RenderError(w, r, err)
			return
		}
		for _, e := range es {
			if e.Field == "role" {
				e.Field = "rolle"
			}
		}
		d := &mitarbeiterData{In: in}
		d.Errors, d.Err = u.fieldErrors(es)
		u.mitarbeiterPage(w, r, a, http.StatusUnprocessableEntity, d)
		return
	}
	n := "angelegt"
	if !st.KeyAccess {
		n = "angelegt_ohne_schluessel"
	}
	http.Redirect(w, r, "/verwaltung/mitarbeiter?hinweis="+n, http.StatusSeeOther)
}

// mitarbeiterPasswort is POST /verwaltung/mitarbeiter/{id}/passwort: a
// new password (and with it a new wrap of the tenant key).
func (u *UI) mitarbeiterPasswort(w http.ResponseWriter, r *http.Request) {
	a, ok := u.requireStaffAdmin(w, r)
	if !ok {
		return
	}
	id := r.PathValue("id")
	err := u.Identity.Service.ResetPassword(r.Context(), a, id, r.PostFormValue("password"))
	if err != nil {
		es := asFieldErrors(err)
		if es == nil {
			u.RenderError(w, r, err)
			return
		}
		d := &mitarbeiterData{ResetID: id}
		d.ResetErr = u.cat.Resolve("de", es[0].Message, es[0].Args)
		d.Errors = []fieldError{{Field: "password-" + id, Message: d.ResetErr}}
		u.mitarbeiterPage(w, r, a, http.StatusUnprocessableEntity, d)
		return
	}
	n := "zurueckgesetzt"
	if a.TenantKey == nil {
		n = "zurueckgesetzt_ohne_schluessel"
	}
	http.Redirect(w, r, "/verwaltung/mitarbeiter?hinweis="+n, http.StatusSeeOther)
}

// mitarbeiterRecovery is POST /verwaltung/mitarbeiter/wiederherstellungscode:
// a new recovery code of the tenant key, shown once on the answer page
// (never stored in plaintext, never sent anywhere); the old one stops
// working.
func (u *UI) mitarbeiterRecovery(w http.ResponseWriter, r *http.Request) {
	a, ok := u.requireStaffAdmin(w, r)
	if !ok {
		return
	}
	if a.TenantKey == nil {
		u.renderSchluessel(w, r, http.StatusForbidden, schluesselData{})
		return
	}
	code, err := u.Identity.Service.NewRecoveryCode(r.Context(), a.ID(), a.TenantID, a.TenantKey)
	if err != nil {
		u.RenderError(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	u.mitarbeiterPage(w, r, a, http.StatusOK, &mitarbeiterData{Recovery: code})
}
