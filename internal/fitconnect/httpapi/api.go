// Package httpapi serves the FIT-Connect Submission API v1 (1.1.3) of
// ozgo's Zustelldienst under /fitconnect: the OAuth2 token endpoint,
// destinations, submissions, case event logs, service info and the JWKS of
// ozgo's SET signing keys. Handlers are thin: decode, call
// internal/fitconnect, encode. Errors are application/problem+json.
package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	neturl "net/url"
	"strconv"
	"strings"
	"time"

	"github.com/ozgo/ozgo/internal/errs"
	"github.com/ozgo/ozgo/internal/fitconnect"
	"github.com/ozgo/ozgo/internal/httpx"
	"github.com/ozgo/ozgo/internal/i18n"
)

// Prefix is where the API lives; clients use https://host/fitconnect as
// their base URL.
const Prefix = "/fitconnect"

// APIVersion is the Submission API version served.
var APIVersion = struct{ Major, Minor, Patch int }{1, 1, 3}

// API holds the handlers' dependencies.
type API struct {
	Svc  *fitconnect.Service
	Log  *slog.Logger
	I18n *i18n.Catalog
}

// jsonLimit caps JSON bodies without payloads (destinations, create).
const jsonLimit = 1 << 20

// Register adds the routes with their body limits: attachments and submit
// may carry MaxPayload-sized JWEs.
func (a *API) Register(rt *httpx.Router) {
	opt := a.Svc.Options()
	payload := httpx.BodyLimit(opt.MaxPayload + 4096)
	submit := httpx.BodyLimit(2*opt.MaxPayload + 4096)
	small := httpx.BodyLimit(jsonLimit)
	p := Prefix
	rt.HandleFunc("POST "+p+"/token", a.token, httpx.BodyLimit(16<<10))
	rt.HandleFunc("GET "+p+"/v1/info", a.info)
	rt.HandleFunc("GET "+p+"/.well-known/jwks.json", a.jwks)
	rt.HandleFunc("GET "+p+"/v1/destinations", a.authed(a.listDestinations))
	rt.HandleFunc("POST "+p+"/v1/destinations", a.authed(a.createDestination), small)
	rt.HandleFunc("GET "+p+"/v1/destinations/{destinationId}", a.authed(a.getDestination))
	rt.HandleFunc("PUT "+p+"/v1/destinations/{destinationId}", a.authed(a.updateDestination), small)
	rt.HandleFunc("PATCH "+p+"/v1/destinations/{destinationId}", a.authed(a.patchDestination), small)
	rt.HandleFunc("DELETE "+p+"/v1/destinations/{destinationId}", a.authed(a.deleteDestination))
	rt.HandleFunc("POST "+p+"/v1/destinations/{destinationId}/keys", a.authed(a.addKey), small)
	rt.HandleFunc("GET "+p+"/v1/destinations/{destinationId}/keys/{keyId}", a.getKey)
	rt.HandleFunc("GET "+p+"/v1/cases/{caseId}/events", a.authed(a.eventLog))
	rt.HandleFunc("POST "+p+"/v1/cases/{caseId}/events", a.authed(a.postEvent), httpx.BodyLimit(64<<10))
	rt.HandleFunc("GET "+p+"/v1/submissions", a.authed(a.listSubmissions))
	rt.HandleFunc("POST "+p+"/v1/submissions", a.authed(a.createSubmission), small)
	rt.HandleFunc("GET "+p+"/v1/submissions/{submissionId}", a.authed(a.getSubmission))
	rt.HandleFunc("PUT "+p+"/v1/submissions/{submissionId}", a.authed(a.submit), submit)
	rt.HandleFunc("GET "+p+"/v1/submissions/{submissionId}/attachments/{attachmentId}", a.authed(a.getAttachment))
	rt.HandleFunc("PUT "+p+"/v1/submissions/{submissionId}/attachments/{attachmentId}", a.authed(a.putAttachment), payload)
}

func (a *API) fail(w http.ResponseWriter, r *http.Request, err error) {
	httpx.WriteProblem(w, r, a.Log, a.I18n, err)
}

// unsupportedMediaType answers 415, which has no application error code.
func (a *API) unsupportedMediaType(w http.ResponseWriter, r *http.Request, want string) {
	httpx.WriteProblemObject(w, httpx.Problem{
		Type: httpx.ProblemTypeBase + "unsupported_media_type", Status: http.StatusUnsupportedMediaType,
		Title: "Nicht unterstützter Medientyp", Detail: "Der Body muss den Content-Type " + want + " haben.",
		Instance: r.URL.Path, RequestID: httpx.RequestID(r.Context()),
	})
}

