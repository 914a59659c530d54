package main

// Durability of the FIT-Connect Zustelldienst: ozgo serve is killed with
// SIGKILL in the middle of a load of submissions, restarted, and every
// submission that was acknowledged with 202 must be there.

import (
	"bytes"
	cryptorand "crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// fcClient is a minimal FIT-Connect client over HTTP.
type fcClient struct {
	base string
	tok  string
	http *http.Client
}

func (c *fcClient) do(method, path, ctype string, body []byte) (int, []byte, error) {
	req, err := http.NewRequest(method, c.base+path, bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Authorization", "Bearer "+c.tok)
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}

func fcToken(t *testing.T, base, env string) string {
	t.Helper()
	var c struct {
		ID     string `json:"client_id"`
		Secret string `json:"client_secret"`
	}
	if err := json.Unmarshal([]byte(env), &c); err != nil {
		t.Fatalf("client: %v: %s", err, env)
	}
	resp, err := http.PostForm(base+"/fitconnect/token", url.Values{"grant_type": {"client_credentials"}, "client_id": {c.ID}, "client_secret": {c.Secret}})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&tok); err != nil || tok.AccessToken == "" {
		t.Fatalf("token: %d %v", resp.StatusCode, err)
	}
	return tok.AccessToken
}

func testRSAKeys(t *testing.T) []*rsa.PrivateKey {
	t.Helper()
	raw, err := os.ReadFile("../../internal/fitconnect/testdata/test-keys.pem")
	if err != nil {
		t.Fatal(err)
	}
	var keys []*rsa.PrivateKey
	for {
		var b *pem.Block
		if b, raw = pem.Decode(raw); b == nil {
			return keys
		}
		k, err := x509.ParsePKCS1PrivateKey(b.Bytes)
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, k)
	}
}

func jwkOf(k *rsa.PrivateKey, kid, alg, op string) map[string]any {
	return map[string]any{"kty": "RSA", "key_ops": []string{op}, "alg": alg, "kid": kid,
		"n": base64.RawURLEncoding.EncodeToString(k.N.Bytes()), "e": base64.RawURLEncoding.EncodeToString(big.NewInt(int64(k.E)).Bytes())}
}

