package web

// Login, logout and the account pages: the login choice (/anmelden), the
// external login flows (SAML, OIDC), staff login with a second factor,
// "Mein Konto" with organisations and acting for someone, and mandates.

import (
	"context"
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/ozgo/ozgo/internal/errs"
	"github.com/ozgo/ozgo/internal/httpx"
	"github.com/ozgo/ozgo/internal/identity"
)

// sessionCookie holds the session token. Lax: sent on top-level
// navigations to ozgo (links from the IdP's pages, the OIDC redirect),
// not on cross-site subrequests.
const sessionCookie = "ozgo_sitzung"

// loginCookie binds a pending external login to the browser that started
// it, so an attacker cannot complete their own login in a victim's browser
// (login CSRF). It must survive the IdP's cross-site POST to /saml/acs:
// SameSite=None over HTTPS; on plain HTTP (development, where IdP and ozgo
// are on one host and thus same-site) Lax.
const loginCookie = "ozgo_anmeldung"

// Identity is what the login pages need.
type Identity struct {
	Service   *identity.Service
	Providers []identity.Provider
	// SAMLMetadata serves /saml/metadata; nil when no SAML provider is
	// configured.
	SAMLMetadata func() ([]byte, error)
	// SAMLProvider and OIDCProvider name the providers answering at
	// /saml/acs and /oidc/callback.
	SAMLProvider string
	OIDCProvider string
	// Test is set when a provider is the development IdP: the login page
	// says so.
	Test bool
	// Staff is the authorities' OpenID Connect provider for staff (nil:
	// password login only); StaffIssuer its issuer, which with the subject
	// links a login to a staff account.
	Staff       identity.Provider
	StaffIssuer string
	// FormOrigins are the providers' origins ("https://idp.example"):
	// the login pages' forms lead there, which the CSP must allow.
	FormOrigins []string
}

// clientAddr is the client's address for throttling (never logged).
func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// WithSession loads the session of the request's cookie, if any, and puts
// it with its actor into the request context. Requests without the cookie
// cost nothing.
func (u *UI) WithSession(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u.Identity == nil {
			next.ServeHTTP(w, r)
			return
		}
		c, err := r.Cookie(sessionCookie)
		if err != nil || c.Value == "" {
			next.ServeHTTP(w, r)
			return
		}
		sess, err := u.Identity.Service.Session(r.Context(), c.Value)
		if err != nil {
			if !errs.Is(err, errs.NotFound) {
				u.RenderError(w, r, err)
				return
			}
			// Expired or ended: forget the cookie.
			u.clearCookie(w, r, sessionCookie)
			next.ServeHTTP(w, r)
			return
		}
		a, err := u.Identity.Service.ActorFor(r.Context(), sess)
		if err != nil {
			u.RenderError(w, r, err)
			return
		}
		next.ServeHTTP(w, r.WithContext(identity.WithSession(r.Context(), sess, c.Value, a)))
	})
}

func (u *UI) setSessionCookie(w http.ResponseWriter, r *http.Request, token string) {
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: token, Path: "/", HttpOnly: true, Secure: isHTTPS(r), SameSite: http.SameSiteLaxMode})
}

func (u *UI) clearCookie(w http.ResponseWriter, r *http.Request, name string) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: isHTTPS(r), SameSite: http.SameSiteLaxMode})
}

// loginURL is the login page that comes back to ret, asking for level.
func loginURL(ret string, level identity.TrustLevel) string {
	v := url.Values{}
	if ret = identity.SafeReturn(ret); ret != "" {
		v.Set("return", ret)
	}
	if level > identity.None {
		v.Set("niveau", level.String())
	}
	if len(v) == 0 {
		return "/anmelden"
	}
	return "/anmelden?" + v.Encode()
}

// requireLogin sends a browser without a session (or below level) to the
// login page and says whether the request may go on. For API clients it
// answers 401.
func (u *UI) requireLogin(w http.ResponseWriter, r *http.Request, level identity.TrustLevel) (*identity.Actor, bool) {
	a := identity.ActorFrom(r.Context())
	if a.LoggedIn() && (level == identity.None || a.Kind == identity.KindCitizen && a.TrustLevel >= level) {
		return a, true
	}
	ret := r.URL.Path
	if r.Method == http.MethodGet && r.URL.RawQuery != "" {
		ret += "?" + r.URL.RawQuery
	}
	http.Redirect(w, r, loginURL(ret, level), http.StatusSeeOther)
	return nil, false
}

