package httpx

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/ozgo/ozgo/internal/errs"
	"github.com/ozgo/ozgo/internal/i18n"
)

type harness struct {
	h       http.Handler
	logs    *bytes.Buffer
	metrics *Metrics
	reg     *prometheus.Registry
}

func newHarness(t *testing.T, register func(rt *Router)) harness {
	t.Helper()
	cat := i18n.MustLoad()
	logs := &bytes.Buffer{}
	log := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	writeErr := func(w http.ResponseWriter, r *http.Request, err error) { WriteProblem(w, r, log, cat, err) }
	notFound := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeErr(w, r, errs.E(errs.NotFound, ""))
	})
	rt := NewRouter(notFound, nil)
	register(rt)
	reg := prometheus.NewRegistry()
	m := NewMetrics(reg)
	h, err := Chain(rt, Options{Log: log, Metrics: m, WriteError: writeErr})
	if err != nil {
		t.Fatal(err)
	}
	return harness{h: h, logs: logs, metrics: m, reg: reg}
}

func (hs harness) do(req *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	hs.h.ServeHTTP(w, req)
	return w
}

func TestSecurityHeadersAndRequestID(t *testing.T) {
	hs := newHarness(t, func(rt *Router) {
		rt.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "hallo") })
	})
	w := hs.do(httptest.NewRequest("GET", "/", nil))
	if w.Code != 200 || w.Body.String() != "hallo" {
		t.Fatalf("got %d %q", w.Code, w.Body)
	}
	h := w.Header()
	csp := h.Get("Content-Security-Policy")
	for _, want := range []string{"script-src 'self'", "frame-ancestors 'self'", "default-src 'none'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q lacks %q", csp, want)
		}
	}
	if strings.Contains(csp, "unsafe-inline") {
		t.Errorf("CSP allows inline code: %q", csp)
	}
	for k, v := range map[string]string{"X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin", "Cache-Control": "no-store"} {
		if h.Get(k) != v {
			t.Errorf("%s = %q, want %q", k, h.Get(k), v)
		}
	}
	if h.Get("Strict-Transport-Security") != "" {
		t.Error("HSTS sent over plain HTTP")
	}
	if len(h.Get("X-Request-Id")) != 24 {
		t.Errorf("request id %q", h.Get("X-Request-Id"))
	}
	// A sane incoming id is kept, a hostile one replaced.
	req := httptest.NewRequest("GET", "/", nil)
	req.Header.Set("X-Request-Id", "abc-123")
	if got := hs.do(req).Header().Get("X-Request-Id"); got != "abc-123" {
		t.Errorf("kept id = %q", got)
	}
	req.Header.Set("X-Request-Id", "<script>\nfoo")
	if got := hs.do(req).Header().Get("X-Request-Id"); got == "<script>\nfoo" {
		t.Error("hostile request id echoed")
	}
	// HSTS over TLS.
	req = httptest.NewRequest("GET", "https://example.org/", nil)
	if hs.do(req).Header().Get("Strict-Transport-Security") == "" {
		t.Error("no HSTS over TLS")
	}
}

func TestNotFoundAndMethodNotAllowed(t *testing.T) {
	hs := newHarness(t, func(rt *Router) {
		rt.HandleFunc("GET /things/{id}", func(w http.ResponseWriter, r *http.Request) {})
	})
	w := hs.do(httptest.NewRequest("GET", "/nothing", nil))
	if w.Code != 404 || w.Header().Get("Content-Type") != "application/problem+json" {
		t.Fatalf("404: %d %s", w.Code, w.Header().Get("Content-Type"))
	}
	var p Problem
	if err := json.Unmarshal(w.Body.Bytes(), &p); err != nil {
		t.Fatal(err)
	}
	if p.Status != 404 || p.Type != "urn:ozgo:problem:not_found" || p.Title != "Seite nicht gefunden" || p.RequestID == "" {
		t.Fatalf("problem %+v", p)
	}
	w = hs.do(httptest.NewRequest("DELETE", "/things/7", nil))
	if w.Code != 405 || w.Header().Get("Allow") != "GET, HEAD" {
		t.Fatalf("405: %d Allow=%q", w.Code, w.Header().Get("Allow"))
	}
}

