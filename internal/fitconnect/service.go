package fitconnect

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ozgo/ozgo/internal/audit"
	"github.com/ozgo/ozgo/internal/blob"
	"github.com/ozgo/ozgo/internal/crypt"
	"github.com/ozgo/ozgo/internal/store"
)

// CallbackSender delivers one callback: a POST of body to url with the
// given headers. It returns nil only for a 2xx answer. The HTTP client
// lives in httpapi so that this package stays free of net/http.
type CallbackSender interface {
	PostCallback(ctx context.Context, url string, header map[string]string, body []byte) error
}

// Options tune the Zustelldienst. Zero values get the defaults below.
type Options struct {
	// MaxPayload caps one JWE: metadata, data or one attachment.
	MaxPayload int64
	// MaxSubmission caps the sum of all JWEs of one submission.
	MaxSubmission int64
	// InlineMax is the largest payload kept in the database; larger ones
	// go to the blob store.
	InlineMax int64
	// MaxAttachments caps the announced attachments of one submission.
	MaxAttachments int
	// TokenTTL is the lifetime of an access token.
	TokenTTL time.Duration
	// CallbackGiveUp is how long a failing callback is retried.
	CallbackGiveUp time.Duration
	// IncompleteTTL, NotifyAfter and RejectAfter are the deadlines of the
	// status machine: incomplete submissions are deleted, submissions not
	// picked up get a notify event and are finally rejected.
	IncompleteTTL, NotifyAfter, RejectAfter time.Duration
	// AllowHTTPCallbacks accepts http:// callback URLs (tests, local
	// development); the API demands https:// otherwise.
	AllowHTTPCallbacks bool
	// PlainCommits makes the SQLite committer commit on the shared pool
	// with synchronous=FULL, without the pipelined WAL sync (see
	// openWriter): for filesystems where an fsync of the WAL through a
	// second file handle is not trusted, and for comparison.
	PlainCommits bool
	// SigningKeyBits is the size of ozgo's SET signing key.
	SigningKeyBits int
	// Issuer is the iss claim of ozgo's SETs (the public base URL of the API).
	Issuer string
	// Registerer receives the Prometheus metrics (nil: not registered).
	Registerer prometheus.Registerer
	// Callbacks posts callbacks; nil leaves callback jobs waiting.
	Callbacks CallbackSender
	// Log is the logger (nil: slog.Default()).
	Log *slog.Logger
	// Now is the clock; tests replace it.
	Now func() time.Time
}

// Defaults.
const (
	DefaultMaxPayload     = 32 << 20
	DefaultMaxSubmission  = 128 << 20
	DefaultInlineMax      = 256 << 10
	DefaultMaxAttachments = 1000
	DefaultTokenTTL       = 30 * time.Minute
	DefaultCallbackGiveUp = 24 * time.Hour
	DefaultIncompleteTTL  = 24 * time.Hour
	DefaultNotifyAfter    = 3 * 24 * time.Hour
	DefaultRejectAfter    = 14 * 24 * time.Hour
	// DefaultSigningKeyBits: PS512 with 3072 bits is about 128-bit
	// security and signs in a few milliseconds; SETs are signed once and
	// stored, off the send path.
	DefaultSigningKeyBits = 3072
)

