package web

// Paper only: a Gemeinde whose activation delivers by "pdf" takes the
// application in writing (Reifegrad 2: it leaves the digital path). The
// applicant fills in the form online as elsewhere, then gets the filled
// application as a PDF to sign and send, with the authority's contact on
// the check page. Nothing is submitted; the draft stays until it expires.

import (
	"net/http"
	"strings"

	"github.com/ozgo/ozgo/internal/submission"
)

func paperPath(slug string) string { return servicePath(slug) + "/antrag/antrag.pdf" }

// antragPapierPDF is GET /onlinedienste/{slug}/antrag/antrag.pdf: the
// filled application of this browser's draft, only where the chosen
// Gemeinde takes it on paper.
func (u *UI) antragPapierPDF(w http.ResponseWriter, r *http.Request) {
	svc, m, dr, ok := u.serviceDraft(w, r)
	if !ok {
		return
	}
	rt, err := u.route(r, svc)
	if err != nil {
		u.RenderError(w, r, err)
		return
	}
	if !rt.PaperOnly {
		u.NotFound(w, r)
		return
	}
	res := m.Evaluate(dr.State)
	if len(res.Errors) > 0 {
		// Incomplete: the check page says what is missing.
		http.Redirect(w, r, checkPath(svc.Slug), http.StatusSeeOther)
		return
	}
	authority := rt.Authority
	if l := rt.Local; l != nil {
		var contact []string
		for _, c := range []string{l.ContactEmail, l.ContactPhone} {
			if c != "" {
				contact = append(contact, c)
			}
		}
		if len(contact) > 0 {
			authority += " (" + strings.Join(contact, ", ") + ")"
		}
	}
	var files []string
	for _, f := range dr.State.AllFiles() {
		files = append(files, f.Name)
	}
	opt := u.submitOptions(r, svc, m, rt)
	ref := dr.ID
	if len(ref) > 8 {
		ref = ref[:8]
	}
	pdf, err := submission.ReceiptPDF(submission.Receipt{Reference: ref, Submitted: u.Antraege.Drafts.Now(), Authority: authority, Service: svc.Title,
		LeiKa: svc.LeiKa, Sections: opt.Sections(res.Data), Files: files}, submission.Texts{
		Title: u.t("antrag.paper.pdf.title"), Reference: u.t("antrag.paper.pdf.reference"), Submitted: u.t("antrag.paper.pdf.created"),
		Authority: u.t("submission.pdf.authority"), Service: u.t("submission.pdf.service"), LeiKa: u.t("submission.pdf.leika"),
		Answers: u.t("submission.pdf.answers"), Files: u.t("antrag.paper.pdf.files"), NoFiles: u.t("submission.pdf.no_files"),
		Footer: u.t("antrag.paper.pdf.footer"),
	})
	if err != nil {
		u.RenderError(w, r, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/pdf")
	h.Set("Content-Disposition", `attachment; filename="Antrag-`+svc.Slug+`.pdf"`)
	h.Set("Cache-Control", "no-store")
	_, _ = w.Write(pdf)
}
