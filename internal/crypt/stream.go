package crypt

import (
	"crypto/cipher"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
)

// Stream format, version 1. A header is followed by one or more segments.
//
//	offset  size  field
//	0       4     magic "OZS" followed by version byte 0x01
//	4       8     KID of the master key
//	12      12    DEK wrapping nonce
//	24      48    wrapped DEK incl. 16-byte tag (AAD = bytes 0..12)
//	72      7     random nonce prefix
//	79      ...   segments
//
// Each segment is AES-256-GCM(DEK) over exactly 64 KiB of plaintext,
// except the last one, which holds 0 to 64 KiB; each segment therefore is
// its plaintext length + 16 bytes. The nonce of segment i is
//
//	nonce prefix (7) || uint32 big-endian i (4) || last flag (1: 0x01 on the final segment, else 0x00)
//
// and the AAD of every segment is the 79-byte header || associatedData.
// This is the STREAM construction (Hoang, Reyhanitabar, Rogaway, Vizár
// 2015): the counter detects reordering and dropped segments, the last
// flag detects truncation at a segment boundary and data appended after
// the end. Since the DEK is fresh per stream, the nonces never repeat
// under one key. A stream can hold at most 2^32 segments (256 TiB).
const (
	segmentSize      = 64 << 10
	encSegmentSize   = segmentSize + tagSize
	noncePrefixSize  = nonceSize - 4 - 1
	streamKIDEnd     = 4 + kidSize
	streamHeaderSize = streamKIDEnd + wrappedDEKSize + noncePrefixSize // 79
)

var streamMagic = [4]byte{'O', 'Z', 'S', 1}

var errClosed = errors.New("crypt: write to closed encrypt writer")

// streamState is what encryption and decryption of a stream share.
type streamState struct {
	aead    cipher.AEAD
	aad     []byte // header || associatedData
	prefix  [noncePrefixSize]byte
	counter uint32
	spent   bool // the counter has been used up; no further segment allowed
	nonce   [nonceSize]byte
}

// nextNonce returns the nonce for the current segment and advances the
// counter.
func (s *streamState) nextNonce(last bool) ([]byte, error) {
	if s.spent {
		return nil, errors.New("crypt: stream exceeds the maximum number of segments")
	}
	copy(s.nonce[:], s.prefix[:])
	binary.BigEndian.PutUint32(s.nonce[noncePrefixSize:], s.counter)
	s.nonce[nonceSize-1] = 0
	if last {
		s.nonce[nonceSize-1] = 1
	}
	if s.counter == math.MaxUint32 {
		s.spent = true
	} else {
		s.counter++
	}
	return s.nonce[:], nil
}

// NewEncryptWriter returns a writer that encrypts everything written to it
// under a fresh data key and writes the resulting stream to w. It writes
// the stream header to w immediately. Close must be called to write the
// final segment; without it the stream is incomplete and will not decrypt.
// Close does not close w. associatedData has the same role as for Seal.
//
// Memory use is one 64 KiB segment regardless of the stream length.
func (k *Keyring) NewEncryptWriter(w io.Writer, associatedData []byte) (io.WriteCloser, error) {
	mk := k.keys[0]
	dek, aead, err := newDEK()
	if err != nil {
		return nil, err
	}
	hdr := make([]byte, 0, streamHeaderSize+len(associatedData))
	hdr = append(hdr, streamMagic[:]...)
	hdr = append(hdr, mk.rawKID[:]...)
	hdr, err = mk.wrapDEK(hdr, dek, hdr[:streamKIDEnd])
	if err != nil {
		return nil, err
	}
	ew := &encryptWriter{
		w:   w,
		buf: make([]byte, 0, encSegmentSize),
	}
	if _, err := rand.Read(ew.st.prefix[:]); err != nil {
		return nil, fmt.Errorf("crypt: nonce: %w", err)
	}
	hdr = append(hdr, ew.st.prefix[:]...)
	if _, err := w.Write(hdr); err != nil {
		return nil, fmt.Errorf("crypt: write stream header: %w", err)
	}
	ew.st.aead = aead
	ew.st.aad = append(hdr, associatedData...)
	return ew, nil
}

type encryptWriter struct {
	w      io.Writer
	st     streamState
	buf    []byte // buffered plaintext of the current segment; cap holds the tag too
	err    error  // sticky: after a failed write the stream is unusable
	closed bool
}

// Write buffers p and writes every completed segment. A full segment is
// only sealed once more data arrives, because until then it might be the
// last one and need the last flag.
func (e *encryptWriter) Write(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	if e.closed {
		return 0, errClosed
	}
	n := 0
	for len(p) > 0 {
		if len(e.buf) == segmentSize {
			if err := e.flush(false); err != nil {
				e.err = err
				return n, err
			}
		}
		c := copy(e.buf[len(e.buf):segmentSize], p)
		e.buf = e.buf[:len(e.buf)+c]
		p = p[c:]
		n += c
	}
	return n, nil
}

// Close seals and writes the final segment, which may be empty. Calling
// Close again has no effect.
func (e *encryptWriter) Close() error {
	if e.closed {
		return e.err
	}
	e.closed = true
	if e.err != nil {
		return e.err
	}
	if err := e.flush(true); err != nil {
		e.err = err
		return err
	}
	return nil
}

