package identity

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"math"
	"strings"
	"sync"
	"time"

	"github.com/ozgo/ozgo/internal/errs"
)

// Throttle limits failed logins. Failures are counted in the database, so
// every ozgo process sees the same counts, under keyed hashes of the
// account and the client address (no plain addresses are stored).
type Throttle struct {
	// PerAccount and PerAddress are how many failures are allowed within
	// Window; the next attempt is refused until the oldest one ages out.
	PerAccount int
	PerAddress int
	Window     time.Duration
}

// Defaults: 20 failures a minute per account and per address.
const (
	DefaultFailuresPerAccount = 20
	DefaultFailuresPerAddress = 20
	DefaultThrottleWindow     = time.Minute
)

func (t Throttle) withDefaults() Throttle {
	if t.PerAccount <= 0 {
		t.PerAccount = DefaultFailuresPerAccount
	}
	if t.PerAddress <= 0 {
		t.PerAddress = DefaultFailuresPerAddress
	}
	if t.Window <= 0 {
		t.Window = DefaultThrottleWindow
	}
	return t
}

func (s *Service) throttleKeys(account, addr string) (acct, ip string) {
	k := s.Keys.DeriveKey("login-throttle-v1")
	h := func(prefix, v string) string {
		m := hmac.New(sha256.New, k)
		m.Write([]byte(v))
		return prefix + hex.EncodeToString(m.Sum(nil))[:32]
	}
	return h("acct:", strings.ToLower(strings.TrimSpace(account))), h("ip:", addr)
}

// CheckThrottle refuses a login attempt while account or addr has too
// many recent failures, with a message saying how long to wait.
func (s *Service) CheckThrottle(ctx context.Context, account, addr string) error {
	t := s.Throttle.withDefaults()
	acct, ip := s.throttleKeys(account, addr)
	now := s.now()
	since := fmtTime(now.Add(-t.Window))
	wait := time.Duration(0)
	for _, c := range []struct {
		key   string
		limit int
	}{{acct, t.PerAccount}, {ip, t.PerAddress}} {
		if c.key == "ip:" || (c.key == acct && account == "") {
			continue
		}
		var n int
		var oldest string
		err := s.DB.QueryRowContext(ctx, `SELECT COUNT(*), COALESCE(MIN(at), '') FROM login_failures WHERE key = ? AND at > ?`, c.key, since).Scan(&n, &oldest)
		if err != nil {
			return err
		}
		if n >= c.limit {
			// The attempt that pushes the count below the limit again is
			// the one after the (n-limit+1)th oldest ages out; the oldest
			// is a fair, simple bound.
			if w := parseTime(oldest).Add(t.Window).Sub(now); w > wait {
				wait = w
			}
		}
	}
	if wait > 0 {
		secs := int(math.Ceil(wait.Seconds()))
		if secs < 1 {
			secs = 1
		}
		e := errs.K(errs.TooManyRequests, "identity.login.throttled", secs)
		return e
	}
	return nil
}

// RecordFailure counts a failed login for account and addr.
func (s *Service) RecordFailure(ctx context.Context, account, addr string) error {
	t := s.Throttle.withDefaults()
	acct, ip := s.throttleKeys(account, addr)
	now := s.now()
	if _, err := s.DB.ExecContext(ctx, `DELETE FROM login_failures WHERE at < ?`, fmtTime(now.Add(-t.Window*10))); err != nil {
		return err
	}
	for _, k := range []string{acct, ip} {
		if _, err := s.DB.ExecContext(ctx, `INSERT INTO login_failures (key, at) VALUES (?, ?)`, k, fmtTime(now)); err != nil {
			return err
		}
	}
	return nil
}

// RateLimiter is an in-memory token bucket per key (a client address),
// for lookup endpoints where a shared count is not worth a database
// write per request. Each process limits on its own.
type RateLimiter struct {
	// Rate is the sustained number of requests per second; Burst how many
	// may come at once.
	Rate  float64
	Burst float64
	Now   func() time.Time

	mu      sync.Mutex
	buckets map[string]*bucket
	sweep   time.Time
}

type bucket struct {
	tokens float64
	at     time.Time
}

// Allow takes one token for key and says whether the request may pass,
// and if not, after how long it would.
func (l *RateLimiter) Allow(key string) (bool, time.Duration) {
	now := time.Now()
	if l.Now != nil {
		now = l.Now()
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.buckets == nil {
		l.buckets = map[string]*bucket{}
	}
	if now.Sub(l.sweep) > time.Minute {
		// Forget full buckets so memory stays bounded by active clients.
		for k, b := range l.buckets {
			if b.tokens+now.Sub(b.at).Seconds()*l.Rate >= l.Burst {
				delete(l.buckets, k)
			}
		}
		l.sweep = now
	}
	b := l.buckets[key]
	if b == nil {
		b = &bucket{tokens: l.Burst, at: now}
		l.buckets[key] = b
	}
	b.tokens = math.Min(l.Burst, b.tokens+now.Sub(b.at).Seconds()*l.Rate)
	b.at = now
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	return false, time.Duration((1 - b.tokens) / l.Rate * float64(time.Second))
}
