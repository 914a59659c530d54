package identity

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ozgo/ozgo/internal/audit"
	"github.com/ozgo/ozgo/internal/errs"
	"github.com/ozgo/ozgo/internal/store"
)

// Organisation roles of members.
const (
	OrgAdmin  = "admin"
	OrgMember = "member"
)

// Organisation is an organisation account.
type Organisation struct {
	ID      string
	Name    string
	Role    string // the viewer's role, when listed for a person
	Members []Member
}

// Member is a person in an organisation.
type Member struct {
	PersonID string
	Name     string
	Role     string
	Added    time.Time
}

// Mandate is a Vollmacht.
type Mandate struct {
	ID         string
	Grantor    string
	Grantee    string // "" while the offer is not accepted
	Scope      string // "*" or a LeiKa key
	ValidFrom  time.Time
	ValidUntil time.Time
	Revoked    time.Time
	CreatedBy  string
	Created    time.Time
	// GrantorName and GranteeName are for display.
	GrantorName string
	GranteeName string
}

// State says whether a mandate can be used at t.
func (m *Mandate) State(t time.Time) string {
	switch {
	case !m.Revoked.IsZero():
		return "widerrufen"
	case m.Grantee == "":
		return "angeboten"
	case t.Before(m.ValidFrom):
		return "kuenftig"
	case !t.Before(m.ValidUntil):
		return "abgelaufen"
	}
	return "gueltig"
}

// Party is someone a citizen can act as.
type Party struct {
	Ref       string // "person:<id>" or "organisation:<id>"
	Name      string
	MandateID string // set when the right comes from a mandate
	Scope     string
}

// InvitationTTL is how long an invitation code can be redeemed.
const InvitationTTL = 14 * 24 * time.Hour

// CreateOrganisation creates an organisation with the person as its admin.
func (s *Service) CreateOrganisation(ctx context.Context, personID, name string) (*Organisation, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return nil, errs.FieldError("name", "identity.org.name_missing")
	}
	if utf8.RuneCountInString(name) > 200 {
		return nil, errs.FieldError("name", "identity.org.name_long")
	}
	o := &Organisation{ID: newID(), Name: name, Role: OrgAdmin}
	now := fmtTime(s.now())
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO organisations (id, name, created_at) VALUES (?, ?, ?)`, o.ID, name, now); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO organisation_members (organisation_id, person_id, role, added_at) VALUES (?, ?, ?, ?)`, o.ID, personID, OrgAdmin, now); err != nil {
			return err
		}
		_, err := s.Audit.Append(ctx, tx, audit.Entry{Actor: "person:" + personID, Action: "organisation.created", ObjectType: "organisation", ObjectID: o.ID, Outcome: audit.Success})
		return err
	})
	if err != nil {
		return nil, err
	}
	return o, nil
}

