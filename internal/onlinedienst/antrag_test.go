package onlinedienst

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestSniff(t *testing.T) {
	cases := map[string]string{
		"%PDF-1.7\n":                      "application/pdf",
		"\xff\xd8\xff\xe0\x00\x10JFIF":    "image/jpeg",
		"\x89PNG\r\n\x1a\n\x00\x00":       "image/png",
		"RIFF\x00\x00\x00\x00WEBPVP8 ":    "image/webp",
		"Hallo Welt":                      "text/plain",
		"MZ\x90\x00\x03\x00\x00\x00":      "application/octet-stream",
		"<html><script>x</script></html>": "application/octet-stream",
	}
	for in, want := range cases {
		if got := Sniff([]byte(in)); got != want {
			t.Errorf("Sniff(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestCleanFilename(t *testing.T) {
	cases := []struct{ name, typ, want string }{
		{"Pass.pdf", "application/pdf", "Pass.pdf"},
		{`C:\Users\Erika\Lichtbild.JPG`, "image/jpeg", "Lichtbild.JPG"},
		{"../../etc/passwd", "application/pdf", "passwd.pdf"},
		{"foto.jpeg", "image/jpeg", "foto.jpeg"},
		{"rechnung.exe", "application/pdf", "rechnung.exe.pdf"},
		{"a\x00b\u202ecod.pdf", "application/pdf", "abcod.pdf"},
		{"", "image/png", "datei.png"},
	}
	for _, c := range cases {
		if got := CleanFilename(c.name, c.typ); got != c.want {
			t.Errorf("CleanFilename(%q) = %q, want %q", c.name, got, c.want)
		}
	}
}

func FuzzCleanFilename(f *testing.F) {
	f.Add("Pass.pdf", "application/pdf")
	f.Add("../..\\x.png", "image/png")
	f.Fuzz(func(t *testing.T, name, typ string) {
		got := CleanFilename(name, typ)
		if got == "" || strings.ContainsAny(got, "/\\\x00") || !utf8.ValidString(got) || utf8.RuneCountInString(got) > 124 {
			t.Fatalf("CleanFilename(%q) = %q", name, got)
		}
	})
}

func FuzzSniff(f *testing.F) {
	f.Add([]byte("%PDF-1.4"))
	f.Fuzz(func(t *testing.T, head []byte) {
		switch Sniff(head) {
		case "application/pdf", "image/jpeg", "image/png", "image/tiff", "image/webp", "application/xml", "text/plain", "application/octet-stream":
		default:
			t.Fatal("unknown type")
		}
	})
}

func TestValidSlug(t *testing.T) {
	for s, want := range map[string]bool{"blaue-karte-eu": true, "a": true, "-a": false, "a-": false, "A": false, "a/b": false, "": false} {
		if ValidSlug(s) != want {
			t.Errorf("ValidSlug(%q) != %v", s, want)
		}
	}
}
