// Package oidc is ozgo's OpenID Connect relying party for citizen (and,
// optionally, staff) logins through a Land's identity provider, commonly a
// Keycloak in front of BundID or the Land's own account. It implements
// identity.Provider with the authorization code flow, PKCE (S256) and a
// nonce, using github.com/coreos/go-oidc/v3 for discovery and ID token
// verification and golang.org/x/oauth2 for the code exchange.
//
// The handler for /oidc/callback lives in the web layer; it calls
// RequestID and Finish with the callback's query.
package oidc

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/ozgo/ozgo/internal/errs"
	"github.com/ozgo/ozgo/internal/identity"
)

// Config configures a Provider.
type Config struct {
	// ID names the provider in storage and URLs; default "oidc".
	ID string
	// Label is shown on the login choice page; default "Servicekonto".
	Label string
	// IssuerURL is the OP's issuer; discovery is at
	// IssuerURL/.well-known/openid-configuration.
	IssuerURL    string
	ClientID     string
	ClientSecret string
	// PublicURL is ozgo's base URL; RedirectURL defaults to
	// PublicURL + "/oidc/callback".
	PublicURL   string
	RedirectURL string
	// Scopes; default openid, profile, email, address.
	Scopes []string
	// ACRMap maps the OP's "acr" values to trust levels by their German,
	// eIDAS or STORK names, for OPs with their own values, e.g. a Land's
	// Keycloak: {"1": "niedrig", "2": "substantiell", "3": "hoch"}. Values
	// not in the map are read with identity.ParseTrustLevel. The map is
	// also used to ask for a level in acr_values.
	ACRMap map[string]string
	// DefaultTrustLevel is assumed when the ID token carries no "acr";
	// None (the default) refuses such tokens.
	DefaultTrustLevel identity.TrustLevel
	// AllowTestIdP lets the provider trust ozgo's development IdP, whose
	// discovery document says "ozgo_test_system": true.
	AllowTestIdP bool
	// HTTPClient for discovery, keys, token and userinfo; default a
	// client with a 15 second timeout.
	HTTPClient *http.Client
	// Now is the clock for ID token expiry; default time.Now. For tests.
	Now func() time.Time
}

// TestSystemClaim is the discovery document member by which ozgo's
// development IdP identifies itself.
const TestSystemClaim = "ozgo_test_system"

// ErrTestIdP is returned when the OP is ozgo's development IdP and
// Config.AllowTestIdP is not set.
var ErrTestIdP = errors.New("oidc: the OpenID provider is the ozgo test IdP (devidp); refusing it without AllowTestIdP")

// Provider is an OIDC relying party for one OP. It is safe for concurrent
// use. Discovery happens on first use and is retried until it succeeds,
// so ozgo can start while the OP is down; call Discover at start to fail
// early instead.
type Provider struct {
	cfg    Config
	acr    map[string]identity.TrustLevel
	client *http.Client

	mu       sync.Mutex
	op       *gooidc.Provider
	oauth    oauth2.Config
	verifier *gooidc.IDTokenVerifier
}

var _ identity.Provider = (*Provider)(nil)

