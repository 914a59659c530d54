package httpx

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"runtime/debug"
	"strconv"
	"strings"
	"time"
)

type ctxKey int

const stateKey ctxKey = iota

// requestState travels in the request context; the router fills in the
// route, the outermost middleware reads it when the request is done.
type requestState struct {
	id    string
	route string
}

func stateOf(ctx context.Context) *requestState {
	st, _ := ctx.Value(stateKey).(*requestState)
	return st
}

// RequestID returns the id of the request being served ("" outside one).
func RequestID(ctx context.Context) string {
	if st := stateOf(ctx); st != nil {
		return st.id
	}
	return ""
}

// Route returns the pattern of the route serving the request, "" if none
// matched (yet).
func Route(ctx context.Context) string {
	if st := stateOf(ctx); st != nil {
		return st.route
	}
	return ""
}

// ErrorWriter renders an error for a request: an HTML page or a problem
// object, as fits the client.
type ErrorWriter func(w http.ResponseWriter, r *http.Request, err error)

// Options configure the middleware chain.
type Options struct {
	Log     *slog.Logger
	Metrics *Metrics
	// WriteError renders errors raised by the middleware itself (panics,
	// cross-origin rejections).
	WriteError ErrorWriter
	// FrameAncestors is the CSP frame-ancestors source list; default 'self'.
	FrameAncestors string
	// HSTS sends Strict-Transport-Security also when TLS ends at a proxy in
	// front of ozgo (the public URL is https).
	HSTS bool
	// TrustedOrigins may send cross-origin state-changing requests (e.g. an
	// embedding municipal website); each "scheme://host[:port]".
	TrustedOrigins []string
	// CrossSiteRoutes are route patterns ("POST /saml/acs") that accept
	// cross-site form posts by design; they must protect themselves (a
	// SAML response is signed and bound to a pending request).
	CrossSiteRoutes []string
}

// Chain wraps h with ozgo's middleware, outermost first: request state and
// access log with metrics, panic recovery, security headers, cross-origin
// protection.
func Chain(h http.Handler, o Options) (http.Handler, error) {
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if o.FrameAncestors == "" {
		o.FrameAncestors = "'self'"
	}
	cop := http.NewCrossOriginProtection()
	for _, origin := range o.TrustedOrigins {
		if err := cop.AddTrustedOrigin(origin); err != nil {
			return nil, fmt.Errorf("httpx: trusted origin %q: %w", origin, err)
		}
	}
	for _, p := range o.CrossSiteRoutes {
		cop.AddInsecureBypassPattern(p)
	}
	if o.WriteError != nil {
		cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			o.WriteError(w, r, errCrossOrigin)
		}))
	}
	h = cop.Handler(h)
	h = securityHeaders(h, o)
	h = recoverer(h, o)
	h = observe(h, o)
	return h, nil
}

var validRequestID = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

func newRequestID() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// observe sets up the request state and, when the request is done, writes
// one access log line and the metrics. It logs neither query strings nor
// client addresses: both can be personal data.
func observe(next http.Handler, o Options) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := r.Header.Get("X-Request-Id")
		if !validRequestID.MatchString(id) {
			id = newRequestID()
		}
		st := &requestState{id: id}
		r = r.WithContext(context.WithValue(r.Context(), stateKey, st))
		w.Header().Set("X-Request-Id", id)
		rec := &recorder{ResponseWriter: w}
		next.ServeHTTP(rec, r)
		if rec.status == 0 {
			rec.status = http.StatusOK
		}
		d := time.Since(start)
		route := st.route
		if route == "" {
			route = "unmatched"
		}
		if o.Metrics != nil {
			o.Metrics.observe(r.Method, route, rec.status, d)
		}
		level := slog.LevelInfo
		if rec.status >= 500 {
			level = slog.LevelError
		}
		o.Log.LogAttrs(r.Context(), level, "http request",
			slog.String("request_id", id),
			slog.String("method", r.Method),
			slog.String("route", route),
			slog.Int("status", rec.status),
			slog.Int64("bytes", rec.bytes),
			slog.Float64("duration_ms", float64(d.Microseconds())/1000),
		)
	})
}

// recoverer turns a panic into a logged 500 without internals in the
// answer. http.ErrAbortHandler keeps its meaning (abort the connection).
func recoverer(next http.Handler, o Options) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			p := recover()
			if p == nil {
				return
			}
			if p == http.ErrAbortHandler {
				panic(p)
			}
			o.Log.Error("panic while serving request",
				"request_id", RequestID(r.Context()), "route", Route(r.Context()),
				"panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			if rec, ok := w.(*recorder); ok && rec.wroteHeader {
				// Too late for an error page; cut the response short so the
				// client sees it is incomplete.
				panic(http.ErrAbortHandler)
			}
			if o.WriteError != nil {
				o.WriteError(w, r, errPanic)
				return
			}
			http.Error(w, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
		}()
		next.ServeHTTP(w, r)
	})
}

// ContentSecurityPolicy returns ozgo's policy: only own resources, no inline
// script or style, forms post only to ozgo, framing as configured.
func ContentSecurityPolicy(frameAncestors string) string {
	return strings.Join([]string{
		"default-src 'none'",
		"script-src 'self'",
		"style-src 'self'",
		"img-src 'self' data:",
		"font-src 'self'",
		"connect-src 'self'",
		"manifest-src 'self'",
		"form-action 'self'",
		"frame-ancestors " + frameAncestors,
		"base-uri 'none'",
	}, "; ")
}

// OriginOf returns the origin ("scheme://host[:port]") of an absolute
// http(s) URL, "" for anything else.
func OriginOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return ""
	}
	return u.Scheme + "://" + u.Host
}

// AllowFormAction widens the response's CSP form-action to origins, for
// pages whose forms hand over to another site (an identity provider).
// Call it before the response is written.
func AllowFormAction(w http.ResponseWriter, origins ...string) {
	csp := w.Header().Get("Content-Security-Policy")
	if csp == "" || len(origins) == 0 {
		return
	}
	w.Header().Set("Content-Security-Policy", strings.Replace(csp, "form-action 'self'", "form-action 'self' "+strings.Join(origins, " "), 1))
}

func securityHeaders(next http.Handler, o Options) http.Handler {
	csp := ContentSecurityPolicy(o.FrameAncestors)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", csp)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=(), usb=()")
		// Pages may show personal data: nothing is cached unless a handler
		// (static assets) says otherwise.
		h.Set("Cache-Control", "no-store")
		if r.TLS != nil || o.HSTS {
			h.Set("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
		}
		next.ServeHTTP(w, r)
	})
}

// recorder captures status and size for logs and metrics.
type recorder struct {
	http.ResponseWriter
	status      int
	bytes       int64
	wroteHeader bool
}

func (r *recorder) WriteHeader(code int) {
	if !r.wroteHeader {
		// 1xx informational headers may precede the real status.
		if code >= 200 {
			r.status = code
			r.wroteHeader = true
		}
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	if !r.wroteHeader {
		r.status = http.StatusOK
		r.wroteHeader = true
	}
	n, err := r.ResponseWriter.Write(b)
	r.bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the underlying writer (flush,
// deadlines).
func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// Flush passes through for streaming responses.
func (r *recorder) Flush() {
	if f, ok := r.ResponseWriter.(http.Flusher); ok {
		if !r.wroteHeader {
			r.status, r.wroteHeader = http.StatusOK, true
		}
		f.Flush()
	}
}

func statusLabel(code int) string { return strconv.Itoa(code) }
