package catalog

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/mail"
	"net/url"
	"strings"

	"github.com/ozgo/ozgo/internal/errs"
	"github.com/ozgo/ozgo/internal/store"
)

const behoerdeCols = "id, tenant, name, region_ars, anschrift, telefon, email, website, oeffnungszeiten"

func scanBehoerde(r scanner) (Behoerde, error) {
	var b Behoerde
	err := r.Scan(&b.ID, &b.Tenant, &b.Name, &b.RegionARS, &b.Anschrift, &b.Telefon, &b.Email, &b.Website, &b.Oeffnungszeiten)
	return b, err
}

// ValidateBehoerde checks an authority's fields.
func ValidateBehoerde(b Behoerde) error {
	_, err := normalizeBehoerde(b)
	return err
}

// normalizeBehoerde checks b and returns it with the e-mail reduced to the
// bare address ("Amt <a@b.example>" → "a@b.example"), as used in mailto links.
func normalizeBehoerde(b Behoerde) (Behoerde, error) {
	if err := checkBehoerde(b); err != nil {
		return b, err
	}
	if b.Email != "" {
		a, _ := mail.ParseAddress(b.Email)
		b.Email = a.Address
	}
	return b, nil
}

func checkBehoerde(b Behoerde) error {
	switch {
	case strings.TrimSpace(b.Name) == "":
		return errs.FieldError("name", "catalog.behoerde.name_missing")
	case len(b.Name) > 300:
		return errs.FieldError("name", "catalog.behoerde.name_too_long", 300)
	case b.RegionARS == "":
		return errs.FieldError("region", "catalog.behoerde.region_missing")
	}
	if b.Email != "" {
		if _, err := mail.ParseAddress(b.Email); err != nil {
			return errs.FieldError("email", "catalog.behoerde.email_invalid")
		}
	}
	if b.Website != "" {
		u, err := url.Parse(b.Website)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return errs.FieldError("website", "catalog.behoerde.website_invalid")
		}
	}
	return nil
}

// CreateBehoerde stores a new authority in tx and returns its id.
func (s *Store) CreateBehoerde(ctx context.Context, tx *store.Tx, b Behoerde) (int64, error) {
	b, err := normalizeBehoerde(b)
	if err != nil {
		return 0, err
	}
	var id int64
	err = tx.QueryRowContext(ctx, `INSERT INTO behoerden (tenant, name, region_ars, anschrift, telefon, email, website, oeffnungszeiten)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		b.Tenant, b.Name, b.RegionARS, b.Anschrift, b.Telefon, b.Email, b.Website, b.Oeffnungszeiten).Scan(&id)
	if err != nil {
		if isForeignKey(err) {
			return 0, errs.FieldError("region", "catalog.region.not_found")
		}
		return 0, fmt.Errorf("catalog: create authority: %w", err)
	}
	return id, nil
}

// Assign records that an authority handles a Leistung in a region.
// Assigning the same triple again updates the online service link.
func (s *Store) Assign(ctx context.Context, tx *store.Tx, a Assignment) error {
	if a.OnlinedienstURL != "" {
		u, err := url.Parse(a.OnlinedienstURL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return errs.FieldError("onlinedienst_url", "catalog.assign.url_invalid")
		}
	}
	res, err := tx.ExecContext(ctx, `UPDATE zustaendigkeiten SET onlinedienst_url = ? WHERE leistung_ref = ? AND region_ars = ? AND behoerde_id = ?`,
		a.OnlinedienstURL, a.LeistungRef, a.RegionARS, a.BehoerdeID)
	if err != nil {
		return fmt.Errorf("catalog: assign: %w", err)
	}
	if n, _ := res.RowsAffected(); n > 0 {
		return nil
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO zustaendigkeiten (leistung_ref, region_ars, behoerde_id, onlinedienst_url) VALUES (?, ?, ?, ?)`,
		a.LeistungRef, a.RegionARS, a.BehoerdeID, a.OnlinedienstURL)
	if err != nil {
		if isForeignKey(err) {
			return errs.K(errs.Invalid, "catalog.assign.unknown_reference")
		}
		return fmt.Errorf("catalog: assign: %w", err)
	}
	return nil
}

func isForeignKey(err error) bool {
	s := err.Error()
	return strings.Contains(s, "FOREIGN KEY") || strings.Contains(s, "SQLSTATE 23503")
}