// requireCitizen is requireLogin for pages of citizens' accounts: staff
// sessions are sent to log in as a citizen.
func (u *UI) requireCitizen(w http.ResponseWriter, r *http.Request) (*identity.Actor, bool) {
	a, ok := u.requireLogin(w, r, identity.None)
	if !ok {
		return nil, false
	}
	if a.Kind != identity.KindCitizen {
		u.NotFound(w, r)
		return nil, false
	}
	return a, true
}

type providerChoice struct {
	ID    string
	Label string
}

type anmeldenData struct {
	Return    string
	Level     identity.TrustLevel
	Providers []providerChoice
	Current   *identity.Actor
	Test      bool
	Error     string
}

// anmelden is GET /anmelden: the login choice.
func (u *UI) anmelden(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	d := anmeldenData{Return: identity.SafeReturn(q.Get("return")), Current: identity.ActorFrom(r.Context()), Test: u.Identity.Test}
	if l, ok := identity.ParseTrustLevel(q.Get("niveau")); ok {
		d.Level = l
	}
	for _, p := range u.Identity.Providers {
		d.Providers = append(d.Providers, providerChoice{ID: p.ID(), Label: p.Label()})
	}
	httpx.AllowFormAction(w, u.Identity.FormOrigins...)
	u.Render(w, r, http.StatusOK, "anmelden", Page{Title: u.t("login.title"), Section: "konto", Data: d})
}

func (u *UI) provider(id string) identity.Provider {
	for _, p := range u.Identity.Providers {
		if p.ID() == id {
			return p
		}
	}
	return nil
}

type autopostData struct {
	URL    string
	Fields map[string]string
}

// anmeldenStart is POST /anmelden/{provider}: start an external login.
func (u *UI) anmeldenStart(w http.ResponseWriter, r *http.Request) {
	p := u.provider(r.PathValue("provider"))
	if p == nil {
		u.NotFound(w, r)
		return
	}
	level := identity.Niedrig
	if l, ok := identity.ParseTrustLevel(r.PostFormValue("niveau")); ok {
		level = l
	}
	u.startLogin(w, r, p, level)
}

// mitarbeiterSSO is POST /mitarbeiter/anmelden/sso: staff login through
// the authority's OpenID Connect provider.
func (u *UI) mitarbeiterSSO(w http.ResponseWriter, r *http.Request) {
	if u.Identity.Staff == nil {
		u.NotFound(w, r)
		return
	}
	u.startLogin(w, r, u.Identity.Staff, identity.Niedrig)
}

// startLogin sends the browser to provider p, asking for level, after
// recording the pending request bound to this browser by a cookie.
func (u *UI) startLogin(w http.ResponseWriter, r *http.Request, p identity.Provider, level identity.TrustLevel) {
	reqID := "_" + identity.NewToken()[:40]
	start, err := p.Begin(r.Context(), reqID, level)
	if err != nil {
		u.RenderError(w, r, err)
		return
	}
	binding := identity.NewToken()
	pending := identity.Pending{ID: reqID, Provider: p.ID(), TrustLevel: level, ReturnTo: identity.SafeReturn(r.PostFormValue("return")), Secret: start.Secret}
	if err := u.Identity.Service.SaveLoginRequest(r.Context(), pending, binding); err != nil {
		u.RenderError(w, r, err)
		return
	}
	c := &http.Cookie{Name: loginCookie, Value: binding, Path: "/", MaxAge: int(identity.LoginRequestTTL.Seconds()), HttpOnly: true, SameSite: http.SameSiteLaxMode}
	if isHTTPS(r) {
		c.Secure, c.SameSite = true, http.SameSiteNoneMode
	}
	http.SetCookie(w, c)
	if o := httpx.OriginOf(start.URL); o != "" {
		httpx.AllowFormAction(w, o)
	}
	if start.Post {
		u.Render(w, r, http.StatusOK, "weiterleitung", Page{Title: u.t("login.redirect.title"), Section: "konto", Data: autopostData{URL: start.URL, Fields: start.Fields}})
		return
	}
	http.Redirect(w, r, start.URL, http.StatusSeeOther)
}

