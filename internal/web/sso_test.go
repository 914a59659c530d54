package web

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/ozgo/ozgo/internal/devidp"
	"github.com/ozgo/ozgo/internal/identity"
	"github.com/ozgo/ozgo/internal/identity/oidc"
	"github.com/ozgo/ozgo/internal/store/dbtest"
)

var idpTokenRE = regexp.MustCompile(`name="token" value="([^"]+)"`)

// TestStaffSSO: a staff member logs in through the authority's OpenID
// Connect provider (here the test IdP); a person without a linked staff
// account is refused.
func TestStaffSSO(t *testing.T) {
	var idpH, uiH http.Handler
	idpSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { idpH.ServeHTTP(w, r) }))
	defer idpSrv.Close()
	uiSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { uiH.ServeHTTP(w, r) }))
	defer uiSrv.Close()
	idp, err := devidp.New(devidp.Options{PublicURL: idpSrv.URL, OIDCClients: []devidp.OIDCClient{{ID: "ozgo-staff", Secret: "s3cret"}}})
	if err != nil {
		t.Fatal(err)
	}
	idpH = idp.Handler()
	ui, h := antragUI(t, dbtest.SQLite(t))
	uiH = h
	op, err := oidc.New(oidc.Config{ID: "mitarbeiter", IssuerURL: idpSrv.URL, ClientID: "ozgo-staff", ClientSecret: "s3cret",
		RedirectURL: uiSrv.URL + "/mitarbeiter/oidc/callback", DefaultTrustLevel: identity.Substantiell, AllowTestIdP: true})
	if err != nil {
		t.Fatal(err)
	}
	ui.Identity.Staff, ui.Identity.StaffIssuer = op, idpSrv.URL
	ctx := context.Background()
	svc := ui.Identity.Service
	if err := svc.CreateTenant(ctx, "system", "tue", "Tübingen", ""); err != nil {
		t.Fatal(err)
	}
	st, err := svc.CreateStaff(ctx, "system", identity.NewStaff{Email: "anna@tue.example", Name: "Anna Sachbearbeiterin", TenantID: "tue", Roles: []identity.Role{identity.RoleClerk}, Password: "ein-langes-passwort"})
	if err != nil {
		t.Fatal(err)
	}
	var anna devidp.Person
	for _, p := range devidp.DefaultPersons() {
		if p.Key == "anna" {
			anna = p
		}
	}
	if err := svc.LinkStaffOIDC(ctx, "system", st.ID, idpSrv.URL, anna.Sub); err != nil {
		t.Fatal(err)
	}

	var c *http.Client
	login := func(person string) *http.Response {
		jar, _ := cookiejar.New(nil)
		c = &http.Client{Jar: jar}
		page, err := c.Get(uiSrv.URL + "/mitarbeiter/anmelden")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(page.Body)
		page.Body.Close()
		if !strings.Contains(string(body), "Single Sign-on") {
			t.Fatal("no SSO button")
		}
		resp, err := c.PostForm(uiSrv.URL+"/mitarbeiter/anmelden/sso", url.Values{"return": {"/konto"}})
		if err != nil {
			t.Fatal(err)
		}
		body, _ = io.ReadAll(resp.Body)
		resp.Body.Close()
		m := idpTokenRE.FindSubmatch(body)
		if m == nil {
			t.Fatalf("no IdP page: %d %s", resp.StatusCode, resp.Request.URL)
		}
		resp, err = c.PostForm(idpSrv.URL+"/login", url.Values{"token": {string(m[1])}, "person": {person}, "level": {"substantiell"}, "action": {"login"}})
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	resp := login("anna")
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Request.URL.Path != "/konto" || !strings.Contains(string(body), "Anna Sachbearbeiterin") {
		t.Fatalf("staff SSO: %d %s", resp.StatusCode, resp.Request.URL)
	}
	// Single sign-on brings no password: the tenant key is locked in this
	// session, the workspace says so, and the key password (here the
	// account's password at creation) unlocks it (docs/schluessel.md).
	resp, err = c.Get(uiSrv.URL + "/sachbearbeitung")
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(string(body), "Schlüsselkennwort") {
		t.Fatalf("workspace after SSO: %d", resp.StatusCode)
	}
	resp, err = c.PostForm(uiSrv.URL+"/mitarbeiter/schluessel", url.Values{"schluesselkennwort": {"ein-langes-passwort"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Request.URL.Path != "/sachbearbeitung" {
		t.Fatalf("unlock after SSO: %d %s", resp.StatusCode, resp.Request.URL)
	}
	resp = login("lena")
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(string(body), "kein Konto für Mitarbeitende") {
		t.Fatalf("unlinked person: %d", resp.StatusCode)
	}
}
