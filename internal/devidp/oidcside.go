package devidp

import (
	"crypto/sha256"
	"crypto/subtle"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/ozgo/ozgo/internal/identity"
	ozsaml "github.com/ozgo/ozgo/internal/identity/saml"
)

// oidcSide is a minimal OpenID Connect provider: authorization code flow
// with PKCE (S256 required) and a nonce, RS256 ID tokens, userinfo.
type oidcSide struct {
	idp    *IdP
	signer jose.Signer
	jwks   jose.JSONWebKeySet

	mu     sync.Mutex
	codes  map[string]*oidcGrant // by authorization code
	tokens map[string]*oidcGrant // by access token
}

type oidcPending struct {
	client      *OIDCClient
	redirectURI string
	state       string
	nonce       string
	challenge   string
}

// oidcGrant is an issued code, later the access token's grant.
type oidcGrant struct {
	oidcPending
	person   Person
	level    identity.TrustLevel
	authTime time.Time
	expires  time.Time
}

const (
	codeTTL  = time.Minute
	tokenTTL = 5 * time.Minute
)

func newOIDCSide(idp *IdP, kp ozsaml.KeyPair) (*oidcSide, error) {
	der, err := x509.MarshalPKIXPublicKey(&kp.Key.PublicKey)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(der)
	kid := base64.RawURLEncoding.EncodeToString(sum[:12])
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: kp.Key, KeyID: kid, Algorithm: string(jose.RS256)}},
		(&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		return nil, err
	}
	for i, c := range idp.opts.OIDCClients {
		if c.ID == "" || c.Secret == "" {
			return nil, fmt.Errorf("devidp: OIDC client %d needs an ID and a secret", i)
		}
	}
	return &oidcSide{
		idp:    idp,
		signer: signer,
		jwks: jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{
			Key: &kp.Key.PublicKey, KeyID: kid, Algorithm: string(jose.RS256), Use: "sig",
		}}},
		codes:  map[string]*oidcGrant{},
		tokens: map[string]*oidcGrant{},
	}, nil
}

// DiscoveryTestSystemKey marks the discovery document as the devidp's.
const DiscoveryTestSystemKey = "ozgo_test_system"

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func (o *oidcSide) serveDiscovery(w http.ResponseWriter, r *http.Request) {
	b := o.idp.base
	writeJSON(w, http.StatusOK, map[string]any{
		"issuer":                                b,
		"authorization_endpoint":                b + "/authorize",
		"token_endpoint":                        b + "/token",
		"userinfo_endpoint":                     b + "/userinfo",
		"jwks_uri":                              b + "/jwks",
		"response_types_supported":              []string{"code"},
		"grant_types_supported":                 []string{"authorization_code"},
		"subject_types_supported":               []string{"public"},
		"id_token_signing_alg_values_supported": []string{"RS256"},
		"scopes_supported":                      []string{"openid", "profile", "email", "address"},
		"token_endpoint_auth_methods_supported": []string{"client_secret_basic", "client_secret_post"},
		"code_challenge_methods_supported":      []string{"S256"},
		"acr_values_supported":                  []string{identity.Niedrig.EIDAS(), identity.Substantiell.EIDAS(), identity.Hoch.EIDAS()},
		"claims_supported":                      []string{"sub", "acr", "auth_time", "nonce", "given_name", "family_name", "birthdate", "email", "address"},
		DiscoveryTestSystemKey:                  true,
	})
}

func (o *oidcSide) serveJWKS(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "public, max-age=60")
	writeJSON(w, http.StatusOK, o.jwks)
}

func (o *oidcSide) client(id string) *OIDCClient {
	for i := range o.idp.opts.OIDCClients {
		if o.idp.opts.OIDCClients[i].ID == id {
			return &o.idp.opts.OIDCClients[i]
		}
	}
	return nil
}

