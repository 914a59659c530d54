package web

// The clerk workspace (/sachbearbeitung): the applications of the clerk's
// tenant, one case with its answers, files, messages and notes, and the
// actions: take it, change its state, ask the applicant, decide with a
// Bescheid.

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/ozgo/ozgo/internal/errs"
	"github.com/ozgo/ozgo/internal/form"
	"github.com/ozgo/ozgo/internal/httpx"
	"github.com/ozgo/ozgo/internal/identity"
	"github.com/ozgo/ozgo/internal/inbox"
	"github.com/ozgo/ozgo/internal/postfach"
)

// requireTenantStaff is requireStaff for staff of a tenant: the
// workspace has nothing for platform operators.
func (u *UI) requireTenantStaff(w http.ResponseWriter, r *http.Request) (*identity.Actor, bool) {
	a, ok := u.requireStaff(w, r)
	if ok && a.TenantID == "" {
		u.NotFound(w, r)
		return nil, false
	}
	return a, ok
}

type caseRow struct {
	inbox.Case
	Title    string
	Mine     bool
	Assigned bool
}

type sachbearbeitungData struct {
	Rows     []caseRow
	Filter   inbox.Filter
	From, To string
	States   []string
	Services []serviceOption
}

type serviceOption struct{ Slug, Title string }

func (u *UI) serviceTitle(r *http.Request, slug string) string {
	if svc, err := u.Antraege.Registry.Get(r.Context(), slug); err == nil {
		return svc.Title
	}
	return slug
}

// sachbearbeitung is GET /sachbearbeitung: the list of cases.
func (u *UI) sachbearbeitung(w http.ResponseWriter, r *http.Request) {
	a, ok := u.requireTenantStaff(w, r)
	if !ok {
		return
	}
	q := r.URL.Query()
	d := sachbearbeitungData{States: append([]string{"alle"}, postfach.CaseStates...), From: q.Get("von"), To: q.Get("bis")}
	d.Filter = inbox.Filter{State: q.Get("stand"), Service: q.Get("leistung"), Query: q.Get("q"), Assignee: q.Get("zustaendig")}
	if d.Filter.Assignee == "ich" {
		d.Filter.Assignee = a.Principal
	}
	if t, err := time.ParseInLocation("02.01.2006", d.From, form.Berlin); err == nil {
		d.Filter.From = t
	}
	if t, err := time.ParseInLocation("02.01.2006", d.To, form.Berlin); err == nil {
		d.Filter.To = t.AddDate(0, 0, 1)
	}
	cases, err := u.Inbox.List(r.Context(), a, d.Filter)
	if err != nil {
		u.inboxError(w, r, err)
		return
	}
	titles := map[string]string{}
	for _, c := range cases {
		if _, ok := titles[c.Service]; !ok {
			titles[c.Service] = u.serviceTitle(r, c.Service)
		}
		d.Rows = append(d.Rows, caseRow{Case: c, Title: titles[c.Service], Mine: c.Assignee == a.Principal, Assigned: c.Assignee != ""})
	}
	if list, err := u.Antraege.Registry.List(r.Context()); err == nil {
		for _, s := range list {
			d.Services = append(d.Services, serviceOption{Slug: s.Slug, Title: s.Title})
		}
	}
	if d.Filter.Assignee == a.Principal {
		d.Filter.Assignee = "ich"
	}
	u.Render(w, r, http.StatusOK, "sachbearbeitung", Page{Title: u.t("inbox.title"), Section: "sachbearbeitung", Data: d})
}

type fallData struct {
	Case      *inbox.Case
	Title     string
	Pages     []answerPage
	Files     []form.File
	History   []stateRow
	Messages  []*postfach.Message
	Notes     []inbox.Note
	Mine      bool
	Outcomes  []string
	States    []string
	Template  map[string]string
	Errors    []fieldError
	Notice    string
	AskKind   string
	AskText   string
	AskDue    string
	AskErr    string
	DueErr    string
	Outcome   string
	Decision  string
	DecideErr string
	NoteErr   string
	RejectErr string
	HasPDF    bool
	RawData   string        // the application's data when there is no form model
	Payment   *clerkPayment // payment (issue 8)
}

