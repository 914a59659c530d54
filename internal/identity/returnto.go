package identity

import (
	"net/url"
	"strings"
)

// SafeReturn returns s if it is a relative path on this host, and "" for
// anything that could lead elsewhere: absolute URLs, scheme-relative
// "//host", backslash tricks browsers treat as "//", control characters.
// Login and logout only ever redirect to what SafeReturn accepts, so ozgo
// cannot serve as an open redirect for phishing.
func SafeReturn(s string) string {
	if s == "" || len(s) > 2000 || s[0] != '/' {
		return ""
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f || r == '\\' {
			return ""
		}
	}
	if strings.HasPrefix(s, "//") || strings.HasPrefix(s, "/\\") {
		return ""
	}
	u, err := url.Parse(s)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" {
		return ""
	}
	// A path that starts with an encoded slash ("/%2F/evil") is harmless
	// for ServeMux but keep it simple: refuse.
	if strings.HasPrefix(strings.ToLower(s), "/%2f") || strings.HasPrefix(strings.ToLower(s), "/%5c") {
		return ""
	}
	return s
}
