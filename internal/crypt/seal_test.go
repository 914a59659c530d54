package crypt

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func TestSealOpenRoundTrip(t *testing.T) {
	kr := mustKeyring(t, testKey(1))
	tests := []struct {
		name string
		pt   []byte
		ad   []byte
	}{
		{"empty", nil, nil},
		{"empty with ad", []byte{}, []byte("draft:1")},
		{"short", []byte("Antrag auf Wohngeld"), []byte("draft:123")},
		{"binary", pattern(1000), nil},
		{"large", pattern(1 << 20), []byte("attachment:9")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ct, err := kr.Seal(tt.pt, tt.ad)
			if err != nil {
				t.Fatal(err)
			}
			if len(ct) != len(tt.pt)+Overhead {
				t.Errorf("len = %d, want %d", len(ct), len(tt.pt)+Overhead)
			}
			if len(tt.pt) >= 8 && bytes.Contains(ct, tt.pt) {
				t.Error("ciphertext contains plaintext")
			}
			got, err := kr.Open(ct, tt.ad)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, tt.pt) {
				t.Error("round trip mismatch")
			}
		})
	}
}

func TestSealIsRandomized(t *testing.T) {
	kr := mustKeyring(t, testKey(1))
	a, _ := kr.Seal([]byte("same"), nil)
	b, _ := kr.Seal([]byte("same"), nil)
	if bytes.Equal(a, b) {
		t.Fatal("two seals of the same plaintext are equal")
	}
}

func TestOpenRejects(t *testing.T) {
	kr := mustKeyring(t, testKey(1))
	pt := []byte("Personalausweisnummer")
	ad := []byte("draft:123")
	ct, err := kr.Seal(pt, ad)
	if err != nil {
		t.Fatal(err)
	}
	modify := func(f func(b []byte) []byte) []byte {
		return f(bytes.Clone(ct))
	}
	tests := []struct {
		name string
		ct   []byte
		ad   []byte
		want error
	}{
		{"wrong ad", ct, []byte("draft:124"), ErrDecrypt},
		{"missing ad", ct, nil, ErrDecrypt},
		{"nil", nil, ad, ErrMalformed},
		{"too short", ct[:Overhead-1], ad, ErrMalformed},
		{"truncated tag", ct[:len(ct)-1], ad, ErrDecrypt},
		{"appended byte", append(bytes.Clone(ct), 0), ad, ErrDecrypt},
		{"bad magic", modify(func(b []byte) []byte { b[0] = 'X'; return b }), ad, ErrMalformed},
		{"future version", modify(func(b []byte) []byte { b[3] = 2; return b }), ad, ErrMalformed},
		{"stream magic", modify(func(b []byte) []byte { copy(b, streamMagic[:]); return b }), ad, ErrMalformed},
		{"kid changed", modify(func(b []byte) []byte { b[4] ^= 1; return b }), ad, ErrUnknownKey},
		{"wrap nonce", modify(func(b []byte) []byte { b[12] ^= 1; return b }), ad, ErrDecrypt},
		{"wrapped dek", modify(func(b []byte) []byte { b[30] ^= 1; return b }), ad, ErrDecrypt},
		{"data nonce", modify(func(b []byte) []byte { b[80] ^= 1; return b }), ad, ErrDecrypt},
		{"body", modify(func(b []byte) []byte { b[sealHeaderSize] ^= 0x80; return b }), ad, ErrDecrypt},
		{"tag", modify(func(b []byte) []byte { b[len(b)-1] ^= 1; return b }), ad, ErrDecrypt},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := kr.Open(tt.ct, tt.ad)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if got != nil {
				t.Error("plaintext returned with error")
			}
		})
	}
}

// TestOpenEveryBitFlip flips each bit of a small message in turn.
func TestOpenEveryBitFlip(t *testing.T) {
	kr := mustKeyring(t, testKey(1))
	ct, err := kr.Seal([]byte("abc"), []byte("ad"))
	if err != nil {
		t.Fatal(err)
	}
	for i := range len(ct) * 8 {
		b := bytes.Clone(ct)
		b[i/8] ^= 1 << (i % 8)
		if _, err := kr.Open(b, []byte("ad")); err == nil {
			t.Fatalf("flip of bit %d not detected", i)
		}
	}
}

func TestOpenUnknownKeyNamesKID(t *testing.T) {
	old := mustKeyring(t, testKey(1))
	ct, err := old.Seal([]byte("x"), nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = mustKeyring(t, testKey(2)).Open(ct, nil)
	if !errors.Is(err, ErrUnknownKey) {
		t.Fatalf("err = %v, want ErrUnknownKey", err)
	}
	if !strings.Contains(err.Error(), old.CurrentKID()) {
		t.Errorf("error %q does not name kid %s", err, old.CurrentKID())
	}
}

func TestSealKeyRotation(t *testing.T) {
	k1, k2 := testKey(1), testKey(2)
	before := mustKeyring(t, k1)
	ct1, err := before.Seal([]byte("old"), []byte("ad"))
	if err != nil {
		t.Fatal(err)
	}

	after := mustKeyring(t, k2, k1) // rotated: k2 current, k1 kept
	got, err := after.Open(ct1, []byte("ad"))
	if err != nil || string(got) != "old" {
		t.Fatalf("Open old message after rotation = %q, %v", got, err)
	}
	ct2, err := after.Seal([]byte("new"), []byte("ad"))
	if err != nil {
		t.Fatal(err)
	}
	h, err := parseSealed(ct2)
	if err != nil {
		t.Fatal(err)
	}
	if kid := testKID(k2); after.CurrentKID() != kid || string(h.kid) != string(mustDecodeHex(t, kid)) {
		t.Errorf("new message not sealed under the new key %s", kid)
	}
	if _, err := before.Open(ct2, []byte("ad")); !errors.Is(err, ErrUnknownKey) {
		t.Errorf("old keyring opening new message: err = %v, want ErrUnknownKey", err)
	}
}

func TestSealWith(t *testing.T) {
	key, _ := GenerateKey()
	other, _ := GenerateKey()
	msg, err := SealWith(key, []byte("geheim"), []byte("ad"))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := OpenWith(key, msg, []byte("ad")); err != nil || string(got) != "geheim" {
		t.Fatalf("open: %q %v", got, err)
	}
	for name, try := range map[string]func() ([]byte, error){
		"other key":   func() ([]byte, error) { return OpenWith(other, msg, []byte("ad")) },
		"other ad":    func() ([]byte, error) { return OpenWith(key, msg, []byte("xx")) },
		"short key":   func() ([]byte, error) { return OpenWith(key[:16], msg, []byte("ad")) },
		"truncated":   func() ([]byte, error) { return OpenWith(key, msg[:10], []byte("ad")) },
		"bad version": func() ([]byte, error) { m := append([]byte{2}, msg[1:]...); return OpenWith(key, m, []byte("ad")) },
	} {
		if _, err := try(); err == nil {
			t.Errorf("%s opens", name)
		}
	}
	if _, err := SealWith(key[:16], nil, nil); err == nil {
		t.Error("a short key seals")
	}
}

func FuzzOpenWith(f *testing.F) {
	key, _ := GenerateKey()
	msg, _ := SealWith(key, []byte("x"), nil)
	f.Add(msg)
	f.Add([]byte{1, 2, 3})
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = OpenWith(key, b, nil)
	})
}
