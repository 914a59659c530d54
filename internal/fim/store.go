package fim

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ozgo/ozgo/internal/errs"
	"github.com/ozgo/ozgo/internal/store"
)

// Store keeps code lists and form definitions in the database. Both are
// immutable: importing the same content again changes nothing, different
// content under an existing id and version is refused, because submissions
// already made against a form must keep meaning what they meant.
type Store struct {
	db *store.DB
}

// NewStore returns the FIM store on db.
func NewStore(db *store.DB) *Store { return &Store{db: db} }

// ImportResult says what an import did.
type ImportResult struct {
	Created bool // false: the identical content was already there
}

func sum(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// ImportCodeList stores a genericode list given as its XML.
func (s *Store) ImportCodeList(ctx context.Context, tx *store.Tx, raw []byte) (*CodeList, ImportResult, error) {
	l, err := ParseCodeList(bytes.NewReader(raw))
	if err != nil {
		return nil, ImportResult{}, err
	}
	if l.CanonicalVersionURI == "" {
		return nil, ImportResult{}, errs.K(errs.Invalid, "fim.codelist.no_version_uri")
	}
	digest := sum(raw)
	var have string
	err = tx.QueryRowContext(ctx, `SELECT sha256 FROM fim_codelists WHERE version_uri = ?`, l.CanonicalVersionURI).Scan(&have)
	switch {
	case err == nil && have == digest:
		return l, ImportResult{}, nil
	case err == nil:
		return nil, ImportResult{}, errs.K(errs.Conflict, "fim.codelist.changed", l.CanonicalVersionURI)
	case !errors.Is(err, sql.ErrNoRows):
		return nil, ImportResult{}, fmt.Errorf("fim: read code list: %w", err)
	}
	name := l.LongName
	if name == "" {
		name = l.ShortName
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO fim_codelists (version_uri, canonical_uri, version, name, entries, source, sha256, imported_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		l.CanonicalVersionURI, l.CanonicalURI, l.Version, name, len(l.Entries), raw, digest, now())
	if err != nil {
		return nil, ImportResult{}, fmt.Errorf("fim: store code list: %w", err)
	}
	return l, ImportResult{Created: true}, nil
}

// CodeLists loads every stored list into a CodeListStore.
func (s *Store) CodeLists(ctx context.Context) (*CodeListStore, error) {
	return s.CodeListsQ(ctx, s.db)
}

// CodeListsQ is CodeLists through q, e.g. inside a transaction that just
// stored some of them.
func (s *Store) CodeListsQ(ctx context.Context, q store.Querier) (*CodeListStore, error) {
	rows, err := q.QueryContext(ctx, `SELECT version_uri, source FROM fim_codelists ORDER BY version_uri`)
	if err != nil {
		return nil, fmt.Errorf("fim: load code lists: %w", err)
	}
	defer rows.Close()
	cs := NewCodeListStore()
	for rows.Next() {
		var uri string
		var raw []byte
		if err := rows.Scan(&uri, &raw); err != nil {
			return nil, err
		}
		l, err := ParseCodeList(bytes.NewReader(raw))
		if err != nil {
			return nil, fmt.Errorf("fim: stored code list %s no longer parses: %w", uri, err)
		}
		l.Source = "database"
		cs.Add(l)
	}
	return cs, rows.Err()
}

// Form is a stored form definition.
type Form struct {
	ID, Version, Name, Format string
	SHA256                    string
	SchemaJSON                []byte
	Warnings                  []string
	ImportedAt                time.Time
	Source                    []byte
}

// Document parses the stored XML again.
func (f *Form) Document() (*Document, error) { return Parse(bytes.NewReader(f.Source)) }

// ImportForm stores a form definition given as its XDatenfelder XML, with
// its JSON Schema computed against cls (the code lists to resolve).
func (s *Store) ImportForm(ctx context.Context, tx *store.Tx, raw []byte, cls *CodeListStore) (*Form, ImportResult, error) {
	doc, err := Parse(bytes.NewReader(raw))
	if err != nil {
		return nil, ImportResult{}, err
	}
	if doc.Root == nil || doc.Root.ID == "" {
		return nil, ImportResult{}, errs.K(errs.Invalid, "fim.form.no_id")
	}
	exp, err := JSONSchema(doc, cls)
	if err != nil {
		return nil, ImportResult{}, err
	}
	f := &Form{
		ID: doc.Root.ID, Version: doc.Root.Version, Name: doc.Root.Title(), Format: doc.Format.String(),
		SHA256: sum(raw), SchemaJSON: exp.JSON, Warnings: append(append([]string{}, doc.Warnings...), exp.Warnings...),
		Source: raw,
	}
	var have string
	err = tx.QueryRowContext(ctx, `SELECT sha256 FROM fim_forms WHERE id = ? AND version = ?`, f.ID, f.Version).Scan(&have)
	switch {
	case err == nil && have == f.SHA256:
		return f, ImportResult{}, nil
	case err == nil:
		return nil, ImportResult{}, errs.K(errs.Conflict, "fim.form.changed", f.ID, f.Version)
	case !errors.Is(err, sql.ErrNoRows):
		return nil, ImportResult{}, fmt.Errorf("fim: read form: %w", err)
	}
	f.ImportedAt = time.Now().UTC()
	_, err = tx.ExecContext(ctx, `INSERT INTO fim_forms (id, version, name, format, source, sha256, schema_json, warnings, imported_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		f.ID, f.Version, f.Name, f.Format, raw, f.SHA256, string(f.SchemaJSON), strings.Join(f.Warnings, "\n"), f.ImportedAt.Format(time.RFC3339Nano))
	if err != nil {
		return nil, ImportResult{}, fmt.Errorf("fim: store form: %w", err)
	}
	return f, ImportResult{Created: true}, nil
}

const formCols = "id, version, name, format, sha256, schema_json, warnings, imported_at, source"

func scanForm(r interface{ Scan(...any) error }) (*Form, error) {
	var f Form
	var schema, warnings, at string
	if err := r.Scan(&f.ID, &f.Version, &f.Name, &f.Format, &f.SHA256, &schema, &warnings, &at, &f.Source); err != nil {
		return nil, err
	}
	f.SchemaJSON = []byte(schema)
	if warnings != "" {
		f.Warnings = strings.Split(warnings, "\n")
	}
	f.ImportedAt, _ = time.Parse(time.RFC3339Nano, at)
	return &f, nil
}

// Form returns one stored form definition.
func (s *Store) Form(ctx context.Context, id, version string) (*Form, error) {
	f, err := scanForm(s.db.QueryRowContext(ctx, `SELECT `+formCols+` FROM fim_forms WHERE id = ? AND version = ?`, id, version))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errs.K(errs.NotFound, "fim.form.not_found")
	}
	if err != nil {
		return nil, fmt.Errorf("fim: read form: %w", err)
	}
	return f, nil
}

// Forms lists the stored form definitions by id and version.
func (s *Store) Forms(ctx context.Context) ([]*Form, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+formCols+` FROM fim_forms ORDER BY id, version`)
	if err != nil {
		return nil, fmt.Errorf("fim: list forms: %w", err)
	}
	defer rows.Close()
	var out []*Form
	for rows.Next() {
		f, err := scanForm(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, rows.Err()
}

func now() string { return time.Now().UTC().Format(time.RFC3339Nano) }