func (u *UI) fallData(r *http.Request, a *identity.Actor, id string) (*fallData, error) {
	ctx := r.Context()
	c, sub, err := u.Inbox.Get(ctx, a, id)
	if err != nil {
		return nil, err
	}
	d := &fallData{Case: c, Title: u.serviceTitle(r, c.Service), Files: sub.Attachments, Mine: c.Assignee == a.Principal,
		Outcomes: inbox.Outcomes, States: postfach.CaseStates, AskKind: string(postfach.Nachforderung), Outcome: postfach.StateBewilligt}
	if m, err := u.Antraege.Registry.Model(ctx, sub.FormID, sub.Version); err == nil && !c.External {
		if data, err := decodeInstance(sub.Data); err == nil {
			for i, p := range m.Pages {
				d.Pages = append(d.Pages, answerPage{Title: u.pageTitle(m, i, p), Rows: u.answerRows(m, data, i, c.Service, false)})
			}
		}
	}
	if len(d.Pages) == 0 {
		// No form model (an external sender's application): the data as
		// sent, indented.
		var buf bytes.Buffer
		if json.Indent(&buf, sub.Data, "", "  ") == nil {
			d.RawData = buf.String()
		} else {
			d.RawData = string(sub.Data)
		}
	}
	d.Payment = u.clerkPaymentFor(r, a, c, sub.Data) // payment (issue 8)
	hist, err := u.Postfach.History(ctx, a, id)
	if err != nil {
		return nil, err
	}
	for _, h := range hist {
		d.History = append(d.History, stateRow{State: h.State, At: h.At.In(form.Berlin).Format("02.01.2006, 15:04")})
	}
	if d.Messages, err = u.Postfach.List(ctx, a, postfach.Filter{CaseID: id}); err != nil {
		return nil, err
	}
	if d.Notes, err = u.Inbox.Notes(ctx, a, id); err != nil {
		return nil, err
	}
	values := u.Inbox.Placeholders(ctx, c, sub)
	values["Leistung"] = d.Title
	d.Template = map[string]string{}
	for k, t := range inbox.Templates {
		d.Template[k] = inbox.FillTemplate(t, values)
	}
	d.Decision = d.Template[d.Outcome]
	if c.External {
		d.HasPDF = true // offered when the sender sent one; else 404
	} else if id, err := u.Inbox.FormPDF(ctx, a, c.ID); err == nil && id != "" {
		d.HasPDF = true
	}
	return d, nil
}

// fall is GET /sachbearbeitung/{id}.
func (u *UI) fall(w http.ResponseWriter, r *http.Request) {
	a, ok := u.requireTenantStaff(w, r)
	if !ok {
		return
	}
	d, err := u.fallData(r, a, r.PathValue("id"))
	if err != nil {
		u.inboxError(w, r, err)
		return
	}
	if n := r.URL.Query().Get("hinweis"); n != "" {
		d.Notice = u.t("inbox.notice." + n)
	}
	u.Render(w, r, http.StatusOK, "fall", Page{Title: u.t("inbox.case.title", d.Case.Reference), Section: "sachbearbeitung", Data: d})
}

func (u *UI) fallAction(w http.ResponseWriter, r *http.Request, notice string, do func(a *identity.Actor, id string) error) {
	a, ok := u.requireTenantStaff(w, r)
	if !ok {
		return
	}
	id := r.PathValue("id")
	if err := do(a, id); err != nil {
		u.inboxError(w, r, err)
		return
	}
	http.Redirect(w, r, "/sachbearbeitung/"+id+"?hinweis="+notice, http.StatusSeeOther)
}

// fallUebernehmen is POST /sachbearbeitung/{id}/zuweisen.
func (u *UI) fallUebernehmen(w http.ResponseWriter, r *http.Request) {
	u.fallAction(w, r, "zugewiesen", func(a *identity.Actor, id string) error {
		who := a.Principal
		if r.PostFormValue("freigeben") != "" {
			who = ""
		}
		return u.Inbox.Assign(r.Context(), a, id, who)
	})
}

// fallStand is POST /sachbearbeitung/{id}/stand.
func (u *UI) fallStand(w http.ResponseWriter, r *http.Request) {
	u.fallAction(w, r, "stand", func(a *identity.Actor, id string) error {
		return u.Inbox.SetState(r.Context(), a, id, r.PostFormValue("stand"))
	})
}

