// Package devidp is ozgo's development identity provider: a real SAML 2.0
// IdP in the style of BundID and an OpenID Connect provider in one
// http.Handler, with invented test persons to pick from. It exists so
// that the citizen login of ozgo can be developed, demonstrated and tested
// end to end without a BundID test account.
//
// It is marked as a test system in its SAML metadata (an
// <ozgo:TestSystem/> extension and an entity ID ending in /ozgo-devidp)
// and in its OIDC discovery document ("ozgo_test_system": true); ozgo's
// SAML SP and OIDC RP refuse it unless told to allow test IdPs.
//
// It keeps all state in memory. It never asks for a password: anyone who
// can reach it can log in as any test person.
package devidp

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	ozsaml "github.com/ozgo/ozgo/internal/identity/saml"
)

// Options configure the IdP.
type Options struct {
	// PublicURL is the IdP's base URL as browsers and ozgo reach it, e.g.
	// http://127.0.0.1:8081. It is the OIDC issuer; the SAML entity ID is
	// PublicURL + "/ozgo-devidp". It may have a path, e.g.
	// http://127.0.0.1:8080/devidp, to mount the Handler under that prefix
	// in another server (the Handler strips it).
	PublicURL string
	// KeyDir, if set, keeps the signing key in KeyDir/devidp.key and .crt,
	// so SPs need not re-read the metadata after a restart; otherwise a
	// key is generated in memory at start.
	KeyDir string
	// SPMetadata returns the SAML metadata of the service provider (ozgo),
	// for the AuthnRequest signature check and the encryption key. It is
	// called lazily on each new login until it succeeds, so the IdP can
	// start before ozgo. SPMetadataURL is the same as a URL.
	SPMetadata    func(ctx context.Context) ([]byte, error)
	SPMetadataURL string
	// OIDCClients are the registered OIDC clients.
	OIDCClients []OIDCClient
	// Persons to choose from; default DefaultPersons.
	Persons []Person
	// Logger; default slog.Default. No personal data is logged.
	Logger *slog.Logger
}

// OIDCClient is a registered OIDC client.
type OIDCClient struct {
	ID     string
	Secret string
	// RedirectURIs must match exactly. When empty, any redirect URI on
	// http://127.0.0.1 or http://localhost (any port) is accepted.
	RedirectURIs []string
}

// IdP is the development identity provider.
type IdP struct {
	opts    Options
	base    string // PublicURL without a trailing slash
	prefix  string // its path, "" or e.g. "/devidp"
	log     *slog.Logger
	persons []Person
	saml    *samlSide
	oidc    *oidcSide

	mu      sync.Mutex
	pending map[string]*pendingLogin // by form token
}

// pendingLogin is a login request waiting for the tester's choice.
type pendingLogin struct {
	expires time.Time
	level   int // requested minimum, as identity.TrustLevel
	saml    *samlPending
	oidc    *oidcPending
}

const pendingTTL = 15 * time.Minute

