package fitconnect

import (
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"log/slog"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/ozgo/ozgo/internal/audit"
	"github.com/ozgo/ozgo/internal/blob"
	"github.com/ozgo/ozgo/internal/crypt"
	"github.com/ozgo/ozgo/internal/errs"
	"github.com/ozgo/ozgo/internal/store"
	"github.com/ozgo/ozgo/internal/store/dbtest"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func testKeys(t testing.TB) (*rsa.PrivateKey, *rsa.PrivateKey) {
	t.Helper()
	raw, err := os.ReadFile("testdata/test-keys.pem")
	if err != nil {
		t.Fatal(err)
	}
	var keys []*rsa.PrivateKey
	for {
		var b *pem.Block
		if b, raw = pem.Decode(raw); b == nil {
			break
		}
		k, err := x509.ParsePKCS1PrivateKey(b.Bytes)
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, k)
	}
	return keys[0], keys[1]
}

type fixture struct {
	svc   *Service
	clk   *clock
	db    *store.DB
	enc   *rsa.PrivateKey
	owner Principal
	reg   *prometheus.Registry
}

func newFixture(t *testing.T, db *store.DB, opt Options) *fixture {
	t.Helper()
	mk := make([]byte, 32)
	for i := range mk {
		mk[i] = byte(i)
	}
	kr, err := crypt.NewKeyring(mk)
	if err != nil {
		t.Fatal(err)
	}
	fs, err := blob.NewFS(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	clk := &clock{t: time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)}
	reg := prometheus.NewRegistry()
	opt.Now, opt.Registerer, opt.SigningKeyBits = clk.now, reg, 2048
	opt.Log = slog.New(slog.DiscardHandler)
	svc := New(db, kr, blob.NewEncrypted(fs, kr), audit.New(db, kr), opt)
	enc, _ := testKeys(t)
	return &fixture{svc: svc, clk: clk, db: db, enc: enc, reg: reg,
		owner: Principal{ClientID: "owner", Scopes: []string{ScopeCreateDestination}}}
}

// destination creates and activates a destination for testService in regions.
func (f *fixture) destination(t *testing.T, regions ...string) *Destination {
	t.Helper()
	enc, sig := testKeys(t)
	ek := PublicJWK(&enc.PublicKey, "enc-"+newUUID(), AlgKeyWrap)
	sk := PublicJWK(&sig.PublicKey, "sig-"+newUUID(), AlgSign)
	d, err := f.svc.CreateDestination(context.Background(), f.owner, DestinationInput{
		Contact:       &ContactInformation{LegalName: "Gemeinde", Address: "Markt 1", Phone: "1", Email: "a@example.org"},
		Services:      []DestinationService{{Identifier: LeikaPrefix + "99108008006000", Regions: regions, SubmissionSchemas: []SubmissionSchema{{MimeType: "application/json", SchemaURI: "https://example.org/s.json"}}}},
		EncryptionKid: &ek.Kid, EncryptionPublicKey: &ek, SigningPublicKey: &sk, MetadataVersions: []string{"2.1.0"},
		Callback: &CallbackConfig{URL: "https://fachverfahren.example.org/cb", Secret: "0123456789abcdef0123456789abcdef"},
	})
	if err != nil {
		t.Fatal(err)
	}
	active := DestinationActive
	if _, err := f.svc.PatchDestination(context.Background(), f.owner, d.ID, DestinationInput{Status: &active}); err != nil {
		t.Fatal(err)
	}
	return d
}

