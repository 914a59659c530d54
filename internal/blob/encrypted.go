package blob

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"

	"github.com/ozgo/ozgo/internal/crypt"
)

// Layout of an encrypted object as stored in the inner store:
//
//	crypt stream of the plaintext   (see crypt.NewEncryptWriter)
//	trailer: crypt.Seal(meta)       (trailerSize bytes)
//
// meta is 1 version byte (1), the plaintext size (uint64 big-endian) and
// the plaintext SHA-256. Size and hash are known only after the whole
// plaintext has passed through, hence a trailer rather than a header; Stat
// reads just the trailer. The hash is encrypted because a plaintext hash
// at rest would let anyone with disk access confirm whether a known
// document (say, a particular ID card scan) is stored.
const (
	metaVersion = 1
	metaSize    = 1 + 8 + sha256.Size
	trailerSize = crypt.Overhead + metaSize
)

// Associated data binding the parts of an object to its id.
func streamAD(id string) []byte { return []byte("ozgo blob v1 " + id) }
func metaAD(id string) []byte   { return []byte("ozgo blob meta v1 " + id) }

type encrypted struct {
	inner IDStore
	kr    *crypt.Keyring
}

// NewEncrypted returns a Store that encrypts objects with kr before
// handing them to inner, using crypt's streaming envelope encryption, so
// memory use does not depend on object sizes. Info reports the size and
// SHA-256 of the plaintext. Reading a tampered object fails with an error
// wrapping ErrCorrupt (and the crypt error) from Open or Read, never with
// silently wrong or truncated data; as with any streamed authentication,
// callers must not act on content before Read has returned io.EOF.
//
// Both the stream and the trailer are encrypted with the object id as
// associated data, so swapping or copying files between ids is detected.
// That requires the id before the first byte is encrypted, while a plain
// Store only assigns it at the end of Put. The encrypted store therefore
// draws the id itself (NewID) and stores the object under it with
// IDStore.PutID. The alternative, a random value stored in the object and
// used as associated data, would not bind anything: whoever moves the
// object moves that value with it.
func NewEncrypted(inner IDStore, kr *crypt.Keyring) Store {
	return &encrypted{inner: inner, kr: kr}
}

// Put implements Store. maxSize applies to the plaintext.
func (e *encrypted) Put(ctx context.Context, r io.Reader, maxSize int64) (Info, error) {
	id, err := NewID()
	if err != nil {
		return Info{}, err
	}
	er, err := newEncryptingReader(e.kr, id, r, maxSize)
	if err != nil {
		return Info{}, fmt.Errorf("blob: encrypt: %w", err)
	}
	info, err := e.inner.PutID(ctx, id, er, 0)
	if err != nil {
		if errors.Is(err, ErrTooLarge) {
			return Info{}, fmt.Errorf("%w: more than %d bytes", ErrTooLarge, maxSize)
		}
		return Info{}, err
	}
	if !er.done {
		// The inner store returned without reading everything; storing
		// an incomplete ciphertext would only fail later.
		_ = e.inner.Delete(context.WithoutCancel(ctx), id)
		return Info{}, errors.New("blob: inner store did not consume the object")
	}
	return Info{ID: id, Size: er.n, SHA256: hex.EncodeToString(er.sum), Created: info.Created}, nil
}

// encryptingReader turns a plaintext reader into the encrypted object
// layout, pulling plaintext on demand. It holds at most one encrypted
// segment at a time, and needs no goroutine or pipe.
type encryptingReader struct {
	src   io.Reader
	max   int64
	n     int64 // plaintext bytes read
	h     hash.Hash
	w     io.WriteCloser // encrypts into out
	out   bytes.Buffer   // encrypted bytes not yet read
	kr    *crypt.Keyring
	id    string
	chunk []byte
	sum   []byte // plaintext SHA-256, set at the end
	done  bool   // the trailer has been produced
	err   error  // sticky; io.EOF at the end
}

func newEncryptingReader(kr *crypt.Keyring, id string, src io.Reader, maxSize int64) (*encryptingReader, error) {
	er := &encryptingReader{src: src, max: maxSize, h: sha256.New(), kr: kr, id: id, chunk: make([]byte, 32<<10)}
	w, err := kr.NewEncryptWriter(&er.out, streamAD(id))
	if err != nil {
		return nil, err
	}
	er.w = w
	return er, nil
}

// Read returns the next bytes of the encrypted object.
func (er *encryptingReader) Read(p []byte) (int, error) {
	for er.out.Len() == 0 {
		if er.err != nil {
			return 0, er.err
		}
		er.err = er.fill()
	}
	return er.out.Read(p)
}

// fill reads one chunk of plaintext and encrypts it; at the end of the
// plaintext it finishes the stream and appends the trailer.
func (er *encryptingReader) fill() error {
	n, err := er.src.Read(er.chunk)
	if n > 0 {
		er.n += int64(n)
		if er.max > 0 && er.n > er.max {
			return ErrTooLarge
		}
		er.h.Write(er.chunk[:n])
		if _, err := er.w.Write(er.chunk[:n]); err != nil {
			return err
		}
	}
	if err == nil {
		return nil
	}
	if !errors.Is(err, io.EOF) {
		return err
	}
	if err := er.w.Close(); err != nil {
		return err
	}
	er.sum = er.h.Sum(nil)
	meta := make([]byte, 0, metaSize)
	meta = append(meta, metaVersion)
	meta = binary.BigEndian.AppendUint64(meta, uint64(er.n))
	meta = append(meta, er.sum...)
	trailer, err := er.kr.Seal(meta, metaAD(er.id))
	if err != nil {
		return err
	}
	er.out.Write(trailer)
	er.done = true
	return io.EOF
}