func (o *Options) defaults() {
	setI := func(p *int64, d int64) {
		if *p <= 0 {
			*p = d
		}
	}
	setD := func(p *time.Duration, d time.Duration) {
		if *p <= 0 {
			*p = d
		}
	}
	setI(&o.MaxPayload, DefaultMaxPayload)
	setI(&o.MaxSubmission, DefaultMaxSubmission)
	setI(&o.InlineMax, DefaultInlineMax)
	if o.MaxAttachments <= 0 {
		o.MaxAttachments = DefaultMaxAttachments
	}
	setD(&o.TokenTTL, DefaultTokenTTL)
	setD(&o.CallbackGiveUp, DefaultCallbackGiveUp)
	setD(&o.IncompleteTTL, DefaultIncompleteTTL)
	setD(&o.NotifyAfter, DefaultNotifyAfter)
	setD(&o.RejectAfter, DefaultRejectAfter)
	if o.SigningKeyBits <= 0 {
		o.SigningKeyBits = DefaultSigningKeyBits
	}
	if o.Issuer == "" {
		o.Issuer = "urn:ozgo:fitconnect"
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
}

// Service is the Zustelldienst.
type Service struct {
	db    *store.DB
	keys  *crypt.Keyring
	blobs blob.Store
	audit *audit.Log
	opt   Options
	log   *slog.Logger

	tokenKey []byte
	tokens   tokenCache
	stmts    stmtCache // on db, for reads
	// groupTx and groupStmts: the statements prepared in the committer's
	// current transaction (SQLite; only the committer goroutine uses them).
	groupTx    *store.Tx
	groupStmts map[string]*sql.Stmt
	targets    targetCache
	keySizes   sync.Map // destination id + kid -> modulus bytes

	signMu sync.Mutex
	signer *signingKey

	// commits queues write transactions for the SQLite group committer
	// (see inTx).
	commitOnce sync.Once
	commits    chan txOp
	walPath    string

	givenUp   prometheus.Counter
	delivered prometheus.Counter
	failed    prometheus.Counter
}

// New returns the Zustelldienst on db. blobs takes large payloads;
// auditLog records submissions and administrative changes.
func New(db *store.DB, keys *crypt.Keyring, blobs blob.Store, auditLog *audit.Log, opt Options) *Service {
	opt.defaults()
	s := &Service{
		db: db, keys: keys, blobs: blobs, audit: auditLog, opt: opt, log: opt.Log,
		tokenKey: keys.DeriveKey("fitconnect-access-token-v1"),
		givenUp: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "ozgo_fitconnect_callbacks_given_up_total",
			Help: "Callbacks to destinations or senders abandoned after retrying for the configured time.",
		}),
		delivered: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "ozgo_fitconnect_callbacks_delivered_total",
			Help: "Callbacks answered with 2xx.",
		}),
		failed: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "ozgo_fitconnect_callback_attempts_failed_total",
			Help: "Callback attempts that failed and will be retried.",
		}),
	}
	if opt.Registerer != nil {
		opt.Registerer.MustRegister(s.givenUp, s.delivered, s.failed)
	}
	return s
}

// Options returns the effective options (after defaults).
func (s *Service) Options() Options { return s.opt }

func (s *Service) now() time.Time { return s.opt.Now().UTC() }

// newUUID returns a random (version 4) UUID, the id form of the API.
func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	var out [36]byte
	hex.Encode(out[0:8], b[0:4])
	out[8] = '-'
	hex.Encode(out[9:13], b[4:6])
	out[13] = '-'
	hex.Encode(out[14:18], b[6:8])
	out[18] = '-'
	hex.Encode(out[19:23], b[8:10])
	out[23] = '-'
	hex.Encode(out[24:36], b[10:16])
	return string(out[:])
}

// ValidUUID reports whether s is a UUID in the canonical 8-4-4-4-12 form.
// Ids from URLs are checked before any lookup.
func ValidUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < 36; i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
				return false
			}
		}
	}
	return true
}

