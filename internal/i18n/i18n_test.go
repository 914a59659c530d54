package i18n

import (
	"strings"
	"testing"
)

func TestCatalog(t *testing.T) {
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	if got := c.T("de", "site.skiplink"); got != "Zum Inhalt springen" {
		t.Errorf("de skiplink = %q", got)
	}
	if got := c.T("en", "site.skiplink"); got != "Skip to content" {
		t.Errorf("en skiplink = %q", got)
	}
	// English falls back to German for keys it lacks.
	if got := c.T("en", "home.heading"); got != c.T("de", "home.heading") {
		t.Errorf("fallback = %q", got)
	}
	if got := c.T("de", "site.footer.version", "1.2.3"); got != "Version 1.2.3" {
		t.Errorf("formatted = %q", got)
	}
	if got := c.T("de", "no.such.key"); !strings.Contains(got, "no.such.key") {
		t.Errorf("missing key = %q", got)
	}
}

// Every translation must only carry keys German has, so a typo in a key
// cannot hide behind the fallback.
func TestTranslationsHaveNoUnknownKeys(t *testing.T) {
	c := MustLoad()
	for _, lang := range c.Languages() {
		for _, k := range c.Keys(lang) {
			if !c.Has(k) {
				t.Errorf("%s has key %q that German lacks", lang, k)
			}
		}
	}
}
