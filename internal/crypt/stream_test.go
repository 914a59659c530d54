package crypt

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"runtime"
	"testing"
	"testing/iotest"
)

// encryptStream encrypts pt, writing it in chunks of the given size
// (0: all at once).
func encryptStream(t testing.TB, kr *Keyring, pt, ad []byte, chunk int) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := kr.NewEncryptWriter(&buf, ad)
	if err != nil {
		t.Fatal(err)
	}
	if chunk <= 0 {
		chunk = len(pt) + 1
	}
	for rest := pt; len(rest) > 0; {
		n := min(chunk, len(rest))
		m, err := w.Write(rest[:n])
		if err != nil || m != n {
			t.Fatalf("Write = %d, %v; want %d", m, err, n)
		}
		rest = rest[n:]
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// decryptStream decrypts a whole stream; it returns the plaintext read
// before any error.
func decryptStream(kr *Keyring, ct, ad []byte) ([]byte, error) {
	r, err := kr.NewDecryptReader(bytes.NewReader(ct), ad)
	if err != nil {
		return nil, err
	}
	return io.ReadAll(r)
}

// streamLen is the encrypted length of an n-byte plaintext.
func streamLen(n int) int {
	segs := n/segmentSize + 1
	if n > 0 && n%segmentSize == 0 {
		segs--
	}
	return streamHeaderSize + n + segs*tagSize
}

func TestStreamRoundTrip(t *testing.T) {
	kr := mustKeyring(t, testKey(1))
	sizes := []int{0, 1, 100, segmentSize - 1, segmentSize, segmentSize + 1,
		2 * segmentSize, 2*segmentSize + 7, 5<<20 + 3}
	chunks := []int{0, 1000, segmentSize, 3*segmentSize + 5}
	for _, size := range sizes {
		pt := pattern(size)
		ad := []byte(fmt.Sprintf("attachment:%d", size))
		for _, chunk := range chunks {
			if chunk == 1000 && size > 1<<20 {
				continue // small writes of large inputs add nothing but time
			}
			t.Run(fmt.Sprintf("size=%d/chunk=%d", size, chunk), func(t *testing.T) {
				ct := encryptStream(t, kr, pt, ad, chunk)
				if len(ct) != streamLen(size) {
					t.Errorf("encrypted length = %d, want %d", len(ct), streamLen(size))
				}
				got, err := decryptStream(kr, ct, ad)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got, pt) {
					t.Fatal("round trip mismatch")
				}
			})
		}
	}
}

