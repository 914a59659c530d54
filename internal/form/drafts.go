package form

// Drafts: the answers of an application in progress, sealed at rest and
// reachable only with the applicant's secret token.

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ozgo/ozgo/internal/crypt"
	"github.com/ozgo/ozgo/internal/errs"
	"github.com/ozgo/ozgo/internal/store"
)

// TimeFormat is how times are stored: fixed width, so they compare as text.
const TimeFormat = store.TimeFormat

// FormatTime formats t for storage.
func FormatTime(t time.Time) string { return store.FormatTime(t) }

// ParseTime reads a stored time.
func parseStoredTime(s string) time.Time {
	t, _ := time.Parse(TimeFormat, s)
	return t
}

// Draft is an application in progress.
type Draft struct {
	ID          string
	Owner       string // party the draft belongs to; "" if anonymous
	Service     string
	FormID      string
	FormVersion string
	State       *State
	Created     time.Time
	Updated     time.Time
	Expires     time.Time
	tokenHash   string
}

// Drafts stores drafts.
type Drafts struct {
	db   *store.DB
	keys *crypt.Keyring
	// TTL is how long a draft lives after its last change.
	TTL time.Duration
	// Now is the clock; tests replace it.
	Now func() time.Time
}

// DefaultDraftTTL is how long a draft is kept after its last change.
const DefaultDraftTTL = 30 * 24 * time.Hour

// NewDrafts returns the draft store.
func NewDrafts(db *store.DB, keys *crypt.Keyring, ttl time.Duration) *Drafts {
	if ttl <= 0 {
		ttl = DefaultDraftTTL
	}
	return &Drafts{db: db, keys: keys, TTL: ttl, Now: time.Now}
}

// NewToken returns a random id and a random secret, both URL-safe.
func NewToken() (id, secret string, err error) {
	b := make([]byte, 16+32)
	if _, err := rand.Read(b); err != nil {
		return "", "", fmt.Errorf("form: random: %w", err)
	}
	return hex.EncodeToString(b[:16]), base64.RawURLEncoding.EncodeToString(b[16:]), nil
}

// HashToken is the stored form of a secret.
func HashToken(secret string) string {
	h := sha256.Sum256([]byte("ozgo draft token v1\x00" + secret))
	return hex.EncodeToString(h[:])
}

// TokenMatches compares a secret with a stored hash in constant time.
func TokenMatches(secret, hash string) bool {
	if secret == "" || hash == "" {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(HashToken(secret)), []byte(hash)) == 1
}

func draftAD(id string) []byte { return []byte("ozgo draft v1 " + id) }

