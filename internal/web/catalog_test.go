package web

import (
	"context"
	"crypto/tls"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/ozgo/ozgo/internal/catalog"
	"github.com/ozgo/ozgo/internal/i18n"
	"github.com/ozgo/ozgo/internal/store"
	"github.com/ozgo/ozgo/internal/store/dbtest"
)

// Places and Leistungen of the fixture.
const (
	tuebingen   = "084160041041" // Tübingen, Universitätsstadt
	kiel        = "010020000000" // Kiel, Landeshauptstadt (kreisfreie Stadt)
	hundesteuer = "99102013000000"
	elterngeld  = "99041006000000"
	elterngeldB = "99041006151000" // Elterngeld Berechnung: nothing assigned
	steuerAmt   = "Steueramt Tübingen (Test)"
	elterngeldS = "Elterngeldstelle BW (Test)"
)

// loadCatalog fills db with the embedded catalog and regions and two
// authorities for Tübingen: one in the Gemeinde for the Hundesteuer (with
// an online service), one in the Land for Elterngeld.
func loadCatalog(t *testing.T, db *store.DB) *catalog.Service {
	t.Helper()
	ctx := context.Background()
	st := catalog.NewStore(db)
	regions, err := catalog.ParseRegions(catalog.EmbeddedRegions())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.ImportRegions(ctx, regions, nil); err != nil {
		t.Fatal(err)
	}
	cat, err := catalog.ParseCatalog(catalog.EmbeddedCatalog())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.ImportCatalog(ctx, cat, nil); err != nil {
		t.Fatal(err)
	}
	err = db.InTx(ctx, func(tx *store.Tx) error {
		id, err := st.CreateBehoerde(ctx, tx, catalog.Behoerde{
			Name: steuerAmt, RegionARS: tuebingen, Anschrift: "Am Markt 1, 72070 Tübingen",
			Telefon: "+49 7071 000001", Email: "steuern@tuebingen.example", Website: "https://tuebingen.example/steuern",
			Oeffnungszeiten: "Mo–Fr 8–12 Uhr",
		})
		if err != nil {
			return err
		}
		if err := st.Assign(ctx, tx, catalog.Assignment{LeistungRef: hundesteuer, RegionARS: tuebingen, BehoerdeID: id,
			OnlinedienstURL: "https://tuebingen.example/online/hundesteuer"}); err != nil {
			return err
		}
		id, err = st.CreateBehoerde(ctx, tx, catalog.Behoerde{Name: elterngeldS, RegionARS: "08"})
		if err != nil {
			return err
		}
		return st.Assign(ctx, tx, catalog.Assignment{LeistungRef: elterngeld, RegionARS: "08", BehoerdeID: id})
	})
	if err != nil {
		t.Fatal(err)
	}
	return catalog.NewService(st)
}

// catalogUI is a UI with the catalog loaded.
func catalogUI(t *testing.T) http.Handler {
	t.Helper()
	ui, h := newTestUI(t)
	ui.Catalog = loadCatalog(t, dbtest.SQLite(t))
	return h
}

type request struct {
	method, target string
	form           url.Values
	cookie         string // value of ozgo_ort
	header         http.Header
	tls            bool
}

