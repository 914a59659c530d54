package web

// Tenant logos: upload and removal by tenant admins on the profile page,
// and the public image at a stable URL. Served by ozgo, so the pages' CSP
// keeps img-src 'self' (see internal/tenant/logo.go for the checks).

import (
	"bytes"
	"errors"
	"io"
	"net/http"

	"github.com/ozgo/ozgo/internal/errs"
	"github.com/ozgo/ozgo/internal/httpx"
	"github.com/ozgo/ozgo/internal/tenant"
)

// maxLogoPost bounds the upload request: the file plus the multipart frame.
const maxLogoPost = tenant.MaxLogoBytes + 64<<10

func (u *UI) registerLogo(rt *httpx.Router) {
	rt.HandleFunc("POST /verwaltung/profil/logo", u.logoPost, httpx.BodyLimit(maxLogoPost))
	rt.HandleFunc("POST /verwaltung/profil/logo/entfernen", u.logoRemove)
	rt.HandleFunc("GET /mandanten/{id}/logo", u.logo)
}

// logoURL is the stable address of a tenant's logo ("" without one).
func logoURL(p tenant.Profile) string {
	if p.LogoBlob == "" {
		return ""
	}
	return "/mandanten/" + p.TenantID + "/logo"
}

// LogoURL is logoURL for the templates.
func (p Page) LogoURL(t tenant.Profile) string { return logoURL(t) }

// logoPost is POST /verwaltung/profil/logo (multipart, field logo-datei).
func (u *UI) logoPost(w http.ResponseWriter, r *http.Request) {
	a, t, ok := u.requireTenantAdmin(w, r)
	if !ok {
		return
	}
	var data []byte
	err := r.ParseMultipartForm(maxLogoPost)
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		err = errs.FieldError("logo-datei", "tenant.error.logo_size", tenant.MaxLogoBytes>>10)
	case err != nil:
		err = errs.FieldError("logo-datei", "tenant.error.logo_empty")
	default:
		f, _, ferr := r.FormFile("logo-datei")
		if ferr != nil {
			err = errs.FieldError("logo-datei", "tenant.error.logo_empty")
			break
		}
		data, ferr = io.ReadAll(io.LimitReader(f, tenant.MaxLogoBytes+1))
		f.Close()
		if ferr != nil {
			err = errs.FieldError("logo-datei", "tenant.error.logo_empty")
			break
		}
		err = u.Tenants.SaveLogo(r.Context(), a, t.ID, data)
	}
	if es := asFieldErrors(err); es != nil {
		d := &profilData{Tenant: t, P: t.Profile, Accents: tenant.Accents}
		d.Errors, d.Err = u.fieldErrors(es)
		u.Render(w, r, http.StatusUnprocessableEntity, "profil", Page{Title: u.t("profile.title"), IsError: true, Section: "konto", Data: d})
		return
	}
	if err != nil {
		u.RenderError(w, r, err)
		return
	}
	http.Redirect(w, r, "/verwaltung/profil?hinweis=logo", http.StatusSeeOther)
}

// logoRemove is POST /verwaltung/profil/logo/entfernen.
func (u *UI) logoRemove(w http.ResponseWriter, r *http.Request) {
	a, t, ok := u.requireTenantAdmin(w, r)
	if !ok {
		return
	}
	if err := u.Tenants.RemoveLogo(r.Context(), a, t.ID); err != nil {
		u.RenderError(w, r, err)
		return
	}
	http.Redirect(w, r, "/verwaltung/profil?hinweis=logo_entfernt", http.StatusSeeOther)
}

// logo is GET /mandanten/{id}/logo: the image with its own media type,
// never sniffed, cacheable and revalidated (ETag: its SHA-256).
func (u *UI) logo(w http.ResponseWriter, r *http.Request) {
	l, err := u.Tenants.Logo(r.Context(), r.PathValue("id"))
	if err != nil {
		if errs.Is(err, errs.NotFound) {
			u.NotFound(w, r)
			return
		}
		u.RenderError(w, r, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", l.MediaType)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	h.Set("Cache-Control", "public, max-age=300, must-revalidate")
	h.Set("ETag", `"`+l.SHA256+`"`)
	http.ServeContent(w, r, "", l.Updated, bytes.NewReader(l.Data))
}
