package web

// Paying for an application (issue 8): after check-your-answers the fee
// with its legal basis, "Bezahlen" creates the XBezahldienste transaction
// and sends the browser to the provider, the return lands here, the status
// is fetched from the provider server-side (the return URL's parameters
// are never trusted), then the application is submitted with the payment.
// Failed or cancelled payments lead to a page that explains and offers to
// try again; the draft is kept.

import (
	"context"
	"net/http"
	"regexp"
	"time"

	"github.com/ozgo/ozgo/internal/errs"
	"github.com/ozgo/ozgo/internal/form"
	"github.com/ozgo/ozgo/internal/httpx"
	"github.com/ozgo/ozgo/internal/onlinedienst"
	"github.com/ozgo/ozgo/internal/payment"
	"github.com/ozgo/ozgo/internal/payment/xbd"
	"github.com/ozgo/ozgo/internal/submission"
)

func (u *UI) registerBezahlen(rt *httpx.Router) {
	if u.Payment == nil {
		return
	}
	u.registerVerwaltungZahlung(rt) // fees and provider in /verwaltung
	if u.Antraege == nil {
		return
	}
	rt.HandleFunc("GET /onlinedienste/{slug}/antrag/bezahlen", u.bezahlen)
	rt.HandleFunc("POST /onlinedienste/{slug}/antrag/bezahlen", u.bezahlenStarten)
	rt.HandleFunc("GET /onlinedienste/{slug}/antrag/bezahlt", u.bezahlt)
	rt.HandleFunc("GET /onlinedienste/{slug}/antrag/zahlung", u.zahlung)
	u.registerZahlungsaufforderung(rt) // deferred fees
}

// paymentTenant is the tenant whose fee rule and provider apply: the
// tenant of the destination the application is routed to (the chosen
// Gemeinde), which for a service routed by activations is the
// activation's tenant; "" (the default settings) while there is none.
func (u *UI) paymentTenant(r *http.Request, svc *onlinedienst.Service) string {
	if u.Antraege.Delivery == nil {
		return ""
	}
	rt, err := u.route(r, svc)
	if err != nil || !rt.Ready {
		return ""
	}
	return rt.TenantID
}

// PaymentSubmitOptions rebuilds the submission options of a paid draft
// without its request (for the reconciliation job): what bezahlenStarten
// kept in the payment's context, and the answers for the receipt PDF.
func (u *UI) PaymentSubmitOptions(p *payment.Payment, svc *onlinedienst.Service, m *form.Model) onlinedienst.SubmitOptions {
	opt := payment.OptionsFromContext(p)
	opt.Sections = func(data map[string]any) []submission.Section {
		// As submitOptions (antrag_zustellung.go) builds them.
		out := make([]submission.Section, 0, len(m.Pages))
		for i, pg := range m.Pages {
			s := submission.Section{Title: u.pageTitle(m, i, pg)}
			for _, row := range u.answerRows(m, data, i, svc.Slug, false) {
				s.Rows = append(s.Rows, submission.Row{Level: row.Level, Heading: row.Heading, Label: row.Label, Value: row.Value})
			}
			out = append(out, s)
		}
		return out
	}
	return opt
}

// paymentGate is called by POST …/antrag/absenden before submitting: when
// the application must (or may) be paid first, it sends the browser to the
// fee page and reports true. With mode optional the applicant may submit
// unpaid ("zahlung=spaeter").
func (u *UI) paymentGate(w http.ResponseWriter, r *http.Request, svc *onlinedienst.Service, m *form.Model, dr *form.Draft) bool {
	if u.Payment == nil {
		return false
	}
	res := m.Evaluate(dr.State)
	if len(res.Errors) > 0 {
		return false // Submit shows the problems on the check page
	}
	q, err := u.Payment.Quote(r.Context(), svc.Slug, u.paymentTenant(r, svc), res.Data)
	if err != nil {
		u.RenderError(w, r, err)
		return true
	}
	if !q.Due() || (q.Config.Mode == payment.ModeOptional && r.PostFormValue("zahlung") == "spaeter") {
		return false
	}
	http.Redirect(w, r, servicePath(svc.Slug)+"/antrag/bezahlen", http.StatusSeeOther)
	return true
}

type feeLine struct {
	Label    string
	Quantity int64
	Single   string
	Total    string
}

