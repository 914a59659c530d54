package fitconnect

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"net/mail"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/ozgo/ozgo/internal/audit"
	"github.com/ozgo/ozgo/internal/errs"
	"github.com/ozgo/ozgo/internal/store"
)

var semverPattern = regexp.MustCompile(`^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$`)

func validStatus(s DestinationStatus) bool {
	switch s {
	case DestinationCreated, DestinationActive, DestinationInactive, DestinationDecommissioned:
		return true
	}
	return false
}

func validateContact(c *ContactInformation) error {
	if c == nil {
		return errs.FieldError("contactInformation", "Die Kontaktangaben fehlen.")
	}
	for _, f := range []struct{ name, v string }{{"legalName", c.LegalName}, {"address", c.Address}, {"phone", c.Phone}, {"email", c.Email}} {
		if strings.TrimSpace(f.v) == "" {
			return errs.FieldError("contactInformation."+f.name, "Diese Kontaktangabe ist Pflicht.")
		}
		if len(f.v) > 500 {
			return errs.FieldError("contactInformation."+f.name, "Diese Kontaktangabe ist zu lang.")
		}
	}
	if _, err := mail.ParseAddress(c.Email); err != nil {
		return errs.FieldError("contactInformation.email", "Die E-Mail-Adresse ist ungültig.")
	}
	return nil
}

func validateServices(svcs []DestinationService) error {
	if len(svcs) == 0 {
		return errs.FieldError("services", "Mindestens eine Verwaltungsleistung ist nötig.")
	}
	seen := map[string]bool{}
	for _, s := range svcs {
		if len(s.Identifier) < 7 || len(s.Identifier) > 255 || !servicePattern.MatchString(s.Identifier) {
			return errs.FieldError("services.identifier", "Der Leistungs-Identifikator muss eine URN sein, z. B. urn:de:fim:leika:leistung:99010003001006.")
		}
		if seen[s.Identifier] {
			return errs.FieldError("services.identifier", "Jede Verwaltungsleistung darf nur einmal vorkommen.")
		}
		seen[s.Identifier] = true
		if len(s.Regions) == 0 {
			return errs.FieldError("services.regions", "Mindestens eine Region ist nötig.")
		}
		rs := map[string]bool{}
		for _, r := range s.Regions {
			if !regionPattern.MatchString(r) {
				return errs.FieldError("services.regions", "Eine Region ist \"DE\" gefolgt von bis zu zwölf Ziffern des Amtlichen Regionalschlüssels.")
			}
			if rs[r] {
				return errs.FieldError("services.regions", "Jede Region darf nur einmal vorkommen.")
			}
			rs[r] = true
		}
		if len(s.SubmissionSchemas) == 0 {
			return errs.FieldError("services.submissionSchemas", "Mindestens ein Fachschema ist nötig.")
		}
		for _, sc := range s.SubmissionSchemas {
			if sc.MimeType != "application/json" && sc.MimeType != "application/xml" {
				return errs.FieldError("services.submissionSchemas.mimeType", "mimeType muss application/json oder application/xml sein.")
			}
			if u, err := url.Parse(sc.SchemaURI); err != nil || u.Scheme == "" {
				return errs.FieldError("services.submissionSchemas.schemaUri", "schemaUri muss eine absolute URI sein.")
			}
		}
	}
	return nil
}

func (s *Service) validateCallback(c *CallbackConfig, field string) error {
	u, err := url.Parse(c.URL)
	okScheme := err == nil && (u.Scheme == "https" || (s.opt.AllowHTTPCallbacks && u.Scheme == "http"))
	if !okScheme || u.Host == "" || len(c.URL) < 9 || len(c.URL) > 2000 {
		return errs.FieldError(field+".url", "Die Callback-URL muss eine gültige HTTPS-URL sein.")
	}
	if len(c.Secret) < 32 || len(c.Secret) > 512 {
		return errs.FieldError(field+".secret", "Das Callback-Secret muss 32 bis 512 Zeichen lang sein.")
	}
	return nil
}

func validateVersions(vs []string) error {
	if len(vs) == 0 {
		return errs.FieldError("metadataVersions", "Mindestens eine Metadatenversion ist nötig.")
	}
	for _, v := range vs {
		if !semverPattern.MatchString(v) {
			return errs.FieldError("metadataVersions", "Metadatenversionen sind Versionsnummern wie 2.1.0.")
		}
	}
	return nil
}