// Behoerde returns one authority.
func (s *Store) Behoerde(ctx context.Context, id int64) (Behoerde, error) {
	b, err := scanBehoerde(s.db.QueryRowContext(ctx, `SELECT `+behoerdeCols+` FROM behoerden WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return b, errs.K(errs.NotFound, "catalog.behoerde.not_found")
	}
	return b, err
}

// BehoerdenIn lists the authorities located in the given regions, nearest
// region first (pass ChainARS of a Gemeinde for "its" authorities).
func (s *Store) BehoerdenIn(ctx context.Context, arsList []string) ([]Behoerde, error) {
	if len(arsList) == 0 {
		return nil, nil
	}
	ph := strings.TrimSuffix(strings.Repeat("?, ", len(arsList)), ", ")
	args := make([]any, len(arsList))
	for i, a := range arsList {
		args[i] = a
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+behoerdeCols+` FROM behoerden WHERE region_ars IN (`+ph+`) ORDER BY LENGTH(region_ars) DESC, name, id`, args...)
	if err != nil {
		return nil, fmt.Errorf("catalog: authorities: %w", err)
	}
	defer rows.Close()
	var out []Behoerde
	for rows.Next() {
		b, err := scanBehoerde(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, rows.Err()
}

// Angebot is a Leistung with an online service offered for a region.
type Angebot struct {
	LeistungRef     string
	RegionARS       string
	Behoerde        Behoerde
	OnlinedienstURL string
}

// AssignmentsIn lists the assignments that apply to a region (assigned to
// it or to a region above it), nearest first. onlineOnly keeps those with an
// online service.
func (s *Store) AssignmentsIn(ctx context.Context, chain []string, onlineOnly bool) ([]Angebot, error) {
	if len(chain) == 0 {
		return nil, nil
	}
	ph := strings.TrimSuffix(strings.Repeat("?, ", len(chain)), ", ")
	args := make([]any, len(chain))
	for i, a := range chain {
		args[i] = a
	}
	q := `SELECT z.leistung_ref, z.region_ars, z.onlinedienst_url, ` + prefixed("b.", behoerdeCols) + `
		FROM zustaendigkeiten z JOIN behoerden b ON b.id = z.behoerde_id
		WHERE z.region_ars IN (` + ph + `)`
	if onlineOnly {
		q += ` AND z.onlinedienst_url <> ''`
	}
	q += ` ORDER BY LENGTH(z.region_ars) DESC, z.leistung_ref, b.name, b.id`
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("catalog: assignments: %w", err)
	}
	defer rows.Close()
	var out []Angebot
	seen := map[string]bool{}
	for rows.Next() {
		var a Angebot
		var b Behoerde
		if err := rows.Scan(&a.LeistungRef, &a.RegionARS, &a.OnlinedienstURL,
			&b.ID, &b.Tenant, &b.Name, &b.RegionARS, &b.Anschrift, &b.Telefon, &b.Email, &b.Website, &b.Oeffnungszeiten); err != nil {
			return nil, err
		}
		// The nearest assignment of a Leistung overrides those above it.
		if seen[a.LeistungRef] {
			continue
		}
		seen[a.LeistungRef] = true
		a.Behoerde = b
		out = append(out, a)
	}
	return out, rows.Err()
}

func prefixed(p, cols string) string {
	parts := strings.Split(cols, ", ")
	for i := range parts {
		parts[i] = p + parts[i]
	}
	return strings.Join(parts, ", ")
}

// Zustaendigkeit answers who handles the Leistung ref for the region ars
// (normally a Gemeinde): the nearest assignment walking up Gemeinde →
// Gemeindeverband → Kreis → Regierungsbezirk → Land, else the level derived
// from the Leistung's typisierung.
func (s *Service) Zustaendigkeit(ctx context.Context, ref, ars string) (Zustaendigkeit, error) {
	sn, err := s.Snapshot(ctx)
	if err != nil {
		return Zustaendigkeit{}, err
	}
	l, err := sn.Leistung(ref)
	if err != nil {
		return Zustaendigkeit{}, err
	}
	reg, err := sn.Region(ars)
	if err != nil {
		return Zustaendigkeit{}, err
	}
	z := Zustaendigkeit{Leistung: l, Region: reg}
	chain := ChainARS(ars)
	ph := strings.TrimSuffix(strings.Repeat("?, ", len(chain)), ", ")
	args := []any{ref}
	for _, a := range chain {
		args = append(args, a)
	}
	row := s.store.db.QueryRowContext(ctx, `SELECT z.region_ars, z.onlinedienst_url, `+prefixed("b.", behoerdeCols)+`
		FROM zustaendigkeiten z JOIN behoerden b ON b.id = z.behoerde_id
		WHERE z.leistung_ref = ? AND z.region_ars IN (`+ph+`)
		ORDER BY LENGTH(z.region_ars) DESC, b.id LIMIT 1`, args...)
	var b Behoerde
	var at string
	err = row.Scan(&at, &z.OnlinedienstURL, &b.ID, &b.Tenant, &b.Name, &b.RegionARS, &b.Anschrift, &b.Telefon, &b.Email, &b.Website, &b.Oeffnungszeiten)
	switch {
	case err == nil:
		z.Quelle = Zugeordnet
		z.Behoerde = &b
		if r, err := sn.Region(at); err == nil {
			z.Zustaendig = &r
			z.Ebene = string(r.Ebene)
		}
		return z, nil
	case !errors.Is(err, sql.ErrNoRows):
		return z, fmt.Errorf("catalog: zuständigkeit: %w", err)
	}
	z.Quelle = Abgeleitet
	z.Ebene = DefaultEbene(l.Typisierung)
	if z.Ebene == "bund" {
		return z, nil
	}
	want := Ebene(z.Ebene)
	candidates := append([]Region{reg}, sn.Ancestors(reg)...)
	for _, r := range candidates {
		if r.Ebene == want {
			z.Zustaendig = &r
			return z, nil
		}
	}
	// Asked about a region above the derived level (e.g. a Kreis for a
	// kommunal Leistung): the region itself is the best answer.
	z.Zustaendig = &reg
	z.Ebene = string(reg.Ebene)
	return z, nil
}
