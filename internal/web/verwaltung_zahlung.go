package web

// Fees and payment in the administration (/verwaltung/zahlung, issue 8):
// per online service the payment mode, the fee rule (none, fixed, per
// entry of a repeated group, table by a form value, with minimum and
// maximum — what payment.Rule supports), the legal basis, the booking data
// and the Kassenzeichen prefix; and the tenant's XBezahldienste provider
// with a connection test (an OAuth2 token from the provider). Tenant
// admins set their tenant's, the platform operator the defaults for all
// tenants (tenant ""). The client secret is write-only. Every change is
// audited by the payment service.

import (
	"errors"
	"net/http"
	"sort"
	"strings"

	"github.com/ozgo/ozgo/internal/errs"
	"github.com/ozgo/ozgo/internal/form"
	"github.com/ozgo/ozgo/internal/httpx"
	"github.com/ozgo/ozgo/internal/identity"
	"github.com/ozgo/ozgo/internal/payment"
	"github.com/ozgo/ozgo/internal/payment/xbd"
)

func (u *UI) registerVerwaltungZahlung(rt *httpx.Router) {
	if u.Identity == nil || u.Tenants == nil {
		return
	}
	rt.HandleFunc("GET /verwaltung/zahlung", u.vzUebersicht)
	rt.HandleFunc("GET /verwaltung/zahlung/bezahldienst", u.vzEndpoint)
	rt.HandleFunc("POST /verwaltung/zahlung/bezahldienst", u.vzEndpointPost)
	rt.HandleFunc("GET /verwaltung/zahlung/onlinedienste/{slug}", u.vzGebuehr)
	rt.HandleFunc("POST /verwaltung/zahlung/onlinedienste/{slug}", u.vzGebuehrPost)
}

// paymentAdmin is requireStaff for those who manage payment settings: a
// tenant admin (their tenant) or the operator (the defaults, tenant "").
func (u *UI) paymentAdmin(w http.ResponseWriter, r *http.Request) (*identity.Actor, string, bool) {
	a, ok := u.requireStaff(w, r)
	if !ok {
		return nil, "", false
	}
	tenant := a.TenantID
	if err := payment.AuthorizeManage(a, tenant); err != nil {
		u.RenderError(w, r, err)
		return nil, "", false
	}
	return a, tenant, true
}

// feeText is the fee as the applicant reads it next to the online service
// and on the check page: the amount (or how it is computed) and when it
// is paid.
func (u *UI) feeText(c *payment.Config) string {
	amount, ok := u.feeAmount(c.Rule)
	if !ok || c.Mode == payment.ModeNone {
		return u.t("zahlung.text.free")
	}
	text := u.t("zahlung.text.fee", amount) + " " + u.t("zahlung.text.mode."+string(c.Mode))
	if c.LegalBasis != "" {
		text += " " + u.t("zahlung.text.legal", c.LegalBasis)
	}
	return text
}

// feeAmount describes the amount of a fee rule the way the payment page
// will compute it; false for a rule without a fee.
func (u *UI) feeAmount(r payment.Rule) (string, bool) {
	eur := func(n int64) string { return xbd.Amount(n).German() }
	var amount string
	switch r.Kind {
	case payment.RuleFixed:
		amount = eur(r.Amount)
	case payment.RulePer:
		amount = u.t("zahlung.text.per", eur(r.Amount))
		if r.Base > 0 {
			amount = u.t("zahlung.text.per_base", eur(r.Base), eur(r.Amount))
		}
	case payment.RuleTable:
		vals := []int64{}
		for _, v := range r.Table {
			vals = append(vals, v)
		}
		if !r.NoDefault {
			vals = append(vals, r.Default)
		}
		if len(vals) == 0 {
			return "", false
		}
		sort.Slice(vals, func(i, j int) bool { return vals[i] < vals[j] })
		lo, hi := vals[0], vals[len(vals)-1]
		if lo == hi {
			amount = eur(lo)
		} else {
			amount = u.t("zahlung.text.range", eur(lo), eur(hi))
		}
	default:
		return "", false
	}
	if r.Min > 0 {
		amount += ", " + u.t("zahlung.text.min", eur(r.Min))
	}
	if r.Max > 0 {
		amount += ", " + u.t("zahlung.text.max", eur(r.Max))
	}
	return amount, true
}

