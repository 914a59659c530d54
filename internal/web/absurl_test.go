package web

import (
	"net/http/httptest"
	"testing"
	"time"
)

// TestAbsURL: links that leave the page (payment return address, the
// link in a Zahlungsaufforderung, embed snippets) use the configured
// public URL, so a forged Host header cannot point them elsewhere.
func TestAbsURL(t *testing.T) {
	r := httptest.NewRequest("GET", "/x", nil)
	r.Host = "evil.example"
	u := &UI{}
	if got := u.absURL(r, "/antraege/1/bezahlt"); got != "http://evil.example/antraege/1/bezahlt" {
		t.Errorf("without a public URL: %s", got)
	}
	r.Header.Set("X-Forwarded-Proto", "https")
	if got := u.absURL(r, "/a"); got != "https://evil.example/a" {
		t.Errorf("behind a TLS proxy: %s", got)
	}
	u.PublicURL = "https://service.example.de/"
	if got := u.absURL(r, "/antraege/1/bezahlt"); got != "https://service.example.de/antraege/1/bezahlt" {
		t.Errorf("with a public URL: %s", got)
	}
}

// TestAddWorkdays: the expected processing time counts Monday to Friday.
func TestAddWorkdays(t *testing.T) {
	fri := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC) // a Friday
	for n, want := range map[int]string{0: "2026-11-27", 1: "2026-11-30", 5: "2026-12-04", 6: "2026-12-07"} {
		if got := addWorkdays(fri, n).Format("2006-01-02"); got != want {
			t.Errorf("Friday + %d working days = %s, want %s", n, got, want)
		}
	}
}
