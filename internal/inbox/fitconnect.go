package inbox

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/ozgo/ozgo/internal/fitconnect"
	"github.com/ozgo/ozgo/internal/store"
)

// The workspace is the authority's subscriber of its destinations: when a
// clerk starts working a case (or decides it), it answers the Zustelldienst
// with an accept-submission event signed with the destination's key, as a
// Fachverfahren would (FIT-Connect Submission API: POST
// /cases/{caseId}/events).

// accept posts accept-submission for a case delivered to one of the
// workspace's destinations, once. Cases of other destinations (worked in
// a Fachverfahren) and cases not delivered yet are left alone.
func (s *Service) accept(ctx context.Context, tenantKey []byte, caseID string) error {
	return s.answer(ctx, tenantKey, caseID, "accept-submission")
}

// answer posts accept-submission or reject-submission, once per case.
func (s *Service) answer(ctx context.Context, tenantKey []byte, caseID, event string) error {
	if s.FC == nil {
		return nil
	}
	// The case's submission at the Zustelldienst: a copy the workspace
	// picked up, else ozgo's own delivery of it.
	var dest, fcSub, fcCase, status string
	err := s.DB.QueryRowContext(ctx, `SELECT destination_id, fc_submission_id, fc_case_id FROM inbox_cases WHERE id = ?`, caseID).Scan(&dest, &fcSub, &fcCase)
	if errors.Is(err, sql.ErrNoRows) {
		err = s.DB.QueryRowContext(ctx, `SELECT destination_id, fc_submission_id, fc_case_id, status FROM deliveries WHERE submission_id = ?`, caseID).
			Scan(&dest, &fcSub, &fcCase, &status)
		if errors.Is(err, sql.ErrNoRows) || (err == nil && (status != "delivered" || fcSub == "")) {
			return nil
		}
	}
	if err != nil {
		return err
	}
	var n int
	if err := s.DB.QueryRowContext(ctx, `SELECT COUNT(*) FROM inbox_accepted WHERE case_id = ?`, caseID).Scan(&n); err != nil || n > 0 {
		return err
	}
	var tenant string
	err = s.DB.QueryRowContext(ctx, `SELECT tenant_id FROM inbox_keys WHERE destination_id = ?`, dest).Scan(&tenant)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return err
	}
	// The workspace keeps its own copy before it accepts: FIT-Connect's
	// Zustelldienst deletes a submission 7 days after successful pickup
	// ("Benachrichtigungen und Löschfristen" of the FIT-Connect docs).
	if err := s.pickupOne(ctx, dest, tenant, fcSub); err != nil {
		return err
	}
	key, err := s.destinationKey(ctx, tenantKey, dest, purposeSigning)
	if err != nil {
		return err
	}
	p := subscriber(dest, tenant)
	tokens, _, err := s.FC.EventLog(ctx, p, fcCase, fitconnect.Page{Limit: 100})
	if err != nil {
		return err
	}
	tags, err := submitTags(tokens)
	if err != nil {
		return err
	}
	claims := map[string]any{
		"jti": uuid(), "iss": dest, "iat": s.now().Unix(),
		"sub": "submission:" + fcSub, "txn": "case:" + fcCase,
		"events": map[string]any{"https://schema.fitko.de/fit-connect/events/" + event: eventPayload(event, tags)},
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		return err
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.PS512, Key: jose.JSONWebKey{Key: key.Key, KeyID: key.KeyID}},
		(&jose.SignerOptions{}).WithType("secevent+jwt"))
	if err != nil {
		return err
	}
	jws, err := signer.Sign(payload)
	if err != nil {
		return err
	}
	token, err := jws.CompactSerialize()
	if err != nil {
		return err
	}
	if err := s.FC.PostEvent(ctx, p, fcCase, token); err != nil {
		return fmt.Errorf("inbox: %s: %w", event, err)
	}
	// Answered once: an accepted or rejected submission takes no other answer.
	_, err = s.DB.ExecContext(ctx, `INSERT INTO inbox_accepted (case_id, fc_submission_id, accepted_at) VALUES (?, ?, ?)`, caseID, fcSub, store.FormatTime(s.now()))
	return err
}

// eventPayload is the event's content: accepting confirms the received
// payloads by their authentication tags; a rejection names the problem
// (FIT-Connect's problem for a formally invalid submission).
func eventPayload(event string, tags any) map[string]any {
	if event == "accept-submission" {
		return map[string]any{"authenticationTags": tags}
	}
	return map[string]any{"authenticationTags": tags, "problems": []map[string]any{{
		"type":   "https://schema.fitko.de/fit-connect/events/problems/invalid-submission",
		"title":  "Antrag formal fehlerhaft",
		"detail": "Der Antrag wurde von der Behörde formal zurückgewiesen.",
	}}}
}

// submitTags reads the authentication tags from the case's
// submit-submission event (the Zustelldienst's own, from its event log).
func submitTags(tokens []string) (any, error) {
	for _, t := range tokens {
		parts := strings.Split(t, ".")
		if len(parts) != 3 {
			continue
		}
		b, err := base64.RawURLEncoding.DecodeString(parts[1])
		if err != nil {
			continue
		}
		var c struct {
			Events map[string]map[string]any `json:"events"`
		}
		if json.Unmarshal(b, &c) != nil {
			continue
		}
		if e, ok := c.Events["https://schema.fitko.de/fit-connect/events/submit-submission"]; ok {
			return e["authenticationTags"], nil
		}
	}
	return nil, errors.New("inbox: the case has no submit-submission event")
}

func uuid() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := fmt.Sprintf("%x", b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}