func validateReplyChannels(raw json.RawMessage) error {
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil || len(m) == 0 {
		return errs.FieldError("replyChannels", "replyChannels muss ein Objekt mit mindestens einem Rückkanal sein.")
	}
	for k := range m {
		switch k {
		case "deMail", "elster", "eMail", "fink":
		default:
			return errs.FieldError("replyChannels", "Unbekannter Rückkanal: "+k)
		}
	}
	return nil
}

// CreateDestination creates a destination in status created, owned by the
// calling client and its tenant.
func (s *Service) CreateDestination(ctx context.Context, p Principal, in DestinationInput) (*Destination, error) {
	if !p.Has(ScopeCreateDestination) {
		return nil, errs.E(errs.Forbidden, "Für das Anlegen von Zustellpunkten ist der Scope create:destination nötig.")
	}
	if err := validateContact(in.Contact); err != nil {
		return nil, err
	}
	if err := validateServices(in.Services); err != nil {
		return nil, err
	}
	if in.EncryptionKid == nil || *in.EncryptionKid == "" || len(*in.EncryptionKid) > 64 {
		return nil, errs.FieldError("encryptionKid", "encryptionKid fehlt oder ist zu lang.")
	}
	if _, err := validateJWK(in.EncryptionPublicKey, useEncryption, "encryptionPublicKey"); err != nil {
		return nil, err
	}
	if in.EncryptionPublicKey.Kid != *in.EncryptionKid {
		return nil, errs.FieldError("encryptionKid", "encryptionKid muss zur kid von encryptionPublicKey passen.")
	}
	if _, err := validateJWK(in.SigningPublicKey, useSignature, "signingPublicKey"); err != nil {
		return nil, err
	}
	if in.SigningPublicKey.Kid == in.EncryptionPublicKey.Kid {
		return nil, errs.FieldError("signingPublicKey.kid", "Signatur- und Verschlüsselungsschlüssel brauchen verschiedene kids.")
	}
	if err := validateVersions(in.MetadataVersions); err != nil {
		return nil, err
	}
	if err := validateReplyChannels(in.ReplyChannels); err != nil {
		return nil, err
	}
	if in.Status != nil && *in.Status != DestinationCreated {
		return nil, errs.FieldError("status", "Ein neuer Zustellpunkt hat den Status created.")
	}
	now := s.now()
	d := &Destination{
		ID: newUUID(), TenantID: p.TenantID, OwnerClient: p.ClientID, Status: DestinationCreated,
		Services: in.Services, EncryptionKid: *in.EncryptionKid, SigningKid: in.SigningPublicKey.Kid,
		MetadataVersions: in.MetadataVersions, Contact: *in.Contact, ReplyChannels: in.ReplyChannels,
		Created: now, Updated: now,
	}
	if in.Callback != nil {
		if err := s.validateCallback(in.Callback, "callback"); err != nil {
			return nil, err
		}
		d.CallbackURL, d.callbackSecret = in.Callback.URL, in.Callback.Secret
	}
	err := s.inTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		if err := s.insertDestination(ctx, tx, d); err != nil {
			return err
		}
		for _, k := range []*JWK{in.EncryptionPublicKey, in.SigningPublicKey} {
			if err := insertKey(ctx, tx, d.ID, *k, now); err != nil {
				return err
			}
		}
		return s.auditDest(ctx, tx, p, "fitconnect.destination.created", d)
	})
	if err != nil {
		return nil, err
	}
	return d, nil
}

func (s *Service) auditDest(ctx context.Context, tx *store.Tx, p Principal, action string, d *Destination) error {
	_, err := s.audit.Append(ctx, tx, audit.Entry{Actor: "fitconnect-client:" + p.ClientID, Action: action,
		ObjectType: "fitconnect_destination", ObjectID: d.ID, Tenant: d.TenantID, Details: map[string]string{"status": string(d.Status)}})
	return err
}

func (s *Service) sealCallbackSecret(id, secret string) ([]byte, error) {
	if secret == "" {
		return []byte{}, nil
	}
	return s.keys.Seal([]byte(secret), []byte("fitconnect-callback:"+id))
}

