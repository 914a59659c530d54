package fitconnect

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/ozgo/ozgo/internal/audit"
	"github.com/ozgo/ozgo/internal/errs"
	"github.com/ozgo/ozgo/internal/store"
)

func notFoundSubmission() error { return errs.E(errs.NotFound, "Einreichung nicht gefunden.") }

// CreateSubmission opens a submission to a destination and announces its
// attachments. The destination must be active and offer the Leistung; the
// principal's send scopes must cover one of its regions.
func (s *Service) CreateSubmission(ctx context.Context, p Principal, req CreateSubmission) (Created, error) {
	if !p.internal && len(p.sendRegions()) == 0 {
		return Created{}, errs.E(errs.Forbidden, "Zum Versenden ist ein Scope send:region:DE… nötig.")
	}
	req.DestinationID = strings.ToLower(req.DestinationID)
	if !ValidUUID(req.DestinationID) {
		return Created{}, errs.FieldError("destinationId", "destinationId muss eine UUID sein.")
	}
	id := req.ServiceType.Identifier
	if len(id) < 7 || len(id) > 255 || !servicePattern.MatchString(id) {
		return Created{}, errs.FieldError("serviceType.identifier", "Der Leistungs-Identifikator muss eine URN sein.")
	}
	if len(req.ServiceType.Name) > 500 || len(req.ServiceType.Description) > 2000 {
		return Created{}, errs.FieldError("serviceType", "Name oder Beschreibung der Leistung ist zu lang.")
	}
	if len(req.AnnouncedAttachments) > s.opt.MaxAttachments {
		return Created{}, errs.FieldError("announcedAttachments", "Zu viele Anlagen angekündigt.")
	}
	atts := make([]string, 0, len(req.AnnouncedAttachments))
	for _, a := range req.AnnouncedAttachments {
		a = strings.ToLower(a)
		if !ValidUUID(a) {
			return Created{}, errs.FieldError("announcedAttachments", "Jede angekündigte Anlage braucht eine UUID.")
		}
		if slices.Contains(atts, a) {
			return Created{}, errs.FieldError("announcedAttachments", "Jede Anlage darf nur einmal angekündigt werden.")
		}
		atts = append(atts, a)
	}
	var cbURL, cbSecret string
	if req.Callback != nil {
		if err := s.validateCallback(req.Callback, "callback"); err != nil {
			return Created{}, err
		}
		cbURL, cbSecret = req.Callback.URL, req.Callback.Secret
	}
	caseID, newCase := "", false
	if req.CaseID != "" {
		caseID = strings.ToLower(req.CaseID)
		if !ValidUUID(caseID) {
			return Created{}, errs.FieldError("caseId", "caseId muss eine UUID sein.")
		}
	}
	d, err := s.loadDestination(ctx, s.db, req.DestinationID)
	if err != nil {
		return Created{}, err
	}
	offers := slices.ContainsFunc(d.Services, func(svc DestinationService) bool { return svc.Identifier == id })
	if !p.canSendTo(d, "") && !p.canManage(d) && !p.canSubscribe(d) {
		return Created{}, errs.E(errs.NotFound, "Zustellpunkt nicht gefunden.")
	}
	if !offers {
		return Created{}, errs.FieldError("serviceType.identifier", "Der Zustellpunkt nimmt keine Einreichungen für diese Leistung an.")
	}
	if !p.canSendTo(d, id) {
		return Created{}, errs.E(errs.Forbidden, "Die Scopes des Clients erlauben das Versenden dieser Leistung an diesen Zustellpunkt nicht.")
	}
	if d.Status != DestinationActive {
		return Created{}, errs.FieldError("destinationId", "Der Zustellpunkt nimmt derzeit keine Einreichungen an (Status "+string(d.Status)+").")
	}
	keyBytes, err := s.keySize(ctx, d.ID, d.EncryptionKid)
	if err != nil {
		return Created{}, err
	}
	subID := newUUID()
	now := s.now()
	sealed := []byte{}
	if cbSecret != "" {
		if sealed, err = s.keys.Seal([]byte(cbSecret), []byte("fitconnect-callback:"+subID)); err != nil {
			return Created{}, err
		}
	}
	attJSON, _ := json.Marshal(atts)
	err = s.inTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		if caseID != "" && !newCase {
			var dest string
			err := s.queryRow(ctx, tx, `SELECT destination_id FROM fc_cases WHERE id = ?`, caseID).Scan(&dest)
			if errors.Is(err, sql.ErrNoRows) || (err == nil && dest != d.ID) {
				return errs.E(errs.NotFound, "Vorgang nicht gefunden.")
			}
			if err != nil {
				return err
			}
		} else {
			if !newCase {
				// Set once outside the (possibly repeated) transaction body.
				caseID, newCase = newUUID(), true
			}
			if _, err := s.exec(ctx, tx, `INSERT INTO fc_cases (id, destination_id, created_at) VALUES (?, ?, ?)`, caseID, d.ID, formatTime(now)); err != nil {
				return err
			}
		}
		if _, err := s.exec(ctx, tx, `INSERT INTO fc_submissions (id, case_id, destination_id, sender_client, service_id, service_name,
			service_desc, status, attachments, metadata, data, data_blob, callback_url, callback_secret, created_at, submitted_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, '', '', '', ?, ?, ?, '', ?)`,
			subID, caseID, d.ID, p.ClientID, id, req.ServiceType.Name, req.ServiceType.Description, string(StatusIncomplete),
			string(attJSON), cbURL, sealed, formatTime(now), formatTime(now)); err != nil {
			return err
		}
		if len(atts) > 0 {
			// One statement for all announced attachments; the query text
			// depends only on their number, so it stays prepared.
			q := `INSERT INTO fc_attachments (submission_id, id, jwe, blob_id, size, auth_tag, uploaded_at) VALUES ` +
				strings.TrimSuffix(strings.Repeat(`(?, ?, '', '', 0, '', ''), `, len(atts)), ", ")
			args := make([]any, 0, 2*len(atts))
			for _, a := range atts {
				args = append(args, subID, a)
			}
			if len(atts) > 16 {
				if _, err := tx.ExecContext(ctx, q, args...); err != nil {
					return err
				}
			} else if _, err := s.exec(ctx, tx, q, args...); err != nil {
				return err
			}
		}
		if err := s.addEvent(ctx, tx, caseID, subID, EventCreateSubmission, nil); err != nil {
			return err
		}
		return s.addJob(ctx, tx, jobDeadline, subID, now.Add(s.opt.IncompleteTTL), now.Add(s.opt.IncompleteTTL))
	})
	if err != nil {
		return Created{}, err
	}
	s.targets.put(subID, target{status: StatusIncomplete, sender: p.ClientID, destination: d.ID, caseID: caseID,
		encKid: d.EncryptionKid, keyBytes: keyBytes, attachments: atts, service: req.ServiceType, callback: cbURL,
		destCallback: d.CallbackURL}, now)
	return Created{DestinationID: d.ID, SubmissionID: subID, CaseID: caseID}, nil
}

