package web

// Online services: the list, a service's start page, the form pages of an
// application, check-your-answers, submission and the receipt.

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/ozgo/ozgo/internal/errs"
	"github.com/ozgo/ozgo/internal/form"
	"github.com/ozgo/ozgo/internal/httpx"
	"github.com/ozgo/ozgo/internal/i18n"
	"github.com/ozgo/ozgo/internal/identity"
	"github.com/ozgo/ozgo/internal/onlinedienst"
	"github.com/ozgo/ozgo/internal/tenant"
)

// antragCookie holds "d.<draft id>.<secret>" while an application is being
// filled in and "s.<submission id>.<secret>" once it is submitted. Its path
// is the online service's, so each service has its own.
const antragCookie = "ozgo_antrag"

// maxPagePost bounds a form page's body: the answers and its uploads.
const maxPagePost = 64 << 20

func (u *UI) registerAntrag(rt *httpx.Router) {
	if u.Antraege == nil {
		return
	}
	rt.HandleFunc("GET /onlinedienste", u.onlinedienste)
	rt.HandleFunc("GET /onlinedienste/{slug}", u.onlinedienst)
	rt.HandleFunc("POST /onlinedienste/{slug}/antrag", u.antragStart)
	rt.HandleFunc("GET /onlinedienste/{slug}/antrag/pruefen", u.antragPruefen)
	rt.HandleFunc("POST /onlinedienste/{slug}/antrag/absenden", u.antragAbsenden)
	rt.HandleFunc("GET /onlinedienste/{slug}/antrag/eingang", u.antragEingang)
	rt.HandleFunc("GET /onlinedienste/{slug}/antrag/eingang.pdf", u.antragEingangPDF)
	rt.HandleFunc("GET /onlinedienste/{slug}/antrag/antrag.pdf", u.antragPapierPDF) // paper only (antrag_papier.go)
	rt.HandleFunc("GET /onlinedienste/{slug}/antrag/{seite}", u.antragSeite)
	rt.HandleFunc("POST /onlinedienste/{slug}/antrag/{seite}", u.antragSeiteSpeichern, httpx.BodyLimit(maxPagePost))
}

func servicePath(slug string) string { return "/onlinedienste/" + slug }

func pageURL(slug string, page int) string {
	return servicePath(slug) + "/antrag/" + strconv.Itoa(page+1)
}

type cookieRef struct {
	Kind, ID, Secret string
}

func readAntragCookie(r *http.Request) (cookieRef, bool) {
	c, err := r.Cookie(antragCookie)
	if err != nil {
		return cookieRef{}, false
	}
	parts := strings.SplitN(c.Value, ".", 3)
	if len(parts) != 3 || (parts[0] != "d" && parts[0] != "s") || parts[1] == "" || parts[2] == "" || len(c.Value) > 200 {
		return cookieRef{}, false
	}
	return cookieRef{parts[0], parts[1], parts[2]}, true
}

func setAntragCookie(w http.ResponseWriter, r *http.Request, slug string, ref cookieRef) {
	http.SetCookie(w, &http.Cookie{
		Name: antragCookie, Value: ref.Kind + "." + ref.ID + "." + ref.Secret, Path: servicePath(slug),
		HttpOnly: true, Secure: isHTTPS(r), SameSite: http.SameSiteLaxMode,
		MaxAge: 90 * 24 * 60 * 60,
	})
}

type onlinediensteData struct {
	Services []*onlinedienst.Service
	Crumbs   []crumb
}

// onlinedienste is GET /onlinedienste.
func (u *UI) onlinedienste(w http.ResponseWriter, r *http.Request) {
	list, err := u.Antraege.Registry.List(r.Context())
	if err != nil {
		u.RenderError(w, r, err)
		return
	}
	d := onlinediensteData{Services: list, Crumbs: []crumb{{Name: u.t("home.title"), URL: "/"}, {Name: u.t("onlinedienste.title")}}}
	u.Render(w, r, http.StatusOK, "onlinedienste", Page{Title: u.t("onlinedienste.title"), Section: "onlinedienste", Data: d})
}

