package tenant

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/ozgo/ozgo/internal/audit"
	"github.com/ozgo/ozgo/internal/catalog"
	"github.com/ozgo/ozgo/internal/errs"
	"github.com/ozgo/ozgo/internal/fim"
	"github.com/ozgo/ozgo/internal/identity"
	"github.com/ozgo/ozgo/internal/onlinedienst"
	"github.com/ozgo/ozgo/internal/store"
)

const versionCols = `slug, version, author_tenant, title, summary, leika_keys, form_id, form_version, min_trust_level,
	fee_cents, evidence_upload, required_params, state, created_at, published_at`

func scanVersion(r interface{ Scan(...any) error }) (*Version, error) {
	var v Version
	var leika, params, created, published string
	var level int
	if err := r.Scan(&v.Slug, &v.Version, &v.AuthorTenant, &v.Title, &v.Summary, &leika, &v.FormID, &v.FormVersion, &level,
		&v.FeeCents, &v.EvidenceUpload, &params, &v.State, &created, &published); err != nil {
		return nil, err
	}
	v.LeiKa, v.RequiredParams = strings.Fields(leika), strings.Fields(params)
	v.MinTrustLevel = identity.TrustLevel(level)
	v.Created, v.Published = parseTime(created), parseTime(published)
	return &v, nil
}

// CheckVersion validates a version before it is stored.
func CheckVersion(v *Version) []*errs.Error {
	var out []*errs.Error
	if !onlinedienst.ValidSlug(v.Slug) {
		out = append(out, errs.FieldError("slug", "onlinedienst.error.slug", v.Slug))
	}
	if strings.TrimSpace(v.Title) == "" || strings.TrimSpace(v.Summary) == "" {
		out = append(out, errs.FieldError("title", "tenant.error.texts"))
	}
	if len(v.LeiKa) == 0 {
		out = append(out, errs.FieldError("leika", "tenant.error.leika"))
	}
	for _, k := range v.LeiKa {
		if len(k) != 14 || strings.Trim(k, "0123456789") != "" {
			out = append(out, errs.FieldError("leika", "tenant.error.leika"))
			break
		}
	}
	if v.FormID == "" || v.FormVersion == "" {
		out = append(out, errs.FieldError("form", "onlinedienst.error.incomplete"))
	}
	if v.MinTrustLevel < identity.None || v.MinTrustLevel > identity.Hoch {
		out = append(out, errs.FieldError("trust-level", "tenant.error.trust_level"))
	}
	if v.FeeCents < 0 {
		out = append(out, errs.FieldError("fee", "tenant.error.fee"))
	}
	for _, p := range v.RequiredParams {
		known := false
		for _, q := range Params {
			known = known || p == q
		}
		if !known {
			out = append(out, errs.FieldError("params", "tenant.error.param", p))
		}
	}
	return out
}

// PrepareVersion stores a new draft version of an online service: the next
// number after the newest. The published version keeps serving until the
// draft is published.
func (s *Service) PrepareVersion(ctx context.Context, actor *identity.Actor, v Version) (*Version, error) {
	if err := identity.Authorize(actor, identity.ActionManage, identity.Object{Type: "online_service", Platform: true}); err != nil {
		return nil, err
	}
	if es := CheckVersion(&v); len(es) > 0 {
		return nil, es[0]
	}
	if _, err := fim.NewStore(s.DB).Form(ctx, v.FormID, v.FormVersion); err != nil {
		if errs.Is(err, errs.NotFound) {
			return nil, errs.FieldError("form", "onlinedienst.error.form_missing", v.FormID, v.FormVersion)
		}
		return nil, err
	}
	v.State, v.AuthorTenant = Draft, actor.TenantID
	v.Created = s.now()
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) + 1 FROM service_versions WHERE slug = ?`, v.Slug).Scan(&v.Version); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO service_versions (`+versionCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			v.Slug, v.Version, v.AuthorTenant, v.Title, v.Summary, strings.Join(v.LeiKa, " "), v.FormID, v.FormVersion, int(v.MinTrustLevel),
			v.FeeCents, v.EvidenceUpload, strings.Join(v.RequiredParams, " "), v.State, fmtTime(v.Created), ""); err != nil {
			return fmt.Errorf("tenant: insert version: %w", err)
		}
		_, err := s.Audit.Append(ctx, tx, audit.Entry{Actor: actor.ID(), Action: "service_version.prepared", ObjectType: "online_service", ObjectID: fmt.Sprintf("%s/%d", v.Slug, v.Version), Outcome: audit.Success})
		return err
	})
	if err != nil {
		return nil, err
	}
	return &v, nil
}