func hasType(r *http.Request, want string) bool {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return err == nil && mt == want
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

type principalKey struct{}

// authed demands a valid bearer token and passes its principal on.
func (a *API) authed(h func(http.ResponseWriter, *http.Request, fitconnect.Principal)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		auth := r.Header.Get("Authorization")
		tok, ok := strings.CutPrefix(auth, "Bearer ")
		if !ok {
			tok, ok = strings.CutPrefix(auth, "bearer ")
		}
		p, err := a.Svc.Authenticate(strings.TrimSpace(tok))
		if !ok || err != nil {
			w.Header().Set("WWW-Authenticate", `Bearer realm="fitconnect"`)
			a.fail(w, r, errs.E(errs.Unauthorized, "Zugriffstoken fehlt, ist ungültig oder abgelaufen."))
			return
		}
		h(w, r, p)
	}
}

// decodeJSON reads a JSON body into v: 415 without application/json, 413
// over the route's limit, 400 for malformed JSON or wrong types. Unknown
// fields are ignored, as FIT-Connect clients send extensions.
func (a *API) decodeJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	if !hasType(r, "application/json") {
		a.unsupportedMediaType(w, r, "application/json")
		return false
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		a.fail(w, r, err)
		return false
	}
	if err := DecodeJSON(body, v); err != nil {
		a.fail(w, r, err)
		return false
	}
	return true
}

// DecodeJSON decodes one JSON value into v and classifies failures as
// BadRequest with the offending field where known.
func DecodeJSON(body []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return &errs.Error{Code: errs.BadRequest, Field: te.Field, Message: "Das Feld " + te.Field + " hat den falschen Typ.", Err: err}
		}
		return &errs.Error{Code: errs.BadRequest, Message: "Der Body ist kein gültiges JSON-Dokument.", Err: err}
	}
	if dec.More() {
		return errs.E(errs.BadRequest, "Nach dem JSON-Dokument folgen weitere Daten.")
	}
	if _, err := dec.Token(); err != io.EOF {
		return errs.E(errs.BadRequest, "Nach dem JSON-Dokument folgen weitere Daten.")
	}
	return nil
}

// page reads limit (1–500, default 100) and offset (≥ 0, default 0).
func page(r *http.Request) (fitconnect.Page, error) {
	pg := fitconnect.Page{Limit: 100}
	q := r.URL.Query()
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 500 {
			return pg, &errs.Error{Code: errs.BadRequest, Field: "limit", Message: "limit muss eine Zahl von 1 bis 500 sein."}
		}
		pg.Limit = n
	}
	if s := q.Get("offset"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 || n > 1<<30 {
			return pg, &errs.Error{Code: errs.BadRequest, Field: "offset", Message: "offset muss eine Zahl ab 0 sein."}
		}
		pg.Offset = n
	}
	return pg, nil
}

// ---- token ----

type tokenResponse struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int    `json:"expires_in"`
	Scope       string `json:"scope"`
}

// token is the OAuth2 client-credentials endpoint (client_secret_post;
// client_secret_basic is accepted too). Its errors are RFC 6749 JSON, as
// OAuth clients expect, not problem details.
func (a *API) token(w http.ResponseWriter, r *http.Request) {
	oauthErr := func(status int, code, desc string) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		if status == http.StatusUnauthorized {
			w.Header().Set("WWW-Authenticate", `Basic realm="fitconnect"`)
		}
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(map[string]string{"error": code, "error_description": desc})
	}
	if !hasType(r, "application/x-www-form-urlencoded") {
		oauthErr(http.StatusBadRequest, fitconnect.OAuthInvalidRequest, "Content-Type muss application/x-www-form-urlencoded sein.")
		return
	}
	if err := r.ParseForm(); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			a.fail(w, r, err)
			return
		}
		oauthErr(http.StatusBadRequest, fitconnect.OAuthInvalidRequest, "Der Body ist nicht lesbar.")
		return
	}
	if gt := r.PostForm.Get("grant_type"); gt != "client_credentials" {
		oauthErr(http.StatusBadRequest, fitconnect.OAuthUnsupported, "Nur grant_type=client_credentials wird unterstützt.")
		return
	}
	id, secret := r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	if u, pw, ok := r.BasicAuth(); ok && id == "" {
		id, secret = u, pw
	}
	tok, err := a.Svc.IssueToken(r.Context(), id, secret, strings.Fields(r.PostForm.Get("scope")))
	if err != nil {
		var te *fitconnect.TokenError
		if errors.As(err, &te) {
			status := http.StatusBadRequest
			if te.Code == fitconnect.OAuthInvalidClient {
				status = http.StatusUnauthorized
			}
			oauthErr(status, te.Code, te.Description)
			return
		}
		a.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
	_ = json.NewEncoder(w).Encode(tokenResponse{AccessToken: tok.AccessToken, TokenType: "Bearer", ExpiresIn: tok.ExpiresIn, Scope: strings.Join(tok.Scopes, " ")})
}

