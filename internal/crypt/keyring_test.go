package crypt

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func TestNewKeyring(t *testing.T) {
	tests := []struct {
		name    string
		keys    [][]byte
		wantErr string
	}{
		{"one key", [][]byte{testKey(1)}, ""},
		{"two keys", [][]byte{testKey(1), testKey(2)}, ""},
		{"none", nil, "no master key"},
		{"short", [][]byte{testKey(1)[:31]}, "master key 1 has 31 bytes"},
		{"long second", [][]byte{testKey(1), append(testKey(2), 0)}, "master key 2 has 33 bytes"},
		{"duplicate", [][]byte{testKey(1), testKey(2), testKey(1)}, "listed twice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			kr, err := NewKeyring(tt.keys...)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got, want := kr.CurrentKID(), testKID(tt.keys[0]); got != want {
				t.Errorf("CurrentKID = %s, want %s", got, want)
			}
			if got := kr.KIDs(); len(got) != len(tt.keys) {
				t.Errorf("KIDs = %v, want %d entries", got, len(tt.keys))
			}
		})
	}
}

func TestNewKeyringCopiesKeys(t *testing.T) {
	k := testKey(7)
	kr := mustKeyring(t, k)
	ct, err := kr.Seal([]byte("x"), nil)
	if err != nil {
		t.Fatal(err)
	}
	k[0] ^= 1 // the caller reusing its buffer must not affect the keyring
	if _, err := kr.Open(ct, nil); err != nil {
		t.Fatalf("Open after caller modified key buffer: %v", err)
	}
}

func TestKIDFormat(t *testing.T) {
	kr := mustKeyring(t, testKey(0))
	// SHA-256 of 32 zero bytes starts with 66687aadf862bd77.
	if got, want := kr.CurrentKID(), "66687aadf862bd77"; got != want {
		t.Errorf("CurrentKID = %s, want %s", got, want)
	}
}

func TestGenerateKey(t *testing.T) {
	a, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	b, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	if len(a) != KeySize || len(b) != KeySize {
		t.Fatalf("lengths %d, %d", len(a), len(b))
	}
	if bytes.Equal(a, b) {
		t.Fatal("two generated keys are equal")
	}
}

func TestDeriveKey(t *testing.T) {
	old := testKey(1)
	cur := testKey(2)
	kr := mustKeyring(t, cur, old)

	a := kr.DeriveKey("audit-chain")
	if len(a) != KeySize {
		t.Fatalf("len = %d", len(a))
	}
	if !bytes.Equal(a, kr.DeriveKey("audit-chain")) {
		t.Error("DeriveKey not deterministic")
	}
	if bytes.Equal(a, kr.DeriveKey("session")) {
		t.Error("different purposes gave the same key")
	}
	if bytes.Equal(a, cur) {
		t.Error("derived key equals master key")
	}
	// Same result from a fresh keyring with the same key.
	if !bytes.Equal(a, mustKeyring(t, cur).DeriveKey("audit-chain")) {
		t.Error("derived key differs between keyrings with the same key")
	}

	b, err := kr.DeriveKeyFor(kr.CurrentKID(), "audit-chain")
	if err != nil || !bytes.Equal(a, b) {
		t.Errorf("DeriveKeyFor(current) = %x, %v; want DeriveKey result", b, err)
	}
	c, err := kr.DeriveKeyFor(testKID(old), "audit-chain")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(c, mustKeyring(t, old).DeriveKey("audit-chain")) {
		t.Error("DeriveKeyFor(old) differs from DeriveKey with old key current")
	}
	if _, err := kr.DeriveKeyFor("0123456789abcdef", "x"); !errors.Is(err, ErrUnknownKey) {
		t.Errorf("unknown kid: err = %v, want ErrUnknownKey", err)
	}
}

// TestDeriveKeyNotWrappingKey checks the domain separation between
// DeriveKey and the internal DEK wrapping key.
func TestDeriveKeyNotWrappingKey(t *testing.T) {
	kr := mustKeyring(t, testKey(3))
	for _, purpose := range []string{"", "/crypt: dek wrapping v1", "dek wrapping v1", "crypt: dek wrapping v1"} {
		sub := kr.DeriveKey(purpose)
		g, err := newGCM(sub)
		if err != nil {
			t.Fatal(err)
		}
		// If sub were the wrapping key, it could unwrap a DEK.
		ct, err := kr.Seal([]byte("x"), nil)
		if err != nil {
			t.Fatal(err)
		}
		h, err := parseSealed(ct)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := g.Open(nil, h.wrappedDEK[:nonceSize], h.wrappedDEK[nonceSize:], ct[:sealKIDEnd]); err == nil {
			t.Errorf("DeriveKey(%q) equals the wrapping key", purpose)
		}
	}
}