// Organisations lists the organisations a person belongs to.
func (s *Service) Organisations(ctx context.Context, personID string) ([]Organisation, error) {
	rows, err := s.DB.QueryContext(ctx, `SELECT o.id, o.name, m.role FROM organisations o JOIN organisation_members m ON m.organisation_id = o.id
		WHERE m.person_id = ? ORDER BY o.name, o.id`, personID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Organisation
	for rows.Next() {
		var o Organisation
		if err := rows.Scan(&o.ID, &o.Name, &o.Role); err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, rows.Err()
}

// Organisation returns an organisation with its members, if the actor may
// see it (members only; 404 for everybody else).
func (s *Service) Organisation(ctx context.Context, a *Actor, id string) (*Organisation, error) {
	if err := Authorize(a, ActionView, Object{Type: "organisation", Owner: "organisation:" + id}); err != nil {
		return nil, err
	}
	o := &Organisation{ID: id, Role: a.Orgs[id]}
	err := s.DB.QueryRowContext(ctx, `SELECT name FROM organisations WHERE id = ?`, id).Scan(&o.Name)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errs.E(errs.NotFound, "")
	}
	if err != nil {
		return nil, err
	}
	rows, err := s.DB.QueryContext(ctx, `SELECT person_id, role, added_at FROM organisation_members WHERE organisation_id = ? ORDER BY added_at, person_id`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var m Member
		var added string
		if err := rows.Scan(&m.PersonID, &m.Role, &added); err != nil {
			return nil, err
		}
		m.Added = parseTime(added)
		o.Members = append(o.Members, m)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i := range o.Members {
		o.Members[i].Name = s.partyName(ctx, "person:"+o.Members[i].PersonID)
	}
	return o, nil
}

// InviteMember creates a one-time code with which a person joins the
// organisation in role. Only its admins may.
func (s *Service) InviteMember(ctx context.Context, a *Actor, orgID, role string) (string, error) {
	if err := Authorize(a, ActionManage, Object{Type: "organisation", Owner: "organisation:" + orgID}); err != nil {
		return "", err
	}
	if role != OrgAdmin && role != OrgMember {
		return "", errs.FieldError("role", "identity.org.role_invalid")
	}
	return s.invite(ctx, a, "member", orgID, role)
}

func (s *Service) invite(ctx context.Context, a *Actor, kind, target, role string) (string, error) {
	code := newInvitationCode()
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO invitations (code_hash, kind, target, role, created_by, expires_at) VALUES (?, ?, ?, ?, ?, ?)`,
			hashToken(normCode(code)), kind, target, role, a.ID(), fmtTime(s.now().Add(InvitationTTL))); err != nil {
			return err
		}
		_, err := s.Audit.Append(ctx, tx, audit.Entry{Actor: a.ID(), Action: "invitation.created", ObjectType: kind, ObjectID: target, Outcome: audit.Success,
			Details: map[string]string{"role": role}})
		return err
	})
	return code, err
}

// newInvitationCode returns a code people can read out and type: 20
// characters of an alphabet without look-alikes, in groups of four
// (about 100 bits).
func newInvitationCode() string {
	const alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
	tok := NewToken()
	var b strings.Builder
	for i := 0; i < 20; i++ {
		if i > 0 && i%4 == 0 {
			b.WriteByte('-')
		}
		// Two hex digits per character: 256 values onto 32 letters is
		// uniform.
		v := hexVal(tok[2*i])<<4 | hexVal(tok[2*i+1])
		b.WriteByte(alphabet[v%32])
	}
	return b.String()
}

func hexVal(c byte) int {
	if c >= 'a' {
		return int(c-'a') + 10
	}
	return int(c - '0')
}

func normCode(c string) string {
	c = strings.ToUpper(strings.TrimSpace(c))
	return strings.NewReplacer("-", "", " ", "").Replace(c)
}

// Redeem uses an invitation code for the person: joining an organisation
// or accepting a mandate. It returns what was joined or accepted, as a
// party reference or "mandate:<id>".
func (s *Service) Redeem(ctx context.Context, a *Actor, code, addr string) (string, error) {
	if a.Kind != KindCitizen || a.ActingAs != "" {
		return "", errs.E(errs.NotFound, "")
	}
	// Codes are guessable only by brute force; throttle like logins.
	if err := s.CheckThrottle(ctx, "redeem:"+a.Principal, addr); err != nil {
		return "", err
	}
	var kind, target, role, exp string
	var result string
	h := hashToken(normCode(code))
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		err := tx.QueryRowContext(ctx, `SELECT kind, target, role, expires_at FROM invitations WHERE code_hash = ?`, h).Scan(&kind, &target, &role, &exp)
		if errors.Is(err, sql.ErrNoRows) || (err == nil && !s.now().Before(parseTime(exp))) {
			return errs.FieldError("code", "identity.invitation.unknown")
		}
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM invitations WHERE code_hash = ?`, h); err != nil {
			return err
		}
		now := fmtTime(s.now())
		switch kind {
		case "member":
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM organisation_members WHERE organisation_id = ? AND person_id = ?`, target, a.Principal).Scan(&n); err != nil {
				return err
			}
			if n == 0 {
				if _, err := tx.ExecContext(ctx, `INSERT INTO organisation_members (organisation_id, person_id, role, added_at) VALUES (?, ?, ?, ?)`, target, a.Principal, role, now); err != nil {
					return err
				}
			}
			result = "organisation:" + target
			_, err = s.Audit.Append(ctx, tx, audit.Entry{Actor: a.ID(), Action: "organisation.member_added", ObjectType: "organisation", ObjectID: target, Outcome: audit.Success,
				Details: map[string]string{"person": a.Principal, "role": role}})
			return err
		case "mandate":
			// role holds the grantee party chosen when accepting: the
			// person unless the offer was made to one of their
			// organisations.
			grantee := "person:" + a.Principal
			res, err := tx.ExecContext(ctx, `UPDATE mandates SET grantee = ? WHERE id = ? AND grantee = '' AND revoked_at = ''`, grantee, target)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n != 1 {
				return errs.FieldError("code", "identity.invitation.unknown")
			}
			var grantor string
			if err := tx.QueryRowContext(ctx, `SELECT grantor FROM mandates WHERE id = ?`, target).Scan(&grantor); err != nil {
				return err
			}
			if grantor == grantee {
				return errs.FieldError("code", "identity.mandate.self")
			}
			result = "mandate:" + target
			_, err = s.Audit.Append(ctx, tx, audit.Entry{Actor: a.ID(), Action: "mandate.accepted", ObjectType: "mandate", ObjectID: target, Outcome: audit.Success,
				Details: map[string]string{"grantor": grantor, "grantee": grantee}})
			return err
		}
		return errs.FieldError("code", "identity.invitation.unknown")
	})
	if err != nil {
		if errs.Is(err, errs.Invalid) {
			_ = s.RecordFailure(ctx, "redeem:"+a.Principal, addr)
		}
		return "", err
	}
	return result, nil
}

// OfferMandate lets the actor (for themself, or as admin of an
// organisation) grant a mandate. It returns the mandate and the one-time
// code the grantee redeems to accept it.
func (s *Service) OfferMandate(ctx context.Context, a *Actor, grantor, scope string, from, until time.Time) (*Mandate, string, error) {
	if a.Kind != KindCitizen || a.ActingAs != "" {
		return nil, "", errs.E(errs.NotFound, "")
	}
	if grantor != "person:"+a.Principal {
		if err := Authorize(a, ActionManage, Object{Type: "organisation", Owner: grantor}); err != nil {
			return nil, "", err
		}
	}
	if scope == "" {
		scope = "*"
	}
	if scope != "*" && !isLeika(scope) {
		return nil, "", errs.FieldError("scope", "identity.mandate.scope_invalid")
	}
	if !until.After(from) {
		return nil, "", errs.FieldError("until", "identity.mandate.until_before_from")
	}
	if until.Sub(from) > 5*366*24*time.Hour {
		return nil, "", errs.FieldError("until", "identity.mandate.too_long")
	}
	m := &Mandate{ID: newID(), Grantor: grantor, Scope: scope, ValidFrom: from, ValidUntil: until, CreatedBy: a.ID(), Created: s.now()}
	code := newInvitationCode()
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO mandates (id, grantor, grantee, scope, valid_from, valid_until, revoked_at, created_by, created_at) VALUES (?, ?, '', ?, ?, ?, '', ?, ?)`,
			m.ID, grantor, scope, fmtTime(from), fmtTime(until), m.CreatedBy, fmtTime(m.Created)); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO invitations (code_hash, kind, target, role, created_by, expires_at) VALUES (?, 'mandate', ?, '', ?, ?)`,
			hashToken(normCode(code)), m.ID, a.ID(), fmtTime(s.now().Add(InvitationTTL))); err != nil {
			return err
		}
		_, err := s.Audit.Append(ctx, tx, audit.Entry{Actor: a.ID(), Action: "mandate.offered", ObjectType: "mandate", ObjectID: m.ID, Outcome: audit.Success,
			Details: map[string]string{"grantor": grantor, "scope": scope, "from": fmtTime(from), "until": fmtTime(until)}})
		return err
	})
	if err != nil {
		return nil, "", err
	}
	return m, code, nil
}

func isLeika(s string) bool {
	if len(s) != 14 {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// ownParties are the parties a person manages mandates for: themself and
// the organisations they belong to.
func ownParties(a *Actor) []string {
	out := []string{"person:" + a.Principal}
	for org := range a.Orgs {
		out = append(out, "organisation:"+org)
	}
	return out
}

// Mandates lists the mandates the actor granted or received, directly or
// through their organisations: both sides see them.
func (s *Service) Mandates(ctx context.Context, a *Actor) ([]Mandate, error) {
	if a.Kind != KindCitizen || a.ActingAs != "" {
		return nil, nil
	}
	parties := ownParties(a)
	ph := strings.TrimSuffix(strings.Repeat("?, ", len(parties)), ", ")
	args := make([]any, 0, 2*len(parties))
	for _, p := range parties {
		args = append(args, p)
	}
	for _, p := range parties {
		args = append(args, p)
	}
	rows, err := s.DB.QueryContext(ctx, `SELECT id, grantor, grantee, scope, valid_from, valid_until, revoked_at, created_by, created_at FROM mandates
		WHERE grantor IN (`+ph+`) OR grantee IN (`+ph+`) ORDER BY created_at DESC, id`, args...)
	if err != nil {
		return nil, err
	}
	var out []Mandate
	for rows.Next() {
		m, err := scanMandate(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, *m)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i := range out {
		out[i].GrantorName = s.partyName(ctx, out[i].Grantor)
		out[i].GranteeName = s.partyName(ctx, out[i].Grantee)
	}
	return out, nil
}

func scanMandate(row interface{ Scan(...any) error }) (*Mandate, error) {
	var m Mandate
	var from, until, revoked, created string
	if err := row.Scan(&m.ID, &m.Grantor, &m.Grantee, &m.Scope, &from, &until, &revoked, &m.CreatedBy, &created); err != nil {
		return nil, err
	}
	m.ValidFrom, m.ValidUntil, m.Created = parseTime(from), parseTime(until), parseTime(created)
	if revoked != "" {
		m.Revoked = parseTime(revoked)
	}
	return &m, nil
}

// RevokeMandate ends a mandate. Either side may: the grantor withdraws
// it, the grantee renounces it. Anyone else gets NotFound.
func (s *Service) RevokeMandate(ctx context.Context, a *Actor, id string) error {
	if a.Kind != KindCitizen || a.ActingAs != "" {
		return errs.E(errs.NotFound, "")
	}
	m, err := scanMandate(s.DB.QueryRowContext(ctx, `SELECT id, grantor, grantee, scope, valid_from, valid_until, revoked_at, created_by, created_at FROM mandates WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return errs.E(errs.NotFound, "")
	}
	if err != nil {
		return err
	}
	side := func(p string) bool {
		if p == "" {
			return false
		}
		if p == "person:"+a.Principal {
			return true
		}
		// For an organisation only its admins act.
		return Authorize(a, ActionManage, Object{Type: "organisation", Owner: p}) == nil
	}
	if !side(m.Grantor) && !side(m.Grantee) {
		return errs.E(errs.NotFound, "")
	}
	if !m.Revoked.IsZero() {
		return nil
	}
	return s.DB.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE mandates SET revoked_at = ? WHERE id = ? AND revoked_at = ''`, fmtTime(s.now()), id); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM invitations WHERE kind = 'mandate' AND target = ?`, id); err != nil {
			return err
		}
		// Sessions acting under the mandate stop doing so at once.
		if _, err := tx.ExecContext(ctx, `UPDATE sessions SET acting_as = '', mandate_id = '' WHERE mandate_id = ?`, id); err != nil {
			return err
		}
		_, err := s.Audit.Append(ctx, tx, audit.Entry{Actor: a.ID(), Action: "mandate.revoked", ObjectType: "mandate", ObjectID: id, Outcome: audit.Success,
			Details: map[string]string{"grantor": m.Grantor, "grantee": m.Grantee}})
		return err
	})
}

