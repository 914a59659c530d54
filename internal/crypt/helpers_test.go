package crypt

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"testing"
)

// testKey returns a deterministic 32-byte key; tests need no randomness in
// their keys, only distinct values.
func testKey(b byte) []byte { return bytes.Repeat([]byte{b}, KeySize) }

func testKID(key []byte) string {
	sum := sha256.Sum256(key)
	return hex.EncodeToString(sum[:8])
}

func mustKeyring(t testing.TB, keys ...[]byte) *Keyring {
	t.Helper()
	kr, err := NewKeyring(keys...)
	if err != nil {
		t.Fatalf("NewKeyring: %v", err)
	}
	return kr
}

// pattern returns n bytes of non-repeating-looking content, so that moved or
// swapped segments really differ.
func pattern(n int) []byte {
	b := make([]byte, n)
	var x uint32 = 2463534242
	for i := range b {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		b[i] = byte(x)
	}
	return b
}

func mustDecodeHex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
