package web

import (
	"bytes"
	"context"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/ozgo/ozgo/internal/identity"
	"github.com/ozgo/ozgo/internal/store"
	"github.com/ozgo/ozgo/internal/store/dbtest"
)

func multipartPost(h http.Handler, target string, fields url.Values, files map[string]string, c *http.Cookie) *httptest.ResponseRecorder {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, vs := range fields {
		for _, v := range vs {
			_ = mw.WriteField(k, v)
		}
	}
	for name, content := range files {
		fw, _ := mw.CreateFormFile("dateien", name)
		_, _ = io.WriteString(fw, content)
	}
	_ = mw.Close()
	r := httptest.NewRequest("POST", target, &buf)
	r.Header.Set("Content-Type", mw.FormDataContentType())
	if c != nil {
		r.AddCookie(c)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

var msgLinkRE = regexp.MustCompile(`href="/postfach/([0-9a-f]{32})"`)

// TestClerkLoop: a clerk sees an application of the tenant, asks for a
// document, the applicant answers with a file in the Postfach, the clerk
// decides with a Bescheid, the applicant sees it and the state.
func TestClerkLoop(t *testing.T) {
	ui, h := antragUI(t, dbtest.SQLite(t))
	ctx := context.Background()
	citizen := loginAs(t, ui, "mustermann", identity.Hoch)
	sess, _ := ui.Identity.Service.Session(ctx, citizen.Value)
	clerk := staffCookie(t, ui, "clerk@tue.example", "tue", identity.RoleClerk)
	foreign := staffCookie(t, ui, "clerk@ber.example", "ber", identity.RoleClerk)
	other := loginAs(t, ui, "andere", identity.Hoch)

	dr, _, err := ui.Antraege.Drafts.Create(ctx, "person:"+sess.Principal, "blaue-karte-eu", "S00000121", "1.0")
	if err != nil {
		t.Fatal(err)
	}
	var subID, ref string
	err = ui.Antraege.DB.InTx(ctx, func(tx *store.Tx) error {
		sub, err := ui.Antraege.Drafts.Submit(ctx, tx, dr, "s", []byte(`{"G00000630":{"F00000013":"Mustermann","F00000045":"Erika"}}`))
		if err != nil {
			return err
		}
		subID, ref = sub.ID, sub.Reference
		_, err = tx.ExecContext(ctx, `UPDATE submissions SET tenant_id = 'tue' WHERE id = ?`, sub.ID)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	base := "/sachbearbeitung/" + subID

	w := send(h, "GET", "/sachbearbeitung", nil, clerk)
	if w.Code != 200 || !strings.Contains(w.Body.String(), ref) {
		t.Fatalf("list: %d", w.Code)
	}
	checkPage(t, w.Body.String())
	if w := send(h, "GET", "/sachbearbeitung?q=mustermann", nil, clerk); !strings.Contains(w.Body.String(), ref) {
		t.Error("search by name finds nothing")
	}
	if w := send(h, "GET", "/sachbearbeitung?q="+url.QueryEscape("Müller"), nil, clerk); strings.Contains(w.Body.String(), ref) {
		t.Error("search by another name finds the case")
	}
	if w := send(h, "GET", "/sachbearbeitung?q="+ref, nil, clerk); !strings.Contains(w.Body.String(), ref) {
		t.Error("search by reference finds nothing")
	}
	if w := send(h, "GET", "/sachbearbeitung", nil, foreign); strings.Contains(w.Body.String(), ref) {
		t.Error("another tenant's clerk lists the case")
	}
	w = send(h, "GET", base, nil, clerk)
	if w.Code != 200 || !strings.Contains(w.Body.String(), "Mustermann") {
		t.Fatalf("case: %d", w.Code)
	}
	checkPage(t, w.Body.String())
	for _, p := range []string{base, base + "/daten.json", base + "/export.zip"} {
		for name, c := range map[string]*http.Cookie{"other tenant": foreign, "citizen": citizen, "other citizen": other} {
			if w := send(h, "GET", p, nil, c); w.Code != http.StatusNotFound {
				t.Errorf("%s as %s: %d", p, name, w.Code)
			}
		}
		if w := send(h, "GET", p, nil, nil); w.Code != http.StatusSeeOther {
			t.Errorf("%s without login: %d", p, w.Code)
		}
	}
	if w := send(h, "POST", base+"/entscheiden", url.Values{"entscheidung": {"bewilligt"}, "bescheidtext": {"x"}}, foreign); w.Code != http.StatusNotFound {
		t.Errorf("foreign clerk decides: %d", w.Code)
	}

	// Ask for a document: without a due date, an error at the field.
	w = multipartPost(h, base+"/nachricht", url.Values{"art": {"nachforderung"}, "text": {"Bitte reichen Sie den Arbeitsvertrag nach."}}, nil, clerk)
	if w.Code != http.StatusUnprocessableEntity || !strings.Contains(w.Body.String(), "bis wann") {
		t.Fatalf("request without due date: %d", w.Code)
	}
	checkPage(t, w.Body.String())
	w = multipartPost(h, base+"/nachricht", url.Values{"art": {"nachforderung"}, "text": {"Bitte reichen Sie den Arbeitsvertrag nach."}, "frist": {"31.12.2026"}}, nil, clerk)
	if w.Code != http.StatusSeeOther {
		t.Fatalf("request: %d %s", w.Code, w.Body.String())
	}

	// The applicant reads it and answers with the document.
	w = send(h, "GET", "/postfach", nil, citizen)
	m := msgLinkRE.FindStringSubmatch(w.Body.String())
	if w.Code != 200 || m == nil || !strings.Contains(w.Body.String(), "Ungelesen") {
		t.Fatalf("postfach: %d", w.Code)
	}
	checkPage(t, w.Body.String())
	w = send(h, "GET", "/postfach/"+m[1], nil, citizen)
	if w.Code != 200 || !strings.Contains(w.Body.String(), "31.12.2026") && !strings.Contains(w.Body.String(), "2026-12-31") {
		t.Fatalf("message: %d", w.Code)
	}
	checkPage(t, w.Body.String())
	w = multipartPost(h, "/postfach/"+m[1]+"/antwort", url.Values{"art": {"antwort"}, "text": {"Anbei."}}, map[string]string{"vertrag.txt": "kein PDF"}, citizen)
	if w.Code != http.StatusUnprocessableEntity {
		t.Errorf("text file accepted: %d", w.Code)
	}
	w = multipartPost(h, "/postfach/"+m[1]+"/antwort", url.Values{"art": {"antwort"}, "text": {"Anbei."}}, map[string]string{"vertrag.pdf": pdfFile}, citizen)
	if w.Code != http.StatusSeeOther {
		t.Fatalf("answer: %d", w.Code)
	}
	if w := send(h, "GET", base, nil, clerk); !strings.Contains(w.Body.String(), "vertrag.pdf") {
		t.Error("the clerk does not see the answer's file")
	}

	// The decision with a Bescheid.
	w = multipartPost(h, base+"/entscheiden", url.Values{"entscheidung": {"bewilligt"}, "bescheidtext": {"Ihr Antrag wird bewilligt."}}, nil, clerk)
	if w.Code != http.StatusSeeOther {
		t.Fatalf("decide: %d %s", w.Code, w.Body.String())
	}
	w = send(h, "GET", "/antraege", nil, citizen)
	if w.Code != 200 || !strings.Contains(w.Body.String(), "entschieden: bewilligt") || !strings.Contains(w.Body.String(), ref) {
		t.Fatalf("status monitor: %d", w.Code)
	}
	checkPage(t, w.Body.String())
	w = send(h, "GET", "/postfach", nil, citizen)
	links := msgLinkRE.FindAllStringSubmatch(w.Body.String(), -1)
	if len(links) < 3 || !strings.Contains(w.Body.String(), "Bescheid") {
		t.Fatalf("Bescheid not in the Postfach: %d links", len(links))
	}
	w = send(h, "GET", "/postfach/"+links[0][1], nil, citizen)
	att := regexp.MustCompile(`href="(/postfach/[0-9a-f]+/anhang/[0-9a-f]+)"`).FindStringSubmatch(w.Body.String())
	if att == nil {
		t.Fatal("no Bescheid PDF link")
	}
	if w := send(h, "GET", att[1], nil, citizen); w.Code != 200 || !strings.HasPrefix(w.Body.String(), "%PDF") {
		t.Errorf("Bescheid PDF: %d", w.Code)
	}
	if w := send(h, "GET", att[1], nil, other); w.Code != http.StatusNotFound {
		t.Errorf("Bescheid PDF for another citizen: %d", w.Code)
	}
	if w := send(h, "GET", base+"/export.zip", nil, clerk); w.Code != 200 || !strings.HasPrefix(w.Body.String(), "PK") {
		t.Errorf("export: %d", w.Code)
	}
}