// fallNotiz is POST /sachbearbeitung/{id}/notiz.
func (u *UI) fallNotiz(w http.ResponseWriter, r *http.Request) {
	a, ok := u.requireTenantStaff(w, r)
	if !ok {
		return
	}
	id := r.PathValue("id")
	err := u.Inbox.AddNote(r.Context(), a, id, r.PostFormValue("notiz"))
	if u.fallInvalid(w, r, a, id, err, func(d *fallData, msg string) {
		d.NoteErr = msg
		d.Errors = []fieldError{{Field: "notiz", Message: msg}}
	}) {
		return
	}
	http.Redirect(w, r, "/sachbearbeitung/"+id+"?hinweis=notiz", http.StatusSeeOther)
}

// fallInvalid re-renders the case page with a field error; it reports
// whether err was handled (also when it was not a field error).
func (u *UI) fallInvalid(w http.ResponseWriter, r *http.Request, a *identity.Actor, id string, err error, set func(*fallData, string)) bool {
	if err == nil {
		return false
	}
	var e *errs.Error
	if !errs.Is(err, errs.Invalid) || !errors.As(err, &e) {
		u.inboxError(w, r, err)
		return true
	}
	d, derr := u.fallData(r, a, id)
	if derr != nil {
		u.inboxError(w, r, derr)
		return true
	}
	set(d, u.cat.Resolve("de", e.Message, e.Args))
	u.Render(w, r, http.StatusUnprocessableEntity, "fall", Page{Title: u.t("inbox.case.title", d.Case.Reference), IsError: true, Section: "sachbearbeitung", Data: d})
	return true
}

// fallNachricht is POST /sachbearbeitung/{id}/nachricht: a question or a
// request for documents to the applicant's Postfach.
func (u *UI) fallNachricht(w http.ResponseWriter, r *http.Request) {
	a, ok := u.requireTenantStaff(w, r)
	if !ok {
		return
	}
	if err := parseBody(r); err != nil {
		u.inboxError(w, r, err)
		return
	}
	id := r.PathValue("id")
	kind := postfach.Kind(r.PostFormValue("art"))
	if kind != postfach.Frage && kind != postfach.Mitteilung {
		kind = postfach.Nachforderung
	}
	due := ""
	dueIn := strings.TrimSpace(r.PostFormValue("frist"))
	if dueIn != "" {
		if t, err := time.ParseInLocation("02.01.2006", dueIn, form.Berlin); err == nil {
			due = t.Format("2006-01-02")
		} else {
			due = "x"
		}
	}
	files, err := u.readFiles(r)
	if err == nil {
		_, err = u.Postfach.Send(r.Context(), a, postfach.Draft{CaseID: id, Kind: kind, Subject: u.t("postfach.kind." + string(kind)), Body: r.PostFormValue("text"), DueDate: due, Files: files})
	}
	if u.fallInvalid(w, r, a, id, err, func(d *fallData, msg string) {
		d.AskKind, d.AskText, d.AskDue = string(kind), r.PostFormValue("text"), dueIn
		var e *errs.Error
		if errors.As(err, &e) && e.Field == "due" {
			d.DueErr = msg
			d.Errors = []fieldError{{Field: "frist", Message: msg}}
		} else {
			d.AskErr = msg
			d.Errors = []fieldError{{Field: "ask-text", Message: msg}}
		}
	}) {
		for _, f := range files {
			_ = u.Antraege.Blobs.Delete(r.Context(), f.BlobID)
		}
		return
	}
	http.Redirect(w, r, "/sachbearbeitung/"+id+"?hinweis=gesendet", http.StatusSeeOther)
}

// fallEntscheiden is POST /sachbearbeitung/{id}/entscheiden: the decision
// with a Bescheid to the applicant's Postfach.
func (u *UI) fallEntscheiden(w http.ResponseWriter, r *http.Request) {
	a, ok := u.requireTenantStaff(w, r)
	if !ok {
		return
	}
	if err := parseBody(r); err != nil {
		u.inboxError(w, r, err)
		return
	}
	id := r.PathValue("id")
	feeDue, err := feeDueFromForm(r, false) // payment (issue 8): checked before the Bescheid goes out
	var files []postfach.NewFile
	if err == nil {
		files, err = u.readFiles(r)
	}
	var m *postfach.Message
	dec := inbox.Decision{Outcome: r.PostFormValue("entscheidung"), Text: r.PostFormValue("bescheidtext"), Files: files}
	if err == nil {
		m, err = u.Inbox.Decide(r.Context(), a, id, dec)
	}
	if err == nil && m == nil {
		// No Postfach back channel (external sender): the Bescheid as PDF
		// to download and send by another way.
		var pdf []byte
		if pdf, err = u.Inbox.BescheidPDF(r.Context(), a, id, dec); err == nil {
			serveFile(w, "bescheid.pdf", "application/pdf", int64(len(pdf)), bytes.NewReader(pdf))
			return
		}
	}
	if err == nil && feeDue != "" {
		err = u.requestFee(r, a, id, feeDue) // the Zahlungsaufforderung (zahlungsaufforderung.go)
	}
	if u.fallInvalid(w, r, a, id, err, func(d *fallData, msg string) {
		d.Outcome, d.Decision = r.PostFormValue("entscheidung"), r.PostFormValue("bescheidtext")
		if feeInvalid(d, r, err, msg) {
			return
		}
		d.DecideErr = msg
		d.Errors = []fieldError{{Field: "bescheidtext", Message: msg}}
	}) {
		return
	}
	http.Redirect(w, r, "/sachbearbeitung/"+id+"?hinweis=entschieden", http.StatusSeeOther)
}

