package identity

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"time"

	"github.com/ozgo/ozgo/internal/audit"
	"github.com/ozgo/ozgo/internal/crypt"
	"github.com/ozgo/ozgo/internal/store"
)

func fmtTime(t time.Time) string { return store.FormatTime(t) }

func parseTime(s string) time.Time { return store.ParseTime(s) }

// Timeouts of sessions and login requests.
const (
	// CitizenIdle ends a citizen session after this long without a request.
	CitizenIdle = 30 * time.Minute
	// CitizenMax ends a citizen session this long after login.
	CitizenMax = 12 * time.Hour
	// StaffIdle and StaffMax are the same for staff.
	StaffIdle = 60 * time.Minute
	StaffMax  = 10 * time.Hour
	// LoginRequestTTL is how long an external login may take.
	LoginRequestTTL = 15 * time.Minute
	// pending2FATTL is how long a staff member has to enter the second
	// factor after the password.
	pending2FATTL = 5 * time.Minute
)

// Service is the identity domain: persons, sessions, staff, organisations,
// mandates and login throttling on one database.
type Service struct {
	DB    *store.DB
	Keys  *crypt.Keyring
	Audit *audit.Log
	// Now is the clock; tests replace it.
	Now func() time.Time
	// Throttle limits failed logins; zero values take the defaults.
	Throttle Throttle
}

// NewService returns a Service.
func NewService(db *store.DB, keys *crypt.Keyring, log *audit.Log) *Service {
	return &Service{DB: db, Keys: keys, Audit: log, Now: time.Now}
}

func (s *Service) now() time.Time {
	if s.Now == nil {
		return time.Now()
	}
	return s.Now()
}

// newID returns 128 random bits in hex: unguessable object ids.
func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// NewToken returns 256 random bits in URL-safe hex, for cookies and
// one-time secrets.
func NewToken() string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// hashToken is how tokens are stored: only their SHA-256.
func hashToken(tok string) string {
	h := sha256.Sum256([]byte(tok))
	return hex.EncodeToString(h[:])
}