// OptionsFromEnv reads the operator's settings from the environment:
// OZGO_FITCONNECT_MAX_PAYLOAD and OZGO_FITCONNECT_MAX_SUBMISSION (bytes),
// OZGO_FITCONNECT_CALLBACK_GIVE_UP (a duration such as 24h) and, for
// development, OZGO_FITCONNECT_INSECURE_CALLBACKS=1, and
// OZGO_FITCONNECT_PLAIN_COMMITS=1 (see Options.PlainCommits). Unset values
// keep the defaults.
func OptionsFromEnv(getenv func(string) string) (Options, error) {
	var o Options
	for _, v := range []struct {
		name string
		dst  *int64
	}{{"OZGO_FITCONNECT_MAX_PAYLOAD", &o.MaxPayload}, {"OZGO_FITCONNECT_MAX_SUBMISSION", &o.MaxSubmission}} {
		if s := getenv(v.name); s != "" {
			n, err := strconv.ParseInt(s, 10, 64)
			if err != nil || n <= 0 {
				return o, fmt.Errorf("%s must be a positive number of bytes, not %q", v.name, s)
			}
			*v.dst = n
		}
	}
	o.PlainCommits = getenv("OZGO_FITCONNECT_PLAIN_COMMITS") == "1"
	// For development and tests only: callbacks to plain-HTTP receivers.
	o.AllowHTTPCallbacks = getenv("OZGO_FITCONNECT_INSECURE_CALLBACKS") == "1"
	if s := getenv("OZGO_FITCONNECT_CALLBACK_GIVE_UP"); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil || d <= 0 {
			return o, fmt.Errorf("OZGO_FITCONNECT_CALLBACK_GIVE_UP must be a positive duration such as 24h, not %q", s)
		}
		o.CallbackGiveUp = d
	}
	return o, nil
}

// inTx runs fn in a write transaction. On PostgreSQL that is simply a
// transaction. On SQLite, write transactions of this process are grouped:
// one goroutine runs whatever is queued in one transaction and commits
// once. SQLite allows one writer at a time and every commit costs an
// fsync; grouping turns a queue of commits into one, and nothing is
// acknowledged before it is committed. When one fn fails, the whole group
// is rolled back, that fn gets its error and the others run again in a new
// transaction: so fn must be safe to run more than once (it may only set
// variables of its caller, no other side effects). fn gets a context that
// is not cancelled with the request, so a client going away cannot
// interrupt a transaction shared with others.
func (s *Service) inTx(ctx context.Context, fn func(ctx context.Context, tx *store.Tx) error) error {
	if s.db.Engine() != store.SQLite {
		return s.db.InTx(ctx, func(tx *store.Tx) error { return fn(ctx, tx) })
	}
	s.commitOnce.Do(func() {
		s.commits = make(chan txOp, 256)
		go s.committer()
	})
	op := txOp{ctx: context.WithoutCancel(ctx), fn: fn, done: make(chan error, 1)}
	select {
	case s.commits <- op:
	case <-ctx.Done():
		return ctx.Err()
	}
	return <-op.done
}

// txOp is one queued write transaction.
type txOp struct {
	ctx  context.Context
	fn   func(ctx context.Context, tx *store.Tx) error
	done chan error
}

// maxGroup bounds a group so one commit does not wait for too much work.
const maxGroup = 128

func (s *Service) committer() {
	wdb, wal := s.openWriter()
	var syncs chan []answer
	if wal != nil {
		syncs = make(chan []answer, 64)
		go s.syncer(wal, syncs)
	}
	for op := range s.commits {
		group := []txOp{op}
	drain:
		for len(group) < maxGroup {
			select {
			case o := <-s.commits:
				group = append(group, o)
			default:
				break drain
			}
		}
		answers := s.commitGroup(wdb, group)
		if syncs == nil {
			deliver(answers) // COMMIT synced (synchronous=FULL)
			continue
		}
		// Failures wait for the sync too: one may follow from work of an
		// earlier group that is not yet durable ("already submitted").
		syncs <- answers
	}
}

// answer is the outcome of one queued transaction.
type answer struct {
	op  txOp
	err error
}

func deliver(as []answer) {
	for _, a := range as {
		a.op.done <- a.err
	}
}