// fallZurueckweisen is POST /sachbearbeitung/{id}/zurueckweisen: the
// formal rejection (FIT-Connect reject-submission) with a reason for the
// applicant.
func (u *UI) fallZurueckweisen(w http.ResponseWriter, r *http.Request) {
	a, ok := u.requireTenantStaff(w, r)
	if !ok {
		return
	}
	id := r.PathValue("id")
	err := u.Inbox.Reject(r.Context(), a, id, r.PostFormValue("grund"))
	if u.fallInvalid(w, r, a, id, err, func(d *fallData, msg string) {
		d.RejectErr = msg
		d.Errors = []fieldError{{Field: "grund", Message: msg}}
	}) {
		return
	}
	http.Redirect(w, r, "/sachbearbeitung/"+id+"?hinweis=zurueckgewiesen", http.StatusSeeOther)
}

// fallPDF is GET /sachbearbeitung/{id}/antrag.pdf: the application as the
// PDF that was delivered with it.
func (u *UI) fallPDF(w http.ResponseWriter, r *http.Request) {
	a, ok := u.requireTenantStaff(w, r)
	if !ok {
		return
	}
	body, err := u.Inbox.FormPDFContent(r.Context(), a, r.PathValue("id"))
	if err != nil {
		u.inboxError(w, r, err)
		return
	}
	serveFile(w, "antrag.pdf", "application/pdf", int64(len(body)), bytes.NewReader(body))
}