// samlACS is POST /saml/acs: the IdP's answer (HTTP-POST binding).
func (u *UI) samlACS(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		u.RenderError(w, r, errs.E(errs.BadRequest, ""))
		return
	}
	u.finishLogin(w, r, u.provider(u.Identity.SAMLProvider), r.PostForm)
}

// oidcCallback is GET /oidc/callback.
func (u *UI) oidcCallback(w http.ResponseWriter, r *http.Request) {
	u.finishLogin(w, r, u.provider(u.Identity.OIDCProvider), r.URL.Query())
}

// mitarbeiterSSOCallback is GET /mitarbeiter/oidc/callback.
func (u *UI) mitarbeiterSSOCallback(w http.ResponseWriter, r *http.Request) {
	if u.Identity.Staff == nil {
		u.NotFound(w, r)
		return
	}
	pending, as, ok := u.takeAnswer(w, r, u.Identity.Staff, r.URL.Query())
	if !ok {
		return
	}
	_, old := identity.SessionFrom(r.Context())
	sess, err := u.Identity.Service.StaffOIDCLogin(r.Context(), old, u.Identity.StaffIssuer, as)
	if err != nil {
		u.loginFailed(w, r, err, "/mitarbeiter/anmelden")
		return
	}
	u.setSessionCookie(w, r, sess.Token)
	u.afterStaffLogin(w, r, pending.ReturnTo)
}

// formError decides how a form shows err: an error of code expected, or
// a throttle, becomes the form's message with the status its code maps
// to (ok); anything else gets the error page (not ok, already written).
func (u *UI) formError(w http.ResponseWriter, r *http.Request, err error, expected errs.Code) (msg string, status int, ok bool) {
	code := errs.CodeOf(err)
	if code != expected && code != errs.TooManyRequests {
		u.RenderError(w, r, err)
		return "", 0, false
	}
	m, args := errs.MessageArgsOf(err)
	return u.cat.Resolve("de", m, args), httpx.Status(code), true
}

type loginFailedData struct {
	Message string
	Retry   string
}

// loginFailed explains a refused login and links to try again; errors
// that are not about the login itself get the error page.
func (u *UI) loginFailed(w http.ResponseWriter, r *http.Request, err error, retry string) {
	if e := errs.CodeOf(err); e != errs.Unauthorized && e != errs.TooManyRequests {
		u.RenderError(w, r, err)
		return
	}
	msg, args := errs.MessageArgsOf(err)
	if msg == "" {
		msg = "identity.login.failed"
	}
	u.Render(w, r, http.StatusUnauthorized, "anmelden_fehler", Page{Title: u.t("login.failed.title"), IsError: true, Section: "konto",
		Data: loginFailedData{Message: u.cat.Resolve("de", msg, args), Retry: retry}})
}

// takeAnswer checks a provider's answer: it belongs to a pending request
// of this browser, which is used up, and the provider verifies it. On
// failure the page is written and ok is false.
func (u *UI) takeAnswer(w http.ResponseWriter, r *http.Request, p identity.Provider, form url.Values) (identity.Pending, identity.Assertion, bool) {
	retry := "/anmelden"
	if p == u.Identity.Staff {
		retry = "/mitarbeiter/anmelden"
	}
	reqID, err := p.RequestID(form)
	if err != nil {
		u.loginFailed(w, r, err, retry)
		return identity.Pending{}, identity.Assertion{}, false
	}
	binding := ""
	if c, err := r.Cookie(loginCookie); err == nil {
		binding = c.Value
	}
	pending, err := u.Identity.Service.TakeLoginRequest(r.Context(), p.ID(), reqID, binding)
	if err != nil {
		u.loginFailed(w, r, err, retry)
		return identity.Pending{}, identity.Assertion{}, false
	}
	u.clearCookie(w, r, loginCookie)
	if p != u.Identity.Staff {
		retry = loginURL(pending.ReturnTo, pending.TrustLevel)
	}
	as, err := p.Finish(r.Context(), form, pending)
	if err != nil {
		u.loginFailed(w, r, err, retry)
		return identity.Pending{}, identity.Assertion{}, false
	}
	as.Provider = p.ID()
	return pending, as, true
}