func do(h http.Handler, rq request) *httptest.ResponseRecorder {
	var r *http.Request
	if rq.form != nil {
		r = httptest.NewRequest(rq.method, rq.target, strings.NewReader(rq.form.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	} else {
		r = httptest.NewRequest(rq.method, rq.target, nil)
	}
	for k, v := range rq.header {
		r.Header[k] = v
	}
	if rq.cookie != "" {
		r.AddCookie(&http.Cookie{Name: ortCookie, Value: rq.cookie})
	}
	if rq.tls {
		r.TLS = &tls.ConnectionState{}
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func get(h http.Handler, target, cookie string) *httptest.ResponseRecorder {
	return do(h, request{method: "GET", target: target, cookie: cookie})
}

var (
	h1CountRe = regexp.MustCompile(`<h1[ >]`)
	headingRe = regexp.MustCompile(`<h([1-6])[ >]`)
)

// checkPage checks what every page must have.
func checkPage(t *testing.T, body string) {
	t.Helper()
	if n := len(h1CountRe.FindAllString(body, -1)); n != 1 {
		t.Errorf("%d <h1>, want exactly one", n)
	}
	// Headings never skip a level on the way down. Only the error summary
	// (GOV.UK pattern) comes before the h1.
	prev := 0
	for _, m := range headingRe.FindAllStringSubmatch(body, -1) {
		lvl := int(m[1][0] - '0')
		if prev == 0 && lvl != 1 {
			continue
		}
		if lvl > prev+1 {
			t.Errorf("heading h%d follows h%d", lvl, prev)
		}
		prev = lvl
	}
	if strings.Contains(body, "⟦") {
		t.Error("page shows a missing catalog key")
	}
	if strings.Contains(body, "<script") || strings.Contains(body, "style=") {
		t.Error("inline script or style: the CSP would block it")
	}
	if strings.Contains(body, "ZgotmplZ") {
		t.Error("html/template rejected a value (ZgotmplZ)")
	}
}

func titleOf(body string) string {
	m := titleRe.FindStringSubmatch(body)
	if m == nil {
		return ""
	}
	return html.UnescapeString(m[1])
}

func TestCatalog(t *testing.T) {
	h := catalogUI(t)

	t.Run("pages", func(t *testing.T) {
		tests := []struct {
			path, cookie string
			status       int
			title        string
		}{
			{"/", "", 200, "Startseite – ozgo"},
			{"/", tuebingen, 200, "Startseite – ozgo"},
			{"/themenfelder/6", "", 200, "Familie & Kind – ozgo"},
			{"/themenfelder/999", "", 404, "Seite nicht gefunden – ozgo"},
			{"/themenfelder/0", "", 400, "Ungültige Anfrage – ozgo"},
			{"/themenfelder/06", "", 400, "Ungültige Anfrage – ozgo"},
			{"/themenfelder/abc", "", 400, "Ungültige Anfrage – ozgo"},
			{"/themenfelder/99999999999999999999", "", 400, "Ungültige Anfrage – ozgo"},
			{"/lebenslagen/50", "", 200, "Unternehmensstart & Gewerbezulassung – ozgo"},
			{"/lebenslagen/9999", "", 404, "Seite nicht gefunden – ozgo"},
			{"/lebenslagen/-1", "", 400, "Ungültige Anfrage – ozgo"},
			{"/leistungen/" + hundesteuer, "", 200, "Hundesteuer – ozgo"},
			{"/leistungen/" + hundesteuer, tuebingen, 200, "Hundesteuer – ozgo"},
			{"/leistungen/" + elterngeldB, kiel, 200, "Elterngeld Berechnung – ozgo"},
			{"/leistungen/" + hundesteuer, "not-an-ars", 200, "Hundesteuer – ozgo"},
			{"/leistungen/" + hundesteuer, "08416", 200, "Hundesteuer – ozgo"},
			{"/leistungen/99999999999999", "", 404, "Seite nicht gefunden – ozgo"},
			{"/leistungen/x0000000000000", "", 404, "Seite nicht gefunden – ozgo"},
			{"/leistungen/X0000000000000", "", 400, "Ungültige Anfrage – ozgo"},
			{"/leistungen/9910201300000", "", 400, "Ungültige Anfrage – ozgo"},
			{"/leistungen/%3Cscript%3E", "", 400, "Ungültige Anfrage – ozgo"},
			{"/suche", "", 200, "Leistungen suchen – ozgo"},
			{"/suche?q=+", "", 200, "Leistungen suchen – ozgo"}, // blank is no query
			{"/suche?q=Hund", "", 200, "Suche: Hund – ozgo"},
			{"/suche?q=Antrag&seite=2", "", 200, "Suche: Antrag (Seite 2) – ozgo"},
			{"/suche?q=Antrag&seite=1", "", 200, "Suche: Antrag – ozgo"},
			{"/suche?q=Antrag&seite=999", "", 404, "Suche: Antrag (Seite 999 gibt es nicht) – ozgo"},
			{"/suche?q=Antrag&seite=0", "", 400, "Ungültige Anfrage – ozgo"},
			{"/suche?q=Antrag&seite=-1", "", 400, "Ungültige Anfrage – ozgo"},
			{"/suche?q=Antrag&seite=abc", "", 400, "Ungültige Anfrage – ozgo"},
			{"/suche?q=Antrag&seite=2&seite=3", "", 400, "Ungültige Anfrage – ozgo"},
			{"/suche?q=Antrag&seite=99999999999", "", 400, "Ungültige Anfrage – ozgo"},
			{"/suche?q=qqxyzzyqq", "", 200, "Suche: qqxyzzyqq (keine Treffer) – ozgo"},
			{"/suche?q=%3Cqqxyzzy%3E", "", 200, "Suche: <qqxyzzy> (keine Treffer) – ozgo"},
			{"/suche?q=%FF%FE", "", 200, "Leistungen suchen – ozgo"}, // invalid UTF-8 dropped
			{"/regionen", "", 200, "Regionen – ozgo"},
			{"/regionen", tuebingen, 200, "Regionen – ozgo"},
			{"/regionen?q=T%C3%BCbingen", "", 200, "Regionensuche: Tübingen – ozgo"},
			{"/regionen?q=Neustadt&seite=2", "", 200, "Regionensuche: Neustadt (Seite 2) – ozgo"},
			{"/regionen?q=Neustadt&seite=500", "", 404, "Regionensuche: Neustadt (Seite 500 gibt es nicht) – ozgo"},
			{"/regionen?q=qqxyzzyqq", "", 200, "Regionensuche: qqxyzzyqq (keine Treffer) – ozgo"},
			{"/regionen?q=x&seite=x", "", 400, "Ungültige Anfrage – ozgo"},
			{"/regionen/" + tuebingen, "", 200, "Tübingen, Universitätsstadt (Gemeinde) – ozgo"},
			{"/regionen/" + tuebingen, tuebingen, 200, "Tübingen, Universitätsstadt (Gemeinde) – ozgo"},
			{"/regionen/084160041", "", 200, "Tübingen, Universitätsstadt (Gemeindeverband) – ozgo"},
			{"/regionen/08416", "", 200, "Tübingen (Kreis) – ozgo"},
			{"/regionen/084", "", 200, "Reg.-Bez. Tübingen (Regierungsbezirk) – ozgo"},
			{"/regionen/08", "", 200, "Baden-Württemberg (Land) – ozgo"},
			{"/regionen/01002", "", 200, "Kiel, Landeshauptstadt (Kreis) – ozgo"},
			{"/regionen/99", "", 404, "Seite nicht gefunden – ozgo"},
			{"/regionen/0841600410", "", 400, "Ungültige Anfrage – ozgo"},
			{"/regionen/abc", "", 400, "Ungültige Anfrage – ozgo"},
			{"/ort", "", 200, "Wohnort wählen – ozgo"},
			{"/ort", tuebingen, 200, "Wohnort wählen – ozgo"},
			{"/ort?ort=", "", 422, "Fehler: Wohnort wählen – ozgo"},
			{"/ort?ort=++", "", 422, "Fehler: Wohnort wählen – ozgo"},
			{"/ort?ort=qqxyzzyqq", "", 422, "Fehler: Wohnort wählen – ozgo"},
			{"/ort?ort=72070", "", 200, "Wohnort wählen: 72070 – ozgo"},
			{"/ort?ort=Neustadt&zurueck=//evil.example", "", 200, "Wohnort wählen: Neustadt – ozgo"},
		}
		seen := map[string]string{}
		for _, tt := range tests {
			t.Run(tt.path+"@"+tt.cookie, func(t *testing.T) {
				w := get(h, tt.path, tt.cookie)
				body := w.Body.String()
				if w.Code != tt.status {
					t.Fatalf("status %d, want %d", w.Code, tt.status)
				}
				if got := titleOf(body); got != tt.title {
					t.Errorf("title %q, want %q", got, tt.title)
				}
				checkPage(t, body)
			})
			// Different pages have different titles.
			if tt.status == 200 {
				if p, dup := seen[tt.title]; dup && p != tt.path && !strings.HasPrefix(tt.path, "/suche?q=%FF") && tt.path != "/suche?q=+" {
					t.Errorf("%s and %s share the title %q", p, tt.path, tt.title)
				}
				seen[tt.title] = tt.path
			}
		}
	})

	t.Run("start page lists the Themenfelder and the place", func(t *testing.T) {
		body := get(h, "/", "").Body.String()
		if n := strings.Count(body, `href="/themenfelder/`); n != 14 {
			t.Errorf("%d Themenfeld links, want 14", n)
		}
		for _, want := range []string{`action="/suche"`, `name="q"`, `<label class="kern-label" for="q">`, `href="/ort?zurueck=%2F"`} {
			if !strings.Contains(body, want) {
				t.Errorf("start page lacks %s", want)
			}
		}
		body = get(h, "/", tuebingen).Body.String()
		if !strings.Contains(body, "Tübingen, Universitätsstadt") || !strings.Contains(body, `action="/ort/vergessen"`) {
			t.Error("start page does not name the chosen place or offer to forget it")
		}
	})

	t.Run("navigation marks the current section", func(t *testing.T) {
		for path, want := range map[string]string{
			"/":                          `href="/" aria-current="page"`,
			"/suche":                     `href="/suche" aria-current="page"`,
			"/leistungen/" + hundesteuer: `href="/suche" aria-current="true"`,
			"/regionen":                  `href="/regionen" aria-current="page"`,
			"/regionen/08":               `href="/regionen" aria-current="true"`,
		} {
			if body := get(h, path, "").Body.String(); !strings.Contains(body, want) {
				t.Errorf("%s: navigation lacks %s", path, want)
			}
		}
	})

	t.Run("Elterngeld search lists the bare Elterngeld first", func(t *testing.T) {
		body := get(h, "/suche?q=Elterngeld", "").Body.String()
		re := regexp.MustCompile(`class="kern-link ozgo-results__title" href="/leistungen/([^"]+)">([^<]+)</a>`)
		m := re.FindAllStringSubmatch(body, -1)
		if len(m) == 0 {
			t.Fatal("no hits")
		}
		if m[0][1] != elterngeld || m[0][2] != "Elterngeld" {
			t.Errorf("first hit %s %q, want %s Elterngeld", m[0][1], m[0][2], elterngeld)
		}
		if !strings.Contains(body, "Treffer für „Elterngeld“") || !strings.Contains(body, "LeiKa "+elterngeld) {
			t.Error("count or LeiKa key missing")
		}
		if !strings.Contains(body, `value="Elterngeld"`) {
			t.Error("search form not pre-filled")
		}
	})

	t.Run("search paging", func(t *testing.T) {
		body := get(h, "/suche?q=Antrag", "").Body.String()
		if strings.Contains(body, `rel="prev"`) || !strings.Contains(body, `href="/suche?q=Antrag&amp;seite=2" rel="next"`) {
			t.Error("first page: want a next link to page 2 and no previous link")
		}
		if n := strings.Count(body, `class="ozgo-results__item"`); n != perPage {
			t.Errorf("%d hits on the first page, want %d", n, perPage)
		}
		body = get(h, "/suche?q=Antrag&seite=2", "").Body.String()
		for _, want := range []string{`href="/suche?q=Antrag" rel="prev"`, `rel="next"`, `aria-current="page" aria-label="Seite 2"`, "Treffer 21 bis 40"} {
			if !strings.Contains(body, want) {
				t.Errorf("page 2 lacks %s", want)
			}
		}
		body = get(h, "/suche?q=Antrag&seite=999", "").Body.String()
		if !strings.Contains(body, `href="/suche?q=Antrag"`) {
			t.Error("page out of range does not link to the first page")
		}
	})

	t.Run("user input is escaped", func(t *testing.T) {
		for _, p := range []string{"/suche?q=%3Cscript%3Ealert(1)%3C/script%3E", "/regionen?q=%3Cscript%3E", "/ort?ort=%3Cscript%3E", "/ort?ort=%22%3E%3Cscript%3E"} {
			if body := get(h, p, "").Body.String(); strings.Contains(body, "<script") {
				t.Errorf("%s: unescaped input", p)
			}
		}
	})

	t.Run("Leistung page", func(t *testing.T) {
		body := get(h, "/leistungen/"+hundesteuer, "").Body.String()
		for _, want := range []string{
			">Hundesteuer</h1>", hundesteuer, "Regelung und Vollzug durch die Länder (Typ 4)",
			`href="/themenfelder/`, `href="/lebenslagen/`, `aria-current="page"`, `aria-label="Brotkrumenpfad"`,
			// No place chosen: the form to choose it.
			`action="/ort" method="get"`, `name="zurueck" value="/leistungen/` + hundesteuer + `"`,
			"Ihr Wohnort (Name oder Postleitzahl)", `name="ort"`,
		} {
			if !strings.Contains(body, want) {
				t.Errorf("lacks %q", want)
			}
		}
		body = get(h, "/leistungen/"+elterngeld, "").Body.String()
		if !strings.Contains(body, "BEEG") {
			t.Error("legal basis missing")
		}
		// A keyless entry says it has no key.
		keyless := ""
		if m := regexp.MustCompile(`/leistungen/(x[0-9a-f]{13})`).FindStringSubmatch(get(h, "/suche?q=Antrag", "").Body.String()); m != nil {
			keyless = m[1]
		}
		if keyless == "" {
			t.Fatal("no keyless Leistung found")
		}
		if body := get(h, "/leistungen/"+keyless, "").Body.String(); !strings.Contains(body, "kein Schlüssel hinterlegt") {
			t.Error("keyless Leistung does not say it has no key")
		}
	})

	t.Run("Zuständigkeit at the chosen place", func(t *testing.T) {
		body := get(h, "/leistungen/"+hundesteuer, tuebingen).Body.String()
		for _, want := range []string{
			steuerAmt, "Am Markt 1, 72070 Tübingen", `href="tel:&#43;497071000001"`, `href="mailto:steuern@tuebingen.example"`,
			`href="https://tuebingen.example/steuern"`, "Mo–Fr 8–12 Uhr",
			`href="https://tuebingen.example/online/hundesteuer"`, "Zum Onlinedienst „Hundesteuer“",
			"Wohnort ändern", `action="/ort/vergessen"`,
		} {
			if !strings.Contains(body, want) {
				t.Errorf("Hundesteuer in Tübingen lacks %q", want)
			}
		}
		if strings.Contains(body, `name="ort"`) {
			t.Error("place chosen, but the form asks for it again")
		}
		body = get(h, "/leistungen/"+elterngeld, tuebingen).Body.String()
		if !strings.Contains(body, elterngeldS) || !strings.Contains(body, "Baden-Württemberg") || !strings.Contains(body, "noch kein Onlinedienst") {
			t.Error("Elterngeld in Tübingen: want the Land's authority and no online service")
		}
		body = get(h, "/leistungen/"+elterngeldB, tuebingen).Body.String()
		for _, want := range []string{"Zuständig ist in der Regel die Kreisverwaltung", "Tübingen (Landkreis)", "abgeleitet", "keine zuständige Stelle hinterlegt", "noch kein Onlinedienst"} {
			if !strings.Contains(body, want) {
				t.Errorf("derived answer lacks %q", want)
			}
		}
		body = get(h, "/leistungen/"+elterngeldB, kiel).Body.String()
		if !strings.Contains(body, "kreisfreien Stadt Kiel, Landeshauptstadt") {
			t.Error("derived answer for a kreisfreie Stadt does not name the city")
		}
		// A cookie that is not a Gemeinde counts as no place.
		for _, c := range []string{"08416", "999999999999", "abc"} {
			if body := get(h, "/leistungen/"+hundesteuer, c).Body.String(); !strings.Contains(body, `name="ort"`) {
				t.Errorf("cookie %q: want the form to choose the place", c)
			}
		}
	})

	t.Run("choosing the Gemeinde", func(t *testing.T) {
		back := "/leistungen/" + hundesteuer
		for _, q := range []string{"T%C3%BCbingen", "72070", "tuebingen"} {
			body := get(h, "/ort?ort="+q+"&zurueck="+url.QueryEscape(back), "").Body.String()
			for _, want := range []string{
				`action="/ort" method="post"`, `name="ars" value="` + tuebingen + `"`, `name="zurueck" value="` + back + `"`,
				"Tübingen, Universitätsstadt", "PLZ 72070", "Tübingen (Landkreis)", "Baden-Württemberg", "Zurück zu „Hundesteuer“",
			} {
				if !strings.Contains(body, want) {
					t.Errorf("ort=%s: lacks %q", q, want)
				}
			}
		}
		// Same-named places are told apart by Kreis and Land.
		body := get(h, "/ort?ort=Neustadt", "").Body.String()
		if strings.Count(body, `name="ars"`) < 5 || !strings.Contains(body, "Rheinland-Pfalz") || !strings.Contains(body, "Bayern") {
			t.Error("Neustadt: want many places with their Land")
		}
		// No match: error summary linking to the field.
		body = get(h, "/ort?ort=qqxyzzyqq", "").Body.String()
		for _, want := range []string{`href="#ort"`, `aria-invalid="true"`, `id="ort-error"`, "Es gibt ein Problem", "keinen Ort „qqxyzzyqq“"} {
			if !strings.Contains(body, want) {
				t.Errorf("no match: lacks %q", want)
			}
		}

		w := do(h, request{method: "POST", target: "/ort", form: url.Values{"ars": {tuebingen}, "zurueck": {back}}})
		if w.Code != http.StatusSeeOther || w.Header().Get("Location") != back {
			t.Fatalf("POST /ort: %d to %q", w.Code, w.Header().Get("Location"))
		}
		c := w.Result().Cookies()
		if len(c) != 1 || c[0].Name != ortCookie || c[0].Value != tuebingen || c[0].Path != "/" || !c[0].HttpOnly ||
			c[0].SameSite != http.SameSiteLaxMode || c[0].MaxAge != 365*24*60*60 || c[0].Secure {
			t.Errorf("cookie %+v", c)
		}
		for _, rq := range []request{
			{method: "POST", target: "/ort", form: url.Values{"ars": {tuebingen}}, tls: true},
			{method: "POST", target: "/ort", form: url.Values{"ars": {tuebingen}}, header: http.Header{"X-Forwarded-Proto": {"https"}}},
		} {
			w := do(h, rq)
			if c := w.Result().Cookies(); len(c) != 1 || !c[0].Secure {
				t.Errorf("HTTPS: cookie not Secure: %+v", c)
			}
			if w.Header().Get("Location") != "/" {
				t.Errorf("no zurueck: redirect to %q, want /", w.Header().Get("Location"))
			}
		}

		for _, evil := range []string{"//evil.example", "/\\evil.example", "\\\\evil.example", "https://evil.example", "http:evil.example",
			"javascript:alert(1)", "evil.example", "/\t/evil.example", "/\n/evil.example", " //evil.example", "///evil.example", ""} {
			w := do(h, request{method: "POST", target: "/ort", form: url.Values{"ars": {tuebingen}, "zurueck": {evil}}})
			if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/" {
				t.Errorf("zurueck=%q: %d to %q, want / (no open redirect)", evil, w.Code, w.Header().Get("Location"))
			}
		}

		for _, ars := range []string{"", "08416", "084160041", "999999999999", "08416004104x", "0841600410411"} {
			w := do(h, request{method: "POST", target: "/ort", form: url.Values{"ars": {ars}, "zurueck": {back}}})
			if w.Code != http.StatusBadRequest || len(w.Result().Cookies()) != 0 {
				t.Errorf("ars=%q: %d, cookies %v; want 400 and no cookie", ars, w.Code, w.Result().Cookies())
			}
			checkPage(t, w.Body.String())
		}

		w = do(h, request{method: "POST", target: "/ort/vergessen", form: url.Values{"zurueck": {back}}, cookie: tuebingen})
		c = w.Result().Cookies()
		if w.Code != http.StatusSeeOther || w.Header().Get("Location") != back || len(c) != 1 || c[0].Name != ortCookie || c[0].MaxAge >= 0 {
			t.Errorf("forget: %d to %q, cookies %+v", w.Code, w.Header().Get("Location"), c)
		}
		w = do(h, request{method: "POST", target: "/ort/vergessen", form: url.Values{"zurueck": {"//evil.example"}}})
		if w.Header().Get("Location") != "/" {
			t.Errorf("forget: open redirect to %q", w.Header().Get("Location"))
		}
		if w := get(h, "/ort/vergessen", ""); w.Code != http.StatusMethodNotAllowed {
			t.Errorf("GET /ort/vergessen: %d, want 405", w.Code)
		}
	})

	t.Run("region page", func(t *testing.T) {
		body := get(h, "/regionen/"+tuebingen, "").Body.String()
		for _, want := range []string{
			"Große Kreisstadt", "72070", "91.506", "108,06 km²", tuebingen, "08416041",
			`href="/regionen/08"`, `href="/regionen/08416"`, `href="/regionen/084"`, `href="/regionen/084160041"`,
			steuerAmt, elterngeldS, `href="/leistungen/` + hundesteuer + `"`, `href="https://tuebingen.example/online/hundesteuer"`,
			`name="ars" value="` + tuebingen + `"`,
		} {
			if !strings.Contains(body, want) {
				t.Errorf("Tübingen lacks %q", want)
			}
		}
		if i, j := strings.Index(body, steuerAmt), strings.Index(body, elterngeldS); i > j {
			t.Error("authorities: want the nearest first")
		}
		if strings.Contains(body, `href="/leistungen/`+elterngeld+`"`) {
			t.Error("Elterngeld has no online service but is listed as one")
		}
		body = get(h, "/regionen/08416", "").Body.String()
		for _, want := range []string{"Gemeinden (15)", `href="/regionen/` + tuebingen + `"`, "Gemeindeverbände (3)", "Verwaltungsverband"} {
			if !strings.Contains(body, want) {
				t.Errorf("Kreis Tübingen lacks %q", want)
			}
		}
		if strings.Contains(body, steuerAmt) {
			t.Error("the Kreis lists an authority of one of its Gemeinden")
		}
		body = get(h, "/regionen/08", "").Body.String()
		if !strings.Contains(body, "Regierungsbezirke (4)") {
			t.Error("Baden-Württemberg does not list its Regierungsbezirke")
		}
		body = get(h, "/regionen", "").Body.String()
		if n := strings.Count(body, `<li><a class="kern-link" href="/regionen/`); n != 16 {
			t.Errorf("%d Länder, want 16", n)
		}
		body = get(h, "/regionen?q=72070", "").Body.String()
		if !strings.Contains(body, `href="/regionen/`+tuebingen+`"`) {
			t.Error("region search by postcode does not find Tübingen")
		}
	})

	t.Run("Themenfeld and Lebenslage", func(t *testing.T) {
		body := get(h, "/themenfelder/6", "").Body.String()
		if !strings.Contains(body, `href="/lebenslagen/`) || !strings.Contains(body, ">Geburt</a>") {
			t.Error("Familie & Kind does not list Geburt")
		}
		m := regexp.MustCompile(`href="/lebenslagen/(\d+)">Geburt<`).FindStringSubmatch(body)
		if m == nil {
			t.Fatal("no link to Geburt")
		}
		body = get(h, "/lebenslagen/"+m[1], "").Body.String()
		for _, want := range []string{`href="/leistungen/` + elterngeld + `"`, `id="ozg-10000"`, `href="/themenfelder/6"`, `aria-current="page"`} {
			if !strings.Contains(body, want) {
				t.Errorf("Geburt lacks %q", want)
			}
		}
		// A long group keeps its tail in a disclosure.
		if body := get(h, "/lebenslagen/50", "").Body.String(); !strings.Contains(body, `<details class="kern-accordion">`) {
			t.Error("long groups are not collapsed")
		}
	})

	t.Run("HEAD", func(t *testing.T) {
		w := do(h, request{method: "HEAD", target: "/leistungen/" + hundesteuer})
		if w.Code != 200 || w.Body.Len() != 0 {
			t.Errorf("HEAD: %d, %d bytes", w.Code, w.Body.Len())
		}
	})
}

func TestCatalogUnavailable(t *testing.T) {
	_, h := newTestUI(t) // no catalog
	for _, p := range []string{"/suche?q=Hund", "/leistungen/" + hundesteuer, "/regionen/08", "/ort?ort=x"} {
		if w := get(h, p, ""); w.Code != http.StatusServiceUnavailable {
			t.Errorf("%s without catalog: %d, want 503", p, w.Code)
		}
	}
	if w := get(h, "/", ""); w.Code != 200 || !strings.Contains(w.Body.String(), "noch nicht geladen") {
		t.Errorf("start page without catalog: %d", w.Code)
	}
}

func TestSafeReturn(t *testing.T) {
	for in, want := range map[string]string{
		"/":                             "/",
		"/leistungen/99102013000000":    "/leistungen/99102013000000",
		"/suche?q=Hund&seite=2":         "/suche?q=Hund&seite=2",
		"/a/../b":                       "/a/../b",
		"":                              "/",
		"//evil.example":                "/",
		"///evil.example":               "/",
		"/\\evil.example":               "/",
		"\\/evil.example":               "/",
		"/\t/evil.example":              "/",
		"/\r\n/evil.example":            "/",
		"https://evil.example":          "/",
		"javascript:alert(1)":           "/",
		"evil.example":                  "/",
		"/ü":                            "/",
		"/" + strings.Repeat("a", 2000): "/",
	} {
		if got := safeReturn(in); got != want {
			t.Errorf("safeReturn(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzSafeReturn(f *testing.F) {
	for _, s := range []string{"/", "//x", "/\\x", "/a?b=c", "https://x", "/%2F%2Fx", "/\t/x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := safeReturn(s)
		if got != "/" && got != s {
			t.Fatalf("safeReturn(%q) = %q: neither the input nor /", s, got)
		}
		u, err := url.Parse(got)
		if err != nil || u.Scheme != "" || u.Host != "" || !strings.HasPrefix(got, "/") || strings.HasPrefix(got, "//") || strings.ContainsAny(got, "\\\t\r\n ") {
			t.Fatalf("safeReturn(%q) = %q leaves the site", s, got)
		}
	})
}

func TestValidRefAndARS(t *testing.T) {
	for s, want := range map[string]bool{
		"99102013000000": true, "x0123456789abc": true, "9910201300000": false, "991020130000000": false,
		"x0123456789ABC": false, "y0123456789abc": false, "x0123456789abg": false, "": false, "9910201300000a": false,
	} {
		if catalog.ValidRef(s) != want {
			t.Errorf("catalog.ValidRef(%q) != %v", s, want)
		}
	}
	for s, want := range map[string]bool{
		"08": true, "084": true, "08416": true, "084160041": true, "084160041041": true,
		"0": false, "0841": false, "0841600410": false, "08416004104a": false, "": false,
	} {
		if catalog.ValidARS(s) != want {
			t.Errorf("catalog.ValidARS(%q) != %v", s, want)
		}
	}
}

func TestPager(t *testing.T) {
	nums := func(p pager) string {
		var b strings.Builder
		for _, l := range p.Links {
			switch {
			case l.Gap:
				b.WriteString("… ")
			case l.Current:
				b.WriteString("[" + itoa(l.N) + "] ")
			default:
				b.WriteString(itoa(l.N) + " ")
			}
		}
		return strings.TrimSpace(b.String())
	}
	params := url.Values{"q": {"Hund & Katze"}}
	for _, tt := range []struct {
		page, total int
		want        string
	}{
		{1, 0, ""},
		{1, 20, ""},
		{1, 21, "[1] 2"},
		{1, 200, "[1] 2 … 10"},
		{4, 200, "1 2 3 [4] 5 … 10"},
		{5, 200, "1 … 4 [5] 6 … 10"},
		{10, 200, "1 … 9 [10]"},
		{7, 200, "1 … 6 [7] 8 9 10"},
	} {
		p := newPager("/suche", params, tt.page, tt.total)
		if got := nums(p); got != tt.want {
			t.Errorf("page %d of %d hits: %q, want %q", tt.page, tt.total, got, tt.want)
		}
	}
	p := newPager("/suche", params, 2, 100)
	if p.Prev != "/suche?q=Hund+%26+Katze" || p.Next != "/suche?q=Hund+%26+Katze&seite=3" || p.PrevN != 1 || p.NextN != 3 {
		t.Errorf("prev %q (%d), next %q (%d)", p.Prev, p.PrevN, p.Next, p.NextN)
	}
	if p := newPager("/suche", params, 5, 100); p.Next != "" || p.Prev == "" {
		t.Errorf("last page: prev %q, next %q", p.Prev, p.Next)
	}
}

func itoa(n int) string { return formatInt(n) }

func TestFormatting(t *testing.T) {
	big, f1, f2, f3 := int64(1234567), 108.06, 0.5, 1000.0
	for _, tt := range []struct{ got, want string }{
		{formatInt(0), "0"}, {formatInt(999), "999"}, {formatInt(1000), "1.000"}, {formatInt(&big), "1.234.567"},
		{formatInt(-91506), "-91.506"}, {formatInt((*int64)(nil)), ""},
		{formatDecimal(&f1), "108,06"}, {formatDecimal(&f2), "0,5"}, {formatDecimal(&f3), "1.000"}, {formatDecimal(nil), ""},
		{string(telURL("+49 7071 000000")), "tel:+497071000000"}, {string(telURL("(07071) 20-0")), "tel:07071200"},
		{string(telURL("keine")), ""}, {string(telURL("0800 +1")), "tel:08001"},
	} {
		if tt.got != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
}

// Keys composed in Go must exist too.
func TestComposedKeysExist(t *testing.T) {
	cat := i18n.MustLoad()
	var keys []string
	for _, e := range catalog.Ebenen {
		keys = append(keys, "region.ebene."+string(e), "zust.derived."+string(e), "region.children."+string(e))
	}
	keys = append(keys, "zust.derived.bund", "zust.derived.kreisfreie_stadt", "zust.derived.kreis")
	for _, k := range keys {
		if !cat.Has(k) {
			t.Errorf("missing key %q", k)
		}
	}
}
