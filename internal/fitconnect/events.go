package fitconnect

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"database/sql"
	"encoding/json"
	"errors"
	"strings"

	"github.com/go-jose/go-jose/v4"

	"github.com/ozgo/ozgo/internal/audit"
	"github.com/ozgo/ozgo/internal/errs"
	"github.com/ozgo/ozgo/internal/store"
)

// addEvent appends an event of ozgo's own to a case's log. Its SET is
// signed later, once, when first read (or by the worker): RSA signing on
// the send path would cost more than everything else together.
func (s *Service) addEvent(ctx context.Context, tx *store.Tx, caseID, subID, event string, payload map[string]any) error {
	if payload == nil {
		payload = map[string]any{}
	}
	now := s.now()
	jti := newUUID()
	claims := map[string]any{
		"$schema": SETPayloadSchema,
		"jti":     jti,
		"iss":     s.opt.Issuer,
		"iat":     now.Unix(),
		"sub":     "submission:" + subID,
		"txn":     "case:" + caseID,
		"events":  map[string]any{event: payload},
	}
	raw, err := json.Marshal(claims)
	if err != nil {
		return err
	}
	_, err = s.exec(ctx, tx, `INSERT INTO fc_events (case_id, submission_id, jti, event, claims, token, created_at) VALUES (?, ?, ?, ?, ?, '', ?)`,
		caseID, subID, jti, event, string(raw), formatTime(now))
	return err
}

// signingKey is ozgo's SET signing key.
type signingKey struct {
	kid    string
	priv   *rsa.PrivateKey
	signer jose.Signer
	public []JWK
}

func signingAD(kid string) []byte { return []byte("fitconnect-set-signing-key:" + kid) }

// signingKeyLoaded returns the newest signing key, creating one on first
// use. The private key is stored sealed with the master key so every ozgo
// process on the database signs with the same key.
func (s *Service) signingKeyLoaded(ctx context.Context) (*signingKey, error) {
	s.signMu.Lock()
	defer s.signMu.Unlock()
	if s.signer != nil {
		return s.signer, nil
	}
	k, err := s.readSigningKeys(ctx)
	if err != nil {
		return nil, err
	}
	if k == nil {
		priv, err := rsa.GenerateKey(rand.Reader, s.opt.SigningKeyBits)
		if err != nil {
			return nil, err
		}
		kid := newUUID()
		sealed, err := s.keys.Seal(x509.MarshalPKCS1PrivateKey(priv), signingAD(kid))
		if err != nil {
			return nil, err
		}
		if _, err := s.db.ExecContext(ctx, `INSERT INTO fc_signing_keys (kid, private_key, created_at) VALUES (?, ?, ?)`,
			kid, sealed, formatTime(s.now())); err != nil {
			return nil, err
		}
		s.log.Info("fitconnect: created the SET signing key", "kid", kid, "bits", s.opt.SigningKeyBits)
		if k, err = s.readSigningKeys(ctx); err != nil {
			return nil, err
		}
	}
	s.signer = k
	return k, nil
}