type bezahlenData struct {
	Service    *onlinedienst.Service
	Lines      []feeLine
	Total      string
	LegalBasis string
	Optional   bool
	Errors     []fieldError
	Open       *payment.Payment // an attempt the applicant can continue
	Failed     *payment.Payment // the last attempt failed or was cancelled
	Canceled   bool
	Reference  string
	Back       string
	Step       int
	Steps      int
}

// bezahlen is GET …/antrag/bezahlen: the fee, or the retry page after a
// failed or cancelled payment, or the way on after a paid one.
func (u *UI) bezahlen(w http.ResponseWriter, r *http.Request) {
	svc, m, dr, ok := u.serviceDraft(w, r)
	if !ok {
		return
	}
	u.renderBezahlen(w, r, http.StatusOK, svc, m, dr, nil)
}

func (u *UI) renderBezahlen(w http.ResponseWriter, r *http.Request, status int, svc *onlinedienst.Service, m *form.Model, dr *form.Draft, problem error) {
	ctx := r.Context()
	res := m.Evaluate(dr.State)
	if len(res.Errors) > 0 {
		http.Redirect(w, r, servicePath(svc.Slug)+"/antrag/pruefen", http.StatusSeeOther)
		return
	}
	q, err := u.Payment.Quote(ctx, svc.Slug, u.paymentTenant(r, svc), res.Data)
	if err != nil {
		u.RenderError(w, r, err)
		return
	}
	if !q.Due() {
		http.Redirect(w, r, servicePath(svc.Slug)+"/antrag/pruefen", http.StatusSeeOther)
		return
	}
	d := bezahlenData{Service: svc, Total: xbd.Amount(q.Fee.Total).German(), LegalBasis: q.Config.LegalBasis,
		Optional: q.Config.Mode == payment.ModeOptional, Back: servicePath(svc.Slug) + "/antrag/pruefen", Step: len(m.Pages) + 2, Steps: len(m.Pages) + 2}
	for _, l := range q.Fee.Lines {
		d.Lines = append(d.Lines, feeLine{Label: l.Label, Quantity: l.Quantity, Single: xbd.Amount(l.Single).German(), Total: xbd.Amount(l.Total).German()})
	}
	last, err := u.Payment.Latest(ctx, dr.ID)
	if err != nil && !errs.Is(err, errs.NotFound) {
		u.RenderError(w, r, err)
		return
	}
	if last != nil {
		switch {
		case last.Paid():
			u.finishPayment(w, r, svc, last)
			return
		case last.Failed():
			d.Failed, d.Canceled, d.Reference = last, last.Status == xbd.StatusCanceled, last.Reference
		case last.PayURL != "" && last.Amount == q.Fee.Total:
			d.Open = last
		}
	}
	if problem != nil {
		msg, args := errs.MessageArgsOf(httpx.Classify(problem))
		if msg == "" {
			msg = "payment.error.provider"
		}
		d.Errors = []fieldError{{Field: "bezahlen", Message: u.cat.Resolve("de", msg, args)}}
	}
	payURL := ""
	if last != nil {
		payURL = last.PayURL
	}
	// The "Bezahlen" form is answered with a redirect to the provider,
	// which the page's CSP form-action must allow.
	httpx.AllowFormAction(w, u.Payment.ProviderOrigins(ctx, u.paymentTenant(r, svc), payURL)...)
	name, title := "bezahlen", u.t("bezahlen.title")
	if d.Failed != nil {
		name, title = "bezahlen_fehler", u.t("bezahlen.failed.title")
		if d.Canceled {
			title = u.t("bezahlen.canceled.title")
		}
	}
	u.Render(w, r, status, name, Page{Title: title, IsError: problem != nil, Section: "onlinedienste", Data: d})
}