// New checks cfg. It does not contact the OP.
func New(cfg Config) (*Provider, error) {
	if cfg.IssuerURL == "" || cfg.ClientID == "" {
		return nil, errors.New("oidc: issuer URL and client ID are required")
	}
	if cfg.RedirectURL == "" {
		if cfg.PublicURL == "" {
			return nil, errors.New("oidc: PublicURL or RedirectURL is required")
		}
		cfg.RedirectURL = strings.TrimRight(cfg.PublicURL, "/") + "/oidc/callback"
	}
	if cfg.ID == "" {
		cfg.ID = "oidc"
	}
	if cfg.Label == "" {
		cfg.Label = "Servicekonto"
	}
	if len(cfg.Scopes) == 0 {
		cfg.Scopes = []string{gooidc.ScopeOpenID, "profile", "email", "address"}
	} else if !slices.Contains(cfg.Scopes, gooidc.ScopeOpenID) {
		cfg.Scopes = append([]string{gooidc.ScopeOpenID}, cfg.Scopes...)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	p := &Provider{cfg: cfg, acr: map[string]identity.TrustLevel{}, client: cfg.HTTPClient}
	if p.client == nil {
		p.client = &http.Client{Timeout: 15 * time.Second}
	}
	for k, v := range cfg.ACRMap {
		l, ok := identity.ParseTrustLevel(v)
		if !ok {
			return nil, fmt.Errorf("oidc: ACR map: %q is not a trust level", v)
		}
		p.acr[k] = l
	}
	return p, nil
}

// ID implements identity.Provider.
func (p *Provider) ID() string { return p.cfg.ID }

// Label implements identity.Provider.
func (p *Provider) Label() string { return p.cfg.Label }

// Discover fetches the OP's discovery document (once it has succeeded it
// is kept) and refuses the development IdP unless allowed.
func (p *Provider) Discover(ctx context.Context) error {
	_, err := p.discover(ctx)
	return err
}

func (p *Provider) discover(ctx context.Context) (*gooidc.Provider, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.op != nil {
		return p.op, nil
	}
	// go-oidc keeps the context for fetching keys later, so it must not be
	// the request's, which ends with the request.
	dctx := gooidc.ClientContext(context.WithoutCancel(ctx), p.client)
	dctx, cancel := context.WithTimeout(dctx, 15*time.Second)
	defer cancel()
	op, err := gooidc.NewProvider(dctx, p.cfg.IssuerURL)
	if err != nil {
		return nil, &errs.Error{Code: errs.Unavailable, Op: "oidc.discover", Err: err, Message: "login.error.unavailable"}
	}
	var extra map[string]any
	if err := op.Claims(&extra); err != nil {
		return nil, err
	}
	if b, _ := extra[TestSystemClaim].(bool); b && !p.cfg.AllowTestIdP {
		return nil, &errs.Error{Code: errs.Internal, Op: "oidc.discover", Err: ErrTestIdP}
	}
	// Pick the client authentication from the discovery document instead
	// of letting oauth2 guess: its guess retries a failed exchange with
	// the other method, which spends the single-use code twice and hides
	// the first error. client_secret_basic is the default (OIDC
	// Discovery §3, token_endpoint_auth_methods_supported).
	endpoint := op.Endpoint()
	endpoint.AuthStyle = oauth2.AuthStyleInHeader
	if methods, ok := extra["token_endpoint_auth_methods_supported"].([]any); ok &&
		!slices.Contains(methods, any("client_secret_basic")) && slices.Contains(methods, any("client_secret_post")) {
		endpoint.AuthStyle = oauth2.AuthStyleInParams
	}
	p.op = op
	p.oauth = oauth2.Config{
		ClientID:     p.cfg.ClientID,
		ClientSecret: p.cfg.ClientSecret,
		Endpoint:     endpoint,
		RedirectURL:  p.cfg.RedirectURL,
		Scopes:       p.cfg.Scopes,
	}
	p.verifier = op.Verifier(&gooidc.Config{ClientID: p.cfg.ClientID, Now: p.cfg.Now})
	return op, nil
}

// secret is what Begin hands the caller to store with the pending request.
type secret struct {
	Verifier string `json:"v"`
	Nonce    string `json:"n"`
}

// acrValues lists what to ask for: the values naming level or a higher
// one, the weakest first. With an ACR map its keys, else eIDAS URIs.
func (p *Provider) acrValues(level identity.TrustLevel) string {
	var out []string
	for _, l := range []identity.TrustLevel{identity.Niedrig, identity.Substantiell, identity.Hoch} {
		if l < level {
			continue
		}
		if len(p.acr) == 0 {
			out = append(out, l.EIDAS())
			continue
		}
		var keys []string
		for k, v := range p.acr {
			if v == l {
				keys = append(keys, k)
			}
		}
		slices.Sort(keys)
		out = append(out, keys...)
	}
	return strings.Join(out, " ")
}

func randomString() (string, error) {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// Begin implements identity.Provider: the authorization URL with state =
// requestID, a nonce, the PKCE S256 challenge and acr_values. Start.Secret
// holds the PKCE verifier and the nonce.
func (p *Provider) Begin(ctx context.Context, requestID string, level identity.TrustLevel) (identity.Start, error) {
	if requestID == "" {
		return identity.Start{}, errors.New("oidc: empty request ID")
	}
	if _, err := p.discover(ctx); err != nil {
		return identity.Start{}, err
	}
	nonce, err := randomString()
	if err != nil {
		return identity.Start{}, err
	}
	s := secret{Verifier: oauth2.GenerateVerifier(), Nonce: nonce}
	sb, err := json.Marshal(s)
	if err != nil {
		return identity.Start{}, err
	}
	opts := []oauth2.AuthCodeOption{oauth2.S256ChallengeOption(s.Verifier), gooidc.Nonce(nonce)}
	if level < identity.Niedrig {
		level = identity.Niedrig
	}
	if v := p.acrValues(level); v != "" {
		opts = append(opts, oauth2.SetAuthURLParam("acr_values", v))
	}
	p.mu.Lock()
	u := p.oauth.AuthCodeURL(requestID, opts...)
	p.mu.Unlock()
	return identity.Start{URL: u, Secret: sb}, nil
}

// RequestID implements identity.Provider: the callback's state.
func (p *Provider) RequestID(form url.Values) (string, error) {
	st := form["state"]
	if len(st) != 1 || st[0] == "" || len(st[0]) > 256 {
		return "", errs.K(errs.Unauthorized, "login.error.invalid_answer")
	}
	return st[0], nil
}

func unauthorized(why string, err error) error {
	if err == nil {
		err = errors.New(why)
	} else {
		err = fmt.Errorf("%s: %w", why, err)
	}
	return &errs.Error{Code: errs.Unauthorized, Op: "oidc.Finish", Err: err, Message: "login.error.invalid_answer"}
}

// claims are the ID token and userinfo claims ozgo reads.
type claims struct {
	Subject    string `json:"sub"`
	ACR        string `json:"acr"`
	GivenName  string `json:"given_name"`
	FamilyName string `json:"family_name"`
	Birthdate  string `json:"birthdate"`
	Email      string `json:"email"`
	// EmailVerified false means the OP has not checked the address; ozgo
	// then ignores it rather than send letters to someone else's box.
	EmailVerified *bool `json:"email_verified"`
	Address       *struct {
		Street     string `json:"street_address"`
		PostalCode string `json:"postal_code"`
		Locality   string `json:"locality"`
		Country    string `json:"country"`
	} `json:"address"`
}

// Finish implements identity.Provider: it checks the state (and the
// RFC 9207 "iss" when sent), exchanges the code with the PKCE verifier,
// verifies the ID token (signature, issuer, audience, expiry) and its
// nonce, and reads the attributes from the ID token and userinfo.
func (p *Provider) Finish(ctx context.Context, form url.Values, pend identity.Pending) (identity.Assertion, error) {
	state, err := p.RequestID(form)
	if err != nil {
		return identity.Assertion{}, err
	}
	if pend.ID == "" || subtle.ConstantTimeCompare([]byte(state), []byte(pend.ID)) != 1 {
		return identity.Assertion{}, unauthorized("state does not match", nil)
	}
	if e := form.Get("error"); e != "" {
		return identity.Assertion{}, &errs.Error{Code: errs.Unauthorized, Op: "oidc.Finish", Err: fmt.Errorf("OP error %.64q", e), Message: "login.error.idp_refused"}
	}
	op, err := p.discover(ctx)
	if err != nil {
		return identity.Assertion{}, err
	}
	if iss := form.Get("iss"); iss != "" && iss != p.cfg.IssuerURL {
		return identity.Assertion{}, unauthorized("iss does not match (mix-up?)", nil)
	}
	code := form.Get("code")
	if code == "" {
		return identity.Assertion{}, unauthorized("no code", nil)
	}
	var s secret
	if err := json.Unmarshal(pend.Secret, &s); err != nil || s.Verifier == "" || s.Nonce == "" {
		return identity.Assertion{}, unauthorized("pending secret unreadable", err)
	}
	p.mu.Lock()
	oc, verifier := p.oauth, p.verifier
	p.mu.Unlock()
	cctx := gooidc.ClientContext(ctx, p.client)
	tok, err := oc.Exchange(cctx, code, oauth2.VerifierOption(s.Verifier))
	if err != nil {
		return identity.Assertion{}, unauthorized("code exchange", err)
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return identity.Assertion{}, unauthorized("no id_token", nil)
	}
	idt, err := verifier.Verify(cctx, raw)
	if err != nil {
		return identity.Assertion{}, unauthorized("id_token", err)
	}
	if subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(s.Nonce)) != 1 {
		return identity.Assertion{}, unauthorized("nonce does not match", nil)
	}
	var c claims
	if err := idt.Claims(&c); err != nil {
		return identity.Assertion{}, unauthorized("id_token claims", err)
	}
	// The ID token may carry only sub and acr; userinfo has the rest.
	// A failing userinfo endpoint costs attributes, not the login.
	if op.UserInfoEndpoint() != "" {
		if ui, err := op.UserInfo(cctx, oauth2.StaticTokenSource(tok)); err == nil {
			if ui.Subject != idt.Subject {
				return identity.Assertion{}, unauthorized("userinfo sub differs from id_token sub", nil)
			}
			var uc claims
			if err := ui.Claims(&uc); err == nil {
				c.merge(uc)
			}
		}
	}
	if c.EmailVerified != nil && !*c.EmailVerified {
		c.Email = ""
	}
	level := p.level(c.ACR)
	if level == identity.None {
		return identity.Assertion{}, unauthorized(fmt.Sprintf("unknown or missing acr %.80q", c.ACR), nil)
	}
	sum := sha256.Sum256([]byte(raw))
	a := identity.Assertion{
		Provider:    p.cfg.ID,
		Subject:     idt.Subject,
		TrustLevel:  level,
		ReplayID:    "oidc-idt:" + hex.EncodeToString(sum[:]),
		ReplayUntil: idt.Expiry,
		Attributes: identity.Attributes{
			GivenName:  c.GivenName,
			FamilyName: c.FamilyName,
			BirthDate:  c.Birthdate,
			Email:      c.Email,
		},
	}
	if c.Address != nil {
		a.Attributes.Street = c.Address.Street
		a.Attributes.PostalCode = c.Address.PostalCode
		a.Attributes.City = c.Address.Locality
		a.Attributes.Country = strings.ToUpper(c.Address.Country)
	}
	if a.Subject == "" {
		return identity.Assertion{}, unauthorized("no sub", nil)
	}
	return a, nil
}

// merge fills what c lacks from u. The ID token wins where both have a
// value: it is signed, userinfo is only TLS-protected.
func (c *claims) merge(u claims) {
	fill := func(dst *string, src string) {
		if *dst == "" {
			*dst = src
		}
	}
	fill(&c.GivenName, u.GivenName)
	fill(&c.FamilyName, u.FamilyName)
	fill(&c.Birthdate, u.Birthdate)
	if c.Email == "" {
		c.Email, c.EmailVerified = u.Email, u.EmailVerified
	}
	if c.Address == nil {
		c.Address = u.Address
	}
}

// level maps an acr value: the configured map first, then the German,
// eIDAS and STORK names.
func (p *Provider) level(acr string) identity.TrustLevel {
	if acr == "" {
		return p.cfg.DefaultTrustLevel
	}
	if l, ok := p.acr[acr]; ok {
		return l
	}
	if l, ok := identity.ParseTrustLevel(acr); ok {
		return l
	}
	return identity.None
}
