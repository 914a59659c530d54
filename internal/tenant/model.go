// Package tenant keeps what tenants configure: their details and branding,
// the versions of online services a service author publishes once for
// everyone ("Einer für Alle"), the activations ("Nachnutzung") of those
// services per Gemeinde with their parameters, single or in bulk from a
// CSV file, and what follows from them: the Reifegrad of every (online
// service, Gemeinde) and the coverage of every region. It also keeps the
// citizens' feedback, the monthly statistics and the operators'
// maintenance announcements.
package tenant

import (
	"time"

	"github.com/ozgo/ozgo/internal/identity"
	"github.com/ozgo/ozgo/internal/onlinedienst"
)

// Accents are the colours a tenant may choose: KERN-compatible accent
// colours with AA contrast on white, never free CSS.
var Accents = []string{"blau", "gruen", "rot", "violett", "petrol"}

// Profile is a tenant's details and branding.
type Profile struct {
	TenantID    string
	DisplayName string
	// LogoURL is no longer shown: the pages' CSP allows images from ozgo
	// only (img-src 'self'). Tenants upload their logo instead (logo.go).
	LogoURL string
	// LogoBlob is the uploaded logo's blob id ("" without one), LogoType
	// its media type (image/png or image/jpeg).
	LogoBlob    string
	LogoType    string
	LogoUpdated time.Time
	Accent      string // one of Accents
	PrivacyURL  string
	ImprintURL  string
	// EmbedOrigin is the municipal website that may frame ozgo's pages
	// ("https://www.gemeinde.example"); "" allows no framing.
	EmbedOrigin string
	Updated     time.Time
}

// Tenant is a tenant with its profile.
type Tenant struct {
	ID      string
	Name    string
	ARS     string // region the tenant is responsible for; its area
	Created time.Time
	Profile Profile
}

// Version states.
const (
	Draft      = "entwurf"
	Published  = "veroeffentlicht"
	Superseded = "abgeloest"
)

// The parameters an online service can require of an activation.
const (
	ParamAuthority      = "behoerde"
	ParamContact        = "kontakt"
	ParamProcessingTime = "bearbeitungszeit"
	ParamOpeningHours   = "oeffnungszeiten"
	ParamFee            = "gebuehr"
	ParamPayment        = "zahlung"
)

// Params lists the parameter names in the order forms show them.
var Params = []string{ParamAuthority, ParamContact, ParamProcessingTime, ParamOpeningHours, ParamFee, ParamPayment}

// Version is one version of an online service as its author publishes it.
type Version struct {
	Slug          string
	Version       int
	AuthorTenant  string
	Title         string
	Summary       string
	LeiKa         []string // first is the main key
	FormID        string
	FormVersion   string
	MinTrustLevel identity.TrustLevel
	FeeCents      int64 // default fee rule: a fixed amount
	// EvidenceUpload is no longer declared by the author: the Reifegrad
	// computes it from the form (EvidenceOf). The column stays, unused.
	EvidenceUpload bool
	RequiredParams []string
	State          string
	Created        time.Time
	Published      time.Time
}

// Requires reports whether the version requires parameter p.
func (v *Version) Requires(p string) bool {
	for _, q := range v.RequiredParams {
		if q == p {
			return true
		}
	}
	return false
}

// Delivery kinds of an activation.
const (
	DeliveryPDF         = onlinedienst.DeliveryPDF         // the applicant prints the PDF: leaves the digital path
	DeliveryInbox       = onlinedienst.DeliveryInbox       // built-in inbox of the authority
	DeliveryDestination = onlinedienst.DeliveryDestination // FIT-Connect destination
)

// Activation is an online service switched on for one Gemeinde. Its fee
// and payment are not stored here: they are the payment settings of
// (service, tenant) in internal/payment (payment_fees, payment_endpoints),
// which the citizen's application uses; activations.fee_cents and
// payment_endpoint are left unused (migration 0014).
type Activation struct {
	Slug            string
	GemeindeARS     string
	TenantID        string
	Authority       string
	Delivery        string
	DestinationID   string
	ContactEmail    string
	ContactPhone    string
	ProcessingDays  int
	OpeningHoursURL string
	PostfachAnswers bool
	TrustLevel      identity.TrustLevel
	Live            bool
	UpdatedBy       string
	Created         time.Time
	Updated         time.Time
}
