package crypt

import (
	"crypto/rand"
	"errors"
)

// SealWith encrypts plaintext with AES-256-GCM under key (32 bytes), bound
// to associatedData. Unlike Keyring.Seal the key is not the platform's:
// the tenant key model (docs/schluessel.md) uses it for keys the operator
// must not hold. Layout: version byte 1 | 96-bit nonce | ciphertext+tag.
func SealWith(key, plaintext, associatedData []byte) ([]byte, error) {
	if len(key) != KeySize {
		return nil, errors.New("crypt: key must be 32 bytes")
	}
	aead, err := newGCM(key)
	if err != nil {
		return nil, err
	}
	out := make([]byte, 1+aead.NonceSize(), 1+aead.NonceSize()+len(plaintext)+aead.Overhead())
	out[0] = 1
	if _, err := rand.Read(out[1:]); err != nil {
		return nil, err
	}
	return aead.Seal(out, out[1:], plaintext, associatedData), nil
}

// ErrOpen is returned when a SealWith message does not open: wrong key,
// wrong associated data or tampered ciphertext.
var ErrOpen = errors.New("crypt: message does not open with this key")

// OpenWith decrypts a message of SealWith.
func OpenWith(key, msg, associatedData []byte) ([]byte, error) {
	if len(key) != KeySize {
		return nil, ErrOpen
	}
	aead, err := newGCM(key)
	if err != nil {
		return nil, err
	}
	n := aead.NonceSize()
	if len(msg) < 1+n+aead.Overhead() || msg[0] != 1 {
		return nil, ErrOpen
	}
	out, err := aead.Open(nil, msg[1:1+n], msg[1+n:], associatedData)
	if err != nil {
		return nil, ErrOpen
	}
	return out, nil
}
