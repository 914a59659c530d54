package web

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/ozgo/ozgo/internal/identity"
	"github.com/ozgo/ozgo/internal/postfach"
	"github.com/ozgo/ozgo/internal/store/dbtest"
)

// staffCookie logs in a staff member (no second factor) and returns the
// session cookie.
func staffCookie(t *testing.T, ui *UI, email, tenant string, role identity.Role) *http.Cookie {
	t.Helper()
	ctx := context.Background()
	if tenant != "" {
		if err := ui.Identity.Service.CreateTenant(ctx, "system", tenant, tenant, ""); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := ui.Identity.Service.CreateStaff(ctx, "system", identity.NewStaff{Email: email, TenantID: tenant, Roles: []identity.Role{role}, Password: "ein-langes-passwort"}); err != nil {
		t.Fatal(err)
	}
	// A password login, as in the browser: it also unlocks the tenant key
	// (the first account of a tenant created it).
	st, err := ui.Identity.Service.StaffLogin(ctx, email, "ein-langes-passwort", "192.0.2.1")
	if err != nil {
		t.Fatal(err)
	}
	sess, err := ui.Identity.Service.FinishStaffLogin(ctx, "", st)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Cookie{Name: sessionCookie, Value: sess.Token}
}

func send(h http.Handler, method, target string, form url.Values, c *http.Cookie) *httptest.ResponseRecorder {
	var r *http.Request
	if method == http.MethodPost {
		r = httptest.NewRequest(method, target, strings.NewReader(form.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	} else {
		r = httptest.NewRequest(method, target, nil)
	}
	if c != nil {
		r.AddCookie(c)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

// TestAuthorizationMatrix: every route that takes an object id answers
// 404 to another citizen, a member of another organisation and staff of
// another tenant, and sends a browser without login to the login page.
func TestAuthorizationMatrix(t *testing.T) {
	ui, h := antragUI(t, dbtest.SQLite(t))
	ctx := context.Background()
	svc := ui.Identity.Service
	owner := loginAs(t, ui, "owner", identity.Hoch)
	other := loginAs(t, ui, "other", identity.Hoch)
	otherOrgMember := loginAs(t, ui, "other-org", identity.Hoch)
	clerk := staffCookie(t, ui, "clerk@ber.example", "ber", identity.RoleClerk)

	ownerSess, _ := svc.Session(ctx, owner.Value)
	ownerActor, _ := svc.ActorFor(ctx, ownerSess)
	org, err := svc.CreateOrganisation(ctx, ownerSess.Principal, "Eigene GmbH")
	if err != nil {
		t.Fatal(err)
	}
	ownerActor.Orgs[org.ID] = identity.OrgAdmin
	m, _, err := svc.OfferMandate(ctx, ownerActor, "person:"+ownerSess.Principal, "", time.Now(), time.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	otherSess, _ := svc.Session(ctx, otherOrgMember.Value)
	if _, err := svc.CreateOrganisation(ctx, otherSess.Principal, "Fremde AG"); err != nil {
		t.Fatal(err)
	}

	// A case of the owner worked by tenant "tue", with a message that has
	// a file.
	if _, err := ui.Antraege.DB.ExecContext(ctx, `INSERT INTO submissions (id, reference, token_hash, owner, service, form_id, form_version, schema_id, data, attachments, submitted_at, tenant_id)
		VALUES ('case1', '2026-AAAA-BBBB', 'x', ?, 'blaue-karte-eu', 'S00000121', '1.0', 's', ?, ?, '2026-11-26T09:00:00.000000000Z', 'tue')`, ownerActor.Party(), []byte{}, []byte{}); err != nil {
		t.Fatal(err)
	}
	clerkTue := &identity.Actor{Kind: identity.KindStaff, Principal: "x", TenantID: "tue", Roles: []identity.Role{identity.RoleClerk}}
	pdf, _ := ui.Antraege.Blobs.Put(ctx, strings.NewReader("%PDF-1.4 x"), 0)
	msg, err := ui.Postfach.Send(ctx, clerkTue, postfach.Draft{CaseID: "case1", Kind: postfach.Bescheid, Body: "Bewilligt.",
		Files: []postfach.NewFile{{BlobID: pdf.ID, Name: "bescheid.pdf", MediaType: "application/pdf"}}})
	if err != nil {
		t.Fatal(err)
	}
	att := msg.Attachments[0].ID

	routes := []struct {
		method, path string
		form         url.Values
		ownerStatus  int
	}{
		{"GET", "/organisationen/" + org.ID, nil, 200},
		{"POST", "/organisationen/" + org.ID + "/einladungen", url.Values{"rolle": {"member"}}, 200},
		{"POST", "/vollmachten/" + m.ID + "/widerrufen", nil, http.StatusSeeOther},
		{"GET", "/postfach/" + msg.ID, nil, 200},
		{"GET", "/postfach/" + msg.ID + "/anhang/" + att, nil, 200},
		{"POST", "/postfach/" + msg.ID + "/antwort", url.Values{"text": {"Danke."}}, http.StatusSeeOther},
		{"POST", "/postfach/" + msg.ID + "/archiv", nil, http.StatusSeeOther},
	}
	for _, rt := range routes {
		for name, c := range map[string]*http.Cookie{"other citizen": other, "other organisation": otherOrgMember, "other tenant's staff": clerk} {
			if w := send(h, rt.method, rt.path, rt.form, c); w.Code != http.StatusNotFound {
				t.Errorf("%s %s as %s: %d, want 404", rt.method, rt.path, name, w.Code)
			}
		}
		w := send(h, rt.method, rt.path, rt.form, nil)
		if w.Code != http.StatusSeeOther || !strings.HasPrefix(w.Header().Get("Location"), "/anmelden") {
			t.Errorf("%s %s without login: %d %s", rt.method, rt.path, w.Code, w.Header().Get("Location"))
		}
		if w := send(h, rt.method, rt.path, rt.form, owner); w.Code != rt.ownerStatus {
			t.Errorf("%s %s as owner: %d, want %d", rt.method, rt.path, w.Code, rt.ownerStatus)
		}
	}
	// Pages of one's own account need a login, and staff have no citizen
	// pages.
	for _, p := range []string{"/konto", "/vollmachten", "/postfach", "/antraege"} {
		w := send(h, "GET", p, nil, nil)
		if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/anmelden?return="+url.QueryEscape(p) {
			t.Errorf("%s without login: %d %s", p, w.Code, w.Header().Get("Location"))
		}
		if w := send(h, "GET", p, nil, owner); w.Code != 200 {
			t.Errorf("%s as owner: %d", p, w.Code)
		}
	}
	if w := send(h, "GET", "/vollmachten", nil, clerk); w.Code != http.StatusNotFound {
		t.Errorf("/vollmachten as staff: %d", w.Code)
	}
}

func TestLoginPageReturnAndLogout(t *testing.T) {
	ui, h := antragUI(t, dbtest.SQLite(t))
	for _, ret := range []string{"https://evil.example/", "//evil.example", "/\\evil.example", "javascript:alert(1)"} {
		w := send(h, "GET", "/anmelden?return="+url.QueryEscape(ret), nil, nil)
		if w.Code != 200 || strings.Contains(w.Body.String(), "evil.example") || strings.Contains(w.Body.String(), "javascript:") {
			t.Errorf("return %q kept on the login page", ret)
		}
		checkPage(t, w.Body.String())
	}
	w := send(h, "GET", "/anmelden?return=%2Fkonto&niveau=hoch", nil, nil)
	if !strings.Contains(w.Body.String(), `/mitarbeiter/anmelden?return=%2fkonto`) || !strings.Contains(w.Body.String(), "Vertrauensniveau „hoch“ erforderlich") {
		t.Error("login page lost the return path or the level")
	}
	// Logout: only by POST, to a safe place, and the session is gone.
	c := loginAs(t, ui, "leaving", identity.Substantiell)
	if w := send(h, "GET", "/abmelden", nil, c); w.Code != 200 {
		t.Fatalf("logout page: %d", w.Code)
	}
	if w := send(h, "GET", "/konto", nil, c); w.Code != 200 {
		t.Fatal("logout on GET")
	}
	w = send(h, "POST", "/abmelden", url.Values{"return": {"https://evil.example/"}}, c)
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/abgemeldet" {
		t.Errorf("logout redirect: %d %s", w.Code, w.Header().Get("Location"))
	}
	if w := send(h, "GET", "/konto", nil, c); w.Code != http.StatusSeeOther {
		t.Errorf("session alive after logout: %d", w.Code)
	}
}

func TestStaffLoginPage(t *testing.T) {
	ui, h := antragUI(t, dbtest.SQLite(t))
	staffCookie(t, ui, "clerk@tue.example", "tue", identity.RoleClerk)
	w := send(h, "POST", "/mitarbeiter/anmelden", url.Values{}, nil)
	if w.Code != http.StatusUnprocessableEntity || !strings.Contains(w.Body.String(), "Geben Sie Ihre E-Mail-Adresse an.") {
		t.Errorf("empty form: %d", w.Code)
	}
	checkPage(t, w.Body.String())
	for i := 1; i <= 20; i++ {
		w := send(h, "POST", "/mitarbeiter/anmelden", url.Values{"email": {"clerk@tue.example"}, "password": {"falsch"}}, nil)
		if w.Code != http.StatusUnauthorized || !strings.Contains(w.Body.String(), "E-Mail-Adresse oder Passwort sind falsch.") {
			t.Fatalf("attempt %d: %d", i, w.Code)
		}
	}
	w = send(h, "POST", "/mitarbeiter/anmelden", url.Values{"email": {"clerk@tue.example"}, "password": {"ein-langes-passwort"}}, nil)
	if w.Code != http.StatusTooManyRequests || !strings.Contains(w.Body.String(), "Bitte warten Sie") {
		t.Errorf("21st attempt: %d", w.Code)
	}
	checkPage(t, w.Body.String())
}

// TestStaffPasswordChange: staff change their password on /konto with
// German errors per field; afterwards the new password logs in and still
// unlocks the tenant key, the old one does neither. Citizens get 404.
func TestStaffPasswordChange(t *testing.T) {
	ui, h := antragUI(t, dbtest.SQLite(t))
	ctx := context.Background()
	clerk := staffCookie(t, ui, "pw@tue.example", "tue", identity.RoleClerk)
	w := send(h, "GET", "/konto", nil, clerk)
	if w.Code != 200 || !strings.Contains(w.Body.String(), "Passwort ändern") {
		t.Fatalf("konto: %d", w.Code)
	}
	checkPage(t, w.Body.String())
	for _, tc := range []struct {
		form  url.Values
		field string
		want  string
	}{
		{url.Values{"passwort": {"falsch-falsch-falsch"}, "neues-passwort": {"ein neues langes Passwort"}, "neues-passwort-2": {"ein neues langes Passwort"}}, "passwort", "Das aktuelle Passwort stimmt nicht."},
		{url.Values{"passwort": {"ein-langes-passwort"}, "neues-passwort": {"kurz"}, "neues-passwort-2": {"kurz"}}, "neues-passwort", "mindestens 12 Zeichen"},
		{url.Values{"passwort": {"ein-langes-passwort"}, "neues-passwort": {"ein neues langes Passwort"}, "neues-passwort-2": {"ein anderes Passwort!!"}}, "neues-passwort-2", "stimmen nicht überein"},
	} {
		w := send(h, "POST", "/konto/passwort", tc.form, clerk)
		body := w.Body.String()
		if w.Code != http.StatusUnprocessableEntity || !strings.Contains(body, tc.want) || !strings.Contains(body, `id="pw-`+tc.field+`-error"`) {
			t.Errorf("%s: %d, want the error %q at the field", tc.field, w.Code, tc.want)
		}
		checkPage(t, body)
	}
	if _, err := ui.Identity.Service.UnlockWithPassword(ctx, "pw@tue.example", "ein-langes-passwort"); err != nil {
		t.Fatal("a refused change altered the password")
	}
	w = send(h, "POST", "/konto/passwort", url.Values{"passwort": {"ein-langes-passwort"}, "neues-passwort": {"ein neues langes Passwort"}, "neues-passwort-2": {"ein neues langes Passwort"}}, clerk)
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/konto?hinweis=passwort" {
		t.Fatalf("change: %d %s", w.Code, w.Header().Get("Location"))
	}
	if k, err := ui.Identity.Service.UnlockWithPassword(ctx, "pw@tue.example", "ein neues langes Passwort"); err != nil || k == nil {
		t.Errorf("the new password does not unlock the tenant key: %v", err)
	}
	if _, err := ui.Identity.Service.UnlockWithPassword(ctx, "pw@tue.example", "ein-langes-passwort"); err == nil {
		t.Error("the old password still unlocks the tenant key")
	}
	citizen := loginAs(t, ui, "mustermann", identity.Hoch)
	if w := send(h, "POST", "/konto/passwort", url.Values{"passwort": {"x"}}, citizen); w.Code != http.StatusNotFound {
		t.Errorf("citizen: %d", w.Code)
	}
}
