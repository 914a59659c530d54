package identity

// The tenant key (docs/schluessel.md): a random 256-bit key per tenant
// under which the tenant's destination private keys are sealed. It is
// stored only wrapped: per staff member under a key derived with argon2id
// from that member's password (own salt, independent of the password
// hash), and optionally under a one-time recovery code. A successful
// login unwraps it and binds it to that session only, sealed under a key
// derived (HKDF-SHA256, RFC 5869) from the session token, which only the
// browser's cookie holds. So a database dump plus the master key opens
// none of it, and the key dies with the session.

import (
	"context"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/argon2"

	"github.com/ozgo/ozgo/internal/audit"
	"github.com/ozgo/ozgo/internal/crypt"
	"github.com/ozgo/ozgo/internal/errs"
	"github.com/ozgo/ozgo/internal/store"
)

// HolderRecovery is the wrap of the tenant key under the recovery code.
const HolderRecovery = "recovery"

func staffHolder(id string) string { return "staff:" + id }

func wrapAD(tenant, holder string) []byte {
	return []byte("ozgo tenant key v1 " + tenant + " " + holder)
}

// keyCheck is the check value of a tenant key: HMAC-SHA256 of a fixed
// text, so a key handed in can be recognised without storing the key.
func keyCheck(tenant string, key []byte) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("ozgo tenant key check " + tenant))
	return hex.EncodeToString(m.Sum(nil))
}

// kek derives the key-encryption key of a secret (password, key password
// or recovery code) with argon2id.
func kek(secret string, salt []byte, p Argon2Params) []byte {
	return argon2.IDKey([]byte(secret), salt, p.Time, p.Memory, p.Threads, crypt.KeySize)
}

func (p Argon2Params) String() string {
	return fmt.Sprintf("m=%d,t=%d,p=%d", p.Memory, p.Time, p.Threads)
}

func parseArgon2(s string) (Argon2Params, bool) {
	var p Argon2Params
	if _, err := fmt.Sscanf(s, "m=%d,t=%d,p=%d", &p.Memory, &p.Time, &p.Threads); err != nil || p.Memory == 0 || p.Time == 0 || p.Threads == 0 {
		return p, false
	}
	return p, true
}

// wrapped is a tenant key wrapped for one holder, ready to store.
type wrapped struct {
	holder, kdf string
	salt, blob  []byte
}

func wrapKey(tenant, holder, secret string, key []byte) (wrapped, error) {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return wrapped{}, err
	}
	p := DefaultArgon2
	blob, err := crypt.SealWith(kek(secret, salt, p), key, wrapAD(tenant, holder))
	if err != nil {
		return wrapped{}, err
	}
	return wrapped{holder: holder, kdf: p.String(), salt: salt, blob: blob}, nil
}