// openWriter prepares the committer's own connection: synchronous=NORMAL,
// so COMMIT does not wait for the disk, and the WAL file, which the
// syncer fsyncs before anything is acknowledged. While one group waits
// for its fsync, the next one already runs: that overlap is most of the
// grouped throughput. Durability of acknowledged work is unchanged (the
// WAL is append-only and synced up to and past every acknowledged commit);
// the price is that, only after a power failure, work that other requests
// had already seen but whose sender had not yet been answered can be lost.
// If anything here fails, the committer uses the shared pool with
// synchronous=FULL.
func (s *Service) openWriter() (*store.DB, *os.File) {
	path, ok := strings.CutPrefix(s.db.String(), "sqlite:")
	if !ok || s.opt.PlainCommits {
		return s.db, nil
	}
	ctx := context.Background()
	wdb, err := store.Open(ctx, store.Options{URL: "file:" + path})
	if err != nil {
		s.log.Warn("fitconnect: no dedicated writer connection; commits sync one by one", "err", err)
		return s.db, nil
	}
	wdb.SQL().SetMaxOpenConns(1)
	wdb.SQL().SetMaxIdleConns(1)
	wdb.SQL().SetConnMaxIdleTime(0)
	var mode int
	if _, err = wdb.ExecContext(ctx, `PRAGMA synchronous = NORMAL`); err == nil {
		err = wdb.QueryRowContext(ctx, `PRAGMA synchronous`).Scan(&mode)
	}
	var wal *os.File
	if err == nil && mode == 1 {
		// A read makes sure the WAL file exists before it is opened.
		var n int
		if err = wdb.QueryRowContext(ctx, `SELECT COUNT(*) FROM fc_signing_keys`).Scan(&n); err == nil {
			wal, err = os.OpenFile(path+"-wal", os.O_RDWR, 0)
		}
	}
	if err != nil || wal == nil {
		s.log.Warn("fitconnect: no dedicated writer connection; commits sync one by one", "err", err)
		wdb.Close()
		return s.db, nil
	}
	s.walPath = path + "-wal"
	return wdb, wal
}

// syncer fsyncs the WAL for committed groups, several at once when they
// queue up, and only then answers their requests.
func (s *Service) syncer(wal *os.File, syncs chan []answer) {
	for g := range syncs {
		groups := [][]answer{g}
	drain:
		for {
			select {
			case more := <-syncs:
				groups = append(groups, more)
			default:
				break drain
			}
		}
		var err error
		wal, err = s.syncWAL(wal)
		if err != nil {
			s.log.Error("fitconnect: WAL fsync failed; committed submissions are answered with an error", "err", err)
		}
		for _, g := range groups {
			for i := range g {
				if g[i].err == nil {
					g[i].err = err
				}
			}
			deliver(g)
		}
	}
}

// syncWAL fsyncs the WAL file, reopening it first if SQLite replaced it
// (which it does only after every connection was closed).
func (s *Service) syncWAL(wal *os.File) (*os.File, error) {
	if cur, err := os.Stat(s.walPath); err == nil {
		if open, err := wal.Stat(); err != nil || !os.SameFile(cur, open) {
			if f, err := os.OpenFile(s.walPath, os.O_RDWR, 0); err == nil {
				wal.Close()
				wal = f
			}
		}
	}
	return wal, wal.Sync()
}

// errOpFailed aborts a group transaction after one of its fns failed.
var errOpFailed = errors.New("fitconnect: grouped transaction failed")

// commitGroup runs a group in one transaction on db. A failing member
// gets its error and the rest runs again. It returns every member's
// answer.
func (s *Service) commitGroup(db *store.DB, pending []txOp) []answer {
	ctx := context.Background()
	answers := make([]answer, 0, len(pending))
	for len(pending) > 0 {
		failed, opErr := -1, error(nil)
		err := db.InTx(ctx, func(tx *store.Tx) error {
			// Statements prepared in an earlier transaction are closed.
			s.groupTx, s.groupStmts = tx, map[string]*sql.Stmt{}
			defer func() { s.groupTx, s.groupStmts = nil, nil }()
			for i, op := range pending {
				if err := runOp(op, tx); err != nil {
					failed, opErr = i, err
					return errOpFailed
				}
			}
			return nil
		})
		if failed >= 0 {
			answers = append(answers, answer{pending[failed], opErr})
			pending = append(pending[:failed:failed], pending[failed+1:]...)
			continue
		}
		for _, op := range pending {
			answers = append(answers, answer{op, err})
		}
		return answers
	}
	return answers
}

// runOp runs one fn, turning a panic into an error so the group goes on.
func runOp(op txOp, tx *store.Tx) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("fitconnect: panic in transaction: %v", p)
		}
	}()
	return op.fn(op.ctx, tx)
}
