// Package i18n is ozgo's one message catalog. Every user-facing string is
// looked up here by an English key; German is the default and complete
// language, further languages (English, Leichte Sprache) are added as files
// in messages/ and fall back to German for missing keys.
package i18n

import (
	"embed"
	"encoding/json"
	"fmt"
	"path"
	"sort"
	"strings"
)

//go:embed messages/*.json
var files embed.FS

// Default is the language every key must exist in.
const Default = "de"

// Catalog holds the messages of all languages.
type Catalog struct {
	msgs map[string]map[string]string // lang -> key -> text
}

// Load reads the embedded message files.
func Load() (*Catalog, error) {
	entries, err := files.ReadDir("messages")
	if err != nil {
		return nil, err
	}
	c := &Catalog{msgs: map[string]map[string]string{}}
	for _, e := range entries {
		lang := strings.TrimSuffix(e.Name(), ".json")
		b, err := files.ReadFile(path.Join("messages", e.Name()))
		if err != nil {
			return nil, err
		}
		m := map[string]string{}
		if err := json.Unmarshal(b, &m); err != nil {
			return nil, fmt.Errorf("i18n: %s: %w", e.Name(), err)
		}
		c.msgs[lang] = m
	}
	if _, ok := c.msgs[Default]; !ok {
		return nil, fmt.Errorf("i18n: no messages for the default language %q", Default)
	}
	return c, nil
}

// MustLoad is Load for program start: the catalog is embedded, so a failure
// is a build defect.
func MustLoad() *Catalog {
	c, err := Load()
	if err != nil {
		panic(err)
	}
	return c
}

// T returns the message for key in lang (falling back to German), formatted
// with args as by fmt.Sprintf when args are given. An unknown key is
// returned as "⟦key⟧" so it is visible on the page and caught by tests.
func (c *Catalog) T(lang, key string, args ...any) string {
	s, ok := c.msgs[lang][key]
	if !ok {
		s, ok = c.msgs[Default][key]
	}
	if !ok {
		return "⟦" + key + "⟧"
	}
	if len(args) > 0 {
		return fmt.Sprintf(s, args...)
	}
	return s
}

// Resolve renders a user-facing message that is either a catalog key (with
// args for its placeholders) or, for messages not in the catalog, literal
// text shown as it is.
func (c *Catalog) Resolve(lang, msg string, args []any) string {
	if c.Has(msg) {
		return c.T(lang, msg, args...)
	}
	return msg
}

// Has reports whether key exists in the default language.
func (c *Catalog) Has(key string) bool {
	_, ok := c.msgs[Default][key]
	return ok
}

// Languages lists the available languages, default first.
func (c *Catalog) Languages() []string {
	var out []string
	for l := range c.msgs {
		if l != Default {
			out = append(out, l)
		}
	}
	sort.Strings(out)
	return append([]string{Default}, out...)
}

// Keys lists the keys of a language, sorted.
func (c *Catalog) Keys(lang string) []string {
	var out []string
	for k := range c.msgs[lang] {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