func (s *Service) storeWrap(ctx context.Context, tx *store.Tx, tenant string, w wrapped) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM tenant_key_wraps WHERE tenant_id = ? AND holder = ?`, tenant, w.holder); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO tenant_key_wraps (tenant_id, holder, kdf, salt, wrapped, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
		tenant, w.holder, w.kdf, w.salt, w.blob, fmtTime(s.now()))
	return err
}

// unwrap opens the wrap of holder with secret; nil without error when
// there is no wrap or the secret is wrong.
func (s *Service) unwrap(ctx context.Context, tenant, holder, secret string) ([]byte, error) {
	var kdf string
	var salt, blob []byte
	err := s.DB.QueryRowContext(ctx, `SELECT kdf, salt, wrapped FROM tenant_key_wraps WHERE tenant_id = ? AND holder = ?`, tenant, holder).Scan(&kdf, &salt, &blob)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	p, ok := parseArgon2(kdf)
	if !ok {
		return nil, fmt.Errorf("identity: tenant key wrap of %s: bad kdf %q", holder, kdf)
	}
	key, err := crypt.OpenWith(kek(secret, salt, p), blob, wrapAD(tenant, holder))
	if err != nil {
		return nil, nil
	}
	return key, nil
}

// HasTenantKey reports whether tenant has a tenant key.
func (s *Service) HasTenantKey(ctx context.Context, tenant string) (bool, error) {
	var n int
	err := s.DB.QueryRowContext(ctx, `SELECT COUNT(*) FROM tenant_keys WHERE tenant_id = ?`, tenant).Scan(&n)
	return n > 0, err
}

// HasKeyAccess reports whether a staff account has the tenant key wrapped
// for it.
func (s *Service) HasKeyAccess(ctx context.Context, staffID string) (bool, error) {
	var n int
	err := s.DB.QueryRowContext(ctx, `SELECT COUNT(*) FROM tenant_key_wraps WHERE holder = ?`, staffHolder(staffID)).Scan(&n)
	return n > 0, err
}

// checkTenantKey verifies that key is tenant's key.
func (s *Service) checkTenantKey(ctx context.Context, q store.Querier, tenant string, key []byte) error {
	var check string
	err := q.QueryRowContext(ctx, `SELECT check_value FROM tenant_keys WHERE tenant_id = ?`, tenant).Scan(&check)
	if errors.Is(err, sql.ErrNoRows) {
		return errs.E(errs.NotFound, "")
	}
	if err != nil {
		return err
	}
	if len(key) != crypt.KeySize || subtle.ConstantTimeCompare([]byte(check), []byte(keyCheck(tenant, key))) != 1 {
		return errs.E(errs.Forbidden, "")
	}
	return nil
}

// keyForNewStaff prepares the tenant key for a new staff account of
// tenant: a new key when the tenant has none (created is then true), the
// given one when the caller holds it, or nothing. It runs argon2id, so
// it is called outside the transaction; the caller stores the result.
func (s *Service) keyForNewStaff(ctx context.Context, tenant, staffID, password string, given []byte) (key []byte, w *wrapped, created bool, err error) {
	has, err := s.HasTenantKey(ctx, tenant)
	if err != nil {
		return nil, nil, false, err
	}
	switch {
	case !has:
		key = make([]byte, crypt.KeySize)
		if _, err := rand.Read(key); err != nil {
			return nil, nil, false, err
		}
		created = true
	case given != nil:
		if err := s.checkTenantKey(ctx, s.DB, tenant, given); err != nil {
			return nil, nil, false, err
		}
		key = given
	default:
		return nil, nil, false, nil
	}
	ww, err := wrapKey(tenant, staffHolder(staffID), password, key)
	if err != nil {
		return nil, nil, false, err
	}
	return key, &ww, created, nil
}

// storeNewStaffKey stores what keyForNewStaff prepared, in the staff
// account's transaction. A tenant key created concurrently by another
// first account wins; this one is then dropped (the account has no
// access and a tenant admin grants it).
func (s *Service) storeNewStaffKey(ctx context.Context, tx *store.Tx, tenant string, key []byte, w *wrapped, created bool) (bool, error) {
	if w == nil {
		return false, nil
	}
	if created {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM tenant_keys WHERE tenant_id = ?`, tenant).Scan(&n); err != nil {
			return false, err
		}
		if n > 0 {
			return false, nil
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO tenant_keys (tenant_id, check_value, created_at) VALUES (?, ?, ?)`, tenant, keyCheck(tenant, key), fmtTime(s.now())); err != nil {
			return false, err
		}
	}
	return true, s.storeWrap(ctx, tx, tenant, *w)
}

// sessionKey derives the key that seals the tenant key in a session row
// from the session's token (HKDF-SHA256, RFC 5869). The database holds
// only the token's SHA-256, from which this key cannot be computed.
func sessionKey(token string) ([]byte, error) {
	return hkdf.Key(sha256.New, []byte(token), nil, "ozgo session tenant key v1", crypt.KeySize)
}

func sessionAD(sessID string) []byte { return []byte("ozgo session tenant key " + sessID) }

// bindTenantKey stores key in the session of token.
func (s *Service) bindTenantKey(ctx context.Context, q store.Querier, token string, key []byte) error {
	sk, err := sessionKey(token)
	if err != nil {
		return err
	}
	id := hashToken(token)
	sealed, err := crypt.SealWith(sk, key, sessionAD(id))
	if err != nil {
		return err
	}
	_, err = q.ExecContext(ctx, `UPDATE sessions SET tenant_key = ? WHERE id = ?`, sealed, id)
	return err
}

// openSessionKey opens the tenant key of a session row; nil when it has
// none or it does not open.
func openSessionKey(token, id string, sealed []byte) []byte {
	if len(sealed) == 0 {
		return nil
	}
	sk, err := sessionKey(token)
	if err != nil {
		return nil
	}
	key, err := crypt.OpenWith(sk, sealed, sessionAD(id))
	if err != nil {
		return nil
	}
	return key
}

// UnlockTenantKey unlocks the tenant key for a logged-in staff session
// with the staff member's key password (the password the tenant key was
// last wrapped under: the account's password, or for single sign-on the
// key password set when access was granted). It is throttled like a
// login. Wrong secrets and accounts without access look the same.
func (s *Service) UnlockTenantKey(ctx context.Context, sess *Session, token, secret, addr string) error {
	if sess == nil || sess.Kind != KindStaff || sess.Pending2FA {
		return errs.E(errs.Unauthorized, "")
	}
	st, err := s.StaffByID(ctx, sess.Principal)
	if err != nil {
		return err
	}
	if st.TenantID == "" {
		return errs.E(errs.NotFound, "")
	}
	if err := s.CheckThrottle(ctx, st.Email, addr); err != nil {
		return err
	}
	key, err := s.unwrap(ctx, st.TenantID, staffHolder(st.ID), secret)
	if err != nil {
		return err
	}
	if key == nil {
		if err := s.RecordFailure(ctx, st.Email, addr); err != nil {
			return err
		}
		_, _ = s.Audit.Record(ctx, audit.Entry{Actor: "staff:" + st.ID, Action: "tenant_key.unlock", ObjectType: "staff", ObjectID: st.ID, Tenant: st.TenantID, Outcome: audit.Failure})
		return errs.FieldError("schluesselkennwort", "identity.key.unlock_failed")
	}
	return s.DB.InTx(ctx, func(tx *store.Tx) error {
		if err := s.bindTenantKey(ctx, tx, token, key); err != nil {
			return err
		}
		_, err := s.Audit.Append(ctx, tx, audit.Entry{Actor: "staff:" + st.ID, Action: "tenant_key.unlock", ObjectType: "staff", ObjectID: st.ID, Tenant: st.TenantID, Outcome: audit.Success})
		return err
	})
}

// GrantKeyAccess wraps the tenant key, which actor's session holds, for a
// staff account of the same tenant under secret (its password, or a key
// password for single sign-on). Only a tenant admin may grant.
func (s *Service) GrantKeyAccess(ctx context.Context, actor *Actor, staffID, secret string) error {
	st, err := s.managedStaff(ctx, actor, staffID, "schluesselkennwort", secret)
	if err != nil {
		return err
	}
	if actor.TenantKey == nil {
		return errs.K(errs.Conflict, "identity.key.locked")
	}
	return s.grant(ctx, actor.ID(), st, secret, actor.TenantKey)
}

// managedStaff loads a tenant's staff account that actor may manage (a
// tenant admin of the same tenant; NotFound otherwise) and checks the
// secret it is to get, reported at field.
func (s *Service) managedStaff(ctx context.Context, actor *Actor, staffID, field, secret string) (*Staff, error) {
	st, err := s.StaffByID(ctx, staffID)
	if err != nil {
		return nil, err
	}
	if st.TenantID == "" {
		return nil, errs.E(errs.NotFound, "")
	}
	if err := Authorize(actor, ActionManage, Object{Type: "staff", TenantID: st.TenantID}); err != nil {
		return nil, err
	}
	if len([]rune(secret)) < MinPasswordLength {
		return nil, errs.FieldError(field, "identity.staff.password_short", MinPasswordLength)
	}
	return st, nil
}

// GrantKeyAccessWithKey is GrantKeyAccess from the command line, with a
// tenant key opened by the recovery code (RecoverTenantKey).
func (s *Service) GrantKeyAccessWithKey(ctx context.Context, actorID, email, secret string, key []byte) error {
	st, err := s.loadStaff(ctx, s.DB, "email = ?", normEmail(email))
	if err != nil {
		return err
	}
	if st.TenantID == "" {
		return errs.E(errs.NotFound, "")
	}
	if len([]rune(secret)) < MinPasswordLength {
		return errs.FieldError("schluesselkennwort", "identity.staff.password_short", MinPasswordLength)
	}
	return s.grant(ctx, actorID, st, secret, key)
}

func (s *Service) grant(ctx context.Context, actorID string, st *Staff, secret string, key []byte) error {
	if err := s.checkTenantKey(ctx, s.DB, st.TenantID, key); err != nil {
		return err
	}
	w, err := wrapKey(st.TenantID, staffHolder(st.ID), secret, key)
	if err != nil {
		return err
	}
	return s.DB.InTx(ctx, func(tx *store.Tx) error {
		if err := s.storeWrap(ctx, tx, st.TenantID, w); err != nil {
			return err
		}
		_, err := s.Audit.Append(ctx, tx, audit.Entry{Actor: actorID, Action: "tenant_key.granted", ObjectType: "staff", ObjectID: st.ID, Tenant: st.TenantID, Outcome: audit.Success})
		return err
	})
}

// ChangePassword sets a staff account's new password after checking the
// old one, and re-wraps the tenant key under the new password (the old
// wrap opens with the old password). Errors name the fields of the
// password form on /konto ("passwort", "neues-passwort").
func (s *Service) ChangePassword(ctx context.Context, staffID, oldPassword, newPassword string) error {
	st, err := s.StaffByID(ctx, staffID)
	if err != nil {
		return err
	}
	if !CheckPassword(oldPassword, st.passwordHash) {
		return errs.FieldError("passwort", "identity.staff.password_wrong")
	}
	if len([]rune(newPassword)) < MinPasswordLength {
		return errs.FieldError("neues-passwort", "identity.staff.password_short", MinPasswordLength)
	}
	var w *wrapped
	if st.TenantID != "" {
		key, err := s.unwrap(ctx, st.TenantID, staffHolder(st.ID), oldPassword)
		if err != nil {
			return err
		}
		if key != nil {
			ww, err := wrapKey(st.TenantID, staffHolder(st.ID), newPassword, key)
			if err != nil {
				return err
			}
			w = &ww
		}
	}
	hash := HashPassword(newPassword, DefaultArgon2)
	return s.DB.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE staff SET password_hash = ? WHERE id = ?`, hash, st.ID); err != nil {
			return err
		}
		if w != nil {
			if err := s.storeWrap(ctx, tx, st.TenantID, *w); err != nil {
				return err
			}
		}
		_, err := s.Audit.Append(ctx, tx, audit.Entry{Actor: "staff:" + st.ID, Action: "staff.password_changed", ObjectType: "staff", ObjectID: st.ID, Tenant: st.TenantID, Outcome: audit.Success})
		return err
	})
}