// ---- technical ----

func (a *API) info(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"version": map[string]int{"major": APIVersion.Major, "minor": APIVersion.Minor, "patch": APIVersion.Patch}})
}

func (a *API) jwks(w http.ResponseWriter, r *http.Request) {
	keys, err := a.Svc.JWKS(r.Context())
	if err != nil {
		a.fail(w, r, err)
		return
	}
	out := make([]map[string]any, len(keys))
	for i, k := range keys {
		out[i] = map[string]any{"kty": k.Kty, "use": "sig", "key_ops": k.KeyOps, "alg": k.Alg, "kid": k.Kid, "n": k.N, "e": k.E}
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "public, max-age=300")
	_ = json.NewEncoder(w).Encode(map[string]any{"keys": out})
}

// ---- destinations ----

type callbackOut struct {
	URL string `json:"url"`
}

type destinationOut struct {
	DestinationID      string                          `json:"destinationId"`
	Status             fitconnect.DestinationStatus    `json:"status"`
	Services           []fitconnect.DestinationService `json:"services"`
	EncryptionKid      string                          `json:"encryptionKid"`
	MetadataVersions   []string                        `json:"metadataVersions"`
	ReplyChannels      json.RawMessage                 `json:"replyChannels,omitempty"`
	ContactInformation *fitconnect.ContactInformation  `json:"contactInformation,omitempty"`
	Callback           *callbackOut                    `json:"callback,omitempty"`
}

func renderDestination(d *fitconnect.Destination, private bool) destinationOut {
	out := destinationOut{DestinationID: d.ID, Status: d.Status, Services: d.Services, EncryptionKid: d.EncryptionKid,
		MetadataVersions: d.MetadataVersions, ReplyChannels: d.ReplyChannels}
	if private {
		c := d.Contact
		out.ContactInformation = &c
		if d.CallbackURL != "" {
			out.Callback = &callbackOut{URL: d.CallbackURL}
		}
	}
	return out
}

type destinationIn struct {
	Status              *fitconnect.DestinationStatus   `json:"status"`
	ContactInformation  *fitconnect.ContactInformation  `json:"contactInformation"`
	Services            []fitconnect.DestinationService `json:"services"`
	Callback            *fitconnect.CallbackConfig      `json:"callback"`
	EncryptionKid       *string                         `json:"encryptionKid"`
	EncryptionPublicKey *fitconnect.JWK                 `json:"encryptionPublicKey"`
	SigningPublicKey    *fitconnect.JWK                 `json:"signingPublicKey"`
	ReplyChannels       json.RawMessage                 `json:"replyChannels"`
	MetadataVersions    []string                        `json:"metadataVersions"`
}

func (in destinationIn) input() fitconnect.DestinationInput {
	rc := in.ReplyChannels
	if string(rc) == "null" {
		rc = nil
	}
	return fitconnect.DestinationInput{Status: in.Status, Contact: in.ContactInformation, Services: in.Services, Callback: in.Callback,
		EncryptionKid: in.EncryptionKid, EncryptionPublicKey: in.EncryptionPublicKey, SigningPublicKey: in.SigningPublicKey,
		ReplyChannels: rc, MetadataVersions: in.MetadataVersions}
}

func (a *API) listDestinations(w http.ResponseWriter, r *http.Request, p fitconnect.Principal) {
	pg, err := page(r)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	ds, total, err := a.Svc.ListDestinations(r.Context(), p, pg)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	out := make([]destinationOut, len(ds))
	for i, d := range ds {
		out[i] = renderDestination(d, true)
	}
	writeJSON(w, http.StatusOK, map[string]any{"count": len(out), "offset": pg.Offset, "totalCount": total, "destinations": out})
}