// TestStreamReaderContract runs the standard io.Reader checks, including
// one-byte reads and reads split across segment boundaries.
func TestStreamReaderContract(t *testing.T) {
	kr := mustKeyring(t, testKey(1))
	for _, size := range []int{0, 1, segmentSize, 2*segmentSize + 3} {
		pt := pattern(size)
		ct := encryptStream(t, kr, pt, nil, 0)
		r, err := kr.NewDecryptReader(bytes.NewReader(ct), nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := iotest.TestReader(r, pt); err != nil {
			t.Errorf("size %d: %v", size, err)
		}
		// A source returning one byte per Read must work too.
		r, err = kr.NewDecryptReader(iotest.OneByteReader(bytes.NewReader(ct)), nil)
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(iotest.OneByteReader(r))
		if err != nil || !bytes.Equal(got, pt) {
			t.Errorf("size %d, one-byte reads: err = %v, equal = %v", size, err, bytes.Equal(got, pt))
		}
	}
}

func TestStreamRejects(t *testing.T) {
	kr := mustKeyring(t, testKey(1))
	const size = 3*segmentSize + 100
	pt := pattern(size)
	ad := []byte("attachment:1")
	ct := encryptStream(t, kr, pt, ad, 0)
	seg := func(i int) int { return streamHeaderSize + i*encSegmentSize }

	flip := func(pos int) []byte {
		b := bytes.Clone(ct)
		b[pos] ^= 0x10
		return b
	}
	swap := func(i, j int) []byte {
		b := bytes.Clone(ct)
		copy(b[seg(i):seg(i+1)], ct[seg(j):seg(j+1)])
		copy(b[seg(j):seg(j+1)], ct[seg(i):seg(i+1)])
		return b
	}
	cat := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

	tests := []struct {
		name string
		ct   []byte
		ad   []byte
	}{
		{"wrong ad", ct, []byte("attachment:2")},
		{"no ad", ct, nil},
		{"empty input", nil, ad},
		{"header only", ct[:streamHeaderSize], ad},
		{"truncated header", ct[:streamHeaderSize-1], ad},
		{"truncated in first segment", ct[:streamHeaderSize+10], ad},
		{"truncated to tag size", ct[:streamHeaderSize+tagSize], ad},
		{"truncated short of tag", ct[:streamHeaderSize+tagSize-1], ad},
		{"truncated after segment 0", ct[:seg(1)], ad},
		{"truncated after segment 1", ct[:seg(2)], ad},
		{"truncated after segment 1 plus 1", ct[:seg(2)+1], ad},
		{"last byte missing", ct[:len(ct)-1], ad},
		{"appended byte", cat(ct, []byte{0}), ad},
		{"appended segment", cat(ct, ct[seg(0):seg(1)]), ad},
		{"duplicated segment", cat(ct[:seg(1)], ct[seg(0):]), ad},
		{"dropped segment", cat(ct[:seg(1)], ct[seg(2):]), ad},
		{"swapped segments", swap(0, 1), ad},
		{"swapped later segments", swap(1, 2), ad},
		{"flip magic", flip(0), ad},
		{"flip version", flip(3), ad},
		{"flip kid", flip(5), ad},
		{"flip wrap nonce", flip(15), ad},
		{"flip wrapped dek", flip(40), ad},
		{"flip nonce prefix", flip(streamHeaderSize - 1), ad},
		{"flip segment 0", flip(seg(0) + 5), ad},
		{"flip segment 2 tag", flip(seg(3) - 1), ad},
		{"flip last segment", flip(len(ct) - 20), ad},
		{"flip last byte", flip(len(ct) - 1), ad},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := decryptStream(kr, tt.ct, tt.ad)
			if err == nil {
				t.Fatal("no error")
			}
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				t.Fatalf("err = %v, want a decryption error rather than EOF", err)
			}
			if !errors.Is(err, ErrDecrypt) && !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrUnknownKey) {
				t.Fatalf("err = %v, want a sentinel error", err)
			}
			// Whatever came before the error must be authentic.
			if !bytes.HasPrefix(pt, got) {
				t.Error("returned plaintext is not a prefix of the original")
			}
		})
	}
}

// TestStreamTruncationEverywhere cuts a two-segment stream at many
// positions; no prefix of a stream is itself a valid stream.
func TestStreamTruncationEverywhere(t *testing.T) {
	kr := mustKeyring(t, testKey(1))
	ct := encryptStream(t, kr, pattern(segmentSize+50), nil, 0)
	for n := 0; n < len(ct); n += 997 {
		if _, err := decryptStream(kr, ct[:n], nil); err == nil {
			t.Fatalf("truncation to %d of %d bytes not detected", n, len(ct))
		}
	}
}

func TestStreamUnknownKey(t *testing.T) {
	old := mustKeyring(t, testKey(1))
	ct := encryptStream(t, old, []byte("x"), nil, 0)
	_, err := mustKeyring(t, testKey(2)).NewDecryptReader(bytes.NewReader(ct), nil)
	if !errors.Is(err, ErrUnknownKey) {
		t.Fatalf("err = %v, want ErrUnknownKey", err)
	}
}

func TestStreamKeyRotation(t *testing.T) {
	k1, k2 := testKey(1), testKey(2)
	pt := pattern(segmentSize + 9)
	ct1 := encryptStream(t, mustKeyring(t, k1), pt, []byte("a"), 0)

	rotated := mustKeyring(t, k2, k1)
	got, err := decryptStream(rotated, ct1, []byte("a"))
	if err != nil || !bytes.Equal(got, pt) {
		t.Fatalf("old stream after rotation: err = %v, equal = %v", err, bytes.Equal(got, pt))
	}
	ct2 := encryptStream(t, rotated, pt, []byte("a"), 0)
	kid, _, _, err := parseStreamHeader(ct2[:streamHeaderSize])
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(kid, mustDecodeHex(t, testKID(k2))) {
		t.Error("new stream not encrypted under the new current key")
	}
}

