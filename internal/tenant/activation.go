package tenant

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/mail"
	"regexp"
	"strconv"
	"strings"

	"github.com/ozgo/ozgo/internal/audit"
	"github.com/ozgo/ozgo/internal/catalog"
	"github.com/ozgo/ozgo/internal/errs"
	"github.com/ozgo/ozgo/internal/identity"
	"github.com/ozgo/ozgo/internal/store"
)

// ActivationInput is an activation as typed in a form or a CSV line: raw
// text, parsed and checked by ParseActivation.
type ActivationInput struct {
	ARS           string
	Authority     string
	Delivery      string
	DestinationID string
	// Fee and PaymentEndpoint are read from old CSV files but ignored:
	// fees and payment are the payment settings of (service, tenant).
	Fee             string
	PaymentEndpoint string
	ContactEmail    string
	ContactPhone    string
	ProcessingDays  string
	OpeningHoursURL string
	Postfach        string // "ja"/"nein" (also "on", "1", "true")
	TrustLevel      string // "keine", "niedrig", "substantiell", "hoch"
}

// maxFeeCents caps fees at one million euros: a typo guard, not a rule.
const maxFeeCents = 100_000_000

var feeRE = regexp.MustCompile(`^([0-9]{1,9})(?:[,.]([0-9]{1,2}))?$`)

// ParseFee reads a euro amount ("12", "12,50", "12.5", "12,50 €") into
// cents, without floating point.
func ParseFee(s string) (int64, bool) {
	s = strings.TrimSpace(strings.TrimSuffix(strings.TrimSuffix(strings.TrimSpace(s), "€"), "EUR"))
	m := feeRE.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return 0, false
	}
	euros, _ := strconv.ParseInt(m[1], 10, 64)
	cents := int64(0)
	if m[2] != "" {
		c, _ := strconv.ParseInt(m[2], 10, 64)
		if len(m[2]) == 1 {
			c *= 10
		}
		cents = c
	}
	v := euros*100 + cents
	return v, v <= maxFeeCents
}

// FormatFee writes cents as euros the German way: 1250 → "12,50".
func FormatFee(c int64) string {
	return fmt.Sprintf("%d,%02d", c/100, c%100)
}

var destinationRE = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// ParseTrustLevelName reads the level names of forms and CSV files.
func ParseTrustLevelName(s string) (identity.TrustLevel, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "keine", "keins":
		return identity.None, true
	}
	return identity.ParseTrustLevel(strings.ToLower(strings.TrimSpace(s)))
}

func parseBool(s string) (bool, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "ja", "on", "1", "true", "x":
		return true, true
	case "", "nein", "0", "false", "off":
		return false, true
	}
	return false, false
}