func (s *Service) openCallbackSecret(id string, sealed []byte) (string, error) {
	if len(sealed) == 0 {
		return "", nil
	}
	b, err := s.keys.Open(sealed, []byte("fitconnect-callback:"+id))
	return string(b), err
}

func (s *Service) insertDestination(ctx context.Context, tx *store.Tx, d *Destination) error {
	sealed, err := s.sealCallbackSecret(d.ID, d.callbackSecret)
	if err != nil {
		return err
	}
	svcs, _ := json.Marshal(d.Services)
	vers, _ := json.Marshal(d.MetadataVersions)
	contact, _ := json.Marshal(d.Contact)
	if _, err := s.exec(ctx, tx, `INSERT INTO fc_destinations (id, tenant_id, owner_client, status, services, encryption_kid, signing_kid,
		metadata_versions, contact, reply_channels, callback_url, callback_secret, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		d.ID, d.TenantID, d.OwnerClient, string(d.Status), string(svcs), d.EncryptionKid, d.SigningKid, string(vers), string(contact),
		string(d.ReplyChannels), d.CallbackURL, sealed, formatTime(d.Created), formatTime(d.Updated)); err != nil {
		return err
	}
	return insertRegions(ctx, tx, d)
}

func insertRegions(ctx context.Context, tx *store.Tx, d *Destination) error {
	for _, svc := range d.Services {
		for _, r := range svc.Regions {
			if _, err := tx.ExecContext(ctx, `INSERT INTO fc_destination_regions (destination_id, service, region) VALUES (?, ?, ?)`, d.ID, svc.Identifier, r); err != nil {
				return err
			}
		}
	}
	return nil
}

func insertKey(ctx context.Context, tx *store.Tx, destID string, k JWK, now time.Time) error {
	raw, _ := json.Marshal(k)
	_, err := tx.ExecContext(ctx, `INSERT INTO fc_destination_keys (destination_id, kid, jwk, created_at) VALUES (?, ?, ?, ?)`,
		destID, k.Kid, string(raw), formatTime(now))
	return err
}

const destCols = `id, tenant_id, owner_client, status, services, encryption_kid, signing_kid, metadata_versions, contact,
	reply_channels, callback_url, callback_secret, created_at, updated_at`

func (s *Service) scanDestination(row interface{ Scan(...any) error }) (*Destination, error) {
	var d Destination
	var status, svcs, vers, contact, reply, created, updated string
	var sealed []byte
	if err := row.Scan(&d.ID, &d.TenantID, &d.OwnerClient, &status, &svcs, &d.EncryptionKid, &d.SigningKid, &vers, &contact,
		&reply, &d.CallbackURL, &sealed, &created, &updated); err != nil {
		return nil, err
	}
	d.Status = DestinationStatus(status)
	if err := json.Unmarshal([]byte(svcs), &d.Services); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(vers), &d.MetadataVersions); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(contact), &d.Contact); err != nil {
		return nil, err
	}
	if reply != "" {
		d.ReplyChannels = json.RawMessage(reply)
	}
	d.Created, d.Updated = parseTime(created), parseTime(updated)
	d.sealedCallback = sealed
	return &d, nil
}

// loadDestination reads a destination; unknown ids are NotFound.
func (s *Service) loadDestination(ctx context.Context, q store.Querier, id string) (*Destination, error) {
	id = strings.ToLower(id)
	if !ValidUUID(id) {
		return nil, errs.E(errs.NotFound, "Zustellpunkt nicht gefunden.")
	}
	d, err := s.scanDestination(s.queryRow(ctx, q, `SELECT `+destCols+` FROM fc_destinations WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errs.E(errs.NotFound, "Zustellpunkt nicht gefunden.")
	}
	return d, err
}

// DestinationView is a destination as one principal may see it: Private
// (contact, callback URL) for its managers and subscribers, public for
// senders.
type DestinationView struct {
	*Destination
	Private bool
}