type onlinedienstData struct {
	Service  *onlinedienst.Service
	Model    *form.Model
	Crumbs   []crumb
	Resume   string // URL of the page to go on with, when a draft exists
	Receipt  string // URL of the receipt, when this browser submitted one
	Expires  string
	Pages    []string
	Leistung string // link to the Leistung, if in the catalog
	// NeedLogin is the login URL when the service needs a login at a
	// higher trust level than the visitor has.
	NeedLogin string
	Level     identity.TrustLevel // the level NeedLogin asks for
	// Local is what the activation says for the chosen Gemeinde, when the
	// service is routed by activations (nil otherwise); NotOffered names
	// the chosen Gemeinde when the service is not offered online there.
	Local      *localOffer
	NotOffered string
}

// levelOK reports whether the request's actor may use svc at the given
// required level: logged in as a citizen at that trust level, if any.
func levelOK(r *http.Request, level identity.TrustLevel) bool {
	if level == identity.None {
		return true
	}
	a := identity.ActorFrom(r.Context())
	return a.Kind == identity.KindCitizen && a.TrustLevel >= level
}

// requiredLevel is the login level an application of svc needs: the
// service version's minimum, raised to the trust level of the live
// activation in the chosen Gemeinde (the higher of both). Without a
// chosen Gemeinde only the minimum is known; the check page enforces the
// rest before submission.
func (u *UI) requiredLevel(r *http.Request, svc *onlinedienst.Service) identity.TrustLevel {
	level := svc.MinTrustLevel
	if u.Antraege.Activations == nil {
		return level
	}
	sn, err := u.snapshot(r)
	if err != nil {
		return level
	}
	ort := chosenOrt(r, sn)
	if ort == nil {
		return level
	}
	if act, _, err := u.Antraege.Placement(r.Context(), svc, ort.ARS); err == nil && act != nil && act.Live {
		level = max(level, act.TrustLevel)
	}
	return level
}

// gate sends a visitor below the required trust level to log in at that
// level, coming back to the service's start page (or the page asked for).
func (u *UI) gate(w http.ResponseWriter, r *http.Request, svc *onlinedienst.Service) bool {
	level := u.requiredLevel(r, svc)
	if levelOK(r, level) {
		return true
	}
	ret := servicePath(svc.Slug)
	if r.Method == http.MethodGet {
		ret = r.URL.Path
	} else if strings.HasSuffix(r.URL.Path, "/antrag/absenden") {
		ret = checkPath(svc.Slug)
	}
	http.Redirect(w, r, loginURL(ret, level), http.StatusSeeOther)
	return false
}

// ownerOf is the party a new draft of the request belongs to.
func ownerOf(r *http.Request) string { return identity.ActorFrom(r.Context()).Party() }

// mayOpen reports whether the request's actor may open an object owned by
// owner (besides holding the browser secret): anonymous objects are open
// to the secret alone; owned ones only to their owner.
func mayOpen(r *http.Request, owner string) bool {
	return owner == "" || owner == ownerOf(r)
}

// service loads the online service of the request and the model of its
// current form version (for the start page and new drafts).
func (u *UI) service(w http.ResponseWriter, r *http.Request) (*onlinedienst.Service, *form.Model, bool) {
	svc, err := u.Antraege.Registry.Get(r.Context(), r.PathValue("slug"))
	if err != nil {
		u.RenderError(w, r, err)
		return nil, nil, false
	}
	m, err := u.Antraege.Registry.Model(r.Context(), svc.FormID, svc.FormVersion)
	if err != nil {
		u.RenderError(w, r, err)
		return nil, nil, false
	}
	return svc, m, true
}

// formOf loads the model of the form version a draft or submission was
// started with. A new version of the service may have been published
// since; form versions are immutable, so the old one keeps serving it
// ("a new version can be prepared and published while the old one keeps
// serving open drafts").
func (u *UI) formOf(w http.ResponseWriter, r *http.Request, id, version string) (*form.Model, bool) {
	m, err := u.Antraege.Registry.Model(r.Context(), id, version)
	if err != nil {
		u.RenderError(w, r, err)
		return nil, false
	}
	return m, true
}