func (f *fixture) encrypt(t *testing.T, d *Destination, cty string, plain string) string {
	t.Helper()
	k, err := f.svc.GetKey(context.Background(), d.ID, d.EncryptionKid)
	if err != nil {
		t.Fatal(err)
	}
	s, err := Encrypt([]byte(plain), k, cty)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestRoute(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db, Options{})
		ctx := context.Background()
		land := f.destination(t, "DE08")
		kreis := f.destination(t, "DE08416")
		gemeinde := f.destination(t, "DE08416041", "DE08416048")
		inactive := f.destination(t, "DE084160410")
		st := DestinationInactive
		if _, err := f.svc.PatchDestination(ctx, f.owner, inactive.ID, DestinationInput{Status: &st}); err != nil {
			t.Fatal(err)
		}
		for ars, want := range map[string]string{
			"084160410041": gemeinde.ID, // Gemeinde 08416041 (12-digit ARS of a Gemeinde in the Verband)
			"08416041":     gemeinde.ID,
			"084160480048": gemeinde.ID,
			"084160000000": kreis.ID,
			"08416":        kreis.ID,
			"081110000000": land.ID,
			"08":           land.ID,
		} {
			d, err := f.svc.Route(ctx, "99108008006000", ars)
			if err != nil || d.ID != want {
				t.Errorf("Route(%s) = %v, %v; want %s", ars, d, err, want)
			}
		}
		if _, err := f.svc.Route(ctx, "99108008006000", "091620000000"); !errs.Is(err, errs.NotFound) {
			t.Errorf("Bayern: %v, want NotFound", err)
		}
		if _, err := f.svc.Route(ctx, "99999999999999", "08416041"); !errs.Is(err, errs.NotFound) {
			t.Errorf("other Leistung: %v, want NotFound", err)
		}
		if _, err := f.svc.Route(ctx, "99108008006000", "08x"); !errs.Is(err, errs.Invalid) {
			t.Errorf("bad ARS: %v, want Invalid", err)
		}
	})
}

// fakeCallbacks fails the first n calls.
type fakeCallbacks struct {
	mu    sync.Mutex
	fail  int
	calls []map[string]string
}

func (c *fakeCallbacks) PostCallback(ctx context.Context, url string, h map[string]string, body []byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls = append(c.calls, h)
	if len(c.calls) <= c.fail {
		return errors.New("connection refused")
	}
	return nil
}

func countRows(t *testing.T, db *store.DB, q string, args ...any) int {
	t.Helper()
	var n int
	if err := db.QueryRowContext(context.Background(), q, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestSendInternalDeadlinesAndCallbacks(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, db *store.DB) {
		cb := &fakeCallbacks{fail: 2}
		f := newFixture(t, db, Options{Callbacks: cb, CallbackGiveUp: time.Hour})
		ctx := context.Background()
		d := f.destination(t, "DE08416")
		att := newUUID()
		subID, caseID, err := f.svc.SendInternal(ctx, SendRequest{ServiceURN: "99108008006000", RegionARS: "084160410041",
			EncryptedMetadata: f.encrypt(t, d, "application/json", `{}`), EncryptedData: f.encrypt(t, d, "application/json", `{"a":1}`),
			Attachments: []SendAttachment{{ID: att, JWE: f.encrypt(t, d, "application/pdf", "pdf")}}})
		if err != nil {
			t.Fatal(err)
		}
		items, total, err := f.svc.ListForPickup(ctx, f.owner, d.ID, Page{Limit: 10})
		if err != nil || total != 1 || items[0].SubmissionID != subID || items[0].CaseID != caseID {
			t.Fatalf("pickup: %v %d %v", items, total, err)
		}
		// Callback: fails twice, then delivered; backoff moves run_at on.
		for range 3 {
			if _, err := f.svc.RunOnce(ctx); err != nil {
				t.Fatal(err)
			}
			f.clk.add(time.Hour / 2)
		}
		if len(cb.calls) != 3 {
			t.Fatalf("callback attempts %d, want 3", len(cb.calls))
		}
		if h := cb.calls[2]; h["Callback-Authentication"] == "" || h["Callback-Timestamp"] == "" {
			t.Fatalf("callback headers %v", h)
		}
		if got := testutil.ToFloat64(f.svc.delivered); got != 1 {
			t.Errorf("delivered %v", got)
		}
		// Not picked up: notify after 3 days, reject after 14.
		f.clk.add(3 * 24 * time.Hour)
		if _, err := f.svc.RunOnce(ctx); err != nil {
			t.Fatal(err)
		}
		if n := countRows(t, db, `SELECT COUNT(*) FROM fc_events WHERE submission_id = ? AND event = ?`, subID, EventNotifySubmission); n != 1 {
			t.Fatalf("notify events %d", n)
		}
		f.clk.add(11 * 24 * time.Hour)
		if _, err := f.svc.RunOnce(ctx); err != nil {
			t.Fatal(err)
		}
		if n := countRows(t, db, `SELECT COUNT(*) FROM fc_submissions WHERE id = ? AND status = 'rejected'`, subID); n != 1 {
			t.Fatal("not rejected after 14 days")
		}
		log, total, err := f.svc.EventLog(ctx, f.owner, caseID, Page{Limit: 100})
		if err != nil || total != 4 || len(log) != 4 {
			t.Fatalf("event log: %d %v", total, err)
		}
		for _, tok := range log {
			if tok == "" {
				t.Fatal("unsigned event in the log")
			}
		}

		// Incomplete submissions are deleted after a day.
		c, err := f.svc.CreateSubmission(ctx, Principal{ClientID: "x", internal: true}, CreateSubmission{DestinationID: d.ID,
			ServiceType: ServiceType{Identifier: LeikaPrefix + "99108008006000"}, AnnouncedAttachments: []string{newUUID()}})
		if err != nil {
			t.Fatal(err)
		}
		f.clk.add(25 * time.Hour)
		if _, err := f.svc.RunOnce(ctx); err != nil {
			t.Fatal(err)
		}
		if n := countRows(t, db, `SELECT COUNT(*) FROM fc_submissions WHERE id = ? AND status = 'deleted'`, c.SubmissionID); n != 1 {
			t.Fatal("incomplete submission not deleted")
		}
		if n := countRows(t, db, `SELECT COUNT(*) FROM fc_attachments WHERE submission_id = ?`, c.SubmissionID); n != 0 {
			t.Fatal("attachments of a deleted submission kept")
		}
	})
}

