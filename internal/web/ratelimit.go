package web

import (
	"math"
	"net/http"
	"strconv"
	"strings"

	"github.com/ozgo/ozgo/internal/errs"
	"github.com/ozgo/ozgo/internal/identity"
)

// LimitRule throttles requests per client address on paths with one of
// the prefixes (and, if Methods is set, only those methods).
type LimitRule struct {
	Prefixes []string
	Methods  []string
	Limiter  *identity.RateLimiter
}

func (l LimitRule) applies(r *http.Request) bool {
	if len(l.Methods) > 0 {
		ok := false
		for _, m := range l.Methods {
			ok = ok || m == r.Method
		}
		if !ok {
			return false
		}
	}
	for _, p := range l.Prefixes {
		if strings.HasPrefix(r.URL.Path, p) {
			return true
		}
	}
	return false
}

// DefaultLimits are ozgo's limits for the endpoints where someone could
// guess: logins, one-time codes, API tokens. They are generous for people
// and honest clients and a wall for enumeration from one address. Failed
// logins and codes are also counted per account and address in the
// database (identity.Throttle), which holds across processes. The public
// catalog (open data) is not limited here.
func DefaultLimits() []LimitRule {
	return []LimitRule{{
		Prefixes: []string{"/anmelden/", "/saml/acs", "/oidc/callback", "/mitarbeiter/anmelden", "/vollmachten/annehmen", "/fitconnect/token", "/konto/passwort"},
		Methods:  []string{http.MethodPost, http.MethodGet},
		Limiter:  &identity.RateLimiter{Rate: 2, Burst: 30},
	}}
}

// RateLimit applies rules to next. A throttled request gets 429 with
// Retry-After, as a German page or a problem object.
func (u *UI) RateLimit(rules []LimitRule, writeError func(http.ResponseWriter, *http.Request, error), next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for _, rule := range rules {
			if !rule.applies(r) {
				continue
			}
			if ok, wait := rule.Limiter.Allow(clientAddr(r)); !ok {
				secs := int(math.Ceil(wait.Seconds()))
				if secs < 1 {
					secs = 1
				}
				w.Header().Set("Retry-After", strconv.Itoa(secs))
				writeError(w, r, errs.K(errs.TooManyRequests, "ratelimit.wait", secs))
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}