// onlinedienst is GET /onlinedienste/{slug}: what the service is, what one
// needs, and the button to start.
func (u *UI) onlinedienst(w http.ResponseWriter, r *http.Request) {
	svc, m, ok := u.service(w, r)
	if !ok {
		return
	}
	d := onlinedienstData{Service: svc, Model: m, Crumbs: []crumb{
		{Name: u.t("home.title"), URL: "/"}, {Name: u.t("onlinedienste.title"), URL: "/onlinedienste"}, {Name: svc.Title},
	}}
	for i, p := range m.Pages {
		d.Pages = append(d.Pages, u.pageTitle(m, i, p))
	}
	if svc.LeiKa != "" {
		d.Leistung = "/leistungen/" + svc.LeiKa
	}
	d.Local, d.NotOffered = u.localOffer(r, svc)
	if level := u.requiredLevel(r, svc); !levelOK(r, level) {
		d.NeedLogin, d.Level = loginURL(servicePath(svc.Slug), level), level
	} else if ref, ok := readAntragCookie(r); ok {
		switch ref.Kind {
		case "d":
			if dr, err := u.Antraege.Drafts.Load(r.Context(), ref.ID, ref.Secret); err == nil && dr.Service == svc.Slug && mayOpen(r, dr.Owner) {
				dm := m
				if dr.FormID != svc.FormID || dr.FormVersion != svc.FormVersion {
					if dm, ok = u.formOf(w, r, dr.FormID, dr.FormVersion); !ok {
						return
					}
				}
				d.Resume = pageURL(svc.Slug, resumePage(dm, dr.State))
				d.Expires = dr.Expires.In(form.Berlin).Format("02.01.2006")
			}
		case "s":
			if s, err := u.Antraege.Drafts.LoadSubmission(r.Context(), ref.ID, ref.Secret); err == nil && s.Service == svc.Slug && mayOpen(r, s.Owner) {
				d.Receipt = servicePath(svc.Slug) + "/antrag/eingang"
			}
		}
	}
	u.Render(w, r, http.StatusOK, "onlinedienst", Page{Title: svc.Title, Section: "onlinedienste", Data: d})
}

// resumePage is the first page not saved yet, or the last one.
func resumePage(m *form.Model, s *form.State) int {
	for i := range m.Pages {
		if !s.Seen[i] {
			return i
		}
	}
	return len(m.Pages) - 1
}

// antragStart is POST /onlinedienste/{slug}/antrag: a new draft. A draft
// this browser had for the service is discarded when asked to ("neu").
func (u *UI) antragStart(w http.ResponseWriter, r *http.Request) {
	svc, _, ok := u.service(w, r)
	if !ok || !u.gate(w, r, svc) {
		return
	}
	if ref, ok := readAntragCookie(r); ok && ref.Kind == "d" {
		if dr, err := u.Antraege.Drafts.Load(r.Context(), ref.ID, ref.Secret); err == nil && mayOpen(r, dr.Owner) {
			if r.PostFormValue("neu") == "" {
				http.Redirect(w, r, pageURL(svc.Slug, 0), http.StatusSeeOther)
				return
			}
			if files, err := u.Antraege.Drafts.Discard(r.Context(), dr); err == nil {
				u.Antraege.DeleteFiles(r.Context(), files)
			}
		}
	}
	dr, secret, err := u.Antraege.Drafts.Create(r.Context(), ownerOf(r), svc.Slug, svc.FormID, svc.FormVersion)
	if err != nil {
		u.RenderError(w, r, err)
		return
	}
	setAntragCookie(w, r, svc.Slug, cookieRef{"d", dr.ID, secret})
	u.countStatistic(r, svc.Slug, tenant.StatStarted)
	http.Redirect(w, r, pageURL(svc.Slug, 0), http.StatusSeeOther)
}

// draft loads the draft of this browser for the service.
func (u *UI) draft(w http.ResponseWriter, r *http.Request, svc *onlinedienst.Service) (*form.Draft, bool) {
	if !u.gate(w, r, svc) {
		return nil, false
	}
	ref, ok := readAntragCookie(r)
	if !ok || ref.Kind != "d" {
		u.noDraft(w, r, svc, nil)
		return nil, false
	}
	dr, err := u.Antraege.Drafts.Load(r.Context(), ref.ID, ref.Secret)
	if err == nil && !mayOpen(r, dr.Owner) {
		err = errs.E(errs.NotFound, "")
	}
	if err != nil || dr.Service != svc.Slug {
		u.noDraft(w, r, svc, err)
		return nil, false
	}
	return dr, true
}

type noDraftData struct {
	Service *onlinedienst.Service
	Expired bool
}

func (u *UI) noDraft(w http.ResponseWriter, r *http.Request, svc *onlinedienst.Service, err error) {
	if err != nil && !errs.Is(err, errs.NotFound) {
		u.RenderError(w, r, err)
		return
	}
	d := noDraftData{Service: svc, Expired: errors.Is(err, form.ErrDraftExpired)}
	u.Render(w, r, http.StatusNotFound, "antrag_fehlt", Page{Title: u.t("antrag.missing.title"), Section: "onlinedienste", Data: d})
}