// target is what the send path needs to know about a submission and its
// destination, read in one query.
type target struct {
	status      SubmissionStatus
	sender      string
	destination string
	caseID      string
	encKid      string
	keyBytes    int
	attachments []string
	service     ServiceType
	callback    string // the sender's callback URL
	// destCallback is the destination's callback URL ("" for none).
	destCallback string
}

// sendTarget loads a submission for its sender: NotFound for unknown ids
// and for submissions of other clients.
func (s *Service) sendTarget(ctx context.Context, q store.Querier, p Principal, subID string) (target, error) {
	subID = strings.ToLower(subID)
	if !ValidUUID(subID) {
		return target{}, notFoundSubmission()
	}
	if t, ok := s.targets.get(subID, s.now()); ok {
		if t.sender != p.ClientID {
			return target{}, notFoundSubmission()
		}
		return t, nil
	}
	var t target
	var status, atts, jwk string
	err := s.queryRow(ctx, q, `SELECT s.status, s.sender_client, s.destination_id, s.case_id, s.attachments, d.encryption_kid, COALESCE(k.jwk, ''),
			s.service_id, s.service_name, s.service_desc, s.callback_url, d.callback_url
		FROM fc_submissions s JOIN fc_destinations d ON d.id = s.destination_id
		LEFT JOIN fc_destination_keys k ON k.destination_id = d.id AND k.kid = d.encryption_kid
		WHERE s.id = ?`, subID).Scan(&status, &t.sender, &t.destination, &t.caseID, &atts, &t.encKid, &jwk,
		&t.service.Identifier, &t.service.Name, &t.service.Description, &t.callback, &t.destCallback)
	if errors.Is(err, sql.ErrNoRows) {
		return target{}, notFoundSubmission()
	}
	if err != nil {
		return target{}, err
	}
	if t.sender != p.ClientID {
		return target{}, notFoundSubmission()
	}
	t.status = SubmissionStatus(status)
	if err := json.Unmarshal([]byte(atts), &t.attachments); err != nil {
		return target{}, err
	}
	var k JWK
	if json.Unmarshal([]byte(jwk), &k) == nil && k.N != "" {
		t.keyBytes = base64.RawURLEncoding.DecodedLen(len(k.N))
	}
	return t, nil
}