// finishLogin completes a citizen's external login: the answer, the trust
// level asked for, the person, a new session.
func (u *UI) finishLogin(w http.ResponseWriter, r *http.Request, p identity.Provider, form url.Values) {
	if p == nil {
		u.NotFound(w, r)
		return
	}
	ctx := r.Context()
	pending, as, ok := u.takeAnswer(w, r, p, form)
	if !ok {
		return
	}
	retry := loginURL(pending.ReturnTo, pending.TrustLevel)
	if as.TrustLevel < pending.TrustLevel {
		u.loginFailed(w, r, errs.K(errs.Unauthorized, "identity.login.level_too_low", as.TrustLevel.String(), pending.TrustLevel.String()), retry)
		return
	}
	person, err := u.Identity.Service.LoginPerson(ctx, as)
	if err != nil {
		u.loginFailed(w, r, err, retry)
		return
	}
	_, old := identity.SessionFrom(ctx)
	sess, err := u.Identity.Service.StartSession(ctx, old, identity.KindCitizen, person.ID, as.TrustLevel, p.ID(), false)
	if err != nil {
		u.RenderError(w, r, err)
		return
	}
	u.setSessionCookie(w, r, sess.Token)
	ret := pending.ReturnTo
	if ret == "" {
		ret = "/konto"
	}
	http.Redirect(w, r, ret, http.StatusSeeOther)
}

