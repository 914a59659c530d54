package web

// Deferred fees (issue 8, mode deferred): the clerk requests the fee when
// deciding a case (or afterwards, from the case page); the applicant gets a
// Postfach message of kind Zahlungsaufforderung and pays on
// /antraege/{id}/bezahlen through the same XBezahldienste flow as a fee
// before submission. The return is checked with the provider server-side
// (never from the return URL's parameters); failed or cancelled payments
// lead back to the page with a retry; the reconciliation job completes
// payments whose browser never came back. The status shows in "Meine
// Anträge" and in the clerk's case view.

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/ozgo/ozgo/internal/errs"
	"github.com/ozgo/ozgo/internal/form"
	"github.com/ozgo/ozgo/internal/httpx"
	"github.com/ozgo/ozgo/internal/identity"
	"github.com/ozgo/ozgo/internal/inbox"
	"github.com/ozgo/ozgo/internal/onlinedienst"
	"github.com/ozgo/ozgo/internal/payment"
	"github.com/ozgo/ozgo/internal/payment/xbd"
	"github.com/ozgo/ozgo/internal/postfach"
)

func (u *UI) registerZahlungsaufforderung(rt *httpx.Router) {
	if u.Postfach == nil || u.Identity == nil {
		return
	}
	rt.HandleFunc("GET /antraege/{id}/bezahlen", u.fallBezahlen)
	rt.HandleFunc("POST /antraege/{id}/bezahlen", u.fallBezahlenStarten)
	rt.HandleFunc("GET /antraege/{id}/bezahlt", u.fallBezahlt)
	if u.Inbox != nil {
		rt.HandleFunc("POST /sachbearbeitung/{id}/gebuehr", u.fallGebuehr)
	}
}

// casePayPath is the applicant's payment page of a case.
func casePayPath(caseID string) string { return "/antraege/" + caseID + "/bezahlen" }

// absURL is the absolute address of path on ozgo for links that leave
// the page: the payment provider's return address, the link in a
// Zahlungsaufforderung, embed snippets. The configured public URL when
// there is one (so a forged Host header cannot steer a payment's return
// elsewhere), else the address of the request.
func (u *UI) absURL(r *http.Request, path string) string {
	if u.PublicURL != "" {
		return strings.TrimSuffix(u.PublicURL, "/") + path
	}
	scheme := "http"
	if isHTTPS(r) {
		scheme = "https"
	}
	return scheme + "://" + r.Host + path
}

// ---- The clerk's side ----

// feeOffer is the deferred fee a clerk may request for a case.
type feeOffer struct {
	Total      string
	Lines      []feeLine
	LegalBasis string
	Due        string // DD.MM.YYYY, the form's value
	DueErr     string
	Request    bool // the checkbox in the decision form
}

// clerkPaymentFor is the payment box of the clerk's case view: the payment
// made before submission, or the Zahlungsaufforderung with its newest
// attempt, or the fee the clerk can request (Offer).
func (u *UI) clerkPaymentFor(r *http.Request, a *identity.Actor, c *inbox.Case, data []byte) *clerkPayment {
	if u.Payment == nil {
		return nil
	}
	ctx := r.Context()
	if cp := u.clerkPaymentOf(ctx, c.ID); cp != nil {
		return cp
	}
	cp := &clerkPayment{CaseID: c.ID, Decided: postfach.Decided(c.State)}
	st, err := u.Payment.CaseStatus(ctx, a, c.ID)
	if err == nil {
		u.fillCasePayment(cp, st)
		return cp
	}
	inst, err := decodeInstance(data)
	if err != nil {
		return nil
	}
	q, err := u.Payment.CaseFee(ctx, a, c.ID, inst)
	if err != nil || q == nil {
		return nil
	}
	cp.Offer = &feeOffer{Total: xbd.Amount(q.Fee.Total).German(), LegalBasis: q.Config.LegalBasis, Request: true,
		Due: time.Now().In(form.Berlin).AddDate(0, 0, 30).Format("02.01.2006")}
	for _, l := range q.Fee.Lines {
		cp.Offer.Lines = append(cp.Offer.Lines, feeLine{Label: l.Label, Quantity: l.Quantity, Single: xbd.Amount(l.Single).German(), Total: xbd.Amount(l.Total).German()})
	}
	return cp
}