// GetDestination returns a destination the principal may see: managers
// and subscribers see everything, senders whose scopes cover one of its
// regions the public part. Others get NotFound.
func (s *Service) GetDestination(ctx context.Context, p Principal, id string) (DestinationView, error) {
	d, err := s.loadDestination(ctx, s.db, id)
	if err != nil {
		return DestinationView{}, err
	}
	switch {
	case p.canManage(d) || p.canSubscribe(d):
		return DestinationView{d, true}, nil
	case p.canSendTo(d, ""):
		return DestinationView{d, false}, nil
	}
	return DestinationView{}, errs.E(errs.NotFound, "Zustellpunkt nicht gefunden.")
}

// ListDestinations returns the destinations the principal manages or
// receives for.
func (s *Service) ListDestinations(ctx context.Context, p Principal, pg Page) ([]*Destination, int, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+destCols+` FROM fc_destinations ORDER BY created_at, id`)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	var all []*Destination
	for rows.Next() {
		d, err := s.scanDestination(rows)
		if err != nil {
			return nil, 0, err
		}
		if p.canManage(d) || p.canSubscribe(d) {
			all = append(all, d)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, 0, err
	}
	total := len(all)
	return window(all, pg), total, nil
}

func window[T any](all []T, pg Page) []T {
	if pg.Offset >= len(all) {
		return nil
	}
	all = all[pg.Offset:]
	if pg.Limit > 0 && len(all) > pg.Limit {
		all = all[:pg.Limit]
	}
	return all
}

// manageable loads a destination for an administrative change: NotFound
// when the principal cannot see it, Forbidden when it can see but not
// manage it.
func (s *Service) manageable(ctx context.Context, q store.Querier, p Principal, id string) (*Destination, error) {
	d, err := s.loadDestination(ctx, q, id)
	if err != nil {
		return nil, err
	}
	if p.canManage(d) {
		return d, nil
	}
	if p.canSubscribe(d) || p.canSendTo(d, "") {
		return nil, errs.E(errs.Forbidden, "Für diese Änderung ist der Scope manage:destination nötig.")
	}
	return nil, errs.E(errs.NotFound, "Zustellpunkt nicht gefunden.")
}

// UpdateDestination replaces the settable fields of a destination (PUT).
func (s *Service) UpdateDestination(ctx context.Context, p Principal, id string, in DestinationInput) (*Destination, error) {
	if in.Status == nil {
		return nil, errs.FieldError("status", "Der Status fehlt.")
	}
	if in.Contact == nil {
		return nil, errs.FieldError("contactInformation", "Die Kontaktangaben fehlen.")
	}
	if in.Services == nil {
		return nil, errs.FieldError("services", "Mindestens eine Verwaltungsleistung ist nötig.")
	}
	if in.EncryptionKid == nil {
		return nil, errs.FieldError("encryptionKid", "encryptionKid fehlt.")
	}
	if in.MetadataVersions == nil {
		return nil, errs.FieldError("metadataVersions", "Mindestens eine Metadatenversion ist nötig.")
	}
	return s.changeDestination(ctx, p, id, in, true)
}

// PatchDestination changes the given fields of a destination.
func (s *Service) PatchDestination(ctx context.Context, p Principal, id string, in DestinationInput) (*Destination, error) {
	if in.Status != nil && *in.Status == DestinationCreated {
		return nil, errs.FieldError("status", "Der Status kann nur auf active, inactive oder decommissioned gesetzt werden.")
	}
	return s.changeDestination(ctx, p, id, in, false)
}

