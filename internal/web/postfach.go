package web

// The Postfach (/postfach) and the status monitor (/antraege) of citizens
// and organisations: read messages of authorities, answer with text and
// files, object to a Bescheid, archive, search; see every application
// with its state history.

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/ozgo/ozgo/internal/blob"
	"github.com/ozgo/ozgo/internal/errs"
	"github.com/ozgo/ozgo/internal/form"
	"github.com/ozgo/ozgo/internal/httpx"
	"github.com/ozgo/ozgo/internal/identity"
	"github.com/ozgo/ozgo/internal/onlinedienst"
	"github.com/ozgo/ozgo/internal/postfach"
	"github.com/ozgo/ozgo/internal/store"
)

// Postfach files are checked like form uploads: by their content.
var postfachTypes = []string{"application/pdf", "image/jpeg", "image/png"}

type postfachRow struct {
	*postfach.Message
	Reference string
	Unread    bool
}

type postfachData struct {
	Rows     []postfachRow
	Query    string
	Unread   bool
	Archived bool
	CaseID   string
	Notice   string
}

func (u *UI) caseRef(r *http.Request, id string) string {
	if c, err := u.Postfach.Cases.Case(r.Context(), id); err == nil {
		return c.Reference
	}
	return ""
}

// postfachList is GET /postfach.
func (u *UI) postfachList(w http.ResponseWriter, r *http.Request) {
	a, ok := u.requireCitizen(w, r)
	if !ok {
		return
	}
	q := r.URL.Query()
	d := postfachData{Query: strings.TrimSpace(q.Get("q")), Unread: q.Get("ungelesen") == "1", Archived: q.Get("archiv") == "1", CaseID: q.Get("vorgang")}
	msgs, err := u.Postfach.List(r.Context(), a, postfach.Filter{Query: d.Query, Unread: d.Unread, Archived: d.Archived, CaseID: d.CaseID})
	if err != nil {
		u.RenderError(w, r, err)
		return
	}
	refs := map[string]string{}
	for _, m := range msgs {
		if _, ok := refs[m.CaseID]; !ok {
			refs[m.CaseID] = u.caseRef(r, m.CaseID)
		}
		d.Rows = append(d.Rows, postfachRow{Message: m, Reference: refs[m.CaseID], Unread: m.Outgoing && m.Unread()})
	}
	u.Render(w, r, http.StatusOK, "postfach", Page{Title: u.t("postfach.title"), Section: "postfach", Data: d})
}

type nachrichtData struct {
	Message   *postfach.Message
	Reference string
	Thread    []*postfach.Message
	Kinds     []postfach.Kind
	Body      string
	Kind      postfach.Kind
	Errors    []fieldError
	BodyErr   string
	FileErr   string
	Notice    string
	Action    string // where the answer form posts
}

// nachricht is GET /postfach/{id}.
func (u *UI) nachricht(w http.ResponseWriter, r *http.Request) {
	a, ok := u.requireCitizen(w, r)
	if !ok {
		return
	}
	d, err := u.nachrichtData(r, a, r.PathValue("id"))
	if err != nil {
		u.RenderError(w, r, err)
		return
	}
	if r.URL.Query().Get("gesendet") == "1" {
		d.Notice = u.t("postfach.sent")
	}
	u.Render(w, r, http.StatusOK, "nachricht", Page{Title: d.title(u), Section: "postfach", Data: d})
}

func (d *nachrichtData) title(u *UI) string {
	if d.Message.Subject != "" {
		return d.Message.Subject
	}
	return u.t("postfach.kind." + string(d.Message.Kind))
}

func (u *UI) nachrichtData(r *http.Request, a *identity.Actor, id string) (*nachrichtData, error) {
	m, err := u.Postfach.Get(r.Context(), a, id)
	if err != nil {
		return nil, err
	}
	thread, err := u.Postfach.List(r.Context(), a, postfach.Filter{CaseID: m.CaseID})
	if err != nil {
		return nil, err
	}
	d := &nachrichtData{Message: m, Reference: u.caseRef(r, m.CaseID), Kind: postfach.Antwort, Action: "/postfach/" + m.ID + "/antwort",
		Kinds: []postfach.Kind{postfach.Antwort, postfach.Nachricht}}
	if m.Kind == postfach.Bescheid {
		d.Kinds = append(d.Kinds, postfach.Widerspruch)
	}
	for _, t := range thread {
		if t.ID != m.ID {
			d.Thread = append(d.Thread, t)
		}
	}
	return d, nil
}

