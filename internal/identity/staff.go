package identity

import (
	"context"
	"database/sql"
	"errors"
	"net/mail"
	"slices"
	"strings"

	"github.com/ozgo/ozgo/internal/audit"
	"github.com/ozgo/ozgo/internal/errs"
	"github.com/ozgo/ozgo/internal/store"
)

// Role is a staff role.
type Role string

// The staff roles.
const (
	// RoleOperator runs the whole platform (tenant "").
	RoleOperator Role = "operator"
	// RoleTenantAdmin configures one tenant: staff, online services.
	RoleTenantAdmin Role = "tenant_admin"
	// RoleClerk works the cases of the tenant's destinations.
	RoleClerk Role = "clerk"
	// RoleServiceAuthor publishes online services for all tenants (EfA).
	RoleServiceAuthor Role = "service_author"
)

// Roles lists every role.
var Roles = []Role{RoleOperator, RoleTenantAdmin, RoleClerk, RoleServiceAuthor}

// ValidRole reports whether r is a known role.
func ValidRole(r Role) bool { return slices.Contains(Roles, r) }

// Staff is a staff account.
type Staff struct {
	ID       string
	Email    string
	Name     string
	TenantID string
	Roles    []Role
	HasTOTP  bool
	Disabled bool
	// KeyAccess says that the tenant key is wrapped for the account (set
	// by CreateStaff); KeyCreated that CreateStaff made the tenant's key.
	KeyAccess  bool
	KeyCreated bool

	// tenantKey is the unlocked tenant key after a password login or
	// CreateStaff, bound to the session by FinishStaffLogin.
	tenantKey []byte

	passwordHash string
	totpSealed   []byte
	totpLast     int64
}

// Has reports whether the account has role r.
func (s *Staff) Has(r Role) bool { return slices.Contains(s.Roles, r) }

// NewStaff is the input of CreateStaff.
type NewStaff struct {
	Email    string
	Name     string
	TenantID string // "" for operators
	Roles    []Role
	Password string
	// TOTPSecret, when set, is stored as the second factor right away.
	TOTPSecret string
	// TenantKey is the tenant key of the creating tenant admin's session:
	// it is wrapped for the new account's password. Without it, the first
	// account of a tenant creates the tenant key, and any later one gets
	// no key access until a tenant admin grants it (docs/schluessel.md).
	TenantKey []byte
}

// TenantKey returns the unlocked tenant key of a freshly created or
// logged-in account (nil when it has no access). Callers must not keep it.
func (s *Staff) TenantKey() []byte { return s.tenantKey }