type vzRow struct {
	Slug, Title, Text string
	Own               bool
}

type vzUebersichtData struct {
	Tenant   string
	Rows     []vzRow
	Endpoint *payment.EndpointInfo
	Notice   string
	// Attention and Open: for operators (the platform's page), the paid
	// payments whose application could not be submitted, and how many
	// transactions the provider has not decided yet.
	Attention []vzAttention
	Open      int
}

// vzAttention is a booked payment whose submission failed for good.
type vzAttention struct {
	Created, Service, Tenant, Amount, Reference, TransactionID, Error string
}

// vzUebersicht is GET /verwaltung/zahlung.
func (u *UI) vzUebersicht(w http.ResponseWriter, r *http.Request) {
	a, tenant, ok := u.paymentAdmin(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	vs, err := u.Tenants.PublishedVersions(ctx)
	if err != nil {
		u.RenderError(w, r, err)
		return
	}
	d := vzUebersichtData{Tenant: tenant, Notice: vzNotice(u, r)}
	for _, v := range vs {
		c, err := u.Payment.Config(ctx, v.Slug, tenant)
		if err != nil {
			u.RenderError(w, r, err)
			return
		}
		own, err := u.Payment.OwnConfig(ctx, a, v.Slug, tenant)
		if err != nil {
			u.RenderError(w, r, err)
			return
		}
		d.Rows = append(d.Rows, vzRow{Slug: v.Slug, Title: v.Title, Text: u.feeText(c), Own: own != nil})
	}
	if d.Endpoint, err = u.Payment.OwnEndpoint(ctx, a, tenant); err != nil {
		u.RenderError(w, r, err)
		return
	}
	if tenant == "" && a.Has(identity.RoleOperator) {
		// Money was taken but no application went out: an operator must
		// look (the reconciliation job gave up on submitting it).
		stuck, err := u.Payment.List(ctx, payment.FilterAttention, 200)
		if err != nil {
			u.RenderError(w, r, err)
			return
		}
		for _, p := range stuck {
			d.Attention = append(d.Attention, vzAttention{Created: p.Created.In(form.Berlin).Format("02.01.2006, 15:04"), Service: p.Service, Tenant: p.TenantID,
				Amount: xbd.Amount(p.Amount).German(), Reference: p.Reference, TransactionID: p.TransactionID, Error: p.SubmitError})
		}
		open, err := u.Payment.List(ctx, payment.FilterOpen, 1000)
		if err != nil {
			u.RenderError(w, r, err)
			return
		}
		d.Open = len(open)
	}
	u.Render(w, r, http.StatusOK, "zahlung_verwaltung", Page{Title: u.t("zahlung.admin.title"), Section: "verwaltung", Data: d})
}

// vzForm is the fee form as entered (euro amounts as typed).
type vzForm struct {
	Mode, Kind, Amount, Label, Base, BaseLabel, CountPath, Field, Table, Default string
	NoDefault                                                                    bool
	Min, Max, LegalBasis, Haushaltsstelle, Objektnummer, Booking, RefPrefix      string
}

type vzGebuehrData struct {
	Slug, Title string
	F           vzForm
	Errors      []fieldError
	Err         map[string]string
	Preview     string
	Inherited   bool // no own setting: the platform's default shows
	Notice      string
}

func euroField(n int64) string {
	if n == 0 {
		return ""
	}
	return strings.TrimSuffix(xbd.Amount(n).German(), " €")
}

func formOf(c *payment.Config) vzForm {
	f := vzForm{Mode: string(c.Mode), Kind: c.Rule.Kind, Amount: euroField(c.Rule.Amount), Label: c.Rule.Label, Base: euroField(c.Rule.Base),
		BaseLabel: c.Rule.BaseLabel, CountPath: c.Rule.CountPath, Field: c.Rule.Field, Default: euroField(c.Rule.Default), NoDefault: c.Rule.NoDefault,
		Min: euroField(c.Rule.Min), Max: euroField(c.Rule.Max), LegalBasis: c.LegalBasis, RefPrefix: c.RefPrefix}
	if f.Kind == "" {
		f.Kind = payment.RuleNone
	}
	keys := make([]string, 0, len(c.Rule.Table))
	for k := range c.Rule.Table {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var tb []string
	for _, k := range keys {
		tb = append(tb, k+" = "+euroField(c.Rule.Table[k]))
	}
	f.Table = strings.Join(tb, "\n")
	var extra []string
	bk := make([]string, 0, len(c.BookingData))
	for k := range c.BookingData {
		bk = append(bk, k)
	}
	sort.Strings(bk)
	for _, k := range bk {
		switch k {
		case "haushaltsstelle":
			f.Haushaltsstelle = c.BookingData[k]
		case "objektnummer":
			f.Objektnummer = c.BookingData[k]
		default:
			extra = append(extra, k+" = "+c.BookingData[k])
		}
	}
	f.Booking = strings.Join(extra, "\n")
	return f
}

// parseEuro reads a German euro amount ("93", "93,50", "1.234,50", "93,50 €").
func parseEuro(s string) (int64, bool) {
	s = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(s), "€"))
	if s == "" {
		return 0, true
	}
	s = strings.ReplaceAll(strings.ReplaceAll(s, ".", ""), ",", ".")
	a, err := xbd.ParseAmount(s)
	if err != nil || a < 0 {
		return 0, false
	}
	return int64(a), true
}

