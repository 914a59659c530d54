package identity

import (
	"context"
	"crypto/subtle"
	"database/sql"
	"errors"
	"time"

	"github.com/ozgo/ozgo/internal/audit"
	"github.com/ozgo/ozgo/internal/errs"
	"github.com/ozgo/ozgo/internal/store"
)

// Session kinds.
const (
	KindCitizen = "citizen"
	KindStaff   = "staff"
)

// Session is a server-side login session. The browser holds Token; the
// database only its hash (ID).
type Session struct {
	Token      string // set only when the session is created
	ID         string
	Kind       string
	Principal  string // person id or staff id
	TrustLevel TrustLevel
	Provider   string
	// ActingAs is the party a citizen acts for: "" for themself, else
	// "organisation:<id>" or "person:<id>"; MandateID says why (empty
	// when acting as a member of one's own organisation).
	ActingAs   string
	MandateID  string
	Pending2FA bool
	// TenantKey is the unlocked tenant key bound to a staff session
	// (nil when none); see tenantkey.go.
	TenantKey []byte
	Created   time.Time
	LastSeen  time.Time
	Expires   time.Time
}

// Idle is the session's idle timeout.
func (s *Session) Idle() time.Duration {
	if s.Kind == KindStaff {
		return StaffIdle
	}
	return CitizenIdle
}

// StartSession creates a session for principal. old, the token of the
// browser's previous session if any, is ended: a login always gets a new
// token (no session fixation).
func (s *Service) StartSession(ctx context.Context, old, kind, principal string, level TrustLevel, provider string, pending2FA bool) (*Session, error) {
	now := s.now()
	max := CitizenMax
	if kind == KindStaff {
		max = StaffMax
	}
	if pending2FA {
		max = pending2FATTL
	}
	sess := &Session{
		Token: NewToken(), Kind: kind, Principal: principal, TrustLevel: level, Provider: provider,
		Pending2FA: pending2FA, Created: now, LastSeen: now, Expires: now.Add(max),
	}
	sess.ID = hashToken(sess.Token)
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		if old != "" {
			if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE id = ?`, hashToken(old)); err != nil {
				return err
			}
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO sessions (id, kind, principal, trust_level, provider, acting_as, mandate_id, pending_2fa, created_at, last_seen, expires_at)
			VALUES (?, ?, ?, ?, ?, '', '', ?, ?, ?, ?)`,
			sess.ID, kind, principal, int(level), provider, pending2FA, fmtTime(now), fmtTime(now), fmtTime(sess.Expires))
		return err
	})
	if err != nil {
		return nil, err
	}
	return sess, nil
}

// touchEvery limits how often last_seen is written: once a minute is
// precise enough for a 30-minute idle timeout and spares the database.
const touchEvery = time.Minute

// Session returns the live session of token, or NotFound when there is
// none, it expired (idle or absolute), or it was ended.
func (s *Service) Session(ctx context.Context, token string) (*Session, error) {
	if token == "" || len(token) > 128 {
		return nil, errs.E(errs.NotFound, "")
	}
	id := hashToken(token)
	sess := &Session{ID: id}
	var level int
	var created, seen, expires string
	var sealedKey []byte
	err := s.DB.QueryRowContext(ctx, `SELECT kind, principal, trust_level, provider, acting_as, mandate_id, pending_2fa, created_at, last_seen, expires_at, tenant_key
		FROM sessions WHERE id = ?`, id).Scan(&sess.Kind, &sess.Principal, &level, &sess.Provider, &sess.ActingAs, &sess.MandateID,
		&sess.Pending2FA, &created, &seen, &expires, &sealedKey)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errs.E(errs.NotFound, "")
	}
	if err != nil {
		return nil, err
	}
	sess.TrustLevel = TrustLevel(level)
	sess.TenantKey = openSessionKey(token, id, sealedKey)
	sess.Created, sess.LastSeen, sess.Expires = parseTime(created), parseTime(seen), parseTime(expires)
	now := s.now()
	if !now.Before(sess.Expires) || now.Sub(sess.LastSeen) >= sess.Idle() {
		_, _ = s.DB.ExecContext(ctx, `DELETE FROM sessions WHERE id = ?`, id)
		return nil, errs.E(errs.NotFound, "")
	}
	if now.Sub(sess.LastSeen) >= touchEvery {
		if _, err := s.DB.ExecContext(ctx, `UPDATE sessions SET last_seen = ? WHERE id = ?`, fmtTime(now), id); err != nil {
			return nil, err
		}
		sess.LastSeen = now
	}
	return sess, nil
}

// EndSession ends the session of token (logout).
func (s *Service) EndSession(ctx context.Context, token string) error {
	if token == "" {
		return nil
	}
	_, err := s.DB.ExecContext(ctx, `DELETE FROM sessions WHERE id = ?`, hashToken(token))
	return err
}

