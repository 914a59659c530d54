// Package submission is the citizen path of the submission pipeline: a
// submitted application of one of ozgo's own online services becomes a
// FIT-Connect submission (metadata 2.1.0, Fachdaten, uploaded files and
// the generated PDF as attachments), end-to-end encrypted to the
// destination's key and handed to ozgo's Zustelldienst by a durable
// outbox (see delivery.go).
package submission

import (
	"bytes"
	"crypto/rand"
	"crypto/sha512"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// MetadataSchemaURI is the $schema of the metadata ozgo sends.
const MetadataSchemaURI = "https://schema.fitko.de/fit-connect/metadata/2.1.0/metadata.schema.json"

// Purposes of attachments in the metadata.
const (
	PurposeForm       = "form"       // the generated PDF of the whole application
	PurposeAttachment = "attachment" // a file the applicant uploaded
)

//go:embed schemas/metadata-2.1.0.schema.json
var metadataSchemaJSON []byte

// Metadata is the FIT-Connect metadata document (schema 2.1.0) as far as
// ozgo fills it.
type Metadata struct {
	Schema           string           `json:"$schema"`
	ContentStructure ContentStructure `json:"contentStructure"`
	ReplyChannel     *ReplyChannel    `json:"replyChannel,omitempty"`
	// PaymentInformation is the payment of a paid application, as
	// internal/payment writes it (payment, issue 8).
	PaymentInformation json.RawMessage `json:"paymentInformation,omitempty"`
	Author             *Author         `json:"author,omitempty"`
}

// ContentStructure describes the Fachdaten and the attachments.
type ContentStructure struct {
	Data        DataRef      `json:"data"`
	Attachments []Attachment `json:"attachments"`
}

// DataRef names the hash and schema of the Fachdaten.
type DataRef struct {
	Hash             Hash      `json:"hash"`
	SubmissionSchema SchemaRef `json:"submissionSchema"`
}

// Hash is a hash of unencrypted content; FIT-Connect allows only SHA-512.
type Hash struct {
	Type    string `json:"type"`
	Content string `json:"content"`
}

// SchemaRef references the schema of the Fachdaten.
type SchemaRef struct {
	SchemaURI string `json:"schemaUri"`
	MimeType  string `json:"mimeType"`
}

// Attachment describes one attachment of the submission.
type Attachment struct {
	AttachmentID string `json:"attachmentId"`
	Hash         Hash   `json:"hash"`
	Purpose      string `json:"purpose"`
	Filename     string `json:"filename,omitempty"`
	Description  string `json:"description,omitempty"`
	MimeType     string `json:"mimeType"`
}

// ReplyChannel is the channel the applicant wants answers on. Schema 2.1.0
// allows exactly one of eMail, deMail, fink, elster, fitConnect and
// idBundDeMailbox; ozgo's own Postfach is none of them, so ozgo names the
// e-mail address when it knows one and otherwise leaves the channel out
// (which means: by letter, or the authority answers through ozgo's
// Postfach once that exists).
type ReplyChannel struct {
	EMail *EMailChannel `json:"eMail,omitempty"`
}

// EMailChannel is the reply channel by e-mail.
type EMailChannel struct {
	Address string `json:"address"`
}

// Author is the sending system's self-description (schema 2.1.0 "author":
// the portal and software product, not the applicant).
type Author struct {
	Name        string  `json:"name"`
	Description string  `json:"description,omitempty"`
	URL         string  `json:"url,omitempty"`
	Product     Product `json:"product"`
}

// Product names the software product that sent the submission.
type Product struct {
	Name         string `json:"name"`
	Version      string `json:"version"`
	Manufacturer string `json:"manufacturer"`
}

// SHA512 returns the FIT-Connect hash of b.
func SHA512(b []byte) Hash {
	h := sha512.Sum512(b)
	return Hash{Type: "sha512", Content: hex.EncodeToString(h[:])}
}

var (
	metaOnce   sync.Once
	metaSchema *jsonschema.Schema
	metaErr    error
)

// ValidateMetadata checks a metadata document against the FIT-Connect
// metadata schema 2.1.0, formats (uuid, email, uri) included.
func ValidateMetadata(doc []byte) error {
	metaOnce.Do(func() {
		raw, err := jsonschema.UnmarshalJSON(bytes.NewReader(metadataSchemaJSON))
		if err != nil {
			metaErr = err
			return
		}
		c := jsonschema.NewCompiler()
		c.AssertFormat()
		if err := c.AddResource(MetadataSchemaURI, raw); err != nil {
			metaErr = err
			return
		}
		metaSchema, metaErr = c.Compile(MetadataSchemaURI)
	})
	if metaErr != nil {
		return fmt.Errorf("submission: metadata schema: %w", metaErr)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	if err != nil {
		return fmt.Errorf("submission: metadata is not JSON: %w", err)
	}
	if err := metaSchema.Validate(inst); err != nil {
		return fmt.Errorf("submission: metadata fails schema 2.1.0: %s", strings.ReplaceAll(err.Error(), "\n", "; "))
	}
	return nil
}

// Encode renders the metadata as JSON and validates it.
func (m *Metadata) Encode() ([]byte, error) {
	b, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	if ValidateMetadata(b) != nil {
		// The details would quote filenames and addresses; they do not
		// belong in logs. Tests call ValidateMetadata for them.
		return nil, errors.New("submission: built metadata fails schema 2.1.0")
	}
	return b, nil
}

// newUUID returns a random (version 4) UUID for attachment ids.
func newUUID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("submission: random: " + err.Error()) // crypto/rand does not fail on supported platforms
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}