// NewRecoveryCode makes a one-time recovery code for tenant, under which
// the tenant key (held by actor's session, or key when called from the
// command line right after creating it) is also wrapped. The code is
// shown once, to be kept offline; a new code replaces the old one.
func (s *Service) NewRecoveryCode(ctx context.Context, actorID, tenant string, key []byte) (string, error) {
	if err := s.checkTenantKey(ctx, s.DB, tenant, key); err != nil {
		return "", err
	}
	raw := make([]byte, 20)
	if _, err := rand.Read(raw); err != nil {
		return "", err
	}
	code := formatRecovery(raw)
	w, err := wrapKey(tenant, HolderRecovery, normRecovery(code), key)
	if err != nil {
		return "", err
	}
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		if err := s.storeWrap(ctx, tx, tenant, w); err != nil {
			return err
		}
		_, err := s.Audit.Append(ctx, tx, audit.Entry{Actor: actorID, Action: "tenant_key.recovery_code", ObjectType: "tenant", ObjectID: tenant, Tenant: tenant, Outcome: audit.Success})
		return err
	})
	return code, err
}

// RecoverTenantKey opens the tenant key with the recovery code.
func (s *Service) RecoverTenantKey(ctx context.Context, tenant, code string) ([]byte, error) {
	key, err := s.unwrap(ctx, tenant, HolderRecovery, normRecovery(code))
	if err != nil {
		return nil, err
	}
	if key == nil {
		return nil, errs.K(errs.Unauthorized, "identity.key.recovery_failed")
	}
	return key, nil
}

