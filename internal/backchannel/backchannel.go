// Package backchannel lets a Fachverfahren answer the applicant through
// ozgo's Postfach: a subscriber that picked up a submission through the
// FIT-Connect-compatible API sends questions, requests for documents,
// notices and Bescheide for that case, sets the case's state, and reads
// the applicant's answers with their files.
//
// The endpoints live next to the Submission API under
// /fitconnect/v1/cases/{caseId}/ (an ozgo extension, documented in
// README): the bearer token of a client with subscribe:destination:<id>
// for the case's destination authenticates, and every message and state
// change is a JWS signed with the destination's signature key (PS512),
// like the events a subscriber posts — so a message carries the
// authority's signature, not only the client's credentials.
package backchannel

import (
	"bytes"
	"context"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/ozgo/ozgo/internal/blob"
	"github.com/ozgo/ozgo/internal/errs"
	"github.com/ozgo/ozgo/internal/fitconnect"
	"github.com/ozgo/ozgo/internal/httpx"
	"github.com/ozgo/ozgo/internal/i18n"
	"github.com/ozgo/ozgo/internal/onlinedienst"
	"github.com/ozgo/ozgo/internal/postfach"
	"github.com/ozgo/ozgo/internal/store"
)

// MessageType is the JWS typ of a back-channel message.
const MessageType = "ozgo-postfach+jwt"

// API serves the back channel.
type API struct {
	DB       *store.DB
	FC       *fitconnect.Service
	Postfach *postfach.Service
	Blobs    blob.Store
	Log      *slog.Logger
	I18n     *i18n.Catalog
	// MaxFile caps each attached file.
	MaxFile int64
}

// Register adds the routes.
func (a *API) Register(rt *httpx.Router) {
	p := "/fitconnect/v1/cases/{caseId}"
	rt.HandleFunc("POST "+p+"/messages", a.post, httpx.BodyLimit(64<<20))
	rt.HandleFunc("GET "+p+"/messages", a.list)
	rt.HandleFunc("GET "+p+"/messages/{messageId}/attachments/{attachmentId}", a.attachment)
}

func (a *API) fail(w http.ResponseWriter, r *http.Request, err error) {
	httpx.WriteProblem(w, r, a.Log, a.I18n, err)
}

// caseOf authenticates the request and finds the ozgo case behind a
// FIT-Connect case id, checking the client may subscribe to its
// destination. Unknown and foreign cases are both NotFound.
func (a *API) caseOf(r *http.Request) (*postfach.Case, string, fitconnect.Principal, error) {
	auth := r.Header.Get("Authorization")
	tok, ok := strings.CutPrefix(auth, "Bearer ")
	p, err := a.FC.Authenticate(strings.TrimSpace(tok))
	if !ok || err != nil {
		return nil, "", p, errs.E(errs.Unauthorized, "Zugriffstoken fehlt, ist ungültig oder abgelaufen.")
	}
	fcCase := strings.ToLower(r.PathValue("caseId"))
	var subID, dest string
	err = a.DB.QueryRowContext(r.Context(), `SELECT submission_id, destination_id FROM deliveries WHERE fc_case_id = ? AND status = 'delivered'`, fcCase).Scan(&subID, &dest)
	if err != nil || !p.Has(fitconnect.ScopeSubscribe+dest) {
		return nil, "", p, errs.E(errs.NotFound, "Vorgang nicht gefunden.")
	}
	d, err := a.FC.InternalDestination(r.Context(), dest)
	if err != nil || d.TenantID != p.TenantID {
		return nil, "", p, errs.E(errs.NotFound, "Vorgang nicht gefunden.")
	}
	c, err := a.Postfach.Cases.Case(r.Context(), subID)
	if err != nil {
		return nil, "", p, err
	}
	return c, dest, p, nil
}

// MessageIn is the signed payload of a message from the authority.
type MessageIn struct {
	Case        string         `json:"case"` // the FIT-Connect case id (must match the URL)
	Kind        string         `json:"kind"` // frage, nachforderung, bescheid, mitteilung
	Subject     string         `json:"subject"`
	Body        string         `json:"body"`
	DueDate     string         `json:"dueDate,omitempty"` // YYYY-MM-DD
	State       string         `json:"state,omitempty"`   // new case state, e.g. bewilligt
	Attachments []AttachmentIn `json:"attachments,omitempty"`
	Iat         int64          `json:"iat"`
	Jti         string         `json:"jti"`
}