func (s *Service) readSigningKeys(ctx context.Context) (*signingKey, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT kid, private_key FROM fc_signing_keys ORDER BY created_at DESC, kid`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out *signingKey
	var public []JWK
	for rows.Next() {
		var kid string
		var sealed []byte
		if err := rows.Scan(&kid, &sealed); err != nil {
			return nil, err
		}
		der, err := s.keys.Open(sealed, signingAD(kid))
		if err != nil {
			return nil, errs.Wrap(errs.Internal, "fitconnect.signingKey", err, "")
		}
		priv, err := x509.ParsePKCS1PrivateKey(der)
		if err != nil {
			return nil, errs.Wrap(errs.Internal, "fitconnect.signingKey", err, "")
		}
		public = append(public, PublicJWK(&priv.PublicKey, kid, AlgSign))
		if out == nil {
			signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.PS512, Key: jose.JSONWebKey{Key: priv, KeyID: kid}},
				(&jose.SignerOptions{}).WithType("secevent+jwt"))
			if err != nil {
				return nil, err
			}
			out = &signingKey{kid: kid, priv: priv, signer: signer}
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if out != nil {
		out.public = public
	}
	return out, nil
}

// JWKS returns ozgo's public SET verification keys.
func (s *Service) JWKS(ctx context.Context) ([]JWK, error) {
	k, err := s.signingKeyLoaded(ctx)
	if err != nil {
		return nil, err
	}
	return k.public, nil
}

// signPending signs up to limit unsigned events of ozgo (of one case when
// caseID is given) and stores the tokens. Each event is signed once; a
// concurrent signer's token wins if it was first.
func (s *Service) signPending(ctx context.Context, caseID string, limit int) (int, error) {
	q := `SELECT seq, claims FROM fc_events WHERE token = '' `
	args := []any{}
	if caseID != "" {
		q += `AND case_id = ? `
		args = append(args, caseID)
	}
	q += `ORDER BY seq LIMIT ?`
	args = append(args, limit)
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return 0, err
	}
	type pending struct {
		seq    int64
		claims string
	}
	var todo []pending
	for rows.Next() {
		var p pending
		if err := rows.Scan(&p.seq, &p.claims); err != nil {
			rows.Close()
			return 0, err
		}
		todo = append(todo, p)
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(todo) == 0 {
		return 0, err
	}
	k, err := s.signingKeyLoaded(ctx)
	if err != nil {
		return 0, err
	}
	for _, p := range todo {
		obj, err := k.signer.Sign([]byte(p.claims))
		if err != nil {
			return 0, err
		}
		tok, err := obj.CompactSerialize()
		if err != nil {
			return 0, err
		}
		if _, err := s.db.ExecContext(ctx, `UPDATE fc_events SET token = ? WHERE seq = ? AND token = ''`, tok, p.seq); err != nil {
			return 0, err
		}
	}
	return len(todo), nil
}

// caseAccess decides who may read or write a case's event log: receivers
// and managers of its destination, and the senders of its submissions.
func (s *Service) caseAccess(ctx context.Context, p Principal, caseID string) (d *Destination, receiver, sender bool, err error) {
	caseID = strings.ToLower(caseID)
	if !ValidUUID(caseID) {
		return nil, false, false, errs.E(errs.NotFound, "Vorgang nicht gefunden.")
	}
	var destID string
	err = s.db.QueryRowContext(ctx, `SELECT destination_id FROM fc_cases WHERE id = ?`, caseID).Scan(&destID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false, false, errs.E(errs.NotFound, "Vorgang nicht gefunden.")
	}
	if err != nil {
		return nil, false, false, err
	}
	if d, err = s.loadDestination(ctx, s.db, destID); err != nil {
		return nil, false, false, err
	}
	receiver = p.canSubscribe(d) || p.canManage(d)
	var one int
	err = s.db.QueryRowContext(ctx, `SELECT 1 FROM fc_submissions WHERE case_id = ? AND sender_client = ? LIMIT 1`, caseID, p.ClientID).Scan(&one)
	switch {
	case err == nil:
		sender = true
	case !errors.Is(err, sql.ErrNoRows):
		return nil, false, false, err
	}
	if !receiver && !sender {
		return nil, false, false, errs.E(errs.NotFound, "Vorgang nicht gefunden.")
	}
	return d, receiver, sender, nil
}

// EventLog returns the signed SETs of a case, oldest first.
func (s *Service) EventLog(ctx context.Context, p Principal, caseID string, pg Page) ([]string, int, error) {
	if _, _, _, err := s.caseAccess(ctx, p, caseID); err != nil {
		return nil, 0, err
	}
	caseID = strings.ToLower(caseID)
	if _, err := s.signPending(ctx, caseID, 1000); err != nil {
		return nil, 0, err
	}
	var total int
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM fc_events WHERE case_id = ?`, caseID).Scan(&total); err != nil {
		return nil, 0, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT token FROM fc_events WHERE case_id = ? ORDER BY seq LIMIT ? OFFSET ?`, caseID, pg.Limit, pg.Offset)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	out := []string{}
	for rows.Next() {
		var tok string
		if err := rows.Scan(&tok); err != nil {
			return nil, 0, err
		}
		out = append(out, tok)
	}
	return out, total, rows.Err()
}

// receivedClaims are the claims ozgo reads from a receiver's SET.
type receivedClaims struct {
	Jti    string                     `json:"jti"`
	Iss    string                     `json:"iss"`
	Iat    *int64                     `json:"iat"`
	Sub    string                     `json:"sub"`
	Txn    string                     `json:"txn"`
	Events map[string]json.RawMessage `json:"events"`
}

// PostEvent takes a SET from a destination's receiver (accept- or
// reject-submission), verifies its PS512 signature against the
// destination's signature key, checks its claims and the status machine
// (Conflict for a submission that is not waiting for an answer) and
// appends it to the case's log as received.
func (s *Service) PostEvent(ctx context.Context, p Principal, caseID, token string) error {
	d, receiver, _, err := s.caseAccess(ctx, p, caseID)
	if err != nil {
		return err
	}
	if !p.canSubscribe(d) {
		if receiver {
			return errs.E(errs.Forbidden, "Für Events ist der Scope subscribe:destination nötig.")
		}
		return errs.E(errs.Forbidden, "Nur der empfangende Zustellpunkt darf Events senden.")
	}
	caseID = strings.ToLower(caseID)
	bad := func(msg string) error { return &errs.Error{Code: errs.BadRequest, Field: "body", Message: msg} }
	invalid := func(msg string) error { return &errs.Error{Code: errs.Invalid, Field: "body", Message: msg} }
	token = strings.TrimSpace(token)
	if token == "" || len(token) > 64<<10 || strings.Count(token, ".") != 2 {
		return bad("Der Body muss ein Security Event Token (JWS Compact Serialization) sein.")
	}
	jws, err := jose.ParseSignedCompact(token, []jose.SignatureAlgorithm{jose.PS512})
	if err != nil || len(jws.Signatures) != 1 {
		return bad("Das Security Event Token ist kein JWS mit alg PS512.")
	}
	h := jws.Signatures[0].Protected
	if typ, _ := h.ExtraHeaders[jose.HeaderType].(string); typ != "secevent+jwt" {
		return invalid("Das Security Event Token muss den typ secevent+jwt haben.")
	}
	if h.KeyID == "" {
		return invalid("Das Security Event Token nennt keine kid.")
	}
	k, err := s.destinationKey(ctx, s.db, d.ID, h.KeyID)
	if err != nil || k.Alg != AlgSign {
		return invalid("Die kid des Security Event Tokens nennt keinen Signaturschlüssel des Zustellpunkts.")
	}
	pub, ok := rsaPublic(k)
	if !ok {
		return invalid("Der Signaturschlüssel des Zustellpunkts ist unlesbar.")
	}
	payload, err := jws.Verify(pub)
	if err != nil {
		return invalid("Die Signatur des Security Event Tokens ist ungültig.")
	}
	var c receivedClaims
	if err := json.Unmarshal(payload, &c); err != nil {
		return bad("Die Claims des Security Event Tokens sind kein JSON-Objekt.")
	}
	if !ValidUUID(c.Jti) || c.Iat == nil || c.Iss == "" {
		return invalid("jti (UUID), iss und iat sind Pflicht.")
	}
	if !strings.EqualFold(c.Txn, "case:"+caseID) {
		return invalid("txn muss case:<caseId> dieses Vorgangs sein.")
	}
	subID, ok := strings.CutPrefix(c.Sub, "submission:")
	subID = strings.ToLower(subID)
	if !ok || !ValidUUID(subID) {
		return invalid("sub muss submission:<submissionId> sein.")
	}
	if len(c.Events) != 1 {
		return invalid("events muss genau ein Event enthalten.")
	}
	var event string
	var evPayload json.RawMessage
	for k, v := range c.Events {
		event, evPayload = k, v
	}
	var next SubmissionStatus
	switch event {
	case EventAcceptSubmission:
		next = StatusAccepted
	case EventRejectSubmission:
		next = StatusRejected
	default:
		return invalid("Empfänger können nur accept-submission oder reject-submission senden.")
	}
	var evBody struct {
		AuthenticationTags *AuthenticationTags `json:"authenticationTags"`
	}
	if len(evPayload) > 0 && json.Unmarshal(evPayload, &evBody) != nil {
		return invalid("Die Event-Payload ist kein JSON-Objekt.")
	}
	return s.inTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		var status, subCase, sender, cbURL string
		err := s.queryRow(ctx, tx, `SELECT status, case_id, sender_client, callback_url FROM fc_submissions WHERE id = ?`, subID).Scan(&status, &subCase, &sender, &cbURL)
		if errors.Is(err, sql.ErrNoRows) || (err == nil && subCase != caseID) {
			return invalid("sub nennt keine Einreichung dieses Vorgangs.")
		}
		if err != nil {
			return err
		}
		st := SubmissionStatus(status)
		if st != StatusSubmitted && st != StatusForwarded {
			return errs.E(errs.Conflict, "Ungültiger Statusübergang: die Einreichung hat den Status "+status+".")
		}
		if next == StatusAccepted && evBody.AuthenticationTags != nil {
			want, err := s.submittedTags(ctx, tx, subID)
			if err != nil {
				return err
			}
			if !sameTags(*evBody.AuthenticationTags, want) {
				return invalid("Die authenticationTags passen nicht zur Einreichung.")
			}
		}
		res, err := s.exec(ctx, tx, `UPDATE fc_submissions SET status = ?, updated_at = ? WHERE id = ? AND status = ?`,
			string(next), formatTime(s.now()), subID, status)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return errs.E(errs.Conflict, "Ungültiger Statusübergang: die Einreichung wurde gerade geändert.")
		}
		var dup int
		if err := s.queryRow(ctx, tx, `SELECT COUNT(*) FROM fc_events WHERE jti = ?`, c.Jti).Scan(&dup); err != nil {
			return err
		}
		if dup > 0 {
			return errs.E(errs.Conflict, "Ein Event mit dieser jti existiert bereits.")
		}
		if _, err := s.exec(ctx, tx, `INSERT INTO fc_events (case_id, submission_id, jti, event, claims, token, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			caseID, subID, c.Jti, event, string(payload), token, formatTime(s.now())); err != nil {
			return err
		}
		if _, err := s.exec(ctx, tx, `DELETE FROM fc_jobs WHERE ref = ? AND kind = ?`, subID, jobDeadline); err != nil {
			return err
		}
		if cbURL != "" {
			now := s.now()
			if err := s.addJob(ctx, tx, jobCallbackSender, subID, now, now.Add(s.opt.CallbackGiveUp)); err != nil {
				return err
			}
		}
		_, err = s.audit.Append(ctx, tx, audit.Entry{Actor: "fitconnect-client:" + p.ClientID, Action: "fitconnect.submission." + string(next),
			ObjectType: "fitconnect_submission", ObjectID: subID, Tenant: d.TenantID, Details: map[string]string{"destination": d.ID, "case": caseID}})
		return err
	})
}

// submittedTags reads the authentication tags recorded at submit.
func (s *Service) submittedTags(ctx context.Context, q store.Querier, subID string) (AuthenticationTags, error) {
	var claims string
	err := s.queryRow(ctx, q, `SELECT claims FROM fc_events WHERE submission_id = ? AND event = ?`, subID, EventSubmitSubmission).Scan(&claims)
	if err != nil {
		return AuthenticationTags{}, err
	}
	var c struct {
		Events map[string]struct {
			AuthenticationTags AuthenticationTags `json:"authenticationTags"`
		} `json:"events"`
	}
	if err := json.Unmarshal([]byte(claims), &c); err != nil {
		return AuthenticationTags{}, err
	}
	return c.Events[EventSubmitSubmission].AuthenticationTags, nil
}

func sameTags(a, b AuthenticationTags) bool {
	if a.Metadata != b.Metadata || a.Data != b.Data || len(a.Attachments) != len(b.Attachments) {
		return false
	}
	for k, v := range a.Attachments {
		if b.Attachments[strings.ToLower(k)] != v {
			return false
		}
	}
	return true
}
