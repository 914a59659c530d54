package tenant

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/ozgo/ozgo/internal/audit"
	"github.com/ozgo/ozgo/internal/store"

	"github.com/ozgo/ozgo/internal/catalog"
	"github.com/ozgo/ozgo/internal/errs"
	"github.com/ozgo/ozgo/internal/identity"
	"github.com/ozgo/ozgo/internal/maturity"
)

// Input gathers what the Reifegrad of version v in a Gemeinde depends on;
// a is the Gemeinde's activation (nil: none), authority says whether
// the catalog names a responsible authority there and evidence whether
// the version's form lets the applicant upload every document it asks for
// (computed: EvidenceUploadable).
func Input(v *Version, a *Activation, authority, evidence bool) maturity.Input {
	in := maturity.Input{Authority: authority}
	if v == nil {
		return in
	}
	in.Texts = strings.TrimSpace(v.Title) != "" && strings.TrimSpace(v.Summary) != ""
	in.Evidence = evidence
	// A digital Bescheid goes to a Postfach, which needs an account: the
	// required level is at least "niedrig".
	in.RequiredLevel = int(max(v.MinTrustLevel, identity.Niedrig))
	if a == nil {
		return in
	}
	in.Authority = in.Authority || a.Authority != ""
	in.FormLive = a.Live && v.State == Published
	in.LoginLevel = int(a.TrustLevel)
	in.Delivery = a.Delivery == DeliveryInbox || a.Delivery == DeliveryDestination && a.DestinationID != ""
	// "pdf" leaves the digital path: the applicant sends the filled PDF.
	in.Postfach = a.PostfachAnswers
	// Once-only evidence retrieval comes with a later issue; until then no
	// Gemeinde reaches Reifegrad 4.
	return in
}

// Level is the configured Reifegrad of version v in the Gemeinde of
// activation a, as the tenant's overview lists it: Input with the
// computed evidence criterion and, for delivery to the built-in inbox, a
// workspace that really takes the Leistung.
func (s *Service) Level(ctx context.Context, v *Version, a *Activation) (int, error) {
	in, err := s.input(ctx, v, a, false, nil)
	if err != nil {
		return 0, err
	}
	return maturity.Assess(in).Level, nil
}

// input is Input with what only the services know: the evidence
// criterion from the form, and whether an inbox delivery has a workspace
// behind it (ready caches that per tenant and version; may be nil).
func (s *Service) input(ctx context.Context, v *Version, a *Activation, authority bool, ready map[string]bool) (maturity.Input, error) {
	evidence, err := s.EvidenceUploadable(ctx, v)
	if err != nil {
		return maturity.Input{}, err
	}
	in := Input(v, a, authority, evidence)
	if in.Delivery && a.Delivery == DeliveryInbox {
		key := a.TenantID + " " + v.Slug
		ok, seen := ready[key]
		if !seen {
			if ok, err = s.inboxReady(ctx, a.TenantID, v); err != nil {
				return maturity.Input{}, err
			}
			if ready != nil {
				ready[key] = ok
			}
		}
		in.Delivery = ok
	}
	return in, nil
}

// Assessment is the Reifegrad of one online service in one Gemeinde.
type Assessment struct {
	Version    *Version
	Activation *Activation // nil when not activated
	Gemeinde   catalog.Region
	maturity.Result
}

// Reifegrad assesses the online service slug in the Gemeinde ars.
func (s *Service) Reifegrad(ctx context.Context, slug, ars string) (Assessment, error) {
	v, err := s.PublishedVersion(ctx, slug)
	if err != nil {
		return Assessment{}, err
	}
	return s.assess(ctx, v, ars)
}

func (s *Service) assess(ctx context.Context, v *Version, ars string) (Assessment, error) {
	sn, err := s.Catalog.Snapshot(ctx)
	if err != nil {
		return Assessment{}, err
	}
	g, err := sn.Region(ars)
	if err != nil || g.Ebene != catalog.Gemeinde {
		return Assessment{}, errs.K(errs.NotFound, "tenant.error.gemeinde_not_found")
	}
	a, err := s.Activation(ctx, v.Slug, ars)
	if err != nil && !errs.Is(err, errs.NotFound) {
		return Assessment{}, err
	}
	authority := false
	if z, err := s.Catalog.Zustaendigkeit(ctx, v.LeiKa[0], ars); err == nil {
		authority = z.Behoerde != nil
	}
	in, err := s.input(ctx, v, a, authority, nil)
	if err != nil {
		return Assessment{}, err
	}
	return Assessment{Version: v, Activation: a, Gemeinde: g, Result: maturity.Assess(in)}, nil
}

