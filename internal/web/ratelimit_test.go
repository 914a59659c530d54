package web

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/ozgo/ozgo/internal/errs"
	"github.com/ozgo/ozgo/internal/identity"
)

func TestRateLimit(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	lim := &identity.RateLimiter{Rate: 1, Burst: 3, Now: func() time.Time { return now }}
	u := &UI{}
	var got error
	h := u.RateLimit([]LimitRule{{Prefixes: []string{"/anmelden/"}, Limiter: lim}}, func(w http.ResponseWriter, r *http.Request, err error) {
		got = err
		w.WriteHeader(http.StatusTooManyRequests)
	}, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	req := func(path, addr string) int {
		r := httptest.NewRequest("POST", path, nil)
		r.RemoteAddr = addr
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w.Code
	}
	for i := 0; i < 3; i++ {
		if c := req("/anmelden/bundid", "192.0.2.1:1000"); c != 200 {
			t.Fatalf("request %d: %d", i, c)
		}
	}
	if c := req("/anmelden/bundid", "192.0.2.1:1001"); c != http.StatusTooManyRequests || !errs.Is(got, errs.TooManyRequests) {
		t.Errorf("4th request: %d %v", c, got)
	}
	if c := req("/anmelden/bundid", "192.0.2.2:1000"); c != 200 {
		t.Errorf("other address: %d", c)
	}
	if c := req("/suche", "192.0.2.1:1000"); c != 200 {
		t.Errorf("other path: %d", c)
	}
	now = now.Add(time.Second)
	if c := req("/anmelden/bundid", "192.0.2.1:1000"); c != 200 {
		t.Errorf("after a second: %d", c)
	}
}