// AttachmentIn is a file of a message, base64 encoded.
type AttachmentIn struct {
	Filename string `json:"filename"`
	MimeType string `json:"mimeType"`
	Content  string `json:"content"`
}

func bad(msg string) error { return &errs.Error{Code: errs.BadRequest, Field: "body", Message: msg} }

func invalid(msg string) error { return &errs.Error{Code: errs.Invalid, Field: "body", Message: msg} }

// verify checks the JWS against the destination's signature key.
func (a *API) verify(ctx context.Context, dest, token string) (*MessageIn, error) {
	jws, err := jose.ParseSignedCompact(strings.TrimSpace(token), []jose.SignatureAlgorithm{jose.PS512})
	if err != nil || len(jws.Signatures) != 1 {
		return nil, bad("Der Body muss ein JWS (Compact Serialization, PS512) sein.")
	}
	h := jws.Signatures[0].Protected
	if typ, _ := h.ExtraHeaders[jose.HeaderType].(string); typ != MessageType {
		return nil, invalid("Der JWS muss den typ " + MessageType + " haben.")
	}
	k, err := a.FC.GetKey(ctx, dest, h.KeyID)
	if err != nil || k.Alg != fitconnect.AlgSign {
		return nil, invalid("Die kid nennt keinen Signaturschlüssel des Zustellpunkts.")
	}
	raw, _ := json.Marshal(k)
	var jk jose.JSONWebKey
	if err := jk.UnmarshalJSON(raw); err != nil {
		return nil, invalid("Der Signaturschlüssel des Zustellpunkts ist unlesbar.")
	}
	pub, ok := jk.Key.(*rsa.PublicKey)
	if !ok {
		return nil, invalid("Der Signaturschlüssel des Zustellpunkts ist kein RSA-Schlüssel.")
	}
	payload, err := jws.Verify(pub)
	if err != nil {
		return nil, invalid("Die Signatur ist ungültig.")
	}
	var m MessageIn
	dec := json.NewDecoder(bytes.NewReader(payload))
	if err := dec.Decode(&m); err != nil {
		return nil, bad("Der Inhalt ist kein gültiges JSON-Objekt.")
	}
	if m.Jti == "" || m.Iat == 0 {
		return nil, invalid("jti und iat sind Pflicht.")
	}
	if d := time.Since(time.Unix(m.Iat, 0)); d > 10*time.Minute || d < -2*time.Minute {
		return nil, invalid("iat liegt zu weit zurück oder in der Zukunft.")
	}
	return &m, nil
}

// post is POST /fitconnect/v1/cases/{caseId}/messages.
func (a *API) post(w http.ResponseWriter, r *http.Request) {
	c, dest, p, err := a.caseOf(r)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/jose" {
		httpx.WriteProblemObject(w, httpx.Problem{Type: httpx.ProblemTypeBase + "unsupported_media_type", Status: http.StatusUnsupportedMediaType,
			Title: "Nicht unterstützter Medientyp", Detail: "Der Body muss den Content-Type application/jose haben.", Instance: r.URL.Path})
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		a.fail(w, r, httpx.Classify(err))
		return
	}
	m, err := a.verify(r.Context(), dest, string(body))
	if err != nil {
		a.fail(w, r, err)
		return
	}
	if !strings.EqualFold(m.Case, r.PathValue("caseId")) {
		a.fail(w, r, invalid("case im Inhalt passt nicht zum Vorgang der Adresse."))
		return
	}
	ctx := r.Context()
	// The jti is used once: a replayed message is refused.
	if _, err := a.DB.ExecContext(ctx, `INSERT INTO login_replay (id, expires_at) VALUES (?, ?)`, "backchannel:"+m.Jti, store.FormatTime(time.Now().Add(time.Hour))); err != nil {
		a.fail(w, r, &errs.Error{Code: errs.Conflict, Message: "Diese Nachricht (jti) wurde bereits angenommen."})
		return
	}
	var files []postfach.NewFile
	for _, at := range m.Attachments {
		f, err := a.store(ctx, at)
		if err != nil {
			for _, f := range files {
				_ = a.Blobs.Delete(ctx, f.BlobID)
			}
			a.fail(w, r, err)
			return
		}
		files = append(files, f)
	}
	sender := "fachverfahren:" + p.ClientID
	msg, err := a.Postfach.SendAs(ctx, sender, c, postfach.Draft{CaseID: c.ID, Kind: postfach.Kind(m.Kind), Subject: m.Subject, Body: m.Body, DueDate: m.DueDate, Files: files})
	if err == nil && m.State != "" {
		err = a.DB.InTx(ctx, func(tx *store.Tx) error { return a.Postfach.RecordState(ctx, tx, c.ID, m.State, sender) })
	}
	if err != nil {
		for _, f := range files {
			_ = a.Blobs.Delete(ctx, f.BlobID)
		}
		a.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusCreated)
	_ = json.NewEncoder(w).Encode(map[string]any{"messageId": msg.ID, "sentAt": msg.Sent.UTC().Format(time.RFC3339)})
}

