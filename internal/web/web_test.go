package web

import (
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/ozgo/ozgo/internal/errs"
	"github.com/ozgo/ozgo/internal/httpx"
	"github.com/ozgo/ozgo/internal/i18n"
)

func newTestUI(t *testing.T) (*UI, http.Handler) {
	t.Helper()
	ui, err := New(i18n.MustLoad(), slog.New(slog.DiscardHandler), "test-1")
	if err != nil {
		t.Fatal(err)
	}
	rt := httpx.NewRouter(http.HandlerFunc(ui.NotFound), http.HandlerFunc(ui.MethodNotAllowed))
	ui.Register(rt)
	rt.HandleFunc("GET /kaputt", func(w http.ResponseWriter, r *http.Request) {
		ui.RenderError(w, r, errs.Wrap(errs.Internal, "test", errors.New("password=hunter2 in SQL"), "geheim"))
	})
	rt.HandleFunc("GET /ungueltig", func(w http.ResponseWriter, r *http.Request) {
		ui.RenderError(w, r, errs.FieldError("plz", "Bitte geben Sie eine fünfstellige Postleitzahl an."))
	})
	return ui, rt
}

func serve(h http.Handler, method, target string) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(method, target, nil))
	return w
}

var (
	titleRe = regexp.MustCompile(`<title>([^<]*)</title>`)
	h1Re    = regexp.MustCompile(`<h1[^>]*>([^<]*)</h1>`)
)

func TestPages(t *testing.T) {
	_, h := newTestUI(t)
	tests := []struct {
		path, title, h1 string
		status          int
	}{
		{"/", "Startseite – ozgo", "Verwaltungsleistungen online erledigen", 200},
		{"/gibt-es-nicht", "Seite nicht gefunden – ozgo", "Seite nicht gefunden", 404},
		{"/kaputt", "Technischer Fehler – ozgo", "Technischer Fehler", 500},
		{"/ungueltig", "Eingabe fehlerhaft – ozgo", "Eingabe fehlerhaft", 422},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			w := serve(h, "GET", tt.path)
			body := w.Body.String()
			if w.Code != tt.status {
				t.Fatalf("status %d, want %d", w.Code, tt.status)
			}
			if m := titleRe.FindStringSubmatch(body); m == nil || m[1] != tt.title {
				t.Errorf("title %v, want %q", m, tt.title)
			}
			if m := h1Re.FindStringSubmatch(body); m == nil || m[1] != tt.h1 {
				t.Errorf("h1 %v, want %q", m, tt.h1)
			}
			for _, want := range []string{`<html lang="de"`, `href="#main"`, `<main id="main"`, "Zum Inhalt springen", "Version test-1"} {
				if !strings.Contains(body, want) {
					t.Errorf("page lacks %q", want)
				}
			}
			if strings.Contains(body, "⟦") {
				t.Error("page shows a missing catalog key")
			}
			if strings.Contains(body, "<script") || strings.Contains(body, "style=") {
				t.Error("inline script or style: the CSP would block it")
			}
		})
	}
}

func TestInternalErrorHidesDetails(t *testing.T) {
	_, h := newTestUI(t)
	body := serve(h, "GET", "/kaputt").Body.String()
	for _, leak := range []string{"hunter2", "SQL", "geheim"} {
		if strings.Contains(body, leak) {
			t.Errorf("error page leaks %q", leak)
		}
	}
	if !strings.Contains(body, "nicht verloren") {
		t.Error("error page does not reassure that saved data is kept")
	}
}

func TestFieldErrorMessageShown(t *testing.T) {
	_, h := newTestUI(t)
	if body := serve(h, "GET", "/ungueltig").Body.String(); !strings.Contains(body, "fünfstellige Postleitzahl") {
		t.Error("validation message missing")
	}
}

func TestMethodNotAllowedPage(t *testing.T) {
	_, h := newTestUI(t)
	w := serve(h, "POST", "/")
	if w.Code != 405 || !strings.Contains(w.Body.String(), "Methode nicht erlaubt") || w.Header().Get("Allow") == "" {
		t.Fatalf("POST /: %d Allow=%q", w.Code, w.Header().Get("Allow"))
	}
}

func TestHeadHasNoBody(t *testing.T) {
	_, h := newTestUI(t)
	w := serve(h, "HEAD", "/")
	if w.Code != 200 || w.Body.Len() != 0 {
		t.Fatalf("HEAD: %d, %d bytes", w.Code, w.Body.Len())
	}
}

func TestStaticAssets(t *testing.T) {
	ui, h := newTestUI(t)
	url, err := ui.assetURL("css/ozgo.css")
	if err != nil {
		t.Fatal(err)
	}
	w := serve(h, "GET", url)
	if w.Code != 200 || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/css") || !strings.Contains(w.Header().Get("Cache-Control"), "immutable") {
		t.Fatalf("versioned asset: %d %s %s", w.Code, w.Header().Get("Content-Type"), w.Header().Get("Cache-Control"))
	}
	w = serve(h, "GET", "/static/vendor/kern-ux/fonts/fira-sans/FiraSans-Regular.woff2")
	if w.Code != 200 || w.Header().Get("Content-Type") != "font/woff2" || strings.Contains(w.Header().Get("Cache-Control"), "immutable") {
		t.Fatalf("font: %d %s %s", w.Code, w.Header().Get("Content-Type"), w.Header().Get("Cache-Control"))
	}
	for _, p := range []string{"/static/", "/static/vendor/", "/static/vendor/kern-ux/", "/static/nope.css", "/static/%2e%2e/web.go"} {
		if w := serve(h, "GET", p); w.Code != 404 {
			t.Errorf("%s: %d, want 404 (no listings, no escapes)", p, w.Code)
		}
	}
	// ServeMux redirects unclean paths to their clean form, which is outside /static/.
	if w := serve(h, "GET", "/static/../web.go"); w.Code == 200 {
		t.Error("path escape served a file")
	}
	if w := serve(h, "GET", "/favicon.ico"); w.Code != 200 || w.Header().Get("Content-Type") != "image/svg+xml" {
		t.Errorf("favicon: %d %s", w.Code, w.Header().Get("Content-Type"))
	}
	if _, err := ui.assetURL("nope.css"); err == nil {
		t.Error("unknown asset accepted")
	}
}

// Every key the templates use must exist in the German catalog: .T "key",
// and .N "key" with its forms key.one and key.other.
func TestTemplatesUseKnownKeys(t *testing.T) {
	cat := i18n.MustLoad()
	re := regexp.MustCompile(`\.(T|N) "([^"]+)"`)
	var files []string
	for _, dir := range []string{"templates/layout", "templates/pages"} {
		entries, err := templateFS.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			files = append(files, dir+"/"+e.Name())
		}
	}
	for _, f := range files {
		b, err := templateFS.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range re.FindAllStringSubmatch(string(b), -1) {
			keys := []string{m[2]}
			if m[1] == "N" {
				keys = []string{m[2] + ".one", m[2] + ".other"}
			}
			for _, k := range keys {
				if !cat.Has(k) {
					t.Errorf("%s uses unknown key %q", f, k)
				}
			}
		}
	}
}
