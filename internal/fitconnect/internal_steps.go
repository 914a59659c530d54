package fitconnect

// Steps of SendInternal, one by one, for senders that must deliver exactly
// once across crashes and retries (the citizen path's outbox in
// internal/submission). SendInternal opens, uploads and submits in one
// call: a caller that crashes after the Zustelldienst committed the submit
// but before it recorded the answer cannot tell whether to send again. With
// these steps the caller records the submission id between opening and
// submitting, and asks InternalStatus before sending again.

import (
	"context"
	"database/sql"
	"errors"
	"strings"

	"github.com/ozgo/ozgo/internal/errs"
)

// internalSender is the principal of ozgo's own form engine.
func internalSender() Principal { return Principal{ClientID: "ozgo-internal", internal: true} }

// OpenInternal opens a submission from ozgo itself to a destination and
// announces its attachments (the first step of SendInternal).
func (s *Service) OpenInternal(ctx context.Context, destID, serviceURN, serviceName string, attachments []string) (Created, error) {
	if serviceURN != "" && !strings.HasPrefix(serviceURN, "urn:") {
		serviceURN = LeikaPrefix + serviceURN
	}
	return s.CreateSubmission(ctx, internalSender(), CreateSubmission{DestinationID: destID,
		ServiceType: ServiceType{Identifier: serviceURN, Name: serviceName}, AnnouncedAttachments: attachments})
}

// CompleteInternal uploads the attachments of a submission opened with
// OpenInternal and submits it with its metadata and data (the remaining
// steps of SendInternal). When it returns nil the submission is committed.
func (s *Service) CompleteInternal(ctx context.Context, subID string, attachments []SendAttachment, metadata, data string) error {
	p := internalSender()
	for _, a := range attachments {
		if err := s.PutAttachment(ctx, p, subID, a.ID, a.JWE); err != nil {
			return err
		}
	}
	_, err := s.Submit(ctx, p, subID, metadata, data)
	return err
}

// InternalStatus returns the status of a submission ozgo itself sent;
// NotFound when there is none (or another client sent it).
func (s *Service) InternalStatus(ctx context.Context, subID string) (SubmissionStatus, error) {
	var st, sender string
	err := s.db.QueryRowContext(ctx, `SELECT status, sender_client FROM fc_submissions WHERE id = ?`, strings.ToLower(subID)).Scan(&st, &sender)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && sender != internalSender().ClientID) {
		return "", notFoundSubmission()
	}
	if err != nil {
		return "", err
	}
	return SubmissionStatus(st), nil
}

// InternalEncryptionKey returns the current public encryption key of a
// destination, for senders inside ozgo.
func (s *Service) InternalEncryptionKey(ctx context.Context, destID string) (JWK, error) {
	d, err := s.loadDestination(ctx, s.db, destID)
	if err != nil {
		return JWK{}, err
	}
	if d.EncryptionKid == "" {
		return JWK{}, errs.E(errs.Conflict, "Der Zustellpunkt hat keinen Verschlüsselungsschlüssel.")
	}
	return s.destinationKey(ctx, s.db, d.ID, d.EncryptionKid)
}

// InternalDestination returns a destination by id, for ozgo's own components
// (the citizen path names the authority on the receipt).
func (s *Service) InternalDestination(ctx context.Context, id string) (*Destination, error) {
	return s.loadDestination(ctx, s.db, id)
}
