// Package identity knows who is acting: citizens who logged in through an
// external identity provider (BundID-style SAML, OpenID Connect),
// organisations and the mandates (Vollmachten) that let one party act for
// another, staff accounts with roles per tenant, server-side sessions,
// login throttling, and the one central authorization check.
//
// The protocol work of external logins lives in the sub-packages saml and
// oidc; they implement Provider. This package stores what they assert and
// never imports net/http.
package identity

import (
	"context"
	"net/url"
	"time"
)

// TrustLevel is the Vertrauensniveau of an authentication, after eIDAS.
type TrustLevel int

// The trust levels. None is "not logged in".
const (
	None         TrustLevel = 0
	Niedrig      TrustLevel = 1 // eIDAS low; BundID user name + password
	Substantiell TrustLevel = 2 // eIDAS substantial; e.g. ELSTER certificate
	Hoch         TrustLevel = 3 // eIDAS high; Online-Ausweis (eID)
)

// String returns the German name used in URLs, configuration and messages:
// "niedrig", "substantiell", "hoch".
func (l TrustLevel) String() string {
	switch l {
	case Niedrig:
		return "niedrig"
	case Substantiell:
		return "substantiell"
	case Hoch:
		return "hoch"
	}
	return "keins"
}

// ParseTrustLevel reads a level by its German name, its eIDAS name
// ("low", "substantial", "high", or the eIDAS LoA URI) or its STORK QAA
// level ("STORK-QAA-Level-1" … "-4"; 1 and 2 are low).
func ParseTrustLevel(s string) (TrustLevel, bool) {
	switch s {
	case "niedrig", "low", "STORK-QAA-Level-1", "STORK-QAA-Level-2", "http://eidas.europa.eu/LoA/low":
		return Niedrig, true
	case "substantiell", "substantial", "STORK-QAA-Level-3", "http://eidas.europa.eu/LoA/substantial":
		return Substantiell, true
	case "hoch", "high", "STORK-QAA-Level-4", "http://eidas.europa.eu/LoA/high":
		return Hoch, true
	}
	return None, false
}

// STORK returns the STORK QAA level name BundID uses for l.
func (l TrustLevel) STORK() string {
	switch l {
	case Substantiell:
		return "STORK-QAA-Level-3"
	case Hoch:
		return "STORK-QAA-Level-4"
	}
	return "STORK-QAA-Level-1"
}

// EIDAS returns the eIDAS level-of-assurance URI for l.
func (l TrustLevel) EIDAS() string {
	switch l {
	case Substantiell:
		return "http://eidas.europa.eu/LoA/substantial"
	case Hoch:
		return "http://eidas.europa.eu/LoA/high"
	}
	return "http://eidas.europa.eu/LoA/low"
}

// Attributes are what an identity provider says about a person. All are
// optional; BundID sends them when the user consents.
type Attributes struct {
	GivenName    string `json:"given_name,omitempty"`
	FamilyName   string `json:"family_name,omitempty"`
	BirthName    string `json:"birth_name,omitempty"`
	BirthDate    string `json:"birth_date,omitempty"` // YYYY-MM-DD
	PlaceOfBirth string `json:"place_of_birth,omitempty"`
	Email        string `json:"email,omitempty"`
	Street       string `json:"street,omitempty"` // street and house number
	PostalCode   string `json:"postal_code,omitempty"`
	City         string `json:"city,omitempty"`
	Country      string `json:"country,omitempty"` // ISO 3166-1 alpha-2
}

// Name is the display name: given and family name.
func (a Attributes) Name() string {
	switch {
	case a.GivenName == "":
		return a.FamilyName
	case a.FamilyName == "":
		return a.GivenName
	}
	return a.GivenName + " " + a.FamilyName
}

// Assertion is the verified result of an external login.
type Assertion struct {
	// Provider is the Provider's ID.
	Provider string
	// Subject is the stable identifier of the person at that provider:
	// BundID's bPK2 where present, else the persistent NameID or the OIDC
	// "sub".
	Subject    string
	TrustLevel TrustLevel
	Attributes Attributes
	// ReplayID identifies this assertion or token (SAML assertion ID, OIDC
	// "jti" or a hash of the ID token); it is accepted only once until
	// ReplayUntil.
	ReplayID    string
	ReplayUntil time.Time
}

// Start tells the browser where to go to log in at a provider: a redirect
// to URL (GET), or an auto-submitted POST of Fields to URL when Post is set
// (SAML HTTP-POST binding).
type Start struct {
	URL    string
	Post   bool
	Fields map[string]string
	// Secret is provider data kept for the answer (PKCE verifier, nonce);
	// it is stored sealed with the pending request and handed to Finish.
	Secret []byte
}

// Pending is a login request ozgo sent and has not yet seen answered.
type Pending struct {
	ID         string // the RequestID given to Begin
	Provider   string
	TrustLevel TrustLevel // minimum level asked for
	ReturnTo   string
	Secret     []byte
	Expires    time.Time
}

// A Provider is an external identity provider for citizens (and, with
// OIDC, optionally staff). Implementations do the protocol and the
// cryptography; the Service keeps requests, replay state and persons.
type Provider interface {
	// ID names the provider in storage and URLs ("bundid", "oidc").
	ID() string
	// Label is shown on the login choice page.
	Label() string
	// Begin starts a login asking for at least level. requestID is the
	// SAML AuthnRequest ID or the OIDC state the answer must carry.
	Begin(ctx context.Context, requestID string, level TrustLevel) (Start, error)
	// RequestID extracts the request id an answer refers to (SAML
	// InResponseTo, OIDC state) without trusting anything else in it.
	RequestID(form url.Values) (string, error)
	// Finish verifies the answer (the POST to /saml/acs, the query of
	// /oidc/callback) for the pending request and returns the assertion.
	// Every failure is an *errs.Error with code Unauthorized.
	Finish(ctx context.Context, form url.Values, p Pending) (Assertion, error)
}
