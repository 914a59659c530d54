// Package crypt implements encryption at rest for ozgo.
//
// It uses envelope encryption: every message or stream is encrypted under
// a fresh random data key (DEK), and only that DEK is encrypted ("wrapped")
// under a long-lived master key (key-encryption key, KEK). Master keys live
// in a [Keyring]; the first key encrypts new data, further keys are kept so
// that data written before a key rotation can still be decrypted.
//
// Small values are encrypted with [Keyring.Seal] and [Keyring.Open]; large
// objects are streamed with [Keyring.NewEncryptWriter] and
// [Keyring.NewDecryptReader], which need memory for one 64 KiB segment only.
//
// Nothing in this package logs, and no error message contains key material
// or plaintext. Key ids (KIDs) are derived from the keys by a one-way hash
// and are not secret.
package crypt

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
)

// KeySize is the size in bytes of master keys and derived keys (AES-256).
const KeySize = 32

const (
	kidSize   = 8  // raw KID bytes in the binary formats
	nonceSize = 12 // AES-GCM standard nonce
	tagSize   = 16 // AES-GCM authentication tag
	// wrappedDEKSize is the size of a wrapped data key: its GCM nonce
	// followed by the encrypted key and tag.
	wrappedDEKSize = nonceSize + KeySize + tagSize
)

// wrapInfo is the HKDF info used to derive the key that wraps DEKs from a
// master key. Wrapping under a derived key instead of the master key itself
// keeps the master key used for exactly one thing (HKDF input), so subkeys
// handed out by DeriveKey and the wrapping key can never coincide or
// interact. The info starts with "ozgo/" while DeriveKey always uses
// "ozgo " + purpose, so no purpose string can produce the wrapping key.
const wrapInfo = "ozgo/crypt: dek wrapping v1"

// Sentinel errors returned (wrapped) by Open and the decrypting reader.
// Test for them with errors.Is.
var (
	// ErrUnknownKey means the ciphertext names a master key (by KID) that
	// is not in the keyring, e.g. an old key was removed too early.
	ErrUnknownKey = errors.New("crypt: unknown master key")
	// ErrMalformed means the input is not in a format this package wrote,
	// or was truncated.
	ErrMalformed = errors.New("crypt: malformed ciphertext")
	// ErrDecrypt means authentication failed: the ciphertext was modified,
	// truncated at a segment boundary, reordered, or the associated data
	// does not match the one used for encryption.
	ErrDecrypt = errors.New("crypt: decryption failed")
)

// Keyring holds the master keys. The zero value is not usable; create one
// with NewKeyring or LoadKeyring. A Keyring is immutable and safe for
// concurrent use.
type Keyring struct {
	keys      []*masterKey // current key first
	generated bool
}

type masterKey struct {
	kid    string // hex, 16 chars
	rawKID [kidSize]byte
	secret []byte
	wrap   cipher.AEAD // AES-256-GCM under the derived wrapping key
}

// NewKeyring returns a keyring with the given 32-byte master keys. The
// first key is the current key used for new encryption; the others are
// accepted for decryption only. The keys are copied.
func NewKeyring(keys ...[]byte) (*Keyring, error) {
	if len(keys) == 0 {
		return nil, errors.New("crypt: no master key")
	}
	kr := &Keyring{keys: make([]*masterKey, 0, len(keys))}
	seen := make(map[string]bool, len(keys))
	for i, k := range keys {
		if len(k) != KeySize {
			return nil, fmt.Errorf("crypt: master key %d has %d bytes, want %d", i+1, len(k), KeySize)
		}
		mk, err := newMasterKey(k)
		if err != nil {
			return nil, fmt.Errorf("crypt: master key %d: %w", i+1, err)
		}
		if seen[mk.kid] {
			return nil, fmt.Errorf("crypt: master key %d (kid %s) is listed twice", i+1, mk.kid)
		}
		seen[mk.kid] = true
		kr.keys = append(kr.keys, mk)
	}
	return kr, nil
}

func newMasterKey(k []byte) (*masterKey, error) {
	mk := &masterKey{secret: append([]byte(nil), k...)}
	sum := sha256.Sum256(k)
	copy(mk.rawKID[:], sum[:kidSize])
	mk.kid = hex.EncodeToString(mk.rawKID[:])
	wk, err := hkdf.Key(sha256.New, mk.secret, nil, wrapInfo, KeySize)
	if err != nil {
		return nil, fmt.Errorf("derive wrapping key: %w", err)
	}
	mk.wrap, err = newGCM(wk)
	if err != nil {
		return nil, err
	}
	return mk, nil
}

