// Package fitconnect is ozgo's FIT-Connect-compatible Zustelldienst
// (delivery service): destinations (Zustellpunkte) with their keys and
// routing by Leistung and region, submissions whose payloads arrive
// end-to-end encrypted as JWE and are stored without ever being decrypted,
// the event log of Security Event Tokens signed by ozgo, callbacks and the
// deadlines of the submission status machine, and the OAuth2 API clients.
//
// The HTTP surface (Submission API v1, served under /fitconnect) lives in
// the sub-package httpapi; this package knows nothing of net/http.
package fitconnect

import (
	"encoding/json"
	"time"

	"github.com/ozgo/ozgo/internal/store"
)

// TimeFormat is how times are stored: fixed width, so they compare as text
// on both engines.
const TimeFormat = store.TimeFormat

func formatTime(t time.Time) string { return store.FormatTime(t) }

func parseTime(s string) time.Time { return store.ParseTime(s) }

// LeikaPrefix starts the identifier of a Leistung of the LeiKa.
const LeikaPrefix = "urn:de:fim:leika:leistung:"

// DestinationStatus is the lifecycle state of a destination.
type DestinationStatus string

// Destination states as the Submission API names them. Only an active
// destination receives submissions.
const (
	DestinationCreated        DestinationStatus = "created"
	DestinationActive         DestinationStatus = "active"
	DestinationInactive       DestinationStatus = "inactive"
	DestinationDecommissioned DestinationStatus = "decommissioned"
)

// SubmissionStatus is the state of a submission in the status machine.
type SubmissionStatus string

// Submission states. incomplete until submitted; submitted until the
// destination picks it up (forwarded is kept for compatibility), then
// accepted or rejected; deleted when incomplete too long.
const (
	StatusIncomplete SubmissionStatus = "incomplete"
	StatusSubmitted  SubmissionStatus = "submitted"
	StatusForwarded  SubmissionStatus = "forwarded"
	StatusAccepted   SubmissionStatus = "accepted"
	StatusRejected   SubmissionStatus = "rejected"
	StatusDeleted    SubmissionStatus = "deleted"
)

// Event type URIs of the FIT-Connect event log.
const (
	EventBase             = "https://schema.fitko.de/fit-connect/events/"
	EventCreateSubmission = EventBase + "create-submission"
	EventSubmitSubmission = EventBase + "submit-submission"
	EventNotifySubmission = EventBase + "notify-submission"
	EventForwardSubmision = EventBase + "forward-submission"
	EventAcceptSubmission = EventBase + "accept-submission"
	EventRejectSubmission = EventBase + "reject-submission"
	EventDeleteSubmission = EventBase + "delete-submission"
)

// SETPayloadSchema is the $schema of the SET payloads ozgo issues.
const SETPayloadSchema = "https://schema.fitko.de/fit-connect/set-payload/1.2.0/set-payload.schema.json"

// Callback type URIs.
const (
	CallbackNewSubmissions = "https://schema.fitko.de/fit-connect/submission-api/callbacks/new-submissions"
	CallbackNewEvents      = "https://schema.fitko.de/fit-connect/submission-api/callbacks/new-events"
)

// ContactInformation names who runs a destination.
type ContactInformation struct {
	LegalName string `json:"legalName"`
	Address   string `json:"address"`
	Phone     string `json:"phone"`
	Email     string `json:"email"`
	Unit      string `json:"unit,omitempty"`
}

// SubmissionSchema references a schema of the submission's data.
type SubmissionSchema struct {
	MimeType  string `json:"mimeType"`
	SchemaURI string `json:"schemaUri"`
}

// DestinationService is one Leistung a destination accepts, in regions
// ("DE" + ARS prefix), with the data schemas it understands.
type DestinationService struct {
	Identifier        string             `json:"identifier"`
	Regions           []string           `json:"regions"`
	SubmissionSchemas []SubmissionSchema `json:"submissionSchemas"`
}

// CallbackConfig is a callback URL with the secret for its HMAC. The
// secret is write-only in the API.
type CallbackConfig struct {
	URL    string `json:"url"`
	Secret string `json:"secret,omitempty"`
}

// JWK is a public RSA key as FIT-Connect exchanges it.
type JWK struct {
	Kty    string   `json:"kty"`
	KeyOps []string `json:"key_ops"`
	Alg    string   `json:"alg"`
	X5c    []string `json:"x5c,omitempty"`
	Kid    string   `json:"kid"`
	N      string   `json:"n"`
	E      string   `json:"e"`
}

// Destination is a Zustellpunkt.
type Destination struct {
	ID               string
	TenantID         string // "" for the platform
	OwnerClient      string // the API client that created it
	Status           DestinationStatus
	Services         []DestinationService
	EncryptionKid    string
	SigningKid       string
	MetadataVersions []string
	Contact          ContactInformation
	ReplyChannels    json.RawMessage // kept as given (deprecated in the API)
	CallbackURL      string
	callbackSecret   string // set when given in this request
	sealedCallback   []byte // as stored; opened only to send a callback
	Created          time.Time
	Updated          time.Time
}

// DestinationInput is what create, update and patch may set. Nil fields
// are left alone by Patch.
type DestinationInput struct {
	Status              *DestinationStatus
	Contact             *ContactInformation
	Services            []DestinationService
	Callback            *CallbackConfig
	EncryptionKid       *string
	EncryptionPublicKey *JWK
	SigningPublicKey    *JWK
	ReplyChannels       json.RawMessage
	MetadataVersions    []string
}

// ServiceType names the Leistung of a submission.
type ServiceType struct {
	Name        string `json:"name,omitempty"`
	Description string `json:"description,omitempty"`
	Identifier  string `json:"identifier"`
}

// Submission is one Einreichung.
type Submission struct {
	ID            string
	CaseID        string
	DestinationID string
	SenderClient  string
	ServiceType   ServiceType
	Status        SubmissionStatus
	// Attachments lists the announced attachment ids in announcement order.
	Attachments       []string
	Uploaded          map[string]bool
	EncryptedMetadata string
	EncryptedData     string
	CallbackURL       string
	Created           time.Time
	Submitted         time.Time
}

// CreateSubmission is the request to open a submission.
type CreateSubmission struct {
	DestinationID        string
	CaseID               string // optional: reply within an existing case
	ServiceType          ServiceType
	AnnouncedAttachments []string
	Callback             *CallbackConfig
}

// Created answers CreateSubmission.
type Created struct {
	DestinationID string `json:"destinationId"`
	SubmissionID  string `json:"submissionId"`
	CaseID        string `json:"caseId"`
}

// PickupItem is one submission ready for pickup.
type PickupItem = Created

// Page is a slice of a list with its position.
type Page struct {
	Offset, Limit int
}

// AuthenticationTags are the 5th segments of the JWEs of a submission,
// recorded in the submit-submission event so the receiver can tell that it
// got exactly what the sender sent.
type AuthenticationTags struct {
	Metadata    string            `json:"metadata"`
	Data        string            `json:"data,omitempty"`
	Attachments map[string]string `json:"attachments,omitempty"`
}
