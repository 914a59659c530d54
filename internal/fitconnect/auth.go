package fitconnect

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/ozgo/ozgo/internal/audit"
	"github.com/ozgo/ozgo/internal/errs"
	"github.com/ozgo/ozgo/internal/store"
)

// Scope prefixes of the Submission API.
const (
	ScopeSendRegion        = "send:region:"
	ScopeSendService       = "send:service:"
	ScopeSubscribe         = "subscribe:destination:"
	ScopeManage            = "manage:destination:"
	ScopeCreateDestination = "create:destination"
)

var (
	regionPattern  = regexp.MustCompile(`^DE[0-9]{0,12}$`)
	servicePattern = regexp.MustCompile(`^urn:[a-z0-9][a-z0-9-]{0,31}:[a-z0-9()+,.:=@;$_!*'%/?#-]+$`)
)

// ValidScope reports whether s is one of the scope forms of the API.
func ValidScope(s string) bool {
	switch {
	case s == ScopeCreateDestination:
		return true
	case strings.HasPrefix(s, ScopeSendRegion):
		return regionPattern.MatchString(strings.TrimPrefix(s, ScopeSendRegion))
	case strings.HasPrefix(s, ScopeSendService):
		v := strings.TrimPrefix(s, ScopeSendService)
		return len(v) >= 7 && len(v) <= 255 && servicePattern.MatchString(v)
	case strings.HasPrefix(s, ScopeSubscribe):
		return ValidUUID(strings.TrimPrefix(s, ScopeSubscribe))
	case strings.HasPrefix(s, ScopeManage):
		return ValidUUID(strings.TrimPrefix(s, ScopeManage))
	}
	return false
}

// Principal is the API client behind a request, with the scopes of its token.
type Principal struct {
	ClientID string
	TenantID string
	Scopes   []string
	// internal marks ozgo's own form engine (SendInternal); it may send
	// to any destination. Unexported: no token can carry it.
	internal bool
	// gen is the client secret generation of the token (see tokenClaims).
	gen string
}

// Has reports whether the principal holds scope exactly.
func (p Principal) Has(scope string) bool { return slices.Contains(p.Scopes, scope) }

// sendRegions returns the regions the principal may send to ("DE…").
func (p Principal) sendRegions() []string {
	var out []string
	for _, s := range p.Scopes {
		if strings.HasPrefix(s, ScopeSendRegion) {
			out = append(out, strings.TrimPrefix(s, ScopeSendRegion))
		}
	}
	return out
}

// canSendTo reports whether the principal may send submissions for the
// Leistung serviceID to destination d: a send:region scope must overlap
// one of the regions in which d offers the Leistung (one region contains
// the other), and send:service scopes, when the token has any, must name
// the Leistung.
func (p Principal) canSendTo(d *Destination, serviceID string) bool {
	if p.internal {
		return true
	}
	var services []string
	for _, s := range p.Scopes {
		if strings.HasPrefix(s, ScopeSendService) {
			services = append(services, strings.TrimPrefix(s, ScopeSendService))
		}
	}
	if len(services) > 0 && !slices.Contains(services, serviceID) {
		return false
	}
	for _, svc := range d.Services {
		if serviceID != "" && svc.Identifier != serviceID {
			continue
		}
		for _, r := range svc.Regions {
			for _, mine := range p.sendRegions() {
				if strings.HasPrefix(r, mine) || strings.HasPrefix(mine, r) {
					return true
				}
			}
		}
	}
	return false
}

// sameTenant reports whether the principal may administer or receive for
// d: platform clients everywhere, tenant clients only in their tenant.
func (p Principal) sameTenant(d *Destination) bool {
	return p.TenantID == "" || p.TenantID == d.TenantID
}

func (p Principal) canManage(d *Destination) bool {
	return p.sameTenant(d) && (d.OwnerClient == p.ClientID || p.Has(ScopeManage+d.ID))
}

func (p Principal) canSubscribe(d *Destination) bool {
	return p.sameTenant(d) && (d.OwnerClient == p.ClientID || p.Has(ScopeSubscribe+d.ID))
}

// NewClient is the one-time answer of CreateClient: the secret is shown
// once and stored only as a hash.
type NewClient struct {
	ClientID     string   `json:"client_id"`
	ClientSecret string   `json:"client_secret"`
	Scopes       []string `json:"scopes"`
}