// Parties lists whom the person may act as besides themself: their
// organisations, and the grantors of valid mandates to them or to their
// organisations.
func (s *Service) Parties(ctx context.Context, personID string) ([]Party, error) {
	orgs, err := s.Organisations(ctx, personID)
	if err != nil {
		return nil, err
	}
	var out []Party
	grantees := []any{"person:" + personID}
	for _, o := range orgs {
		out = append(out, Party{Ref: "organisation:" + o.ID, Name: o.Name})
		grantees = append(grantees, "organisation:"+o.ID)
	}
	now := fmtTime(s.now())
	ph := strings.TrimSuffix(strings.Repeat("?, ", len(grantees)), ", ")
	args := append(grantees, now, now)
	rows, err := s.DB.QueryContext(ctx, `SELECT id, grantor, scope FROM mandates WHERE grantee IN (`+ph+`) AND revoked_at = '' AND valid_from <= ? AND valid_until > ? ORDER BY created_at, id`, args...)
	if err != nil {
		return nil, err
	}
	var mand []Party
	for rows.Next() {
		var p Party
		if err := rows.Scan(&p.MandateID, &p.Ref, &p.Scope); err != nil {
			rows.Close()
			return nil, err
		}
		mand = append(mand, p)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for _, p := range mand {
		if p.Ref == "person:"+personID {
			continue
		}
		p.Name = s.partyName(ctx, p.Ref)
		out = append(out, p)
	}
	return out, nil
}

// partyName is a display name of a party ("" if unknown).
func (s *Service) partyName(ctx context.Context, ref string) string {
	if id, ok := cutPrefix(ref, "organisation:"); ok {
		var name string
		_ = s.DB.QueryRowContext(ctx, `SELECT name FROM organisations WHERE id = ?`, id).Scan(&name)
		return name
	}
	if id, ok := cutPrefix(ref, "person:"); ok {
		if p, err := s.Person(ctx, id); err == nil {
			return p.Attributes.Name()
		}
	}
	return ""
}

// PartyName is the display name of a party reference.
func (s *Service) PartyName(ctx context.Context, ref string) string { return s.partyName(ctx, ref) }

// ActorFor builds the Actor of a live session: staff with their tenant
// and roles; citizens with their organisations and the mandate they act
// under, checked again on every request (a revoked or expired mandate
// ends acting for the grantor at once).
func (s *Service) ActorFor(ctx context.Context, sess *Session) (*Actor, error) {
	a := &Actor{Kind: sess.Kind, Principal: sess.Principal, TrustLevel: sess.TrustLevel}
	if sess.Kind == KindStaff {
		if sess.Pending2FA {
			return &Actor{}, nil
		}
		st, err := s.StaffByID(ctx, sess.Principal)
		if err != nil || st.Disabled {
			return &Actor{}, nil
		}
		a.TenantID, a.Roles = st.TenantID, st.Roles
		if st.TenantID != "" {
			a.TenantKey = sess.TenantKey
		}
		return a, nil
	}
	orgs, err := s.Organisations(ctx, sess.Principal)
	if err != nil {
		return nil, err
	}
	a.Orgs = map[string]string{}
	for _, o := range orgs {
		a.Orgs[o.ID] = o.Role
	}
	if sess.ActingAs != "" {
		ok := false
		if sess.MandateID == "" {
			if org, isOrg := cutPrefix(sess.ActingAs, "organisation:"); isOrg {
				_, ok = a.Orgs[org]
			}
		} else {
			parties, err := s.Parties(ctx, sess.Principal)
			if err != nil {
				return nil, err
			}
			for _, p := range parties {
				if p.MandateID == sess.MandateID && p.Ref == sess.ActingAs {
					ok, a.MandateScope = true, p.Scope
				}
			}
		}
		if ok {
			a.ActingAs, a.MandateID = sess.ActingAs, sess.MandateID
		}
	}
	return a, nil
}

// ContactEmails are the e-mail addresses to notify for a party: the
// person's own (from their newest login), or those of an organisation's
// admins. Addresses are personal data: callers keep them sealed.
func (s *Service) ContactEmails(ctx context.Context, party string) ([]string, error) {
	var persons []string
	if id, ok := cutPrefix(party, "person:"); ok {
		persons = []string{id}
	} else if org, ok := cutPrefix(party, "organisation:"); ok {
		rows, err := s.DB.QueryContext(ctx, `SELECT person_id FROM organisation_members WHERE organisation_id = ? AND role = ? ORDER BY person_id`, org, OrgAdmin)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var p string
			if err := rows.Scan(&p); err != nil {
				rows.Close()
				return nil, err
			}
			persons = append(persons, p)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	var out []string
	for _, id := range persons {
		p, err := s.Person(ctx, id)
		if err != nil {
			if errs.Is(err, errs.NotFound) {
				continue
			}
			return nil, err
		}
		if p.Attributes.Email != "" {
			out = append(out, p.Attributes.Email)
		}
	}
	return out, nil
}