// UnlockWithPassword opens the tenant key of a staff account with its
// password, without a session (the command line and the demo use it).
func (s *Service) UnlockWithPassword(ctx context.Context, email, password string) ([]byte, error) {
	st, err := s.loadStaff(ctx, s.DB, "email = ?", normEmail(email))
	if err != nil {
		return nil, err
	}
	if !CheckPassword(password, st.passwordHash) || st.TenantID == "" {
		return nil, errs.K(errs.Unauthorized, "identity.staff.login_failed")
	}
	key, err := s.unwrap(ctx, st.TenantID, staffHolder(st.ID), password)
	if err != nil {
		return nil, err
	}
	if key == nil {
		return nil, errs.K(errs.Unauthorized, "identity.key.unlock_failed")
	}
	return key, nil
}

// formatRecovery writes 20 random bytes as 4 groups of 5 characters of a
// 32-letter alphabet (100 bits).
func formatRecovery(raw []byte) string {
	const alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
	var b strings.Builder
	for i, c := range raw {
		if i > 0 && i%5 == 0 {
			b.WriteByte('-')
		}
		b.WriteByte(alphabet[int(c)%len(alphabet)])
	}
	return b.String()
}

func normRecovery(code string) string {
	return strings.ToUpper(strings.NewReplacer("-", "", " ", "").Replace(strings.TrimSpace(code)))
}

