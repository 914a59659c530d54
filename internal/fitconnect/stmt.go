package fitconnect

import (
	"context"
	"database/sql"
	"sync"

	"github.com/ozgo/ozgo/internal/store"
)

// stmtCache holds the prepared statements of the send path: on SQLite,
// parsing a short statement costs more than running it, and every
// submission runs a few dozen.
type stmtCache struct {
	mu sync.Mutex
	m  map[string]*sql.Stmt
}

func (s *Service) prepared(ctx context.Context, query string) (*sql.Stmt, error) {
	s.stmts.mu.Lock()
	defer s.stmts.mu.Unlock()
	if st, ok := s.stmts.m[query]; ok {
		return st, nil
	}
	st, err := s.db.Prepare(context.WithoutCancel(ctx), query)
	if err != nil {
		return nil, err
	}
	if s.stmts.m == nil {
		s.stmts.m = map[string]*sql.Stmt{}
	}
	s.stmts.m[query] = st
	return st, nil
}

// stmtFor returns the prepared statement for query on q (a transaction or
// the database), or nil to run it unprepared. Only on SQLite: pgx caches
// prepared statements per connection by itself, and preparing through
// database/sql needs a second pool connection, which a transaction holding
// one must never wait for (with the pool exhausted that deadlocks).
func (s *Service) stmtFor(ctx context.Context, q store.Querier, query string) *sql.Stmt {
	if q.Engine() != store.SQLite {
		return nil
	}
	st, err := s.prepared(ctx, query)
	if err != nil {
		return nil
	}
	switch q := q.(type) {
	case *store.Tx:
		return q.Stmt(ctx, st)
	case *store.DB:
		return st
	}
	return nil
}

func (s *Service) exec(ctx context.Context, q store.Querier, query string, args ...any) (sql.Result, error) {
	if st := s.stmtFor(ctx, q, query); st != nil {
		return st.ExecContext(ctx, args...)
	}
	return q.ExecContext(ctx, query, args...)
}

func (s *Service) queryRow(ctx context.Context, q store.Querier, query string, args ...any) *sql.Row {
	if st := s.stmtFor(ctx, q, query); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return q.QueryRowContext(ctx, query, args...)
}

func (s *Service) query(ctx context.Context, q store.Querier, query string, args ...any) (*sql.Rows, error) {
	if st := s.stmtFor(ctx, q, query); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return q.QueryContext(ctx, query, args...)
}
