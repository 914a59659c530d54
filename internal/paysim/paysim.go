// Package paysim is a payment provider simulator for tests and the demo:
// an OAuth2 token endpoint (client credentials), the XBezahldienste API
// (create a payment transaction, read its status) and a payment page on
// which the tester chooses success, failure or cancellation. It keeps
// everything in memory and is clearly marked as a test system.
//
// It validates requests like a provider: the patterns and limits of
// XBezahldienste v1.0.0
// (https://docs.fitko.de/xbezahldienste/APIDoku/versionen/v1.0.0/initiate-payment-transaction),
// unknown fields refused (so "grossAmount" for the spec's "grosAmount" is
// caught), grosAmount equal to the sum of the items, a repeated requestId
// answered with the transaction it created.
package paysim

import (
	"bytes"
	"crypto/rand"
	"crypto/subtle"
	"embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/ozgo/ozgo/internal/payment/xbd"
)

// APIPrefix is where the XBezahldienste API lives.
const APIPrefix = "/xbezahldienste/v1"

// DefaultSecret is the client secret when none is given.
const DefaultSecret = "paysim"

// Options configure the simulator.
type Options struct {
	// Secret is the client secret every client id must present.
	Secret string
	// PublicURL is the simulator's base URL as browsers and clients see
	// it; default http://<Host of the request>.
	PublicURL string
	// TokenTTL is how long an access token lives; default 5 minutes.
	TokenTTL time.Duration
	Log      *slog.Logger
	Now      func() time.Time
}

// Sim is a running simulator.
type Sim struct {
	opt Options

	mu        sync.Mutex
	tokens    map[string]time.Time
	txs       map[string]*txn
	byRequest map[string]string // originator/endpoint/requestId → transaction id
}

type txn struct {
	originator, endpoint string
	request              []byte // canonical JSON of the request
	t                    xbd.PaymentTransaction
}

// New returns a simulator.
func New(opt Options) *Sim {
	if opt.Secret == "" {
		opt.Secret = DefaultSecret
	}
	if opt.TokenTTL <= 0 {
		opt.TokenTTL = 5 * time.Minute
	}
	if opt.Log == nil {
		opt.Log = slog.Default()
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	return &Sim{opt: opt, tokens: map[string]time.Time{}, txs: map[string]*txn{}, byRequest: map[string]string{}}
}

//go:embed templates/*.html
var templateFS embed.FS

var pages = template.Must(template.ParseFS(templateFS, "templates/*.html"))

// Handler serves the simulator.
func (s *Sim) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", s.index)
	mux.HandleFunc("POST /oauth/token", s.token)
	mux.HandleFunc("POST "+APIPrefix+"/paymenttransaction/{originatorId}/{endPointId}", s.create)
	mux.HandleFunc("GET "+APIPrefix+"/paymenttransaction/{originatorId}/{endPointId}/{transactionId}", s.status)
	mux.HandleFunc("GET /pay/{id}", s.payPage)
	mux.HandleFunc("POST /pay/{id}", s.payDecide)
	return securityHeaders(mux)
}

func securityHeaders(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", "default-src 'none'; form-action 'self' http: https:; frame-ancestors 'none'")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("Referrer-Policy", "no-referrer")
		w.Header().Set("Cache-Control", "no-store")
		h.ServeHTTP(w, r)
	})
}

func (s *Sim) base(r *http.Request) string {
	if s.opt.PublicURL != "" {
		return strings.TrimSuffix(s.opt.PublicURL, "/")
	}
	return "http://" + r.Host
}

// problem answers with application/problem+json.
func problem(w http.ResponseWriter, status int, title string, details ...string) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(status)
	body := map[string]any{"type": "about:blank", "title": title, "status": status}
	if len(details) > 0 {
		body["detail"] = strings.Join(details, "; ")
		body["errors"] = details
	}
	_ = json.NewEncoder(w).Encode(body)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// token is POST /oauth/token: the client credentials grant, with the
