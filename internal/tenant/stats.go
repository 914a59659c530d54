package tenant

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/ozgo/ozgo/internal/errs"
	"github.com/ozgo/ozgo/internal/identity"
	"github.com/ozgo/ozgo/internal/store"
)

// The statistics counters (ZSK-like): transactions per month, online
// service and Gemeinde; counts only, nothing about the people.
const (
	StatStarted   = "begonnen"
	StatSubmitted = "eingereicht"
	StatPaid      = "bezahlt"
	StatDecided   = "entschieden"
)

// StatKinds lists the counters in the order of the exports.
var StatKinds = []string{StatStarted, StatSubmitted, StatPaid, StatDecided}

// Count adds one to the counter kind of slug in the Gemeinde ars ("" when
// unknown) for the current month. The form runtime calls it when an
// application is started and submitted; payment and the back office when
// paid and decided.
func (s *Service) Count(ctx context.Context, slug, ars, kind string) error {
	return s.CountTx(ctx, s.DB, slug, ars, kind)
}

// CountTx is Count inside a caller's transaction, so a counter moves
// exactly when what it counts is committed (a decision, say).
func (s *Service) CountTx(ctx context.Context, q store.Querier, slug, ars, kind string) error {
	known := false
	for _, k := range StatKinds {
		known = known || k == kind
	}
	if !known {
		return errs.Ef(errs.Internal, "unknown statistics counter %q", kind)
	}
	month := s.now().UTC().Format("2006-01")
	_, err := q.ExecContext(ctx, `INSERT INTO stats_monthly (month, slug, gemeinde_ars, kind, n) VALUES (?, ?, ?, ?, 1)
		ON CONFLICT (month, slug, gemeinde_ars, kind) DO UPDATE SET n = stats_monthly.n + 1`, month, slug, ars, kind)
	if err != nil {
		return fmt.Errorf("tenant: count: %w", err)
	}
	return nil
}

// StatRow is one month of one service in one Gemeinde.
type StatRow struct {
	Month       string
	Slug        string
	GemeindeARS string
	Counts      map[string]int64
}

// Statistics returns the monthly counters of the Gemeinden in the
// tenant's area, newest month first.
func (s *Service) Statistics(ctx context.Context, actor *identity.Actor, tenantID string) ([]StatRow, error) {
	if err := s.authorizeManage(actor, tenantID); err != nil {
		return nil, err
	}
	t, err := s.Tenant(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	if t.ARS == "" {
		return nil, nil
	}
	return s.statistics(ctx, t.ARS)
}

// PlatformStatistics returns the monthly counters of every Gemeinde
// (operators only).
func (s *Service) PlatformStatistics(ctx context.Context, actor *identity.Actor) ([]StatRow, error) {
	if err := identity.Authorize(actor, identity.ActionManage, identity.Object{Type: "tenant", Platform: true}); err != nil {
		return nil, err
	}
	return s.statistics(ctx, "")
}

func (s *Service) statistics(ctx context.Context, prefix string) ([]StatRow, error) {
	rows, err := s.DB.QueryContext(ctx, `SELECT month, slug, gemeinde_ars, kind, n FROM stats_monthly
		WHERE gemeinde_ars LIKE ? ORDER BY month DESC, slug, gemeinde_ars`, strings.NewReplacer("%", "", "_", "").Replace(prefix)+"%")
	if err != nil {
		return nil, fmt.Errorf("tenant: statistics: %w", err)
	}
	defer rows.Close()
	var out []StatRow
	for rows.Next() {
		var month, slug, ars, kind string
		var n int64
		if err := rows.Scan(&month, &slug, &ars, &kind, &n); err != nil {
			return nil, err
		}
		if len(out) == 0 || out[len(out)-1].Month != month || out[len(out)-1].Slug != slug || out[len(out)-1].GemeindeARS != ars {
			out = append(out, StatRow{Month: month, Slug: slug, GemeindeARS: ars, Counts: map[string]int64{}})
		}
		out[len(out)-1].Counts[kind] = n
	}
	return out, rows.Err()
}

// Announcement is a maintenance window or an incident.
type Announcement struct {
	ID      int64
	Kind    string // "wartung" or "stoerung"
	Message string
	Starts  time.Time
	Ends    time.Time // zero while an incident is open
}

// Announcement kinds.
const (
	Maintenance = "wartung"
	Incident    = "stoerung"
)

// bannerLead is how long before a maintenance window the banner shows.
const bannerLead = 72 * time.Hour

// Announce lets an operator announce a maintenance window or an incident.
func (s *Service) Announce(ctx context.Context, actor *identity.Actor, a Announcement) error {
	if err := identity.Authorize(actor, identity.ActionManage, identity.Object{Type: "tenant", Platform: true}); err != nil {
		return err
	}
	if a.Kind != Maintenance && a.Kind != Incident {
		return errs.FieldError("art", "status.error.kind")
	}
	a.Message = strings.TrimSpace(a.Message)
	if a.Message == "" || len(a.Message) > 500 {
		return errs.FieldError("text", "status.error.message")
	}
	if a.Starts.IsZero() || a.Kind == Maintenance && (a.Ends.IsZero() || !a.Ends.After(a.Starts)) {
		return errs.FieldError("ende", "status.error.window")
	}
	ends := ""
	if !a.Ends.IsZero() {
		ends = fmtTime(a.Ends)
	}
	_, err := s.DB.ExecContext(ctx, `INSERT INTO announcements (kind, message, starts_at, ends_at, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
		a.Kind, a.Message, fmtTime(a.Starts), ends, actor.ID(), fmtTime(s.now()))
	return err
}

// EndIncident closes an open incident now.
func (s *Service) EndIncident(ctx context.Context, actor *identity.Actor, id int64) error {
	if err := identity.Authorize(actor, identity.ActionManage, identity.Object{Type: "tenant", Platform: true}); err != nil {
		return err
	}
	_, err := s.DB.ExecContext(ctx, `UPDATE announcements SET ends_at = ? WHERE id = ? AND ends_at = ''`, fmtTime(s.now()), id)
	return err
}

// Announcements returns what the status page shows: current and coming
// announcements and those that ended in the last 14 days, newest first.
// Banner reports the ones for the site-wide banner: maintenance from
// three days before until its end, open incidents.
func (s *Service) Announcements(ctx context.Context) (current, banner []Announcement, err error) {
	now := s.now()
	rows, err := s.DB.QueryContext(ctx, `SELECT id, kind, message, starts_at, ends_at FROM announcements
		WHERE ends_at = '' OR ends_at >= ? ORDER BY starts_at DESC, id DESC`, fmtTime(now.Add(-14*24*time.Hour)))
	if err != nil {
		return nil, nil, fmt.Errorf("tenant: announcements: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var a Announcement
		var starts, ends string
		if err := rows.Scan(&a.ID, &a.Kind, &a.Message, &starts, &ends); err != nil {
			return nil, nil, err
		}
		a.Starts = parseTime(starts)
		if ends != "" {
			a.Ends = parseTime(ends)
		}
		current = append(current, a)
		open := a.Ends.IsZero() || now.Before(a.Ends)
		if open && (a.Kind == Incident && !now.Before(a.Starts) || a.Kind == Maintenance && now.After(a.Starts.Add(-bannerLead))) {
			banner = append(banner, a)
		}
	}
	return current, banner, rows.Err()
}
