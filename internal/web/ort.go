package web

// Choosing the Gemeinde one lives in. The choice is kept in a cookie in the
// browser only; the Leistung pages use it to name the responsible authority.

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/ozgo/ozgo/internal/ascii"
	"github.com/ozgo/ozgo/internal/catalog"
	"github.com/ozgo/ozgo/internal/errs"
)

// ortCookie holds the ARS of the chosen Gemeinde.
const ortCookie = "ozgo_ort"

// ortMaxAge is how long the browser keeps the chosen place: one year.
const ortMaxAge = 365 * 24 * 60 * 60

// ortMaxMatches is the number of places listed for one search.
const ortMaxMatches = 30

// chosenOrt returns the Gemeinde stored in the cookie, or nil when there is
// none or it is not (or no longer) a Gemeinde of the catalog.
func chosenOrt(r *http.Request, sn *catalog.Snapshot) *catalog.Region {
	c, err := r.Cookie(ortCookie)
	if err != nil || len(c.Value) != 12 || !ascii.Digits(c.Value) {
		return nil
	}
	g, err := sn.Region(c.Value)
	if err != nil || g.Ebene != catalog.Gemeinde {
		return nil
	}
	return &g
}

// safeReturn returns target when it is a path on this site ("/…", not
// "//…", no backslash, no scheme or host, printable ASCII only), else "/".
// It keeps the place forms from redirecting anywhere else.
func safeReturn(target string) string {
	if target == "" || len(target) > 1000 || target[0] != '/' || strings.HasPrefix(target, "//") {
		return "/"
	}
	for i := 0; i < len(target); i++ {
		// Browsers drop tabs and newlines from URLs ("/\t/evil" is "//evil")
		// and read "\" as "/".
		if c := target[i]; c <= ' ' || c >= 0x7f || c == '\\' {
			return "/"
		}
	}
	u, err := url.Parse(target)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" || !strings.HasPrefix(u.Path, "/") {
		return "/"
	}
	return target
}

// isHTTPS reports whether the client talks to ozgo over HTTPS (directly or
// through a proxy that says so).
func isHTTPS(r *http.Request) bool {
	return r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https")
}

// ortForm is the form asking for the place of residence.
type ortForm struct {
	Back  string // where to come back to once chosen
	Value string
	Error string // message of the field, "" when fine
}

// fieldError is one entry of the error summary.
type fieldError struct {
	Field   string // id of the input
	Message string
	URL     string // link target when the field is on another page
}

type ortData struct {
	Form    ortForm
	Back    crumb
	Errors  []fieldError
	Matches []regionKontext
	Total   int
	Current *catalog.Region
	// ForAntrag is set when an application asks for the place: the page
	// says why it is needed.
	ForAntrag bool
}

// ortWaehlen is GET /ort: without "ort" the form, with it the Gemeinden
// that match.
func (u *UI) ortWaehlen(w http.ResponseWriter, r *http.Request) {
	sn, ok := u.load(w, r)
	if !ok {
		return
	}
	q := r.URL.Query()
	d := ortData{Form: ortForm{Back: safeReturn(q.Get("zurueck")), Value: queryText(q, "ort")}, Current: chosenOrt(r, sn)}
	d.Back = crumb{Name: u.backLabel(sn, d.Form.Back), URL: d.Form.Back}
	if bp, _, _ := strings.Cut(d.Form.Back, "?"); strings.HasPrefix(bp, "/onlinedienste/") && strings.HasSuffix(bp, "/antrag/pruefen") {
		d.ForAntrag = true
	}
	p := Page{Title: u.t("ort.title"), Data: &d}
	_, asked := q["ort"]
	switch {
	case !asked:
	case d.Form.Value == "":
		d.Form.Error = u.t("ort.error.empty")
	default:
		matches, total := sn.SearchRegionen(catalog.RegionQuery{Q: d.Form.Value, Ebene: catalog.Gemeinde, Limit: ortMaxMatches})
		if total == 0 {
			d.Form.Error = u.t("ort.error.none", d.Form.Value)
			break
		}
		d.Total = total
		for _, m := range matches {
			d.Matches = append(d.Matches, kontextOf(sn, m))
		}
		p.Title = u.t("ort.title.results", d.Form.Value)
	}
	status := http.StatusOK
	if d.Form.Error != "" {
		d.Errors = []fieldError{{Field: "ort", Message: d.Form.Error}}
		p.IsError = true
		status = http.StatusUnprocessableEntity
	}
	u.Render(w, r, status, "ort", p)
}

// backLabel names the page a back link leads to.
func (u *UI) backLabel(sn *catalog.Snapshot, back string) string {
	p, _, _ := strings.Cut(back, "?")
	switch {
	case p == "/":
		return u.t("ort.back.home")
	case strings.HasPrefix(p, "/leistungen/"):
		if l, err := sn.Leistung(strings.TrimPrefix(p, "/leistungen/")); err == nil {
			return u.t("ort.back.to", l.Name)
		}
	case strings.HasPrefix(p, "/onlinedienste/") && strings.HasSuffix(p, "/antrag/pruefen"):
		return u.t("ort.back.antrag")
	case strings.HasPrefix(p, "/regionen/"):
		if g, err := sn.Region(strings.TrimPrefix(p, "/regionen/")); err == nil {
			return u.t("ort.back.to", g.Name)
		}
	}
	return u.t("ort.back")
}

// ortSetzen is POST /ort: remember the chosen Gemeinde and go back.
func (u *UI) ortSetzen(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		u.RenderError(w, r, errs.Wrap(errs.BadRequest, "web.ortSetzen", err, "ort.error.ars"))
		return
	}
	ars := r.PostForm.Get("ars")
	if len(ars) != 12 || !ascii.Digits(ars) {
		u.RenderError(w, r, badRequest("ort.error.ars"))
		return
	}
	sn, ok := u.load(w, r)
	if !ok {
		return
	}
	if g, err := sn.Region(ars); err != nil || g.Ebene != catalog.Gemeinde {
		u.RenderError(w, r, badRequest("ort.error.ars"))
		return
	}
	http.SetCookie(w, &http.Cookie{
		Name: ortCookie, Value: ars, Path: "/", MaxAge: ortMaxAge,
		HttpOnly: true, Secure: isHTTPS(r), SameSite: http.SameSiteLaxMode,
	})
	http.Redirect(w, r, safeReturn(r.PostForm.Get("zurueck")), http.StatusSeeOther)
}

// ortVergessen is POST /ort/vergessen: forget the chosen Gemeinde.
func (u *UI) ortVergessen(w http.ResponseWriter, r *http.Request) {
	back := "/"
	if err := r.ParseForm(); err == nil {
		back = safeReturn(r.PostForm.Get("zurueck"))
	}
	http.SetCookie(w, &http.Cookie{
		Name: ortCookie, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: isHTTPS(r), SameSite: http.SameSiteLaxMode,
	})
	http.Redirect(w, r, back, http.StatusSeeOther)
}
