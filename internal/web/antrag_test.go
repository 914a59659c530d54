package web

import (
	"bytes"
	"context"
	"html"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/ozgo/ozgo/internal/audit"
	"github.com/ozgo/ozgo/internal/blob"
	"github.com/ozgo/ozgo/internal/crypt"
	"github.com/ozgo/ozgo/internal/demo"
	"github.com/ozgo/ozgo/internal/fitconnect"
	"github.com/ozgo/ozgo/internal/form"
	"github.com/ozgo/ozgo/internal/httpx"
	"github.com/ozgo/ozgo/internal/i18n"
	"github.com/ozgo/ozgo/internal/identity"
	"github.com/ozgo/ozgo/internal/inbox"
	"github.com/ozgo/ozgo/internal/onlinedienst"
	"github.com/ozgo/ozgo/internal/postfach"
	"github.com/ozgo/ozgo/internal/store"
	"github.com/ozgo/ozgo/internal/store/dbtest"
	"github.com/ozgo/ozgo/internal/submission"
)

const (
	pdfFile = "%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
	txtFile = "nur Text, kein Nachweis\n"
)

// antragUI is a UI with the demo online services on db.
func antragUI(t testing.TB, db *store.DB) (*UI, http.Handler) {
	t.Helper()
	ctx := context.Background()
	if err := db.InTx(ctx, func(tx *store.Tx) error { return demo.LoadOnlineServices(ctx, tx) }); err != nil {
		t.Fatal(err)
	}
	key, err := crypt.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	keys, err := crypt.NewKeyring(key)
	if err != nil {
		t.Fatal(err)
	}
	fs, err := blob.NewFS(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ui, err := New(i18n.MustLoad(), slog.New(slog.DiscardHandler), "test-1")
	if err != nil {
		t.Fatal(err)
	}
	blobs := blob.NewEncrypted(fs, keys)
	ui.Antraege = &onlinedienst.Antraege{DB: db, Registry: onlinedienst.NewRegistry(db), Drafts: form.NewDrafts(db, keys, 0),
		Blobs: blobs, Audit: audit.New(db, keys)}
	ui.Identity = &Identity{Service: identity.NewService(db, keys, audit.New(db, keys))}
	ui.Postfach = &postfach.Service{DB: db, Keys: keys, Blobs: ui.Antraege.Blobs, Audit: audit.New(db, keys), Cases: postfach.SubmissionCases{DB: db}}
	ui.Inbox = &inbox.Service{DB: db, Keys: keys, Audit: audit.New(db, keys), Drafts: ui.Antraege.Drafts, Postfach: ui.Postfach, Models: ui.Antraege.Registry.Model}
	ui.Catalog = testRegions(t, db)
	fc := fitconnect.New(db, keys, blobs, audit.New(db, keys), fitconnect.Options{SigningKeyBits: 2048})
	ui.Antraege.Delivery = &submission.Delivery{DB: db, Keys: keys, Blobs: blobs, Drafts: ui.Antraege.Drafts, FC: fc,
		Audit: audit.New(db, keys), I18n: i18n.MustLoad(), Log: slog.New(slog.DiscardHandler)}
	if _, ok := t.(*testing.B); !ok {
		testDestination(t, fc)
	}
	rt := httpx.NewRouter(http.HandlerFunc(ui.NotFound), http.HandlerFunc(ui.MethodNotAllowed))
	ui.Register(rt)
	return ui, ui.WithSession(rt)
}

// loginAs starts a citizen session for a new person with the given
// subject at level and returns its cookie.
func loginAs(t testing.TB, ui *UI, subject string, level identity.TrustLevel) *http.Cookie {
	t.Helper()
	ctx := context.Background()
	p, err := ui.Identity.Service.LoginPerson(ctx, identity.Assertion{Provider: "test", Subject: subject, TrustLevel: level,
		Attributes: identity.Attributes{GivenName: "Erika", FamilyName: subject, Email: subject + "@example.org"}})
	if err != nil {
		t.Fatal(err)
	}
	sess, err := ui.Identity.Service.StartSession(ctx, "", identity.KindCitizen, p.ID, level, "test", false)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Cookie{Name: sessionCookie, Value: sess.Token}
}

// browser keeps the cookie of one applicant.
type browser struct {
	t       *testing.T
	h       http.Handler
	cookie  *http.Cookie
	session *http.Cookie
	ort     *http.Cookie // the chosen place
}

func (b *browser) do(r *http.Request) *httptest.ResponseRecorder {
	if b.cookie != nil {
		r.AddCookie(b.cookie)
	}
	if b.session != nil {
		r.AddCookie(b.session)
	}
	if b.ort != nil {
		r.AddCookie(b.ort)
	}
	w := httptest.NewRecorder()
	b.h.ServeHTTP(w, r)
	for _, c := range w.Result().Cookies() {
		if c.Name == antragCookie {
			b.cookie = c
		}
	}
	return w
}

func (b *browser) get(target string) *httptest.ResponseRecorder {
	return b.do(httptest.NewRequest("GET", target, nil))
}

func (b *browser) post(target string, form url.Values) *httptest.ResponseRecorder {
	r := httptest.NewRequest("POST", target, strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(r)
}

// postMultipart sends values and files (field name -> content).
func (b *browser) postMultipart(target string, form url.Values, files map[string]string) *httptest.ResponseRecorder {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	keys := make([]string, 0, len(form))
	for k := range form {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		for _, v := range form[k] {
			_ = mw.WriteField(k, v)
		}
	}
	for name, content := range files {
		fw, _ := mw.CreateFormFile(name, "nachweis.pdf")
		_, _ = fw.Write([]byte(content))
	}
	_ = mw.Close()
	r := httptest.NewRequest("POST", target, &buf)
	r.Header.Set("Content-Type", mw.FormDataContentType())
	return b.do(r)
}

var (
	nameRe      = regexp.MustCompile(`<(input|select|textarea)[^>]*\sname="([^"]+)"[^>]*>`)
	typeRe      = regexp.MustCompile(`\stype="([^"]+)"`)
	summaryRe   = regexp.MustCompile(`(?s)id="error-summary-title".*?</ul>`)
	referenceRe = regexp.MustCompile(`\d{4}-[0-9A-Z]{4}-[0-9A-Z]{4}`)
)

// inputs lists the field names of a page with their control type.
func inputs(body string) map[string]string {
	out := map[string]string{}
	for _, m := range nameRe.FindAllStringSubmatch(body, -1) {
		name := html.UnescapeString(m[2])
		if name == "aktion" || name == "pruefen" || name == "neu" {
			continue
		}
		typ := m[1]
		if t := typeRe.FindStringSubmatch(m[0]); t != nil {
			typ = t[1]
		}
		out[name] = typ
	}
	return out
}

// fillPage answers every field of a page with an example value and
// uploads a PDF for every file field.
func fillPage(t *testing.T, m *form.Model, body string) (url.Values, map[string]string) {
	t.Helper()
	vals, files := url.Values{"aktion": {"weiter"}}, map[string]string{}
	for name, typ := range inputs(body) {
		if typ == "file" {
			files[name] = pdfFile
			continue
		}
		n := m.Node(form.ModelPath(name))
		if n == nil {
			t.Fatalf("page has a field %q the model does not know", name)
		}
		vals.Set(name, form.Example(n))
	}
	return vals, files
}

func TestAntragEndToEnd(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, db *store.DB) {
		ui, h := antragUI(t, db)
		ctx := context.Background()
		for _, svc := range demo.OnlineServices {
			t.Run(svc.Slug, func(t *testing.T) {
				b := &browser{t: t, h: h}
				w := b.get("/onlinedienste")
				if w.Code != 200 || !strings.Contains(w.Body.String(), svc.Title) {
					t.Fatalf("list: %d", w.Code)
				}
				checkPage(t, w.Body.String())
				if svc.MinTrustLevel > identity.None {
					// Below the level: the start page offers to log in, and
					// starting sends the browser to log in at that level.
					w = b.get("/onlinedienste/" + svc.Slug)
					if w.Code != 200 || !strings.Contains(w.Body.String(), "Anmelden und Antrag starten") {
						t.Fatalf("start page without login: %d", w.Code)
					}
					want := loginURL("/onlinedienste/"+svc.Slug, svc.MinTrustLevel)
					b.session = loginAs(t, ui, "niedrig-"+svc.Slug, svc.MinTrustLevel-1)
					for _, path := range []string{"/onlinedienste/" + svc.Slug + "/antrag", "/onlinedienste/" + svc.Slug + "/antrag/1"} {
						var w *httptest.ResponseRecorder
						if strings.HasSuffix(path, "/antrag") {
							w = b.post(path, url.Values{})
						} else {
							w = b.get(path)
						}
						if w.Code != http.StatusSeeOther || !strings.HasPrefix(w.Header().Get("Location"), "/anmelden?") {
							t.Fatalf("%s below the level: %d %s", path, w.Code, w.Header().Get("Location"))
						}
						if path == "/onlinedienste/"+svc.Slug+"/antrag" && w.Header().Get("Location") != want {
							t.Errorf("login redirect %s, want %s", w.Header().Get("Location"), want)
						}
					}
					b.session = loginAs(t, ui, "hoch-"+svc.Slug, svc.MinTrustLevel)
				}
				w = b.get("/onlinedienste/" + svc.Slug)
				if w.Code != 200 || !strings.Contains(w.Body.String(), "Antrag starten") {
					t.Fatalf("start page: %d", w.Code)
				}
				checkPage(t, w.Body.String())
				w = b.post("/onlinedienste/"+svc.Slug+"/antrag", url.Values{})
				if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/onlinedienste/"+svc.Slug+"/antrag/1" || b.cookie == nil {
					t.Fatalf("start: %d %s", w.Code, w.Header().Get("Location"))
				}
				if !b.cookie.HttpOnly || b.cookie.SameSite != http.SameSiteLaxMode || b.cookie.Path != "/onlinedienste/"+svc.Slug {
					t.Errorf("cookie: %+v", b.cookie)
				}
				m, err := ui.Antraege.Registry.Model(ctx, svc.FormID, svc.FormVersion)
				if err != nil {
					t.Fatal(err)
				}
				next := "/onlinedienste/" + svc.Slug + "/antrag/1"
				for i := range m.Pages {
					w = b.get(next)
					if w.Code != 200 {
						t.Fatalf("page %d: %d", i+1, w.Code)
					}
					body := w.Body.String()
					checkPage(t, body)
					vals, files := fillPage(t, m, body)
					w = b.postMultipart(next, vals, files)
					if w.Code != http.StatusSeeOther {
						t.Fatalf("page %d not accepted: %d\n%s", i+1, w.Code, summaryRe.FindString(w.Body.String()))
					}
					next = w.Header().Get("Location")
				}
				if next != "/onlinedienste/"+svc.Slug+"/antrag/pruefen" {
					t.Fatalf("after the last page: %s", next)
				}
				// Without a place the check page asks for one and offers no
				// submit button; submitting anyway keeps the draft.
				w = b.get(next)
				if body := w.Body.String(); w.Code != 200 || !strings.Contains(body, "Wohnort fehlt") || strings.Contains(body, "Antrag verbindlich absenden") ||
					!strings.Contains(body, `href="/ort?zurueck=%2Fonlinedienste%2F`+svc.Slug+`%2Fantrag%2Fpruefen"`) {
					t.Fatalf("check page without a place: %d", w.Code)
				}
				if w := b.post("/onlinedienste/"+svc.Slug+"/antrag/absenden", url.Values{}); w.Code != http.StatusConflict || !strings.Contains(w.Body.String(), "error-summary-title") {
					t.Fatalf("submit without a place: %d", w.Code)
				}
				b.ort = &http.Cookie{Name: ortCookie, Value: demo.DemoGemeinde}
				w = b.get(next)
				body := w.Body.String()
				if w.Code != 200 || strings.Contains(body, "error-summary-title") || !strings.Contains(body, "Antrag verbindlich absenden") {
					t.Fatalf("check page: %d\n%s", w.Code, summaryRe.FindString(body))
				}
				checkPage(t, body)
				if !strings.Contains(body, "31.12.2024") || !strings.Contains(body, "Ändern") {
					t.Error("check page lacks German dates or change links")
				}
				if !strings.Contains(body, "Bürgerbüro Tübingen (Test)") {
					t.Error("check page does not name the authority")
				}
				w = b.post("/onlinedienste/"+svc.Slug+"/antrag/absenden", url.Values{})
				if w.Code != http.StatusSeeOther {
					t.Fatalf("submit: %d\n%s", w.Code, w.Body.String())
				}
				w = b.get(w.Header().Get("Location"))
				body = w.Body.String()
				ref := referenceRe.FindString(body)
				if w.Code != 200 || ref == "" || !strings.Contains(body, "Ihr Antrag ist eingegangen") {
					t.Fatalf("receipt: %d", w.Code)
				}
				checkPage(t, body)
				if !strings.Contains(body, "verschlüsselt an die zuständige Stelle übermittelt") || !strings.Contains(body, "eingang.pdf") {
					t.Error("receipt does not report the delivery or link the PDF")
				}
				w = b.get("/onlinedienste/" + svc.Slug + "/antrag/eingang.pdf")
				if w.Code != 200 || w.Header().Get("Content-Type") != "application/pdf" || !bytes.HasPrefix(w.Body.Bytes(), []byte("%PDF-")) {
					t.Errorf("receipt pdf: %d %s", w.Code, w.Header().Get("Content-Type"))
				}
				if meta := checkDelivered(t, ui, db, ref, m); svc.MinTrustLevel > identity.None {
					// A logged-in applicant's e-mail address is the reply channel.
					if meta.ReplyChannel == nil || meta.ReplyChannel.EMail == nil || meta.ReplyChannel.EMail.Address != "hoch-"+svc.Slug+"@example.org" {
						t.Errorf("reply channel: %+v", meta.ReplyChannel)
					}
				} else if meta.ReplyChannel != nil {
					t.Error("reply channel without a login")
				}
				// Stored once, with an audit record; the draft is gone.
				var n int
				if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM submissions WHERE reference = ?`, ref).Scan(&n); err != nil || n != 1 {
					t.Errorf("submission rows: %d %v", n, err)
				}
				if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM audit_log WHERE action = 'submission.received'`).Scan(&n); err != nil || n == 0 {
					t.Errorf("audit rows: %d %v", n, err)
				}
				// The start page now points to the receipt; the pages of the
				// draft are gone.
				if w := b.get("/onlinedienste/" + svc.Slug); !strings.Contains(w.Body.String(), "Eingangsbestätigung ansehen") {
					t.Error("start page does not link the receipt")
				}
				if w := b.get("/onlinedienste/" + svc.Slug + "/antrag/1"); w.Code != http.StatusNotFound {
					t.Errorf("page of a submitted draft: %d", w.Code)
				}
				if svc.MinTrustLevel > identity.None {
					// Another person with this browser's cookie (stolen,
					// say) does not see the receipt of the first.
					other := &browser{t: t, h: h, cookie: b.cookie, session: loginAs(t, ui, "andere-"+svc.Slug, identity.Hoch)}
					if w := other.get("/onlinedienste/" + svc.Slug + "/antrag/eingang"); w.Code != http.StatusNotFound {
						t.Errorf("receipt for another person: %d", w.Code)
					}
					if w := other.get("/onlinedienste/" + svc.Slug + "/antrag/eingang.pdf"); w.Code != http.StatusNotFound || bytes.HasPrefix(w.Body.Bytes(), []byte("%PDF")) {
						t.Errorf("receipt pdf for another person: %d", w.Code)
					}
				}
			})
		}
	})
}