// corrupt classifies a crypt error: a missing key is a configuration
// problem, anything else means the stored object is damaged.
func corrupt(id string, err error) error {
	if errors.Is(err, crypt.ErrUnknownKey) {
		return fmt.Errorf("blob: %s: %w", id, err)
	}
	if errors.Is(err, crypt.ErrDecrypt) || errors.Is(err, crypt.ErrMalformed) {
		return fmt.Errorf("%w: %s: %w", ErrCorrupt, id, err)
	}
	return err
}

// readMeta reads and authenticates the trailer of an object whose content
// rc yields; size is the inner (encrypted) size.
func (e *encrypted) readMeta(ctx context.Context, id string, rc io.Reader, size int64) (Info, error) {
	// A too short stream part is left for the stream decryption to
	// reject; only the trailer's position matters here.
	off := size - trailerSize
	if off < 0 {
		return Info{}, fmt.Errorf("%w: %s: too short", ErrCorrupt, id)
	}
	buf := make([]byte, trailerSize)
	if ra, ok := rc.(io.ReaderAt); ok {
		if _, err := ra.ReadAt(buf, off); err != nil {
			return Info{}, fmt.Errorf("blob: read trailer: %w", err)
		}
	} else {
		// Inner stores without random access: read up to the trailer
		// through a second handle, leaving rc at the start.
		rc2, _, err := e.inner.Open(ctx, id)
		if err != nil {
			return Info{}, err
		}
		defer rc2.Close()
		if _, err := io.CopyN(io.Discard, rc2, off); err != nil {
			return Info{}, fmt.Errorf("blob: read trailer: %w", err)
		}
		if _, err := io.ReadFull(rc2, buf); err != nil {
			return Info{}, fmt.Errorf("blob: read trailer: %w", err)
		}
	}
	meta, err := e.kr.Open(buf, metaAD(id))
	if err != nil {
		return Info{}, corrupt(id, err)
	}
	if len(meta) != metaSize || meta[0] != metaVersion {
		return Info{}, fmt.Errorf("%w: %s: unknown metadata version", ErrCorrupt, id)
	}
	n := binary.BigEndian.Uint64(meta[1:9])
	if n > uint64(off) {
		return Info{}, fmt.Errorf("%w: %s: size mismatch", ErrCorrupt, id)
	}
	return Info{ID: id, Size: int64(n), SHA256: hex.EncodeToString(meta[9:])}, nil
}

// Open implements Store.
func (e *encrypted) Open(ctx context.Context, id string) (io.ReadCloser, Info, error) {
	if err := checkID(id); err != nil {
		return nil, Info{}, err
	}
	rc, inner, err := e.inner.Open(ctx, id)
	if err != nil {
		return nil, Info{}, err
	}
	info, err := e.readMeta(ctx, id, rc, inner.Size)
	if err != nil {
		rc.Close()
		return nil, Info{}, err
	}
	info.Created = inner.Created
	dr, err := e.kr.NewDecryptReader(io.LimitReader(rc, inner.Size-trailerSize), streamAD(id))
	if err != nil {
		rc.Close()
		return nil, Info{}, corrupt(id, err)
	}
	want, _ := hex.DecodeString(info.SHA256)
	return &decryptingReader{id: id, r: dr, c: rc, h: sha256.New(), size: info.Size, sum: want}, info, nil
}

// decryptingReader returns the plaintext of an object. The stream is
// authenticated segment by segment; at the end it also checks size and
// hash against the trailer, which guards against a stream and trailer
// that are each authentic but do not belong together.
type decryptingReader struct {
	id   string
	r    io.Reader
	c    io.Closer
	h    hash.Hash
	n    int64
	size int64
	sum  []byte
	err  error
}

// Read returns authenticated plaintext; at the end it checks the
// recorded size and hash before returning io.EOF.
func (d *decryptingReader) Read(p []byte) (int, error) {
	if d.err != nil {
		return 0, d.err
	}
	n, err := d.r.Read(p)
	d.h.Write(p[:n])
	d.n += int64(n)
	if d.n > d.size {
		d.err = fmt.Errorf("%w: %s: content longer than recorded", ErrCorrupt, d.id)
		return 0, d.err
	}
	switch {
	case err == nil:
	case errors.Is(err, io.EOF):
		if d.n != d.size || !bytes.Equal(d.h.Sum(nil), d.sum) {
			err = fmt.Errorf("%w: %s: content does not match recorded size and hash", ErrCorrupt, d.id)
			n = 0 // the last bytes are authentic, but the object as a whole is not
		}
		d.err = err
	default:
		d.err = corrupt(d.id, err)
		err = d.err
	}
	return n, err
}

// Close closes the underlying object.
func (d *decryptingReader) Close() error { return d.c.Close() }

// Stat implements Store. It reads and decrypts only the trailer.
func (e *encrypted) Stat(ctx context.Context, id string) (Info, error) {
	if err := checkID(id); err != nil {
		return Info{}, err
	}
	rc, inner, err := e.inner.Open(ctx, id)
	if err != nil {
		return Info{}, err
	}
	defer rc.Close()
	info, err := e.readMeta(ctx, id, rc, inner.Size)
	if err != nil {
		return Info{}, err
	}
	info.Created = inner.Created
	return info, nil
}

// Delete implements Store.
func (e *encrypted) Delete(ctx context.Context, id string) error {
	return e.inner.Delete(ctx, id)
}