func TestCallbackGivesUp(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, db *store.DB) {
		cb := &fakeCallbacks{fail: 1000}
		f := newFixture(t, db, Options{Callbacks: cb, CallbackGiveUp: 10 * time.Minute})
		ctx := context.Background()
		d := f.destination(t, "DE08")
		if _, _, err := f.svc.SendInternal(ctx, SendRequest{Destination: d.ID, ServiceURN: LeikaPrefix + "99108008006000",
			EncryptedMetadata: f.encrypt(t, d, "application/json", `{}`)}); err != nil {
			t.Fatal(err)
		}
		for range 20 {
			if _, err := f.svc.RunOnce(ctx); err != nil {
				t.Fatal(err)
			}
			f.clk.add(time.Minute)
		}
		if got := testutil.ToFloat64(f.svc.givenUp); got != 1 {
			t.Fatalf("given up %v, want 1", got)
		}
		if n := countRows(t, db, `SELECT COUNT(*) FROM fc_jobs WHERE kind = ?`, jobCallbackDestination); n != 0 {
			t.Fatalf("%d callback jobs left", n)
		}
		if len(cb.calls) < 3 || len(cb.calls) > 12 {
			t.Errorf("%d attempts in 20 minutes: backoff not applied?", len(cb.calls))
		}
	})
}

// TestClaimIsExclusive runs several claimers at once: no job may be
// handed out twice (SKIP LOCKED on PostgreSQL, the write lock on SQLite).
func TestClaimIsExclusive(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db, Options{})
		ctx := context.Background()
		err := db.InTx(ctx, func(tx *store.Tx) error {
			for range 200 {
				if err := f.svc.addJob(ctx, tx, "test", newUUID(), f.clk.now(), f.clk.now()); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		var mu sync.Mutex
		seen := map[int64]bool{}
		var wg sync.WaitGroup
		for range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					jobs, err := f.svc.claim(ctx, 7)
					if err != nil {
						t.Error(err)
						return
					}
					if len(jobs) == 0 {
						return
					}
					mu.Lock()
					for _, j := range jobs {
						if seen[j.id] {
							t.Errorf("job %d claimed twice", j.id)
						}
						seen[j.id] = true
					}
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		if len(seen) != 200 {
			t.Fatalf("claimed %d of 200", len(seen))
		}
	})
}