// newGCM returns AES-256-GCM with the standard 12-byte nonce. The stdlib
// implementation keeps no mutable state, so the result may be shared
// between goroutines.
func newGCM(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("aes: %w", err)
	}
	g, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("gcm: %w", err)
	}
	return g, nil
}

// GenerateKey returns a new random 32-byte master key.
func GenerateKey() ([]byte, error) {
	k := make([]byte, KeySize)
	if _, err := rand.Read(k); err != nil {
		return nil, fmt.Errorf("crypt: generate key: %w", err)
	}
	return k, nil
}

// CurrentKID returns the key id of the current master key: the first 8
// bytes of SHA-256 over the key, hex-encoded.
func (k *Keyring) CurrentKID() string { return k.keys[0].kid }

// KIDs returns the key ids of all master keys, current first. Useful for
// showing an operator which keys are configured.
func (k *Keyring) KIDs() []string {
	ids := make([]string, len(k.keys))
	for i, mk := range k.keys {
		ids[i] = mk.kid
	}
	return ids
}

// Generated reports whether LoadKeyring created a new key file for this
// keyring. Callers should then tell the operator to back the file up:
// without it, everything encrypted under it is lost.
func (k *Keyring) Generated() bool { return k.generated }

// DeriveKey returns a 32-byte subkey of the current master key for the
// named purpose, e.g. "audit-chain". Different purposes give independent
// keys. Note that the result changes when the current key is rotated; use
// DeriveKeyFor to recreate a subkey of an older key.
func (k *Keyring) DeriveKey(purpose string) []byte {
	sub, err := derive(k.keys[0], purpose)
	if err != nil {
		// HKDF-SHA256 only fails for output lengths above 255*32 bytes
		// (or a too short secret in FIPS-only mode); neither can happen
		// with a 32-byte key and 32-byte output.
		panic(err)
	}
	return sub
}

// DeriveKeyFor is like DeriveKey but uses the master key with the given
// KID, which may be an old key. It fails with ErrUnknownKey if the
// keyring has no such key.
func (k *Keyring) DeriveKeyFor(kid, purpose string) ([]byte, error) {
	for _, mk := range k.keys {
		if mk.kid == kid {
			return derive(mk, purpose)
		}
	}
	return nil, fmt.Errorf("%w: kid %q", ErrUnknownKey, kid)
}

func derive(mk *masterKey, purpose string) ([]byte, error) {
	sub, err := hkdf.Key(sha256.New, mk.secret, nil, "ozgo "+purpose, KeySize)
	if err != nil {
		return nil, fmt.Errorf("crypt: derive key: %w", err)
	}
	return sub, nil
}

// lookup finds a master key by its raw KID.
func (k *Keyring) lookup(raw []byte) (*masterKey, error) {
	for _, mk := range k.keys {
		if string(mk.rawKID[:]) == string(raw) {
			return mk, nil
		}
	}
	return nil, fmt.Errorf("%w: kid %s", ErrUnknownKey, hex.EncodeToString(raw))
}

// wrapDEK encrypts dek under mk; aad binds the format and KID so that a
// wrapped key cannot be moved into another format or header.
func (mk *masterKey) wrapDEK(dst, dek, aad []byte) ([]byte, error) {
	nonce := make([]byte, nonceSize)
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("crypt: nonce: %w", err)
	}
	dst = append(dst, nonce...)
	return mk.wrap.Seal(dst, nonce, dek, aad), nil
}

// unwrapDEK reverses wrapDEK; wrapped must be wrappedDEKSize bytes.
func (mk *masterKey) unwrapDEK(wrapped, aad []byte) ([]byte, error) {
	dek, err := mk.wrap.Open(nil, wrapped[:nonceSize], wrapped[nonceSize:], aad)
	if err != nil {
		return nil, fmt.Errorf("%w: cannot unwrap data key", ErrDecrypt)
	}
	return dek, nil
}

// newDEK returns a fresh random data key together with its cipher.
func newDEK() ([]byte, cipher.AEAD, error) {
	dek, err := GenerateKey()
	if err != nil {
		return nil, nil, err
	}
	g, err := newGCM(dek)
	if err != nil {
		return nil, nil, fmt.Errorf("crypt: %w", err)
	}
	return dek, g, nil
}