// New builds the IdP.
func New(opts Options) (*IdP, error) {
	u, err := url.Parse(opts.PublicURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("devidp: PublicURL %q must be an absolute http(s) URL", opts.PublicURL)
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.SPMetadata == nil && opts.SPMetadataURL != "" {
		src := opts.SPMetadataURL
		opts.SPMetadata = func(ctx context.Context) ([]byte, error) {
			return ozsaml.LoadMetadata(ctx, src, 10*time.Second)
		}
	}
	idp := &IdP{
		opts:    opts,
		base:    strings.TrimRight(opts.PublicURL, "/"),
		prefix:  strings.TrimRight(u.Path, "/"),
		log:     opts.Logger,
		persons: opts.Persons,
		pending: map[string]*pendingLogin{},
	}
	if len(idp.persons) == 0 {
		idp.persons = DefaultPersons()
	}
	var kp ozsaml.KeyPair
	if opts.KeyDir != "" {
		kp, err = ozsaml.LoadOrCreateKeyPair(opts.KeyDir, "devidp", "ozgo devidp (TESTSYSTEM)")
	} else {
		kp, err = ozsaml.NewKeyPair("ozgo devidp (TESTSYSTEM)")
	}
	if err != nil {
		return nil, fmt.Errorf("devidp: key: %w", err)
	}
	if idp.saml, err = newSAMLSide(idp, kp); err != nil {
		return nil, err
	}
	if idp.oidc, err = newOIDCSide(idp, kp); err != nil {
		return nil, err
	}
	return idp, nil
}

// SAMLEntityID is the IdP's SAML entity ID.
func (idp *IdP) SAMLEntityID() string { return idp.base + ozsaml.TestEntitySuffix }

// SAMLMetadata returns the IdP's SAML metadata, for ozgo's SP
// configuration when both run in one process.
func (idp *IdP) SAMLMetadata() ([]byte, error) { return idp.saml.metadata() }

// Issuer is the OIDC issuer URL.
func (idp *IdP) Issuer() string { return idp.base }

// Handler serves the IdP. Paths, below the path of PublicURL:
//
//	GET  /                                   an explanation
//	GET  /saml/metadata (and /ozgo-devidp)   SAML metadata
//	GET  /saml/sso, POST /saml/sso           SAML SSO (HTTP-Redirect, HTTP-POST)
//	POST /login                              the tester's choice
//	GET  /.well-known/openid-configuration   OIDC discovery
//	GET  /jwks                               OIDC keys
//	GET  /authorize, POST /token, /userinfo  OIDC endpoints
//	GET  /static/…                           CSS and the auto-submit script
func (idp *IdP) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", idp.serveIndex)
	mux.HandleFunc("GET /saml/metadata", idp.saml.serveMetadata)
	mux.HandleFunc("GET /ozgo-devidp", idp.saml.serveMetadata)
	mux.HandleFunc("GET /saml/sso", idp.saml.serveSSO)
	mux.HandleFunc("POST /saml/sso", idp.saml.serveSSO)
	mux.HandleFunc("POST /login", idp.serveLogin)
	mux.HandleFunc("GET /.well-known/openid-configuration", idp.oidc.serveDiscovery)
	mux.HandleFunc("GET /jwks", idp.oidc.serveJWKS)
	mux.HandleFunc("GET /authorize", idp.oidc.serveAuthorize)
	mux.HandleFunc("POST /token", idp.oidc.serveToken)
	mux.HandleFunc("GET /userinfo", idp.oidc.serveUserinfo)
	mux.HandleFunc("POST /userinfo", idp.oidc.serveUserinfo)
	mux.HandleFunc("GET /static/devidp.css", serveStatic("text/css; charset=utf-8", cssFile))
	mux.HandleFunc("GET /static/autosubmit.js", serveStatic("text/javascript; charset=utf-8", autosubmitJS))
	var h http.Handler = mux
	if idp.prefix != "" {
		h = http.StripPrefix(idp.prefix, mux)
	}
	return securityHeaders(h)
}

// securityHeaders sets a strict CSP: no inline script or style, forms may
// go to any http(s) ACS or redirect URI.
func securityHeaders(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self'; form-action 'self' http: https:; frame-ancestors 'none'; base-uri 'none'")
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("Referrer-Policy", "no-referrer")
		hd.Set("Cache-Control", "no-store")
		h.ServeHTTP(w, r)
	})
}

func (idp *IdP) now() time.Time { return time.Now() }

func randomToken() string {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// maxPending bounds the logins waiting for a tester, so a loop of
// requests cannot fill the memory.
const maxPending = 10000

// addPending stores a login waiting for the tester and returns its token,
// or "" when too many are waiting.
func (idp *IdP) addPending(p *pendingLogin) string {
	now := idp.now()
	p.expires = now.Add(pendingTTL)
	tok := randomToken()
	idp.mu.Lock()
	defer idp.mu.Unlock()
	for k, v := range idp.pending {
		if now.After(v.expires) {
			delete(idp.pending, k)
		}
	}
	if len(idp.pending) >= maxPending {
		return ""
	}
	idp.pending[tok] = p
	return tok
}

// takePending removes and returns a pending login: each is answered once.
func (idp *IdP) takePending(tok string) (*pendingLogin, bool) {
	idp.mu.Lock()
	defer idp.mu.Unlock()
	p, ok := idp.pending[tok]
	if !ok {
		return nil, false
	}
	delete(idp.pending, tok)
	if idp.now().After(p.expires) {
		return nil, false
	}
	return p, true
}

func (idp *IdP) person(key string) (Person, bool) {
	for _, p := range idp.persons {
		if p.Key == key {
			return p, true
		}
	}
	return Person{}, false
}

var errNoSPMetadata = errors.New("devidp: SP metadata not configured")