// configFromForm reads the fee form; every field's problem is reported.
func (u *UI) configFromForm(r *http.Request, slug, tenant string) (vzForm, *payment.Config, map[string]string) {
	v := func(k string) string { return strings.TrimSpace(r.PostFormValue(k)) }
	f := vzForm{Mode: v("modus"), Kind: v("art"), Amount: v("betrag"), Label: v("bezeichnung"), Base: v("grundbetrag"), BaseLabel: v("grundbezeichnung"),
		CountPath: v("zaehlfeld"), Field: v("tabellenfeld"), Table: r.PostFormValue("tabelle"), Default: v("standard"), NoDefault: r.PostFormValue("kein-standard") == "1",
		Min: v("mindest"), Max: v("hoechst"), LegalBasis: v("rechtsgrundlage"), Haushaltsstelle: v("haushaltsstelle"), Objektnummer: v("objektnummer"),
		Booking: r.PostFormValue("buchungsdaten"), RefPrefix: v("kassenzeichen")}
	bad := map[string]string{}
	c := &payment.Config{Service: slug, TenantID: tenant, Mode: payment.Mode(f.Mode), LegalBasis: f.LegalBasis, RefPrefix: f.RefPrefix, BookingData: map[string]string{}}
	if !c.Mode.Valid() {
		bad["modus"] = u.t("zahlung.error.mode")
	}
	euro := func(field, in string) int64 {
		n, ok := parseEuro(in)
		if !ok {
			bad[field] = u.t("zahlung.error.amount")
		}
		return n
	}
	c.Rule = payment.Rule{Kind: f.Kind, Label: f.Label, BaseLabel: f.BaseLabel, Amount: euro("betrag", f.Amount), Base: euro("grundbetrag", f.Base),
		Default: euro("standard", f.Default), Min: euro("mindest", f.Min), Max: euro("hoechst", f.Max), NoDefault: f.NoDefault}
	switch f.Kind {
	case payment.RuleNone:
	case payment.RuleFixed:
		if c.Rule.Amount <= 0 && bad["betrag"] == "" {
			bad["betrag"] = u.t("zahlung.error.amount_missing")
		}
	case payment.RulePer:
		c.Rule.CountPath = f.CountPath
		if c.Rule.Amount <= 0 && bad["betrag"] == "" {
			bad["betrag"] = u.t("zahlung.error.amount_missing")
		}
		if f.CountPath == "" {
			bad["zaehlfeld"] = u.t("zahlung.error.count_path")
		}
	case payment.RuleTable:
		c.Rule.Field = f.Field
		if f.Field == "" {
			bad["tabellenfeld"] = u.t("zahlung.error.table_field")
		}
		c.Rule.Table = map[string]int64{}
		for _, line := range strings.Split(strings.ReplaceAll(f.Table, "\r\n", "\n"), "\n") {
			if strings.TrimSpace(line) == "" {
				continue
			}
			k, val, ok := strings.Cut(line, "=")
			n, okAmount := parseEuro(val)
			if !ok || strings.TrimSpace(k) == "" || !okAmount || strings.TrimSpace(val) == "" {
				bad["tabelle"] = u.t("zahlung.error.table_line", strings.TrimSpace(line))
				break
			}
			c.Rule.Table[strings.TrimSpace(k)] = n
		}
		if len(c.Rule.Table) == 0 && bad["tabelle"] == "" {
			bad["tabelle"] = u.t("zahlung.error.table_empty")
		}
	default:
		bad["art"] = u.t("zahlung.error.kind")
	}
	if c.Rule.Max > 0 && c.Rule.Min > c.Rule.Max && bad["hoechst"] == "" {
		bad["hoechst"] = u.t("zahlung.error.min_max")
	}
	if c.Mode != payment.ModeNone && c.Mode.Valid() && f.Kind == payment.RuleNone {
		bad["art"] = u.t("zahlung.error.mode_needs_fee")
	}
	if f.RefPrefix != "" && (!xbd.ValidID(f.RefPrefix) || len(f.RefPrefix) > 12) {
		bad["kassenzeichen"] = u.t("zahlung.error.prefix")
	}
	if f.Haushaltsstelle != "" {
		c.BookingData["haushaltsstelle"] = f.Haushaltsstelle
	}
	if f.Objektnummer != "" {
		c.BookingData["objektnummer"] = f.Objektnummer
	}
	for _, line := range strings.Split(strings.ReplaceAll(f.Booking, "\r\n", "\n"), "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		k, val, ok := strings.Cut(line, "=")
		if !ok || strings.TrimSpace(k) == "" || strings.TrimSpace(val) == "" {
			bad["buchungsdaten"] = u.t("zahlung.error.booking_line", strings.TrimSpace(line))
			break
		}
		c.BookingData[strings.TrimSpace(k)] = strings.TrimSpace(val)
	}
	if len(bad) == 0 {
		if err := c.Rule.Check(); err != nil {
			msg, args := errs.MessageArgsOf(err)
			bad["art"] = u.cat.Resolve("de", msg, args)
		}
	}
	return f, c, bad
}