func hashSecret(secret string) string {
	h := sha256.Sum256([]byte("ozgo fitconnect client secret v1\x00" + secret))
	return hex.EncodeToString(h[:])
}

// CreateClient registers an API client with the given scopes for a tenant
// ("" for the platform). actor names who did it, for the audit log.
func (s *Service) CreateClient(ctx context.Context, actor, name, tenant string, scopes []string) (NewClient, error) {
	name = strings.TrimSpace(name)
	if name == "" || len(name) > 200 {
		return NewClient{}, errs.FieldError("name", "Der Name des API-Clients fehlt oder ist zu lang.")
	}
	if len(scopes) == 0 {
		return NewClient{}, errs.FieldError("scope", "Mindestens ein Scope ist nötig.")
	}
	scopes = slices.Clone(scopes)
	slices.Sort(scopes)
	scopes = slices.Compact(scopes)
	for _, sc := range scopes {
		if !ValidScope(sc) {
			return NewClient{}, errs.FieldError("scope", "Unbekannter oder fehlerhafter Scope: "+sc)
		}
	}
	var raw [32]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return NewClient{}, errs.Wrap(errs.Internal, "fitconnect.CreateClient", err, "")
	}
	nc := NewClient{ClientID: newUUID(), ClientSecret: base64.RawURLEncoding.EncodeToString(raw[:]), Scopes: scopes}
	err := s.inTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		if tenant != "" {
			var one int
			if err := tx.QueryRowContext(ctx, `SELECT 1 FROM tenants WHERE id = ?`, tenant).Scan(&one); err != nil {
				if errors.Is(err, sql.ErrNoRows) {
					return errs.FieldError("tenant", "Unbekannter Mandant: "+tenant)
				}
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO fc_clients (id, name, tenant_id, secret_hash, scopes, disabled, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, nc.ClientID, name, tenant, hashSecret(nc.ClientSecret), strings.Join(scopes, " "), false, formatTime(s.now())); err != nil {
			return err
		}
		_, err := s.audit.Append(ctx, tx, audit.Entry{Actor: actor, Action: "fitconnect.client.created", ObjectType: "fitconnect_client",
			ObjectID: nc.ClientID, Tenant: tenant, Details: map[string]string{"scopes": strings.Join(scopes, " ")}})
		return err
	})
	if err != nil {
		return NewClient{}, err
	}
	return nc, nil
}

// Token is an issued access token.
type Token struct {
	AccessToken string
	ExpiresIn   int
	Scopes      []string
}

// OAuth2 error codes (RFC 6749 section 5.2), carried in TokenError.
const (
	OAuthInvalidRequest = "invalid_request"
	OAuthInvalidClient  = "invalid_client"
	OAuthInvalidScope   = "invalid_scope"
	OAuthUnsupported    = "unsupported_grant_type"
)

// TokenError is an OAuth2 token endpoint error.
type TokenError struct {
	Code        string
	Description string
}

func (e *TokenError) Error() string { return e.Code + ": " + e.Description }

type tokenClaims struct {
	jwt.Claims
	Tenant string `json:"ten,omitempty"`
	Scope  string `json:"scope"`
	// Gen names the client secret the token was issued for (a prefix of
	// its hash, never the secret): rotating the secret revokes the
	// tokens issued before.
	Gen string `json:"gen"`
}

// secretGen is the generation of a client secret as tokens carry it.
func secretGen(hash string) string {
	if len(hash) > 16 {
		return hash[:16]
	}
	return hash
}