// caseStatusText is the state of a Zahlungsaufforderung in words.
func (u *UI) caseStatusText(st *payment.CasePayment) string {
	switch {
	case st.Last == nil:
		return u.t("zahlung.status.offen")
	case st.Last.Paid():
		return u.t("zahlung.status.bezahlt")
	case st.Last.Status == xbd.StatusCanceled:
		return u.t("zahlung.status.abgebrochen")
	case st.Last.Failed():
		return u.t("zahlung.status.fehlgeschlagen")
	}
	return u.t("zahlung.status.begonnen")
}

func (u *UI) fillCasePayment(cp *clerkPayment, st *payment.CasePayment) {
	cp.Requested = true
	cp.Status = u.caseStatusText(st)
	cp.Amount = xbd.Amount(st.Request.Amount).German()
	cp.Reference = st.Request.Reference
	cp.Due = germanDate(st.Request.DueDate)
	if p := st.Last; p != nil {
		cp.Transaction = p.TransactionID
		if p.Paid() {
			cp.Method = u.t("bezahlen.method." + p.Information().PaymentMethod)
		}
	}
}

func germanDate(iso string) string {
	if t, err := time.Parse("2006-01-02", iso); err == nil {
		return t.Format("02.01.2006")
	}
	return iso
}

// feeDueFromForm reads the fee request of the decision form ("gebuehr"
// checked, "zahlungsfrist" DD.MM.YYYY): the due date as YYYY-MM-DD, ""
// when no fee is requested. It is checked before the Bescheid goes out.
func feeDueFromForm(r *http.Request, always bool) (string, error) {
	if !always && r.PostFormValue("gebuehr") != "1" {
		return "", nil
	}
	in := strings.TrimSpace(r.PostFormValue("zahlungsfrist"))
	t, err := time.ParseInLocation("02.01.2006", in, form.Berlin)
	if err != nil {
		return "", errs.FieldError("zahlungsfrist", "payment.error.due")
	}
	if t.Format("2006-01-02") < time.Now().In(form.Berlin).Format("2006-01-02") {
		return "", errs.FieldError("zahlungsfrist", "payment.error.due_past")
	}
	return t.Format("2006-01-02"), nil
}

// requestFee sends the Zahlungsaufforderung of a case.
func (u *UI) requestFee(r *http.Request, a *identity.Actor, id, due string) error {
	ctx := r.Context()
	_, sub, err := u.Inbox.Get(ctx, a, id)
	if err != nil {
		return err
	}
	inst, err := decodeInstance(sub.Data)
	if err != nil {
		return err
	}
	_, err = u.Payment.RequestCasePayment(ctx, a, payment.RequestCase{CaseID: id, Data: inst, DueDate: due,
		ServiceTitle: u.serviceTitle(r, sub.Service), PayURL: u.absURL(r, casePayPath(id))})
	return err
}

// feeInvalid puts a due-date error into the case page's fee offer; it
// reports whether err was one.
func feeInvalid(d *fallData, r *http.Request, err error, msg string) bool {
	var e *errs.Error
	if !errors.As(err, &e) || e.Field != "zahlungsfrist" || d.Payment == nil || d.Payment.Offer == nil {
		return false
	}
	d.Payment.Offer.Due, d.Payment.Offer.DueErr = r.PostFormValue("zahlungsfrist"), msg
	d.Payment.Offer.Request = r.PostFormValue("gebuehr") == "1" || strings.HasSuffix(r.URL.Path, "/gebuehr")
	d.Errors = []fieldError{{Field: "zahlungsfrist", Message: msg}}
	return true
}

