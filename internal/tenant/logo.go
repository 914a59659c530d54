package tenant

// Tenant logos: uploaded by tenant admins, stored in the blob store and
// served by ozgo itself (/mandanten/{id}/logo), so the pages' Content
// Security Policy keeps img-src 'self'.
//
// Only PNG and JPEG are accepted. SVG is refused: it is a document that
// can carry scripts and links. A file is recognised by its magic bytes
// (PNG signature, ISO/IEC 10918-1 SOI marker), its header is decoded
// first to bound the dimensions before any pixel is decoded (no
// decompression bombs), and then it is decoded completely with
// image/png or image/jpeg: what is stored is an image the standard
// decoders read, not merely bytes that start like one.

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
	"io"
	"time"

	"github.com/ozgo/ozgo/internal/audit"
	"github.com/ozgo/ozgo/internal/errs"
	"github.com/ozgo/ozgo/internal/identity"
	"github.com/ozgo/ozgo/internal/store"
)

// Limits of a logo.
const (
	MaxLogoBytes  = 200 << 10 // 200 KB
	MaxLogoWidth  = 1200
	MaxLogoHeight = 600
	MinLogoSide   = 16
)

var (
	pngMagic  = []byte("\x89PNG\r\n\x1a\n")
	jpegMagic = []byte{0xFF, 0xD8, 0xFF}
)

// CheckLogo checks an uploaded logo and returns its media type, or a field
// error (field "logo-datei") saying in German what is wrong.
func CheckLogo(data []byte) (string, *errs.Error) {
	bad := func(key string, args ...any) (string, *errs.Error) {
		return "", errs.FieldError("logo-datei", key, args...)
	}
	switch {
	case len(data) == 0:
		return bad("tenant.error.logo_empty")
	case len(data) > MaxLogoBytes:
		return bad("tenant.error.logo_size", MaxLogoBytes>>10)
	}
	var mt string
	var cfg func(io.Reader) (image.Config, error)
	var decode func(io.Reader) (image.Image, error)
	switch {
	case bytes.HasPrefix(data, pngMagic):
		mt, cfg, decode = "image/png", png.DecodeConfig, png.Decode
	case bytes.HasPrefix(data, jpegMagic):
		mt, cfg, decode = "image/jpeg", jpeg.DecodeConfig, jpeg.Decode
	default:
		return bad("tenant.error.logo_type")
	}
	c, err := cfg(bytes.NewReader(data))
	if err != nil {
		return bad("tenant.error.logo_broken")
	}
	if c.Width > MaxLogoWidth || c.Height > MaxLogoHeight || c.Width < MinLogoSide || c.Height < MinLogoSide {
		return bad("tenant.error.logo_dimensions", MaxLogoWidth, MaxLogoHeight, MinLogoSide)
	}
	img, err := decode(bytes.NewReader(data))
	if err != nil {
		return bad("tenant.error.logo_broken")
	}
	if b := img.Bounds(); b.Dx() != c.Width || b.Dy() != c.Height {
		return bad("tenant.error.logo_broken")
	}
	return mt, nil
}