// redirectAllowed: registered URIs match exactly; a client without any
// may use loopback http URIs only, which cannot leak codes off the
// tester's machine.
func redirectAllowed(c *OIDCClient, uri string) bool {
	if len(c.RedirectURIs) > 0 {
		return slices.Contains(c.RedirectURIs, uri)
	}
	u, err := url.Parse(uri)
	if err != nil || u.Scheme != "http" || u.User != nil || u.Fragment != "" {
		return false
	}
	h := u.Hostname()
	return h == "127.0.0.1" || h == "localhost" || h == "::1"
}

func (o *oidcSide) serveAuthorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	c := o.client(q.Get("client_id"))
	if c == nil {
		o.idp.fail(w, http.StatusBadRequest, "Unbekannter OIDC-Client (client_id).", nil)
		return
	}
	redirect := q.Get("redirect_uri")
	if !redirectAllowed(c, redirect) {
		o.idp.fail(w, http.StatusBadRequest, "Die redirect_uri ist für diesen Client nicht registriert.", nil)
		return
	}
	// From here on errors could go back to the client; the devidp shows
	// them instead, which is what a developer wants to see.
	var problem string
	switch {
	case q.Get("response_type") != "code":
		problem = "Nur response_type=code wird unterstützt."
	case !slices.Contains(strings.Fields(q.Get("scope")), "openid"):
		problem = "Der scope muss openid enthalten."
	case q.Get("state") == "":
		problem = "Der Parameter state fehlt."
	case q.Get("nonce") == "":
		problem = "Der Parameter nonce fehlt."
	case q.Get("code_challenge_method") != "S256" || len(q.Get("code_challenge")) < 43:
		problem = "PKCE mit code_challenge_method=S256 ist erforderlich."
	}
	if problem != "" {
		o.idp.fail(w, http.StatusBadRequest, problem, nil)
		return
	}
	// acr_values lists acceptable levels; the weakest is the minimum asked
	// for, which the page preselects.
	level := identity.None
	for _, v := range strings.Fields(q.Get("acr_values")) {
		if l, ok := identity.ParseTrustLevel(v); ok && (level == identity.None || l < level) {
			level = l
		}
	}
	if level == identity.None {
		level = identity.Niedrig
	}
	p := &oidcPending{client: c, redirectURI: redirect, state: q.Get("state"), nonce: q.Get("nonce"), challenge: q.Get("code_challenge")}
	o.idp.showChoice(w, &pendingLogin{level: int(level), oidc: p}, c.ID, "")
}

func (o *oidcSide) answer(w http.ResponseWriter, r *http.Request, p *oidcPending, person Person, level identity.TrustLevel, cancel bool) {
	u, _ := url.Parse(p.redirectURI)
	q := u.Query()
	q.Set("state", p.state)
	q.Set("iss", o.idp.base) // RFC 9207
	if cancel {
		q.Set("error", "access_denied")
	} else {
		code := randomToken()
		now := o.idp.now()
		o.mu.Lock()
		for k, g := range o.codes {
			if now.After(g.expires) {
				delete(o.codes, k)
			}
		}
		o.codes[code] = &oidcGrant{oidcPending: *p, person: person, level: level, authTime: now, expires: now.Add(codeTTL)}
		o.mu.Unlock()
		q.Set("code", code)
	}
	u.RawQuery = q.Encode()
	o.idp.log.Info("devidp: OIDC login answered", "client", p.client.ID, "level", level.String(), "cancelled", cancel)
	http.Redirect(w, r, u.String(), http.StatusSeeOther)
}

func tokenError(w http.ResponseWriter, status int, code, desc string) {
	writeJSON(w, status, map[string]string{"error": code, "error_description": desc})
}