// ParseActivation turns raw input into an activation of version v and
// checks it for completeness: every parameter the service requires, a
// delivery path, a login level not below the service's minimum. The
// errors name the input fields. The area check (is the Gemeinde the
// tenant's?) is Activate's.
func ParseActivation(in ActivationInput, v *Version) (Activation, []*errs.Error) {
	a := Activation{Slug: v.Slug, GemeindeARS: strings.TrimSpace(in.ARS), Authority: strings.TrimSpace(in.Authority),
		Delivery: strings.TrimSpace(in.Delivery), DestinationID: strings.ToLower(strings.TrimSpace(in.DestinationID)),
		ContactEmail: strings.TrimSpace(in.ContactEmail),
		ContactPhone: strings.TrimSpace(in.ContactPhone), OpeningHoursURL: strings.TrimSpace(in.OpeningHoursURL)}
	var out []*errs.Error
	add := func(field, key string, args ...any) { out = append(out, errs.FieldError(field, key, args...)) }
	if len(a.GemeindeARS) != 12 || !catalog.ValidARS(a.GemeindeARS) {
		add("ars", "tenant.error.gemeinde")
	}
	if a.Authority == "" {
		// Without a responsible authority nobody answers the applicant:
		// always required, whatever the service lists.
		add("behoerde", "tenant.error.authority")
	} else if len(a.Authority) > 200 {
		add("behoerde", "tenant.error.too_long")
	}
	switch a.Delivery {
	case DeliveryPDF, DeliveryInbox:
		a.DestinationID = ""
	case DeliveryDestination:
		if !destinationRE.MatchString(a.DestinationID) {
			add("zustellpunkt", "tenant.error.destination")
		}
	case "":
		a.Delivery = DeliveryPDF
	default:
		add("zustellung", "tenant.error.delivery")
	}
	if a.ContactEmail != "" && !bareAddress(a.ContactEmail) {
		add("email", "tenant.error.email")
	} else if v.Requires(ParamContact) && a.ContactEmail == "" && a.ContactPhone == "" {
		add("email", "tenant.error.contact")
	}
	if len(a.ContactPhone) > 40 || strings.Trim(a.ContactPhone, "+0123456789 /-()") != "" {
		add("telefon", "tenant.error.phone")
	}
	if d := strings.TrimSpace(in.ProcessingDays); d != "" {
		n, err := strconv.Atoi(d)
		if err != nil || n < 1 || n > 365 {
			add("bearbeitungstage", "tenant.error.days")
		}
		a.ProcessingDays = n
	} else if v.Requires(ParamProcessingTime) {
		add("bearbeitungstage", "tenant.error.days_missing")
	}
	if a.OpeningHoursURL != "" && !httpsURL(a.OpeningHoursURL) {
		add("oeffnungszeiten", "tenant.error.url")
	} else if a.OpeningHoursURL == "" && v.Requires(ParamOpeningHours) {
		add("oeffnungszeiten", "tenant.error.opening_missing")
	}
	pf, ok := parseBool(in.Postfach)
	if !ok {
		add("postfach", "tenant.error.yes_no")
	}
	a.PostfachAnswers = pf
	lvl, ok := ParseTrustLevelName(in.TrustLevel)
	switch {
	case !ok:
		add("vertrauensniveau", "tenant.error.trust_level")
	case lvl < v.MinTrustLevel:
		add("vertrauensniveau", "tenant.error.trust_below", v.MinTrustLevel.String())
	}
	a.TrustLevel = lvl
	return a, out
}

// activationCols leaves out fee_cents and payment_endpoint: unused since
// 0014 (see Activation); inserts write 0 and "" to them.
const activationCols = `slug, gemeinde_ars, tenant_id, authority, delivery, destination_id,
	contact_email, contact_phone, processing_days, opening_hours_url, postfach_answers, trust_level, live, updated_by, created_at, updated_at`

func scanActivation(r interface{ Scan(...any) error }) (*Activation, error) {
	var a Activation
	var level int
	var created, updated string
	if err := r.Scan(&a.Slug, &a.GemeindeARS, &a.TenantID, &a.Authority, &a.Delivery, &a.DestinationID,
		&a.ContactEmail, &a.ContactPhone, &a.ProcessingDays, &a.OpeningHoursURL, &a.PostfachAnswers, &level, &a.Live, &a.UpdatedBy, &created, &updated); err != nil {
		return nil, err
	}
	a.TrustLevel = identity.TrustLevel(level)
	a.Created, a.Updated = parseTime(created), parseTime(updated)
	return &a, nil
}

// inArea checks that ars is a Gemeinde in the tenant's area.
func inArea(sn *catalog.Snapshot, t Tenant, ars string) bool {
	r, err := sn.Region(ars)
	return err == nil && r.Ebene == catalog.Gemeinde && t.ARS != "" && strings.HasPrefix(ars, t.ARS)
}

// Activate switches an online service on for one Gemeinde of the actor's
// tenant with the given parameters, after the completeness check. An
// existing activation is replaced.
func (s *Service) Activate(ctx context.Context, actor *identity.Actor, tenantID string, in ActivationInput, slug string) (*Activation, []*errs.Error, error) {
	n, les, err := s.activateAll(ctx, actor, tenantID, slug, []ActivationInput{in}, nil)
	if err != nil || len(les) > 0 {
		var es []*errs.Error
		for _, le := range les {
			es = append(es, le.Err)
		}
		return nil, es, err
	}
	return n[0], nil, nil
}

// LineError is an error of one line of a bulk upload (Line 0: not tied to
// a line).
type LineError struct {
	Line int
	Err  *errs.Error
}