func (s *Service) changeDestination(ctx context.Context, p Principal, id string, in DestinationInput, full bool) (*Destination, error) {
	if in.EncryptionPublicKey != nil || in.SigningPublicKey != nil {
		return nil, errs.FieldError("encryptionPublicKey", "Schlüssel werden über /keys hinzugefügt, nicht beim Ändern des Zustellpunkts.")
	}
	var out *Destination
	err := s.inTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		d, err := s.manageable(ctx, tx, p, id)
		if err != nil {
			return err
		}
		if d.Status == DestinationDecommissioned && in.Status != nil && *in.Status != DestinationDecommissioned {
			return errs.E(errs.Conflict, "Ein stillgelegter Zustellpunkt kann nicht wieder in Betrieb genommen werden.")
		}
		if in.Status != nil {
			if !validStatus(*in.Status) {
				return errs.FieldError("status", "Unbekannter Status.")
			}
			d.Status = *in.Status
		}
		if in.Contact != nil {
			if err := validateContact(in.Contact); err != nil {
				return err
			}
			d.Contact = *in.Contact
		}
		regionsChanged := false
		if in.Services != nil {
			if err := validateServices(in.Services); err != nil {
				return err
			}
			d.Services, regionsChanged = in.Services, true
		}
		if in.EncryptionKid != nil {
			k, err := s.destinationKey(ctx, tx, d.ID, *in.EncryptionKid)
			if err != nil || k.Alg != AlgKeyWrap {
				return errs.FieldError("encryptionKid", "encryptionKid muss einen bereits hinterlegten Verschlüsselungsschlüssel (RSA-OAEP-256) nennen.")
			}
			d.EncryptionKid = *in.EncryptionKid
		}
		if in.MetadataVersions != nil {
			if err := validateVersions(in.MetadataVersions); err != nil {
				return err
			}
			d.MetadataVersions = in.MetadataVersions
		}
		if in.ReplyChannels != nil || full {
			if err := validateReplyChannels(in.ReplyChannels); err != nil {
				return err
			}
			d.ReplyChannels = in.ReplyChannels
		}
		if in.Callback != nil {
			if err := s.validateCallback(in.Callback, "callback"); err != nil {
				return err
			}
			d.CallbackURL, d.callbackSecret = in.Callback.URL, in.Callback.Secret
			if d.sealedCallback, err = s.sealCallbackSecret(d.ID, d.callbackSecret); err != nil {
				return err
			}
		} else if full {
			d.CallbackURL, d.sealedCallback = "", []byte{}
		}
		d.Updated = s.now()
		sealed := d.sealedCallback
		if sealed == nil {
			sealed = []byte{} // NOT NULL; an empty BLOB may scan as nil
		}
		svcs, _ := json.Marshal(d.Services)
		vers, _ := json.Marshal(d.MetadataVersions)
		contact, _ := json.Marshal(d.Contact)
		if _, err := s.exec(ctx, tx, `UPDATE fc_destinations SET status = ?, services = ?, encryption_kid = ?, metadata_versions = ?,
			contact = ?, reply_channels = ?, callback_url = ?, callback_secret = ?, updated_at = ? WHERE id = ?`,
			string(d.Status), string(svcs), d.EncryptionKid, string(vers), string(contact), string(d.ReplyChannels),
			d.CallbackURL, sealed, formatTime(d.Updated), d.ID); err != nil {
			return err
		}
		if regionsChanged {
			if _, err := s.exec(ctx, tx, `DELETE FROM fc_destination_regions WHERE destination_id = ?`, d.ID); err != nil {
				return err
			}
			if err := insertRegions(ctx, tx, d); err != nil {
				return err
			}
		}
		out = d
		return s.auditDest(ctx, tx, p, "fitconnect.destination.updated", d)
	})
	s.targets.clear() // a new encryption kid applies at once
	return out, err
}

// DeleteDestination removes a destination that never received a
// submission. One with submissions keeps its event logs verifiable and can
// only be decommissioned.
func (s *Service) DeleteDestination(ctx context.Context, p Principal, id string) error {
	return s.inTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		d, err := s.manageable(ctx, tx, p, id)
		if err != nil {
			return err
		}
		var n int
		if err := s.queryRow(ctx, tx, `SELECT COUNT(*) FROM fc_submissions WHERE destination_id = ?`, d.ID).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return errs.E(errs.Conflict, "Der Zustellpunkt hat Einreichungen und kann nur stillgelegt werden (Status decommissioned).")
		}
		for _, q := range []string{`DELETE FROM fc_destination_regions WHERE destination_id = ?`, `DELETE FROM fc_destination_keys WHERE destination_id = ?`,
			`DELETE FROM fc_cases WHERE destination_id = ?`, `DELETE FROM fc_destinations WHERE id = ?`} {
			if _, err := s.exec(ctx, tx, q, d.ID); err != nil {
				return err
			}
		}
		return s.auditDest(ctx, tx, p, "fitconnect.destination.deleted", d)
	})
}