func conflictNotIncomplete(st SubmissionStatus) error {
	return errs.E(errs.Conflict, "Die Einreichung ist bereits abgeschlossen (Status "+string(st)+"); sie kann nicht mehr geändert werden.")
}

func tooLarge(msg string) error { return errs.E(errs.TooLarge, msg) }

// PutAttachment stores one announced attachment (a compact JWE) of an
// incomplete submission, replacing an earlier upload under the same id.
func (s *Service) PutAttachment(ctx context.Context, p Principal, subID, attID, jwe string) error {
	if int64(len(jwe)) > s.opt.MaxPayload {
		return tooLarge("Die Anlage ist größer als erlaubt.")
	}
	t, err := s.sendTarget(ctx, s.db, p, subID)
	if err != nil {
		return err
	}
	subID = strings.ToLower(subID)
	attID = strings.ToLower(attID)
	if t.status != StatusIncomplete {
		return conflictNotIncomplete(t.status)
	}
	if !slices.Contains(t.attachments, attID) {
		return errs.FieldError("attachmentId", "Diese Anlage wurde beim Anlegen der Einreichung nicht angekündigt.")
	}
	info, err := CheckJWE(jwe, KindAttachment, t.encKid, t.keyBytes)
	if err != nil {
		return err
	}
	size := int64(len(jwe))
	inline, blobID := jwe, ""
	if size > s.opt.InlineMax {
		bi, err := s.blobs.Put(ctx, strings.NewReader(jwe), s.opt.MaxPayload)
		if err != nil {
			return err
		}
		inline, blobID = "", bi.ID
	}
	var oldBlob string
	err = s.inTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		var status string
		var total int64
		// On PostgreSQL the row lock orders this upload against a
		// concurrent submit (which updates the row first): an upload
		// either lands before the submit reads the attachments or sees
		// the submission submitted.
		q := `SELECT s.status,
				(SELECT COALESCE(SUM(size), 0) FROM fc_attachments WHERE submission_id = s.id AND id <> ?),
				(SELECT blob_id FROM fc_attachments WHERE submission_id = s.id AND id = ?)
			FROM fc_submissions s WHERE s.id = ?`
		if tx.Engine() == store.Postgres {
			q += ` FOR UPDATE OF s`
		}
		if err := s.queryRow(ctx, tx, q, attID, attID, subID).Scan(&status, &total, &oldBlob); err != nil {
			return err
		}
		if SubmissionStatus(status) != StatusIncomplete {
			return conflictNotIncomplete(SubmissionStatus(status))
		}
		if total+size > s.opt.MaxSubmission {
			return tooLarge("Die Einreichung ist mit dieser Anlage größer als erlaubt.")
		}
		_, err := s.exec(ctx, tx, `UPDATE fc_attachments SET jwe = ?, blob_id = ?, size = ?, auth_tag = ?, uploaded_at = ?
			WHERE submission_id = ? AND id = ?`, inline, blobID, size, info.Tag, formatTime(s.now()), subID, attID)
		return err
	})
	if err != nil {
		if blobID != "" {
			_ = s.blobs.Delete(context.WithoutCancel(ctx), blobID)
		}
		return err
	}
	if oldBlob != "" {
		_ = s.blobs.Delete(context.WithoutCancel(ctx), oldBlob)
	}
	return nil
}