// serviceDraft loads the online service of the request, this browser's
// draft for it and the model of the draft's own form version.
func (u *UI) serviceDraft(w http.ResponseWriter, r *http.Request) (*onlinedienst.Service, *form.Model, *form.Draft, bool) {
	svc, err := u.Antraege.Registry.Get(r.Context(), r.PathValue("slug"))
	if err != nil {
		u.RenderError(w, r, err)
		return nil, nil, nil, false
	}
	dr, ok := u.draft(w, r, svc)
	if !ok {
		return nil, nil, nil, false
	}
	m, ok := u.formOf(w, r, dr.FormID, dr.FormVersion)
	return svc, m, dr, ok
}

// pageDraft is serviceDraft for a form page: it also reads the page number.
func (u *UI) pageDraft(w http.ResponseWriter, r *http.Request) (*onlinedienst.Service, *form.Model, *form.Draft, int, bool) {
	svc, m, dr, ok := u.serviceDraft(w, r)
	if !ok {
		return nil, nil, nil, 0, false
	}
	page, ok := parsePage(m, r.PathValue("seite"))
	if !ok {
		u.NotFound(w, r)
		return nil, nil, nil, 0, false
	}
	return svc, m, dr, page, true
}

func parsePage(m *form.Model, s string) (int, bool) {
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > len(m.Pages) || strconv.Itoa(n) != s {
		return 0, false
	}
	return n - 1, true
}

// antragSeite is GET /onlinedienste/{slug}/antrag/{seite}.
func (u *UI) antragSeite(w http.ResponseWriter, r *http.Request) {
	svc, m, dr, page, ok := u.pageDraft(w, r)
	if !ok {
		return
	}
	u.renderFormPage(w, r, http.StatusOK, svc, m, dr, page, nil, r.URL.Query().Get("pruefen") == "1")
}

// antragSeiteSpeichern is POST /onlinedienste/{slug}/antrag/{seite}: save
// the page's answers and uploads, then act on the button pressed.
func (u *UI) antragSeiteSpeichern(w http.ResponseWriter, r *http.Request) {
	svc, m, dr, page, ok := u.pageDraft(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	if err := parseBody(r); err != nil {
		u.RenderError(w, r, err)
		return
	}
	m.Apply(dr.State, page, r.PostForm)
	// Uploads: every file field of the page with a chosen file.
	uploadErrs := map[string]error{}
	if r.MultipartForm != nil {
		for _, o := range m.PageFields(dr.State, page) {
			if !o.Node.IsFile() {
				continue
			}
			fhs := r.MultipartForm.File[o.Path]
			if len(fhs) == 0 || fhs[0].Size == 0 && fhs[0].Filename == "" {
				continue
			}
			f, err := fhs[0].Open()
			if err != nil {
				uploadErrs[o.Path] = errs.FieldError(o.Path, "form.error.file_read")
				continue
			}
			err = u.Antraege.Upload(ctx, m, dr, o.Path, fhs[0].Filename, f)
			f.Close()
			if err != nil {
				if !errs.Is(err, errs.Invalid) {
					u.RenderError(w, r, err)
					return
				}
				uploadErrs[o.Path] = err
			}
		}
	}
	fromCheck := r.PostFormValue("pruefen") == "1"
	action := r.PostFormValue("aktion")
	anchor := ""
	switch {
	case strings.HasPrefix(action, "hinzufuegen:"):
		p := strings.TrimPrefix(action, "hinzufuegen:")
		if !m.Add(dr.State, page, p) {
			u.RenderError(w, r, badRequest("antrag.error.action"))
			return
		}
		anchor = "#" + fieldID(p+"."+strconv.Itoa(dr.State.Count(m.Node(form.ModelPath(p)), p)-1))
	case strings.HasPrefix(action, "entfernen:"):
		p := strings.TrimPrefix(action, "entfernen:")
		i := strings.LastIndexByte(p, '.')
		idx, err := strconv.Atoi(p[i+1:])
		if i < 0 || err != nil {
			u.RenderError(w, r, badRequest("antrag.error.action"))
			return
		}
		dropped, ok := m.Remove(dr.State, page, p[:i], idx)
		if !ok {
			u.RenderError(w, r, badRequest("antrag.error.action"))
			return
		}
		u.Antraege.DeleteFiles(ctx, dropped)
		anchor = "#" + fieldID(p[:i])
	case strings.HasPrefix(action, "datei-entfernen:"):
		p := strings.TrimPrefix(action, "datei-entfernen:")
		u.Antraege.RemoveFile(ctx, dr, p)
		anchor = "#" + fieldID(p)
	case action == "zurueck", action == "weiter", action == "":
	default:
		u.RenderError(w, r, badRequest("antrag.error.action"))
		return
	}
	if action == "weiter" || action == "" {
		dr.State.Seen[page] = true
	}
	if err := u.Antraege.Drafts.Save(ctx, dr); err != nil {
		u.RenderError(w, r, err)
		return
	}
	if len(uploadErrs) > 0 {
		u.renderFormPage(w, r, http.StatusUnprocessableEntity, svc, m, dr, page, uploadErrs, fromCheck)
		return
	}
	self := pageURL(svc.Slug, page)
	if fromCheck {
		self += "?pruefen=1"
	}
	switch action {
	case "zurueck":
		if page == 0 {
			http.Redirect(w, r, servicePath(svc.Slug), http.StatusSeeOther)
		} else {
			http.Redirect(w, r, pageURL(svc.Slug, page-1), http.StatusSeeOther)
		}
		return
	case "weiter", "":
		if len(m.Evaluate(dr.State).PageErrors(page)) > 0 {
			u.renderFormPage(w, r, http.StatusUnprocessableEntity, svc, m, dr, page, nil, fromCheck)
			return
		}
		if fromCheck || page == len(m.Pages)-1 {
			http.Redirect(w, r, servicePath(svc.Slug)+"/antrag/pruefen", http.StatusSeeOther)
		} else {
			http.Redirect(w, r, pageURL(svc.Slug, page+1), http.StatusSeeOther)
		}
		return
	}
	http.Redirect(w, r, self+anchor, http.StatusSeeOther)
}

// parseBody reads a urlencoded or multipart form. Uploads beyond memory
// go to temporary files, removed when the request ends.
func parseBody(r *http.Request) error {
	ct := r.Header.Get("Content-Type")
	var err error
	if strings.HasPrefix(ct, "multipart/form-data") {
		err = r.ParseMultipartForm(4 << 20)
	} else {
		err = r.ParseForm()
	}
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return errs.K(errs.TooLarge, "antrag.error.too_large")
		}
		return errs.K(errs.BadRequest, "antrag.error.body")
	}
	return nil
}