func (e *encryptWriter) flush(last bool) error {
	nonce, err := e.st.nextNonce(last)
	if err != nil {
		return err
	}
	// Seal in place: the output (plaintext + tag) fits in buf's capacity.
	out := e.st.aead.Seal(e.buf[:0], nonce, e.buf, e.st.aad)
	if _, err := e.w.Write(out); err != nil {
		return fmt.Errorf("crypt: write segment: %w", err)
	}
	e.buf = e.buf[:0]
	return nil
}

// parseStreamHeader checks the structure of a stream header, which must
// be exactly streamHeaderSize bytes, and returns the raw KID, the wrapped
// DEK and the nonce prefix (sub-slices of hdr).
func parseStreamHeader(hdr []byte) (kid, wrapped, prefix []byte, err error) {
	if len(hdr) != streamHeaderSize {
		return nil, nil, nil, fmt.Errorf("%w: stream header has %d bytes, want %d", ErrMalformed, len(hdr), streamHeaderSize)
	}
	if string(hdr[:3]) != string(streamMagic[:3]) {
		return nil, nil, nil, fmt.Errorf("%w: not an encrypted stream", ErrMalformed)
	}
	if hdr[3] != streamMagic[3] {
		return nil, nil, nil, fmt.Errorf("%w: unsupported stream version %d", ErrMalformed, hdr[3])
	}
	return hdr[4:streamKIDEnd],
		hdr[streamKIDEnd : streamKIDEnd+wrappedDEKSize],
		hdr[streamKIDEnd+wrappedDEKSize:],
		nil
}

// NewDecryptReader reads the stream header from r, finds its master key
// and returns a reader of the plaintext. It fails with ErrMalformed,
// ErrUnknownKey or ErrDecrypt if the header is bad.
//
// The returned reader authenticates every segment before returning any of
// its bytes. Its Read returns io.EOF only after the final segment has been
// verified; a stream that is truncated, reordered, extended, modified or
// opened with the wrong associatedData makes Read fail with an error
// wrapping ErrDecrypt or ErrMalformed instead. Plaintext returned before
// such an error is authentic but incomplete, so callers must not act on a
// stream until Read has returned io.EOF.
//
// Memory use is one segment regardless of the stream length.
func (k *Keyring) NewDecryptReader(r io.Reader, associatedData []byte) (io.Reader, error) {
	aad := make([]byte, streamHeaderSize, streamHeaderSize+len(associatedData))
	if _, err := io.ReadFull(r, aad); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, fmt.Errorf("%w: stream header truncated", ErrMalformed)
		}
		return nil, fmt.Errorf("crypt: read stream header: %w", err)
	}
	kid, wrapped, prefix, err := parseStreamHeader(aad)
	if err != nil {
		return nil, err
	}
	mk, err := k.lookup(kid)
	if err != nil {
		return nil, err
	}
	dek, err := mk.unwrapDEK(wrapped, aad[:streamKIDEnd])
	if err != nil {
		return nil, err
	}
	aead, err := newGCM(dek)
	if err != nil {
		return nil, fmt.Errorf("crypt: %w", err)
	}
	d := &decryptReader{
		r: r,
		// One byte more than a segment: reading ahead by one byte tells
		// whether a full segment is the last one.
		buf: make([]byte, encSegmentSize+1),
	}
	d.st.aead = aead
	copy(d.st.prefix[:], prefix)
	d.st.aad = append(aad, associatedData...)
	return d, nil
}

type decryptReader struct {
	r     io.Reader
	st    streamState
	buf   []byte // encSegmentSize+1 bytes
	ahead bool   // buf[encSegmentSize] holds the first byte of the next segment
	plain []byte // verified plaintext not yet returned; points into buf
	err   error  // sticky; io.EOF after the final segment
}

// Read implements io.Reader.
func (d *decryptReader) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	for len(d.plain) == 0 {
		if d.err != nil {
			return 0, d.err
		}
		d.err = d.next()
	}
	n := copy(p, d.plain)
	d.plain = d.plain[n:]
	return n, nil
}

// next reads, authenticates and decrypts one segment into d.plain. It
// returns io.EOF after the final segment.
func (d *decryptReader) next() error {
	have := 0
	if d.ahead {
		d.buf[0] = d.buf[encSegmentSize]
		d.ahead = false
		have = 1
	}
	n, err := io.ReadFull(d.r, d.buf[have:])
	n += have
	var seg []byte
	last := false
	switch {
	case err == nil:
		// A full segment and at least one more byte: not the last.
		seg = d.buf[:encSegmentSize]
		d.ahead = true
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		seg = d.buf[:n]
		last = true
	default:
		return fmt.Errorf("crypt: read segment: %w", err)
	}
	if len(seg) == 0 {
		return fmt.Errorf("%w: stream ends without final segment", ErrMalformed)
	}
	if len(seg) < tagSize {
		return fmt.Errorf("%w: stream truncated inside segment %d", ErrMalformed, d.st.counter)
	}
	i := d.st.counter
	nonce, err := d.st.nextNonce(last)
	if err != nil {
		return err
	}
	// Decrypt in place; the plaintext is shorter than seg, so the
	// read-ahead byte after it stays intact.
	pt, err := d.st.aead.Open(seg[:0], nonce, seg, d.st.aad)
	if err != nil {
		return fmt.Errorf("%w: segment %d failed authentication", ErrDecrypt, i)
	}
	d.plain = pt
	if last {
		return io.EOF
	}
	return nil
}