// fallGebuehr is POST /sachbearbeitung/{id}/gebuehr: the fee requested
// after the decision (when it was not requested with it).
func (u *UI) fallGebuehr(w http.ResponseWriter, r *http.Request) {
	a, ok := u.requireTenantStaff(w, r)
	if !ok {
		return
	}
	id := r.PathValue("id")
	due, err := feeDueFromForm(r, true)
	if err == nil {
		err = u.requestFee(r, a, id, due)
	}
	if u.fallInvalid(w, r, a, id, err, func(d *fallData, msg string) {
		if !feeInvalid(d, r, err, msg) {
			d.Errors = []fieldError{{Field: "zahlungsfrist", Message: msg}}
		}
	}) {
		return
	}
	http.Redirect(w, r, "/sachbearbeitung/"+id+"?hinweis=gebuehr", http.StatusSeeOther)
}

// ---- The applicant's side ----

type fallZahlungData struct {
	CaseID     string
	Title      string
	Vorgang    string
	Reference  string // Kassenzeichen
	Total      string
	Lines      []feeLine
	LegalBasis string
	Due        string
	Status     string
	Open       bool // an attempt to continue
	Paid       bool
	Failed     bool
	Canceled   bool
	Info       payment.Information
	Method     string
	Errors     []fieldError
	Again      string
}

// casePayment loads the Zahlungsaufforderung of the case in the path for
// the logged-in applicant: login first, NotFound for everybody else.
func (u *UI) casePayment(w http.ResponseWriter, r *http.Request) (*identity.Actor, *payment.CasePayment, bool) {
	if u.Payment == nil {
		u.NotFound(w, r)
		return nil, nil, false
	}
	a, ok := u.requireCitizen(w, r)
	if !ok {
		return nil, nil, false
	}
	st, err := u.Payment.CaseStatus(r.Context(), a, r.PathValue("id"))
	if err != nil {
		u.RenderError(w, r, err)
		return nil, nil, false
	}
	return a, st, true
}

func (u *UI) fallZahlung(r *http.Request, st *payment.CasePayment) fallZahlungData {
	req := st.Request
	d := fallZahlungData{CaseID: req.CaseID, Title: u.serviceTitle(r, req.Service), Vorgang: u.caseRef(r, req.CaseID), Reference: req.Reference,
		Total: xbd.Amount(req.Amount).German(), LegalBasis: req.LegalBasis, Due: germanDate(req.DueDate), Status: u.caseStatusText(st),
		Again: casePayPath(req.CaseID)}
	for _, l := range req.Lines {
		d.Lines = append(d.Lines, feeLine{Label: l.Label, Quantity: l.Quantity, Single: xbd.Amount(l.Single).German(), Total: xbd.Amount(l.Total).German()})
	}
	if p := st.Last; p != nil {
		switch {
		case p.Paid():
			d.Paid, d.Info = true, p.Information()
			d.Method = u.t("bezahlen.method." + d.Info.PaymentMethod)
		case p.Failed():
			d.Failed, d.Canceled = true, p.Status == xbd.StatusCanceled
		case p.PayURL != "":
			d.Open = true
		}
	}
	return d
}

func (u *UI) renderFallZahlung(w http.ResponseWriter, r *http.Request, status int, st *payment.CasePayment, problem error) {
	d := u.fallZahlung(r, st)
	if problem != nil {
		msg, args := errs.MessageArgsOf(httpx.Classify(problem))
		if msg == "" {
			msg = "payment.error.provider"
		}
		d.Errors = []fieldError{{Field: "bezahlen", Message: u.cat.Resolve("de", msg, args)}}
	}
	title := u.t("zahlung.title")
	switch {
	case d.Paid:
		title = u.t("zahlung.paid.title")
	case d.Canceled:
		title = u.t("bezahlen.canceled.title")
	case d.Failed:
		title = u.t("bezahlen.failed.title")
	}
	payURL := ""
	if st.Last != nil {
		payURL = st.Last.PayURL
	}
	httpx.AllowFormAction(w, u.Payment.ProviderOrigins(r.Context(), st.Request.TenantID, payURL)...)
	u.Render(w, r, status, "fall_bezahlen", Page{Title: title, IsError: problem != nil, Section: "antraege", Data: d})
}

