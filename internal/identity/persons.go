package identity

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/ozgo/ozgo/internal/audit"
	"github.com/ozgo/ozgo/internal/errs"
	"github.com/ozgo/ozgo/internal/store"
)

// Person is a citizen known from an external login.
type Person struct {
	ID         string
	Provider   string
	Subject    string
	Attributes Attributes
}

func personAAD(id string) []byte { return []byte("person:" + id) }

// LoginPerson records a verified external login: it finds or creates the
// person for (provider, subject), stores the newest attributes sealed,
// rejects a replayed assertion, and audits the login. The caller then
// starts a session.
func (s *Service) LoginPerson(ctx context.Context, a Assertion) (*Person, error) {
	if a.Provider == "" || a.Subject == "" || a.TrustLevel < Niedrig {
		return nil, errs.K(errs.Unauthorized, "identity.login.failed")
	}
	attrs, err := json.Marshal(a.Attributes)
	if err != nil {
		return nil, err
	}
	now := s.now()
	p := &Person{Provider: a.Provider, Subject: a.Subject, Attributes: a.Attributes}
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		if a.ReplayID != "" {
			if err := s.useOnce(ctx, tx, a.Provider+":"+a.ReplayID, a.ReplayUntil); err != nil {
				return err
			}
		}
		err := tx.QueryRowContext(ctx, `SELECT id FROM persons WHERE provider = ? AND subject = ?`, a.Provider, a.Subject).Scan(&p.ID)
		created := false
		switch {
		case errors.Is(err, sql.ErrNoRows):
			p.ID = newID()
			created = true
		case err != nil:
			return err
		}
		sealed, err := s.Keys.Seal(attrs, personAAD(p.ID))
		if err != nil {
			return err
		}
		if created {
			_, err = tx.ExecContext(ctx, `INSERT INTO persons (id, provider, subject, attrs, created_at, last_login) VALUES (?, ?, ?, ?, ?, ?)`,
				p.ID, a.Provider, a.Subject, sealed, fmtTime(now), fmtTime(now))
		} else {
			_, err = tx.ExecContext(ctx, `UPDATE persons SET attrs = ?, last_login = ? WHERE id = ?`, sealed, fmtTime(now), p.ID)
		}
		if err != nil {
			return err
		}
		_, err = s.Audit.Append(ctx, tx, audit.Entry{
			Actor: "person:" + p.ID, Action: "login.citizen", ObjectType: "person", ObjectID: p.ID, Outcome: audit.Success,
			Details: map[string]string{"provider": a.Provider, "trust_level": a.TrustLevel.String(), "new": fmt.Sprint(created)},
		})
		return err
	})
	if err != nil {
		return nil, err
	}
	return p, nil
}

// useOnce records id as used until `until`; a second use is refused.
// Assertions without an end of validity are remembered for a day.
func (s *Service) useOnce(ctx context.Context, tx *store.Tx, id string, until time.Time) error {
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM login_replay WHERE id = ?`, id).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return errs.K(errs.Unauthorized, "identity.login.replayed")
	}
	if until.IsZero() {
		until = s.now().Add(24 * time.Hour)
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO login_replay (id, expires_at) VALUES (?, ?)`, id, fmtTime(until))
	return err
}

// Person returns a person by id.
func (s *Service) Person(ctx context.Context, id string) (*Person, error) {
	p := &Person{ID: id}
	var sealed []byte
	err := s.DB.QueryRowContext(ctx, `SELECT provider, subject, attrs FROM persons WHERE id = ?`, id).Scan(&p.Provider, &p.Subject, &sealed)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errs.E(errs.NotFound, "")
	}
	if err != nil {
		return nil, err
	}
	plain, err := s.Keys.Open(sealed, personAAD(id))
	if err != nil {
		return nil, errs.Wrap(errs.Internal, "identity.Person", err, "")
	}
	if err := json.Unmarshal(plain, &p.Attributes); err != nil {
		return nil, errs.Wrap(errs.Internal, "identity.Person", err, "")
	}
	return p, nil
}