// Publish publishes a draft version: the previous published version is
// superseded, and the online service serves the new form version to new
// applications from now on. Drafts citizens already started keep the form
// version they were created with (form_drafts.form_version); form versions
// are immutable, so the old one stays available to finish them, provided
// the form runtime loads a draft's model by the draft's version.
func (s *Service) Publish(ctx context.Context, actor *identity.Actor, slug string, version int) error {
	if err := identity.Authorize(actor, identity.ActionManage, identity.Object{Type: "online_service", Platform: true}); err != nil {
		return err
	}
	return s.DB.InTx(ctx, func(tx *store.Tx) error {
		v, err := scanVersion(tx.QueryRowContext(ctx, `SELECT `+versionCols+` FROM service_versions WHERE slug = ? AND version = ?`, slug, version))
		if errors.Is(err, sql.ErrNoRows) {
			return errs.K(errs.NotFound, "tenant.error.version_not_found")
		}
		if err != nil {
			return err
		}
		if v.State != Draft {
			return errs.K(errs.Conflict, "tenant.error.version_not_draft")
		}
		if _, err := tx.ExecContext(ctx, `UPDATE service_versions SET state = ? WHERE slug = ? AND state = ?`, Superseded, slug, Published); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE service_versions SET state = ?, published_at = ? WHERE slug = ? AND version = ?`, Published, fmtTime(s.now()), slug, version); err != nil {
			return err
		}
		err = onlinedienst.NewRegistry(nil).Put(ctx, tx, onlinedienst.Service{
			Slug: v.Slug, Title: v.Title, Summary: v.Summary, LeiKa: v.LeiKa[0], FormID: v.FormID, FormVersion: v.FormVersion,
			Active: true, MinTrustLevel: v.MinTrustLevel,
		})
		if err != nil {
			return err
		}
		_, err = s.Audit.Append(ctx, tx, audit.Entry{Actor: actor.ID(), Action: "service_version.published", ObjectType: "online_service", ObjectID: fmt.Sprintf("%s/%d", slug, version), Outcome: audit.Success})
		return err
	})
}

// PublishedVersions lists the published version of every online service,
// by title.
func (s *Service) PublishedVersions(ctx context.Context) ([]*Version, error) {
	return s.versions(ctx, s.DB, `WHERE state = ? ORDER BY title, slug`, Published)
}

// Versions lists every version of an online service, newest first.
func (s *Service) Versions(ctx context.Context, slug string) ([]*Version, error) {
	return s.versions(ctx, s.DB, `WHERE slug = ? ORDER BY version DESC`, slug)
}

func (s *Service) versions(ctx context.Context, q store.Querier, where string, args ...any) ([]*Version, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+versionCols+` FROM service_versions `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("tenant: versions: %w", err)
	}
	defer rows.Close()
	var out []*Version
	for rows.Next() {
		v, err := scanVersion(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// PublishedVersion returns the published version of an online service.
func (s *Service) PublishedVersion(ctx context.Context, slug string) (*Version, error) {
	vs, err := s.versions(ctx, s.DB, `WHERE slug = ? AND state = ?`, slug, Published)
	if err != nil {
		return nil, err
	}
	if len(vs) == 0 {
		return nil, errs.K(errs.NotFound, "tenant.error.service_not_found")
	}
	return vs[0], nil
}

// gemeindenIn returns the Gemeinden in the area of ars (a Gemeinde is its
// own area), in the snapshot's order.
func gemeindenIn(sn *catalog.Snapshot, ars string) []catalog.Region {
	var out []catalog.Region
	if ars == "" {
		return nil
	}
	for _, r := range sn.Regionen {
		if r.Ebene == catalog.Gemeinde && strings.HasPrefix(r.ARS, ars) {
			out = append(out, r)
		}
	}
	return out
}

// FormRef names an imported FIM form version a service can use.
type FormRef struct {
	ID, Version, Name string
}

// Forms lists the imported FIM form versions.
func (s *Service) Forms(ctx context.Context) ([]FormRef, error) {
	fs, err := fim.NewStore(s.DB).Forms(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]FormRef, 0, len(fs))
	for _, f := range fs {
		out = append(out, FormRef{ID: f.ID, Version: f.Version, Name: f.Name})
	}
	return out, nil
}

// Services lists the newest version of every online service, by slug.
func (s *Service) Services(ctx context.Context) ([]*Version, error) {
	all, err := s.versions(ctx, s.DB, `ORDER BY slug, version DESC`)
	if err != nil {
		return nil, err
	}
	var out []*Version
	for _, v := range all {
		if len(out) == 0 || out[len(out)-1].Slug != v.Slug {
			out = append(out, v)
		}
	}
	return out, nil
}