func normEmail(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// CreateStaff creates a staff account; actor is who does it ("system" from
// the command line).
func (s *Service) CreateStaff(ctx context.Context, actor string, in NewStaff) (*Staff, error) {
	in.Email = normEmail(in.Email)
	if a, err := mail.ParseAddress(in.Email); err != nil || a.Address != in.Email {
		return nil, errs.FieldError("email", "identity.staff.email_invalid")
	}
	if len([]rune(in.Password)) < MinPasswordLength {
		return nil, errs.FieldError("password", "identity.staff.password_short", MinPasswordLength)
	}
	if len(in.Roles) == 0 {
		return nil, errs.FieldError("role", "identity.staff.role_missing")
	}
	for _, r := range in.Roles {
		if !ValidRole(r) {
			return nil, errs.FieldError("role", "identity.staff.role_invalid", string(r))
		}
		if r == RoleOperator && in.TenantID != "" {
			return nil, errs.FieldError("tenant", "identity.staff.operator_tenant")
		}
		if r != RoleOperator && r != RoleServiceAuthor && in.TenantID == "" {
			return nil, errs.FieldError("tenant", "identity.staff.tenant_missing", string(r))
		}
	}
	if in.Name == "" {
		in.Name = in.Email
	}
	st := &Staff{ID: newID(), Email: in.Email, Name: in.Name, TenantID: in.TenantID, Roles: in.Roles}
	var totp []byte
	if in.TOTPSecret != "" {
		var err error
		if totp, err = s.Keys.Seal([]byte(in.TOTPSecret), []byte("totp:"+st.ID)); err != nil {
			return nil, err
		}
		st.HasTOTP = true
	}
	hash := HashPassword(in.Password, DefaultArgon2)
	var key []byte
	var wrap *wrapped
	var created bool
	if in.TenantID != "" {
		var err error
		if key, wrap, created, err = s.keyForNewStaff(ctx, in.TenantID, st.ID, in.Password, in.TenantKey); err != nil {
			return nil, err
		}
	}
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		if in.TenantID != "" {
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM tenants WHERE id = ?`, in.TenantID).Scan(&n); err != nil {
				return err
			}
			if n == 0 {
				return errs.FieldError("tenant", "identity.staff.tenant_unknown", in.TenantID)
			}
		}
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM staff WHERE email = ?`, in.Email).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return errs.K(errs.Conflict, "identity.staff.exists", in.Email)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO staff (id, email, name, tenant_id, password_hash, totp_secret, totp_last, oidc_subject, disabled, created_at)
			VALUES (?, ?, ?, ?, ?, ?, 0, '', ?, ?)`, st.ID, st.Email, st.Name, st.TenantID, hash, nonNil(totp), false, fmtTime(s.now())); err != nil {
			return err
		}
		for _, r := range in.Roles {
			if _, err := tx.ExecContext(ctx, `INSERT INTO staff_roles (staff_id, role) VALUES (?, ?)`, st.ID, string(r)); err != nil {
				return err
			}
		}
		ok, err := s.storeNewStaffKey(ctx, tx, in.TenantID, key, wrap, created)
		if err != nil {
			return err
		}
		st.KeyAccess, st.KeyCreated = ok, ok && created
		if ok {
			st.tenantKey = key
		}
		_, err = s.Audit.Append(ctx, tx, audit.Entry{Actor: actor, Action: "staff.created", ObjectType: "staff", ObjectID: st.ID,
			Tenant: st.TenantID, Outcome: audit.Success, Details: map[string]string{"roles": joinRoles(in.Roles)}})
		return err
	})
	if err != nil {
		return nil, err
	}
	return st, nil
}

func nonNil(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

func joinRoles(rs []Role) string {
	ss := make([]string, len(rs))
	for i, r := range rs {
		ss[i] = string(r)
	}
	return strings.Join(ss, ",")
}

func (s *Service) loadStaff(ctx context.Context, q store.Querier, where string, arg any) (*Staff, error) {
	st := &Staff{}
	err := q.QueryRowContext(ctx, `SELECT id, email, name, tenant_id, password_hash, totp_secret, totp_last, disabled FROM staff WHERE `+where, arg).
		Scan(&st.ID, &st.Email, &st.Name, &st.TenantID, &st.passwordHash, &st.totpSealed, &st.totpLast, &st.Disabled)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errs.E(errs.NotFound, "")
	}
	if err != nil {
		return nil, err
	}
	st.HasTOTP = len(st.totpSealed) > 0
	rows, err := q.QueryContext(ctx, `SELECT role FROM staff_roles WHERE staff_id = ? ORDER BY role`, st.ID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var r string
		if err := rows.Scan(&r); err != nil {
			return nil, err
		}
		st.Roles = append(st.Roles, Role(r))
	}
	return st, rows.Err()
}

// StaffByID returns a staff account.
func (s *Service) StaffByID(ctx context.Context, id string) (*Staff, error) {
	return s.loadStaff(ctx, s.DB, "id = ?", id)
}

// StaffLogin checks a password login from addr. It is throttled per
// account and per address; every failure is counted and audited. A wrong
// e-mail and a wrong password look the same to the caller.
func (s *Service) StaffLogin(ctx context.Context, email, password, addr string) (*Staff, error) {
	email = normEmail(email)
	if err := s.CheckThrottle(ctx, email, addr); err != nil {
		_, _ = s.Audit.Record(ctx, audit.Entry{Actor: "anonymous", Action: "login.staff", ObjectType: "staff", ObjectID: "", Outcome: audit.Denied,
			Details: map[string]string{"reason": "throttled"}})
		return nil, err
	}
	st, err := s.loadStaff(ctx, s.DB, "email = ?", email)
	if err != nil && !errs.Is(err, errs.NotFound) {
		return nil, err
	}
	ok := false
	if st != nil {
		ok = CheckPassword(password, st.passwordHash) && !st.Disabled
	} else {
		CheckPassword(password, dummyHash)
	}
	if !ok {
		if err := s.RecordFailure(ctx, email, addr); err != nil {
			return nil, err
		}
		id := ""
		if st != nil {
			id = st.ID
		}
		_, _ = s.Audit.Record(ctx, audit.Entry{Actor: "anonymous", Action: "login.staff", ObjectType: "staff", ObjectID: id, Outcome: audit.Failure,
			Details: map[string]string{"reason": "password"}})
		return nil, errs.K(errs.Unauthorized, "identity.staff.login_failed")
	}
	if st.TenantID != "" {
		// The password also unlocks the tenant key; FinishStaffLogin binds
		// it to the new session.
		if st.tenantKey, err = s.unwrap(ctx, st.TenantID, staffHolder(st.ID), password); err != nil {
			return nil, err
		}
		st.KeyAccess = st.tenantKey != nil
	}
	return st, nil
}

// FinishStaffLogin completes a staff login: without a second factor the
// session is full at once (and audited); with one it stays pending until
// VerifySecondFactor.
func (s *Service) FinishStaffLogin(ctx context.Context, old string, st *Staff) (*Session, error) {
	sess, err := s.StartSession(ctx, old, KindStaff, st.ID, Substantiell, "password", st.HasTOTP)
	if err != nil {
		return nil, err
	}
	if st.tenantKey != nil {
		// Sealed under the token; with a second factor pending, the
		// session gives no actor and so no key until the code is checked.
		if err := s.bindTenantKey(ctx, s.DB, sess.Token, st.tenantKey); err != nil {
			return nil, err
		}
		sess.TenantKey = st.tenantKey
	}
	if !st.HasTOTP {
		_, err = s.Audit.Record(ctx, audit.Entry{Actor: "staff:" + st.ID, Action: "login.staff", ObjectType: "staff", ObjectID: st.ID, Tenant: st.TenantID, Outcome: audit.Success,
			Details: map[string]string{"factors": "1"}})
	}
	return sess, err
}

// VerifySecondFactor checks the TOTP code of a pending staff session and
// makes it a full session. A code is accepted once; failures count
// towards the login throttle.
func (s *Service) VerifySecondFactor(ctx context.Context, sess *Session, code, addr string) error {
	if sess.Kind != KindStaff || !sess.Pending2FA {
		return errs.E(errs.Conflict, "")
	}
	st, err := s.StaffByID(ctx, sess.Principal)
	if err != nil {
		return err
	}
	if err := s.CheckThrottle(ctx, st.Email, addr); err != nil {
		return err
	}
	secret, err := s.Keys.Open(st.totpSealed, []byte("totp:"+st.ID))
	if err != nil {
		return errs.Wrap(errs.Internal, "identity.VerifySecondFactor", err, "")
	}
	step := checkTOTP(string(secret), code, s.now(), st.totpLast)
	if step < 0 {
		if err := s.RecordFailure(ctx, st.Email, addr); err != nil {
			return err
		}
		_, _ = s.Audit.Record(ctx, audit.Entry{Actor: "staff:" + st.ID, Action: "login.staff", ObjectType: "staff", ObjectID: st.ID, Tenant: st.TenantID, Outcome: audit.Failure,
			Details: map[string]string{"reason": "totp"}})
		return errs.FieldError("code", "identity.staff.totp_wrong")
	}
	return s.DB.InTx(ctx, func(tx *store.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE staff SET totp_last = ? WHERE id = ? AND totp_last < ?`, step, st.ID, step)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return errs.FieldError("code", "identity.staff.totp_wrong")
		}
		if err := s.completeSecondFactor(ctx, tx, sess.ID); err != nil {
			return err
		}
		_, err = s.Audit.Append(ctx, tx, audit.Entry{Actor: "staff:" + st.ID, Action: "login.staff", ObjectType: "staff", ObjectID: st.ID, Tenant: st.TenantID, Outcome: audit.Success,
			Details: map[string]string{"factors": "2"}})
		return err
	})
}