// fallBezahlen is GET /antraege/{id}/bezahlen.
func (u *UI) fallBezahlen(w http.ResponseWriter, r *http.Request) {
	_, st, ok := u.casePayment(w, r)
	if !ok {
		return
	}
	u.renderFallZahlung(w, r, http.StatusOK, st, nil)
}

// fallBezahlenStarten is POST /antraege/{id}/bezahlen: create (or find)
// the transaction and go to the provider; a double click finds the same.
func (u *UI) fallBezahlenStarten(w http.ResponseWriter, r *http.Request) {
	a, st, ok := u.casePayment(w, r)
	if !ok {
		return
	}
	id := st.Request.CaseID
	p, err := u.Payment.StartCase(r.Context(), a, id, u.serviceTitle(r, st.Request.Service), func(pid string) string {
		return u.absURL(r, "/antraege/"+id+"/bezahlt?zahlung="+pid)
	})
	if errs.Is(err, errs.Unavailable) {
		u.renderFallZahlung(w, r, http.StatusServiceUnavailable, st, err)
		return
	}
	if err != nil {
		u.RenderError(w, r, err)
		return
	}
	if p.PayURL != "" && p.Open() {
		http.Redirect(w, r, p.PayURL, http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, casePayPath(id), http.StatusSeeOther)
}

// fallBezahlt is GET /antraege/{id}/bezahlt?zahlung=ID, the provider's
// return: the status is asked from the provider, the payment recorded in
// the case once (this request or the reconciliation job).
func (u *UI) fallBezahlt(w http.ResponseWriter, r *http.Request) {
	_, st, ok := u.casePayment(w, r)
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
	if err == nil && p.CaseID != st.Request.CaseID {
		err = errs.E(errs.NotFound, "")
	}
	if err != nil {
		u.RenderError(w, r, err)
		return
	}
	if p.Open() {
		np, err := u.Payment.Refresh(ctx, p)
		if err != nil {
			u.renderFallZahlung(w, r, http.StatusServiceUnavailable, st, err)
			return
		}
		p = np
	}
	if p.Paid() {
		if _, err := u.Payment.Complete(ctx, p, "return"); err != nil {
			u.RenderError(w, r, err)
			return
		}
	}
	http.Redirect(w, r, casePayPath(st.Request.CaseID), http.StatusSeeOther)
}

// citizenPayment is the fee of a case in "Meine Anträge".
type citizenPayment struct {
	Status, Amount, Due, Transaction, Link string
	Paid                                   bool
}

// citizenPaymentOf is the Zahlungsaufforderung of a case for its
// applicant, nil if there is none.
func (u *UI) citizenPaymentOf(r *http.Request, a *identity.Actor, caseID string) *citizenPayment {
	if u.Payment == nil {
		return nil
	}
	st, err := u.Payment.CaseStatus(r.Context(), a, caseID)
	if err != nil {
		return nil
	}
	cp := &citizenPayment{Status: u.caseStatusText(st), Amount: xbd.Amount(st.Request.Amount).German(), Due: germanDate(st.Request.DueDate),
		Link: casePayPath(caseID), Paid: st.Paid()}
	if st.Last != nil {
		cp.Transaction = st.Last.TransactionID
	}
	return cp
}

// checkFeeText is the fee of an application on its check page, with when
// it is paid ("wird nach dem Bescheid erhoben" for deferred fees) and the
// legal basis; "" when it is free.
func (u *UI) checkFeeText(r *http.Request, svc *onlinedienst.Service, data map[string]any) string {
	if u.Payment == nil {
		return ""
	}
	q, err := u.Payment.Quote(r.Context(), svc.Slug, u.paymentTenant(r, svc), data)
	if err != nil || q.Fee.Total <= 0 || q.Config.Mode == payment.ModeNone {
		return ""
	}
	text := u.t("zahlung.text.fee", xbd.Amount(q.Fee.Total).German()) + " " + u.t("zahlung.text.mode."+string(q.Config.Mode))
	if q.Config.LegalBasis != "" {
		text += " " + u.t("zahlung.text.legal", q.Config.LegalBasis)
	}
	return text
}