// readFiles stores the uploaded files of a multipart form ("dateien"),
// checked by content and size like form uploads.
func (u *UI) readFiles(r *http.Request) ([]postfach.NewFile, error) {
	if r.MultipartForm == nil {
		return nil, nil
	}
	var out []postfach.NewFile
	for _, fh := range r.MultipartForm.File["dateien"] {
		if fh.Size == 0 && fh.Filename == "" {
			continue
		}
		f, err := fh.Open()
		if err != nil {
			return out, err
		}
		br := bufio.NewReaderSize(f, 512)
		head, _ := br.Peek(512)
		if len(head) == 0 {
			f.Close()
			return out, errs.FieldError("dateien", "form.error.file_empty")
		}
		mt := onlinedienst.Sniff(head)
		if !contains(postfachTypes, mt) {
			f.Close()
			return out, errs.FieldError("dateien", "form.error.file_type", onlinedienst.TypeNames(postfachTypes))
		}
		info, err := u.Antraege.Blobs.Put(r.Context(), br, u.Antraege.MaxUpload)
		f.Close()
		if errors.Is(err, blob.ErrTooLarge) {
			return out, errs.FieldError("dateien", "form.error.file_size", onlinedienst.HumanSize(u.Antraege.MaxUpload))
		}
		if err != nil {
			return out, err
		}
		out = append(out, postfach.NewFile{BlobID: info.ID, Name: onlinedienst.CleanFilename(fh.Filename, mt), MediaType: mt, Size: info.Size, SHA256: info.SHA256})
	}
	return out, nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// nachrichtAntwort is POST /postfach/{id}/antwort: the applicant answers
// with text and files.
func (u *UI) nachrichtAntwort(w http.ResponseWriter, r *http.Request) {
	a, ok := u.requireCitizen(w, r)
	if !ok {
		return
	}
	if err := parseBody(r); err != nil {
		u.RenderError(w, r, err)
		return
	}
	d, err := u.nachrichtData(r, a, r.PathValue("id"))
	if err != nil {
		u.RenderError(w, r, err)
		return
	}
	d.Body, d.Kind = r.PostFormValue("text"), postfach.Kind(r.PostFormValue("art"))
	if !contains(kindNames(d.Kinds), string(d.Kind)) {
		d.Kind = postfach.Antwort
	}
	files, err := u.readFiles(r)
	if err == nil {
		_, err = u.Postfach.Reply(r.Context(), a, postfach.Draft{CaseID: d.Message.CaseID, Kind: d.Kind, ReplyTo: d.Message.ID, Body: d.Body, Files: files})
	}
	if err != nil {
		for _, f := range files {
			_ = u.Antraege.Blobs.Delete(r.Context(), f.BlobID)
		}
		var e *errs.Error
		if !errs.Is(err, errs.Invalid) || !errors.As(err, &e) {
			u.RenderError(w, r, err)
			return
		}
		msg := u.cat.Resolve("de", e.Message, e.Args)
		if e.Field == "dateien" {
			d.FileErr = msg
			d.Errors = []fieldError{{Field: "dateien", Message: msg}}
		} else {
			d.BodyErr = msg
			d.Errors = []fieldError{{Field: "text", Message: msg}}
		}
		u.Render(w, r, http.StatusUnprocessableEntity, "nachricht", Page{Title: d.title(u), IsError: true, Section: "postfach", Data: d})
		return
	}
	http.Redirect(w, r, "/postfach/"+d.Message.ID+"?gesendet=1", http.StatusSeeOther)
}

func kindNames(ks []postfach.Kind) []string {
	out := make([]string, len(ks))
	for i, k := range ks {
		out[i] = string(k)
	}
	return out
}

// nachrichtArchiv is POST /postfach/{id}/archiv.
func (u *UI) nachrichtArchiv(w http.ResponseWriter, r *http.Request) {
	a, ok := u.requireCitizen(w, r)
	if !ok {
		return
	}
	archive := r.PostFormValue("archiv") != "0"
	if err := u.Postfach.Archive(r.Context(), a, r.PathValue("id"), archive); err != nil {
		u.RenderError(w, r, err)
		return
	}
	http.Redirect(w, r, "/postfach", http.StatusSeeOther)
}

// nachrichtAnhang is GET /postfach/{id}/anhang/{aid}.
func (u *UI) nachrichtAnhang(w http.ResponseWriter, r *http.Request) {
	a, ok := u.requireLogin(w, r, identity.None)
	if !ok {
		return
	}
	rc, at, err := u.Postfach.OpenAttachment(r.Context(), a, r.PathValue("id"), r.PathValue("aid"))
	if err != nil {
		u.RenderError(w, r, err)
		return
	}
	defer rc.Close()
	serveFile(w, at.Name, at.MediaType, at.Size, rc)
}

// serveFile sends a stored file as a download.
func serveFile(w http.ResponseWriter, name, mediaType string, size int64, rc io.Reader) {
	w.Header().Set("Content-Type", mediaType)
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": name}))
	if size > 0 {
		w.Header().Set("Content-Length", fmt.Sprint(size))
	}
	// Files come from people: never let a browser run them in ozgo's origin.
	w.Header().Set("Content-Security-Policy", "default-src 'none'; sandbox")
	_, _ = io.Copy(w, rc)
}

type antragRow struct {
	*postfach.CaseSummary
	Title     string
	Submitted string
	History   []stateRow
	Payment   *citizenPayment // a deferred fee (zahlungsaufforderung.go)
	Authority string          // who works the application, "" if unknown
	// Days and Until: the expected processing time the Gemeinde's
	// activation gives (0: none given), and the date it points to.
	Days  int
	Until string
}

type stateRow struct {
	State string
	At    string
}

type antraegeData struct {
	Rows []antragRow
}

// antraege is GET /antraege: the status monitor.
func (u *UI) antraege(w http.ResponseWriter, r *http.Request) {
	a, ok := u.requireCitizen(w, r)
	if !ok {
		return
	}
	cases, err := u.Postfach.MyCases(r.Context(), a.Party())
	if err != nil {
		u.RenderError(w, r, err)
		return
	}
	var d antraegeData
	for _, c := range cases {
		row := antragRow{CaseSummary: c, Title: c.Service}
		if svc, err := u.Antraege.Registry.Get(r.Context(), c.Service); err == nil {
			row.Title = svc.Title
		}
		row.Submitted = store.ParseTime(c.Submitted).In(form.Berlin).Format("02.01.2006, 15:04")
		for _, h := range c.History {
			row.History = append(row.History, stateRow{State: h.State, At: h.At.In(form.Berlin).Format("02.01.2006, 15:04")})
		}
		row.Payment = u.citizenPaymentOf(r, a, c.ID)
		u.caseAuthority(r, &row)
		d.Rows = append(d.Rows, row)
	}
	u.Render(w, r, http.StatusOK, "antraege", Page{Title: u.t("antraege.title"), Section: "antraege", Data: d})
}

// caseAuthority adds who works the case and the expected processing time:
// the authority the application was delivered to, and the processing
// days of the activation in the applicant's Gemeinde, counted from the
// submission in working days (Monday to Friday; public holidays are not
// known here), as the start page announces them.
func (u *UI) caseAuthority(r *http.Request, row *antragRow) {
	ctx := r.Context()
	dl := u.Antraege.Delivery
	if dl == nil {
		return
	}
	if info, err := dl.Status(ctx, row.ID); err == nil {
		row.Authority = info.Authority
	}
	if u.Tenants == nil {
		return
	}
	slug, ars, ok, err := dl.CaseOrigin(ctx, u.Antraege.DB, row.ID)
	if err != nil || !ok || ars == "" {
		return
	}
	act, err := u.Tenants.Activation(ctx, slug, ars)
	if err != nil || act.ProcessingDays <= 0 {
		return
	}
	if act.Authority != "" && row.Authority == "" {
		row.Authority = act.Authority
	}
	row.Days = act.ProcessingDays
	row.Until = addWorkdays(store.ParseTime(row.CaseSummary.Submitted).In(form.Berlin), act.ProcessingDays).Format("02.01.2006")
}

// addWorkdays returns the day n working days (Monday to Friday) after t.
func addWorkdays(t time.Time, n int) time.Time {
	for n > 0 {
		t = t.AddDate(0, 0, 1)
		if wd := t.Weekday(); wd != time.Saturday && wd != time.Sunday {
			n--
		}
	}
	return t
}

// registerPostfach adds the Postfach and status monitor routes.
func (u *UI) registerPostfach(rt *httpx.Router) {
	if u.Postfach == nil || u.Identity == nil {
		return
	}
	rt.HandleFunc("GET /postfach", u.postfachList)
	rt.HandleFunc("GET /postfach/{id}", u.nachricht)
	rt.HandleFunc("POST /postfach/{id}/antwort", u.nachrichtAntwort, httpx.BodyLimit(u.Antraege.MaxUpload*5+1<<20))
	rt.HandleFunc("POST /postfach/{id}/archiv", u.nachrichtArchiv)
	rt.HandleFunc("GET /postfach/{id}/anhang/{aid}", u.nachrichtAnhang)
	rt.HandleFunc("GET /antraege", u.antraege)
}
