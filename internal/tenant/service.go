package tenant

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/mail"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/ozgo/ozgo/internal/audit"
	"github.com/ozgo/ozgo/internal/blob"
	"github.com/ozgo/ozgo/internal/catalog"
	"github.com/ozgo/ozgo/internal/errs"
	"github.com/ozgo/ozgo/internal/identity"
	"github.com/ozgo/ozgo/internal/onlinedienst"
	"github.com/ozgo/ozgo/internal/store"
)

const timeFormat = "2006-01-02T15:04:05.000000000Z"

func fmtTime(t time.Time) string { return t.UTC().Format(timeFormat) }

func parseTime(s string) time.Time {
	t, _ := time.Parse(timeFormat, s)
	return t
}

// Service is the tenant domain.
type Service struct {
	DB       *store.DB
	Audit    *audit.Log
	Catalog  *catalog.Service
	Identity *identity.Service
	// DestinationExists, when set, checks that a FIT-Connect destination
	// exists and belongs to the tenant. Without it only the form of the id
	// is checked.
	DestinationExists func(ctx context.Context, tenantID, id string) (bool, error)
	// Now is the clock (tests set it).
	Now func() time.Time
	// FeedbackKey signs the feedback form's token.
	FeedbackKey []byte
	// Payment holds the fee rules and payment providers the parameters
	// "gebuehr" and "zahlung" are checked against (nil: none configured).
	Payment FeeSettings
	// Inbox sets up the built-in workspaces activations deliver to (nil:
	// none wired; an inbox then counts as ready).
	Inbox Workspaces
	// Models builds the form models the evidence criterion is computed
	// from; nil: a registry of its own.
	Models *onlinedienst.Registry
	evOnce sync.Once
	ev     *evidenceCache
	// Blobs stores uploaded logos.
	Blobs blob.Store
	// PublicURL is ozgo's public base URL ("https://service.example.de");
	// with it, activations enter their Gemeinde page as the online service
	// link of the catalog's Zuständigkeit.
	PublicURL string
}