// IssueToken checks client credentials and returns an access token for
// the requested scopes (all of the client's scopes when none are asked
// for). Errors are *TokenError.
func (s *Service) IssueToken(ctx context.Context, clientID, secret string, requested []string) (Token, error) {
	if clientID == "" || secret == "" {
		return Token{}, &TokenError{OAuthInvalidClient, "client_id und client_secret sind nötig."}
	}
	var hash, scopes, tenant string
	var disabled bool
	err := s.db.QueryRowContext(ctx, `SELECT secret_hash, scopes, tenant_id, disabled FROM fc_clients WHERE id = ?`, clientID).
		Scan(&hash, &scopes, &tenant, &disabled)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return Token{}, err
	}
	if err != nil || disabled || subtle.ConstantTimeCompare([]byte(hashSecret(secret)), []byte(hash)) != 1 {
		return Token{}, &TokenError{OAuthInvalidClient, "Unbekannter Client oder falsches Secret."}
	}
	held := strings.Fields(scopes)
	grant := held
	if len(requested) > 0 {
		grant = nil
		for _, r := range requested {
			if !slices.Contains(held, r) {
				return Token{}, &TokenError{OAuthInvalidScope, "Der Client hat diesen Scope nicht: " + r}
			}
			if !slices.Contains(grant, r) {
				grant = append(grant, r)
			}
		}
	}
	now := s.now()
	c := tokenClaims{
		Claims: jwt.Claims{Subject: clientID, ID: newUUID(), IssuedAt: jwt.NewNumericDate(now),
			Expiry: jwt.NewNumericDate(now.Add(s.opt.TokenTTL)), Audience: jwt.Audience{"fitconnect"}},
		Tenant: tenant, Scope: strings.Join(grant, " "), Gen: secretGen(hash),
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.HS256, Key: s.tokenKey}, (&jose.SignerOptions{}).WithType("at+jwt"))
	if err != nil {
		return Token{}, errs.Wrap(errs.Internal, "fitconnect.IssueToken", err, "")
	}
	tok, err := jwt.Signed(signer).Claims(c).Serialize()
	if err != nil {
		return Token{}, errs.Wrap(errs.Internal, "fitconnect.IssueToken", err, "")
	}
	return Token{AccessToken: tok, ExpiresIn: int(s.opt.TokenTTL / time.Second), Scopes: grant}, nil
}

// tokenCache remembers verified tokens, so a busy client does not pay for
// parsing and MAC checking on every request. Bounded: it is cleared when
// full.
type tokenCache struct {
	mu      sync.Mutex
	m       map[string]cachedToken
	clients map[string]clientState
}

type cachedToken struct {
	p   Principal
	exp time.Time
}

const tokenCacheMax = 10000

// Authenticate checks a bearer token and returns its principal. Tokens are
// HMAC-signed JWTs with a key derived from the master key, so every ozgo
// process sharing the key accepts them without a database lookup.
func (s *Service) Authenticate(token string) (Principal, error) {
	unauth := errs.E(errs.Unauthorized, "Zugriffstoken fehlt, ist ungültig oder abgelaufen.")
	if token == "" || len(token) > 8192 {
		return Principal{}, unauth
	}
	now := s.now()
	s.tokens.mu.Lock()
	if c, ok := s.tokens.m[token]; ok && now.Before(c.exp) {
		s.tokens.mu.Unlock()
		if !s.clientValid(c.p) {
			return Principal{}, unauth
		}
		return c.p, nil
	}
	s.tokens.mu.Unlock()
	parsed, err := jwt.ParseSigned(token, []jose.SignatureAlgorithm{jose.HS256})
	if err != nil {
		return Principal{}, unauth
	}
	var c tokenClaims
	if err := parsed.Claims(s.tokenKey, &c); err != nil {
		return Principal{}, unauth
	}
	if err := c.ValidateWithLeeway(jwt.Expected{AnyAudience: jwt.Audience{"fitconnect"}, Time: now}, 0); err != nil || c.Expiry == nil {
		return Principal{}, unauth
	}
	p := Principal{ClientID: c.Subject, TenantID: c.Tenant, Scopes: strings.Fields(c.Scope), gen: c.Gen}
	if !s.clientValid(p) {
		return Principal{}, unauth
	}
	s.tokens.mu.Lock()
	if s.tokens.m == nil || len(s.tokens.m) >= tokenCacheMax {
		s.tokens.m = map[string]cachedToken{}
	}
	s.tokens.m[token] = cachedToken{p: p, exp: c.Expiry.Time()}
	s.tokens.mu.Unlock()
	return p, nil
}

// clientCheckEvery bounds how long another ozgo process may go on
// accepting the tokens of a client that was disabled or whose secret was
// rotated; in the process that did it, they stop at once.
const clientCheckEvery = 10 * time.Second

