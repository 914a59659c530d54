// Package blob stores immutable binary objects such as attachments and
// generated PDFs.
//
// [FS] keeps objects as files in a directory; [NewEncrypted] wraps a store
// so that objects are encrypted at rest with the keys of a crypt.Keyring.
// Objects are addressed by opaque ids that the store assigns.
package blob

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"time"
)

// Store keeps immutable binary objects addressed by an opaque id.
// Implementations are safe for concurrent use.
type Store interface {
	// Put stores the content of r as a new object and returns its Info,
	// which holds the new id. If maxSize > 0 and r yields more than
	// maxSize bytes, Put fails with ErrTooLarge and keeps nothing.
	Put(ctx context.Context, r io.Reader, maxSize int64) (Info, error)
	// Open returns the content of the object and its Info. The caller
	// must close the reader. It fails with ErrNotFound if the object does
	// not exist.
	Open(ctx context.Context, id string) (io.ReadCloser, Info, error)
	// Stat returns the Info of the object, or ErrNotFound.
	Stat(ctx context.Context, id string) (Info, error)
	// Delete removes the object. Deleting a missing object is not an
	// error.
	Delete(ctx context.Context, id string) error
}

// IDStore is a Store that can also store an object under an id chosen by
// the caller. NewEncrypted needs this to bind each ciphertext to its id
// (see there).
type IDStore interface {
	Store
	// PutID is like Put but stores the object under id, which must be a
	// valid id (see NewID); it fails with ErrExists if the id is taken.
	PutID(ctx context.Context, id string, r io.Reader, maxSize int64) (Info, error)
}

// Info describes a stored object. Size and SHA256 describe the bytes that
// were given to Put, also for an encrypted store.
type Info struct {
	ID      string
	Size    int64
	SHA256  string // lowercase hex
	Created time.Time
}

// Errors returned (possibly wrapped) by stores; test with errors.Is.
var (
	ErrNotFound  = errors.New("blob: not found")
	ErrTooLarge  = errors.New("blob: object too large")
	ErrInvalidID = errors.New("blob: invalid id")
	// ErrExists is returned by PutID if the id is already in use.
	ErrExists = errors.New("blob: id already exists")
	// ErrCorrupt means a stored object is damaged or was tampered with.
	// Errors from an encrypted store also wrap the crypt error.
	ErrCorrupt = errors.New("blob: corrupt object")
)

// idLen is the length of an id: 128 random bits in hex.
const idLen = 32

// NewID returns a new random object id: 32 lowercase hex characters
// encoding 128 random bits, so ids can be neither guessed nor collide.
func NewID() (string, error) {
	var b [idLen / 2]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("blob: new id: %w", err)
	}
	return hex.EncodeToString(b[:]), nil
}

// validID reports whether id has the exact form NewID produces. Checking
// this before building any path rules out path traversal and aliasing
// (e.g. upper case ids on case-insensitive filesystems).
func validID(id string) bool {
	if len(id) != idLen {
		return false
	}
	for i := range len(id) {
		c := id[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

func checkID(id string) error {
	if !validID(id) {
		// The id comes from outside (e.g. a URL) and is not echoed.
		return ErrInvalidID
	}
	return nil
}

// ctxReader makes a long copy stop when the context is cancelled.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

// Read fails once the context is done, otherwise reads from the source.
func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