func TestPanicIsRecoveredWithoutLeak(t *testing.T) {
	hs := newHarness(t, func(rt *Router) {
		rt.HandleFunc("GET /boom", func(w http.ResponseWriter, r *http.Request) { panic("secret internal detail") })
	})
	w := hs.do(httptest.NewRequest("GET", "/boom", nil))
	if w.Code != 500 {
		t.Fatalf("status %d", w.Code)
	}
	if strings.Contains(w.Body.String(), "secret internal detail") {
		t.Fatal("panic value leaked to the client")
	}
	if !strings.Contains(hs.logs.String(), "secret internal detail") || !strings.Contains(hs.logs.String(), `"route":"GET /boom"`) {
		t.Fatalf("panic not logged with route: %s", hs.logs)
	}
}

func TestCrossOriginPostBlocked(t *testing.T) {
	hs := newHarness(t, func(rt *Router) {
		rt.HandleFunc("POST /antrag", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "gespeichert") })
	})
	req := httptest.NewRequest("POST", "/antrag", strings.NewReader("a=b"))
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	w := hs.do(req)
	if w.Code != 403 || strings.Contains(w.Body.String(), "gespeichert") {
		t.Fatalf("cross-site POST: %d %s", w.Code, w.Body)
	}
	if !strings.Contains(w.Body.String(), "nicht von dieser Website") {
		t.Errorf("message not resolved from the catalog: %s", w.Body)
	}
	req = httptest.NewRequest("POST", "/antrag", strings.NewReader("a=b"))
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	if w := hs.do(req); w.Code != 200 {
		t.Fatalf("same-origin POST: %d", w.Code)
	}
	// Non-browser API clients send neither header and pass.
	if w := hs.do(httptest.NewRequest("POST", "/antrag", nil)); w.Code != 200 {
		t.Fatalf("API client POST: %d", w.Code)
	}
}

func TestBodyLimit(t *testing.T) {
	var cat = i18n.MustLoad()
	hs := newHarness(t, func(rt *Router) {
		handler := func(w http.ResponseWriter, r *http.Request) {
			if _, err := io.ReadAll(r.Body); err != nil {
				WriteProblem(w, r, nil, cat, err)
				return
			}
			io.WriteString(w, "ok")
		}
		rt.HandleFunc("POST /small", handler)
		rt.HandleFunc("POST /upload", handler, BodyLimit(4*DefaultBodyLimit))
	})
	big := strings.Repeat("x", DefaultBodyLimit+1)
	if w := hs.do(httptest.NewRequest("POST", "/small", strings.NewReader(big))); w.Code != 413 {
		t.Fatalf("over default limit: %d", w.Code)
	}
	if w := hs.do(httptest.NewRequest("POST", "/upload", strings.NewReader(big))); w.Code != 200 {
		t.Fatalf("upload route under its own limit: %d", w.Code)
	}
}

func TestMetricsByRoutePattern(t *testing.T) {
	hs := newHarness(t, func(rt *Router) {
		rt.HandleFunc("GET /things/{id}", func(w http.ResponseWriter, r *http.Request) {})
	})
	for _, p := range []string{"/things/1", "/things/2", "/nope"} {
		hs.do(httptest.NewRequest("GET", p, nil))
	}
	if got := testutil.ToFloat64(hs.metrics.requests.WithLabelValues("GET", "GET /things/{id}", "200")); got != 2 {
		t.Errorf("route counter = %v, want 2", got)
	}
	if got := testutil.ToFloat64(hs.metrics.requests.WithLabelValues("GET", "unmatched", "404")); got != 1 {
		t.Errorf("unmatched counter = %v, want 1", got)
	}
	if n := testutil.CollectAndCount(hs.metrics.duration); n != 2 {
		t.Errorf("histogram series = %d, want 2", n)
	}
	// The access log carries the pattern, not the raw path.
	if strings.Contains(hs.logs.String(), "/things/1") {
		t.Error("raw path in the access log")
	}
}

