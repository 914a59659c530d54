package crypt

import (
	"bytes"
	"encoding/base64"
	"errors"
	"io"
	"strings"
	"testing"
)

// fuzzKeyring is shared by the fuzz targets; its first key produced the
// seed ciphertexts, so mutations of them reach the decryption code.
func fuzzKeyring(f *testing.F) *Keyring {
	return mustKeyring(f, testKey(1), testKey(2))
}

func FuzzOpen(f *testing.F) {
	kr := fuzzKeyring(f)
	for _, pt := range []string{"", "x", "Antrag auf Wohngeld"} {
		ct, err := kr.Seal([]byte(pt), []byte("draft:1"))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(ct, []byte("draft:1"))
	}
	f.Add([]byte("OZE\x01"), []byte(nil))
	f.Add(bytes.Repeat([]byte{0}, Overhead), []byte(nil))
	f.Fuzz(func(t *testing.T, ct, ad []byte) {
		pt, err := kr.Open(ct, ad)
		if err != nil {
			if pt != nil {
				t.Fatal("plaintext returned with error")
			}
			if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrUnknownKey) && !errors.Is(err, ErrDecrypt) {
				t.Fatalf("error without sentinel: %v", err)
			}
			return
		}
		// Only genuine messages open; re-sealing must round-trip.
		ct2, err := kr.Seal(pt, ad)
		if err != nil {
			t.Fatal(err)
		}
		if pt2, err := kr.Open(ct2, ad); err != nil || !bytes.Equal(pt, pt2) {
			t.Fatalf("re-seal round trip failed: %v", err)
		}
	})
}

func FuzzSealRoundTrip(f *testing.F) {
	kr := fuzzKeyring(f)
	f.Add([]byte("hello"), []byte("draft:1"), []byte("draft:2"))
	f.Fuzz(func(t *testing.T, pt, ad, otherAD []byte) {
		ct, err := kr.Seal(pt, ad)
		if err != nil {
			t.Fatal(err)
		}
		got, err := kr.Open(ct, ad)
		if err != nil || !bytes.Equal(got, pt) {
			t.Fatalf("round trip: %v", err)
		}
		if !bytes.Equal(ad, otherAD) {
			if _, err := kr.Open(ct, otherAD); !errors.Is(err, ErrDecrypt) {
				t.Fatalf("other associated data: err = %v, want ErrDecrypt", err)
			}
		}
	})
}

func FuzzParseStreamHeader(f *testing.F) {
	kr := fuzzKeyring(f)
	var buf bytes.Buffer
	if _, err := kr.NewEncryptWriter(&buf, nil); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.Bytes())
	f.Add([]byte("OZS\x02"))
	f.Fuzz(func(t *testing.T, hdr []byte) {
		kid, wrapped, prefix, err := parseStreamHeader(hdr)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error without ErrMalformed: %v", err)
			}
			return
		}
		if len(kid) != kidSize || len(wrapped) != wrappedDEKSize || len(prefix) != noncePrefixSize {
			t.Fatalf("field lengths %d, %d, %d", len(kid), len(wrapped), len(prefix))
		}
	})
}

func FuzzDecryptReader(f *testing.F) {
	kr := fuzzKeyring(f)
	for _, n := range []int{0, 1, 300} {
		var buf bytes.Buffer
		w, err := kr.NewEncryptWriter(&buf, []byte("a"))
		if err != nil {
			f.Fatal(err)
		}
		w.Write(pattern(n))
		if err := w.Close(); err != nil {
			f.Fatal(err)
		}
		f.Add(buf.Bytes(), []byte("a"))
	}
	f.Fuzz(func(t *testing.T, ct, ad []byte) {
		r, err := kr.NewDecryptReader(bytes.NewReader(ct), ad)
		if err != nil {
			return
		}
		pt, err := io.ReadAll(r)
		if err != nil {
			if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrDecrypt) {
				t.Fatalf("error without sentinel: %v", err)
			}
			return
		}
		if len(ct) != streamLen(len(pt)) {
			t.Fatalf("accepted %d-byte stream for %d-byte plaintext", len(ct), len(pt))
		}
	})
}

func FuzzParseKeyFile(f *testing.F) {
	f.Add([]byte("# comment\n" + base64.StdEncoding.EncodeToString(testKey(1)) + "\n"))
	f.Add([]byte("\ufeff\r\n" + base64.RawURLEncoding.EncodeToString(testKey(2))))
	f.Add([]byte("not a key"))
	f.Fuzz(func(t *testing.T, data []byte) {
		keys, err := parseKeyFile(data)
		if err != nil {
			checkErrorHidesInput(t, err, string(data))
			return
		}
		if len(keys) == 0 {
			t.Fatal("no keys and no error")
		}
		for _, k := range keys {
			if len(k) != KeySize {
				t.Fatalf("key of %d bytes", len(k))
			}
		}
	})
}

func FuzzParseKeyList(f *testing.F) {
	f.Add(base64.StdEncoding.EncodeToString(testKey(1)) + "," + base64.RawURLEncoding.EncodeToString(testKey(2)))
	f.Add(",")
	f.Fuzz(func(t *testing.T, s string) {
		keys, err := parseKeyList(s)
		if err != nil {
			checkErrorHidesInput(t, err, s)
			return
		}
		for _, k := range keys {
			if len(k) != KeySize {
				t.Fatalf("key of %d bytes", len(k))
			}
		}
	})
}

// checkErrorHidesInput fails if a parse error echoes a longer piece of
// the (possibly secret) input.
func checkErrorHidesInput(t *testing.T, err error, input string) {
	t.Helper()
	for _, field := range strings.FieldsFunc(input, func(r rune) bool { return r == ',' || r == '\n' || r == ' ' }) {
		if len(field) >= 12 && strings.Contains(err.Error(), field) {
			t.Fatalf("error %q echoes input", err)
		}
	}
}
