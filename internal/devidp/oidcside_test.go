package devidp_test

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/ozgo/ozgo/internal/devidp"
)

// authorize runs /authorize and the choice page and returns the code.
func authorize(t *testing.T, base, clientID, redirect, verifier string) string {
	t.Helper()
	c := newClient(t)
	sum := sha256.Sum256([]byte(verifier))
	q := url.Values{
		"response_type": {"code"}, "client_id": {clientID}, "redirect_uri": {redirect}, "scope": {"openid"},
		"state": {"st"}, "nonce": {"no"}, "code_challenge": {base64.RawURLEncoding.EncodeToString(sum[:])}, "code_challenge_method": {"S256"},
	}
	resp, err := c.Get(base + "/authorize?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	page := body(t, resp)
	resp = choose(t, c, base, page, "mehmet", "substantiell", "login")
	resp.Body.Close()
	loc, err := resp.Location()
	if err != nil {
		t.Fatal(err)
	}
	if loc.Query().Get("state") != "st" || loc.Query().Get("iss") != base {
		t.Fatalf("callback = %s", loc)
	}
	return loc.Query().Get("code")
}

func TestAuthorizeRefuses(t *testing.T) {
	_, srv := startIdP(t, devidp.Options{OIDCClients: []devidp.OIDCClient{
		{ID: "open", Secret: "s"},
		{ID: "fixed", Secret: "s", RedirectURIs: []string{"https://ozgo.example/oidc/callback"}},
	}}, "")
	good := url.Values{
		"response_type": {"code"}, "client_id": {"open"}, "redirect_uri": {"http://localhost:8080/oidc/callback"}, "scope": {"openid profile"},
		"state": {"st"}, "nonce": {"no"}, "code_challenge": {strings.Repeat("a", 43)}, "code_challenge_method": {"S256"},
	}
	for _, tc := range []struct {
		name   string
		change func(url.Values)
		status int
	}{
		{"good", func(url.Values) {}, 200},
		{"registered redirect", func(v url.Values) {
			v.Set("client_id", "fixed")
			v.Set("redirect_uri", "https://ozgo.example/oidc/callback")
		}, 200},
		{"unregistered redirect", func(v url.Values) { v.Set("client_id", "fixed") }, 400},
		{"remote redirect for open client", func(v url.Values) { v.Set("redirect_uri", "https://evil.example/cb") }, 400},
		{"unknown client", func(v url.Values) { v.Set("client_id", "nobody") }, 400},
		{"no PKCE", func(v url.Values) { v.Del("code_challenge") }, 400},
		{"plain PKCE", func(v url.Values) { v.Set("code_challenge_method", "plain") }, 400},
		{"no nonce", func(v url.Values) { v.Del("nonce") }, 400},
		{"no state", func(v url.Values) { v.Del("state") }, 400},
		{"not openid", func(v url.Values) { v.Set("scope", "profile") }, 400},
		{"implicit", func(v url.Values) { v.Set("response_type", "id_token") }, 400},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := url.Values{}
			for k, x := range good {
				v[k] = append([]string(nil), x...)
			}
			tc.change(v)
			resp, err := http.Get(srv.URL + "/authorize?" + v.Encode())
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tc.status {
				t.Errorf("HTTP %d, want %d", resp.StatusCode, tc.status)
			}
		})
	}
}

func TestToken(t *testing.T) {
	_, srv := startIdP(t, devidp.Options{OIDCClients: []devidp.OIDCClient{{ID: "ozgo", Secret: "s3cret"}}}, "")
	const redirect = "http://127.0.0.1:9/cb"
	verifier := strings.Repeat("v", 50)
	post := func(form url.Values, basic bool) (int, map[string]any) {
		req, _ := http.NewRequest("POST", srv.URL+"/token", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if basic {
			req.SetBasicAuth("ozgo", "s3cret")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		var m map[string]any
		_ = json.Unmarshal(b, &m)
		return resp.StatusCode, m
	}
	exchange := func(code string) url.Values {
		return url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {redirect}, "code_verifier": {verifier}}
	}

	// client_secret_post
	code := authorize(t, srv.URL, "ozgo", redirect, verifier)
	f := exchange(code)
	f.Set("client_id", "ozgo")
	f.Set("client_secret", "s3cret")
	status, m := post(f, false)
	if status != 200 || m["id_token"] == nil || m["token_type"] != "Bearer" {
		t.Fatalf("post auth: %d %v", status, m)
	}
	// userinfo with the access token
	req, _ := http.NewRequest("GET", srv.URL+"/userinfo", nil)
	req.Header.Set("Authorization", "Bearer "+m["access_token"].(string))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var ui map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&ui)
	resp.Body.Close()
	if ui["family_name"] != "Yılmaz" || ui["sub"] == "" {
		t.Errorf("userinfo = %v", ui)
	}
	// the code is spent
	if status, _ := post(f, false); status != 400 {
		t.Errorf("reused code: %d", status)
	}

	for _, tc := range []struct {
		name   string
		change func(url.Values) bool // returns whether to use basic auth
		status int
	}{
		{"basic", func(url.Values) bool { return true }, 200},
		{"wrong secret", func(v url.Values) bool { v.Set("client_id", "ozgo"); v.Set("client_secret", "x"); return false }, 401},
		{"no client auth", func(url.Values) bool { return false }, 401},
		{"wrong verifier", func(v url.Values) bool { v.Set("code_verifier", strings.Repeat("w", 50)); return true }, 400},
		{"wrong redirect", func(v url.Values) bool { v.Set("redirect_uri", "http://127.0.0.1:9/other"); return true }, 400},
		{"wrong grant", func(v url.Values) bool { v.Set("grant_type", "password"); return true }, 400},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := exchange(authorize(t, srv.URL, "ozgo", redirect, verifier))
			basic := tc.change(f)
			if status, m := post(f, basic); status != tc.status {
				t.Errorf("HTTP %d, want %d: %v", status, tc.status, m)
			}
		})
	}
	req, _ = http.NewRequest("GET", srv.URL+"/userinfo", nil)
	req.Header.Set("Authorization", "Bearer nope")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 401 {
		t.Errorf("userinfo with a bad token: %d", resp.StatusCode)
	}
}