// Create starts a new draft and returns it with the secret the applicant
// must present from now on. owner is the party the draft belongs to
// ("person:<id>", "organisation:<id>"), or "" for an anonymous applicant.
func (d *Drafts) Create(ctx context.Context, owner, service, formID, formVersion string) (*Draft, string, error) {
	id, secret, err := NewToken()
	if err != nil {
		return nil, "", err
	}
	now := d.Now().UTC()
	dr := &Draft{ID: id, Owner: owner, Service: service, FormID: formID, FormVersion: formVersion, State: NewState(),
		Created: now, Updated: now, Expires: now.Add(d.TTL), tokenHash: HashToken(secret)}
	sealed, err := d.seal(dr)
	if err != nil {
		return nil, "", err
	}
	_, err = d.db.ExecContext(ctx, `INSERT INTO form_drafts (id, token_hash, owner, service, form_id, form_version, state, created_at, updated_at, expires_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, id, dr.tokenHash, owner, service, formID, formVersion, sealed,
		FormatTime(now), FormatTime(now), FormatTime(dr.Expires))
	if err != nil {
		return nil, "", fmt.Errorf("form: create draft: %w", err)
	}
	return dr, secret, nil
}

func (d *Drafts) seal(dr *Draft) ([]byte, error) {
	b, err := json.Marshal(dr.State)
	if err != nil {
		return nil, err
	}
	return d.keys.Seal(b, draftAD(dr.ID))
}

// ErrDraftExpired is returned for a draft past its expiry.
var ErrDraftExpired = errs.K(errs.NotFound, "form.draft.expired")

// Load returns a draft if the secret matches; otherwise NotFound, so a
// guessed id tells nothing.
func (d *Drafts) Load(ctx context.Context, id, secret string) (*Draft, error) {
	return d.load(ctx, d.db, id, secret)
}

func (d *Drafts) load(ctx context.Context, q store.Querier, id, secret string) (*Draft, error) {
	dr := &Draft{ID: id}
	var sealed []byte
	var created, updated, expires string
	err := q.QueryRowContext(ctx, `SELECT token_hash, owner, service, form_id, form_version, state, created_at, updated_at, expires_at
		FROM form_drafts WHERE id = ?`, id).Scan(&dr.tokenHash, &dr.Owner, &dr.Service, &dr.FormID, &dr.FormVersion, &sealed, &created, &updated, &expires)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && !TokenMatches(secret, dr.tokenHash)) {
		return nil, errs.K(errs.NotFound, "form.draft.not_found")
	}
	if err != nil {
		return nil, fmt.Errorf("form: load draft: %w", err)
	}
	dr.Created, dr.Updated, dr.Expires = parseStoredTime(created), parseStoredTime(updated), parseStoredTime(expires)
	if !d.Now().Before(dr.Expires) {
		return nil, ErrDraftExpired
	}
	plain, err := d.keys.Open(sealed, draftAD(id))
	if err != nil {
		return nil, fmt.Errorf("form: open draft %s: %w", id, err)
	}
	dr.State = NewState()
	if err := json.Unmarshal(plain, dr.State); err != nil {
		return nil, fmt.Errorf("form: decode draft %s: %w", id, err)
	}
	dr.State.init()
	return dr, nil
}

// Save stores the draft's state and extends its life.
func (d *Drafts) Save(ctx context.Context, dr *Draft) error {
	sealed, err := d.seal(dr)
	if err != nil {
		return err
	}
	now := d.Now().UTC()
	dr.Updated, dr.Expires = now, now.Add(d.TTL)
	res, err := d.db.ExecContext(ctx, `UPDATE form_drafts SET state = ?, updated_at = ?, expires_at = ? WHERE id = ?`,
		sealed, FormatTime(now), FormatTime(dr.Expires), dr.ID)
	if err != nil {
		return fmt.Errorf("form: save draft: %w", err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return errs.K(errs.NotFound, "form.draft.not_found")
	}
	return nil
}

// Delete removes a draft inside tx (on submission).
func (d *Drafts) Delete(ctx context.Context, tx *store.Tx, id string) error {
	_, err := tx.ExecContext(ctx, `DELETE FROM form_drafts WHERE id = ?`, id)
	return err
}

// Discard removes a draft and returns the files it held, for the caller
// to delete from the blob store.
func (d *Drafts) Discard(ctx context.Context, dr *Draft) ([]File, error) {
	if _, err := d.db.ExecContext(ctx, `DELETE FROM form_drafts WHERE id = ?`, dr.ID); err != nil {
		return nil, fmt.Errorf("form: discard draft: %w", err)
	}
	return dr.State.AllFiles(), nil
}

// AllFiles lists the files of a state.
func (s *State) AllFiles() []File {
	out := make([]File, 0, len(s.Files))
	for _, f := range s.Files {
		out = append(out, f)
	}
	return out
}

// Expire deletes the drafts past their expiry and returns the blob ids of
// their files. Drafts whose state can no longer be read are deleted too.
func (d *Drafts) Expire(ctx context.Context) (deleted int, blobs []string, err error) {
	now := FormatTime(d.Now())
	rows, err := d.db.QueryContext(ctx, `SELECT id, state FROM form_drafts WHERE expires_at <= ? ORDER BY id LIMIT 500`, now)
	if err != nil {
		return 0, nil, fmt.Errorf("form: expired drafts: %w", err)
	}
	type row struct {
		id     string
		sealed []byte
	}
	var list []row
	for rows.Next() {
		var r row
		if err := rows.Scan(&r.id, &r.sealed); err != nil {
			rows.Close()
			return 0, nil, err
		}
		list = append(list, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, nil, err
	}
	for _, r := range list {
		if plain, err := d.keys.Open(r.sealed, draftAD(r.id)); err == nil {
			var st State
			if json.Unmarshal(plain, &st) == nil {
				for _, f := range st.Files {
					blobs = append(blobs, f.BlobID)
				}
			}
		}
		res, err := d.db.ExecContext(ctx, `DELETE FROM form_drafts WHERE id = ? AND expires_at <= ?`, r.id, now)
		if err != nil {
			return deleted, blobs, fmt.Errorf("form: delete expired draft: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 1 {
			deleted++
		}
	}
	return deleted, blobs, nil
}

// Submission is a submitted application as the receipt shows it.
type Submission struct {
	ID, Reference   string
	Owner           string // party that submitted; "" if anonymous
	Service         string
	FormID, Version string
	SchemaID        string
	Data            []byte // the JSON instance
	Attachments     []File
	Submitted       time.Time
	tokenHash       string
}

func submissionAD(id string) []byte { return []byte("ozgo submission v1 " + id) }

// Submit stores the validated instance of a draft as a submission and
// deletes the draft, in one transaction. The applicant keeps the draft's
// secret to see the receipt.
func (d *Drafts) Submit(ctx context.Context, tx *store.Tx, dr *Draft, schemaID string, data []byte) (*Submission, error) {
	ref, err := NewReference(d.Now())
	if err != nil {
		return nil, err
	}
	return d.SubmitAs(ctx, tx, dr, ref, d.Now(), schemaID, data)
}

// SubmitAs is Submit with the Vorgangsnummer (NewReference) and the time
// of receipt chosen beforehand, for callers that print both into documents
// before the transaction.
func (d *Drafts) SubmitAs(ctx context.Context, tx *store.Tx, dr *Draft, ref string, at time.Time, schemaID string, data []byte) (*Submission, error) {
	id, _, err := NewToken()
	if err != nil {
		return nil, err
	}
	s := &Submission{ID: id, Reference: ref, Owner: dr.Owner, Service: dr.Service, FormID: dr.FormID, Version: dr.FormVersion,
		SchemaID: schemaID, Data: data, Attachments: dr.State.AllFiles(), Submitted: at.UTC(), tokenHash: dr.tokenHash}
	sealedData, err := d.keys.Seal(data, submissionAD(id))
	if err != nil {
		return nil, err
	}
	att, err := json.Marshal(s.Attachments)
	if err != nil {
		return nil, err
	}
	sealedAtt, err := d.keys.Seal(att, append(submissionAD(id), " attachments"...))
	if err != nil {
		return nil, err
	}
	// The draft goes first, and must still be there: of two submits of the
	// same draft at once (a double click), one finds it gone and rolls
	// back, so an application is never submitted — and delivered — twice.
	res, err := tx.ExecContext(ctx, `DELETE FROM form_drafts WHERE id = ?`, dr.ID)
	if err != nil {
		return nil, fmt.Errorf("form: delete submitted draft: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return nil, errs.K(errs.NotFound, "form.draft.not_found")
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO submissions (id, reference, token_hash, owner, service, form_id, form_version, schema_id, data, attachments, submitted_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, id, ref, dr.tokenHash, dr.Owner, dr.Service, dr.FormID, dr.FormVersion, schemaID,
		sealedData, sealedAtt, FormatTime(s.Submitted))
	if err != nil {
		return nil, fmt.Errorf("form: store submission: %w", err)
	}
	return s, nil
}

// LoadSubmission returns a submission if the secret matches.
func (d *Drafts) LoadSubmission(ctx context.Context, id, secret string) (*Submission, error) {
	return d.loadSubmission(ctx, id, secret, true)
}

// OpenSubmission returns a submission without the applicant's secret, for
// the platform's own delivery to the authority. Never call it on behalf of
// a visitor.
func (d *Drafts) OpenSubmission(ctx context.Context, id string) (*Submission, error) {
	return d.loadSubmission(ctx, id, "", false)
}

func (d *Drafts) loadSubmission(ctx context.Context, id, secret string, checkSecret bool) (*Submission, error) {
	s := &Submission{ID: id}
	var sealedData, sealedAtt []byte
	var at string
	err := d.db.QueryRowContext(ctx, `SELECT reference, token_hash, owner, service, form_id, form_version, schema_id, data, attachments, submitted_at
		FROM submissions WHERE id = ?`, id).Scan(&s.Reference, &s.tokenHash, &s.Owner, &s.Service, &s.FormID, &s.Version, &s.SchemaID, &sealedData, &sealedAtt, &at)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && checkSecret && !TokenMatches(secret, s.tokenHash)) {
		return nil, errs.K(errs.NotFound, "form.submission.not_found")
	}
	if err != nil {
		return nil, fmt.Errorf("form: load submission: %w", err)
	}
	s.Submitted = parseStoredTime(at)
	if s.Data, err = d.keys.Open(sealedData, submissionAD(id)); err != nil {
		return nil, fmt.Errorf("form: open submission %s: %w", id, err)
	}
	att, err := d.keys.Open(sealedAtt, append(submissionAD(id), " attachments"...))
	if err != nil {
		return nil, fmt.Errorf("form: open submission %s: %w", id, err)
	}
	if err := json.Unmarshal(att, &s.Attachments); err != nil {
		return nil, err
	}
	return s, nil
}

// NewReference makes a Vorgangsnummer: year and 8 characters of Crockford
// base32 without look-alikes, e.g. "2026-7KQ3-M9XD".
func NewReference(now time.Time) (string, error) {
	const alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	var sb strings.Builder
	sb.WriteString(now.UTC().Format("2006"))
	sb.WriteByte('-')
	for i, c := range b {
		if i == 4 {
			sb.WriteByte('-')
		}
		sb.WriteByte(alphabet[int(c)%32])
	}
	return sb.String(), nil
}