// samlMetadata is GET /saml/metadata.
func (u *UI) samlMetadata(w http.ResponseWriter, r *http.Request) {
	if u.Identity.SAMLMetadata == nil {
		u.NotFound(w, r)
		return
	}
	b, err := u.Identity.SAMLMetadata()
	if err != nil {
		u.RenderError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/samlmetadata+xml")
	w.Header().Set("Cache-Control", "public, max-age=3600")
	_, _ = w.Write(b)
}

type abmeldenData struct {
	Return string
	Actor  *identity.Actor
}

// abmelden is GET /abmelden: a button to log out (logging out on a GET
// would let any page log people out with an image).
func (u *UI) abmelden(w http.ResponseWriter, r *http.Request) {
	a := identity.ActorFrom(r.Context())
	if !a.LoggedIn() {
		if sess, _ := identity.SessionFrom(r.Context()); sess == nil {
			http.Redirect(w, r, "/", http.StatusSeeOther)
			return
		}
	}
	u.Render(w, r, http.StatusOK, "abmelden", Page{Title: u.t("logout.title"), Section: "konto", Data: abmeldenData{Return: identity.SafeReturn(r.URL.Query().Get("return")), Actor: a}})
}

// abmeldenPost is POST /abmelden: end this session, or with "ueberall"
// every session of the person or staff member.
func (u *UI) abmeldenPost(w http.ResponseWriter, r *http.Request) {
	sess, token := identity.SessionFrom(r.Context())
	if sess != nil {
		var err error
		if r.PostFormValue("ueberall") != "" {
			actor := identity.ActorFrom(r.Context()).ID()
			if actor == "anonymous" {
				actor = "staff:" + sess.Principal
			}
			_, err = u.Identity.Service.EndAllSessions(r.Context(), actor, sess.Principal)
		} else {
			err = u.Identity.Service.EndSession(r.Context(), token)
		}
		if err != nil {
			u.RenderError(w, r, err)
			return
		}
	}
	u.clearCookie(w, r, sessionCookie)
	ret := identity.SafeReturn(r.PostFormValue("return"))
	if ret == "" {
		ret = "/abgemeldet"
	}
	http.Redirect(w, r, ret, http.StatusSeeOther)
}

// abgemeldet is GET /abgemeldet.
func (u *UI) abgemeldet(w http.ResponseWriter, r *http.Request) {
	u.Render(w, r, http.StatusOK, "abgemeldet", Page{Title: u.t("logout.done.title"), Section: "konto"})
}

type staffLoginData struct {
	SSO      bool
	Return   string
	Email    string
	Errors   []fieldError
	EmailErr string
	PassErr  string
	CodeErr  string
}

// mitarbeiterAnmelden is GET /mitarbeiter/anmelden.
func (u *UI) mitarbeiterAnmelden(w http.ResponseWriter, r *http.Request) {
	httpx.AllowFormAction(w, u.Identity.FormOrigins...)
	u.Render(w, r, http.StatusOK, "mitarbeiter_anmelden", Page{Title: u.t("staff.login.title"), Section: "konto",
		Data: staffLoginData{SSO: u.Identity.Staff != nil, Return: identity.SafeReturn(r.URL.Query().Get("return"))}})
}

// mitarbeiterAnmeldenPost is POST /mitarbeiter/anmelden: the password.
func (u *UI) mitarbeiterAnmeldenPost(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	d := staffLoginData{SSO: u.Identity.Staff != nil, Return: identity.SafeReturn(r.PostFormValue("return")), Email: strings.TrimSpace(r.PostFormValue("email"))}
	pw := r.PostFormValue("password")
	if d.Email == "" {
		d.EmailErr = u.t("staff.login.email_missing")
		d.Errors = append(d.Errors, fieldError{Field: "email", Message: d.EmailErr})
	}
	if pw == "" {
		d.PassErr = u.t("staff.login.password_missing")
		d.Errors = append(d.Errors, fieldError{Field: "password", Message: d.PassErr})
	}
	if len(d.Errors) > 0 {
		u.Render(w, r, http.StatusUnprocessableEntity, "mitarbeiter_anmelden", Page{Title: u.t("staff.login.title"), IsError: true, Section: "konto", Data: d})
		return
	}
	st, err := u.Identity.Service.StaffLogin(ctx, d.Email, pw, clientAddr(r))
	if err != nil {
		msg, status, ok := u.formError(w, r, err, errs.Unauthorized)
		if !ok {
			return
		}
		d.PassErr = msg
		d.Errors = []fieldError{{Field: "password", Message: d.PassErr}}
		u.Render(w, r, status, "mitarbeiter_anmelden", Page{Title: u.t("staff.login.title"), IsError: true, Section: "konto", Data: d})
		return
	}
	_, old := identity.SessionFrom(ctx)
	sess, err := u.Identity.Service.FinishStaffLogin(ctx, old, st)
	if err != nil {
		u.RenderError(w, r, err)
		return
	}
	u.setSessionCookie(w, r, sess.Token)
	if sess.Pending2FA {
		next := "/mitarbeiter/anmelden/code"
		if d.Return != "" {
			next += "?return=" + url.QueryEscape(d.Return)
		}
		http.Redirect(w, r, next, http.StatusSeeOther)
		return
	}
	u.afterStaffLogin(w, r, d.Return)
}

func (u *UI) afterStaffLogin(w http.ResponseWriter, r *http.Request, ret string) {
	if ret == "" {
		ret = "/konto"
	}
	http.Redirect(w, r, ret, http.StatusSeeOther)
}

// pendingStaff returns the session waiting for its second factor.
func pendingStaff(ctx context.Context) *identity.Session {
	sess, _ := identity.SessionFrom(ctx)
	if sess == nil || sess.Kind != identity.KindStaff || !sess.Pending2FA {
		return nil
	}
	return sess
}

// mitarbeiterCode is GET /mitarbeiter/anmelden/code: the TOTP form.
func (u *UI) mitarbeiterCode(w http.ResponseWriter, r *http.Request) {
	if pendingStaff(r.Context()) == nil {
		http.Redirect(w, r, "/mitarbeiter/anmelden", http.StatusSeeOther)
		return
	}
	u.Render(w, r, http.StatusOK, "mitarbeiter_code", Page{Title: u.t("staff.code.title"), Section: "konto",
		Data: staffLoginData{Return: identity.SafeReturn(r.URL.Query().Get("return"))}})
}

// mitarbeiterCodePost is POST /mitarbeiter/anmelden/code.
func (u *UI) mitarbeiterCodePost(w http.ResponseWriter, r *http.Request) {
	sess := pendingStaff(r.Context())
	if sess == nil {
		http.Redirect(w, r, "/mitarbeiter/anmelden", http.StatusSeeOther)
		return
	}
	d := staffLoginData{Return: identity.SafeReturn(r.PostFormValue("return"))}
	err := u.Identity.Service.VerifySecondFactor(r.Context(), sess, r.PostFormValue("code"), clientAddr(r))
	if err != nil {
		msg, status, ok := u.formError(w, r, err, errs.Invalid)
		if !ok {
			return
		}
		d.CodeErr = msg
		d.Errors = []fieldError{{Field: "code", Message: d.CodeErr}}
		u.Render(w, r, status, "mitarbeiter_code", Page{Title: u.t("staff.code.title"), IsError: true, Section: "konto", Data: d})
		return
	}
	u.afterStaffLogin(w, r, d.Return)
}