// activateAll stores all activations or none. lines maps an input index
// to its line number for errors (nil: a single activation).
func (s *Service) activateAll(ctx context.Context, actor *identity.Actor, tenantID, slug string, ins []ActivationInput, lines []int) ([]*Activation, []LineError, error) {
	if err := s.authorizeManage(actor, tenantID); err != nil {
		return nil, nil, err
	}
	t, err := s.Tenant(ctx, tenantID)
	if err != nil {
		return nil, nil, err
	}
	v, err := s.PublishedVersion(ctx, slug)
	if err != nil {
		return nil, nil, err
	}
	sn, err := s.Catalog.Snapshot(ctx)
	if err != nil {
		return nil, nil, err
	}
	var all []LineError
	var acts []*Activation
	seen := map[string]int{}
	for i, in := range ins {
		a, es := ParseActivation(in, v)
		if fes, err := s.checkFees(ctx, v, tenantID); err != nil {
			return nil, nil, err
		} else {
			es = append(es, fes...)
		}
		if len(es) == 0 && !inArea(sn, t, a.GemeindeARS) {
			es = append(es, errs.FieldError("ars", "tenant.error.not_in_area", a.GemeindeARS))
		}
		if len(es) == 0 && a.Delivery == DeliveryDestination && s.DestinationExists != nil {
			ok, err := s.DestinationExists(ctx, tenantID, a.DestinationID)
			if err != nil {
				return nil, nil, err
			}
			if !ok {
				es = append(es, errs.FieldError("zustellpunkt", "tenant.error.destination_unknown"))
			}
		}
		line := 0
		if lines != nil {
			line = lines[i]
			if prev, dup := seen[a.GemeindeARS]; dup && a.GemeindeARS != "" {
				es = append(es, errs.FieldError("ars", "tenant.error.duplicate", prev))
			}
			seen[a.GemeindeARS] = line
		}
		for _, e := range es {
			all = append(all, LineError{Line: line, Err: e})
		}
		a.TenantID, a.Live, a.UpdatedBy = tenantID, true, actor.ID()
		acts = append(acts, &a)
	}
	if len(all) > 0 {
		return nil, all, nil
	}
	if les, err := s.prepareInbox(ctx, actor, tenantID, v, acts); err != nil || len(les) > 0 {
		return nil, les, err
	}
	now := fmtTime(s.now())
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		var taken []LineError
		for i, a := range acts {
			created := now
			var old, owner string
			err := tx.QueryRowContext(ctx, `SELECT created_at, tenant_id FROM activations WHERE slug = ? AND gemeinde_ars = ?`, a.Slug, a.GemeindeARS).Scan(&old, &owner)
			if err == nil && owner != tenantID {
				// Areas nest: a Gemeinde may take over what its Kreis or
				// Land switched on for it, but not the other way round.
				var ownerARS string
				if err := tx.QueryRowContext(ctx, `SELECT ars FROM tenants WHERE id = ?`, owner).Scan(&ownerARS); err != nil && !errors.Is(err, sql.ErrNoRows) {
					return err
				}
				if len(ownerARS) > len(t.ARS) {
					line := 0
					if lines != nil {
						line = lines[i]
					}
					taken = append(taken, LineError{Line: line, Err: errs.FieldError("ars", "tenant.error.owned", a.GemeindeARS)})
					continue
				}
			}
			switch {
			case err == nil:
				created = old
				if _, err := tx.ExecContext(ctx, `DELETE FROM activations WHERE slug = ? AND gemeinde_ars = ?`, a.Slug, a.GemeindeARS); err != nil {
					return err
				}
			case !errors.Is(err, sql.ErrNoRows):
				return err
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO activations (`+activationCols+`, fee_cents, payment_endpoint) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, '')`,
				a.Slug, a.GemeindeARS, a.TenantID, a.Authority, a.Delivery, a.DestinationID,
				a.ContactEmail, a.ContactPhone, a.ProcessingDays, a.OpeningHoursURL, a.PostfachAnswers, int(a.TrustLevel), a.Live, a.UpdatedBy, created, now); err != nil {
				return fmt.Errorf("tenant: activate: %w", err)
			}
			a.Created, a.Updated = parseTime(created), parseTime(now)
			if err := s.syncZustaendigkeit(ctx, tx, sn, v, a); err != nil {
				return err
			}
		}
		if len(taken) > 0 {
			return &takenError{taken}
		}
		details := map[string]string{"count": strconv.Itoa(len(acts))}
		id := slug
		if len(acts) == 1 {
			id = slug + "/" + acts[0].GemeindeARS
		}
		_, err := s.Audit.Append(ctx, tx, audit.Entry{Actor: actor.ID(), Action: "activation.saved", ObjectType: "activation", ObjectID: id, Tenant: tenantID, Outcome: audit.Success, Details: details})
		return err
	})
	var te *takenError
	if errors.As(err, &te) {
		return nil, te.lines, nil
	}
	if err != nil {
		return nil, nil, err
	}
	return acts, nil, nil
}

// takenError rolls the transaction back when Gemeinden belong to a
// narrower tenant; activateAll turns it into line errors.
type takenError struct{ lines []LineError }

func (e *takenError) Error() string { return "tenant: activations owned by a narrower tenant" }

// Deactivate switches an online service off for a Gemeinde; the
// parameters stay for switching it on again.
func (s *Service) Deactivate(ctx context.Context, actor *identity.Actor, tenantID, slug, ars string) error {
	if err := s.authorizeManage(actor, tenantID); err != nil {
		return err
	}
	return s.DB.InTx(ctx, func(tx *store.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE activations SET live = ?, updated_by = ?, updated_at = ? WHERE slug = ? AND gemeinde_ars = ? AND tenant_id = ?`,
			false, actor.ID(), fmtTime(s.now()), slug, ars, tenantID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errs.K(errs.NotFound, "tenant.error.activation_not_found")
		}
		// Switched off: the authority stays responsible, but the catalog
		// no longer links an online service.
		if _, err := tx.ExecContext(ctx, `UPDATE zustaendigkeiten SET onlinedienst_url = '' WHERE region_ars = ?
			AND behoerde_id IN (SELECT id FROM behoerden WHERE (tenant = ? OR tenant = '') AND region_ars = ?)
			AND onlinedienst_url LIKE ?`, ars, tenantID, ars, "%/onlinedienste/"+slug+"/gemeinden/"+ars); err != nil {
			return err
		}
		_, err = s.Audit.Append(ctx, tx, audit.Entry{Actor: actor.ID(), Action: "activation.deactivated", ObjectType: "activation", ObjectID: slug + "/" + ars, Tenant: tenantID, Outcome: audit.Success})
		return err
	})
}

