package onlinedienst

// Routing by activation: one source of truth for "who receives what where".
//
// An online service that a tenant has activated for at least one Gemeinde
// ("Einer für Alle", internal/tenant) is routed by its activations alone:
// the live activation of (service, Gemeinde) names the delivery path, and
// a Gemeinde without one does not get the service online. The regions of
// FIT-Connect destinations then decide nothing; the destination only has
// to exist, be active, belong to the activating tenant and offer the
// Leistung (the Zustelldienst refuses submissions for Leistungen a
// destination does not list).
//
// Services nobody has activated keep routing by the regions of the
// FIT-Connect destinations (submission.Delivery.Route): that is how an
// operator wires a service without the tenant administration, and how
// the older demo services and their tests are set up.

import (
	"context"
	"database/sql"
	"errors"

	"github.com/ozgo/ozgo/internal/errs"
	"github.com/ozgo/ozgo/internal/fitconnect"
	"github.com/ozgo/ozgo/internal/identity"
	"github.com/ozgo/ozgo/internal/submission"
)

// Delivery paths of an activation (the same names as internal/tenant's).
const (
	DeliveryPDF         = "pdf"          // no online submission: the applicant sends the PDF
	DeliveryInbox       = "eingang"      // the tenant's built-in inbox (clerk workspace)
	DeliveryDestination = "zustellpunkt" // a FIT-Connect destination of the tenant
)

// Activation is what the tenant administration says about an online
// service in one Gemeinde, as the form runtime needs it.
type Activation struct {
	TenantID        string
	Authority       string
	Delivery        string
	DestinationID   string
	ContactEmail    string
	ContactPhone    string
	ProcessingDays  int
	OpeningHoursURL string
	TrustLevel      identity.TrustLevel
	Live            bool
}

// ActivationLookup finds the activation of slug in the Gemeinde ars: act
// is nil when there is none there; activated reports whether the service
// has any activation at all (then activations route it).
type ActivationLookup func(ctx context.Context, slug, ars string) (act *Activation, activated bool, err error)

// Errors of routing by activation; the draft is kept in both cases.
var (
	// ErrNotOffered: the service is activated elsewhere, not (or no
	// longer) in this Gemeinde.
	ErrNotOffered = errs.K(errs.Conflict, "antrag.error.not_offered")
	// ErrPaperOnly: the Gemeinde takes the application on paper only
	// (delivery "pdf"): no online submission.
	ErrPaperOnly = errs.K(errs.Conflict, "antrag.error.paper_only")
)

// Placement returns the live or switched-off activation of svc in ars and
// whether the service is routed by activations at all. Without a lookup
// (tests of the form runtime alone) nothing is activated.
func (a *Antraege) Placement(ctx context.Context, svc *Service, ars string) (*Activation, bool, error) {
	if a.Activations == nil || ars == "" {
		return nil, false, nil
	}
	return a.Activations(ctx, svc.Slug, ars)
}

// routeByActivation resolves an activation to its destination.
func (a *Antraege) routeByActivation(ctx context.Context, svc *Service, act *Activation) (*fitconnect.Destination, error) {
	if act == nil || !act.Live {
		return nil, ErrNotOffered
	}
	id := act.DestinationID
	switch act.Delivery {
	case DeliveryPDF:
		return nil, ErrPaperOnly
	case DeliveryInbox:
		// The tenant's workspace destination: the one the clerk workspace
		// holds the signing key of (internal/inbox).
		err := a.DB.QueryRowContext(ctx, `SELECT destination_id FROM inbox_keys WHERE tenant_id = ? ORDER BY created_at DESC, destination_id LIMIT 1`, act.TenantID).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			return nil, submission.ErrNoDestination
		}
		if err != nil {
			return nil, err
		}
	case DeliveryDestination:
	default:
		return nil, submission.ErrNoDestination
	}
	if a.Delivery == nil || a.Delivery.FC == nil {
		return nil, errs.Wrap(errs.Internal, "antrag.Route", errors.New("no delivery configured"), "")
	}
	dest, err := a.Delivery.FC.InternalDestination(ctx, id)
	if errs.Is(err, errs.NotFound) {
		return nil, submission.ErrNoDestination
	}
	if err != nil {
		return nil, err
	}
	if dest.Status != fitconnect.DestinationActive || dest.TenantID != act.TenantID || !offers(dest, svc.LeiKa) {
		return nil, submission.ErrNoDestination
	}
	return dest, nil
}

// offers reports whether dest lists the Leistung leika.
func offers(dest *fitconnect.Destination, leika string) bool {
	id := fitconnect.LeikaPrefix + leika
	for _, s := range dest.Services {
		if s.Identifier == id {
			return true
		}
	}
	return false
}