// credentials in HTTP Basic (RFC 6749 section 2.3.1, form-encoded) or in
// the body.
func (s *Sim) token(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_request"})
		return
	}
	id, secret, ok := r.BasicAuth()
	if ok {
		id, _ = url.QueryUnescape(id)
		secret, _ = url.QueryUnescape(secret)
	} else {
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	if r.PostForm.Get("grant_type") != "client_credentials" {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "unsupported_grant_type"})
		return
	}
	if id == "" || subtle.ConstantTimeCompare([]byte(secret), []byte(s.opt.Secret)) != 1 {
		w.Header().Set("WWW-Authenticate", `Basic realm="paysim"`)
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_client"})
		return
	}
	tok := randomHex(24)
	s.mu.Lock()
	now := s.opt.Now()
	for t, exp := range s.tokens {
		if !now.Before(exp) {
			delete(s.tokens, t)
		}
	}
	s.tokens[tok] = now.Add(s.opt.TokenTTL)
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"access_token": tok, "token_type": "Bearer", "expires_in": int(s.opt.TokenTTL / time.Second)})
}

func (s *Sim) authorized(w http.ResponseWriter, r *http.Request) bool {
	h := r.Header.Get("Authorization")
	tok, ok := strings.CutPrefix(h, "Bearer ")
	s.mu.Lock()
	exp, known := s.tokens[tok]
	valid := ok && known && s.opt.Now().Before(exp)
	s.mu.Unlock()
	if !valid {
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
		problem(w, http.StatusUnauthorized, "Zugriffstoken fehlt oder ist ungültig")
		return false
	}
	return true
}

func pathIDs(w http.ResponseWriter, r *http.Request) (string, string, bool) {
	o, e := r.PathValue("originatorId"), r.PathValue("endPointId")
	if !xbd.ValidID(o) || !xbd.ValidID(e) {
		problem(w, http.StatusBadRequest, "Ungültige Pfadparameter", "originatorId und endPointId: 1 bis 36 Zeichen aus ^[\\w\\d-]+$")
		return "", "", false
	}
	return o, e, true
}

// create is POST …/paymenttransaction/{originatorId}/{endPointId}.
func (s *Sim) create(w http.ResponseWriter, r *http.Request) {
	if !s.authorized(w, r) {
		return
	}
	o, e, ok := pathIDs(w, r)
	if !ok {
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		problem(w, http.StatusBadRequest, "Anfrage nicht lesbar")
		return
	}
	req, probs := DecodeRequest(body)
	if len(probs) > 0 {
		problem(w, http.StatusBadRequest, "Ungültiger PaymentRequest", probs...)
		return
	}
	canon, _ := json.Marshal(req)
	key := o + "/" + e + "/" + req.RequestID
	s.mu.Lock()
	defer s.mu.Unlock()
	if id, dup := s.byRequest[key]; dup {
		t := s.txs[id]
		if !bytes.Equal(t.request, canon) {
			problem(w, http.StatusConflict, "requestId bereits mit einer anderen Anfrage verwendet")
			return
		}
		writeJSON(w, http.StatusOK, t.t)
		return
	}
	id := newUUID()
	base := s.base(r)
	t := &txn{originator: o, endpoint: e, request: canon, t: xbd.PaymentTransaction{PaymentRequest: *req}}
	t.t.PaymentInformation = xbd.PaymentInformation{
		TransactionID:          id,
		TransactionURL:         base + APIPrefix + "/paymenttransaction/" + o + "/" + e + "/" + id,
		TransactionRedirectURL: base + "/pay/" + id,
		TransactionReference:   req.Purpose,
		Status:                 xbd.StatusInitial,
	}
	s.txs[id] = t
	s.byRequest[key] = id
	s.opt.Log.Info("paysim: transaction created", "transaction", id, "amount", req.GrosAmount.String())
	writeJSON(w, http.StatusCreated, t.t)
}

// DecodeRequest parses and validates a PaymentRequest the way the
// simulator accepts it: JSON with the spec's field names only.
func DecodeRequest(body []byte) (*xbd.PaymentRequest, []string) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	var req xbd.PaymentRequest
	if err := dec.Decode(&req); err != nil {
		return nil, []string{"JSON: " + err.Error()}
	}
	if dec.More() {
		return nil, []string{"JSON: mehr als ein Wert"}
	}
	probs := req.Validate()
	if req.RequestTimestamp != "" {
		if _, err := time.Parse(time.RFC3339, req.RequestTimestamp); err != nil {
			probs = append(probs, "requestTimestamp: kein Zeitstempel nach RFC 3339")
		}
	}
	return &req, probs
}