// New returns the service.
func New(db *store.DB, log *audit.Log, cat *catalog.Service, ids *identity.Service) *Service {
	return &Service{DB: db, Audit: log, Catalog: cat, Identity: ids}
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

var tenantIDRE = regexp.MustCompile(`^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$`)

// ValidTenantID reports whether id can name a tenant.
func ValidTenantID(id string) bool { return tenantIDRE.MatchString(id) }

// NewTenant is the input of CreateTenant: the tenant and its first admin.
type NewTenant struct {
	ID, Name, ARS                     string
	AdminEmail, AdminName, AdminPassw string
}

// CheckNewTenant validates the input field by field.
func (s *Service) CheckNewTenant(ctx context.Context, in NewTenant) []*errs.Error {
	var out []*errs.Error
	if !ValidTenantID(in.ID) {
		out = append(out, errs.FieldError("id", "tenant.error.id"))
	} else if _, err := s.Tenant(ctx, in.ID); err == nil {
		out = append(out, errs.FieldError("id", "tenant.error.id_taken"))
	}
	if strings.TrimSpace(in.Name) == "" {
		out = append(out, errs.FieldError("name", "tenant.error.name"))
	}
	if in.ARS != "" {
		sn, err := s.Catalog.Snapshot(ctx)
		if err != nil {
			return append(out, errs.Wrap(errs.Internal, "tenant.CheckNewTenant", err, ""))
		}
		if _, err := sn.Region(in.ARS); err != nil {
			out = append(out, errs.FieldError("ars", "tenant.error.ars"))
		}
	} else {
		out = append(out, errs.FieldError("ars", "tenant.error.ars"))
	}
	if a, err := mail.ParseAddress(strings.TrimSpace(in.AdminEmail)); err != nil || a.Address != strings.TrimSpace(in.AdminEmail) {
		out = append(out, errs.FieldError("email", "tenant.error.email"))
	}
	if strings.TrimSpace(in.AdminName) == "" {
		out = append(out, errs.FieldError("admin-name", "tenant.error.admin_name"))
	}
	if len([]rune(in.AdminPassw)) < identity.MinPasswordLength {
		out = append(out, errs.FieldError("password", "tenant.error.password"))
	}
	return out
}

// CreateTenant lets an operator create a tenant and its first admin.
func (s *Service) CreateTenant(ctx context.Context, actor *identity.Actor, in NewTenant) error {
	if err := identity.Authorize(actor, identity.ActionManage, identity.Object{Type: "tenant", Platform: true}); err != nil {
		return err
	}
	if es := s.CheckNewTenant(ctx, in); len(es) > 0 {
		return es[0]
	}
	if err := s.Identity.CreateTenant(ctx, actor.ID(), in.ID, strings.TrimSpace(in.Name), in.ARS); err != nil {
		return err
	}
	_, err := s.Identity.CreateStaff(ctx, actor.ID(), identity.NewStaff{
		Email: in.AdminEmail, Name: strings.TrimSpace(in.AdminName), TenantID: in.ID,
		Roles: []identity.Role{identity.RoleTenantAdmin}, Password: in.AdminPassw,
	})
	if err == nil {
		return nil
	}
	// identity creates tenant and staff in transactions of their own. A
	// tenant without its first admin would only block its id: take the
	// brand-new tenant back, so the operator can correct and send again.
	if rerr := s.DB.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM tenants WHERE id = ?`, in.ID); err != nil {
			return err
		}
		_, err := s.Audit.Append(ctx, tx, audit.Entry{Actor: actor.ID(), Action: "tenant.create_undone", ObjectType: "tenant", ObjectID: in.ID, Tenant: in.ID, Outcome: audit.Failure})
		return err
	}); rerr != nil {
		return errors.Join(err, rerr)
	}
	if errs.Is(err, errs.Conflict) {
		return errs.FieldError("email", "tenant.error.email_taken")
	}
	return err
}

// Tenants lists all tenants with their profiles, by name.
func (s *Service) Tenants(ctx context.Context) ([]Tenant, error) {
	rows, err := s.DB.QueryContext(ctx, `SELECT t.id, t.name, t.ars, t.created_at,
		COALESCE(p.display_name, ''), COALESCE(p.logo_url, ''), COALESCE(p.accent, ''), COALESCE(p.privacy_url, ''),
		COALESCE(p.imprint_url, ''), COALESCE(p.embed_origin, ''), COALESCE(p.updated_at, ''),
		COALESCE(p.logo_blob, ''), COALESCE(p.logo_type, ''), COALESCE(p.logo_updated, '')
		FROM tenants t LEFT JOIN tenant_profiles p ON p.tenant_id = t.id ORDER BY t.name, t.id`)
	if err != nil {
		return nil, fmt.Errorf("tenant: list: %w", err)
	}
	defer rows.Close()
	var out []Tenant
	for rows.Next() {
		t, err := scanTenant(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

func scanTenant(r interface{ Scan(...any) error }) (Tenant, error) {
	var t Tenant
	var created, updated, logoUpdated string
	p := &t.Profile
	if err := r.Scan(&t.ID, &t.Name, &t.ARS, &created, &p.DisplayName, &p.LogoURL, &p.Accent, &p.PrivacyURL, &p.ImprintURL, &p.EmbedOrigin, &updated,
		&p.LogoBlob, &p.LogoType, &logoUpdated); err != nil {
		return t, err
	}
	p.LogoUpdated = parseTime(logoUpdated)
	t.Created, p.Updated, p.TenantID = parseTime(created), parseTime(updated), t.ID
	if p.DisplayName == "" {
		p.DisplayName = t.Name
	}
	if p.Accent == "" {
		p.Accent = Accents[0]
	}
	return t, nil
}

// Tenant returns one tenant.
func (s *Service) Tenant(ctx context.Context, id string) (Tenant, error) {
	t, err := scanTenant(s.DB.QueryRowContext(ctx, `SELECT t.id, t.name, t.ars, t.created_at,
		COALESCE(p.display_name, ''), COALESCE(p.logo_url, ''), COALESCE(p.accent, ''), COALESCE(p.privacy_url, ''),
		COALESCE(p.imprint_url, ''), COALESCE(p.embed_origin, ''), COALESCE(p.updated_at, ''),
		COALESCE(p.logo_blob, ''), COALESCE(p.logo_type, ''), COALESCE(p.logo_updated, '')
		FROM tenants t LEFT JOIN tenant_profiles p ON p.tenant_id = t.id WHERE t.id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return t, errs.K(errs.NotFound, "tenant.error.not_found")
	}
	if err != nil {
		return t, fmt.Errorf("tenant: get: %w", err)
	}
	return t, nil
}