// EndAllSessions ends every session of a principal ("logout everywhere"),
// and audits it as done by actor.
func (s *Service) EndAllSessions(ctx context.Context, actor, principal string) (int64, error) {
	var n int64
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE principal = ?`, principal)
		if err != nil {
			return err
		}
		n, _ = res.RowsAffected()
		_, err = s.Audit.Append(ctx, tx, audit.Entry{Actor: actor, Action: "logout.everywhere", ObjectType: "principal", ObjectID: principal, Outcome: audit.Success})
		return err
	})
	return n, err
}

// completeSecondFactor turns a pending staff session into a full one.
func (s *Service) completeSecondFactor(ctx context.Context, tx *store.Tx, sessID string) error {
	now := s.now()
	_, err := tx.ExecContext(ctx, `UPDATE sessions SET pending_2fa = ?, expires_at = ?, last_seen = ? WHERE id = ?`,
		false, fmtTime(now.Add(StaffMax)), fmtTime(now), sessID)
	return err
}

// ActAs lets the citizen of sess act for party ("" = themself), which
// Parties must have offered (membership or a valid mandate).
func (s *Service) ActAs(ctx context.Context, sess *Session, party string) error {
	if sess.Kind != KindCitizen {
		return errs.E(errs.NotFound, "")
	}
	mandate := ""
	if party != "" {
		parties, err := s.Parties(ctx, sess.Principal)
		if err != nil {
			return err
		}
		found := false
		for _, p := range parties {
			if p.Ref == party {
				found, mandate = true, p.MandateID
				break
			}
		}
		if !found {
			return errs.E(errs.NotFound, "")
		}
	}
	return s.DB.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE sessions SET acting_as = ?, mandate_id = ? WHERE id = ?`, party, mandate, sess.ID); err != nil {
			return err
		}
		d := map[string]string{"acting_as": party}
		if mandate != "" {
			d["mandate"] = mandate
		}
		_, err := s.Audit.Append(ctx, tx, audit.Entry{Actor: "person:" + sess.Principal, Action: "session.act_as", ObjectType: "session", ObjectID: sess.ID[:16], Outcome: audit.Success, Details: d})
		return err
	})
}

// SaveLoginRequest remembers an external login ozgo started. binding is
// a secret also given to the browser in a cookie, so an answer is only
// accepted in the browser that asked (no login CSRF).
func (s *Service) SaveLoginRequest(ctx context.Context, p Pending, binding string) error {
	sealed, err := s.Keys.Seal(p.Secret, []byte("login-request:"+p.ID))
	if err != nil {
		return err
	}
	now := s.now()
	if _, err := s.DB.ExecContext(ctx, `DELETE FROM login_requests WHERE expires_at < ?`, fmtTime(now)); err != nil {
		return err
	}
	_, err = s.DB.ExecContext(ctx, `DELETE FROM login_replay WHERE expires_at < ?`, fmtTime(now))
	if err != nil {
		return err
	}
	_, err = s.DB.ExecContext(ctx, `INSERT INTO login_requests (id, provider, trust_level, return_to, data, binding, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		p.ID, p.Provider, int(p.TrustLevel), p.ReturnTo, sealed, hashToken(binding), fmtTime(now.Add(LoginRequestTTL)))
	return err
}

// TakeLoginRequest returns and deletes the pending request id of
// provider; it must be unexpired and come with the browser's binding.
func (s *Service) TakeLoginRequest(ctx context.Context, provider, id, binding string) (Pending, error) {
	var p Pending
	var level int
	var sealed []byte
	var bind, exp string
	fail := errs.K(errs.Unauthorized, "identity.login.expired")
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		err := tx.QueryRowContext(ctx, `SELECT provider, trust_level, return_to, data, binding, expires_at FROM login_requests WHERE id = ?`, id).
			Scan(&p.Provider, &level, &p.ReturnTo, &sealed, &bind, &exp)
		if errors.Is(err, sql.ErrNoRows) {
			return fail
		}
		if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM login_requests WHERE id = ?`, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return fail
		}
		return nil
	})
	if err != nil {
		return Pending{}, err
	}
	if p.Provider != provider || subtle.ConstantTimeCompare([]byte(bind), []byte(hashToken(binding))) != 1 || !s.now().Before(parseTime(exp)) {
		return Pending{}, fail
	}
	p.ID, p.TrustLevel, p.Expires = id, TrustLevel(level), parseTime(exp)
	p.Secret, err = s.Keys.Open(sealed, []byte("login-request:"+id))
	if err != nil {
		return Pending{}, errs.Wrap(errs.Internal, "identity.TakeLoginRequest", err, "")
	}
	return p, nil
}

// Purge deletes expired sessions, login requests, replay marks and old
// login failures. Any process may run it at any time.
func (s *Service) Purge(ctx context.Context) error {
	now := s.now()
	t := s.Throttle.withDefaults()
	for _, q := range []struct {
		sql string
		arg time.Time
	}{
		{`DELETE FROM sessions WHERE expires_at <= ?`, now},
		{`DELETE FROM sessions WHERE last_seen <= ? AND kind = 'citizen'`, now.Add(-CitizenIdle)},
		{`DELETE FROM sessions WHERE last_seen <= ? AND kind = 'staff'`, now.Add(-StaffIdle)},
		{`DELETE FROM login_requests WHERE expires_at <= ?`, now},
		{`DELETE FROM login_replay WHERE expires_at <= ?`, now},
		{`DELETE FROM login_failures WHERE at <= ?`, now.Add(-10 * t.Window)},
		{`DELETE FROM invitations WHERE expires_at <= ?`, now},
	} {
		if _, err := s.DB.ExecContext(ctx, q.sql, fmtTime(q.arg)); err != nil {
			return err
		}
	}
	return nil
}
