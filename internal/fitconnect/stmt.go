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

// prepared returns query prepared on db (the shared pool for reads, the
// committer's connection for transactions: database/sql binds a statement
// to the pool it was prepared on).
func (c *stmtCache) prepared(ctx context.Context, db *store.DB, query string) (*sql.Stmt, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if st, ok := c.m[query]; ok {
		return st, nil
	}
	st, err := db.Prepare(context.WithoutCancel(ctx), query)
	if err != nil {
		return nil, err
	}
	if c.m == nil {
		c.m = map[string]*sql.Stmt{}
	}
	c.m[query] = st
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
	switch q := q.(type) {
	case *store.Tx:
		// Transactions on SQLite run only in the committer goroutine, on
		// its writer connection, which the transaction occupies: so the
		// statements are prepared in the transaction and reused by the
		// whole group.
		if s.groupTx != q {
			s.groupTx, s.groupStmts = q, map[string]*sql.Stmt{}
		}
		if st, ok := s.groupStmts[query]; ok {
			return st
		}
		st, err := q.Prepare(ctx, query)
		if err != nil {
			return nil
		}
		s.groupStmts[query] = st
		return st
	case *store.DB:
		if q != s.db {
			return nil
		}
		st, err := s.stmts.prepared(ctx, s.db, query)
		if err != nil {
			return nil
		}
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