func TestAntragErrorsAndRepeats(t *testing.T) {
	_, h := antragUI(t, dbtest.SQLite(t))
	b := &browser{t: t, h: h}
	base := "/onlinedienste/blaue-karte-eu/antrag"
	// Without a draft: a page that says so, not a crash.
	if w := b.get(base + "/1"); w.Code != http.StatusNotFound || !strings.Contains(w.Body.String(), "Kein Antrag gefunden") {
		t.Fatalf("no draft: %d", w.Code)
	}
	b.post(base, url.Values{})
	for _, p := range []string{"/0", "/13", "/01", "/x"} {
		if w := b.get(base + p); w.Code != http.StatusNotFound {
			t.Errorf("page %s: %d", p, w.Code)
		}
	}
	// Bad input: errors with the page title prefixed, answers kept.
	vals := url.Values{"aktion": {"weiter"}, "G00000630.F00000013": {"Mustermann"}, "G00000630.F00001017": {"abc"}}
	w := b.postMultipart(base+"/1", vals, map[string]string{"G00000630.F00001019": txtFile})
	body := w.Body.String()
	if w.Code != http.StatusUnprocessableEntity || !strings.Contains(body, "<title>Fehler: ") {
		t.Fatalf("bad input: %d", w.Code)
	}
	checkPage(t, body)
	for _, want := range []string{"Bitte geben Sie „Vorname“ an.", "Größe: Bitte geben Sie eine Zahl ein", "Diese Art von Datei ist hier nicht erlaubt",
		`value="Mustermann"`, `value="abc"`, `href="#f-G00000630-F00000065-0"`, `aria-invalid="true"`} {
		if !strings.Contains(body, html.EscapeString(want)) && !strings.Contains(body, want) {
			t.Errorf("error page lacks %q", want)
		}
	}
	// A real PDF is taken; the page then shows it.
	w = b.postMultipart(base+"/1", url.Values{"aktion": {"zurueck"}, "G00000630.F00000013": {"Mustermann"}}, map[string]string{"G00000630.F00001019": pdfFile})
	if w.Code != http.StatusSeeOther {
		t.Fatalf("upload: %d", w.Code)
	}
	if w := b.get(base + "/1"); !strings.Contains(w.Body.String(), "Hochgeladen: nachweis.pdf") || !strings.Contains(w.Body.String(), `value="Mustermann"`) {
		t.Error("page 1 lost the upload or the answers")
	}
	// Repeats: Kommunikation (1:*) on page 5 grows and shrinks.
	rep := "G00000642.G00000132.G00000016.G00000015"
	w = b.post(base+"/5", url.Values{"aktion": {"hinzufuegen:" + rep}, rep + ".0.F00000026": {"0711 1"}})
	if w.Code != http.StatusSeeOther || !strings.HasSuffix(w.Header().Get("Location"), "#f-"+strings.ReplaceAll(rep, ".", "-")+"-1") {
		t.Fatalf("add: %d %s", w.Code, w.Header().Get("Location"))
	}
	body = b.get(base + "/5").Body.String()
	if !strings.Contains(body, `name="`+rep+`.1.F00000026"`) || !strings.Contains(body, `value="0711 1"`) || !strings.Contains(body, "entfernen:"+rep+".1") {
		t.Fatal("second entry not shown")
	}
	if w := b.post(base+"/5", url.Values{"aktion": {"entfernen:" + rep + ".0"}}); w.Code != http.StatusSeeOther {
		t.Fatalf("remove: %d", w.Code)
	}
	body = b.get(base + "/5").Body.String()
	if strings.Contains(body, `name="`+rep+`.1.F00000026"`) {
		t.Error("entry not removed")
	}
	// Unknown or foreign actions are refused.
	for _, a := range []string{"hinzufuegen:G00000630.F00000013", "entfernen:" + rep + ".0", "loeschen", "hinzufuegen:" + rep + ".0.F00000026"} {
		if w := b.post(base+"/5", url.Values{"aktion": {a}}); w.Code != http.StatusBadRequest {
			t.Errorf("action %q: %d", a, w.Code)
		}
	}
	// The check page lists what is missing, with links to the pages.
	w = b.get(base + "/pruefen")
	if !strings.Contains(w.Body.String(), "error-summary-title") || !strings.Contains(w.Body.String(), base+"/2?pruefen=1#") {
		t.Error("check page does not list missing answers")
	}
	if w := b.post(base+"/absenden", url.Values{}); w.Code != http.StatusUnprocessableEntity {
		t.Errorf("incomplete submission: %d", w.Code)
	}
	// Another browser cannot read this draft.
	other := &browser{t: t, h: h, cookie: &http.Cookie{Name: antragCookie, Value: "d." + strings.Split(b.cookie.Value, ".")[1] + ".geraten"}}
	if w := other.get(base + "/1"); w.Code != http.StatusNotFound {
		t.Errorf("guessed secret: %d", w.Code)
	}
}
