package identity

import (
	"slices"

	"github.com/ozgo/ozgo/internal/errs"
)

// Actor is who makes a request, as the authorization check needs it.
// The zero Actor is anonymous.
type Actor struct {
	Kind       string // "", KindCitizen or KindStaff
	Principal  string // person or staff id
	TrustLevel TrustLevel
	// ActingAs is the party a citizen acts for ("" = themself); MandateID
	// and MandateScope describe the mandate that allows it.
	ActingAs     string
	MandateID    string
	MandateScope string
	// Orgs are the organisations the citizen belongs to, with the role.
	Orgs map[string]string
	// TenantID and Roles describe staff.
	TenantID string
	Roles    []Role
	// TenantKey is the tenant key the staff session holds (nil when it
	// is locked): it opens the tenant's destination keys.
	TenantKey []byte
}

// LoggedIn reports whether the actor is authenticated (and, for staff,
// has passed the second factor).
func (a *Actor) LoggedIn() bool { return a != nil && a.Kind != "" }

// ID is the actor's id for audit records: "person:<id>", "staff:<id>" or
// "anonymous".
func (a *Actor) ID() string {
	switch {
	case a == nil || a.Kind == "":
		return "anonymous"
	case a.Kind == KindStaff:
		return "staff:" + a.Principal
	}
	return "person:" + a.Principal
}

// Party is the party whose objects a citizen sees and creates: the
// organisation or person they act for, else themself.
func (a *Actor) Party() string {
	if a == nil || a.Kind != KindCitizen {
		return ""
	}
	if a.ActingAs != "" {
		return a.ActingAs
	}
	return "person:" + a.Principal
}

// Has reports whether a staff actor has role r.
func (a *Actor) Has(r Role) bool {
	return a != nil && a.Kind == KindStaff && slices.Contains(a.Roles, r)
}

// Action is what an actor wants to do with an object.
type Action string

// The actions.
const (
	ActionView   Action = "view"   // read
	ActionEdit   Action = "edit"   // change one's own object (a draft, an answer)
	ActionWork   Action = "work"   // clerk work on a tenant's case
	ActionManage Action = "manage" // configure: staff, destinations, organisation members, mandates
)

// Object describes what is acted on, as far as access depends on it.
type Object struct {
	Type string
	// Owner is the party owning a citizen-side object ("person:<id>",
	// "organisation:<id>"); Leika the Leistung it concerns, for mandates
	// limited to one Leistung.
	Owner string
	Leika string
	// TenantID is set for objects of a tenant (cases, destinations, staff).
	TenantID string
	// Platform marks platform-wide objects (tenants, operators' accounts).
	Platform bool
	// Public objects may be viewed by anyone.
	Public bool
}

// Authorize is ozgo's one authorization decision. It returns nil when
// actor may do action on obj; Unauthorized when nobody is logged in (the
// caller sends the browser to log in, or answers 401); and NotFound
// otherwise, so an object of another person or tenant cannot even be
// told apart from one that does not exist.
func Authorize(a *Actor, action Action, o Object) error {
	if o.Public && action == ActionView {
		return nil
	}
	if !a.LoggedIn() {
		return errs.E(errs.Unauthorized, "")
	}
	if allowed(a, action, o) {
		return nil
	}
	return errs.E(errs.NotFound, "")
}

func allowed(a *Actor, action Action, o Object) bool {
	switch a.Kind {
	case KindCitizen:
		if o.Owner == "" {
			return false
		}
		if o.Owner == a.Party() {
			if a.MandateScope != "" && a.MandateScope != "*" && o.Leika != "" && a.MandateScope != o.Leika {
				return false
			}
			switch action {
			case ActionView, ActionEdit:
				return true
			case ActionManage:
				// Acting for someone does not let one manage their
				// account (members, mandates).
				return a.ActingAs == ""
			}
			return false
		}
		// An organisation's own objects: members view, admins manage.
		if org, ok := cutPrefix(o.Owner, "organisation:"); ok && a.ActingAs == "" {
			role, member := a.Orgs[org]
			switch {
			case !member:
				return false
			case action == ActionView:
				return o.Type == "organisation"
			case action == ActionManage:
				return role == OrgAdmin && o.Type == "organisation"
			}
		}
		return false
	case KindStaff:
		if o.Owner != "" && o.TenantID == "" {
			// A citizen's own object (a draft, their account): no staff
			// member sees it; cases reach staff through their tenant.
			return false
		}
		if a.Has(RoleOperator) && (o.Platform || action == ActionManage || action == ActionView) && o.Owner == "" {
			return o.Platform || o.Type == "tenant" || o.Type == "staff"
		}
		if o.TenantID == "" || o.TenantID != a.TenantID {
			if o.Platform && o.Type == "online_service" && a.Has(RoleServiceAuthor) {
				return true
			}
			return false
		}
		switch action {
		case ActionView:
			return a.Has(RoleClerk) || a.Has(RoleTenantAdmin)
		case ActionWork:
			return a.Has(RoleClerk)
		case ActionManage:
			return a.Has(RoleTenantAdmin)
		}
	}
	return false
}

func cutPrefix(s, prefix string) (string, bool) {
	if len(s) > len(prefix) && s[:len(prefix)] == prefix {
		return s[len(prefix):], true
	}
	return "", false
}
