package web

// The citizen path of the submission pipeline on the pages: the Gemeinde
// that routes an application, the responsible authority on the check
// page, the delivery state and the receipt PDF.

import (
	"errors"
	"net/http"
	"net/url"

	"github.com/ozgo/ozgo/internal/catalog"
	"github.com/ozgo/ozgo/internal/errs"
	"github.com/ozgo/ozgo/internal/form"
	"github.com/ozgo/ozgo/internal/identity"
	"github.com/ozgo/ozgo/internal/onlinedienst"
	"github.com/ozgo/ozgo/internal/submission"
)

// routing is where an application would go: the chosen Gemeinde and the
// authority that receives the Leistung there.
type routing struct {
	Ort           *catalog.Region
	OrtURL        string // /ort with the way back to the check page
	Authority     string
	NoDestination bool // the Leistung is not online in this Gemeinde
	// NotOffered: the service is routed by activations and the Gemeinde
	// has no live one (Authority names the authority when known).
	NotOffered bool
	// PaperOnly: the Gemeinde's activation takes applications on paper
	// only (delivery "pdf"); Local has the authority's contact.
	PaperOnly bool
	Ready     bool // a place and an authority: the application can go
	// TenantID is the tenant of the receiving destination: the
	// activation's tenant when routed by activation. Its payment settings
	// apply (bezahlen.go).
	TenantID string
	// Local is what the Gemeinde's activation says (nil when the service
	// is not routed by activations or the Gemeinde has none).
	Local *localOffer
}

// localOffer is an activation as the citizen's pages show it: the
// authority, its contact, processing time and opening hours.
type localOffer struct {
	Gemeinde        string
	Authority       string
	ContactEmail    string
	ContactPhone    string
	ProcessingDays  int
	OpeningHoursURL string
	Level           identity.TrustLevel
	Live            bool
	PaperOnly       bool
	TenantName      string // the activating tenant's display name
	Logo            string // its logo's URL, "" without one
}

func (u *UI) offerOf(r *http.Request, g *catalog.Region, a *onlinedienst.Activation) *localOffer {
	if a == nil {
		return nil
	}
	o := &localOffer{Gemeinde: g.Name, Authority: a.Authority, ContactEmail: a.ContactEmail, ContactPhone: a.ContactPhone,
		ProcessingDays: a.ProcessingDays, OpeningHoursURL: a.OpeningHoursURL, Level: a.TrustLevel, Live: a.Live,
		PaperOnly: a.Delivery == onlinedienst.DeliveryPDF}
	// The tenant's branding: its name and uploaded logo.
	if u.Tenants != nil {
		if t, err := u.Tenants.Tenant(r.Context(), a.TenantID); err == nil {
			o.TenantName, o.Logo = t.Profile.DisplayName, logoURL(t.Profile)
		}
	}
	return o
}

// localOffer is the activation of svc in the chosen Gemeinde for the
// start page (nil without a chosen Gemeinde or live activation), and the
// Gemeinde's name when the service is routed by activations but not
// offered there.
func (u *UI) localOffer(r *http.Request, svc *onlinedienst.Service) (*localOffer, string) {
	sn, err := u.snapshot(r)
	if err != nil {
		return nil, ""
	}
	ort := chosenOrt(r, sn)
	if ort == nil {
		return nil, ""
	}
	act, activated, err := u.Antraege.Placement(r.Context(), svc, ort.ARS)
	if err != nil || !activated {
		return nil, ""
	}
	if act == nil || !act.Live {
		return nil, ort.Name
	}
	return u.offerOf(r, ort, act), ""
}

func checkPath(slug string) string { return servicePath(slug) + "/antrag/pruefen" }

// route finds the routing of an application of svc from the request's
// chosen place. err is only for failures of the database.
func (u *UI) route(r *http.Request, svc *onlinedienst.Service) (routing, error) {
	rt := routing{OrtURL: "/ort?zurueck=" + url.QueryEscape(checkPath(svc.Slug))}
	sn, err := u.snapshot(r)
	if err != nil {
		return rt, err
	}
	rt.Ort = chosenOrt(r, sn)
	if rt.Ort == nil {
		return rt, nil
	}
	act, _, err := u.Antraege.Placement(r.Context(), svc, rt.Ort.ARS)
	if err != nil {
		return rt, err
	}
	rt.Local = u.offerOf(r, rt.Ort, act)
	dest, err := u.Antraege.Route(r.Context(), svc, rt.Ort.ARS)
	switch {
	case errors.Is(err, onlinedienst.ErrNotOffered):
		rt.NotOffered = true
		switch {
		case act != nil:
			rt.Authority = act.Authority // switched off: the authority is still known
		case u.Catalog != nil:
			// The catalog may know who is responsible there all the same.
			if z, zerr := u.Catalog.Zustaendigkeit(r.Context(), svc.LeiKa, rt.Ort.ARS); zerr == nil && z.Behoerde != nil {
				rt.Authority = z.Behoerde.Name
			}
		}
		return rt, nil
	case errors.Is(err, onlinedienst.ErrPaperOnly):
		rt.PaperOnly, rt.Authority = true, act.Authority
		return rt, nil
	case errs.Is(err, errs.Conflict):
		rt.NoDestination = true
		return rt, nil
	case err != nil:
		return rt, err
	}
	rt.Authority, rt.Ready, rt.TenantID = submission.AuthorityName(dest), true, dest.TenantID
	if act != nil {
		rt.Authority = act.Authority
	}
	return rt, nil
}