// SaveLogo checks and stores a tenant's logo, replacing an earlier one.
// The error is a field error when the file is refused.
func (s *Service) SaveLogo(ctx context.Context, actor *identity.Actor, tenantID string, data []byte) error {
	if err := s.authorizeManage(actor, tenantID); err != nil {
		return err
	}
	t, err := s.Tenant(ctx, tenantID)
	if err != nil {
		return err
	}
	mt, ferr := CheckLogo(data)
	if ferr != nil {
		return ferr
	}
	if s.Blobs == nil {
		return errs.Wrap(errs.Internal, "tenant.SaveLogo", errors.New("no blob store"), "")
	}
	info, err := s.Blobs.Put(ctx, bytes.NewReader(data), MaxLogoBytes)
	if err != nil {
		return fmt.Errorf("tenant: store logo: %w", err)
	}
	old := t.Profile.LogoBlob
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		if err := s.ensureProfile(ctx, tx, t); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE tenant_profiles SET logo_blob = ?, logo_type = ?, logo_updated = ? WHERE tenant_id = ?`,
			info.ID, mt, fmtTime(s.now()), tenantID); err != nil {
			return err
		}
		_, err := s.Audit.Append(ctx, tx, audit.Entry{Actor: actor.ID(), Action: "tenant.logo_saved", ObjectType: "tenant", ObjectID: tenantID, Tenant: tenantID,
			Outcome: audit.Success, Details: map[string]string{"type": mt, "size": fmt.Sprint(len(data)), "sha256": info.SHA256}})
		return err
	})
	if err != nil {
		_ = s.Blobs.Delete(context.WithoutCancel(ctx), info.ID)
		return err
	}
	if old != "" {
		_ = s.Blobs.Delete(context.WithoutCancel(ctx), old)
	}
	return nil
}

// RemoveLogo removes a tenant's logo.
func (s *Service) RemoveLogo(ctx context.Context, actor *identity.Actor, tenantID string) error {
	if err := s.authorizeManage(actor, tenantID); err != nil {
		return err
	}
	t, err := s.Tenant(ctx, tenantID)
	if err != nil {
		return err
	}
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE tenant_profiles SET logo_blob = '', logo_type = '', logo_updated = ? WHERE tenant_id = ?`, fmtTime(s.now()), tenantID); err != nil {
			return err
		}
		_, err := s.Audit.Append(ctx, tx, audit.Entry{Actor: actor.ID(), Action: "tenant.logo_removed", ObjectType: "tenant", ObjectID: tenantID, Tenant: tenantID, Outcome: audit.Success})
		return err
	})
	if err == nil && t.Profile.LogoBlob != "" && s.Blobs != nil {
		_ = s.Blobs.Delete(context.WithoutCancel(ctx), t.Profile.LogoBlob)
	}
	return err
}

// ensureProfile inserts the default profile of a tenant that has none yet.
func (s *Service) ensureProfile(ctx context.Context, tx *store.Tx, t Tenant) error {
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM tenant_profiles WHERE tenant_id = ?`, t.ID).Scan(&n); err != nil || n > 0 {
		return err
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO tenant_profiles (tenant_id, display_name, logo_url, accent, privacy_url, imprint_url, embed_origin, updated_at)
		VALUES (?, ?, '', ?, '', '', '', ?)`, t.ID, t.Profile.DisplayName, t.Profile.Accent, fmtTime(s.now()))
	return err
}

// Logo is a stored logo as served.
type Logo struct {
	Data      []byte
	MediaType string
	Updated   time.Time
	SHA256    string
}

// Logo returns a tenant's logo; NotFound without one. Public: logos are
// shown to everyone on the tenant's service pages.
func (s *Service) Logo(ctx context.Context, tenantID string) (*Logo, error) {
	var id, mt, updated string
	err := s.DB.QueryRowContext(ctx, `SELECT logo_blob, logo_type, logo_updated FROM tenant_profiles WHERE tenant_id = ?`, tenantID).Scan(&id, &mt, &updated)
	if errors.Is(err, sql.ErrNoRows) || err == nil && id == "" {
		return nil, errs.K(errs.NotFound, "tenant.error.logo_missing")
	}
	if err != nil {
		return nil, fmt.Errorf("tenant: logo: %w", err)
	}
	if s.Blobs == nil {
		return nil, errs.K(errs.NotFound, "tenant.error.logo_missing")
	}
	rc, info, err := s.Blobs.Open(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("tenant: open logo: %w", err)
	}
	defer rc.Close()
	data, err := io.ReadAll(io.LimitReader(rc, MaxLogoBytes+1))
	if err != nil {
		return nil, fmt.Errorf("tenant: read logo: %w", err)
	}
	return &Logo{Data: data, MediaType: mt, Updated: parseTime(updated), SHA256: info.SHA256}, nil
}