// httpsURL reports whether s is an absolute https URL (http only for
// localhost, for development).
func httpsURL(s string) bool {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || u.User != nil {
		return false
	}
	return u.Scheme == "https" || u.Scheme == "http" && (u.Hostname() == "localhost" || u.Hostname() == "127.0.0.1")
}

// ValidOrigin reports whether s is a bare origin (scheme and host, no
// path), as CSP frame-ancestors needs it.
func ValidOrigin(s string) bool {
	if !httpsURL(s) {
		return false
	}
	u, _ := url.Parse(s)
	return (u.Path == "" || u.Path == "/") && u.RawQuery == "" && u.Fragment == "" && !strings.ContainsAny(s, " ;,'\"")
}

// CheckProfile validates a profile field by field.
func CheckProfile(p Profile) []*errs.Error {
	var out []*errs.Error
	if strings.TrimSpace(p.DisplayName) == "" {
		out = append(out, errs.FieldError("display-name", "tenant.error.display_name"))
	}
	if !slices.Contains(Accents, p.Accent) {
		out = append(out, errs.FieldError("accent", "tenant.error.accent"))
	}
	for _, f := range []struct{ field, v string }{{"logo", p.LogoURL}, {"privacy", p.PrivacyURL}, {"imprint", p.ImprintURL}} {
		if f.v != "" && !httpsURL(f.v) {
			out = append(out, errs.FieldError(f.field, "tenant.error.url"))
		}
	}
	if p.EmbedOrigin != "" && !ValidOrigin(p.EmbedOrigin) {
		out = append(out, errs.FieldError("embed-origin", "tenant.error.origin"))
	}
	return out
}

// SaveProfile stores a tenant's details; its admins and operators may.
func (s *Service) SaveProfile(ctx context.Context, actor *identity.Actor, p Profile) error {
	if err := s.authorizeManage(actor, p.TenantID); err != nil {
		return err
	}
	p.EmbedOrigin = strings.TrimSuffix(p.EmbedOrigin, "/")
	if es := CheckProfile(p); len(es) > 0 {
		return es[0]
	}
	return s.DB.InTx(ctx, func(tx *store.Tx) error {
		// The uploaded logo is not part of the form: keep it (logo.go).
		var logoBlob, logoType, logoUpdated string
		err := tx.QueryRowContext(ctx, `SELECT logo_blob, logo_type, logo_updated FROM tenant_profiles WHERE tenant_id = ?`, p.TenantID).Scan(&logoBlob, &logoType, &logoUpdated)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM tenant_profiles WHERE tenant_id = ?`, p.TenantID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO tenant_profiles (tenant_id, display_name, logo_url, accent, privacy_url, imprint_url, embed_origin, updated_at, logo_blob, logo_type, logo_updated)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, p.TenantID, strings.TrimSpace(p.DisplayName), p.LogoURL, p.Accent, p.PrivacyURL, p.ImprintURL, p.EmbedOrigin, fmtTime(s.now()),
			logoBlob, logoType, logoUpdated); err != nil {
			return fmt.Errorf("tenant: save profile: %w", err)
		}
		_, err = s.Audit.Append(ctx, tx, audit.Entry{Actor: actor.ID(), Action: "tenant.profile_saved", ObjectType: "tenant", ObjectID: p.TenantID, Tenant: p.TenantID, Outcome: audit.Success})
		return err
	})
}

// authorizeManage lets a tenant's admins (and operators, for tenant
// objects) configure the tenant.
func (s *Service) authorizeManage(actor *identity.Actor, tenantID string) error {
	if actor.Has(identity.RoleOperator) {
		return identity.Authorize(actor, identity.ActionManage, identity.Object{Type: "tenant", Platform: true})
	}
	return identity.Authorize(actor, identity.ActionManage, identity.Object{Type: "activation", TenantID: tenantID})
}
