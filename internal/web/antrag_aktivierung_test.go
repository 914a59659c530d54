package web

import (
	"bytes"
	"context"
	"image"
	"image/png"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/ozgo/ozgo/internal/audit"
	"github.com/ozgo/ozgo/internal/demo"
	"github.com/ozgo/ozgo/internal/errs"
	"github.com/ozgo/ozgo/internal/fitconnect"
	"github.com/ozgo/ozgo/internal/form"
	"github.com/ozgo/ozgo/internal/httpx"
	"github.com/ozgo/ozgo/internal/identity"
	"github.com/ozgo/ozgo/internal/onlinedienst"
	"github.com/ozgo/ozgo/internal/postfach"
	"github.com/ozgo/ozgo/internal/store"
	"github.com/ozgo/ozgo/internal/store/dbtest"
	"github.com/ozgo/ozgo/internal/tenant"
)

// activationEnv adds the tenant domain to antragUI: the tenants "land"
// (service author) and "tuebingen" (the test destination's tenant, area
// the Gemeinde Tübingen), with the runtime wired as in internal/app.
type activationEnv struct {
	ui     *UI
	h      http.Handler
	ts     *tenant.Service
	dest   *fitconnect.Destination
	author *identity.Actor
	admin  *identity.Actor
}

func newActivationEnv(t *testing.T, db *store.DB) *activationEnv {
	t.Helper()
	ui, h := antragUI(t, db)
	ctx := context.Background()
	ids := ui.Identity.Service
	for _, tn := range [][3]string{{"land", "Land (Test)", "08"}, {"tuebingen", "Tübingen (Test)", demo.DemoGemeinde}} {
		if err := ids.CreateTenant(ctx, audit.System, tn[0], tn[1], tn[2]); err != nil {
			t.Fatal(err)
		}
	}
	ts := tenant.New(db, ui.Antraege.Audit, ui.Catalog, ids)
	ts.Models = ui.Antraege.Registry
	fc := ui.Antraege.Delivery.FC
	ts.DestinationExists = func(ctx context.Context, tenantID, id string) (bool, error) {
		d, err := fc.InternalDestination(ctx, id)
		if errs.Is(err, errs.NotFound) {
			return false, nil
		}
		return err == nil && d.TenantID == tenantID && d.Status == fitconnect.DestinationActive, err
	}
	ui.Tenants = ts
	ui.Antraege.Activations = ts.RoutingActivation
	// The administration routes exist only with the tenant domain.
	rt := httpx.NewRouter(http.HandlerFunc(ui.NotFound), http.HandlerFunc(ui.MethodNotAllowed))
	ui.Register(rt)
	h = ui.WithSession(rt)
	e := &activationEnv{ui: ui, h: h, ts: ts, dest: routeDest(t, ui),
		author: &identity.Actor{Kind: identity.KindStaff, Principal: "author", TenantID: "land", Roles: []identity.Role{identity.RoleServiceAuthor}},
		admin:  &identity.Actor{Kind: identity.KindStaff, Principal: "admin", TenantID: "tuebingen", Roles: []identity.Role{identity.RoleTenantAdmin}}}
	return e
}

// publish publishes a version of a demo service with the given form.
func (e *activationEnv) publish(t *testing.T, slug, formID string) {
	t.Helper()
	var s onlinedienst.Service
	for _, x := range demo.OnlineServices {
		if x.Slug == slug {
			s = x
		}
	}
	ctx := context.Background()
	v, err := e.ts.PrepareVersion(ctx, e.author, tenant.Version{Slug: slug, Title: s.Title, Summary: "Test", LeiKa: []string{s.LeiKa},
		FormID: formID, FormVersion: "1.0", MinTrustLevel: s.MinTrustLevel, RequiredParams: []string{tenant.ParamAuthority}})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.ts.Publish(ctx, e.author, slug, v.Version); err != nil {
		t.Fatal(err)
	}
}