func TestWantsJSON(t *testing.T) {
	tests := []struct {
		path, accept string
		want         bool
	}{
		{"/", "text/html,application/xhtml+xml", false},
		{"/api/v1/x", "", true},
		{"/fitconnect/v1/info", "text/html", true},
		{"/x", "application/json", true},
		{"/x", "application/problem+json", true},
		{"/x", "*/*", false},
	}
	for _, tt := range tests {
		r := httptest.NewRequest("GET", tt.path, nil)
		r.Header.Set("Accept", tt.accept)
		if got := WantsJSON(r); got != tt.want {
			t.Errorf("WantsJSON(%s, %q) = %v", tt.path, tt.accept, got)
		}
	}
}

// A request in flight when the stop signal arrives completes, then Serve
// returns nil.
func TestServeGracefulShutdown(t *testing.T) {
	started := make(chan struct{})
	rt := NewRouter(nil, nil)
	rt.HandleFunc("GET /slow", func(w http.ResponseWriter, r *http.Request) {
		close(started)
		time.Sleep(700 * time.Millisecond)
		io.WriteString(w, "fertig")
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	draining := &Draining{}
	done := make(chan error, 1)
	go func() {
		done <- Serve(ctx, NewServer(rt, slog.New(slog.DiscardHandler)), ln, ServeOptions{Draining: draining, ShutdownTimeout: 10 * time.Second, Log: slog.New(slog.DiscardHandler)})
	}()
	type result struct {
		body string
		err  error
	}
	resc := make(chan result, 1)
	go func() {
		resp, err := http.Get("http://" + ln.Addr().String() + "/slow")
		if err != nil {
			resc <- result{err: err}
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		resc <- result{string(b), err}
	}()
	<-started
	stop()
	res := <-resc
	if res.err != nil || res.body != "fertig" {
		t.Fatalf("in-flight request: %q %v", res.body, res.err)
	}
	if err := <-done; err != nil {
		t.Fatalf("Serve returned %v", err)
	}
	if !draining.Is() {
		t.Error("not marked draining")
	}
	if _, err := net.DialTimeout("tcp", ln.Addr().String(), time.Second); err == nil {
		t.Error("still accepting connections after shutdown")
	}
}

func TestServeShutdownTimeout(t *testing.T) {
	rt := NewRouter(nil, nil)
	started := make(chan struct{})
	release := make(chan struct{})
	rt.HandleFunc("GET /stuck", func(w http.ResponseWriter, r *http.Request) {
		close(started)
		<-release
	})
	defer close(release)
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- Serve(ctx, NewServer(rt, slog.New(slog.DiscardHandler)), ln, ServeOptions{ShutdownTimeout: 200 * time.Millisecond, Log: slog.New(slog.DiscardHandler)})
	}()
	go http.Get("http://" + ln.Addr().String() + "/stuck")
	<-started
	stop()
	if err := <-done; err == nil || !strings.Contains(err.Error(), "cut off") {
		t.Fatalf("err = %v", err)
	}
}

func TestRequireBearer(t *testing.T) {
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "metrics") })
	if w := (harness{h: RequireBearer("", ok)}).do(httptest.NewRequest("GET", "/metrics", nil)); w.Code != 200 {
		t.Fatalf("open: %d", w.Code)
	}
	h := RequireBearer("s3cret", ok)
	for auth, want := range map[string]int{"": 401, "Bearer nope": 401, "bearer s3cret": 401, "Bearer s3cret": 200, "Bearer s3cret ": 401} {
		req := httptest.NewRequest("GET", "/metrics", nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != want {
			t.Errorf("Authorization %q: %d, want %d", auth, w.Code, want)
		}
		if w.Code == 401 && w.Header().Get("WWW-Authenticate") == "" {
			t.Error("401 without WWW-Authenticate")
		}
	}
}