func (a *API) createDestination(w http.ResponseWriter, r *http.Request, p fitconnect.Principal) {
	var in destinationIn
	if !a.decodeJSON(w, r, &in) {
		return
	}
	d, err := a.Svc.CreateDestination(r.Context(), p, in.input())
	if err != nil {
		a.fail(w, r, err)
		return
	}
	w.Header().Set("Location", "/destinations/"+d.ID)
	writeJSON(w, http.StatusCreated, renderDestination(d, true))
}

func (a *API) getDestination(w http.ResponseWriter, r *http.Request, p fitconnect.Principal) {
	v, err := a.Svc.GetDestination(r.Context(), p, r.PathValue("destinationId"))
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, renderDestination(v.Destination, v.Private))
}

func (a *API) updateDestination(w http.ResponseWriter, r *http.Request, p fitconnect.Principal) {
	var in destinationIn
	if !a.decodeJSON(w, r, &in) {
		return
	}
	d, err := a.Svc.UpdateDestination(r.Context(), p, r.PathValue("destinationId"), in.input())
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, renderDestination(d, true))
}

func (a *API) patchDestination(w http.ResponseWriter, r *http.Request, p fitconnect.Principal) {
	var in destinationIn
	if !a.decodeJSON(w, r, &in) {
		return
	}
	d, err := a.Svc.PatchDestination(r.Context(), p, r.PathValue("destinationId"), in.input())
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, renderDestination(d, true))
}

func (a *API) deleteDestination(w http.ResponseWriter, r *http.Request, p fitconnect.Principal) {
	if err := a.Svc.DeleteDestination(r.Context(), p, r.PathValue("destinationId")); err != nil {
		a.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (a *API) addKey(w http.ResponseWriter, r *http.Request, p fitconnect.Principal) {
	var k fitconnect.JWK
	if !a.decodeJSON(w, r, &k) {
		return
	}
	id := r.PathValue("destinationId")
	if err := a.Svc.AddKey(r.Context(), p, id, k); err != nil {
		a.fail(w, r, err)
		return
	}
	w.Header().Set("Location", "/destinations/"+strings.ToLower(id)+"/keys/"+k.Kid)
	w.WriteHeader(http.StatusCreated)
}

func (a *API) getKey(w http.ResponseWriter, r *http.Request) {
	k, err := a.Svc.GetKey(r.Context(), r.PathValue("destinationId"), r.PathValue("keyId"))
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, k)
}

// ---- submissions ----

type createSubmissionIn struct {
	DestinationID        string                     `json:"destinationId"`
	AnnouncedAttachments []string                   `json:"announcedAttachments"`
	CaseID               string                     `json:"caseId"`
	ServiceType          *fitconnect.ServiceType    `json:"serviceType"`
	Callback             *fitconnect.CallbackConfig `json:"callback"`
}

func (a *API) createSubmission(w http.ResponseWriter, r *http.Request, p fitconnect.Principal) {
	var in createSubmissionIn
	if !a.decodeJSON(w, r, &in) {
		return
	}
	if in.ServiceType == nil {
		a.fail(w, r, errs.FieldError("serviceType", "serviceType fehlt."))
		return
	}
	if in.AnnouncedAttachments == nil {
		a.fail(w, r, errs.FieldError("announcedAttachments", "announcedAttachments fehlt (eine leere Liste, wenn es keine Anlagen gibt)."))
		return
	}
	c, err := a.Svc.CreateSubmission(r.Context(), p, fitconnect.CreateSubmission{DestinationID: in.DestinationID, CaseID: in.CaseID,
		ServiceType: *in.ServiceType, AnnouncedAttachments: in.AnnouncedAttachments, Callback: in.Callback})
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, c)
}

// readJOSE reads an application/jose body (a compact JWE or JWS).
func (a *API) readJOSE(w http.ResponseWriter, r *http.Request) (string, bool) {
	if !hasType(r, "application/jose") {
		a.unsupportedMediaType(w, r, "application/jose")
		return "", false
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		a.fail(w, r, err)
		return "", false
	}
	return strings.TrimSpace(string(body)), true
}