type clientState struct {
	disabled bool
	gen      string
	checked  time.Time
}

// clientValid reports whether the client behind a token is still enabled
// and still has the secret the token was issued for. Revocation is what
// makes a leaked token or secret containable before the token expires;
// the state is read from the database at most every clientCheckEvery per
// client, so the hot path stays free of queries.
func (s *Service) clientValid(p Principal) bool {
	now := s.now()
	s.tokens.mu.Lock()
	st, ok := s.tokens.clients[p.ClientID]
	s.tokens.mu.Unlock()
	if !ok || now.Sub(st.checked) >= clientCheckEvery || now.Before(st.checked) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		var hash string
		err := s.db.QueryRowContext(ctx, `SELECT secret_hash, disabled FROM fc_clients WHERE id = ?`, p.ClientID).Scan(&hash, &st.disabled)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			st = clientState{disabled: true}
		case err != nil:
			// Fail closed: without the client's state no token is taken.
			s.log.Warn("fitconnect: client state unreadable", "client", p.ClientID, "err", err)
			return false
		default:
			st.gen = secretGen(hash)
		}
		st.checked = now
		s.tokens.mu.Lock()
		if s.tokens.clients == nil || len(s.tokens.clients) >= tokenCacheMax {
			s.tokens.clients = map[string]clientState{}
		}
		s.tokens.clients[p.ClientID] = st
		s.tokens.mu.Unlock()
	}
	return !st.disabled && st.gen == p.gen
}

// forgetClient drops what this process remembers of a client's tokens.
func (s *Service) forgetClient(id string) {
	s.tokens.mu.Lock()
	defer s.tokens.mu.Unlock()
	delete(s.tokens.clients, id)
	for tok, c := range s.tokens.m {
		if c.p.ClientID == id {
			delete(s.tokens.m, tok)
		}
	}
}

// DisableClient switches an API client off: it gets no new tokens, and
// its tokens stop working (in every process within clientCheckEvery).
func (s *Service) DisableClient(ctx context.Context, actor, id string) error {
	err := s.inTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		var tenant string
		if err := tx.QueryRowContext(ctx, `SELECT tenant_id FROM fc_clients WHERE id = ?`, id).Scan(&tenant); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return errs.E(errs.NotFound, "Unbekannter Client: "+id)
			}
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE fc_clients SET disabled = ? WHERE id = ?`, true, id); err != nil {
			return err
		}
		_, err := s.audit.Append(ctx, tx, audit.Entry{Actor: actor, Action: "fitconnect.client.disabled", ObjectType: "fitconnect_client", ObjectID: id, Tenant: tenant})
		return err
	})
	if err == nil {
		s.forgetClient(id)
	}
	return err
}

// RotateSecret gives a client a new secret and revokes every token issued
// with the old one. The new secret is returned once and stored as a hash.
func (s *Service) RotateSecret(ctx context.Context, actor, id string) (NewClient, error) {
	var raw [32]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return NewClient{}, errs.Wrap(errs.Internal, "fitconnect.RotateSecret", err, "")
	}
	nc := NewClient{ClientID: id, ClientSecret: base64.RawURLEncoding.EncodeToString(raw[:])}
	err := s.inTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		var tenant, scopes string
		var disabled bool
		if err := tx.QueryRowContext(ctx, `SELECT tenant_id, scopes, disabled FROM fc_clients WHERE id = ?`, id).Scan(&tenant, &scopes, &disabled); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return errs.E(errs.NotFound, "Unbekannter Client: "+id)
			}
			return err
		}
		if disabled {
			return errs.E(errs.Conflict, "Der Client ist abgeschaltet.")
		}
		nc.Scopes = strings.Fields(scopes)
		if _, err := tx.ExecContext(ctx, `UPDATE fc_clients SET secret_hash = ? WHERE id = ?`, hashSecret(nc.ClientSecret), id); err != nil {
			return err
		}
		_, err := s.audit.Append(ctx, tx, audit.Entry{Actor: actor, Action: "fitconnect.client.secret_rotated", ObjectType: "fitconnect_client", ObjectID: id, Tenant: tenant})
		return err
	})
	if err != nil {
		return NewClient{}, err
	}
	s.forgetClient(id)
	return nc, nil
}