// CreateTenantStaff lets a tenant admin create a staff account of the
// admin's tenant. The tenant key the admin's session holds is wrapped for
// the new password, so the account can open the tenant's cases at once;
// KeyAccess on the result says whether that happened (not when the
// admin's session holds no key).
func (s *Service) CreateTenantStaff(ctx context.Context, actor *Actor, in NewStaff) (*Staff, error) {
	if actor == nil || actor.TenantID == "" {
		return nil, errs.E(errs.NotFound, "")
	}
	if err := Authorize(actor, ActionManage, Object{Type: "staff", TenantID: actor.TenantID}); err != nil {
		return nil, err
	}
	for _, r := range in.Roles {
		if r == RoleOperator || r == RoleServiceAuthor {
			return nil, errs.E(errs.Forbidden, "")
		}
	}
	in.TenantID, in.TenantKey, in.TOTPSecret = actor.TenantID, actor.TenantKey, ""
	st, err := s.CreateStaff(ctx, actor.ID(), in)
	if err != nil {
		return nil, err
	}
	st.tenantKey = nil // the admin's session holds it; the new account logs in itself
	return st, nil
}

// ResetPassword lets a tenant admin set a new password for a staff
// account of the tenant (forgotten password). The old wrap of the tenant
// key cannot be opened without the old password, so it is replaced by a
// wrap of the key of the admin's session under the new password; without
// a key in the admin's session, the account loses key access until it is
// granted. The account's sessions end.
func (s *Service) ResetPassword(ctx context.Context, actor *Actor, staffID, password string) error {
	st, err := s.managedStaff(ctx, actor, staffID, "password", password)
	if err != nil {
		return err
	}
	var w *wrapped
	if actor.TenantKey != nil {
		if err := s.checkTenantKey(ctx, s.DB, st.TenantID, actor.TenantKey); err != nil {
			return err
		}
		ww, err := wrapKey(st.TenantID, staffHolder(st.ID), password, actor.TenantKey)
		if err != nil {
			return err
		}
		w = &ww
	}
	hash := HashPassword(password, DefaultArgon2)
	return s.DB.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE staff SET password_hash = ? WHERE id = ?`, hash, st.ID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM tenant_key_wraps WHERE tenant_id = ? AND holder = ?`, st.TenantID, staffHolder(st.ID)); err != nil {
			return err
		}
		if w != nil {
			if err := s.storeWrap(ctx, tx, st.TenantID, *w); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE principal = ?`, st.ID); err != nil {
			return err
		}
		_, err := s.Audit.Append(ctx, tx, audit.Entry{Actor: actor.ID(), Action: "staff.password_reset", ObjectType: "staff", ObjectID: st.ID, Tenant: st.TenantID, Outcome: audit.Success,
			Details: map[string]string{"key_access": fmt.Sprint(w != nil)}})
		return err
	})
}

// StaffByEmail returns a staff account by its e-mail address.
func (s *Service) StaffByEmail(ctx context.Context, email string) (*Staff, error) {
	return s.loadStaff(ctx, s.DB, "email = ?", normEmail(email))
}

// TenantStaff lists the staff accounts of the actor's tenant, by name,
// with KeyAccess set, for its tenant admins.
func (s *Service) TenantStaff(ctx context.Context, actor *Actor) ([]*Staff, error) {
	if actor == nil || actor.TenantID == "" {
		return nil, errs.E(errs.NotFound, "")
	}
	if err := Authorize(actor, ActionManage, Object{Type: "staff", TenantID: actor.TenantID}); err != nil {
		return nil, err
	}
	rows, err := s.DB.QueryContext(ctx, `SELECT id FROM staff WHERE tenant_id = ? ORDER BY name, email`, actor.TenantID)
	if err != nil {
		return nil, err
	}
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, err
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := make([]*Staff, 0, len(ids))
	for _, id := range ids {
		st, err := s.StaffByID(ctx, id)
		if err != nil {
			return nil, err
		}
		if st.KeyAccess, err = s.HasKeyAccess(ctx, id); err != nil {
			return nil, err
		}
		out = append(out, st)
	}
	return out, nil
}
