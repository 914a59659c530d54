package payment

import (
	"context"
	"time"

	"github.com/ozgo/ozgo/internal/store"
)

// reconcileLease is how long a claimed payment stays with one process.
const reconcileLease = 2 * time.Minute

// Run re-checks open transactions and completes paid applications whose
// applicant never came back, every Interval until ctx ends. Any number of
// ozgo processes may run it: rows are claimed from the database.
func (s *Service) Run(ctx context.Context) {
	t := time.NewTicker(s.interval)
	defer t.Stop()
	for {
		if _, err := s.ReconcileOnce(ctx); err != nil && ctx.Err() == nil {
			s.Log.Warn("payment: reconciliation failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// ReconcileOnce handles the payments due now and returns how many it
// handled.
func (s *Service) ReconcileOnce(ctx context.Context) (int, error) {
	ps, err := s.claim(ctx, 20)
	if err != nil {
		return 0, err
	}
	for _, p := range ps {
		s.reconcile(ctx, p)
	}
	return len(ps), nil
}

const dueWhere = `((status IN ('', 'INITIAL')) OR (status = 'PAYED' AND submission_id = '' AND submit_error = ''))
	AND next_check_at <= ? AND locked_until <= ?`

// claim takes up to n due payments: FOR UPDATE SKIP LOCKED on PostgreSQL so
// parallel processes take different rows; on SQLite the write lock of the
// transaction serialises them. The lease (locked_until) keeps the rows with
// this process until it is done or dies.
func (s *Service) claim(ctx context.Context, n int) ([]*Payment, error) {
	now := formatTime(s.now())
	var one int
	// A read first, so an idle job does not take the write lock.
	if err := s.DB.QueryRowContext(ctx, `SELECT COUNT(*) FROM payments WHERE `+dueWhere, now, now).Scan(&one); err != nil || one == 0 {
		return nil, err
	}
	var out []*Payment
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		q := `SELECT ` + paymentColumns + ` FROM payments WHERE ` + dueWhere + ` ORDER BY next_check_at, id LIMIT ?`
		if tx.Engine() == store.Postgres {
			q += ` FOR UPDATE SKIP LOCKED`
		}
		rows, err := tx.QueryContext(ctx, q, now, now, n)
		if err != nil {
			return err
		}
		for rows.Next() {
			p, err := scanPayment(rows)
			if err != nil {
				rows.Close()
				return err
			}
			out = append(out, p)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		until := formatTime(s.now().Add(reconcileLease))
		for _, p := range out {
			if _, err := tx.ExecContext(ctx, `UPDATE payments SET locked_until = ? WHERE id = ?`, until, p.ID); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// reconcile moves one claimed payment on and releases it.
func (s *Service) reconcile(ctx context.Context, p *Payment) {
	var err error
	switch {
	case p.TransactionID == "" && p.Status == "":
		// The process that created the row died before the provider
		// answered: send the stored request again (same requestId).
		var ep *EndpointConfig
		if ep, err = s.Endpoint(ctx, p.TenantID); err == nil {
			if np, e := s.ensureTransaction(ctx, ep, p, true, false); e == nil {
				p = np
			} else {
				err = e
			}
		}
	case p.Open():
		if np, e := s.Refresh(ctx, p); e == nil {
			p = np
		} else {
			err = e
		}
	}
	if err == nil && p.Paid() && p.SubmissionID == "" && p.SubmitError == "" {
		if np, e := s.completeHeld(ctx, p, "reconcile"); e == nil {
			p = np
		} else {
			err = e
			s.Log.Warn("payment: completing a paid application failed; will retry", "payment", p.ID, "err", err)
		}
	}
	checks := p.Checks + 1
	_, _ = s.DB.ExecContext(context.WithoutCancel(ctx), `UPDATE payments SET checks = ?, next_check_at = ?, locked_until = '' WHERE id = ?`,
		checks, formatTime(s.now().Add(s.backoff(checks))), p.ID)
}

// backoff is the wait before check number n+1: Interval doubled per check,
// at most MaxInterval.
func (s *Service) backoff(n int) time.Duration {
	d := s.interval
	for i := 1; i < n && d < s.maxInterval; i++ {
		d *= 2
	}
	return min(d, s.maxInterval)
}
