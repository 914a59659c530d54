package postfach

import (
	"context"
	"database/sql"
	"errors"

	"github.com/ozgo/ozgo/internal/errs"
	"github.com/ozgo/ozgo/internal/store"
)

// SubmissionCases finds cases among the applications submitted through
// ozgo's own online services (table submissions).
type SubmissionCases struct{ DB *store.DB }

// Case implements Cases.
func (c SubmissionCases) Case(ctx context.Context, id string) (*Case, error) {
	k := &Case{ID: id}
	// Applications from external FIT-Connect senders, which the clerk
	// workspace picked up (inbox_cases without an own submission), are
	// cases too: without an owner, so they have no Postfach back channel.
	err := c.DB.QueryRowContext(ctx, `SELECT owner, tenant_id, reference FROM submissions WHERE id = ?
		UNION ALL SELECT '', tenant_id, reference FROM inbox_cases WHERE id = ? AND submission_id = ''`, id, id).Scan(&k.Owner, &k.TenantID, &k.Reference)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errs.E(errs.NotFound, "")
	}
	if err != nil {
		return nil, err
	}
	return k, nil
}

// CaseSummary is one application in the status monitor.
type CaseSummary struct {
	Case
	Service   string
	Submitted string // stored time
	History   []State
	Messages  int
	Unread    int
}

// State of the summary: the newest entry of its history, or eingegangen.
func (c *CaseSummary) State() string {
	if len(c.History) == 0 {
		return StateEingegangen
	}
	return c.History[len(c.History)-1].State
}

// MyCases lists the applications of a party, newest first, with their
// state history and message counts: the status monitor.
func (s *Service) MyCases(ctx context.Context, party string) ([]*CaseSummary, error) {
	if party == "" {
		return nil, nil
	}
	rows, err := s.DB.QueryContext(ctx, `SELECT id, owner, tenant_id, reference, service, submitted_at FROM submissions WHERE owner = ? ORDER BY submitted_at DESC, id`, party)
	if err != nil {
		return nil, err
	}
	var out []*CaseSummary
	for rows.Next() {
		c := &CaseSummary{}
		if err := rows.Scan(&c.ID, &c.Owner, &c.TenantID, &c.Reference, &c.Service, &c.Submitted); err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for _, c := range out {
		if c.History, err = s.history(ctx, c.ID); err != nil {
			return nil, err
		}
		if err := s.DB.QueryRowContext(ctx, `SELECT COUNT(*), COALESCE(SUM(CASE WHEN outgoing = ? AND read_at = '' THEN 1 ELSE 0 END), 0) FROM messages WHERE case_id = ?`,
			true, c.ID).Scan(&c.Messages, &c.Unread); err != nil {
			return nil, err
		}
	}
	return out, nil
}