// routingErrors are the error summary entries for an application that
// cannot go (after a submit attempt).
func (u *UI) routingErrors(rt routing) []fieldError {
	switch {
	case rt.Ort == nil:
		return []fieldError{{Message: u.t("antrag.ort.missing.text"), URL: rt.OrtURL}}
	case rt.NotOffered:
		return []fieldError{{Message: u.t("antrag.error.not_offered"), URL: rt.OrtURL}}
	case rt.PaperOnly:
		return []fieldError{{Message: u.t("antrag.error.paper_only"), URL: "#routing-heading"}}
	case rt.NoDestination:
		return []fieldError{{Message: u.t("antrag.error.no_destination"), URL: rt.OrtURL}}
	}
	return nil
}

// submitOptions collects what the submission needs from the request.
func (u *UI) submitOptions(r *http.Request, svc *onlinedienst.Service, m *form.Model, rt routing) onlinedienst.SubmitOptions {
	actor := identity.ActorFrom(r.Context())
	opt := onlinedienst.SubmitOptions{Actor: actor.ID(), Sections: func(data map[string]any) []submission.Section {
		out := make([]submission.Section, 0, len(m.Pages))
		for i, p := range m.Pages {
			s := submission.Section{Title: u.pageTitle(m, i, p)}
			for _, row := range u.answerRows(m, data, i, svc.Slug, false) {
				s.Rows = append(s.Rows, submission.Row{Level: row.Level, Heading: row.Heading, Label: row.Label, Value: row.Value})
			}
			out = append(out, s)
		}
		return out
	}}
	if actor.ActingAs != "" {
		opt.OnBehalfOf, opt.Mandate = actor.ActingAs, actor.MandateID
	}
	if rt.Ort != nil {
		opt.ARS = rt.Ort.ARS
	}
	// The e-mail address of a citizen applying for themself is the reply
	// channel; for an organisation or a mandate it is not theirs to give.
	if actor.Kind == identity.KindCitizen && actor.ActingAs == "" && u.Identity != nil && u.Identity.Service != nil {
		if p, err := u.Identity.Service.Person(r.Context(), actor.Principal); err == nil {
			opt.ReplyEmail = p.Attributes.Email
		}
	}
	return opt
}

// deliveryView is the delivery state on the receipt.
type deliveryView struct {
	Authority string
	Delivered bool
	CaseID    string
	PDF       string // URL of the receipt PDF, "" when there is none
}

// antragEingangPDF is GET /onlinedienste/{slug}/antrag/eingang.pdf: the
// receipt as PDF, with the access rules of the receipt page.
func (u *UI) antragEingangPDF(w http.ResponseWriter, r *http.Request) {
	svc, _, ok := u.service(w, r)
	if !ok || !u.gate(w, r, svc) {
		return
	}
	sub, ok := u.submission(w, r, svc)
	if !ok {
		return
	}
	pdf, err := u.Antraege.Delivery.PDF(r.Context(), sub.ID)
	if err != nil {
		u.RenderError(w, r, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/pdf")
	h.Set("Content-Disposition", `attachment; filename="Antrag-`+sub.Reference+`.pdf"`)
	h.Set("Cache-Control", "no-store")
	_, _ = w.Write(pdf)
}

// submission loads the submitted application the browser holds, if the
// visitor may see it; otherwise it answers and returns false.
func (u *UI) submission(w http.ResponseWriter, r *http.Request, svc *onlinedienst.Service) (*form.Submission, bool) {
	ref, ok := readAntragCookie(r)
	if !ok || ref.Kind != "s" {
		u.noDraft(w, r, svc, nil)
		return nil, false
	}
	sub, err := u.Antraege.Drafts.LoadSubmission(r.Context(), ref.ID, ref.Secret)
	if err == nil && !mayOpen(r, sub.Owner) {
		err = errs.E(errs.NotFound, "")
	}
	if err != nil || sub.Service != svc.Slug {
		u.noDraft(w, r, svc, err)
		return nil, false
	}
	return sub, true
}
