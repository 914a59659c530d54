package crypt

import (
	"crypto/rand"
	"fmt"
)

// Sealed message format, version 1. All offsets in bytes; n is the
// plaintext length.
//
//	offset  size  field
//	0       4     magic "OZE" followed by version byte 0x01
//	4       8     KID of the master key (raw; hex form is CurrentKID)
//	12      12    DEK wrapping nonce
//	24      48    wrapped DEK: AES-256-GCM(wrapping key, DEK) incl. 16-byte tag
//	72      12    data nonce
//	84      n+16  AES-256-GCM(DEK, plaintext) incl. 16-byte tag
//
// The wrapping key is derived from the master key with HKDF (see wrapInfo).
// The DEK is wrapped with AAD = bytes 0..12 (magic, version, KID), so the
// wrapped key is bound to its key id and format. The plaintext is
// encrypted with AAD = bytes 0..84 (the whole header) || associatedData,
// which authenticates every header byte and binds the message to the
// caller's context without storing that context.
//
// Every message has its own random DEK, so the random data nonce could
// never repeat under one key; the random wrapping nonces do share the
// master key, which limits one master key to about 2^32 messages before
// the GCM nonce collision risk exceeds 2^-32 — rotate well before that.
const (
	sealHeaderSize = 4 + kidSize + wrappedDEKSize + nonceSize // 84
	sealKIDEnd     = 4 + kidSize                              // end of the part the wrapped DEK is bound to

	// Overhead is the number of bytes Seal adds to the plaintext.
	Overhead = sealHeaderSize + tagSize // 100
)

var sealMagic = [4]byte{'O', 'Z', 'E', 1}

// Seal encrypts and authenticates plaintext under a fresh data key that is
// wrapped under the current master key. associatedData is the caller's
// context (e.g. "draft:123"); it is authenticated but not stored, and Open
// must be given the same value, so a ciphertext cannot be moved to another
// object. The result is len(plaintext)+Overhead bytes.
func (k *Keyring) Seal(plaintext, associatedData []byte) ([]byte, error) {
	mk := k.keys[0]
	dek, data, err := newDEK()
	if err != nil {
		return nil, err
	}
	out := make([]byte, 0, len(plaintext)+Overhead)
	out = append(out, sealMagic[:]...)
	out = append(out, mk.rawKID[:]...)
	out, err = mk.wrapDEK(out, dek, out[:sealKIDEnd])
	if err != nil {
		return nil, err
	}
	nonce := out[len(out) : len(out)+nonceSize]
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("crypt: nonce: %w", err)
	}
	out = out[:sealHeaderSize]
	aad := make([]byte, 0, sealHeaderSize+len(associatedData))
	aad = append(append(aad, out...), associatedData...)
	return data.Seal(out, nonce, plaintext, aad), nil
}

// sealedHeader is the parsed, not yet authenticated header of a sealed
// message.
type sealedHeader struct {
	kid        []byte
	wrappedDEK []byte
	nonce      []byte
	body       []byte // ciphertext and tag
}

// parseSealed splits a sealed message into its fields. It checks only the
// structure; authenticity is established by Open.
func parseSealed(msg []byte) (sealedHeader, error) {
	if len(msg) < Overhead {
		return sealedHeader{}, fmt.Errorf("%w: %d bytes is too short", ErrMalformed, len(msg))
	}
	if string(msg[:3]) != string(sealMagic[:3]) {
		return sealedHeader{}, fmt.Errorf("%w: not a sealed message", ErrMalformed)
	}
	if msg[3] != sealMagic[3] {
		return sealedHeader{}, fmt.Errorf("%w: unsupported version %d", ErrMalformed, msg[3])
	}
	return sealedHeader{
		kid:        msg[4:sealKIDEnd],
		wrappedDEK: msg[sealKIDEnd : sealKIDEnd+wrappedDEKSize],
		nonce:      msg[sealKIDEnd+wrappedDEKSize : sealHeaderSize],
		body:       msg[sealHeaderSize:],
	}, nil
}

// Open authenticates and decrypts a message produced by Seal with the same
// associatedData. It accepts messages sealed under any key in the keyring.
// Errors wrap ErrMalformed, ErrUnknownKey or ErrDecrypt.
func (k *Keyring) Open(ciphertext, associatedData []byte) ([]byte, error) {
	h, err := parseSealed(ciphertext)
	if err != nil {
		return nil, err
	}
	mk, err := k.lookup(h.kid)
	if err != nil {
		return nil, err
	}
	dek, err := mk.unwrapDEK(h.wrappedDEK, ciphertext[:sealKIDEnd])
	if err != nil {
		return nil, err
	}
	data, err := newGCM(dek)
	if err != nil {
		return nil, fmt.Errorf("crypt: %w", err)
	}
	aad := make([]byte, 0, sealHeaderSize+len(associatedData))
	aad = append(append(aad, ciphertext[:sealHeaderSize]...), associatedData...)
	pt, err := data.Open(nil, h.nonce, h.body, aad)
	if err != nil {
		return nil, fmt.Errorf("%w: message failed authentication", ErrDecrypt)
	}
	return pt, nil
}