// fieldID is the HTML id of the input for an instance path.
func fieldID(ipath string) string { return "f-" + strings.ReplaceAll(ipath, ".", "-") }

type checkData struct {
	Service *onlinedienst.Service
	Paper   string // URL of the filled application as PDF (paper-only Gemeinde)
	Crumbs  []crumb
	Errors  []fieldError
	Pages   []answerPage
	Step    int
	Steps   int
	Back    string
	Routing routing
	Fee     string // the fee as the applicant reads it (payment, issue 8)
}

type answerPage struct {
	Title  string
	Change string
	Rows   []answerRow
}

// antragPruefen is GET /onlinedienste/{slug}/antrag/pruefen.
func (u *UI) antragPruefen(w http.ResponseWriter, r *http.Request) {
	svc, m, dr, ok := u.serviceDraft(w, r)
	if !ok {
		return
	}
	rt, err := u.route(r, svc)
	if err != nil {
		u.RenderError(w, r, err)
		return
	}
	u.renderCheck(w, r, http.StatusOK, svc, m, dr, rt)
}

func (u *UI) renderCheck(w http.ResponseWriter, r *http.Request, status int, svc *onlinedienst.Service, m *form.Model, dr *form.Draft, rt routing) {
	res := m.Evaluate(dr.State)
	d := checkData{Service: svc, Steps: len(m.Pages) + 1, Step: len(m.Pages) + 1, Back: pageURL(svc.Slug, len(m.Pages)-1), Routing: rt}
	if status != http.StatusOK && len(res.Errors) == 0 {
		d.Errors = u.routingErrors(rt)
	}
	if rt.PaperOnly && len(res.Errors) == 0 {
		d.Paper = paperPath(svc.Slug)
	}
	for _, e := range res.Errors {
		d.Errors = append(d.Errors, fieldError{
			Field:   "",
			Message: labelled(e.Node.Title(), u.cat.Resolve(i18n.Default, e.Message, e.Args)),
			URL:     pageURL(svc.Slug, e.Page) + "?pruefen=1#" + fieldID(e.Path),
		})
	}
	for i, p := range m.Pages {
		d.Pages = append(d.Pages, answerPage{
			Title:  u.pageTitle(m, i, p),
			Change: pageURL(svc.Slug, i) + "?pruefen=1",
			Rows:   u.answerRows(m, res.Data, i, svc.Slug, true),
		})
	}
	if len(res.Errors) == 0 {
		d.Fee = u.checkFeeText(r, svc, res.Data) // payment (issue 8)
	}
	p := Page{Title: u.t("antrag.check.title"), IsError: status != http.StatusOK, Section: "onlinedienste", Data: d}
	u.Render(w, r, status, "antrag_pruefen", p)
}