// Activation returns the activation of slug for the Gemeinde ars (live or
// not). The form runtime can use it to find the responsible authority,
// the fee and the login level of a Gemeinde.
func (s *Service) Activation(ctx context.Context, slug, ars string) (*Activation, error) {
	a, err := scanActivation(s.DB.QueryRowContext(ctx, `SELECT `+activationCols+` FROM activations WHERE slug = ? AND gemeinde_ars = ?`, slug, ars))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errs.K(errs.NotFound, "tenant.error.activation_not_found")
	}
	if err != nil {
		return nil, fmt.Errorf("tenant: activation: %w", err)
	}
	return a, nil
}

// TenantActivations lists a tenant's activations by service and Gemeinde.
func (s *Service) TenantActivations(ctx context.Context, tenantID string) ([]*Activation, error) {
	return s.activations(ctx, `WHERE tenant_id = ? ORDER BY slug, gemeinde_ars`, tenantID)
}

// LiveActivations lists every live activation (for Reifegrad and
// coverage).
func (s *Service) LiveActivations(ctx context.Context) ([]*Activation, error) {
	return s.activations(ctx, `WHERE live = ? ORDER BY slug, gemeinde_ars`, true)
}

func (s *Service) activations(ctx context.Context, where string, args ...any) ([]*Activation, error) {
	rows, err := s.DB.QueryContext(ctx, `SELECT `+activationCols+` FROM activations `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("tenant: activations: %w", err)
	}
	defer rows.Close()
	var out []*Activation
	for rows.Next() {
		a, err := scanActivation(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// bareAddress reports whether s is a plain e-mail address ("a@b.example",
// no display name), as mailto links and the catalog need it.
func bareAddress(s string) bool {
	a, err := mail.ParseAddress(s)
	return err == nil && a.Address == s && len(s) <= 200
}
