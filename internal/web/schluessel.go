package web

// The tenant key in the browser session (docs/schluessel.md): the
// workspace explains when the session's key is locked, and
// /mitarbeiter/schluessel unlocks it with the staff member's key
// password, e.g. after a single sign-on login, which carries no password.

import (
	"errors"
	"net/http"

	"github.com/ozgo/ozgo/internal/errs"
	"github.com/ozgo/ozgo/internal/identity"
	"github.com/ozgo/ozgo/internal/inbox"
)

type schluesselData struct {
	Errors   []fieldError
	Err      string
	NoAccess bool
	Unlocked bool
}

// inboxError renders err of the workspace: a locked tenant key gets the
// page that explains it and offers to unlock; anything else the error
// page.
func (u *UI) inboxError(w http.ResponseWriter, r *http.Request, err error) {
	if inbox.IsKeyLocked(err) {
		u.renderSchluessel(w, r, http.StatusForbidden, schluesselData{})
		return
	}
	u.RenderError(w, r, err)
}

func (u *UI) renderSchluessel(w http.ResponseWriter, r *http.Request, status int, d schluesselData) {
	a := identity.ActorFrom(r.Context())
	if !d.Unlocked && a.Kind == identity.KindStaff {
		if ok, err := u.Identity.Service.HasKeyAccess(r.Context(), a.Principal); err == nil && !ok {
			d.NoAccess = true
		}
	}
	u.Render(w, r, status, "schluessel", Page{Title: u.t("key.title"), Section: "sachbearbeitung", IsError: d.Err != "", Data: d})
}

// mitarbeiterSchluessel is GET /mitarbeiter/schluessel.
func (u *UI) mitarbeiterSchluessel(w http.ResponseWriter, r *http.Request) {
	a, ok := u.requireTenantStaff(w, r)
	if !ok {
		return
	}
	u.renderSchluessel(w, r, http.StatusOK, schluesselData{Unlocked: a.TenantKey != nil})
}

// mitarbeiterSchluesselPost is POST /mitarbeiter/schluessel: unlock the
// tenant key for this session.
func (u *UI) mitarbeiterSchluesselPost(w http.ResponseWriter, r *http.Request) {
	if _, ok := u.requireTenantStaff(w, r); !ok {
		return
	}
	sess, token := identity.SessionFrom(r.Context())
	secret := r.PostFormValue("schluesselkennwort")
	if secret == "" {
		msg := u.t("key.missing")
		u.renderSchluessel(w, r, http.StatusUnprocessableEntity, schluesselData{Err: msg, Errors: []fieldError{{Field: "schluesselkennwort", Message: msg}}})
		return
	}
	err := u.Identity.Service.UnlockTenantKey(r.Context(), sess, token, secret, clientAddr(r))
	if err != nil {
		var e *errs.Error
		if !errors.As(err, &e) || (e.Code != errs.Invalid && e.Code != errs.TooManyRequests) {
			u.RenderError(w, r, err)
			return
		}
		msg, status, _ := u.formError(w, r, err, errs.Invalid)
		u.renderSchluessel(w, r, status, schluesselData{Err: msg, Errors: []fieldError{{Field: "schluesselkennwort", Message: msg}}})
		return
	}
	http.Redirect(w, r, "/sachbearbeitung", http.StatusSeeOther)
}