// fieldOrder is the order of the fee form's fields for the error summary.
var vzFieldOrder = []string{"modus", "art", "betrag", "bezeichnung", "grundbetrag", "zaehlfeld", "tabellenfeld", "tabelle", "standard", "mindest", "hoechst", "rechtsgrundlage", "haushaltsstelle", "objektnummer", "buchungsdaten", "kassenzeichen"}

func orderedErrors(bad map[string]string, order []string) []fieldError {
	var out []fieldError
	for _, k := range order {
		if m, ok := bad[k]; ok {
			out = append(out, fieldError{Field: k, Message: m})
		}
	}
	return out
}

func (u *UI) vzService(w http.ResponseWriter, r *http.Request) (string, string, bool) {
	slug := r.PathValue("slug")
	title := ""
	if vs, err := u.Tenants.PublishedVersions(r.Context()); err == nil {
		for _, v := range vs {
			if v.Slug == slug {
				title = v.Title
			}
		}
	}
	if title == "" {
		u.NotFound(w, r)
		return "", "", false
	}
	return slug, title, true
}

// vzGebuehr is GET /verwaltung/zahlung/onlinedienste/{slug}.
func (u *UI) vzGebuehr(w http.ResponseWriter, r *http.Request) {
	a, tenant, ok := u.paymentAdmin(w, r)
	if !ok {
		return
	}
	slug, title, ok := u.vzService(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	own, err := u.Payment.OwnConfig(ctx, a, slug, tenant)
	if err != nil {
		u.RenderError(w, r, err)
		return
	}
	shown := own
	if shown == nil {
		if shown, err = u.Payment.Config(ctx, slug, tenant); err != nil {
			u.RenderError(w, r, err)
			return
		}
	}
	d := vzGebuehrData{Slug: slug, Title: title, F: formOf(shown), Err: map[string]string{}, Preview: u.feeText(shown), Inherited: own == nil && tenant != "", Notice: vzNotice(u, r)}
	u.Render(w, r, http.StatusOK, "zahlung_gebuehr", Page{Title: u.t("zahlung.fee.title", title), Section: "verwaltung", Data: d})
}

// vzGebuehrPost is POST /verwaltung/zahlung/onlinedienste/{slug}: save,
// or only show the preview ("aktion=vorschau").
func (u *UI) vzGebuehrPost(w http.ResponseWriter, r *http.Request) {
	a, tenant, ok := u.paymentAdmin(w, r)
	if !ok {
		return
	}
	slug, title, ok := u.vzService(w, r)
	if !ok {
		return
	}
	f, c, bad := u.configFromForm(r, slug, tenant)
	d := vzGebuehrData{Slug: slug, Title: title, F: f, Err: bad}
	if len(bad) == 0 && r.PostFormValue("aktion") != "vorschau" {
		err := u.Payment.SetConfigAs(r.Context(), a, *c)
		var e *errs.Error
		if err != nil && errors.As(err, &e) && e.Code == errs.Invalid {
			bad["art"] = u.cat.Resolve("de", e.Message, e.Args)
		} else if err != nil {
			u.RenderError(w, r, err)
			return
		} else {
			http.Redirect(w, r, "/verwaltung/zahlung/onlinedienste/"+slug+"?hinweis=zahlung_gespeichert", http.StatusSeeOther)
			return
		}
	}
	status := http.StatusOK
	if len(bad) > 0 {
		d.Errors = orderedErrors(bad, vzFieldOrder)
		status = http.StatusUnprocessableEntity
	} else {
		d.Preview = u.feeText(c)
	}
	u.Render(w, r, status, "zahlung_gebuehr", Page{Title: u.t("zahlung.fee.title", title), IsError: len(bad) > 0, Section: "verwaltung", Data: d})
}

type vzEndpointData struct {
	Tenant                                               string
	TokenURL, APIURL, ClientID, OriginatorID, EndpointID string
	HasSecret                                            bool
	Errors                                               []fieldError
	Err                                                  map[string]string
	Notice                                               string
	TestOK, TestErr                                      string
}

var vzEndpointOrder = []string{"token_url", "api_url", "client_id", "client_secret", "originator_id", "endpoint_id", "test"}

// vzEndpoint is GET /verwaltung/zahlung/bezahldienst.
func (u *UI) vzEndpoint(w http.ResponseWriter, r *http.Request) {
	a, tenant, ok := u.paymentAdmin(w, r)
	if !ok {
		return
	}
	e, err := u.Payment.OwnEndpoint(r.Context(), a, tenant)
	if err != nil {
		u.RenderError(w, r, err)
		return
	}
	d := vzEndpointData{Tenant: tenant, Err: map[string]string{}, Notice: vzNotice(u, r)}
	if e != nil {
		d.TokenURL, d.APIURL, d.ClientID, d.OriginatorID, d.EndpointID, d.HasSecret = e.TokenURL, e.APIURL, e.ClientID, e.OriginatorID, e.EndpointID, e.HasSecret
	}
	u.Render(w, r, http.StatusOK, "zahlung_bezahldienst", Page{Title: u.t("zahlung.endpoint.title"), Section: "verwaltung", Data: d})
}

// vzEndpointPost is POST /verwaltung/zahlung/bezahldienst: save
// ("aktion=speichern") or test the connection ("aktion=testen").
func (u *UI) vzEndpointPost(w http.ResponseWriter, r *http.Request) {
	a, tenant, ok := u.paymentAdmin(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	v := func(k string) string { return strings.TrimSpace(r.PostFormValue(k)) }
	e := payment.EndpointConfig{TenantID: tenant, Endpoint: xbd.Endpoint{TokenURL: v("token_url"), APIURL: v("api_url"), ClientID: v("client_id"),
		ClientSecret: r.PostFormValue("client_secret"), OriginatorID: v("originator_id"), EndpointID: v("endpoint_id")}}
	d := vzEndpointData{Tenant: tenant, TokenURL: e.TokenURL, APIURL: e.APIURL, ClientID: e.ClientID, OriginatorID: e.OriginatorID, EndpointID: e.EndpointID, Err: map[string]string{}}
	if own, err := u.Payment.OwnEndpoint(ctx, a, tenant); err == nil && own != nil {
		d.HasSecret = own.HasSecret
	}
	var err error
	testing := r.PostFormValue("aktion") == "testen"
	if testing {
		err = u.Payment.TestEndpoint(ctx, a, e)
	} else {
		err = u.Payment.SetEndpointAs(ctx, a, e)
	}
	var fe *errs.Error
	switch {
	case err == nil && testing:
		d.TestOK = u.t("payment.test.ok")
	case err == nil:
		http.Redirect(w, r, "/verwaltung/zahlung/bezahldienst?hinweis=bezahldienst_gespeichert", http.StatusSeeOther)
		return
	case errors.As(err, &fe) && fe.Field != "":
		d.Err[fe.Field] = u.cat.Resolve("de", fe.Message, fe.Args)
	case errs.Is(err, errs.Unavailable) && testing:
		msg, args := errs.MessageArgsOf(err)
		d.TestErr = u.cat.Resolve("de", msg, args)
		d.Err["test"] = d.TestErr
	default:
		u.RenderError(w, r, err)
		return
	}
	d.Errors = orderedErrors(d.Err, vzEndpointOrder)
	status := http.StatusOK
	if len(d.Errors) > 0 {
		status = http.StatusUnprocessableEntity
	}
	u.Render(w, r, status, "zahlung_bezahldienst", Page{Title: u.t("zahlung.endpoint.title"), IsError: len(d.Errors) > 0, Section: "verwaltung", Data: d})
}

func vzNotice(u *UI, r *http.Request) string {
	switch h := r.URL.Query().Get("hinweis"); h {
	case "zahlung_gespeichert", "bezahldienst_gespeichert":
		return u.t("zahlung.notice." + h)
	}
	return ""
}

// PaymentBack is the back link to the payment settings' overview.
func (p Page) PaymentBack() crumb {
	return crumb{Name: p.T("zahlung.admin.back"), URL: "/verwaltung/zahlung"}
}

// PaymentModeOptions are the payment modes as radio options.
func (p Page) PaymentModeOptions() []option {
	var out []option
	for _, m := range []payment.Mode{payment.ModeNone, payment.ModeMandatory, payment.ModeOptional, payment.ModeDeferred} {
		out = append(out, option{string(m), p.T("zahlung.mode." + string(m))})
	}
	return out
}

// FeeKindOptions are the kinds of fee rules as radio options.
func (p Page) FeeKindOptions() []option {
	var out []option
	for _, k := range []string{payment.RuleNone, payment.RuleFixed, payment.RulePer, payment.RuleTable} {
		out = append(out, option{k, p.T("zahlung.kind." + k)})
	}
	return out
}
