package fitconnect_test

// The test client here talks to ozgo only over HTTP, with net/http,
// encoding/json and go-jose: it is an independent FIT-Connect client. Only
// starting the server and creating API clients use ozgo's packages.

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"io"
	"log/slog"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/ozgo/ozgo/internal/app"
	"github.com/ozgo/ozgo/internal/cli"
	"github.com/ozgo/ozgo/internal/config"
)

// server is a running ozgo with its data directory.
type server struct {
	URL  string
	Dir  string
	App  *app.App
	http *http.Client
}

// startServer runs the complete ozgo HTTP handler on loopback. dbURL ""
// uses SQLite in a temp directory.
func startServer(t testing.TB, dbURL string) *server {
	t.Helper()
	t.Setenv("OZGO_FITCONNECT_INSECURE_CALLBACKS", "1")
	dir := t.TempDir()
	cfg := config.Config{DataDir: dir, DatabaseURL: dbURL, LogLevel: "error", FrameAncestors: "'self'",
		ShutdownTimeout: time.Second, DraftTTL: time.Hour, MaxUpload: 10 << 20}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	ctx, cancel := context.WithCancel(context.Background())
	a, err := app.Open(ctx, cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	h, err := a.Handler()
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	go a.FitConnect.Run(ctx)
	t.Cleanup(func() {
		cancel()
		srv.Close()
		a.Close()
	})
	tr := &http.Transport{MaxIdleConnsPerHost: 64}
	return &server{URL: srv.URL, Dir: dir, App: a, http: &http.Client{Transport: tr, Timeout: 30 * time.Second}}
}

type apiClient struct {
	ID     string   `json:"client_id"`
	Secret string   `json:"client_secret"`
	Scopes []string `json:"scopes"`
}

// newClient creates an API client with the CLI, as an operator would.
func (s *server) newClient(t testing.TB, name string, scopes ...string) apiClient {
	t.Helper()
	args := []string{"fitconnect", "client", "create", "--name", name, "--json", "--data", s.Dir}
	if s.App.Cfg.DatabaseURL != "" {
		args = append(args, "--database-url", s.App.Cfg.DatabaseURL)
	}
	for _, sc := range scopes {
		args = append(args, "--scope", sc)
	}
	var out, errb bytes.Buffer
	if code := cli.Run(context.Background(), args, &out, &errb); code != 0 {
		t.Fatalf("ozgo %v: exit %d: %s", args, code, errb.String())
	}
	var c apiClient
	if err := json.Unmarshal(out.Bytes(), &c); err != nil {
		t.Fatalf("client JSON: %v: %s", err, out.String())
	}
	return c
}

// token gets an access token with client_secret_post.
func (s *server) token(t testing.TB, c apiClient) string {
	t.Helper()
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {c.ID}, "client_secret": {c.Secret}}
	resp, err := s.http.PostForm(s.URL+"/fitconnect/token", form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var tok struct {
		AccessToken string `json:"access_token"`
		TokenType   string `json:"token_type"`
		ExpiresIn   int    `json:"expires_in"`
	}
	if resp.StatusCode != 200 || json.NewDecoder(resp.Body).Decode(&tok) != nil || tok.AccessToken == "" || tok.TokenType != "Bearer" || tok.ExpiresIn <= 0 {
		t.Fatalf("token: status %d", resp.StatusCode)
	}
	return tok.AccessToken
}

// do sends a request and returns status, body and headers.
func (s *server) do(t testing.TB, method, path, token, ctype string, body []byte) (int, []byte, http.Header) {
	t.Helper()
	req, err := http.NewRequest(method, s.URL+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	resp, err := s.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b, resp.Header
}

func (s *server) json(t testing.TB, method, path, token string, in any) (int, []byte) {
	t.Helper()
	var body []byte
	if in != nil {
		var err error
		if body, err = json.Marshal(in); err != nil {
			t.Fatal(err)
		}
	}
	ct := ""
	if in != nil {
		ct = "application/json"
	}
	st, b, _ := s.do(t, method, path, token, ct, body)
	return st, b
}

// keyPair is a destination's key with its kid.
type keyPair struct {
	Priv *rsa.PrivateKey
	Kid  string
}

var (
	fixtureOnce sync.Once
	fixture     []*rsa.PrivateKey
)

// fixtureKeys are two 4096-bit test keys from testdata, so tests other
// than the end-to-end test need not wait for key generation.
func fixtureKeys(t testing.TB) (enc, sig keyPair) {
	t.Helper()
	fixtureOnce.Do(func() {
		raw, err := os.ReadFile("testdata/test-keys.pem")
		if err != nil {
			return
		}
		for {
			var b *pem.Block
			b, raw = pem.Decode(raw)
			if b == nil {
				break
			}
			k, err := x509.ParsePKCS1PrivateKey(b.Bytes)
			if err == nil {
				fixture = append(fixture, k)
			}
		}
	})
	if len(fixture) < 2 {
		t.Fatal("testdata/test-keys.pem: two RSA keys expected")
	}
	return keyPair{fixture[0], "enc-" + randomID()}, keyPair{fixture[1], "sig-" + randomID()}
}

func randomID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := make([]byte, 32)
	const hexd = "0123456789abcdef"
	for i, c := range b {
		h[2*i], h[2*i+1] = hexd[c>>4], hexd[c&15]
	}
	s := string(h)
	return s[:8] + "-" + s[8:12] + "-" + s[12:16] + "-" + s[16:20] + "-" + s[20:]
}

// publicJWK renders a public key as FIT-Connect wants it.
func publicJWK(k keyPair, alg string, x5c []string) map[string]any {
	ops := []string{"verify"}
	if alg == "RSA-OAEP-256" {
		ops = []string{"wrapKey"}
	}
	m := map[string]any{"kty": "RSA", "key_ops": ops, "alg": alg, "kid": k.Kid,
		"n": base64.RawURLEncoding.EncodeToString(k.Priv.N.Bytes()),
		"e": base64.RawURLEncoding.EncodeToString(big.NewInt(int64(k.Priv.E)).Bytes())}
	if x5c != nil {
		m["x5c"] = x5c
	}
	return m
}

// selfSigned returns a base64 DER self-signed certificate for k.
func selfSigned(t testing.TB, k *rsa.PrivateKey) string {
	t.Helper()
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(der)
}

const testService = "urn:de:fim:leika:leistung:99108008006000"

// destinationBody is a complete create-destination request.
func destinationBody(enc, sig keyPair, callbackURL string, regions ...string) map[string]any {
	if len(regions) == 0 {
		regions = []string{"DE08416"}
	}
	body := map[string]any{
		"contactInformation": map[string]any{"legalName": "Stadt Tübingen (Test)", "address": "Am Markt 1, 72070 Tübingen",
			"phone": "+49 7071 2040", "email": "poststelle@example.org"},
		"services": []map[string]any{{"identifier": testService, "regions": regions,
			"submissionSchemas": []map[string]string{{"schemaUri": "https://schema.fitko.de/fim/s00000121_1.0.0.schema.json", "mimeType": "application/json"}}}},
		"encryptionKid":       enc.Kid,
		"encryptionPublicKey": publicJWK(enc, "RSA-OAEP-256", nil),
		"signingPublicKey":    publicJWK(sig, "PS512", nil),
		"metadataVersions":    []string{"2.1.0"},
	}
	if callbackURL != "" {
		body["callback"] = map[string]string{"url": callbackURL, "secret": "test-callback-secret-0123456789abcdef"}
	}
	return body
}

// encryptFor encrypts plaintext as a sender must: RSA-OAEP-256, A256GCM,
// the destination's kid and the content type.
func encryptFor(t testing.TB, jwk jose.JSONWebKey, plaintext []byte, cty string) string {
	t.Helper()
	enc, err := jose.NewEncrypter(jose.A256GCM, jose.Recipient{Algorithm: jose.RSA_OAEP_256, Key: jwk.Key, KeyID: jwk.KeyID},
		(&jose.EncrypterOptions{}).WithContentType(jose.ContentType(cty)))
	if err != nil {
		t.Fatal(err)
	}
	obj, err := enc.Encrypt(plaintext)
	if err != nil {
		t.Fatal(err)
	}
	s, err := obj.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// decrypt opens a JWE with the destination's private key.
func decrypt(t testing.TB, jwe string, priv *rsa.PrivateKey) []byte {
	t.Helper()
	obj, err := jose.ParseEncrypted(jwe, []jose.KeyAlgorithm{jose.RSA_OAEP_256}, []jose.ContentEncryption{jose.A256GCM})
	if err != nil {
		t.Fatal(err)
	}
	b, err := obj.Decrypt(priv)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func lastSegment(jwe string) string { return jwe[strings.LastIndexByte(jwe, '.')+1:] }

// setup is a destination ready to receive with a receiver and a sender.
type setup struct {
	srv            *server
	recvTok        string
	sendTok        string
	destID         string
	enc, sig       keyPair
	encJWK         jose.JSONWebKey
	meta, data, at string // pre-encrypted payloads for load tests
}

// newSetup creates clients, tokens and an active destination.
func newSetup(t testing.TB, srv *server) *setup {
	t.Helper()
	recv := srv.newClient(t, "Fachverfahren", "create:destination")
	send := srv.newClient(t, "Onlinedienst", "send:region:DE08")
	su := &setup{srv: srv, recvTok: srv.token(t, recv), sendTok: srv.token(t, send)}
	su.enc, su.sig = fixtureKeys(t)
	st, b := srv.json(t, "POST", "/fitconnect/v1/destinations", su.recvTok, destinationBody(su.enc, su.sig, ""))
	if st != 201 {
		t.Fatalf("create destination: %d %s", st, b)
	}
	var d struct {
		DestinationID string `json:"destinationId"`
	}
	_ = json.Unmarshal(b, &d)
	su.destID = d.DestinationID
	if st, b := srv.json(t, "PATCH", "/fitconnect/v1/destinations/"+su.destID, su.recvTok, map[string]string{"status": "active"}); st != 200 {
		t.Fatalf("activate: %d %s", st, b)
	}
	su.encJWK = jose.JSONWebKey{Key: &su.enc.Priv.PublicKey, KeyID: su.enc.Kid}
	su.meta = encryptFor(t, su.encJWK, []byte(`{"$schema":"https://schema.fitko.de/fit-connect/metadata/2.1.0/metadata.schema.json"}`), "application/json")
	su.data = encryptFor(t, su.encJWK, []byte(`{"antrag":"test"}`), "application/json")
	su.at = encryptFor(t, su.encJWK, bytes.Repeat([]byte("PDF "), 256), "application/pdf")
	return su
}

// send runs the whole send path: create with attachments, upload, submit.
// It returns the submission and case ids, or fails t.
func (su *setup) send(t testing.TB, nAtt int) (subID, caseID string) {
	t.Helper()
	st, code, sub, cs := su.trySend(nAtt)
	if st != nil {
		t.Fatalf("send: %v (status %d)", st, code)
	}
	return sub, cs
}

type sendErr struct{ step string }

func (e *sendErr) Error() string { return "step " + e.step }

// trySend is send without a testing.TB, for load generators.
func (su *setup) trySend(nAtt int) (err error, status int, subID, caseID string) {
	atts := make([]string, nAtt)
	for i := range atts {
		atts[i] = randomID()
	}
	body, _ := json.Marshal(map[string]any{"destinationId": su.destID, "announcedAttachments": atts,
		"serviceType": map[string]string{"name": "Test", "identifier": testService}})
	st, b, err := su.raw("POST", "/fitconnect/v1/submissions", "application/json", body)
	if err != nil || st != 201 {
		return &sendErr{"create"}, st, "", ""
	}
	var c struct {
		SubmissionID string `json:"submissionId"`
		CaseID       string `json:"caseId"`
	}
	_ = json.Unmarshal(b, &c)
	for _, a := range atts {
		st, _, err := su.raw("PUT", "/fitconnect/v1/submissions/"+c.SubmissionID+"/attachments/"+a, "application/jose", []byte(su.at))
		if err != nil || st != 204 {
			return &sendErr{"attachment"}, st, "", ""
		}
	}
	body, _ = json.Marshal(map[string]string{"encryptedMetadata": su.meta, "encryptedData": su.data})
	st, _, err = su.raw("PUT", "/fitconnect/v1/submissions/"+c.SubmissionID, "application/json", body)
	if err != nil || st != 202 {
		return &sendErr{"submit"}, st, "", ""
	}
	return nil, 202, c.SubmissionID, c.CaseID
}

func (su *setup) raw(method, path, ctype string, body []byte) (int, []byte, error) {
	req, err := http.NewRequest(method, su.srv.URL+path, bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Authorization", "Bearer "+su.sendTok)
	req.Header.Set("Content-Type", ctype)
	resp, err := su.srv.http.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}

func b64(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

// withKid is the destination's key announced under another kid.
func withKid(su *setup, kid string) jose.JSONWebKey {
	return jose.JSONWebKey{Key: &su.enc.Priv.PublicKey, KeyID: kid}
}

var small2048Key *rsa.PrivateKey

// small2048 is a 2048-bit key under the destination's kid: a JWE for it
// has an encrypted key of the wrong length.
func small2048(t testing.TB, kid string) jose.JSONWebKey {
	if small2048Key == nil {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			t.Fatal(err)
		}
		small2048Key = k
	}
	return jose.JSONWebKey{Key: &small2048Key.PublicKey, KeyID: kid}
}