// fallDaten is GET /sachbearbeitung/{id}/daten.json: the application as
// it was submitted (JSON valid against the form's schema).
func (u *UI) fallDaten(w http.ResponseWriter, r *http.Request) {
	a, ok := u.requireTenantStaff(w, r)
	if !ok {
		return
	}
	_, sub, err := u.Inbox.Get(r.Context(), a, r.PathValue("id"))
	if err != nil {
		u.inboxError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Disposition", `attachment; filename="antrag-`+sub.Reference+`.json"`)
	_, _ = w.Write(sub.Data)
}

// fallDatei is GET /sachbearbeitung/{id}/datei/{n}: an uploaded file.
func (u *UI) fallDatei(w http.ResponseWriter, r *http.Request) {
	a, ok := u.requireTenantStaff(w, r)
	if !ok {
		return
	}
	_, sub, err := u.Inbox.Get(r.Context(), a, r.PathValue("id"))
	if err != nil {
		u.inboxError(w, r, err)
		return
	}
	n, err := strconv.Atoi(r.PathValue("n"))
	if err != nil || n < 0 || n >= len(sub.Attachments) {
		u.NotFound(w, r)
		return
	}
	f := sub.Attachments[n]
	body, err := u.Inbox.FileContent(r.Context(), a, sub.ID, f)
	if err != nil {
		u.inboxError(w, r, err)
		return
	}
	serveFile(w, f.Name, f.MediaType, int64(len(body)), bytes.NewReader(body))
}

// fallExport is GET /sachbearbeitung/{id}/export.zip: the case for the
// E-Akte: the application as JSON, its files, the messages with theirs,
// the state history and notes.
func (u *UI) fallExport(w http.ResponseWriter, r *http.Request) {
	a, ok := u.requireTenantStaff(w, r)
	if !ok {
		return
	}
	id := r.PathValue("id")
	d, err := u.fallData(r, a, id)
	if err != nil {
		u.inboxError(w, r, err)
		return
	}
	_, sub, err := u.Inbox.Get(r.Context(), a, id)
	if err != nil {
		u.inboxError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/zip")
	w.Header().Set("Content-Disposition", `attachment; filename="vorgang-`+sub.Reference+`.zip"`)
	zw := zip.NewWriter(w)
	defer zw.Close()
	add := func(name string, body []byte) {
		if f, err := zw.Create(name); err == nil {
			_, _ = f.Write(body)
		}
	}
	copyBlob := func(name, blobID string) {
		rc, _, err := u.Antraege.Blobs.Open(r.Context(), blobID)
		if err != nil {
			return
		}
		defer rc.Close()
		if f, err := zw.Create(name); err == nil {
			_, _ = io.Copy(f, rc)
		}
	}
	add("antrag.json", sub.Data)
	for i, f := range sub.Attachments {
		if body, err := u.Inbox.FileContent(r.Context(), a, id, f); err == nil {
			add(fmt.Sprintf("anlagen/%02d-%s", i+1, f.Name), body)
		}
	}
	type msgOut struct {
		ID, Kind, Subject, Body, DueDate string
		Outgoing                         bool
		Sent                             time.Time
		Files                            []string
	}
	var msgs []msgOut
	for i, m := range d.Messages {
		mo := msgOut{ID: m.ID, Kind: string(m.Kind), Subject: m.Subject, Body: m.Body, DueDate: m.DueDate, Outgoing: m.Outgoing, Sent: m.Sent}
		for j, at := range m.Attachments {
			name := fmt.Sprintf("nachrichten/%02d-%02d-%s", i+1, j+1, at.Name)
			copyBlob(name, at.BlobID)
			mo.Files = append(mo.Files, name)
		}
		msgs = append(msgs, mo)
	}
	meta, _ := json.MarshalIndent(map[string]any{"vorgangsnummer": sub.Reference, "leistung": d.Title, "eingegangen": sub.Submitted, "verlauf": d.History, "nachrichten": msgs, "notizen": d.Notes}, "", "  ")
	add("vorgang.json", meta)
	u.Inbox.RecordExport(r.Context(), a, d.Case)
}

// registerSachbearbeitung adds the clerk workspace routes.
func (u *UI) registerSachbearbeitung(rt *httpx.Router) {
	if u.Inbox == nil || u.Identity == nil {
		return
	}
	rt.HandleFunc("GET /sachbearbeitung", u.sachbearbeitung)
	rt.HandleFunc("GET /sachbearbeitung/{id}", u.fall)
	rt.HandleFunc("POST /sachbearbeitung/{id}/zuweisen", u.fallUebernehmen)
	rt.HandleFunc("POST /sachbearbeitung/{id}/stand", u.fallStand)
	rt.HandleFunc("POST /sachbearbeitung/{id}/notiz", u.fallNotiz)
	rt.HandleFunc("POST /sachbearbeitung/{id}/nachricht", u.fallNachricht, httpx.BodyLimit(u.Antraege.MaxUpload*5+1<<20))
	rt.HandleFunc("POST /sachbearbeitung/{id}/entscheiden", u.fallEntscheiden, httpx.BodyLimit(u.Antraege.MaxUpload*5+1<<20))
	rt.HandleFunc("GET /sachbearbeitung/{id}/daten.json", u.fallDaten)
	rt.HandleFunc("GET /sachbearbeitung/{id}/antrag.pdf", u.fallPDF)
	rt.HandleFunc("POST /sachbearbeitung/{id}/zurueckweisen", u.fallZurueckweisen)
	rt.HandleFunc("GET /sachbearbeitung/{id}/datei/{n}", u.fallDatei)
	rt.HandleFunc("GET /sachbearbeitung/{id}/export.zip", u.fallExport)
	rt.HandleFunc("GET /mitarbeiter/schluessel", u.mitarbeiterSchluessel)
	rt.HandleFunc("POST /mitarbeiter/schluessel", u.mitarbeiterSchluesselPost)
	rt.HandleFunc("GET /verwaltung/mitarbeiter", u.mitarbeiter)
	rt.HandleFunc("POST /verwaltung/mitarbeiter", u.mitarbeiterPost)
	rt.HandleFunc("POST /verwaltung/mitarbeiter/{id}/passwort", u.mitarbeiterPasswort)
	rt.HandleFunc("POST /verwaltung/mitarbeiter/wiederherstellungscode", u.mitarbeiterRecovery)
}