func TestKill9KeepsAcknowledgedSubmissions(t *testing.T) {
	if testing.Short() {
		t.Skip("starts and kills ozgo several times")
	}
	dir := t.TempDir()
	args := []string{"serve", "--addr", "127.0.0.1:0", "--data", dir}
	p := start(t, nil, args...)

	recvJSON, code := exec1(t, nil, false, []string{"fitconnect", "client", "create", "--name", "Fachverfahren", "--scope", "create:destination", "--json", "--data", dir})
	if code != 0 {
		t.Fatalf("client create: %d %s", code, recvJSON)
	}
	sendJSON, code := exec1(t, nil, false, []string{"fitconnect", "client", "create", "--name", "Onlinedienst", "--scope", "send:region:DE08", "--json", "--data", dir})
	if code != 0 {
		t.Fatalf("client create: %d %s", code, sendJSON)
	}
	httpc := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 32}}
	recv := &fcClient{base: p.url, tok: fcToken(t, p.url, recvJSON), http: httpc}
	send := &fcClient{base: p.url, tok: fcToken(t, p.url, sendJSON), http: httpc}

	keys := testRSAKeys(t)
	const service = "urn:de:fim:leika:leistung:99108008006000"
	dest, _ := json.Marshal(map[string]any{
		"contactInformation": map[string]string{"legalName": "Test", "address": "Markt 1", "phone": "1", "email": "a@example.org"},
		"services": []map[string]any{{"identifier": service, "regions": []string{"DE08"},
			"submissionSchemas": []map[string]string{{"mimeType": "application/json", "schemaUri": "https://example.org/s.json"}}}},
		"encryptionKid": "enc-key-1", "encryptionPublicKey": jwkOf(keys[0], "enc-key-1", "RSA-OAEP-256", "wrapKey"),
		"signingPublicKey": jwkOf(keys[1], "sig-key-1", "PS512", "verify"), "metadataVersions": []string{"2.1.0"},
	})
	st, b, err := recv.do("POST", "/fitconnect/v1/destinations", "application/json", dest)
	if err != nil || st != 201 {
		t.Fatalf("destination: %d %v %s", st, err, b)
	}
	var d struct {
		DestinationID string `json:"destinationId"`
	}
	_ = json.Unmarshal(b, &d)
	if st, b, _ := recv.do("PATCH", "/fitconnect/v1/destinations/"+d.DestinationID, "application/json", []byte(`{"status":"active"}`)); st != 200 {
		t.Fatalf("activate: %d %s", st, b)
	}
	enc := func(plain, cty string) string {
		e, err := jose.NewEncrypter(jose.A256GCM, jose.Recipient{Algorithm: jose.RSA_OAEP_256, Key: &keys[0].PublicKey, KeyID: "enc-key-1"},
			(&jose.EncrypterOptions{}).WithContentType(jose.ContentType(cty)))
		if err != nil {
			t.Fatal(err)
		}
		o, err := e.Encrypt([]byte(plain))
		if err != nil {
			t.Fatal(err)
		}
		s, _ := o.CompactSerialize()
		return s
	}
	meta, data, att := enc(`{}`, "application/json"), enc(`{"a":1}`, "application/json"), enc("attachment", "text/plain")
	submitBody, _ := json.Marshal(map[string]string{"encryptedMetadata": meta, "encryptedData": data})

	sendOne := func(c *fcClient) (string, bool) {
		a1, a2 := newID(), newID()
		body := fmt.Sprintf(`{"destinationId":%q,"announcedAttachments":[%q,%q],"serviceType":{"identifier":%q}}`, d.DestinationID, a1, a2, service)
		st, b, err := c.do("POST", "/fitconnect/v1/submissions", "application/json", []byte(body))
		if err != nil || st != 201 {
			return "", false
		}
		var cr struct{ SubmissionID string }
		_ = json.Unmarshal(b, &cr)
		for _, a := range []string{a1, a2} {
			if st, _, err := c.do("PUT", "/fitconnect/v1/submissions/"+cr.SubmissionID+"/attachments/"+a, "application/jose", []byte(att)); err != nil || st != 204 {
				return "", false
			}
		}
		st, _, err = c.do("PUT", "/fitconnect/v1/submissions/"+cr.SubmissionID, "application/json", submitBody)
		return cr.SubmissionID, err == nil && st == 202
	}

	var acked []string
	for round := range 3 {
		var mu sync.Mutex
		stop := make(chan struct{})
		var wg sync.WaitGroup
		c := &fcClient{base: p.url, tok: send.tok, http: httpc}
		for range 16 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					select {
					case <-stop:
						return
					default:
					}
					if id, ok := sendOne(c); ok {
						mu.Lock()
						acked = append(acked, id)
						mu.Unlock()
					}
				}
			}()
		}
		time.Sleep(time.Second + time.Duration(round)*300*time.Millisecond)
		if err := p.cmd.Process.Kill(); err != nil { // SIGKILL, mid-load
			t.Fatal(err)
		}
		<-p.done
		close(stop)
		wg.Wait()
		mu.Lock()
		n := len(acked)
		mu.Unlock()
		t.Logf("round %d: %d submissions acknowledged so far", round+1, n)
		p = start(t, nil, args...)
	}
	if len(acked) < 10 {
		t.Fatalf("only %d submissions acknowledged; the load did not run", len(acked))
	}
	check := &fcClient{base: p.url, tok: recv.tok, http: httpc}
	missing := 0
	for _, id := range acked {
		if st, _, err := check.do("GET", "/fitconnect/v1/submissions/"+id, "", nil); err != nil || st != 200 {
			missing++
			if missing < 5 {
				t.Errorf("acknowledged submission %s lost after SIGKILL: %d %v", id, st, err)
			}
		}
	}
	if missing > 0 {
		t.Fatalf("%d of %d acknowledged submissions lost", missing, len(acked))
	}
	p.stop(t)
	if out, code := run(t, nil, "audit", "verify", "--data", dir); code != 0 || !strings.Contains(out, "intact") {
		t.Fatalf("audit verify after SIGKILLs: %d %s", code, out)
	}
}

func newID() string {
	var b [16]byte
	_, _ = io.ReadFull(randReader{}, b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

type randReader struct{}

func (randReader) Read(p []byte) (int, error) { return cryptorand.Read(p) }