// Submitted answers Submit (SubmissionReduced in the API).
type Submitted struct {
	DestinationID string
	SubmissionID  string
	CaseID        string
	Attachments   []string
	ServiceType   ServiceType
	CallbackURL   string
}

// Submit completes a submission with its encrypted metadata and data. It
// needs every announced attachment uploaded. When Submit returns without
// error, the submission, its submit-submission event (with the
// authentication tags of all parts), the callback job and the audit record
// are committed together.
func (s *Service) Submit(ctx context.Context, p Principal, subID, metadata, data string) (Submitted, error) {
	if int64(len(metadata)) > s.opt.MaxPayload || int64(len(data)) > s.opt.MaxPayload {
		return Submitted{}, tooLarge("Metadaten oder Fachdaten sind größer als erlaubt.")
	}
	t, err := s.sendTarget(ctx, s.db, p, subID)
	if err != nil {
		return Submitted{}, err
	}
	subID = strings.ToLower(subID)
	if t.status != StatusIncomplete {
		return Submitted{}, conflictNotIncomplete(t.status)
	}
	mi, err := CheckJWE(metadata, KindMetadata, t.encKid, t.keyBytes)
	if err != nil {
		return Submitted{}, err
	}
	tags := AuthenticationTags{Metadata: mi.Tag}
	if data != "" {
		di, err := CheckJWE(data, KindData, t.encKid, t.keyBytes)
		if err != nil {
			return Submitted{}, err
		}
		tags.Data = di.Tag
	}
	inlineData, dataBlob := data, ""
	if int64(len(data)) > s.opt.InlineMax {
		bi, err := s.blobs.Put(ctx, strings.NewReader(data), s.opt.MaxPayload)
		if err != nil {
			return Submitted{}, err
		}
		inlineData, dataBlob = "", bi.ID
	}
	var out Submitted
	err = s.inTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		// The conditional update comes first: it takes the row lock that
		// orders concurrent uploads and submits of this submission.
		now := s.now()
		res, err := s.exec(ctx, tx, `UPDATE fc_submissions SET status = ?, metadata = ?, data = ?, data_blob = ?, submitted_at = ?, updated_at = ?
			WHERE id = ? AND status = ?`, string(StatusSubmitted), metadata, inlineData, dataBlob, formatTime(now), formatTime(now), subID, string(StatusIncomplete))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return conflictNotIncomplete(StatusSubmitted)
		}
		rows, err := s.query(ctx, tx, `SELECT id, auth_tag, size, uploaded_at FROM fc_attachments WHERE submission_id = ?`, subID)
		if err != nil {
			return err
		}
		total := int64(len(metadata) + len(data))
		missing := 0
		for rows.Next() {
			var id, tag, at string
			var size int64
			if err := rows.Scan(&id, &tag, &size, &at); err != nil {
				rows.Close()
				return err
			}
			if at == "" {
				missing++
				continue
			}
			total += size
			if tags.Attachments == nil {
				tags.Attachments = map[string]string{}
			}
			tags.Attachments[id] = tag
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if missing > 0 {
			return errs.FieldError("attachments", "Es wurden noch nicht alle angekündigten Anlagen hochgeladen.")
		}
		if total > s.opt.MaxSubmission {
			return tooLarge("Die Einreichung ist insgesamt größer als erlaubt.")
		}
		if err := s.addEvent(ctx, tx, t.caseID, subID, EventSubmitSubmission, map[string]any{"authenticationTags": tags}); err != nil {
			return err
		}
		notify := formatTime(now.Add(s.opt.NotifyAfter))
		if _, err := s.exec(ctx, tx, `UPDATE fc_jobs SET run_at = ?, give_up_at = ?, attempts = 0, locked_until = '' WHERE ref = ? AND kind = ?`,
			notify, notify, subID, jobDeadline); err != nil {
			return err
		}
		if t.destCallback != "" {
			if err := s.addJob(ctx, tx, jobCallbackDestination, subID, now, now.Add(s.opt.CallbackGiveUp)); err != nil {
				return err
			}
		}
		out = Submitted{DestinationID: t.destination, SubmissionID: subID, CaseID: t.caseID, Attachments: t.attachments,
			ServiceType: t.service, CallbackURL: t.callback}
		_, err = s.audit.Append(ctx, tx, audit.Entry{Actor: actorOf(p), Action: "fitconnect.submission.submitted",
			ObjectType: "fitconnect_submission", ObjectID: subID,
			Details: map[string]string{"destination": t.destination, "case": t.caseID}})
		return err
	})
	if err != nil {
		if dataBlob != "" {
			_ = s.blobs.Delete(context.WithoutCancel(ctx), dataBlob)
		}
		return Submitted{}, err
	}
	s.targets.drop(subID)
	return out, nil
}