// TestStreamNotSealed checks that the two formats cannot be confused.
func TestStreamNotSealed(t *testing.T) {
	kr := mustKeyring(t, testKey(1))
	sealed, err := kr.Seal(pattern(200), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := decryptStream(kr, sealed, nil); !errors.Is(err, ErrMalformed) {
		t.Errorf("sealed message as stream: err = %v, want ErrMalformed", err)
	}
	stream := encryptStream(t, kr, pattern(200), nil, 0)
	if _, err := kr.Open(stream, nil); !errors.Is(err, ErrMalformed) {
		t.Errorf("stream as sealed message: err = %v, want ErrMalformed", err)
	}
}

func TestEncryptWriterClose(t *testing.T) {
	kr := mustKeyring(t, testKey(1))
	var buf bytes.Buffer
	w, err := kr.NewEncryptWriter(&buf, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte("abc")); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	n := buf.Len()
	if err := w.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if buf.Len() != n {
		t.Error("second Close wrote data")
	}
	if _, err := w.Write([]byte("x")); err == nil {
		t.Error("Write after Close succeeded")
	}
}

type failWriter struct{ after int }

func (f *failWriter) Write(p []byte) (int, error) {
	if f.after < len(p) {
		return 0, errors.New("disk full")
	}
	f.after -= len(p)
	return len(p), nil
}

func TestEncryptWriterPropagatesErrors(t *testing.T) {
	kr := mustKeyring(t, testKey(1))
	if _, err := kr.NewEncryptWriter(&failWriter{}, nil); err == nil {
		t.Fatal("header write error not reported")
	}
	w, err := kr.NewEncryptWriter(&failWriter{after: streamHeaderSize}, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = w.Write(pattern(2 * segmentSize))
	if err == nil {
		t.Fatal("segment write error not reported")
	}
	if _, err2 := w.Write([]byte("x")); err2 == nil {
		t.Error("error not sticky")
	}
	if err := w.Close(); err == nil {
		t.Error("Close after failed Write returned nil")
	}
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("connection reset") }

func TestDecryptReaderPropagatesErrors(t *testing.T) {
	kr := mustKeyring(t, testKey(1))
	ct := encryptStream(t, kr, pattern(100), nil, 0)
	r, err := kr.NewDecryptReader(io.MultiReader(bytes.NewReader(ct[:streamHeaderSize+5]), errReader{}), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadAll(r); err == nil || errors.Is(err, ErrDecrypt) {
		t.Fatalf("err = %v, want the read error", err)
	}
	if _, err := kr.NewDecryptReader(errReader{}, nil); err == nil || errors.Is(err, ErrMalformed) {
		t.Fatalf("header read: err = %v, want the read error", err)
	}
}

// TestStreamMemoryBounded streams 32 MiB each way and checks that the
// allocated memory does not grow with the size.
func TestStreamMemoryBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("slow")
	}
	kr := mustKeyring(t, testKey(1))
	const total = 32 << 20
	chunk := pattern(100 << 10)

	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	pr, pw := io.Pipe()
	go func() {
		w, err := kr.NewEncryptWriter(pw, nil)
		if err != nil {
			pw.CloseWithError(err)
			return
		}
		for n := 0; n < total; n += len(chunk) {
			if _, err := w.Write(chunk); err != nil {
				pw.CloseWithError(err)
				return
			}
		}
		pw.CloseWithError(w.Close())
	}()
	r, err := kr.NewDecryptReader(pr, nil)
	if err != nil {
		t.Fatal(err)
	}
	n, err := io.CopyBuffer(io.Discard, r, make([]byte, 32<<10))
	if err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&after)
	if want := int64(total/len(chunk)+1) * int64(len(chunk)); n != want {
		t.Fatalf("copied %d bytes, want %d", n, want)
	}
	alloc := after.TotalAlloc - before.TotalAlloc
	t.Logf("streaming 2×32 MiB allocated %d bytes", alloc)
	if alloc > 2<<20 {
		t.Errorf("streaming 32 MiB allocated %d bytes, want < 2 MiB", alloc)
	}
}
