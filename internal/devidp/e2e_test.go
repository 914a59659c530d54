package devidp_test

import (
	"context"
	"encoding/base64"
	"html"
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
	ozsaml "github.com/ozgo/ozgo/internal/identity/saml"
)

// startIdP runs a devidp on an httptest server, at the root or, with a
// prefix, mounted below it as ozgo's demo may do.
func startIdP(t *testing.T, opts devidp.Options, prefix string) (*devidp.IdP, *httptest.Server) {
	t.Helper()
	var h http.Handler
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.URL.Path, prefix+"/") {
			http.NotFound(w, r)
			return
		}
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	opts.PublicURL = srv.URL + prefix
	idp, err := devidp.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	h = idp.Handler()
	return idp, srv
}

func newClient(t *testing.T) *http.Client {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func body(t *testing.T, resp *http.Response) string {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s: HTTP %d: %s", resp.Request.URL, resp.StatusCode, b)
	}
	return string(b)
}

var (
	hiddenRE = regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)">`)
	actionRE = regexp.MustCompile(`<form method="post" action="([^"]+)" id="autosubmit">`)
)

// hidden returns the hidden fields of a page.
func hidden(page string) url.Values {
	v := url.Values{}
	for _, m := range hiddenRE.FindAllStringSubmatch(page, -1) {
		v.Set(html.UnescapeString(m[1]), html.UnescapeString(m[2]))
	}
	return v
}

// checkChoicePage checks the accessibility and CSP promises of the page.
func checkChoicePage(t *testing.T, page string) {
	t.Helper()
	for _, want := range []string{`<html lang="de">`, "Test-Identitätsprovider – kein echtes Konto", "TESTSYSTEM", "<fieldset>", "<legend>Testperson</legend>", `<label for="person-anna">`} {
		if !strings.Contains(page, want) {
			t.Errorf("choice page lacks %q", want)
		}
	}
	if regexp.MustCompile(`<script(?:\s[^>]*)?>[^<]`).MatchString(page) || strings.Contains(page, "style=") {
		t.Error("page has inline script or style")
	}
}

// choose picks person and level on the choice page and returns the next
// response.
func choose(t *testing.T, c *http.Client, base, page, person, level, action string) *http.Response {
	t.Helper()
	checkChoicePage(t, page)
	tok := hidden(page).Get("token")
	if tok == "" {
		t.Fatal("no token on the choice page")
	}
	resp, err := c.PostForm(base+"/login", url.Values{"token": {tok}, "person": {person}, "level": {level}, "action": {action}})
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

func TestSAMLEndToEnd(t *testing.T) {
	for _, tc := range []struct {
		name       string
		prefix     string
		spMetadata bool
	}{
		{"root", "", true},
		{"mounted", "/devidp", true},
		{"without SP metadata", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) { testSAML(t, tc.prefix, tc.spMetadata) })
	}
}

func testSAML(t *testing.T, prefix string, withSPMetadata bool) {
	ctx := context.Background()
	kp, err := ozsaml.NewKeyPair("sp")
	if err != nil {
		t.Fatal(err)
	}
	var sp *ozsaml.Provider
	opts := devidp.Options{}
	if withSPMetadata {
		opts.SPMetadata = func(context.Context) ([]byte, error) { return sp.Metadata() }
	}
	idp, srv := startIdP(t, opts, prefix)
	base := srv.URL + prefix
	md, err := idp.SAMLMetadata()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ozsaml.New(ozsaml.Config{PublicURL: "https://ozgo.example", Key: kp, IdPMetadata: md}); err == nil {
		t.Fatal("SP accepted the devidp without AllowTestIdP")
	}
	sp, err = ozsaml.New(ozsaml.Config{PublicURL: "https://ozgo.example", Key: kp, IdPMetadata: md, AllowTestIdP: true})
	if err != nil {
		t.Fatal(err)
	}
	anna := devidp.DefaultPersons()[0]

	for _, tc := range []struct {
		name, action string
		want         identity.TrustLevel
	}{
		{"hoch", "login", identity.Hoch},
		{"niedrig", "login", identity.Niedrig},
		{"hoch", "cancel", identity.None},
	} {
		t.Run(tc.name+"-"+tc.action, func(t *testing.T) {
			c := newClient(t)
			reqID := "_e2e" + tc.name + tc.action
			start, err := sp.Begin(ctx, reqID, identity.Substantiell)
			if err != nil {
				t.Fatal(err)
			}
			if !start.Post || start.URL != base+"/saml/sso" {
				t.Fatalf("start = %+v", start)
			}
			form := url.Values{}
			for k, v := range start.Fields {
				form.Set(k, v)
			}
			resp, err := c.PostForm(start.URL, form)
			if err != nil {
				t.Fatal(err)
			}
			page := body(t, resp)
			if !strings.Contains(page, `id="level-substantiell" value="substantiell" checked`) {
				t.Error("requested level not preselected")
			}
			if got := strings.Contains(page, "nicht konfiguriert"); got == withSPMetadata {
				t.Errorf("note about missing SP metadata shown: %v", got)
			}
			if !strings.Contains(page, `href="`+prefix+`/static/devidp.css"`) {
				t.Error("stylesheet link misses the prefix")
			}
			page = body(t, choose(t, c, base, page, "anna", tc.name, tc.action))
			m := actionRE.FindStringSubmatch(page)
			if m == nil || html.UnescapeString(m[1]) != "https://ozgo.example/saml/acs" {
				t.Fatalf("answer form action = %v", m)
			}
			if !strings.Contains(page, `<script src="`+prefix+`/static/autosubmit.js"></script>`) || !strings.Contains(page, `<button type="submit">Weiter</button>`) {
				t.Error("answer page lacks the external script or the button")
			}
			answer := hidden(page)
			if tc.action == "login" {
				// With the SP metadata, the devidp encrypts the assertion
				// to the SP's key.
				raw, _ := base64.StdEncoding.DecodeString(answer.Get("SAMLResponse"))
				if encrypted := strings.Contains(string(raw), "EncryptedAssertion") && !strings.Contains(string(raw), anna.BPK2); encrypted != withSPMetadata {
					t.Errorf("assertion encrypted: %v", encrypted)
				}
			}
			if got, err := sp.RequestID(answer); err != nil || got != reqID {
				t.Fatalf("RequestID = %q, %v", got, err)
			}
			a, err := sp.Finish(ctx, answer, identity.Pending{ID: reqID, Provider: "bundid", TrustLevel: identity.Substantiell})
			if tc.action == "cancel" {
				if err == nil {
					t.Fatal("cancelled login accepted")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if a.Subject != anna.BPK2 || a.TrustLevel != tc.want || a.Attributes != anna.Attributes || a.Provider != "bundid" || a.ReplayID == "" || a.ReplayUntil.IsZero() {
				t.Errorf("assertion = %+v", a)
			}
			// The same answer for another request is refused.
			if _, err := sp.Finish(ctx, answer, identity.Pending{ID: "_other"}); err == nil {
				t.Error("answer accepted for another request")
			}
			// The choice page answers once.
			resp, err = c.PostForm(base+"/login", url.Values{"token": {"x"}, "person": {"anna"}, "level": {"hoch"}})
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusBadRequest {
				t.Errorf("unknown token: HTTP %d", resp.StatusCode)
			}
		})
	}
}
