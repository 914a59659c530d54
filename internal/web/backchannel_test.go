package web

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/ozgo/ozgo/internal/backchannel"
	"github.com/ozgo/ozgo/internal/demo"
	"github.com/ozgo/ozgo/internal/fitconnect"
	"github.com/ozgo/ozgo/internal/fitconnect/httpapi"
	"github.com/ozgo/ozgo/internal/httpx"
	"github.com/ozgo/ozgo/internal/i18n"
	"github.com/ozgo/ozgo/internal/identity"
	"github.com/ozgo/ozgo/internal/store/dbtest"
)

// TestBackchannelLoop: the loop of the clerk workspace, driven through the
// API by a test acting as a Fachverfahren: it picks the submission up as a
// FIT-Connect subscriber, requests a document through the Postfach, reads
// the applicant's answer with its file, and sends the Bescheid with the
// decision; the applicant sees both and the state.
func TestBackchannelLoop(t *testing.T) {
	db := dbtest.SQLite(t)
	ui, h := antragUI(t, db)
	ctx := context.Background()
	fc := ui.Antraege.Delivery.FC
	dest := routeDest(t, ui)
	log := slog.New(slog.DiscardHandler)
	rt := httpx.NewRouter(nil, nil)
	(&httpapi.API{Svc: fc, Log: log, I18n: i18n.MustLoad()}).Register(rt)
	(&backchannel.API{DB: db, FC: fc, Postfach: ui.Postfach, Blobs: ui.Antraege.Blobs, Log: log, I18n: i18n.MustLoad(), MaxFile: 1 << 20}).Register(rt)
	api := httptest.NewServer(rt)
	defer api.Close()

	// The citizen applies.
	const slug = "mutterschutz-benachrichtigung"
	citizen := loginAs(t, ui, "antragstellerin", identity.Hoch)
	b := &browser{t: t, h: h, session: citizen, ort: &http.Cookie{Name: ortCookie, Value: demo.DemoGemeinde}}
	fillAll(t, ui, b, slug)
	if w := b.post("/onlinedienste/"+slug+"/antrag/absenden", url.Values{}); w.Code != http.StatusSeeOther {
		t.Fatalf("submit: %d", w.Code)
	}
	if _, err := ui.Antraege.Delivery.RunOnce(ctx); err != nil {
		t.Fatal(err)
	}
	var caseID string
	if err := db.QueryRowContext(ctx, `SELECT fc_case_id FROM deliveries WHERE status = 'delivered'`).Scan(&caseID); err != nil {
		t.Fatalf("not delivered: %v", err)
	}

	// The Fachverfahren: a subscriber of the destination.
	if err := ui.Identity.Service.CreateTenant(ctx, "system", "tuebingen", "Tübingen", ""); err != nil {
		t.Fatal(err)
	}
	cl, err := fc.CreateClient(ctx, "system", "Fachverfahren", "tuebingen", []string{fitconnect.ScopeSubscribe + dest.ID})
	if err != nil {
		t.Fatal(err)
	}
	tok, err := fc.IssueToken(ctx, cl.ClientID, cl.ClientSecret, nil)
	if err != nil {
		t.Fatal(err)
	}
	other, _ := fc.CreateClient(ctx, "system", "Fremd", "tuebingen", []string{fitconnect.ScopeCreateDestination})
	otherTok, _ := fc.IssueToken(ctx, other.ClientID, other.ClientSecret, nil)
	call := func(method, path, ctype string, body []byte, token string) (int, []byte) {
		req, _ := http.NewRequest(method, api.URL+path, bytes.NewReader(body))
		if ctype != "" {
			req.Header.Set("Content-Type", ctype)
		}
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		out, _ := io.ReadAll(res.Body)
		return res.StatusCode, out
	}
	if st, body := call("GET", "/fitconnect/v1/submissions?destinationId="+dest.ID, "", nil, tok.AccessToken); st != 200 || !strings.Contains(string(body), caseID) {
		t.Fatalf("pickup list: %d %s", st, body)
	}
	_, sig := fixtureKeys(t)
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.PS512, Key: jose.JSONWebKey{Key: sig, KeyID: "test-sig-1"}}, (&jose.SignerOptions{}).WithType(backchannel.MessageType))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	sign := func(m map[string]any) []byte {
		n++
		m["case"], m["iat"], m["jti"] = caseID, time.Now().Unix(), "jti-"+string(rune('a'+n))
		raw, _ := json.Marshal(m)
		jws, err := signer.Sign(raw)
		if err != nil {
			t.Fatal(err)
		}
		s, _ := jws.CompactSerialize()
		return []byte(s)
	}
	msgs := "/fitconnect/v1/cases/" + caseID + "/messages"
	request := sign(map[string]any{"kind": "nachforderung", "subject": "Nachweis fehlt", "body": "Bitte reichen Sie die ärztliche Bescheinigung nach.", "dueDate": "2026-12-31"})
	if st, _ := call("POST", msgs, "application/jose", request, ""); st != http.StatusUnauthorized {
		t.Errorf("without token: %d", st)
	}
	if st, _ := call("POST", msgs, "application/jose", request, otherTok.AccessToken); st != http.StatusNotFound {
		t.Errorf("client without the destination: %d", st)
	}
	if st, _ := call("POST", msgs, "application/json", request, tok.AccessToken); st != http.StatusUnsupportedMediaType {
		t.Errorf("wrong media type: %d", st)
	}
	tampered := append(bytes.Clone(request[:len(request)-4]), []byte("AAAA")...)
	if st, body := call("POST", msgs, "application/jose", tampered, tok.AccessToken); st != http.StatusUnprocessableEntity || !strings.Contains(string(body), "application/problem+json") && !strings.Contains(string(body), "Signatur") {
		t.Errorf("bad signature: %d %s", st, body)
	}
	if st, body := call("POST", msgs, "application/jose", request, tok.AccessToken); st != http.StatusCreated {
		t.Fatalf("request: %d %s", st, body)
	}
	if st, _ := call("POST", msgs, "application/jose", request, tok.AccessToken); st != http.StatusConflict {
		t.Errorf("replayed message: %d", st)
	}

	// The citizen reads it and answers with the document.
	w := send(h, "GET", "/postfach", nil, citizen)
	m := msgLinkRE.FindStringSubmatch(w.Body.String())
	if m == nil {
		t.Fatal("no message in the Postfach")
	}
	if w := multipartPost(h, "/postfach/"+m[1]+"/antwort", url.Values{"art": {"antwort"}, "text": {"Anbei."}}, map[string]string{"bescheinigung.pdf": pdfFile}, citizen); w.Code != http.StatusSeeOther {
		t.Fatalf("answer: %d", w.Code)
	}

	// The Fachverfahren reads the answer and its file.
	st, body := call("GET", msgs, "", nil, tok.AccessToken)
	var list struct {
		Messages []backchannel.MessageOut `json:"messages"`
	}
	if st != 200 || json.Unmarshal(body, &list) != nil || len(list.Messages) != 2 || list.Messages[1].FromAuthority || len(list.Messages[1].Attachments) != 1 || list.Messages[0].ReadAt == "" {
		t.Fatalf("messages: %d %s", st, body)
	}
	ans := list.Messages[1]
	if st, file := call("GET", msgs+"/"+ans.MessageID+"/attachments/"+ans.Attachments[0].AttachmentID, "", nil, tok.AccessToken); st != 200 || string(file) != pdfFile {
		t.Errorf("answer file: %d", st)
	}
	if st, _ := call("GET", msgs, "", nil, otherTok.AccessToken); st != http.StatusNotFound {
		t.Errorf("messages for a client without the destination: %d", st)
	}

	// The Bescheid with the decision.
	bescheid := sign(map[string]any{"kind": "bescheid", "subject": "Bescheid", "body": "Ihrem Antrag wird entsprochen.", "state": "bewilligt",
		"attachments": []map[string]string{{"filename": "bescheid.pdf", "mimeType": "application/pdf", "content": base64.StdEncoding.EncodeToString([]byte(pdfFile))}}})
	if st, body := call("POST", msgs, "application/jose", bescheid, tok.AccessToken); st != http.StatusCreated {
		t.Fatalf("Bescheid: %d %s", st, body)
	}
	if w := send(h, "GET", "/antraege", nil, citizen); !strings.Contains(w.Body.String(), "entschieden: bewilligt") {
		t.Error("the status monitor does not show the decision")
	}
	if w := send(h, "GET", "/postfach", nil, citizen); !strings.Contains(w.Body.String(), "Bescheid") {
		t.Error("the Bescheid is not in the Postfach")
	}
}
