package fitconnect_test

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha512"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/ozgo/ozgo/internal/store/dbtest"
)

// callbackSink records the callbacks it receives and checks their HMAC.
type callbackSink struct {
	t      *testing.T
	secret string
	mu     sync.Mutex
	got    []map[string]any
	srv    *httptest.Server
}

func newSink(t *testing.T, secret string) *callbackSink {
	s := &callbackSink{t: t, secret: secret}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		ts := r.Header.Get("callback-timestamp")
		m := hmac.New(sha512.New, []byte(s.secret))
		m.Write([]byte(ts + "." + string(body)))
		if want := hex.EncodeToString(m.Sum(nil)); !hmac.Equal([]byte(want), []byte(r.Header.Get("callback-authentication"))) {
			t.Errorf("callback MAC does not verify")
			w.WriteHeader(401)
			return
		}
		var v map[string]any
		if err := json.Unmarshal(body, &v); err != nil {
			t.Errorf("callback body: %v", err)
		}
		s.mu.Lock()
		s.got = append(s.got, v)
		s.mu.Unlock()
		w.WriteHeader(200)
	}))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *callbackSink) wait(typ string) map[string]any {
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		s.mu.Lock()
		for _, g := range s.got {
			if g["type"] == typ {
				s.mu.Unlock()
				return g
			}
		}
		s.mu.Unlock()
		time.Sleep(50 * time.Millisecond)
	}
	s.t.Fatalf("no %s callback within 15s", typ)
	return nil
}

func sha512hex(b []byte) string {
	h := sha512.Sum512(b)
	return hex.EncodeToString(h[:])
}

// TestEndToEnd plays an independent FIT-Connect sender and receiver
// against the complete ozgo HTTP handler, on both engines.
func TestEndToEnd(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) { endToEnd(t, "") })
	t.Run("postgres", func(t *testing.T) { endToEnd(t, dbtest.PostgresSchemaURL(t)) })
}