// SetRoles replaces the roles of a staff account. Only an operator, or a
// tenant admin of the account's own tenant (who cannot grant operator),
// may do it.
func (s *Service) SetRoles(ctx context.Context, actor *Actor, staffID string, roles []Role) error {
	st, err := s.StaffByID(ctx, staffID)
	if err != nil {
		return err
	}
	if err := Authorize(actor, ActionManage, Object{Type: "staff", TenantID: st.TenantID, Platform: st.TenantID == ""}); err != nil {
		return err
	}
	for _, r := range roles {
		if !ValidRole(r) {
			return errs.FieldError("role", "identity.staff.role_invalid", string(r))
		}
		if r == RoleOperator && !actor.Has(RoleOperator) {
			return errs.E(errs.Forbidden, "")
		}
		if (r == RoleOperator) != (st.TenantID == "") && r != RoleServiceAuthor {
			return errs.FieldError("role", "identity.staff.operator_tenant")
		}
	}
	return s.DB.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM staff_roles WHERE staff_id = ?`, staffID); err != nil {
			return err
		}
		for _, r := range roles {
			if _, err := tx.ExecContext(ctx, `INSERT INTO staff_roles (staff_id, role) VALUES (?, ?)`, staffID, string(r)); err != nil {
				return err
			}
		}
		_, err := s.Audit.Append(ctx, tx, audit.Entry{Actor: actor.ID(), Action: "staff.roles_changed", ObjectType: "staff", ObjectID: staffID, Tenant: st.TenantID,
			Outcome: audit.Success, Details: map[string]string{"from": joinRoles(st.Roles), "to": joinRoles(roles)}})
		return err
	})
}

// EnrollTOTP sets up the second factor of a staff account: code must be
// valid for secret, proving the authenticator app has it.
func (s *Service) EnrollTOTP(ctx context.Context, staffID, secret, code string) error {
	step := checkTOTP(secret, code, s.now(), 0)
	if step < 0 {
		return errs.FieldError("code", "identity.staff.totp_wrong")
	}
	sealed, err := s.Keys.Seal([]byte(secret), []byte("totp:"+staffID))
	if err != nil {
		return err
	}
	return s.DB.InTx(ctx, func(tx *store.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE staff SET totp_secret = ?, totp_last = ? WHERE id = ?`, sealed, step, staffID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return errs.E(errs.NotFound, "")
		}
		_, err = s.Audit.Append(ctx, tx, audit.Entry{Actor: "staff:" + staffID, Action: "staff.totp_enrolled", ObjectType: "staff", ObjectID: staffID, Outcome: audit.Success})
		return err
	})
}

