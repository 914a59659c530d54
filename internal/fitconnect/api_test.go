package fitconnect_test

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/ozgo/ozgo/internal/store/dbtest"
)

// problem reads an application/problem+json answer.
func problemType(t *testing.T, b []byte) string {
	t.Helper()
	var p struct {
		Type   string `json:"type"`
		Status int    `json:"status"`
		Title  string `json:"title"`
	}
	if err := json.Unmarshal(b, &p); err != nil || p.Type == "" || p.Title == "" || p.Status == 0 {
		t.Fatalf("not a problem object: %s", b)
	}
	return p.Type
}

func TestAPIErrors(t *testing.T) {
	t.Setenv("OZGO_FITCONNECT_MAX_PAYLOAD", "6000")
	t.Setenv("OZGO_FITCONNECT_MAX_SUBMISSION", "20000")
	t.Run("sqlite", func(t *testing.T) { apiErrors(t, "") })
	t.Run("postgres", func(t *testing.T) { apiErrors(t, dbtest.PostgresSchemaURL(t)) })
}

func apiErrors(t *testing.T, dbURL string) {
	srv := startServer(t, dbURL)
	su := newSetup(t, srv)
	s := srv
	sub := func() (string, string, []string) {
		atts := []string{randomID(), randomID()}
		st, b := s.json(t, "POST", "/fitconnect/v1/submissions", su.sendTok, map[string]any{"destinationId": su.destID,
			"announcedAttachments": atts, "serviceType": map[string]string{"identifier": testService}})
		if st != 201 {
			t.Fatalf("create: %d %s", st, b)
		}
		var c struct{ SubmissionID, CaseID string }
		_ = json.Unmarshal(b, &c)
		return c.SubmissionID, c.CaseID, atts
	}
	put := func(subID, attID, ctype, body string) (int, []byte) {
		st, b, _ := s.do(t, "PUT", "/fitconnect/v1/submissions/"+subID+"/attachments/"+attID, su.sendTok, ctype, []byte(body))
		return st, b
	}
	submit := func(subID string, meta, data string) (int, []byte) {
		return s.json(t, "PUT", "/fitconnect/v1/submissions/"+subID, su.sendTok, map[string]string{"encryptedMetadata": meta, "encryptedData": data})
	}
	var expect func(name string, st int, b []byte, want int)
	check := func(want int, name string) func(int, []byte) {
		return func(st int, b []byte) { t.Helper(); expect(name, st, b, want) }
	}
	expect = func(name string, st int, b []byte, want int) {
		t.Helper()
		if st != want {
			t.Errorf("%s: status %d, want %d: %s", name, st, want, b)
			return
		}
		if want >= 400 {
			problemType(t, b)
		}
	}

	t.Run("auth", func(t *testing.T) {
		st, b := s.json(t, "GET", "/fitconnect/v1/destinations/"+su.destID, "", nil)
		expect("no token", st, b, 401)
		st, b = s.json(t, "GET", "/fitconnect/v1/destinations/"+su.destID, "garbage.token.x", nil)
		expect("bad token", st, b, 401)
		resp, err := s.http.PostForm(s.URL+"/fitconnect/token", url.Values{"grant_type": {"client_credentials"}, "client_id": {randomID()}, "client_secret": {"x"}})
		if err != nil || resp.StatusCode != 401 {
			t.Errorf("wrong client: %v %v", err, resp.StatusCode)
		}
		c := s.newClient(t, "scoped", "send:region:DE08")
		resp, err = s.http.PostForm(s.URL+"/fitconnect/token", url.Values{"grant_type": {"client_credentials"}, "client_id": {c.ID}, "client_secret": {c.Secret}, "scope": {"create:destination"}})
		if err != nil || resp.StatusCode != 400 {
			t.Errorf("scope not held: %v %v", err, resp.StatusCode)
		}
		resp, err = s.http.PostForm(s.URL+"/fitconnect/token", url.Values{"grant_type": {"password"}, "client_id": {c.ID}, "client_secret": {c.Secret}})
		if err != nil || resp.StatusCode != 400 {
			t.Errorf("password grant: %v %v", err, resp.StatusCode)
		}
	})

	t.Run("wrong scope 403", func(t *testing.T) {
		enc, sig := fixtureKeys(t)
		st, b := s.json(t, "POST", "/fitconnect/v1/destinations", su.sendTok, destinationBody(enc, sig, ""))
		expect("sender creates destination", st, b, 403)
		st, b = s.json(t, "GET", "/fitconnect/v1/submissions?destinationId="+su.destID, su.sendTok, nil)
		expect("sender lists pickup", st, b, 403)
		st, b = s.json(t, "POST", "/fitconnect/v1/submissions", su.recvTok, map[string]any{"destinationId": su.destID,
			"announcedAttachments": []string{}, "serviceType": map[string]string{"identifier": testService}})
		expect("receiver without send scope sends", st, b, 403)
		st, b = s.json(t, "PATCH", "/fitconnect/v1/destinations/"+su.destID, su.sendTok, map[string]string{"status": "inactive"})
		expect("sender patches destination", st, b, 403)
	})

	t.Run("foreign destination 404", func(t *testing.T) {
		other := s.token(t, s.newClient(t, "other authority", "create:destination"))
		st, b := s.json(t, "GET", "/fitconnect/v1/destinations/"+su.destID, other, nil)
		expect("other receiver reads", st, b, 404)
		st, b = s.json(t, "GET", "/fitconnect/v1/submissions?destinationId="+su.destID, other, nil)
		expect("other receiver lists", st, b, 404)
		bavaria := s.token(t, s.newClient(t, "Onlinedienst BY", "send:region:DE09"))
		st, b = s.json(t, "POST", "/fitconnect/v1/submissions", bavaria, map[string]any{"destinationId": su.destID,
			"announcedAttachments": []string{}, "serviceType": map[string]string{"identifier": testService}})
		expect("sender of another region", st, b, 404)
		st, b = s.json(t, "GET", "/fitconnect/v1/destinations/"+randomID(), su.recvTok, nil)
		expect("unknown destination", st, b, 404)
		st, b = s.json(t, "GET", "/fitconnect/v1/destinations/not-a-uuid", su.recvTok, nil)
		expect("malformed destination id", st, b, 404)
		subID, caseID, _ := sub()
		st, b = s.json(t, "GET", "/fitconnect/v1/cases/"+caseID+"/events", bavaria, nil)
		expect("foreign case events", st, b, 404)
		st, b = s.json(t, "GET", "/fitconnect/v1/submissions/"+subID, other, nil)
		expect("foreign submission", st, b, 404)
	})

	t.Run("attachments and submit 422", func(t *testing.T) {
		subID, _, atts := sub()
		st, b := put(subID, randomID(), "application/jose", su.at)
		expect("unannounced attachment", st, b, 422)
		check(204, "first attachment")(put(subID, atts[0], "application/jose", su.at))
		st, b = submit(subID, su.meta, su.data)
		expect("submit before all attachments", st, b, 422)
		check(204, "second attachment")(put(subID, atts[1], "application/jose", su.at))
		st, b = submit(subID, "", su.data)
		expect("submit without metadata", st, b, 400)
		check(202, "submit")(submit(subID, su.meta, su.data))
		st, b = submit(subID, su.meta, su.data)
		expect("submit twice", st, b, 409)
		st, b = put(subID, atts[0], "application/jose", su.at)
		expect("attachment after submit", st, b, 409)
	})

	t.Run("malformed JWE", func(t *testing.T) {
		subID, _, atts := sub()
		for name, tc := range map[string]struct {
			body string
			want int
		}{
			"not a JWE":        {"abc", 400},
			"four segments":    {"a.b.c.d", 400},
			"bad base64":       {"a.b.c.d.e!", 400},
			"header not json":  {"YWJj.YWJj.YWJjYWJjYWJjYWJj.YWJj.YWJjYWJjYWJjYWJjYWJjYQ", 400},
			"wrong kid":        {encryptFor(t, withKid(su, "other-kid-123"), []byte("x"), "text/plain"), 422},
			"wrong key length": {encryptFor(t, small2048(t, su.enc.Kid), []byte("x"), "text/plain"), 422},
		} {
			st, b := put(subID, atts[0], "application/jose", tc.body)
			expect(name, st, b, tc.want)
		}
		// Wrong algorithm: header with alg RSA1_5.
		parts := strings.Split(su.at, ".")
		parts[0] = b64(`{"alg":"RSA1_5","enc":"A256GCM","kid":"` + su.enc.Kid + `"}`)
		st, b := put(subID, atts[0], "application/jose", strings.Join(parts, "."))
		expect("wrong alg", st, b, 422)
		parts[0] = b64(`{"alg":"RSA-OAEP-256","enc":"A256GCM","zip":"DEF","kid":"` + su.enc.Kid + `"}`)
		st, b = put(subID, atts[0], "application/jose", strings.Join(parts, "."))
		expect("zip", st, b, 422)
		st, b = submit(subID, su.data[:len(su.data)-3], su.data)
		expect("truncated metadata", st, b, 400)
		st, b = put(subID, atts[0], "text/plain", su.at)
		expect("wrong content type", st, b, 415)
		st, b, _ = s.do(t, "PUT", "/fitconnect/v1/submissions/"+subID, su.sendTok, "application/json", []byte(`{"encryptedMetadata": 5}`))
		expect("wrong JSON type", st, b, 400)
		st, b, _ = s.do(t, "PUT", "/fitconnect/v1/submissions/"+subID, su.sendTok, "application/json", []byte(`{"encryptedMetadata": `))
		expect("truncated JSON", st, b, 400)
	})

	t.Run("too large 413", func(t *testing.T) {
		subID, _, atts := sub()
		big := encryptFor(t, su.encJWK, make([]byte, 6000), "application/pdf")
		st, b := put(subID, atts[0], "application/jose", big)
		expect("attachment over the payload limit", st, b, 413)
		// Submission limit 20000: three attachments of ~5 KB would pass
		// one by one but not together with metadata and data.
		mid := encryptFor(t, su.encJWK, make([]byte, 3500), "application/pdf")
		atts3 := []string{randomID(), randomID(), randomID(), randomID()}
		st, b = s.json(t, "POST", "/fitconnect/v1/submissions", su.sendTok, map[string]any{"destinationId": su.destID,
			"announcedAttachments": atts3, "serviceType": map[string]string{"identifier": testService}})
		var c struct{ SubmissionID string }
		_ = json.Unmarshal(b, &c)
		got413 := false
		for _, a := range atts3 {
			if st, _ := put(c.SubmissionID, a, "application/jose", mid); st == 413 {
				got413 = true
			}
		}
		if !got413 {
			t.Error("submission over the total limit accepted")
		}
	})

	t.Run("destination state 422 and transitions", func(t *testing.T) {
		check(200, "deactivate")(s.json(t, "PATCH", "/fitconnect/v1/destinations/"+su.destID, su.recvTok, map[string]string{"status": "inactive"}))
		st, b := s.json(t, "POST", "/fitconnect/v1/submissions", su.sendTok, map[string]any{"destinationId": su.destID,
			"announcedAttachments": []string{}, "serviceType": map[string]string{"identifier": testService}})
		expect("inactive destination", st, b, 422)
		check(200, "reactivate")(s.json(t, "PATCH", "/fitconnect/v1/destinations/"+su.destID, su.recvTok, map[string]string{"status": "active"}))
		st, b = s.json(t, "POST", "/fitconnect/v1/submissions", su.sendTok, map[string]any{"destinationId": su.destID,
			"announcedAttachments": []string{}, "serviceType": map[string]string{"identifier": "urn:de:fim:leika:leistung:99999999999999"}})
		expect("service not offered", st, b, 422)
		st, b = s.json(t, "DELETE", "/fitconnect/v1/destinations/"+su.destID, su.recvTok, nil)
		expect("delete with submissions", st, b, 409)
	})

	t.Run("destination validation", func(t *testing.T) {
		enc, sig := fixtureKeys(t)
		cases := map[string]func(m map[string]any){
			"short key": func(m map[string]any) {
				k, _ := rsa.GenerateKey(rand.Reader, 2048)
				m["encryptionPublicKey"] = publicJWK(keyPair{k, enc.Kid}, "RSA-OAEP-256", nil)
			},
			"wrong key_ops": func(m map[string]any) { m["encryptionPublicKey"].(map[string]any)["key_ops"] = []string{"encrypt"} },
			"wrong alg":     func(m map[string]any) { m["signingPublicKey"].(map[string]any)["alg"] = "RS256" },
			"kid mismatch":  func(m map[string]any) { m["encryptionKid"] = "something-else" },
			"bad region":    func(m map[string]any) { m["services"].([]map[string]any)[0]["regions"] = []string{"08416"} },
			"bad service":   func(m map[string]any) { m["services"].([]map[string]any)[0]["identifier"] = "Hundesteuer" },
			"no contact":    func(m map[string]any) { delete(m, "contactInformation") },
			"http callback": func(m map[string]any) {
				m["callback"] = map[string]string{"url": "ftp://example.org/cb", "secret": strings.Repeat("s", 40)}
			},
			"short secret": func(m map[string]any) {
				m["callback"] = map[string]string{"url": "https://example.org/cb", "secret": "short"}
			},
			"x5c mismatch": func(m map[string]any) {
				m["encryptionPublicKey"].(map[string]any)["x5c"] = []string{selfSigned(t, sig.Priv)}
			},
		}
		for name, mod := range cases {
			body := destinationBody(enc, sig, "")
			mod(body)
			st, b := s.json(t, "POST", "/fitconnect/v1/destinations", su.recvTok, body)
			expect(name, st, b, 422)
		}
	})

	t.Run("event posting", func(t *testing.T) {
		subID, caseID := su.send(t, 0)
		base := map[string]any{"jti": randomID(), "iss": su.destID, "iat": time.Now().Unix(), "sub": "submission:" + subID, "txn": "case:" + caseID,
			"events": map[string]any{"https://schema.fitko.de/fit-connect/events/accept-submission": map[string]any{}}}
		post := func(tok, body string) (int, []byte) {
			st, b, _ := s.do(t, "POST", "/fitconnect/v1/cases/"+caseID+"/events", tok, "application/jose", []byte(body))
			return st, b
		}
		other, _ := fixtureKeys(t)
		st, b := post(su.recvTok, signSET(t, keyPair{other.Priv, su.sig.Kid}, base))
		expect("signature by another key", st, b, 422)
		st, b = post(su.recvTok, "not.a.set")
		expect("garbage", st, b, 400)
		st, b = post(su.sendTok, signSET(t, su.sig, base))
		expect("sender posts event", st, b, 403)
		wrong := map[string]any{}
		for k, v := range base {
			wrong[k] = v
		}
		wrong["events"] = map[string]any{"https://schema.fitko.de/fit-connect/events/submit-submission": map[string]any{}}
		st, b = post(su.recvTok, signSET(t, su.sig, wrong))
		expect("receiver posts submit", st, b, 422)
		wrong["events"] = base["events"]
		wrong["txn"] = "case:" + randomID()
		st, b = post(su.recvTok, signSET(t, su.sig, wrong))
		expect("wrong txn", st, b, 422)
		st, b = post(su.recvTok, signSET(t, su.sig, base))
		expect("accept", st, b, 204)
		base["jti"] = randomID()
		st, b = post(su.recvTok, signSET(t, su.sig, base))
		expect("accept again", st, b, 409)
	})

	t.Run("info and keys", func(t *testing.T) {
		st, b := s.json(t, "GET", "/fitconnect/v1/info", "", nil)
		if st != 200 || !strings.Contains(string(b), `"major":1`) {
			t.Errorf("info: %d %s", st, b)
		}
		st, b = s.json(t, "GET", "/fitconnect/v1/destinations/"+su.destID+"/keys/unknown-kid", "", nil)
		expect("unknown key", st, b, 404)
		enc2, _ := fixtureKeys(t)
		st, b = s.json(t, "POST", "/fitconnect/v1/destinations/"+su.destID+"/keys", su.recvTok, publicJWK(enc2, "RSA-OAEP-256", nil))
		expect("add key", st, b, 201)
		st, b = s.json(t, "PATCH", "/fitconnect/v1/destinations/"+su.destID, su.recvTok, map[string]string{"encryptionKid": enc2.Kid})
		expect("rollover", st, b, 200)
		st, b = s.json(t, "PATCH", "/fitconnect/v1/destinations/"+su.destID, su.recvTok, map[string]string{"encryptionKid": "no-such-key"})
		expect("rollover to unknown key", st, b, 422)
		// The old kid is now wrong for new submissions.
		subID, _, atts := sub()
		st, b = put(subID, atts[0], "application/jose", su.at)
		expect("old kid after rollover", st, b, 422)
		st, b = s.json(t, "GET", "/fitconnect/v1/destinations", su.recvTok, nil)
		if st != 200 || !strings.Contains(string(b), su.destID) {
			t.Errorf("list destinations: %d %s", st, b)
		}
	})
}