func (o *oidcSide) serveToken(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		tokenError(w, http.StatusBadRequest, "invalid_request", "bad form")
		return
	}
	f := r.PostForm
	id, secret, basic := r.BasicAuth()
	if basic {
		// RFC 6749 §2.3.1: the credentials are form-encoded inside Basic.
		id, _ = url.QueryUnescape(id)
		secret, _ = url.QueryUnescape(secret)
	} else {
		id, secret = f.Get("client_id"), f.Get("client_secret")
	}
	c := o.client(id)
	if c == nil || subtle.ConstantTimeCompare([]byte(c.Secret), []byte(secret)) != 1 {
		w.Header().Set("WWW-Authenticate", `Basic realm="devidp"`)
		tokenError(w, http.StatusUnauthorized, "invalid_client", "unknown client or wrong secret")
		return
	}
	if f.Get("grant_type") != "authorization_code" {
		tokenError(w, http.StatusBadRequest, "unsupported_grant_type", "only authorization_code")
		return
	}
	o.mu.Lock()
	g, ok := o.codes[f.Get("code")]
	delete(o.codes, f.Get("code")) // a code is used once, even if this use fails
	o.mu.Unlock()
	now := o.idp.now()
	if !ok || now.After(g.expires) || g.client.ID != c.ID || g.redirectURI != f.Get("redirect_uri") {
		tokenError(w, http.StatusBadRequest, "invalid_grant", "unknown, expired or foreign code, or wrong redirect_uri")
		return
	}
	sum := sha256.Sum256([]byte(f.Get("code_verifier")))
	if subtle.ConstantTimeCompare([]byte(base64.RawURLEncoding.EncodeToString(sum[:])), []byte(g.challenge)) != 1 {
		tokenError(w, http.StatusBadRequest, "invalid_grant", "PKCE verification failed")
		return
	}
	claims := userClaims(g.person)
	claims["iss"] = o.idp.base
	claims["aud"] = c.ID
	claims["azp"] = c.ID
	claims["iat"] = now.Unix()
	claims["exp"] = now.Add(tokenTTL).Unix()
	claims["auth_time"] = g.authTime.Unix()
	claims["nonce"] = g.nonce
	claims["acr"] = g.level.EIDAS()
	claims["jti"] = randomToken()
	payload, err := json.Marshal(claims)
	if err != nil {
		tokenError(w, http.StatusInternalServerError, "server_error", "")
		return
	}
	jws, err := o.signer.Sign(payload)
	if err != nil {
		tokenError(w, http.StatusInternalServerError, "server_error", "")
		return
	}
	idToken, err := jws.CompactSerialize()
	if err != nil {
		tokenError(w, http.StatusInternalServerError, "server_error", "")
		return
	}
	access := randomToken()
	g.expires = now.Add(tokenTTL)
	o.mu.Lock()
	for k, t := range o.tokens {
		if now.After(t.expires) {
			delete(o.tokens, k)
		}
	}
	o.tokens[access] = g
	o.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{
		"access_token": access,
		"token_type":   "Bearer",
		"expires_in":   int(tokenTTL.Seconds()),
		"id_token":     idToken,
		"scope":        "openid profile email address",
	})
}

// userClaims are the standard OIDC claims for a person.
func userClaims(p Person) map[string]any {
	c := map[string]any{
		"sub":         p.Sub,
		"given_name":  p.GivenName,
		"family_name": p.FamilyName,
		"birthdate":   p.BirthDate,
		"email":       p.Email,
		// The devidp vouches for nothing, but an RP should treat the
		// address as verified the way a Land's Keycloak does after eID.
		"email_verified": true,
		"address": map[string]string{
			"street_address": p.Street,
			"postal_code":    p.PostalCode,
			"locality":       p.City,
			"country":        p.Country,
		},
	}
	return c
}

func (o *oidcSide) serveUserinfo(w http.ResponseWriter, r *http.Request) {
	h := r.Header.Get("Authorization")
	tok, ok := strings.CutPrefix(h, "Bearer ")
	if !ok {
		w.Header().Set("WWW-Authenticate", `Bearer realm="devidp"`)
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_token"})
		return
	}
	o.mu.Lock()
	g, ok := o.tokens[tok]
	o.mu.Unlock()
	if !ok || o.idp.now().After(g.expires) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="devidp", error="invalid_token"`)
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_token"})
		return
	}
	writeJSON(w, http.StatusOK, userClaims(g.person))
}
