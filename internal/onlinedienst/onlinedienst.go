// Package onlinedienst keeps the online services: a FIM form version
// published under a stable slug, with its title and LeiKa key, and the
// runtime model of each form version, built once and shared.
package onlinedienst

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"sync"
	"time"

	"github.com/ozgo/ozgo/internal/errs"
	"github.com/ozgo/ozgo/internal/fim"
	"github.com/ozgo/ozgo/internal/form"
	"github.com/ozgo/ozgo/internal/identity"
	"github.com/ozgo/ozgo/internal/store"
)

// Service is an online service.
type Service struct {
	Slug        string
	Title       string
	Summary     string
	LeiKa       string
	FormID      string
	FormVersion string
	Active      bool
	// MinTrustLevel is the lowest Vertrauensniveau of a login that may
	// apply (identity.None: no login needed).
	MinTrustLevel identity.TrustLevel
	Created       time.Time
	Updated       time.Time
}

var slugRE = regexp.MustCompile(`^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$`)

// ValidSlug reports whether s can name an online service in a URL.
func ValidSlug(s string) bool { return slugRE.MatchString(s) }

// Registry reads online services and serves their form models.
type Registry struct {
	db  *store.DB
	fim *fim.Store
	// Log receives the warnings of a form when its model is built (code
	// list fallbacks, fields degraded to text, rules not enforced).
	Log *slog.Logger

	mu     sync.Mutex
	models map[string]*form.Model // "id version" -> model
}

// NewRegistry returns the registry on db.
func NewRegistry(db *store.DB) *Registry {
	return &Registry{db: db, fim: fim.NewStore(db), models: map[string]*form.Model{}}
}

// Put creates or updates an online service inside tx. The form version
// must have been imported.
func (r *Registry) Put(ctx context.Context, tx *store.Tx, s Service) error {
	if !ValidSlug(s.Slug) {
		return errs.K(errs.Invalid, "onlinedienst.error.slug", s.Slug)
	}
	if s.Title == "" || s.FormID == "" || s.FormVersion == "" {
		return errs.K(errs.Invalid, "onlinedienst.error.incomplete")
	}
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM fim_forms WHERE id = ? AND version = ?`, s.FormID, s.FormVersion).Scan(&n); err != nil {
		return fmt.Errorf("onlinedienst: check form: %w", err)
	}
	if n == 0 {
		return errs.K(errs.Invalid, "onlinedienst.error.form_missing", s.FormID, s.FormVersion)
	}
	now := form.FormatTime(time.Now())
	res, err := tx.ExecContext(ctx, `UPDATE online_services SET title = ?, summary = ?, leika = ?, form_id = ?, form_version = ?, active = ?, min_trust_level = ?, updated_at = ?
		WHERE slug = ?`, s.Title, s.Summary, s.LeiKa, s.FormID, s.FormVersion, s.Active, int(s.MinTrustLevel), now, s.Slug)
	if err != nil {
		return fmt.Errorf("onlinedienst: update: %w", err)
	}
	if k, _ := res.RowsAffected(); k == 1 {
		return nil
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO online_services (slug, title, summary, leika, form_id, form_version, active, min_trust_level, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, s.Slug, s.Title, s.Summary, s.LeiKa, s.FormID, s.FormVersion, s.Active, int(s.MinTrustLevel), now, now)
	if err != nil {
		return fmt.Errorf("onlinedienst: insert: %w", err)
	}
	return nil
}

const cols = "slug, title, summary, leika, form_id, form_version, active, min_trust_level, created_at, updated_at"

func scan(row interface{ Scan(...any) error }) (*Service, error) {
	var s Service
	var created, updated string
	var level int
	if err := row.Scan(&s.Slug, &s.Title, &s.Summary, &s.LeiKa, &s.FormID, &s.FormVersion, &s.Active, &level, &created, &updated); err != nil {
		return nil, err
	}
	s.MinTrustLevel = identity.TrustLevel(level)
	s.Created, _ = time.Parse(form.TimeFormat, created)
	s.Updated, _ = time.Parse(form.TimeFormat, updated)
	return &s, nil
}

// Get returns an active online service.
func (r *Registry) Get(ctx context.Context, slug string) (*Service, error) {
	if !ValidSlug(slug) {
		return nil, errs.K(errs.NotFound, "onlinedienst.error.not_found")
	}
	s, err := scan(r.db.QueryRowContext(ctx, `SELECT `+cols+` FROM online_services WHERE slug = ? AND active = ?`, slug, true))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errs.K(errs.NotFound, "onlinedienst.error.not_found")
	}
	if err != nil {
		return nil, fmt.Errorf("onlinedienst: get: %w", err)
	}
	return s, nil
}

// List returns the active online services by title.
func (r *Registry) List(ctx context.Context) ([]*Service, error) {
	rows, err := r.db.QueryContext(ctx, `SELECT `+cols+` FROM online_services WHERE active = ? ORDER BY title, slug`, true)
	if err != nil {
		return nil, fmt.Errorf("onlinedienst: list: %w", err)
	}
	defer rows.Close()
	var out []*Service
	for rows.Next() {
		s, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// Model returns the runtime model of a form version, built on first use
// with the code lists stored now. Form versions are immutable, so the
// model is kept for the life of the process.
func (r *Registry) Model(ctx context.Context, id, version string) (*form.Model, error) {
	key := id + " " + version
	r.mu.Lock()
	m, ok := r.models[key]
	r.mu.Unlock()
	if ok {
		return m, nil
	}
	f, err := r.fim.Form(ctx, id, version)
	if err != nil {
		return nil, err
	}
	doc, err := f.Document()
	if err != nil {
		return nil, fmt.Errorf("onlinedienst: stored form %s %s: %w", id, version, err)
	}
	cls, err := r.fim.CodeLists(ctx)
	if err != nil {
		return nil, err
	}
	m, err = form.NewModel(doc, cls)
	if err != nil {
		return nil, err
	}
	if r.Log != nil {
		for _, w := range m.Warnings {
			r.Log.Warn("form: "+w, "form", id, "version", version)
		}
		for _, u := range m.Rules {
			if !u.Enforced {
				r.Log.Warn("form: rule not enforced", "form", id, "version", version, "rule", u.Rule.Source.ID, "reason", u.Reason)
			}
		}
		if !bytes.Equal(bytes.TrimSpace(f.SchemaJSON), bytes.TrimSpace(m.Schema.JSON)) {
			r.Log.Warn("form: the code lists changed since import; submissions are validated against the schema computed now", "form", id, "version", version)
		}
	}
	r.mu.Lock()
	if have, ok := r.models[key]; ok {
		m = have
	} else {
		r.models[key] = m
	}
	r.mu.Unlock()
	return m, nil
}