// status is GET …/paymenttransaction/{originatorId}/{endPointId}/{transactionId}.
func (s *Sim) status(w http.ResponseWriter, r *http.Request) {
	if !s.authorized(w, r) {
		return
	}
	o, e, ok := pathIDs(w, r)
	if !ok {
		return
	}
	s.mu.Lock()
	t, found := s.txs[r.PathValue("transactionId")]
	var out xbd.PaymentTransaction
	if found {
		out = t.t
	}
	s.mu.Unlock()
	if !found || t.originator != o || t.endpoint != e {
		problem(w, http.StatusNotFound, "Transaktion nicht gefunden")
		return
	}
	writeJSON(w, http.StatusOK, out)
}

type payData struct {
	ID          string
	Description string
	Purpose     string
	Amount      string
	Items       []payItem
	Status      string
	Final       bool
	Back        string
}

type payItem struct {
	Description string
	Quantity    int64
	Single      string
	Total       string
}

func (s *Sim) lookup(id string) (xbd.PaymentTransaction, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.txs[id]
	if !ok {
		return xbd.PaymentTransaction{}, false
	}
	return t.t, true
}

// payPage is GET /pay/{id}: the payment page of a transaction.
func (s *Sim) payPage(w http.ResponseWriter, r *http.Request) {
	t, ok := s.lookup(r.PathValue("id"))
	if !ok {
		s.render(w, http.StatusNotFound, "notfound.html", nil)
		return
	}
	d := payData{ID: t.PaymentInformation.TransactionID, Description: t.Description, Purpose: t.Purpose, Amount: t.GrosAmount.German(),
		Status: t.PaymentInformation.Status, Final: xbd.Final(t.PaymentInformation.Status), Back: t.RedirectURL}
	for _, it := range t.Items {
		d.Items = append(d.Items, payItem{Description: it.Description, Quantity: it.Quantity, Single: (it.SingleNetAmount + it.SingleTaxAmount).German(), Total: (it.TotalNetAmount + it.TotalTaxAmount).German()})
	}
	s.render(w, http.StatusOK, "pay.html", d)
}

// payDecide is POST /pay/{id}: the tester's choice; then back to the
// online service. A decided transaction stays as it is.
func (s *Sim) payDecide(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if err := r.ParseForm(); err != nil {
		http.Error(w, "Ungültige Eingabe", http.StatusBadRequest)
		return
	}
	status := map[string]string{"bezahlt": xbd.StatusPayed, "fehlgeschlagen": xbd.StatusFailed, "abgebrochen": xbd.StatusCanceled}[r.PostForm.Get("ergebnis")]
	method := map[string]string{"CREDITCARD": "CREDITCARD", "GIROPAY": "GIROPAY", "PAYPAL": "PAYPAL", "PAYDIRECT": "PAYDIRECT"}[r.PostForm.Get("zahlart")]
	if status == "" {
		http.Error(w, "Bitte wählen Sie ein Ergebnis.", http.StatusBadRequest)
		return
	}
	if method == "" {
		method = "CREDITCARD"
	}
	s.mu.Lock()
	t, ok := s.txs[id]
	var redirect string
	if ok {
		redirect = t.t.RedirectURL
		pi := &t.t.PaymentInformation
		if pi.Status == xbd.StatusInitial {
			pi.Status = status
			pi.TransactionTimestamp = s.opt.Now().UTC().Format(time.RFC3339)
			if status == xbd.StatusPayed {
				pi.PaymentMethod = method
				pi.PaymentMethodDetail = map[string]string{"CREDITCARD": "Visa", "GIROPAY": "giropay", "PAYPAL": "PayPal", "PAYDIRECT": "paydirekt"}[method]
			}
			s.opt.Log.Info("paysim: transaction decided", "transaction", id, "status", status)
		}
	}
	s.mu.Unlock()
	if !ok {
		s.render(w, http.StatusNotFound, "notfound.html", nil)
		return
	}
	http.Redirect(w, r, redirect, http.StatusSeeOther)
}

func (s *Sim) render(w http.ResponseWriter, status int, name string, data any) {
	var buf bytes.Buffer
	if err := pages.ExecuteTemplate(&buf, name, data); err != nil {
		s.opt.Log.Error("paysim: template", "err", err)
		http.Error(w, "Interner Fehler", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

func (s *Sim) index(w http.ResponseWriter, r *http.Request) {
	s.render(w, http.StatusOK, "index.html", map[string]string{"Base": s.base(r), "API": s.base(r) + APIPrefix})
}

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}

func newUUID() string {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