func endToEnd(t *testing.T, dbURL string) {
	srv := startServer(t, dbURL)
	const secret = "test-callback-secret-0123456789abcdef"
	destSink := newSink(t, secret)
	sendSink := newSink(t, secret)

	// Operator: API clients for the authority's Fachverfahren and for an online service.
	recv := srv.newClient(t, "Fachverfahren Tübingen", "create:destination")
	send := srv.newClient(t, "Onlinedienst BW", "send:region:DE08")
	recvTok, sendTok := srv.token(t, recv), srv.token(t, send)

	// Receiver: fresh RSA-4096 keys and a destination.
	gen := func() *rsa.PrivateKey {
		k, err := rsa.GenerateKey(rand.Reader, 4096)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	enc := keyPair{gen(), "enc-" + randomID()}
	sig := keyPair{gen(), "sig-" + randomID()}
	body := destinationBody(enc, sig, destSink.srv.URL, "DE08416041")
	body["encryptionPublicKey"] = publicJWK(enc, "RSA-OAEP-256", []string{selfSigned(t, enc.Priv)})
	st, b := srv.json(t, "POST", "/fitconnect/v1/destinations", recvTok, body)
	if st != 201 {
		t.Fatalf("create destination: %d %s", st, b)
	}
	var dest struct {
		DestinationID string `json:"destinationId"`
		Status        string `json:"status"`
	}
	_ = json.Unmarshal(b, &dest)
	if dest.Status != "created" {
		t.Fatalf("new destination status %q", dest.Status)
	}
	if st, b := srv.json(t, "PATCH", "/fitconnect/v1/destinations/"+dest.DestinationID, recvTok, map[string]string{"status": "active"}); st != 200 {
		t.Fatalf("activate: %d %s", st, b)
	}

	// Sender: look up the destination and its encryption key.
	st, b = srv.json(t, "GET", "/fitconnect/v1/destinations/"+dest.DestinationID, sendTok, nil)
	if st != 200 {
		t.Fatalf("sender get destination: %d %s", st, b)
	}
	var pub map[string]any
	_ = json.Unmarshal(b, &pub)
	if _, ok := pub["contactInformation"]; ok {
		t.Error("sender sees the private part of the destination")
	}
	kid, _ := pub["encryptionKid"].(string)
	st, b = srv.json(t, "GET", "/fitconnect/v1/destinations/"+dest.DestinationID+"/keys/"+kid, "", nil)
	if st != 200 {
		t.Fatalf("get key: %d %s", st, b)
	}
	var jwk jose.JSONWebKey
	if err := json.Unmarshal(b, &jwk); err != nil || jwk.KeyID != enc.Kid {
		t.Fatalf("key: %v %s", err, b)
	}

	// Sender: data, two attachments and metadata with their SHA-512 hashes.
	data := []byte(`{"antragsteller":{"familienname":"Muster","vorname":"Erika"},"anliegen":"Hundesteuer"}`)
	att1 := []byte("%PDF-1.7 Antrag als PDF")
	att2 := []byte("Nachweis: Hundehaftpflicht")
	a1, a2 := randomID(), randomID()
	metadata := map[string]any{
		"$schema": "https://schema.fitko.de/fit-connect/metadata/2.1.0/metadata.schema.json",
		"contentStructure": map[string]any{
			"data": map[string]any{
				"hash":             map[string]string{"type": "sha512", "content": sha512hex(data)},
				"submissionSchema": map[string]string{"schemaUri": "https://schema.fitko.de/fim/s00000121_1.0.0.schema.json", "mimeType": "application/json"},
			},
			"attachments": []map[string]any{
				{"hash": map[string]string{"type": "sha512", "content": sha512hex(att1)}, "purpose": "form", "mimeType": "application/pdf", "attachmentId": a1, "filename": "antrag.pdf"},
				{"hash": map[string]string{"type": "sha512", "content": sha512hex(att2)}, "purpose": "attachment", "mimeType": "text/plain", "attachmentId": a2, "filename": "nachweis.txt"},
			},
		},
	}
	metaJSON, _ := json.Marshal(metadata)
	validateMetadata(t, metaJSON)

	st, b = srv.json(t, "POST", "/fitconnect/v1/submissions", sendTok, map[string]any{
		"destinationId": dest.DestinationID, "announcedAttachments": []string{a1, a2},
		"serviceType": map[string]string{"name": "Hundesteuer", "identifier": testService},
		"callback":    map[string]string{"url": sendSink.srv.URL, "secret": secret},
	})
	if st != 201 {
		t.Fatalf("create submission: %d %s", st, b)
	}
	var created struct{ SubmissionID, CaseID, DestinationID string }
	_ = json.Unmarshal(b, &created)
	if created.DestinationID != dest.DestinationID || created.SubmissionID == "" || created.CaseID == "" {
		t.Fatalf("created: %s", b)
	}
	jwes := map[string]string{
		a1: encryptFor(t, jwk, att1, "application/pdf"),
		a2: encryptFor(t, jwk, att2, "text/plain"),
	}
	for id, jwe := range jwes {
		if st, b, _ := srv.do(t, "PUT", "/fitconnect/v1/submissions/"+created.SubmissionID+"/attachments/"+id, sendTok, "application/jose", []byte(jwe)); st != 204 {
			t.Fatalf("attachment: %d %s", st, b)
		}
	}
	encMeta := encryptFor(t, jwk, metaJSON, "application/json")
	encData := encryptFor(t, jwk, data, "application/json")
	st, b = srv.json(t, "PUT", "/fitconnect/v1/submissions/"+created.SubmissionID, sendTok, map[string]string{"encryptedMetadata": encMeta, "encryptedData": encData})
	if st != 202 {
		t.Fatalf("submit: %d %s", st, b)
	}

	// Receiver: told by callback, lists, fetches, decrypts and checks.
	cb := destSink.wait("https://schema.fitko.de/fit-connect/submission-api/callbacks/new-submissions")
	if subs, _ := cb["submissions"].([]any); len(subs) != 1 || subs[0].(map[string]any)["submissionId"] != created.SubmissionID {
		t.Fatalf("callback: %v", cb)
	}
	st, b = srv.json(t, "GET", "/fitconnect/v1/submissions?destinationId="+dest.DestinationID, recvTok, nil)
	if st != 200 || !strings.Contains(string(b), created.SubmissionID) {
		t.Fatalf("pickup list: %d %s", st, b)
	}
	st, b = srv.json(t, "GET", "/fitconnect/v1/submissions/"+created.SubmissionID, recvTok, nil)
	if st != 200 {
		t.Fatalf("get submission: %d %s", st, b)
	}
	var sub struct {
		EncryptedMetadata string   `json:"encryptedMetadata"`
		EncryptedData     string   `json:"encryptedData"`
		Attachments       []string `json:"attachments"`
		CaseID            string   `json:"caseId"`
		ServiceType       struct{ Identifier string }
	}
	_ = json.Unmarshal(b, &sub)
	if sub.CaseID != created.CaseID || len(sub.Attachments) != 2 || sub.ServiceType.Identifier != testService {
		t.Fatalf("submission: %s", b)
	}
	var gotMeta struct {
		ContentStructure struct {
			Data struct {
				Hash struct{ Content string }
			}
			Attachments []struct {
				AttachmentID string `json:"attachmentId"`
				Hash         struct{ Content string }
			}
		}
	}
	if err := json.Unmarshal(decrypt(t, sub.EncryptedMetadata, enc.Priv), &gotMeta); err != nil {
		t.Fatal(err)
	}
	if h := sha512hex(decrypt(t, sub.EncryptedData, enc.Priv)); h != gotMeta.ContentStructure.Data.Hash.Content {
		t.Fatal("data hash does not match the metadata")
	}
	for _, am := range gotMeta.ContentStructure.Attachments {
		st, b, hdr := srv.do(t, "GET", "/fitconnect/v1/submissions/"+created.SubmissionID+"/attachments/"+am.AttachmentID, recvTok, "", nil)
		if st != 200 || hdr.Get("Content-Type") != "application/jose" {
			t.Fatalf("get attachment: %d %s", st, b)
		}
		if sha512hex(decrypt(t, string(b), enc.Priv)) != am.Hash.Content {
			t.Fatalf("attachment %s hash does not match the metadata", am.AttachmentID)
		}
	}

	// The event log so far: create and submit, signed by ozgo.
	jwks := fetchJWKS(t, srv)
	events := eventLog(t, srv, recvTok, created.CaseID, jwks, sig)
	if len(events) != 2 || events[0].name != "create-submission" || events[1].name != "submit-submission" {
		t.Fatalf("events: %+v", events)
	}
	tags := events[1].payload["authenticationTags"].(map[string]any)
	wantTags := map[string]any{"metadata": lastSegment(encMeta), "data": lastSegment(encData),
		"attachments": map[string]any{a1: lastSegment(jwes[a1]), a2: lastSegment(jwes[a2])}}
	if a, _ := json.Marshal(tags); string(a) != mustJSON(wantTags) {
		t.Fatalf("authenticationTags %s, want %s", a, mustJSON(wantTags))
	}

	// Receiver accepts with a SET signed by its signature key.
	accept := signSET(t, sig, map[string]any{
		"$schema": "https://schema.fitko.de/fit-connect/set-payload/1.2.0/set-payload.schema.json",
		"jti":     randomID(), "iss": dest.DestinationID, "iat": time.Now().Unix(),
		"sub": "submission:" + created.SubmissionID, "txn": "case:" + created.CaseID,
		"events": map[string]any{"https://schema.fitko.de/fit-connect/events/accept-submission": map[string]any{"authenticationTags": wantTags}},
	})
	if st, b, _ := srv.do(t, "POST", "/fitconnect/v1/cases/"+created.CaseID+"/events", recvTok, "application/jose", []byte(accept)); st != 204 {
		t.Fatalf("accept: %d %s", st, b)
	}
	// A second answer is an invalid transition.
	again := signSET(t, sig, map[string]any{"jti": randomID(), "iss": dest.DestinationID, "iat": time.Now().Unix(),
		"sub": "submission:" + created.SubmissionID, "txn": "case:" + created.CaseID,
		"events": map[string]any{"https://schema.fitko.de/fit-connect/events/reject-submission": map[string]any{}}})
	if st, b, _ := srv.do(t, "POST", "/fitconnect/v1/cases/"+created.CaseID+"/events", recvTok, "application/jose", []byte(again)); st != 409 {
		t.Fatalf("second answer: %d %s, want 409", st, b)
	}

	// Sender reads the event log and verifies every SET.
	events = eventLog(t, srv, sendTok, created.CaseID, jwks, sig)
	if len(events) != 3 || events[2].name != "accept-submission" {
		t.Fatalf("events after accept: %+v", events)
	}
	sendSink.wait("https://schema.fitko.de/fit-connect/submission-api/callbacks/new-events")
	// An accepted submission is no longer offered for pickup.
	if st, _ := srv.json(t, "GET", "/fitconnect/v1/submissions/"+created.SubmissionID, recvTok, nil); st != 404 {
		t.Fatalf("accepted submission still fetchable: %d", st)
	}
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func validateMetadata(t *testing.T, doc []byte) {
	t.Helper()
	f, err := os.Open("schemas/metadata-2.1.0.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sch, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("metadata.schema.json", sch); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile("metadata.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	inst, err := jsonschema.UnmarshalJSON(strings.NewReader(string(doc)))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Validate(inst); err != nil {
		t.Fatalf("metadata not valid against metadata 2.1.0: %v", err)
	}
}

func fetchJWKS(t *testing.T, srv *server) jose.JSONWebKeySet {
	t.Helper()
	st, b, _ := srv.do(t, "GET", "/fitconnect/.well-known/jwks.json", "", "", nil)
	if st != 200 {
		t.Fatalf("jwks: %d", st)
	}
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(b, &set); err != nil || len(set.Keys) == 0 {
		t.Fatalf("jwks: %v %s", err, b)
	}
	var raw struct {
		Keys []map[string]any `json:"keys"`
	}
	_ = json.Unmarshal(b, &raw)
	for _, k := range raw.Keys {
		if k["use"] != "sig" || k["alg"] != "PS512" || k["key_ops"].([]any)[0] != "verify" {
			t.Errorf("jwks key lacks use/alg/key_ops: %v", k)
		}
	}
	return set
}

type event struct {
	name    string
	payload map[string]any
}

// eventLog fetches a case's events and verifies each SET: ozgo's against
// the JWKS, the receiver's against its signature key.
func eventLog(t *testing.T, srv *server, tok, caseID string, jwks jose.JSONWebKeySet, recvSig keyPair) []event {
	t.Helper()
	st, b := srv.json(t, "GET", "/fitconnect/v1/cases/"+caseID+"/events", tok, nil)
	if st != 200 {
		t.Fatalf("event log: %d %s", st, b)
	}
	var log struct {
		EventLog   []string `json:"eventLog"`
		TotalCount int      `json:"totalCount"`
	}
	_ = json.Unmarshal(b, &log)
	var out []event
	for _, set := range log.EventLog {
		jws, err := jose.ParseSigned(set, []jose.SignatureAlgorithm{jose.PS512})
		if err != nil {
			t.Fatalf("SET: %v", err)
		}
		h := jws.Signatures[0].Header
		if h.ExtraHeaders[jose.HeaderType] != "secevent+jwt" {
			t.Errorf("SET typ %v", h.ExtraHeaders[jose.HeaderType])
		}
		var key any
		if ks := jwks.Key(h.KeyID); len(ks) == 1 {
			key = ks[0].Key
		} else if h.KeyID == recvSig.Kid {
			key = &recvSig.Priv.PublicKey
		} else {
			t.Fatalf("SET signed with unknown kid %q", h.KeyID)
		}
		payload, err := jws.Verify(key)
		if err != nil {
			t.Fatalf("SET signature: %v", err)
		}
		var c struct {
			Jti, Iss, Sub, Txn string
			Iat                int64
			Events             map[string]map[string]any
		}
		if err := json.Unmarshal(payload, &c); err != nil || c.Jti == "" || c.Iat == 0 || c.Txn != "case:"+caseID || !strings.HasPrefix(c.Sub, "submission:") {
			t.Fatalf("SET claims: %s", payload)
		}
		for k, v := range c.Events {
			out = append(out, event{strings.TrimPrefix(k, "https://schema.fitko.de/fit-connect/events/"), v})
		}
	}
	return out
}

func signSET(t *testing.T, k keyPair, claims map[string]any) string {
	t.Helper()
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.PS512, Key: jose.JSONWebKey{Key: k.Priv, KeyID: k.Kid}},
		(&jose.SignerOptions{}).WithType("secevent+jwt"))
	if err != nil {
		t.Fatal(err)
	}
	payload, _ := json.Marshal(claims)
	obj, err := signer.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	s, err := obj.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return s
}