// bezahlenStarten is POST …/antrag/bezahlen: create (or find) the
// transaction and go to the provider. A double click or a second tab finds
// the same transaction.
func (u *UI) bezahlenStarten(w http.ResponseWriter, r *http.Request) {
	svc, m, dr, ok := u.serviceDraft(w, r)
	if !ok {
		return
	}
	res := m.Evaluate(dr.State)
	if len(res.Errors) > 0 {
		http.Redirect(w, r, servicePath(svc.Slug)+"/antrag/pruefen", http.StatusSeeOther)
		return
	}
	rt, err := u.route(r, svc)
	if err != nil {
		u.RenderError(w, r, err)
		return
	}
	if !rt.Ready {
		// No place or no authority yet: the check page says what to do.
		http.Redirect(w, r, servicePath(svc.Slug)+"/antrag/pruefen", http.StatusSeeOther)
		return
	}
	opt := u.submitOptions(r, svc, m, rt)
	ref, _ := readAntragCookie(r)
	p, err := u.Payment.Start(r.Context(), payment.StartRequest{
		DraftID: dr.ID, Secret: ref.Secret, Owner: dr.Owner, Service: svc.Slug, ServiceTitle: svc.Title,
		TenantID: u.paymentTenant(r, svc), Data: res.Data, Retry: true,
		Context:   map[string]string{"actor": opt.Actor, "ars": opt.ARS, "email": opt.ReplyEmail},
		ReturnURL: func(id string) string { return u.absURL(r, servicePath(svc.Slug)+"/antrag/bezahlt?zahlung="+id) },
	})
	if errs.Is(err, errs.Unavailable) {
		u.renderBezahlen(w, r, http.StatusServiceUnavailable, svc, m, dr, err)
		return
	}
	if err != nil {
		u.RenderError(w, r, err)
		return
	}
	switch {
	case p.Paid():
		u.finishPayment(w, r, svc, p)
	case p.PayURL != "" && p.Open():
		http.Redirect(w, r, p.PayURL, http.StatusSeeOther)
	default:
		http.Redirect(w, r, servicePath(svc.Slug)+"/antrag/bezahlen", http.StatusSeeOther)
	}
}

var paymentIDRE = regexp.MustCompile(`^[0-9a-f]{32}$`)

type offenData struct {
	Service     *onlinedienst.Service
	Payment     *payment.Payment
	Submitting  bool // paid; the application is being submitted
	Unavailable bool // the provider could not be asked
	Stuck       bool // paid, but the application could not be submitted
	Again       string
}

