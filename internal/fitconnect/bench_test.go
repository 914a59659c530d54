package fitconnect_test

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/ozgo/ozgo/internal/store/dbtest"
)

// BenchmarkSendPath measures complete submissions over HTTP on loopback:
// create with two announced attachments, upload both, submit. Payloads are
// encrypted once before the timed loop (the server never decrypts). It
// reports submissions/s and p50/p99 latency of one whole submission, and
// the same four requests against a trivial net/http handler as the
// baseline of this machine.
//
//	go test ./internal/fitconnect -run XXX -bench SendPath -benchtime 5000x
func BenchmarkSendPath(b *testing.B) {
	b.Run("sqlite", func(b *testing.B) {
		su := newSetup(b, startServer(b, ""))
		runSends(b, func() bool { err, _, _, _ := su.trySend(2); return err == nil })
	})
	b.Run("sqlite-plain-commits", func(b *testing.B) {
		b.Setenv("OZGO_FITCONNECT_PLAIN_COMMITS", "1")
		su := newSetup(b, startServer(b, ""))
		runSends(b, func() bool { err, _, _, _ := su.trySend(2); return err == nil })
	})
	b.Run("postgres", func(b *testing.B) {
		su := newSetup(b, startServer(b, dbtest.PostgresSchemaURL(b)))
		runSends(b, func() bool { err, _, _, _ := su.trySend(2); return err == nil })
	})
	b.Run("trivial-net-http", func(b *testing.B) {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.Copy(io.Discard, r.Body)
			w.WriteHeader(http.StatusNoContent)
		}))
		defer srv.Close()
		c := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
		att := bytes.Repeat([]byte("A"), 1700) // the size of the attachment JWE
		sub := bytes.Repeat([]byte("A"), 1900) // metadata + data JSON
		req := func(method string, body []byte) bool {
			r, _ := http.NewRequest(method, srv.URL+"/x", bytes.NewReader(body))
			r.Header.Set("Authorization", "Bearer x")
			resp, err := c.Do(r)
			if err != nil {
				return false
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			return resp.StatusCode == 204
		}
		runSends(b, func() bool {
			return req("POST", []byte(`{"destinationId":"x"}`)) && req("PUT", att) && req("PUT", att) && req("PUT", sub)
		})
	})
}

// benchParallelism × GOMAXPROCS clients send at once: many online
// services and form submissions arrive together.
const benchParallelism = 32

// runSends runs send b.N times from concurrent clients and reports
// throughput and latency percentiles.
func runSends(b *testing.B, send func() bool) {
	b.SetParallelism(benchParallelism)
	var mu sync.Mutex
	var lat []time.Duration
	failed := 0
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		var mine []time.Duration
		bad := 0
		for pb.Next() {
			t0 := time.Now()
			if !send() {
				bad++
			}
			mine = append(mine, time.Since(t0))
		}
		mu.Lock()
		lat = append(lat, mine...)
		failed += bad
		mu.Unlock()
	})
	elapsed := time.Since(start)
	b.StopTimer()
	if failed > 0 {
		b.Fatalf("%d of %d sends failed", failed, len(lat))
	}
	slices.Sort(lat)
	pct := func(p float64) float64 {
		if len(lat) == 0 {
			return 0
		}
		return float64(lat[int(p*float64(len(lat)-1))].Microseconds()) / 1000
	}
	b.ReportMetric(float64(len(lat))/elapsed.Seconds(), "submissions/s")
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
}