func (e *activationEnv) activate(t *testing.T, slug string, in tenant.ActivationInput) {
	t.Helper()
	if in.ARS == "" {
		in.ARS = demo.DemoGemeinde
	}
	if _, es, err := e.ts.Activate(context.Background(), e.admin, "tuebingen", in, slug); err != nil || len(es) > 0 {
		t.Fatal(err, es)
	}
}

// An activated service goes where the Gemeinde's activation says, and
// only there: its destination, the tenant's workspace inbox, paper only,
// or nowhere (not offered in this Gemeinde).
func TestAntragRoutedByActivation(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, db *store.DB) {
		e := newActivationEnv(t, db)
		ctx := context.Background()
		const slug = "mutterschutz-benachrichtigung"
		e.publish(t, slug, "S00000094")
		svc, err := e.ui.Antraege.Registry.Get(ctx, slug)
		if err != nil {
			t.Fatal(err)
		}
		// Not activated anywhere: routed by the destination's regions.
		if d, err := e.ui.Antraege.Route(ctx, svc, demo.DemoGemeinde); err != nil || d.ID != e.dest.ID {
			t.Fatalf("region routing: %v %v", d, err)
		}
		// A destination of another tenant or an unknown one is refused at
		// activation time, in German.
		_, es, err := e.ts.Activate(ctx, e.admin, "tuebingen", tenant.ActivationInput{ARS: demo.DemoGemeinde, Authority: "Amt", Delivery: "zustellpunkt",
			DestinationID: "2b3a4ed7-1d6b-4c7a-9a43-8a1e0e3f9f11"}, slug)
		if err != nil || len(es) != 1 || es[0].Field != "zustellpunkt" {
			t.Fatalf("unknown destination: %v %v", es, err)
		}
		if msg := e.ui.cat.Resolve("de", es[0].Message, es[0].Args); !strings.Contains(msg, "Zustellpunkt") {
			t.Errorf("message %q", msg)
		}

		e.activate(t, slug, tenant.ActivationInput{Authority: "Gewerbeaufsicht Tübingen (Test)", Delivery: "zustellpunkt", DestinationID: e.dest.ID,
			ContactEmail: "gewerbeaufsicht@tuebingen.example", ProcessingDays: "12", OpeningHoursURL: "https://tuebingen.example/zeiten"})
		if d, err := e.ui.Antraege.Route(ctx, svc, demo.DemoGemeinde); err != nil || d.ID != e.dest.ID {
			t.Fatalf("destination: %v %v", d, err)
		}
		// Elsewhere: not offered, although nothing else changed.
		if _, err := e.ui.Antraege.Route(ctx, svc, otherOrt); err != onlinedienst.ErrNotOffered {
			t.Fatalf("other Gemeinde: %v", err)
		}

		// The citizen: the start and check pages name the authority with
		// its contact; the application reaches the destination.
		b := &browser{t: t, h: e.h, ort: &http.Cookie{Name: ortCookie, Value: demo.DemoGemeinde}}
		if body := b.get("/onlinedienste/" + slug).Body.String(); !strings.Contains(body, "Gewerbeaufsicht Tübingen (Test)") || !strings.Contains(body, "etwa 12 Arbeitstage") {
			t.Error("the start page does not show the activation")
		}
		fillAll(t, e.ui, b, slug)
		check := "/onlinedienste/" + slug + "/antrag/pruefen"
		w := b.get(check)
		body := w.Body.String()
		if w.Code != 200 || !strings.Contains(body, "Gewerbeaufsicht Tübingen (Test)") || !strings.Contains(body, "mailto:gewerbeaufsicht@tuebingen.example") ||
			!strings.Contains(body, "https://tuebingen.example/zeiten") || !strings.Contains(body, "Antrag verbindlich absenden") {
			t.Fatalf("check page: %d", w.Code)
		}
		checkPage(t, body)
		// Another Gemeinde: the start and check pages say the service is
		// not offered there; submitting is refused, the draft stays.
		b.ort.Value = otherOrt
		if body := b.get("/onlinedienste/" + slug).Body.String(); !strings.Contains(body, "wird dieser Onlinedienst noch nicht online angeboten") {
			t.Error("the start page does not say the service is not offered in the chosen Gemeinde")
		}
		w = b.get(check)
		if body := w.Body.String(); w.Code != 200 || !strings.Contains(body, "noch nicht online angeboten") || strings.Contains(body, "Antrag verbindlich absenden") {
			t.Fatalf("check page elsewhere: %d", w.Code)
		}
		checkPage(t, w.Body.String())
		if w := b.post("/onlinedienste/"+slug+"/antrag/absenden", url.Values{}); w.Code != http.StatusConflict || !strings.Contains(w.Body.String(), "in der gewählten Gemeinde noch nicht online angeboten") {
			t.Fatalf("submit elsewhere: %d", w.Code)
		}
		b.ort.Value = demo.DemoGemeinde
		if w := b.post("/onlinedienste/"+slug+"/antrag/absenden", url.Values{}); w.Code != http.StatusSeeOther {
			t.Fatalf("submit: %d %s", w.Code, w.Body.String())
		}
		var dest, authority string
		if err := db.QueryRowContext(ctx, `SELECT destination_id, authority FROM deliveries`).Scan(&dest, &authority); err != nil || dest != e.dest.ID || authority != "Gewerbeaufsicht Tübingen (Test)" {
			t.Fatalf("delivered to %q, %q (%v)", dest, authority, err)
		}
		// The status monitor's row: the authority and the expected
		// processing time of the activation in the applicant's Gemeinde.
		var subID, submitted string
		if err := db.QueryRowContext(ctx, `SELECT id, submitted_at FROM submissions`).Scan(&subID, &submitted); err != nil {
			t.Fatal(err)
		}
		row := antragRow{CaseSummary: &postfach.CaseSummary{Case: postfach.Case{ID: subID}, Submitted: submitted}}
		e.ui.caseAuthority(httptest.NewRequest("GET", "/antraege", nil), &row)
		if row.Authority != "Gewerbeaufsicht Tübingen (Test)" || row.Days != 12 || row.Until != addWorkdays(store.ParseTime(submitted).In(form.Berlin), 12).Format("02.01.2006") {
			t.Errorf("status monitor row: %q %d %q", row.Authority, row.Days, row.Until)
		}

		// Inbox: the tenant's workspace destination (inbox_keys); without
		// one, no destination.
		e.activate(t, slug, tenant.ActivationInput{Authority: "Gewerbeaufsicht Tübingen (Test)", Delivery: "eingang"})
		if _, err := e.ui.Antraege.Route(ctx, svc, demo.DemoGemeinde); !errs.Is(err, errs.Conflict) || err == onlinedienst.ErrNotOffered {
			t.Fatalf("inbox without workspace key: %v", err)
		}
		if _, err := db.ExecContext(ctx, `INSERT INTO inbox_keys (destination_id, tenant_id, signing_key, created_at) VALUES (?, ?, ?, ?)`,
			e.dest.ID, "tuebingen", []byte("sealed"), store.FormatTime(e.ui.Antraege.Drafts.Now())); err != nil {
			t.Fatal(err)
		}
		if d, err := e.ui.Antraege.Route(ctx, svc, demo.DemoGemeinde); err != nil || d.ID != e.dest.ID {
			t.Fatalf("inbox: %v %v", d, err)
		}
		// Paper only: no online submission, the check page says so.
		e.activate(t, slug, tenant.ActivationInput{Authority: "Gewerbeaufsicht Tübingen (Test)", Delivery: "pdf", ContactPhone: "+49 7071 123"})
		if _, err := e.ui.Antraege.Route(ctx, svc, demo.DemoGemeinde); err != onlinedienst.ErrPaperOnly {
			t.Fatalf("paper: %v", err)
		}
		// The applicant fills it in and gets the PDF to send, with the
		// authority's contact; nothing is submitted.
		fillAll(t, e.ui, b, slug)
		w = b.get(check)
		body = w.Body.String()
		if w.Code != 200 || !strings.Contains(body, "Antrag nur schriftlich") || !strings.Contains(body, "/onlinedienste/"+slug+"/antrag/antrag.pdf") ||
			!strings.Contains(body, "7071 123") || strings.Contains(body, "Antrag verbindlich absenden") {
			t.Fatalf("check page, paper only: %d\n%s", w.Code, body)
		}
		checkPage(t, body)
		w = b.get("/onlinedienste/" + slug + "/antrag/antrag.pdf")
		if w.Code != 200 || w.Header().Get("Content-Type") != "application/pdf" || !bytes.HasPrefix(w.Body.Bytes(), []byte("%PDF-")) {
			t.Fatalf("paper PDF: %d", w.Code)
		}
		if w := b.post("/onlinedienste/"+slug+"/antrag/absenden", url.Values{}); w.Code != http.StatusConflict || !strings.Contains(w.Body.String(), "nur schriftlich") {
			t.Fatalf("submit, paper only: %d", w.Code)
		}
		b.ort.Value = otherOrt
		if w := b.get("/onlinedienste/" + slug + "/antrag/antrag.pdf"); w.Code != http.StatusNotFound {
			t.Fatalf("paper PDF where the service is not offered: %d", w.Code)
		}
		b.ort.Value = demo.DemoGemeinde
		var subs int
		if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM submissions`).Scan(&subs); err != nil || subs != 1 {
			t.Fatalf("submissions: %d %v", subs, err)
		}
		// Switched off: not offered (the authority is still named).
		if err := e.ts.Deactivate(ctx, e.admin, "tuebingen", slug, demo.DemoGemeinde); err != nil {
			t.Fatal(err)
		}
		if _, err := e.ui.Antraege.Route(ctx, svc, demo.DemoGemeinde); err != onlinedienst.ErrNotOffered {
			t.Fatalf("switched off: %v", err)
		}
	})
}

// The login level is the higher of the service's minimum and the
// activation's level in the chosen Gemeinde; a Gemeinde chosen only on
// the check page is enforced there, before submission.
func TestActivationTrustLevel(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, db *store.DB) {
		e := newActivationEnv(t, db)
		const slug = "mutterschutz-benachrichtigung" // minimum: none
		e.publish(t, slug, "S00000094")
		e.activate(t, slug, tenant.ActivationInput{Authority: "Gewerbeaufsicht Tübingen (Test)", Delivery: "zustellpunkt", DestinationID: e.dest.ID, TrustLevel: "substantiell"})
		// Without a place: the minimum applies, the form can be filled.
		b := &browser{t: t, h: e.h}
		fillAll(t, e.ui, b, slug)
		check := "/onlinedienste/" + slug + "/antrag/pruefen"
		// The place chosen on the check page: login at "substantiell".
		b.ort = &http.Cookie{Name: ortCookie, Value: demo.DemoGemeinde}
		w := b.get(check)
		if loc := w.Header().Get("Location"); w.Code != http.StatusSeeOther || !strings.HasPrefix(loc, "/anmelden?") || !strings.Contains(loc, "niveau=substantiell") || !strings.Contains(loc, url.QueryEscape(check)) {
			t.Fatalf("check page below the level: %d %q", w.Code, loc)
		}
		w = b.post("/onlinedienste/"+slug+"/antrag/absenden", url.Values{})
		if loc := w.Header().Get("Location"); w.Code != http.StatusSeeOther || !strings.Contains(loc, "niveau=substantiell") {
			t.Fatalf("submit below the level: %d %q", w.Code, loc)
		}
		// "niedrig" is not enough, "substantiell" is.
		b.session = loginAs(t, e.ui, "low", identity.Niedrig)
		if w := b.get(check); w.Code != http.StatusSeeOther {
			t.Fatalf("niedrig: %d", w.Code)
		}
		b.session = loginAs(t, e.ui, "high", identity.Substantiell)
		if w := b.get(check); w.Code != http.StatusOK {
			t.Fatalf("substantiell: %d", w.Code)
		}
		// In a Gemeinde without activation only the minimum counts.
		b.session, b.ort.Value = nil, otherOrt
		if w := b.get(check); w.Code != http.StatusOK {
			t.Fatalf("elsewhere: %d", w.Code)
		}
		// The rule itself: max(minimum, activation).
		svc, _ := e.ui.Antraege.Registry.Get(context.Background(), slug)
		r := httptest.NewRequest("GET", "/", nil)
		r.AddCookie(&http.Cookie{Name: ortCookie, Value: demo.DemoGemeinde})
		if got := e.ui.requiredLevel(r, svc); got != identity.Substantiell {
			t.Errorf("required %v", got)
		}
		svc.MinTrustLevel = identity.Hoch
		if got := e.ui.requiredLevel(r, svc); got != identity.Hoch {
			t.Errorf("required with a higher minimum %v", got)
		}
	})
}

// A draft keeps the form version it was started with after a new version
// of the service with another form is published; a new draft gets the new
// form.
func TestDraftKeepsFormVersion(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, db *store.DB) {
		e := newActivationEnv(t, db)
		ctx := context.Background()
		const slug = "blaue-karte-eu"
		e.publish(t, slug, "S00000121")
		old, err := e.ui.Antraege.Registry.Model(ctx, "S00000121", "1.0")
		if err != nil {
			t.Fatal(err)
		}
		nw, err := e.ui.Antraege.Registry.Model(ctx, "S00000094", "1.0")
		if err != nil {
			t.Fatal(err)
		}
		oldTitle, newTitle := e.ui.pageTitle(old, 0, old.Pages[0]), e.ui.pageTitle(nw, 0, nw.Pages[0])
		if oldTitle == newTitle {
			t.Fatal("the two forms' first pages have the same title")
		}
		b := &browser{t: t, h: e.h, ort: &http.Cookie{Name: ortCookie, Value: demo.DemoGemeinde}}
		fillAll(t, e.ui, b, slug)

		e.publish(t, slug, "S00000094") // version 2: another form
		check := "/onlinedienste/" + slug + "/antrag/pruefen"
		w := b.get(check)
		if body := w.Body.String(); w.Code != 200 || !strings.Contains(body, oldTitle) || strings.Contains(body, newTitle) || !strings.Contains(body, "Antrag verbindlich absenden") {
			t.Fatalf("old draft after the new version: %d", w.Code)
		}
		if w := b.get("/onlinedienste/" + slug + "/antrag/1"); !strings.Contains(w.Body.String(), oldTitle) {
			t.Fatal("the old draft's page 1 shows another form")
		}
		if w := b.post("/onlinedienste/"+slug+"/antrag/absenden", url.Values{}); w.Code != http.StatusSeeOther {
			t.Fatalf("submit the old draft: %d", w.Code)
		}
		var formID, formVersion string
		if err := db.QueryRowContext(ctx, `SELECT form_id, form_version FROM submissions`).Scan(&formID, &formVersion); err != nil || formID != "S00000121" {
			t.Fatalf("submitted with %s %s (%v)", formID, formVersion, err)
		}
		// The receipt renders with the submission's form too.
		if w := b.get("/onlinedienste/" + slug + "/antrag/eingang"); w.Code != 200 || !strings.Contains(w.Body.String(), oldTitle) {
			t.Fatalf("receipt: %d", w.Code)
		}
		// A new draft: the new form.
		b2 := &browser{t: t, h: e.h}
		w = b2.post("/onlinedienste/"+slug+"/antrag", url.Values{})
		w = b2.get(w.Header().Get("Location"))
		if body := w.Body.String(); !strings.Contains(body, newTitle) {
			t.Fatal("a new draft does not get the new form")
		}
		ck, _ := readAntragCookie(httpRequestWith(b2.cookie))
		dr, err := e.ui.Antraege.Drafts.Load(ctx, ck.ID, ck.Secret)
		if err != nil || dr.FormID != "S00000094" {
			t.Fatalf("new draft on %v (%v)", dr, err)
		}
	})
}

// A tenant admin uploads a logo; ozgo serves it at a stable URL with its
// media type, nosniff and cache headers, and refuses SVG.
func TestTenantLogo(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, db *store.DB) {
		e := newActivationEnv(t, db)
		ctx := context.Background()
		fsb := e.ui.Antraege.Blobs
		e.ts.Blobs = fsb
		err := e.ts.SaveLogo(ctx, e.admin, "tuebingen", []byte(`<svg xmlns="http://www.w3.org/2000/svg"/>`))
		if fe := asFieldErrors(err); len(fe) != 1 || fe[0].Field != "logo-datei" {
			t.Fatalf("svg: %v", err)
		}
		var png1 bytes.Buffer
		if err := png.Encode(&png1, image.NewGray(image.Rect(0, 0, 120, 40))); err != nil {
			t.Fatal(err)
		}
		// Through the page, as multipart.
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		fw, _ := mw.CreateFormFile("logo-datei", "logo.png")
		_, _ = fw.Write(png1.Bytes())
		_ = mw.Close()
		st, err := e.ui.Identity.Service.CreateStaff(ctx, "system", identity.NewStaff{Email: "admin@tuebingen.example", TenantID: "tuebingen",
			Roles: []identity.Role{identity.RoleTenantAdmin}, Password: "ein-langes-passwort"})
		if err != nil {
			t.Fatal(err)
		}
		sess, err := e.ui.Identity.Service.FinishStaffLogin(ctx, "", st)
		if err != nil {
			t.Fatal(err)
		}
		r := httptest.NewRequest("POST", "/verwaltung/profil/logo", &buf)
		r.Header.Set("Content-Type", mw.FormDataContentType())
		r.AddCookie(&http.Cookie{Name: sessionCookie, Value: sess.Token})
		w := httptest.NewRecorder()
		e.h.ServeHTTP(w, r)
		if w.Code != http.StatusSeeOther {
			t.Fatalf("upload: %d %s", w.Code, w.Body.String())
		}
		w = httptest.NewRecorder()
		e.h.ServeHTTP(w, httptest.NewRequest("GET", "/mandanten/tuebingen/logo", nil))
		h := w.Header()
		if w.Code != 200 || h.Get("Content-Type") != "image/png" || h.Get("X-Content-Type-Options") != "nosniff" || !strings.Contains(h.Get("Cache-Control"), "max-age") ||
			h.Get("ETag") == "" || !bytes.Equal(w.Body.Bytes(), png1.Bytes()) {
			t.Fatalf("logo: %d %v", w.Code, h)
		}
		// Revalidation.
		r = httptest.NewRequest("GET", "/mandanten/tuebingen/logo", nil)
		r.Header.Set("If-None-Match", h.Get("ETag"))
		w = httptest.NewRecorder()
		e.h.ServeHTTP(w, r)
		if w.Code != http.StatusNotModified {
			t.Errorf("If-None-Match: %d", w.Code)
		}
		// Shown with the tenant's name on its service pages.
		const slug = "mutterschutz-benachrichtigung"
		e.publish(t, slug, "S00000094")
		e.activate(t, slug, tenant.ActivationInput{Authority: "Gewerbeaufsicht Tübingen (Test)", Delivery: "zustellpunkt", DestinationID: e.dest.ID})
		b := &browser{t: t, h: e.h, ort: &http.Cookie{Name: ortCookie, Value: demo.DemoGemeinde}}
		if body := b.get("/onlinedienste/" + slug + "/gemeinden/" + demo.DemoGemeinde).Body.String(); !strings.Contains(body, `<img class="ozgo-tenant-logo" src="/mandanten/tuebingen/logo" alt="Tübingen (Test)">`) {
			t.Error("the Gemeinde page does not show the logo")
		}
		if body := b.get("/onlinedienste/" + slug).Body.String(); !strings.Contains(body, `src="/mandanten/tuebingen/logo"`) {
			t.Error("the start page does not show the logo")
		}
		// Removed: 404.
		if err := e.ts.RemoveLogo(ctx, e.admin, "tuebingen"); err != nil {
			t.Fatal(err)
		}
		w = httptest.NewRecorder()
		e.h.ServeHTTP(w, httptest.NewRequest("GET", "/mandanten/tuebingen/logo", nil))
		if w.Code != http.StatusNotFound {
			t.Errorf("removed logo: %d", w.Code)
		}
	})
}