// antragAbsenden is POST /onlinedienste/{slug}/antrag/absenden.
func (u *UI) antragAbsenden(w http.ResponseWriter, r *http.Request) {
	svc, m, dr, ok := u.serviceDraft(w, r)
	if !ok {
		return
	}
	rt, err := u.route(r, svc)
	if err != nil {
		u.RenderError(w, r, err)
		return
	}
	if len(m.Evaluate(dr.State).Errors) > 0 {
		u.renderCheck(w, r, http.StatusUnprocessableEntity, svc, m, dr, rt)
		return
	}
	if !rt.Ready {
		// No place, or no authority there: the draft stays, the check page
		// says why and what to do.
		u.renderCheck(w, r, http.StatusConflict, svc, m, dr, rt)
		return
	}
	if u.paymentGate(w, r, svc, m, dr) { // payment (issue 8): pay first, see bezahlen.go
		return
	}
	sub, err := u.Antraege.Submit(r.Context(), svc, m, dr, u.submitOptions(r, svc, m, rt))
	if errs.Is(err, errs.Invalid) {
		u.renderCheck(w, r, http.StatusUnprocessableEntity, svc, m, dr, rt)
		return
	}
	if errs.Is(err, errs.Conflict) {
		// The destination went away between the check page and now.
		rt.Ready, rt.NoDestination = false, true
		u.renderCheck(w, r, http.StatusConflict, svc, m, dr, rt)
		return
	}
	if err != nil {
		u.RenderError(w, r, err)
		return
	}
	ref, _ := readAntragCookie(r)
	setAntragCookie(w, r, svc.Slug, cookieRef{"s", sub.ID, ref.Secret})
	u.countStatistic(r, svc.Slug, tenant.StatSubmitted)
	http.Redirect(w, r, servicePath(svc.Slug)+"/antrag/eingang", http.StatusSeeOther)
}

type receiptData struct {
	Service   *onlinedienst.Service
	Reference string
	Submitted string
	Pages     []answerPage
	Files     []form.File
	Delivery  *deliveryView
}

// antragEingang is GET /onlinedienste/{slug}/antrag/eingang: the receipt.
func (u *UI) antragEingang(w http.ResponseWriter, r *http.Request) {
	svc, _, ok := u.service(w, r)
	if !ok || !u.gate(w, r, svc) {
		return
	}
	sub, ok := u.submission(w, r, svc)
	if !ok {
		return
	}
	m, ok := u.formOf(w, r, sub.FormID, sub.Version)
	if !ok {
		return
	}
	data, err := decodeInstance(sub.Data)
	if err != nil {
		u.RenderError(w, r, err)
		return
	}
	d := receiptData{Service: svc, Reference: sub.Reference, Submitted: sub.Submitted.In(form.Berlin).Format("02.01.2006, 15:04"), Files: sub.Attachments}
	if info, err := u.Antraege.Delivery.Status(r.Context(), sub.ID); err == nil {
		d.Delivery = &deliveryView{Authority: info.Authority, Delivered: info.Delivered, CaseID: info.CaseID}
		if info.HasPDF {
			d.Delivery.PDF = servicePath(svc.Slug) + "/antrag/eingang.pdf"
		}
	} else if !errs.Is(err, errs.NotFound) {
		u.RenderError(w, r, err)
		return
	}
	for i, p := range m.Pages {
		d.Pages = append(d.Pages, answerPage{Title: u.pageTitle(m, i, p), Rows: u.answerRows(m, data, i, svc.Slug, false)})
	}
	u.Render(w, r, http.StatusOK, "antrag_eingang", Page{Title: u.t("antrag.receipt.title"), Section: "onlinedienste", Data: d})
}