// store checks and keeps one attached file: decoded, at most MaxFile,
// of an allowed type by its content.
func (a *API) store(ctx context.Context, at AttachmentIn) (postfach.NewFile, error) {
	raw, err := base64.StdEncoding.DecodeString(at.Content)
	if err != nil {
		return postfach.NewFile{}, bad("content eines Anhangs ist kein Base64.")
	}
	if a.MaxFile > 0 && int64(len(raw)) > a.MaxFile {
		return postfach.NewFile{}, errs.E(errs.TooLarge, "Ein Anhang ist zu groß.")
	}
	if len(raw) == 0 {
		return postfach.NewFile{}, invalid("Ein Anhang ist leer.")
	}
	mt := onlinedienst.Sniff(raw)
	if mt != "application/pdf" && mt != "image/jpeg" && mt != "image/png" {
		return postfach.NewFile{}, invalid("Anhänge müssen PDF, JPEG oder PNG sein.")
	}
	info, err := a.Blobs.Put(ctx, bytes.NewReader(raw), 0)
	if err != nil {
		return postfach.NewFile{}, err
	}
	return postfach.NewFile{BlobID: info.ID, Name: onlinedienst.CleanFilename(at.Filename, mt), MediaType: mt, Size: info.Size, SHA256: info.SHA256}, nil
}

// MessageOut is a message as the API lists it.
type MessageOut struct {
	MessageID     string          `json:"messageId"`
	Kind          string          `json:"kind"`
	FromAuthority bool            `json:"fromAuthority"`
	Subject       string          `json:"subject"`
	Body          string          `json:"body"`
	DueDate       string          `json:"dueDate,omitempty"`
	SentAt        string          `json:"sentAt"`
	ReadAt        string          `json:"readAt,omitempty"`
	Attachments   []AttachmentOut `json:"attachments"`
}

// AttachmentOut names a file of a message; its content is fetched by id.
type AttachmentOut struct {
	AttachmentID string `json:"attachmentId"`
	Filename     string `json:"filename"`
	MimeType     string `json:"mimeType"`
	Size         int64  `json:"size"`
	SHA256       string `json:"sha256"`
}

// list is GET /fitconnect/v1/cases/{caseId}/messages: every message of
// the case, both ways, oldest first.
func (a *API) list(w http.ResponseWriter, r *http.Request) {
	c, _, _, err := a.caseOf(r)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	msgs, err := a.Postfach.CaseMessages(r.Context(), c.ID)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	out := []MessageOut{}
	for i := len(msgs) - 1; i >= 0; i-- {
		m := msgs[i]
		mo := MessageOut{MessageID: m.ID, Kind: string(m.Kind), FromAuthority: m.Outgoing, Subject: m.Subject, Body: m.Body, DueDate: m.DueDate,
			SentAt: m.Sent.UTC().Format(time.RFC3339), Attachments: []AttachmentOut{}}
		if !m.Read.IsZero() {
			mo.ReadAt = m.Read.UTC().Format(time.RFC3339)
		}
		for _, at := range m.Attachments {
			mo.Attachments = append(mo.Attachments, AttachmentOut{AttachmentID: at.ID, Filename: at.Name, MimeType: at.MediaType, Size: at.Size, SHA256: at.SHA256})
		}
		out = append(out, mo)
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"messages": out})
}

// attachment is GET …/messages/{messageId}/attachments/{attachmentId}.
func (a *API) attachment(w http.ResponseWriter, r *http.Request) {
	c, _, _, err := a.caseOf(r)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	rc, at, err := a.Postfach.CaseAttachment(r.Context(), c.ID, r.PathValue("messageId"), r.PathValue("attachmentId"))
	if err != nil {
		if errors.Is(err, blob.ErrNotFound) {
			err = errs.E(errs.NotFound, "")
		}
		a.fail(w, r, err)
		return
	}
	defer rc.Close()
	w.Header().Set("Content-Type", at.MediaType)
	_, _ = io.Copy(w, rc)
}