func actorOf(p Principal) string {
	if p.internal {
		return "ozgo-form"
	}
	return "fitconnect-client:" + p.ClientID
}

// receivable loads a destination for pickup: NotFound when the principal
// cannot see it, Forbidden when it may see but not receive for it.
func (s *Service) receivable(ctx context.Context, p Principal, destID string) (*Destination, error) {
	d, err := s.loadDestination(ctx, s.db, destID)
	if err != nil {
		return nil, err
	}
	if p.canSubscribe(d) {
		return d, nil
	}
	if p.canManage(d) || p.canSendTo(d, "") {
		return nil, errs.E(errs.Forbidden, "Für die Abholung ist der Scope subscribe:destination nötig.")
	}
	return nil, errs.E(errs.NotFound, "Zustellpunkt nicht gefunden.")
}

// subscribedDestinations lists the ids of the destinations the principal
// receives for.
func (s *Service) subscribedDestinations(ctx context.Context, p Principal) ([]string, error) {
	var ids []string
	for _, sc := range p.Scopes {
		if strings.HasPrefix(sc, ScopeSubscribe) {
			ids = append(ids, strings.TrimPrefix(sc, ScopeSubscribe))
		}
	}
	rows, err := s.db.QueryContext(ctx, `SELECT id, tenant_id FROM fc_destinations WHERE owner_client = ?`, p.ClientID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id, tenant string
		if err := rows.Scan(&id, &tenant); err != nil {
			return nil, err
		}
		if (p.TenantID == "" || p.TenantID == tenant) && !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	return ids, rows.Err()
}

// ListForPickup lists submitted submissions of one destination (destID
// given) or of all destinations the principal receives for, oldest first.
func (s *Service) ListForPickup(ctx context.Context, p Principal, destID string, pg Page) ([]PickupItem, int, error) {
	var ids []string
	if destID != "" {
		d, err := s.receivable(ctx, p, destID)
		if err != nil {
			return nil, 0, err
		}
		ids = []string{d.ID}
	} else {
		var err error
		if ids, err = s.subscribedDestinations(ctx, p); err != nil {
			return nil, 0, err
		}
		if len(ids) == 0 {
			return nil, 0, errs.E(errs.Forbidden, "Für die Abholung ist der Scope subscribe:destination nötig.")
		}
	}
	marks := strings.TrimSuffix(strings.Repeat("?, ", len(ids)), ", ")
	args := make([]any, 0, len(ids)+3)
	for _, id := range ids {
		args = append(args, id)
	}
	args = append(args, string(StatusSubmitted))
	var total int
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM fc_submissions WHERE destination_id IN (`+marks+`) AND status = ?`, args...).Scan(&total); err != nil {
		return nil, 0, err
	}
	args = append(args, pg.Limit, pg.Offset)
	rows, err := s.db.QueryContext(ctx, `SELECT destination_id, id, case_id FROM fc_submissions WHERE destination_id IN (`+marks+`) AND status = ?
		ORDER BY submitted_at, id LIMIT ? OFFSET ?`, args...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	out := []PickupItem{}
	for rows.Next() {
		var it PickupItem
		if err := rows.Scan(&it.DestinationID, &it.SubmissionID, &it.CaseID); err != nil {
			return nil, 0, err
		}
		out = append(out, it)
	}
	return out, total, rows.Err()
}

// receivedSubmission loads a submission for its destination's receiver.
// Only submitted and forwarded submissions can be fetched (the API's 404
// otherwise); a sender asking gets Forbidden.
func (s *Service) receivedSubmission(ctx context.Context, p Principal, subID string) (*Submission, string, error) {
	subID = strings.ToLower(subID)
	if !ValidUUID(subID) {
		return nil, "", notFoundSubmission()
	}
	var sub Submission
	var status, atts, created, submitted, dataBlob string
	err := s.db.QueryRowContext(ctx, `SELECT id, case_id, destination_id, sender_client, service_id, service_name, service_desc, status,
		attachments, metadata, data, data_blob, callback_url, created_at, submitted_at FROM fc_submissions WHERE id = ?`, subID).
		Scan(&sub.ID, &sub.CaseID, &sub.DestinationID, &sub.SenderClient, &sub.ServiceType.Identifier, &sub.ServiceType.Name,
			&sub.ServiceType.Description, &status, &atts, &sub.EncryptedMetadata, &sub.EncryptedData, &dataBlob, &sub.CallbackURL, &created, &submitted)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, "", notFoundSubmission()
	}
	if err != nil {
		return nil, "", err
	}
	d, err := s.loadDestination(ctx, s.db, sub.DestinationID)
	if err != nil {
		return nil, "", err
	}
	if !p.canSubscribe(d) {
		if sub.SenderClient == p.ClientID || p.canManage(d) {
			return nil, "", errs.E(errs.Forbidden, "Für den Abruf ist der Scope subscribe:destination nötig.")
		}
		return nil, "", notFoundSubmission()
	}
	sub.Status = SubmissionStatus(status)
	if sub.Status != StatusSubmitted && sub.Status != StatusForwarded {
		return nil, "", notFoundSubmission()
	}
	if err := json.Unmarshal([]byte(atts), &sub.Attachments); err != nil {
		return nil, "", err
	}
	sub.Created, sub.Submitted = parseTime(created), parseTime(submitted)
	return &sub, dataBlob, nil
}

// GetSubmission returns a submitted submission with its encrypted
// metadata and data to its destination's receiver.
func (s *Service) GetSubmission(ctx context.Context, p Principal, subID string) (*Submission, error) {
	sub, dataBlob, err := s.receivedSubmission(ctx, p, subID)
	if err != nil {
		return nil, err
	}
	if dataBlob != "" {
		b, err := s.readBlob(ctx, dataBlob)
		if err != nil {
			return nil, err
		}
		sub.EncryptedData = string(b)
	}
	return sub, nil
}

func (s *Service) readBlob(ctx context.Context, id string) ([]byte, error) {
	rc, _, err := s.blobs.Open(ctx, id)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(rc)
}

// GetAttachment returns one attachment (compact JWE) of a submitted
// submission to its destination's receiver.
func (s *Service) GetAttachment(ctx context.Context, p Principal, subID, attID string) ([]byte, error) {
	sub, _, err := s.receivedSubmission(ctx, p, subID)
	if err != nil {
		return nil, err
	}
	attID = strings.ToLower(attID)
	var jwe, blobID string
	err = s.db.QueryRowContext(ctx, `SELECT jwe, blob_id FROM fc_attachments WHERE submission_id = ? AND id = ? AND uploaded_at <> ''`, sub.ID, attID).Scan(&jwe, &blobID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errs.E(errs.NotFound, "Anlage nicht gefunden.")
	}
	if err != nil {
		return nil, err
	}
	if blobID != "" {
		return s.readBlob(ctx, blobID)
	}
	return bytes.Clone([]byte(jwe)), nil
}

// SendRequest is a complete submission from ozgo's own form engine, with
// every part already encrypted to the destination (see Encrypt).
type SendRequest struct {
	// Destination is the destination id; empty routes by ServiceURN and
	// RegionARS (see Route).
	Destination string
	// ServiceURN is the Leistung's URN (a bare LeiKa key is accepted).
	ServiceURN        string
	ServiceName       string
	RegionARS         string
	EncryptedMetadata string
	EncryptedData     string
	Attachments       []SendAttachment
}

// SendAttachment is one encrypted attachment of a SendRequest.
type SendAttachment struct {
	ID  string
	JWE string
}

// SendInternal delivers a submission from ozgo itself, through exactly
// the checks and storage of the HTTP API (create, attachments, submit).
// It returns once the submission is committed.
func (s *Service) SendInternal(ctx context.Context, r SendRequest) (submissionID, caseID string, err error) {
	p := Principal{ClientID: "ozgo-internal", internal: true}
	if r.ServiceURN != "" && !strings.HasPrefix(r.ServiceURN, "urn:") {
		r.ServiceURN = LeikaPrefix + r.ServiceURN // a bare LeiKa key
	}
	dest := r.Destination
	if dest == "" {
		d, err := s.Route(ctx, r.ServiceURN, r.RegionARS)
		if err != nil {
			return "", "", err
		}
		dest = d.ID
	}
	ids := make([]string, len(r.Attachments))
	for i, a := range r.Attachments {
		ids[i] = a.ID
	}
	c, err := s.CreateSubmission(ctx, p, CreateSubmission{DestinationID: dest,
		ServiceType: ServiceType{Identifier: r.ServiceURN, Name: r.ServiceName}, AnnouncedAttachments: ids})
	if err != nil {
		return "", "", err
	}
	for _, a := range r.Attachments {
		if err := s.PutAttachment(ctx, p, c.SubmissionID, a.ID, a.JWE); err != nil {
			return "", "", err
		}
	}
	if _, err := s.Submit(ctx, p, c.SubmissionID, r.EncryptedMetadata, r.EncryptedData); err != nil {
		return "", "", err
	}
	return c.SubmissionID, c.CaseID, nil
}

// targetCache remembers, for submissions this process created, what the
// send path needs to know (sender, destination key, announced
// attachments), so uploads and submit need no extra query. Status is not
// trusted from it: the transactions check it. Entries live a minute, and
// all are dropped when a destination changes here; another process's key
// rollover is seen after at most targetTTL.
type targetCache struct {
	mu sync.Mutex
	m  map[string]cachedTarget
}

type cachedTarget struct {
	t   target
	exp time.Time
}

const (
	targetTTL      = time.Minute
	targetCacheMax = 20000
)

func (c *targetCache) get(id string, now time.Time) (target, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[id]
	if !ok || now.After(e.exp) {
		return target{}, false
	}
	return e.t, true
}

func (c *targetCache) put(id string, t target, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= targetCacheMax {
		c.m = map[string]cachedTarget{}
	}
	c.m[id] = cachedTarget{t: t, exp: now.Add(targetTTL)}
}

func (c *targetCache) drop(id string) {
	c.mu.Lock()
	delete(c.m, id)
	c.mu.Unlock()
}

func (c *targetCache) clear() {
	c.mu.Lock()
	c.m = nil
	c.mu.Unlock()
}

// keySize returns the modulus size in bytes of a destination's key. A
// (destination, kid) pair never changes its key (AddKey refuses that), so
// the answer is cached for good.
func (s *Service) keySize(ctx context.Context, destID, kid string) (int, error) {
	ck := destID + "\x00" + kid
	if n, ok := s.keySizes.Load(ck); ok {
		return n.(int), nil
	}
	k, err := s.destinationKey(ctx, s.db, destID, kid)
	if err != nil {
		return 0, err
	}
	n := base64.RawURLEncoding.DecodedLen(len(k.N))
	s.keySizes.Store(ck, n)
	return n, nil
}
