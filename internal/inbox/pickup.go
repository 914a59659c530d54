package inbox

// The workspace as a FIT-Connect subscriber of its destinations
// (FIT-Connect Submission API: GET /submissions?destinationId=…,
// GET /submissions/{id}, GET /submissions/{id}/attachments/{aid}). It
// copies the submissions' payloads as they are, encrypted by the sender
// for the destination's key, and decrypts them only when a clerk whose
// session holds the tenant key opens a case. Pickup needs no key.
//
// The destination's private keys are sealed under the tenant key
// (identity/tenantkey.go, docs/schluessel.md) with associated data that
// names destination and purpose, so neither the operator nor a database
// dump with the master key can open them.

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rsa"
	"crypto/sha256"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/ozgo/ozgo/internal/audit"
	"github.com/ozgo/ozgo/internal/crypt"
	"github.com/ozgo/ozgo/internal/errs"
	"github.com/ozgo/ozgo/internal/fitconnect"
	"github.com/ozgo/ozgo/internal/form"
	"github.com/ozgo/ozgo/internal/identity"
	"github.com/ozgo/ozgo/internal/store"
)

// ErrKeyLocked is returned when an action needs the destination's
// private key and the session holds no tenant key (logged in by single
// sign-on without unlocking, or with an account without key access).
var ErrKeyLocked = errs.K(errs.Forbidden, "inbox.locked")

// IsKeyLocked reports whether err is ErrKeyLocked.
func IsKeyLocked(err error) bool {
	var e *errs.Error
	return errors.As(err, &e) && e.Message == "inbox.locked"
}

const (
	purposeSigning    = "signing"
	purposeEncryption = "encryption"
)

func destKeyAD(dest, purpose string) []byte {
	return []byte("ozgo destination private key v1 " + dest + " " + purpose)
}

func subscriber(dest, tenant string) fitconnect.Principal {
	return fitconnect.Principal{ClientID: "ozgo-sachbearbeitung", TenantID: tenant, Scopes: []string{fitconnect.ScopeSubscribe + dest}}
}

// StoreKeys makes dest a destination of tenant's built-in workspace: its
// private encryption key (RSA-OAEP-256, decrypts the submissions) and
// signing key (PS512, signs the answers to the Zustelldienst), both
// private JWKs with a kid, are kept sealed under the tenant key.
// tenantKey is the key of the storing tenant admin's session (or of the
// demo's known staff password); actor is who stores, for the audit log.
func (s *Service) StoreKeys(ctx context.Context, actor string, tenantKey []byte, dest, tenant string, encJWK, sigJWK []byte) error {
	if tenantKey == nil {
		return ErrKeyLocked
	}
	for _, raw := range [][]byte{encJWK, sigJWK} {
		var k jose.JSONWebKey
		if err := k.UnmarshalJSON(raw); err != nil || k.IsPublic() || k.KeyID == "" {
			return fmt.Errorf("inbox: the destination keys must be private JWKs with a kid")
		}
		if _, ok := k.Key.(*rsa.PrivateKey); !ok {
			return fmt.Errorf("inbox: the destination keys must be RSA keys")
		}
	}
	enc, err := crypt.SealWith(tenantKey, encJWK, destKeyAD(dest, purposeEncryption))
	if err != nil {
		return err
	}
	sig, err := crypt.SealWith(tenantKey, sigJWK, destKeyAD(dest, purposeSigning))
	if err != nil {
		return err
	}
	return s.DB.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM inbox_keys WHERE destination_id = ?`, dest); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO inbox_keys (destination_id, tenant_id, signing_key, encryption_key, sealed_by, created_at) VALUES (?, ?, ?, ?, 'tenant', ?)`,
			dest, tenant, sig, enc, store.FormatTime(s.now())); err != nil {
			return err
		}
		_, err := s.Audit.Append(ctx, tx, audit.Entry{Actor: actor, Action: "destination.keys_stored", ObjectType: "destination", ObjectID: dest, Tenant: tenant, Outcome: audit.Success})
		return err
	})
}