// CreateTenant adds a tenant (the tenant issue adds everything else).
func (s *Service) CreateTenant(ctx context.Context, actor, id, name, ars string) error {
	if id == "" || name == "" {
		return errs.E(errs.Invalid, "")
	}
	return s.DB.InTx(ctx, func(tx *store.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM tenants WHERE id = ?`, id).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return nil
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO tenants (id, name, ars, created_at) VALUES (?, ?, ?, ?)`, id, name, ars, fmtTime(s.now())); err != nil {
			return err
		}
		_, err := s.Audit.Append(ctx, tx, audit.Entry{Actor: actor, Action: "tenant.created", ObjectType: "tenant", ObjectID: id, Tenant: id, Outcome: audit.Success})
		return err
	})
}

// StaffOIDCLogin completes a staff login through the authority's own
// OpenID Connect provider: the account linked to (issuer, subject) gets a
// full session (the provider is responsible for the second factor).
// Unknown or disabled accounts are refused and audited.
func (s *Service) StaffOIDCLogin(ctx context.Context, old, issuer string, a Assertion) (*Session, error) {
	link := issuer + "|" + a.Subject
	st, err := s.loadStaff(ctx, s.DB, "oidc_subject = ?", link)
	if err != nil && !errs.Is(err, errs.NotFound) {
		return nil, err
	}
	if st == nil || st.Disabled || a.Subject == "" {
		_, _ = s.Audit.Record(ctx, audit.Entry{Actor: "anonymous", Action: "login.staff", ObjectType: "staff", Outcome: audit.Failure,
			Details: map[string]string{"reason": "oidc_unknown", "provider": a.Provider}})
		return nil, errs.K(errs.Unauthorized, "identity.staff.oidc_unknown")
	}
	if a.ReplayID != "" {
		err := s.DB.InTx(ctx, func(tx *store.Tx) error { return s.useOnce(ctx, tx, a.Provider+":"+a.ReplayID, a.ReplayUntil) })
		if err != nil {
			return nil, err
		}
	}
	sess, err := s.StartSession(ctx, old, KindStaff, st.ID, a.TrustLevel, a.Provider, false)
	if err != nil {
		return nil, err
	}
	_, err = s.Audit.Record(ctx, audit.Entry{Actor: "staff:" + st.ID, Action: "login.staff", ObjectType: "staff", ObjectID: st.ID, Tenant: st.TenantID, Outcome: audit.Success,
		Details: map[string]string{"provider": a.Provider}})
	return sess, err
}

// LinkStaffOIDC links a staff account to its subject at the authority's
// OpenID Connect provider ("" removes the link).
func (s *Service) LinkStaffOIDC(ctx context.Context, actor, staffID, issuer, subject string) error {
	link := ""
	if subject != "" {
		link = issuer + "|" + subject
	}
	return s.DB.InTx(ctx, func(tx *store.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE staff SET oidc_subject = ? WHERE id = ?`, link, staffID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return errs.E(errs.NotFound, "")
		}
		_, err = s.Audit.Append(ctx, tx, audit.Entry{Actor: actor, Action: "staff.oidc_linked", ObjectType: "staff", ObjectID: staffID, Outcome: audit.Success})
		return err
	})
}