func TestClientsAndTokens(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db, Options{TokenTTL: time.Minute})
		ctx := context.Background()
		if _, err := f.svc.CreateClient(ctx, "test", "x", "", []string{"send:region:08"}); !errs.Is(err, errs.Invalid) {
			t.Fatalf("bad scope accepted: %v", err)
		}
		if _, err := f.svc.CreateClient(ctx, "test", "x", "no-such-tenant", []string{"create:destination"}); !errs.Is(err, errs.Invalid) {
			t.Fatalf("unknown tenant accepted: %v", err)
		}
		nc, err := f.svc.CreateClient(ctx, "test", "Onlinedienst", "", []string{"send:region:DE08", "create:destination"})
		if err != nil {
			t.Fatal(err)
		}
		var stored string
		_ = db.QueryRowContext(ctx, `SELECT secret_hash FROM fc_clients WHERE id = ?`, nc.ClientID).Scan(&stored)
		if stored == "" || stored == nc.ClientSecret {
			t.Fatal("secret not stored as a hash")
		}
		if _, err := f.svc.IssueToken(ctx, nc.ClientID, "wrong", nil); err == nil {
			t.Fatal("wrong secret accepted")
		}
		tok, err := f.svc.IssueToken(ctx, nc.ClientID, nc.ClientSecret, []string{"send:region:DE08"})
		if err != nil {
			t.Fatal(err)
		}
		p, err := f.svc.Authenticate(tok.AccessToken)
		if err != nil || p.ClientID != nc.ClientID || len(p.Scopes) != 1 {
			t.Fatalf("authenticate: %+v %v", p, err)
		}
		f.clk.add(2 * time.Minute)
		if _, err := f.svc.Authenticate(tok.AccessToken); !errs.Is(err, errs.Unauthorized) {
			t.Fatalf("expired token accepted: %v", err)
		}
		if _, err := f.svc.Authenticate(tok.AccessToken + "x"); err == nil {
			t.Fatal("tampered token accepted")
		}
	})
}

// TestTokenRevocation: rotating a client's secret revokes the tokens
// issued with the old one, disabling the client revokes all of them, at
// once in this process and, through the periodic check of the client's
// state, in another process sharing the database.
func TestTokenRevocation(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db, Options{TokenTTL: time.Hour})
		other := newFixture(t, db, Options{TokenTTL: time.Hour}) // a second process
		other.svc.tokenKey = f.svc.tokenKey
		other.clk = f.clk
		other.svc.opt.Now = f.svc.opt.Now
		ctx := context.Background()
		nc, err := f.svc.CreateClient(ctx, "test", "Fachverfahren", "", []string{"create:destination"})
		if err != nil {
			t.Fatal(err)
		}
		tok, err := f.svc.IssueToken(ctx, nc.ClientID, nc.ClientSecret, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range []*Service{f.svc, other.svc} {
			if _, err := s.Authenticate(tok.AccessToken); err != nil {
				t.Fatalf("fresh token refused: %v", err)
			}
		}
		rotated, err := f.svc.RotateSecret(ctx, "test", nc.ClientID)
		if err != nil || rotated.ClientSecret == nc.ClientSecret {
			t.Fatalf("rotate: %v", err)
		}
		if _, err := f.svc.Authenticate(tok.AccessToken); !errs.Is(err, errs.Unauthorized) {
			t.Errorf("token of the old secret accepted after rotation: %v", err)
		}
		if _, err := other.svc.Authenticate(tok.AccessToken); err != nil {
			t.Errorf("the other process checks again only after %v: %v", clientCheckEvery, err)
		}
		f.clk.add(clientCheckEvery)
		if _, err := other.svc.Authenticate(tok.AccessToken); !errs.Is(err, errs.Unauthorized) {
			t.Errorf("the other process still accepts the revoked token: %v", err)
		}
		if _, err := f.svc.IssueToken(ctx, nc.ClientID, nc.ClientSecret, nil); err == nil {
			t.Error("old secret still gets tokens")
		}
		tok2, err := f.svc.IssueToken(ctx, nc.ClientID, rotated.ClientSecret, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.Authenticate(tok2.AccessToken); err != nil {
			t.Fatalf("token of the new secret refused: %v", err)
		}
		if err := f.svc.DisableClient(ctx, "test", nc.ClientID); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.Authenticate(tok2.AccessToken); !errs.Is(err, errs.Unauthorized) {
			t.Errorf("token of a disabled client accepted: %v", err)
		}
		if _, err := f.svc.IssueToken(ctx, nc.ClientID, rotated.ClientSecret, nil); err == nil {
			t.Error("disabled client gets tokens")
		}
		if err := f.svc.DisableClient(ctx, "test", "no-such-client"); !errs.Is(err, errs.NotFound) {
			t.Errorf("disable unknown client: %v", err)
		}
	})
}