// destinationKey opens one private key of dest with the tenant key.
func (s *Service) destinationKey(ctx context.Context, tenantKey []byte, dest, purpose string) (*jose.JSONWebKey, error) {
	if tenantKey == nil {
		return nil, ErrKeyLocked
	}
	var sig, enc []byte
	var sealedBy string
	err := s.DB.QueryRowContext(ctx, `SELECT signing_key, encryption_key, sealed_by FROM inbox_keys WHERE destination_id = ?`, dest).Scan(&sig, &enc, &sealedBy)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errs.E(errs.NotFound, "")
	}
	if err != nil {
		return nil, err
	}
	if sealedBy != "tenant" {
		return nil, fmt.Errorf("inbox: the keys of destination %s were stored before the tenant key model and must be stored again", dest)
	}
	sealed := sig
	if purpose == purposeEncryption {
		sealed = enc
	}
	raw, err := crypt.OpenWith(tenantKey, sealed, destKeyAD(dest, purpose))
	if err != nil {
		// Another tenant's key, or a tampered row.
		return nil, ErrKeyLocked
	}
	var k jose.JSONWebKey
	if err := k.UnmarshalJSON(raw); err != nil {
		return nil, err
	}
	return &k, nil
}

// Pickup copies the submissions waiting at the Zustelldienst for
// tenant's workspace destinations (all tenants for ""), as ciphertext.
// It returns how many it copied.
func (s *Service) Pickup(ctx context.Context, tenant string) (int, error) {
	if s.FC == nil {
		return 0, nil
	}
	q := `SELECT destination_id, tenant_id FROM inbox_keys`
	var args []any
	if tenant != "" {
		q += ` WHERE tenant_id = ?`
		args = append(args, tenant)
	}
	rows, err := s.DB.QueryContext(ctx, q, args...)
	if err != nil {
		return 0, err
	}
	type dt struct{ dest, tenant string }
	var dests []dt
	for rows.Next() {
		var d dt
		if err := rows.Scan(&d.dest, &d.tenant); err != nil {
			rows.Close()
			return 0, err
		}
		dests = append(dests, d)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	n := 0
	for _, d := range dests {
		for offset := 0; ; offset += 100 {
			items, total, err := s.FC.ListForPickup(ctx, subscriber(d.dest, d.tenant), d.dest, fitconnect.Page{Offset: offset, Limit: 100})
			if err != nil {
				if errs.Is(err, errs.NotFound) {
					break // the destination is gone
				}
				return n, err
			}
			for _, it := range items {
				var have int
				if err := s.DB.QueryRowContext(ctx, `SELECT COUNT(*) FROM inbox_cases WHERE fc_submission_id = ?`, it.SubmissionID).Scan(&have); err != nil {
					return n, err
				}
				if have > 0 {
					continue
				}
				if err := s.pickupOne(ctx, d.dest, d.tenant, it.SubmissionID); err != nil {
					return n, err
				}
				n++
			}
			if offset+len(items) >= total || len(items) == 0 {
				break
			}
		}
	}
	return n, nil
}

// pickupOne copies one submission, unless the workspace has it already.
func (s *Service) pickupOne(ctx context.Context, dest, tenant, fcSub string) error {
	var have int
	if err := s.DB.QueryRowContext(ctx, `SELECT COUNT(*) FROM inbox_cases WHERE fc_submission_id = ?`, fcSub).Scan(&have); err != nil || have > 0 {
		return err
	}
	p := subscriber(dest, tenant)
	sub, err := s.FC.GetSubmission(ctx, p, fcSub)
	if err != nil {
		return fmt.Errorf("inbox: pick up %s: %w", fcSub, err)
	}
	type file struct{ id, blob string }
	var files []file
	cleanup := func() {
		for _, f := range files {
			_ = s.Postfach.Blobs.Delete(ctx, f.blob)
		}
	}
	for _, aid := range sub.Attachments {
		jwe, err := s.FC.GetAttachment(ctx, p, fcSub, aid)
		if err != nil {
			cleanup()
			return fmt.Errorf("inbox: pick up attachment %s of %s: %w", aid, fcSub, err)
		}
		info, err := s.Postfach.Blobs.Put(ctx, bytes.NewReader(jwe), 0)
		if err != nil {
			cleanup()
			return err
		}
		files = append(files, file{aid, info.ID})
	}
	// ozgo's own applications keep their citizen-side record (status
	// monitor, Postfach): the copy takes the submission's id.
	id, reference, service := "", "", sub.ServiceType.Name
	var own string
	err = s.DB.QueryRowContext(ctx, `SELECT d.submission_id, s.reference, s.service FROM deliveries d JOIN submissions s ON s.id = d.submission_id WHERE d.fc_submission_id = ?`, fcSub).
		Scan(&own, &reference, &service)
	switch {
	case err == nil:
		id = own
	case errors.Is(err, sql.ErrNoRows):
		id = identity.NewToken()[:32]
		if reference, err = form.NewReference(s.now()); err != nil {
			cleanup()
			return err
		}
		if service == "" {
			service = sub.ServiceType.Identifier
		}
	default:
		cleanup()
		return err
	}
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		var have int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM inbox_cases WHERE fc_submission_id = ?`, fcSub).Scan(&have); err != nil || have > 0 {
			if have > 0 {
				return errAlreadyCopied
			}
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO inbox_cases (id, tenant_id, destination_id, fc_submission_id, fc_case_id, submission_id, reference, service, metadata, data, submitted_at, picked_up_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, id, tenant, dest, fcSub, sub.CaseID, own, reference, service, sub.EncryptedMetadata, sub.EncryptedData,
			store.FormatTime(sub.Submitted), store.FormatTime(s.now())); err != nil {
			return err
		}
		for _, f := range files {
			if _, err := tx.ExecContext(ctx, `INSERT INTO inbox_case_files (case_id, attachment_id, blob_id) VALUES (?, ?, ?)`, id, f.id, f.blob); err != nil {
				return err
			}
		}
		_, err := s.Audit.Append(ctx, tx, audit.Entry{Actor: audit.System, Action: "case.picked_up", ObjectType: "case", ObjectID: id, Tenant: tenant, Outcome: audit.Success,
			Details: map[string]string{"destination": dest, "fc_submission": fcSub}})
		return err
	})
	if err != nil && !errors.Is(err, errAlreadyCopied) {
		// Copied concurrently (another process, or List and the worker):
		// the unique fc_submission_id refused the second copy.
		var have int
		if s.DB.QueryRowContext(ctx, `SELECT COUNT(*) FROM inbox_cases WHERE fc_submission_id = ?`, fcSub).Scan(&have) == nil && have > 0 {
			err = errAlreadyCopied
		}
	}
	if errors.Is(err, errAlreadyCopied) {
		cleanup()
		return nil
	}
	if err != nil {
		cleanup()
	}
	return err
}

var errAlreadyCopied = errors.New("inbox: already copied")

// decrypt opens a compact JWE for the destination's encryption key
// (RSA-OAEP-256 with A256GCM, as FIT-Connect prescribes).
func decrypt(key *jose.JSONWebKey, jwe string) ([]byte, error) {
	obj, err := jose.ParseEncrypted(jwe, []jose.KeyAlgorithm{jose.RSA_OAEP_256}, []jose.ContentEncryption{jose.A256GCM})
	if err != nil {
		return nil, err
	}
	return obj.Decrypt(key.Key)
}

// metadata is the part of FIT-Connect's metadata (schema 2.x) the
// workspace reads.
type metadata struct {
	ContentStructure struct {
		Data struct {
			SubmissionSchema struct {
				SchemaURI string `json:"schemaUri"`
				MimeType  string `json:"mimeType"`
			} `json:"submissionSchema"`
		} `json:"data"`
		Attachments []struct {
			AttachmentID string `json:"attachmentId"`
			Purpose      string `json:"purpose"`
			Filename     string `json:"filename"`
			MimeType     string `json:"mimeType"`
		} `json:"attachments"`
	} `json:"contentStructure"`
}

// opened is a copy opened with the destination's key.
type opened struct {
	dest string
	key  *jose.JSONWebKey
	meta metadata
	data []byte
}

// openCopy decrypts the metadata and data of case id's copy.
func (s *Service) openCopy(ctx context.Context, tenantKey []byte, id string) (*opened, error) {
	var dest, encMeta, encData string
	err := s.DB.QueryRowContext(ctx, `SELECT destination_id, metadata, data FROM inbox_cases WHERE id = ?`, id).Scan(&dest, &encMeta, &encData)
	if err != nil {
		return nil, err
	}
	key, err := s.destinationKey(ctx, tenantKey, dest, purposeEncryption)
	if err != nil {
		return nil, err
	}
	o := &opened{dest: dest, key: key}
	raw, err := decrypt(key, encMeta)
	if err != nil {
		return nil, fmt.Errorf("inbox: decrypt metadata of %s: %w", id, err)
	}
	if err := json.Unmarshal(raw, &o.meta); err != nil {
		return nil, fmt.Errorf("inbox: metadata of %s: %w", id, err)
	}
	if encData != "" {
		if o.data, err = decrypt(key, encData); err != nil {
			return nil, fmt.Errorf("inbox: decrypt data of %s: %w", id, err)
		}
	}
	return o, nil
}

// externalSubmission builds the view of an external case's application
// from its opened copy. Attachments of purpose "form" (the application as
// PDF) are not listed as files; FilePDF serves them.
func externalSubmission(c *Case, o *opened) *form.Submission {
	sub := &form.Submission{ID: c.ID, Reference: c.Reference, Service: c.Service, Data: o.data, Submitted: c.Submitted,
		SchemaID: o.meta.ContentStructure.Data.SubmissionSchema.SchemaURI}
	for _, a := range o.meta.ContentStructure.Attachments {
		if a.Purpose == "form" {
			continue
		}
		name := a.Filename
		if name == "" {
			name = a.AttachmentID
		}
		sub.Attachments = append(sub.Attachments, form.File{BlobID: a.AttachmentID, Name: name, MediaType: a.MimeType})
	}
	return sub
}

// attachment decrypts one attachment of an external case's copy.
func (s *Service) attachment(ctx context.Context, o *opened, caseID, attID string) ([]byte, error) {
	var blobID string
	if err := s.DB.QueryRowContext(ctx, `SELECT blob_id FROM inbox_case_files WHERE case_id = ? AND attachment_id = ?`, caseID, attID).Scan(&blobID); err != nil {
		return nil, errs.E(errs.NotFound, "")
	}
	rc, _, err := s.Postfach.Blobs.Open(ctx, blobID)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	jwe, err := io.ReadAll(rc)
	if err != nil {
		return nil, err
	}
	return decrypt(o.key, strings.TrimSpace(string(jwe)))
}

// openable loads case id for a that may view it with an unlocked key
// (a locked session opens nothing of an application, whichever record
// holds it), and names the workspace's copy ("" before pickup).
func (s *Service) openable(ctx context.Context, a *identity.Actor, id string) (*Case, string, error) {
	c, err := s.load(ctx, id)
	if err != nil {
		return nil, "", err
	}
	if err := authorize(a, c.TenantID, identity.ActionView); err != nil {
		return nil, "", err
	}
	if a.TenantKey == nil {
		return nil, "", ErrKeyLocked
	}
	copyID, err := s.copyOf(ctx, c)
	return c, copyID, err
}

// FileContent returns the content of a file of a case (as listed in the
// Submission that Get returned): decrypted from the workspace's copy for
// external cases, from the applicant's upload otherwise.
func (s *Service) FileContent(ctx context.Context, a *identity.Actor, id string, f form.File) ([]byte, error) {
	c, copyID, err := s.openable(ctx, a, id)
	if err != nil {
		return nil, err
	}
	if copyID != "" {
		o, err := s.openCopy(ctx, a.TenantKey, copyID)
		if err != nil {
			return nil, err
		}
		body, err := s.attachment(ctx, o, copyID, f.BlobID)
		if err == nil || c.External {
			return body, err
		}
		// An own case listed before its copy arrived names the upload:
		// read that below.
	}
	rc, _, err := s.Postfach.Blobs.Open(ctx, f.BlobID)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(rc)
}

// FormPDFContent returns the application as PDF: the one ozgo delivered
// with its own applications, or an external sender's attachment of
// purpose "form". NotFound when there is none.
func (s *Service) FormPDFContent(ctx context.Context, a *identity.Actor, id string) ([]byte, error) {
	_, copyID, err := s.openable(ctx, a, id)
	if err != nil {
		return nil, err
	}
	if copyID == "" {
		blobID, err := s.FormPDF(ctx, a, id)
		if err != nil {
			return nil, err
		}
		if blobID == "" {
			return nil, errs.E(errs.NotFound, "")
		}
		return s.FileContent(ctx, a, id, form.File{BlobID: blobID})
	}
	o, err := s.openCopy(ctx, a.TenantKey, copyID)
	if err != nil {
		return nil, err
	}
	for _, at := range o.meta.ContentStructure.Attachments {
		if at.Purpose == "form" {
			return s.attachment(ctx, o, copyID, at.AttachmentID)
		}
	}
	return nil, errs.E(errs.NotFound, "")
}

// nameKey is the tenant's key for the name index: derived from the
// tenant key (HMAC-SHA256 as a PRF), so the hashes cannot be computed
// without it, not even with the master key, and per tenant.
func nameKey(tenantKey []byte, tenant string) []byte {
	m := hmac.New(sha256.New, tenantKey)
	m.Write([]byte("inbox-name-index-v2:" + tenant))
	return m.Sum(nil)
}

// PickupEvery is how often Run picks up submissions.
const PickupEvery = 30 * time.Second

// Run picks up the submissions of all workspace destinations until ctx
// ends, so they are copied soon after they arrive even when no clerk
// lists the cases (and before the Zustelldienst's deadlines). It needs no
// key: it copies ciphertext only.
func (s *Service) Run(ctx context.Context, log *slog.Logger) {
	t := time.NewTicker(PickupEvery)
	defer t.Stop()
	for {
		if _, err := s.Pickup(ctx, ""); err != nil && ctx.Err() == nil && log != nil {
			log.Warn("inbox: pickup", "error", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