func (s *Service) destinationKey(ctx context.Context, q store.Querier, destID, kid string) (JWK, error) {
	var raw string
	err := s.queryRow(ctx, q, `SELECT jwk FROM fc_destination_keys WHERE destination_id = ? AND kid = ?`, destID, kid).Scan(&raw)
	if errors.Is(err, sql.ErrNoRows) {
		return JWK{}, errs.E(errs.NotFound, "Schlüssel nicht gefunden.")
	}
	if err != nil {
		return JWK{}, err
	}
	var k JWK
	err = json.Unmarshal([]byte(raw), &k)
	return k, err
}

// GetKey returns a public key of a destination. Keys are public: senders
// need them to encrypt, receivers' signature keys verify their events.
func (s *Service) GetKey(ctx context.Context, destID, kid string) (JWK, error) {
	destID = strings.ToLower(destID)
	if !ValidUUID(destID) || kid == "" || len(kid) > 64 {
		return JWK{}, errs.E(errs.NotFound, "Schlüssel nicht gefunden.")
	}
	var status string
	if err := s.db.QueryRowContext(ctx, `SELECT status FROM fc_destinations WHERE id = ?`, destID).Scan(&status); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return JWK{}, errs.E(errs.NotFound, "Schlüssel nicht gefunden.")
		}
		return JWK{}, err
	}
	return s.destinationKey(ctx, s.db, destID, kid)
}

// AddKey adds a public key to a destination (for key rollover). Adding
// the same key again is fine; another key under a used kid is a Conflict.
func (s *Service) AddKey(ctx context.Context, p Principal, destID string, k JWK) error {
	if _, err := validateJWK(&k, useEither, "jwk"); err != nil {
		return err
	}
	return s.inTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		d, err := s.manageable(ctx, tx, p, destID)
		if err != nil {
			return err
		}
		old, err := s.destinationKey(ctx, tx, d.ID, k.Kid)
		switch {
		case err == nil:
			a, _ := json.Marshal(old)
			b, _ := json.Marshal(k)
			if string(a) != string(b) {
				return errs.E(errs.Conflict, "Unter dieser kid ist bereits ein anderer Schlüssel hinterlegt.")
			}
			return nil
		case !errs.Is(err, errs.NotFound):
			return err
		}
		if err := insertKey(ctx, tx, d.ID, k, s.now()); err != nil {
			return err
		}
		_, err = s.audit.Append(ctx, tx, audit.Entry{Actor: "fitconnect-client:" + p.ClientID, Action: "fitconnect.destination.key_added",
			ObjectType: "fitconnect_destination", ObjectID: d.ID, Tenant: d.TenantID, Details: map[string]string{"kid": k.Kid, "alg": k.Alg}})
		return err
	})
}

// Route finds the active destination for a LeiKa key and a region ARS: of
// all active destinations offering the Leistung, the one whose region list
// has the longest prefix of "DE"+ars wins (Gemeinde before Verband before
// Kreis before Regierungsbezirk before Land before "DE"). Ties go to the
// oldest destination. NotFound when none serves the region.
func (s *Service) Route(ctx context.Context, leika, ars string) (*Destination, error) {
	service := leika
	if !strings.HasPrefix(service, "urn:") {
		service = LeikaPrefix + leika
	}
	if len(ars) > 12 || !regionPattern.MatchString("DE"+ars) {
		return nil, errs.FieldError("ars", "Der Amtliche Regionalschlüssel besteht aus bis zu zwölf Ziffern.")
	}
	full := "DE" + ars
	cands := make([]any, 0, len(full)+1)
	cands = append(cands, service)
	marks := make([]string, 0, len(full))
	for n := 2; n <= len(full); n++ {
		cands = append(cands, full[:n])
		marks = append(marks, "?")
	}
	row := s.db.QueryRowContext(ctx, `SELECT r.destination_id FROM fc_destination_regions r
		JOIN fc_destinations d ON d.id = r.destination_id
		WHERE r.service = ? AND r.region IN (`+strings.Join(marks, ", ")+`) AND d.status = 'active'
		ORDER BY LENGTH(r.region) DESC, d.created_at, d.id LIMIT 1`, cands...)
	var id string
	if err := row.Scan(&id); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, errs.E(errs.NotFound, "Für diese Leistung ist in dieser Region kein aktiver Zustellpunkt eingerichtet.")
		}
		return nil, err
	}
	return s.loadDestination(ctx, s.db, id)
}