// ReifegradLeistung assesses the Leistung leika in the Gemeinde ars: the
// best of the online services offering it (Reifegrad 0 or 1 without one).
func (s *Service) ReifegradLeistung(ctx context.Context, leika, ars string) (Assessment, error) {
	vs, err := s.PublishedVersions(ctx)
	if err != nil {
		return Assessment{}, err
	}
	var best Assessment
	found := false
	for _, v := range vs {
		if !slices.Contains(v.LeiKa, leika) {
			continue
		}
		as, err := s.assess(ctx, v, ars)
		if err != nil {
			return Assessment{}, err
		}
		if !found || as.Level > best.Level {
			best, found = as, true
		}
	}
	if found {
		return best, nil
	}
	sn, err := s.Catalog.Snapshot(ctx)
	if err != nil {
		return Assessment{}, err
	}
	g, err := sn.Region(ars)
	if err != nil || g.Ebene != catalog.Gemeinde {
		return Assessment{}, errs.K(errs.NotFound, "tenant.error.gemeinde_not_found")
	}
	authority := false
	if z, err := s.Catalog.Zustaendigkeit(ctx, leika, ars); err == nil {
		authority = z.Behoerde != nil
	} else if !errs.Is(err, errs.NotFound) {
		return Assessment{}, err
	}
	return Assessment{Gemeinde: g, Result: maturity.Assess(maturity.Input{Authority: authority})}, nil
}

// Fokus is one of the Fokusleistungen.
type Fokus struct {
	LeiKa string
	Name  string
}