func (a *API) putAttachment(w http.ResponseWriter, r *http.Request, p fitconnect.Principal) {
	body, ok := a.readJOSE(w, r)
	if !ok {
		return
	}
	if err := a.Svc.PutAttachment(r.Context(), p, r.PathValue("submissionId"), r.PathValue("attachmentId"), body); err != nil {
		a.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

type submitIn struct {
	EncryptedMetadata string `json:"encryptedMetadata"`
	EncryptedData     string `json:"encryptedData"`
}

type submissionOut struct {
	DestinationID     string                 `json:"destinationId"`
	SubmissionID      string                 `json:"submissionId"`
	CaseID            string                 `json:"caseId"`
	Attachments       []string               `json:"attachments"`
	ServiceType       fitconnect.ServiceType `json:"serviceType"`
	Callback          *callbackOut           `json:"callback,omitempty"`
	EncryptedMetadata string                 `json:"encryptedMetadata,omitempty"`
	EncryptedData     string                 `json:"encryptedData,omitempty"`
}

func (a *API) submit(w http.ResponseWriter, r *http.Request, p fitconnect.Principal) {
	var in submitIn
	if !a.decodeJSON(w, r, &in) {
		return
	}
	res, err := a.Svc.Submit(r.Context(), p, r.PathValue("submissionId"), in.EncryptedMetadata, in.EncryptedData)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	out := submissionOut{DestinationID: res.DestinationID, SubmissionID: res.SubmissionID, CaseID: res.CaseID,
		Attachments: res.Attachments, ServiceType: res.ServiceType}
	if res.CallbackURL != "" {
		out.Callback = &callbackOut{URL: res.CallbackURL}
	}
	writeJSON(w, http.StatusAccepted, out)
}

func (a *API) listSubmissions(w http.ResponseWriter, r *http.Request, p fitconnect.Principal) {
	pg, err := page(r)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	dest := r.URL.Query().Get("destinationId")
	if dest != "" && !fitconnect.ValidUUID(dest) {
		a.fail(w, r, &errs.Error{Code: errs.BadRequest, Field: "destinationId", Message: "destinationId muss eine UUID sein."})
		return
	}
	items, total, err := a.Svc.ListForPickup(r.Context(), p, dest, pg)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"count": len(items), "offset": pg.Offset, "totalCount": total, "submissions": items})
}

func (a *API) getSubmission(w http.ResponseWriter, r *http.Request, p fitconnect.Principal) {
	s, err := a.Svc.GetSubmission(r.Context(), p, r.PathValue("submissionId"))
	if err != nil {
		a.fail(w, r, err)
		return
	}
	out := submissionOut{DestinationID: s.DestinationID, SubmissionID: s.ID, CaseID: s.CaseID, Attachments: s.Attachments,
		ServiceType: s.ServiceType, EncryptedMetadata: s.EncryptedMetadata, EncryptedData: s.EncryptedData}
	if s.CallbackURL != "" {
		out.Callback = &callbackOut{URL: s.CallbackURL}
	}
	writeJSON(w, http.StatusOK, out)
}

func (a *API) getAttachment(w http.ResponseWriter, r *http.Request, p fitconnect.Principal) {
	b, err := a.Svc.GetAttachment(r.Context(), p, r.PathValue("submissionId"), r.PathValue("attachmentId"))
	if err != nil {
		a.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/jose")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(b)
}

// ---- events ----

func (a *API) eventLog(w http.ResponseWriter, r *http.Request, p fitconnect.Principal) {
	pg, err := page(r)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	log, total, err := a.Svc.EventLog(r.Context(), p, r.PathValue("caseId"), pg)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"count": len(log), "offset": pg.Offset, "totalCount": total, "eventLog": log})
}

func (a *API) postEvent(w http.ResponseWriter, r *http.Request, p fitconnect.Principal) {
	body, ok := a.readJOSE(w, r)
	if !ok {
		return
	}
	if err := a.Svc.PostEvent(r.Context(), p, r.PathValue("caseId"), body); err != nil {
		a.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// ---- callbacks ----

// CallbackClient posts callbacks over HTTP. It does not follow redirects,
// so a callback cannot be bounced to another address.
type CallbackClient struct {
	HTTP *http.Client
}

// NewCallbackClient returns a client with a 15-second timeout.
func NewCallbackClient() *CallbackClient {
	return &CallbackClient{HTTP: &http.Client{
		Timeout:       15 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// PostCallback implements fitconnect.CallbackSender.
func (c *CallbackClient) PostCallback(ctx context.Context, url string, header map[string]string, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, strings.NewReader(string(body)))
	if err != nil {
		return err
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	req.Header.Set("User-Agent", "ozgo-fitconnect")
	resp, err := c.HTTP.Do(req)
	if err != nil {
		// The URL may carry a token of the receiver; logs get only the cause.
		var ue *neturl.Error
		if errors.As(err, &ue) {
			return fmt.Errorf("callback to %s failed: %w", req.URL.Host, ue.Err)
		}
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("callback answered %d", resp.StatusCode)
	}
	return nil
}