func TestCanSendTo(t *testing.T) {
	d := &Destination{Services: []DestinationService{{Identifier: "urn:a:b", Regions: []string{"DE08416"}}}}
	for _, tc := range []struct {
		scopes []string
		want   bool
	}{
		{[]string{"send:region:DE"}, true},
		{[]string{"send:region:DE08"}, true},
		{[]string{"send:region:DE08416041"}, true},
		{[]string{"send:region:DE09"}, false},
		{[]string{"send:region:DE08", "send:service:urn:a:b"}, true},
		{[]string{"send:region:DE08", "send:service:urn:a:c"}, false},
		{[]string{"subscribe:destination:x"}, false},
	} {
		if got := (Principal{Scopes: tc.scopes}).canSendTo(d, "urn:a:b"); got != tc.want {
			t.Errorf("%v: %v, want %v", tc.scopes, got, tc.want)
		}
	}
}

// TestLargePayloadsInBlobStore: payloads over InlineMax go to the blob
// store, come back byte for byte, and are deleted with an expired
// submission.
func TestLargePayloadsInBlobStore(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db, Options{InlineMax: 1024})
		ctx := context.Background()
		d := f.destination(t, "DE08")
		big := f.encrypt(t, d, "application/pdf", string(make([]byte, 5000)))
		data := f.encrypt(t, d, "application/json", `{"x":"`+string(make([]byte, 3000))+`"}`)
		att := newUUID()
		subID, _, err := f.svc.SendInternal(ctx, SendRequest{Destination: d.ID, ServiceURN: LeikaPrefix + "99108008006000",
			EncryptedMetadata: f.encrypt(t, d, "application/json", `{}`), EncryptedData: data,
			Attachments: []SendAttachment{{ID: att, JWE: big}}})
		if err != nil {
			t.Fatal(err)
		}
		if n := countRows(t, db, `SELECT COUNT(*) FROM fc_attachments WHERE submission_id = ? AND blob_id <> '' AND jwe = ''`, subID); n != 1 {
			t.Fatal("large attachment not in the blob store")
		}
		got, err := f.svc.GetAttachment(ctx, f.owner, subID, att)
		if err != nil || string(got) != big {
			t.Fatalf("attachment from the blob store differs: %v", err)
		}
		sub, err := f.svc.GetSubmission(ctx, f.owner, subID)
		if err != nil || sub.EncryptedData != data {
			t.Fatalf("data from the blob store differs: %v", err)
		}

		// An incomplete submission's blobs go when it expires.
		p := Principal{ClientID: "x", internal: true}
		c, err := f.svc.CreateSubmission(ctx, p, CreateSubmission{DestinationID: d.ID,
			ServiceType: ServiceType{Identifier: LeikaPrefix + "99108008006000"}, AnnouncedAttachments: []string{att}})
		if err != nil {
			t.Fatal(err)
		}
		if err := f.svc.PutAttachment(ctx, p, c.SubmissionID, att, big); err != nil {
			t.Fatal(err)
		}
		var blobID string
		if err := db.QueryRowContext(ctx, `SELECT blob_id FROM fc_attachments WHERE submission_id = ?`, c.SubmissionID).Scan(&blobID); err != nil || blobID == "" {
			t.Fatalf("blob id: %q %v", blobID, err)
		}
		f.clk.add(25 * time.Hour)
		if _, err := f.svc.RunOnce(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.blobs.Stat(ctx, blobID); !errors.Is(err, blob.ErrNotFound) {
			t.Fatalf("blob of an expired submission kept: %v", err)
		}
	})
}

// TestTenantIsolation: a client of one tenant cannot administer or
// receive for another tenant's destination, even with the scope; platform
// clients can.
func TestTenantIsolation(t *testing.T) {
	id := newUUID()
	d := &Destination{ID: id, TenantID: "tuebingen", OwnerClient: "c1"}
	other := Principal{ClientID: "c2", TenantID: "reutlingen", Scopes: []string{ScopeManage + id, ScopeSubscribe + id}}
	if other.canManage(d) || other.canSubscribe(d) {
		t.Error("a client of another tenant manages or receives")
	}
	same := Principal{ClientID: "c3", TenantID: "tuebingen", Scopes: []string{ScopeSubscribe + id}}
	if !same.canSubscribe(d) || same.canManage(d) {
		t.Error("scopes within the tenant not honoured")
	}
	platform := Principal{ClientID: "op", Scopes: []string{ScopeManage + id}}
	if !platform.canManage(d) {
		t.Error("platform client with the scope cannot manage")
	}
	owner := Principal{ClientID: "c1", TenantID: "tuebingen"}
	if !owner.canManage(d) || !owner.canSubscribe(d) {
		t.Error("the creating client cannot manage its destination")
	}
}