// Fokusleistungen returns the configured Fokusleistungen in order.
func (s *Service) Fokusleistungen(ctx context.Context) ([]Fokus, error) {
	rows, err := s.DB.QueryContext(ctx, `SELECT leika, name FROM fokusleistungen ORDER BY position, leika`)
	if err != nil {
		return nil, fmt.Errorf("tenant: fokusleistungen: %w", err)
	}
	defer rows.Close()
	var out []Fokus
	for rows.Next() {
		var f Fokus
		if err := rows.Scan(&f.LeiKa, &f.Name); err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, rows.Err()
}

// LeistungCoverage is the coverage of one Leistung in a region.
type LeistungCoverage struct {
	LeiKa string
	Name  string
	Fokus bool
	maturity.Coverage
}

// Levels holds the Reifegrad of every Gemeinde with a live activation, per
// LeiKa key: the best over the online services offering the Leistung.
// Gemeinden without one are missing (Reifegrad below 2).
type Levels map[string]map[string]int

// Levels computes the configured Reifegrad of every activated Gemeinde.
// Level 1 needs the catalog's Zuständigkeit, which coverage does not need
// (it counts from 3), so activated Gemeinden are assessed on their
// activation alone.
func (s *Service) Levels(ctx context.Context) (Levels, []*Version, error) {
	vs, err := s.PublishedVersions(ctx)
	if err != nil {
		return nil, nil, err
	}
	bySlug := map[string]*Version{}
	for _, v := range vs {
		bySlug[v.Slug] = v
	}
	acts, err := s.LiveActivations(ctx)
	if err != nil {
		return nil, nil, err
	}
	out := Levels{}
	ready := map[string]bool{}
	for _, a := range acts {
		v := bySlug[a.Slug]
		if v == nil {
			continue
		}
		in, err := s.input(ctx, v, a, false, ready)
		if err != nil {
			return nil, nil, err
		}
		lvl := maturity.Assess(in).Level
		for _, k := range v.LeiKa {
			m := out[k]
			if m == nil {
				m = map[string]int{}
				out[k] = m
			}
			if lvl > m[a.GemeindeARS] {
				m[a.GemeindeARS] = lvl
			}
		}
	}
	return out, vs, nil
}

// Gemeinden returns the Gemeinden of a region for coverage.
func Gemeinden(sn *catalog.Snapshot, ars string) []maturity.Gemeinde {
	var out []maturity.Gemeinde
	for _, r := range sn.Regionen {
		if r.Ebene == catalog.Gemeinde && strings.HasPrefix(r.ARS, ars) {
			g := maturity.Gemeinde{ARS: r.ARS}
			if r.Bevoelkerung != nil {
				g.Population = *r.Bevoelkerung
			}
			out = append(out, g)
		}
	}
	return out
}

// Coverage computes, for the region ars, the coverage of every Leistung
// an online service is published for and of every Fokusleistung (or only
// of leika, when given), in that order: Fokusleistungen first.
func (s *Service) Coverage(ctx context.Context, ars, leika string) ([]LeistungCoverage, error) {
	sn, err := s.Catalog.Snapshot(ctx)
	if err != nil {
		return nil, err
	}
	if ars != "" {
		if _, err := sn.Region(ars); err != nil {
			return nil, err
		}
	}
	levels, vs, err := s.Levels(ctx)
	if err != nil {
		return nil, err
	}
	fokus, err := s.Fokusleistungen(ctx)
	if err != nil {
		return nil, err
	}
	gem := Gemeinden(sn, ars)
	var out []LeistungCoverage
	seen := map[string]bool{}
	add := func(k, name string, isFokus bool) {
		if seen[k] || leika != "" && k != leika {
			return
		}
		seen[k] = true
		if l, err := sn.Leistung(k); err == nil && name == "" {
			name = l.Name
		}
		if name == "" {
			name = k // a key the catalog does not know (yet)
		}
		out = append(out, LeistungCoverage{LeiKa: k, Name: name, Fokus: isFokus, Coverage: maturity.Cover(gem, levels[k])})
	}
	for _, f := range fokus {
		add(f.LeiKa, f.Name, true)
	}
	for _, v := range vs {
		for _, k := range v.LeiKa {
			add(k, "", false)
		}
	}
	if leika != "" && len(out) == 0 {
		if _, err := sn.Leistung(leika); err != nil {
			return nil, err
		}
		add(leika, "", false)
	}
	return out, nil
}

// ParseFokus reads the Fokusleistungen as an operator types them: one per
// line, "LeiKa-Schlüssel;Name". Errors name the line.
func ParseFokus(text string) ([]Fokus, []LineError) {
	var out []Fokus
	var lerrs []LineError
	seen := map[string]bool{}
	for i, line := range strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		k, name, _ := strings.Cut(line, ";")
		k, name = strings.TrimSpace(k), strings.TrimSpace(name)
		switch {
		case len(k) != 14 || strings.Trim(k, "0123456789") != "":
			lerrs = append(lerrs, LineError{Line: i + 1, Err: errs.FieldError("fokus", "tenant.error.fokus_key")})
		case name == "" || len(name) > 200:
			lerrs = append(lerrs, LineError{Line: i + 1, Err: errs.FieldError("fokus", "tenant.error.fokus_name")})
		case seen[k]:
			lerrs = append(lerrs, LineError{Line: i + 1, Err: errs.FieldError("fokus", "tenant.error.fokus_duplicate")})
		default:
			seen[k] = true
			out = append(out, Fokus{LeiKa: k, Name: name})
		}
	}
	return out, lerrs
}

// SetFokusleistungen replaces the Fokusleistungen (operators only).
func (s *Service) SetFokusleistungen(ctx context.Context, actor *identity.Actor, fs []Fokus) error {
	if err := identity.Authorize(actor, identity.ActionManage, identity.Object{Type: "tenant", Platform: true}); err != nil {
		return err
	}
	return s.DB.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM fokusleistungen`); err != nil {
			return err
		}
		for i, f := range fs {
			if _, err := tx.ExecContext(ctx, `INSERT INTO fokusleistungen (leika, name, position) VALUES (?, ?, ?)`, f.LeiKa, f.Name, i+1); err != nil {
				return err
			}
		}
		_, err := s.Audit.Append(ctx, tx, audit.Entry{Actor: actor.ID(), Action: "fokusleistungen.set", ObjectType: "fokusleistungen", ObjectID: strconv.Itoa(len(fs)), Outcome: audit.Success})
		return err
	})
}
