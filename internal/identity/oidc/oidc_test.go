package oidc_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ozgo/ozgo/internal/devidp"
	"github.com/ozgo/ozgo/internal/errs"
	"github.com/ozgo/ozgo/internal/identity"
	"github.com/ozgo/ozgo/internal/identity/oidc"
)

const redirect = "http://127.0.0.1:9/oidc/callback"

func startIdP(t *testing.T) *httptest.Server {
	t.Helper()
	var h http.Handler
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.ServeHTTP(w, r) }))
	t.Cleanup(srv.Close)
	idp, err := devidp.New(devidp.Options{
		PublicURL: srv.URL,
		OIDCClients: []devidp.OIDCClient{
			{ID: "ozgo", Secret: "s3cret"},
			{ID: "other", Secret: "s3cret"},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	h = idp.Handler()
	return srv
}

// rewriter lets a test change the token request or response on the way.
type rewriter struct {
	req  func(*http.Request)
	resp func(map[string]any)
}

func (rw rewriter) RoundTrip(r *http.Request) (*http.Response, error) {
	isToken := strings.HasSuffix(r.URL.Path, "/token")
	if isToken && rw.req != nil {
		rw.req(r)
	}
	resp, err := http.DefaultTransport.RoundTrip(r)
	if err != nil || !isToken || rw.resp == nil {
		return resp, err
	}
	defer resp.Body.Close()
	var m map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&m); err != nil {
		return nil, err
	}
	rw.resp(m)
	b, _ := json.Marshal(m)
	resp.Body = io.NopCloser(bytes.NewReader(b))
	resp.ContentLength = int64(len(b))
	resp.Header.Del("Content-Length")
	return resp, nil
}

var tokenRE = regexp.MustCompile(`name="token" value="([^"]+)"`)

// login runs Begin and the devidp's page and returns the callback query
// and the pending request.
func login(t *testing.T, p *oidc.Provider, idpURL, person, level, action string) (url.Values, identity.Pending) {
	t.Helper()
	ctx := context.Background()
	start, err := p.Begin(ctx, "state-123", identity.Substantiell)
	if err != nil {
		t.Fatal(err)
	}
	au, _ := url.Parse(start.URL)
	q := au.Query()
	if !strings.HasPrefix(start.URL, idpURL+"/authorize?") || q.Get("code_challenge_method") != "S256" || q.Get("nonce") == "" || q.Get("state") != "state-123" ||
		q.Get("acr_values") != identity.Substantiell.EIDAS()+" "+identity.Hoch.EIDAS() || start.Post {
		t.Fatalf("start = %+v", start)
	}
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Get(start.URL)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(page), `id="level-substantiell" value="substantiell" checked`) {
		t.Fatalf("authorize: %d %s", resp.StatusCode, page)
	}
	m := tokenRE.FindSubmatch(page)
	if m == nil {
		t.Fatal("no token")
	}
	resp, err = c.PostForm(idpURL+"/login", url.Values{"token": {string(m[1])}, "person": {person}, "level": {level}, "action": {action}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, err := resp.Location()
	if err != nil || !strings.HasPrefix(loc.String(), redirect+"?") {
		t.Fatalf("redirect = %v, %v", loc, err)
	}
	return loc.Query(), identity.Pending{ID: "state-123", Provider: "oidc", TrustLevel: identity.Substantiell, Secret: start.Secret}
}

func newRP(t *testing.T, issuer string, mod func(*oidc.Config)) *oidc.Provider {
	t.Helper()
	cfg := oidc.Config{IssuerURL: issuer, ClientID: "ozgo", ClientSecret: "s3cret", RedirectURL: redirect, AllowTestIdP: true}
	if mod != nil {
		mod(&cfg)
	}
	p, err := oidc.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLogin(t *testing.T) {
	srv := startIdP(t)
	ctx := context.Background()
	lena := devidp.DefaultPersons()[2]
	p := newRP(t, srv.URL, nil)
	form, pend := login(t, p, srv.URL, "lena", "hoch", "login")
	if got, err := p.RequestID(form); err != nil || got != "state-123" {
		t.Fatalf("RequestID = %q, %v", got, err)
	}
	a, err := p.Finish(ctx, form, pend)
	if err != nil {
		t.Fatal(err)
	}
	want := lena.Attributes
	want.PlaceOfBirth, want.BirthName = "", "" // not standard claims
	if a.Subject != lena.Sub || a.TrustLevel != identity.Hoch || a.Attributes != want || a.Provider != "oidc" ||
		!strings.HasPrefix(a.ReplayID, "oidc-idt:") || !a.ReplayUntil.After(time.Now()) {
		t.Errorf("assertion = %+v", a)
	}
	// The code is single use.
	if _, err := p.Finish(ctx, form, pend); errs.CodeOf(err) != errs.Unauthorized {
		t.Errorf("second use: %v", err)
	}
}

func TestRefused(t *testing.T) {
	srv := startIdP(t)
	ctx := context.Background()
	tests := []struct {
		name   string
		rp     func(*oidc.Config) // changes the RP that finishes the login
		action string
		spoil  func(url.Values, *identity.Pending)
	}{
		{name: "cancelled", action: "cancel"},
		{name: "wrong state", spoil: func(f url.Values, p *identity.Pending) { p.ID = "state-999" }},
		{name: "state missing", spoil: func(f url.Values, p *identity.Pending) { f.Del("state") }},
		{name: "wrong nonce", spoil: func(f url.Values, p *identity.Pending) {
			var s map[string]string
			_ = json.Unmarshal(p.Secret, &s)
			s["n"] = "another-nonce"
			p.Secret, _ = json.Marshal(s)
		}},
		{name: "wrong PKCE verifier", spoil: func(f url.Values, p *identity.Pending) {
			var s map[string]string
			_ = json.Unmarshal(p.Secret, &s)
			s["v"] = strings.Repeat("x", 43)
			p.Secret, _ = json.Marshal(s)
		}},
		{name: "wrong iss", spoil: func(f url.Values, p *identity.Pending) { f.Set("iss", "https://evil.example") }},
		{name: "tampered token", rp: func(c *oidc.Config) {
			c.HTTPClient = &http.Client{Transport: rewriter{resp: func(m map[string]any) {
				tok := m["id_token"].(string)
				parts := strings.Split(tok, ".")
				payload := parts[1]
				// Flip one payload character: the signature no longer fits.
				b := []byte(payload)
				if b[10] == 'A' {
					b[10] = 'B'
				} else {
					b[10] = 'A'
				}
				m["id_token"] = parts[0] + "." + string(b) + "." + parts[2]
			}}}
		}},
		{name: "wrong audience", rp: func(c *oidc.Config) {
			// The RP thinks it is "other"; the token is made out to "ozgo".
			c.ClientID = "other"
			c.HTTPClient = &http.Client{Transport: rewriter{req: func(r *http.Request) { r.SetBasicAuth("ozgo", "s3cret") }}}
		}},
		{name: "code for another client", rp: func(c *oidc.Config) {
			c.ClientID = "other"
		}},
		{name: "expired", rp: func(c *oidc.Config) { c.Now = func() time.Time { return time.Now().Add(time.Hour) } }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			action := tc.action
			if action == "" {
				action = "login"
			}
			form, pend := login(t, newRP(t, srv.URL, nil), srv.URL, "anna", "hoch", action)
			p := newRP(t, srv.URL, tc.rp)
			if tc.spoil != nil {
				tc.spoil(form, &pend)
			}
			a, err := p.Finish(ctx, form, pend)
			if err == nil {
				t.Fatalf("accepted: %+v", a)
			}
			if errs.CodeOf(err) != errs.Unauthorized {
				t.Fatalf("code %s: %v", errs.CodeOf(err), err)
			}
			t.Log(err)
		})
	}
}

func TestRefusesTestIdP(t *testing.T) {
	srv := startIdP(t)
	p := newRP(t, srv.URL, func(c *oidc.Config) { c.AllowTestIdP = false })
	if _, err := p.Begin(context.Background(), "s", identity.Niedrig); !errors.Is(err, oidc.ErrTestIdP) {
		t.Fatalf("err = %v", err)
	}
	if err := p.Discover(context.Background()); !errors.Is(err, oidc.ErrTestIdP) {
		t.Fatalf("Discover err = %v", err)
	}
}

func TestACRMap(t *testing.T) {
	srv := startIdP(t)
	p := newRP(t, srv.URL, func(c *oidc.Config) {
		c.ACRMap = map[string]string{"1": "niedrig", "2": "substantiell", "3": "hoch", "http://eidas.europa.eu/LoA/high": "substantiell"}
	})
	start, err := p.Begin(context.Background(), "s", identity.Substantiell)
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(start.URL)
	if got := u.Query().Get("acr_values"); got != "2 http://eidas.europa.eu/LoA/high 3" {
		t.Errorf("acr_values = %q", got)
	}
	// The devidp says eIDAS high; this map downgrades it.
	form, pend := login2(t, p, srv.URL, start)
	a, err := p.Finish(context.Background(), form, pend)
	if err != nil {
		t.Fatal(err)
	}
	if a.TrustLevel != identity.Substantiell {
		t.Errorf("level = %v", a.TrustLevel)
	}
	if _, err := oidc.New(oidc.Config{IssuerURL: "x", ClientID: "c", PublicURL: "https://o", ACRMap: map[string]string{"1": "mittel"}}); err == nil {
		t.Error("bad ACR map accepted")
	}
}

// login2 is login for a Start already made.
func login2(t *testing.T, p *oidc.Provider, idpURL string, start identity.Start) (url.Values, identity.Pending) {
	t.Helper()
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Get(start.URL)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := tokenRE.FindSubmatch(page)
	if m == nil {
		t.Fatalf("no token: %s", page)
	}
	resp, err = c.PostForm(idpURL+"/login", url.Values{"token": {string(m[1])}, "person": {"anna"}, "level": {"hoch"}, "action": {"login"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, err := resp.Location()
	if err != nil {
		t.Fatal(err)
	}
	return loc.Query(), identity.Pending{ID: "s", Secret: start.Secret}
}