// bezahlt is GET …/antrag/bezahlt?zahlung=ID, the provider's return. The
// browser must hold the draft (or, once submitted, the submission) the
// payment belongs to; the status comes from the provider.
func (u *UI) bezahlt(w http.ResponseWriter, r *http.Request) {
	svc, ok := u.serviceOnly(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	id := r.URL.Query().Get("zahlung")
	var p *payment.Payment
	var err error
	if paymentIDRE.MatchString(id) {
		p, err = u.Payment.Get(ctx, id)
	} else {
		err = errs.E(errs.NotFound, "")
	}
	ref, hasCookie := readAntragCookie(r)
	if err == nil && (!hasCookie || p.Service != svc.Slug || !mayOpen(r, p.Owner) || !u.Payment.SecretMatches(p, ref.Secret) ||
		!((ref.Kind == "d" && ref.ID == p.DraftID) || (ref.Kind == "s" && ref.ID == p.SubmissionID))) {
		err = errs.E(errs.NotFound, "")
	}
	if err != nil {
		u.noDraft(w, r, svc, err)
		return
	}
	if p.Open() {
		np, err := u.Payment.Refresh(ctx, p)
		if err != nil {
			u.Render(w, r, http.StatusServiceUnavailable, "bezahlen_offen", Page{Title: u.t("bezahlen.open.title"), Section: "onlinedienste",
				Data: offenData{Service: svc, Payment: p, Unavailable: true, Again: r.URL.RequestURI()}})
			return
		}
		p = np
	}
	switch {
	case p.Paid():
		u.finishPayment(w, r, svc, p)
	case p.Failed():
		http.Redirect(w, r, servicePath(svc.Slug)+"/antrag/bezahlen", http.StatusSeeOther)
	default:
		u.Render(w, r, http.StatusOK, "bezahlen_offen", Page{Title: u.t("bezahlen.open.title"), Section: "onlinedienste",
			Data: offenData{Service: svc, Payment: p, Again: r.URL.RequestURI()}})
	}
}

// finishPayment submits a paid application (once, whoever comes first:
// this request or the reconciliation job) and shows the confirmation.
func (u *UI) finishPayment(w http.ResponseWriter, r *http.Request, svc *onlinedienst.Service, p *payment.Payment) {
	ctx := r.Context()
	np, err := u.Payment.Complete(ctx, p, "return")
	if err != nil {
		u.RenderError(w, r, err)
		return
	}
	// Another process may be submitting right now: wait for it a little.
	for deadline := time.Now().Add(10 * time.Second); np.SubmissionID == "" && np.SubmitError == "" && time.Now().Before(deadline); {
		select {
		case <-ctx.Done():
			return
		case <-time.After(250 * time.Millisecond):
		}
		if np, err = u.Payment.Get(context.WithoutCancel(ctx), p.ID); err != nil {
			u.RenderError(w, r, err)
			return
		}
	}
	if np.SubmissionID == "" {
		u.Render(w, r, http.StatusOK, "bezahlen_offen", Page{Title: u.t("bezahlen.open.title"), Section: "onlinedienste",
			Data: offenData{Service: svc, Payment: np, Submitting: np.SubmitError == "", Stuck: np.SubmitError != "",
				Again: servicePath(svc.Slug) + "/antrag/bezahlt?zahlung=" + np.ID}})
		return
	}
	ref, _ := readAntragCookie(r)
	setAntragCookie(w, r, svc.Slug, cookieRef{"s", np.SubmissionID, ref.Secret})
	http.Redirect(w, r, servicePath(svc.Slug)+"/antrag/zahlung", http.StatusSeeOther)
}

type zahlungData struct {
	Service   *onlinedienst.Service
	Reference string
	Amount    string
	Info      payment.Information
	Method    string
	Receipt   string
}

// zahlung is GET …/antrag/zahlung: the payment of the submitted
// application, as the authority receives it.
func (u *UI) zahlung(w http.ResponseWriter, r *http.Request) {
	svc, ok := u.serviceOnly(w, r)
	if !ok {
		return
	}
	ref, ok := readAntragCookie(r)
	if !ok || ref.Kind != "s" {
		u.noDraft(w, r, svc, nil)
		return
	}
	sub, err := u.Antraege.Drafts.LoadSubmission(r.Context(), ref.ID, ref.Secret)
	if err == nil && (!mayOpen(r, sub.Owner) || sub.Service != svc.Slug) {
		err = errs.E(errs.NotFound, "")
	}
	var p *payment.Payment
	if err == nil {
		p, err = u.Payment.BySubmission(r.Context(), sub.ID)
	}
	if err != nil {
		u.noDraft(w, r, svc, err)
		return
	}
	in := p.Information()
	d := zahlungData{Service: svc, Reference: sub.Reference, Amount: xbd.Amount(p.Amount).German(), Info: in,
		Method: u.t("bezahlen.method." + in.PaymentMethod), Receipt: servicePath(svc.Slug) + "/antrag/eingang"}
	u.Render(w, r, http.StatusOK, "bezahlen_bestaetigung", Page{Title: u.t("bezahlen.done.title"), Section: "onlinedienste", Data: d})
}

// serviceOnly loads the online service of the request and checks the
// login level.
func (u *UI) serviceOnly(w http.ResponseWriter, r *http.Request) (*onlinedienst.Service, bool) {
	svc, err := u.Antraege.Registry.Get(r.Context(), r.PathValue("slug"))
	if err != nil {
		u.RenderError(w, r, err)
		return nil, false
	}
	return svc, u.gate(w, r, svc)
}

// clerkPayment is the payment of a case as the clerk's workspace shows it.
type clerkPayment struct {
	Status, Amount, Reference, Transaction, Method string
	// A deferred fee (zahlungsaufforderung.go): the due date once
	// requested, or the fee the clerk can request (Offer).
	CaseID    string
	Decided   bool
	Requested bool
	Due       string
	Offer     *feeOffer
}

// clerkPaymentOf is the payment an application was submitted with, nil if
// it was submitted without one.
func (u *UI) clerkPaymentOf(ctx context.Context, submissionID string) *clerkPayment {
	if u.Payment == nil {
		return nil
	}
	p, err := u.Payment.BySubmission(ctx, submissionID)
	if err != nil {
		return nil
	}
	in := p.Information()
	return &clerkPayment{Status: u.t("bezahlen.status.booked") + " (" + in.Status + ")", Amount: xbd.Amount(p.Amount).German(),
		Reference: in.TransactionReference, Transaction: in.TransactionID, Method: u.t("bezahlen.method." + in.PaymentMethod)}
}
