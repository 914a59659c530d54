package blob

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"testing"

	"github.com/ozgo/ozgo/internal/crypt"
)

func newEncryptedFS(t *testing.T, kr *crypt.Keyring) (*FS, Store) {
	t.Helper()
	fsys, err := NewFS(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return fsys, NewEncrypted(fsys, kr)
}

// openAndRead returns the first error from Open or from reading the
// whole object.
func openAndRead(s Store, id string) ([]byte, error) {
	rc, _, err := s.Open(context.Background(), id)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(rc)
}

func TestEncryptedAtRest(t *testing.T) {
	fsys, s := newEncryptedFS(t, testKeyring(t, 1))
	plain := bytes.Repeat([]byte("Steuer-ID 12345678901 "), 5000)
	info, err := s.Put(context.Background(), bytes.NewReader(plain), 0)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(fsys.path(info.ID))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(raw, []byte("Steuer-ID")) {
		t.Error("plaintext visible on disk")
	}
	if bytes.Contains(raw, []byte(info.SHA256)) || bytes.Contains(raw, mustHex(t, info.SHA256)) {
		t.Error("plaintext hash visible on disk")
	}
	// The inner store sees only ciphertext.
	inner, err := fsys.Stat(context.Background(), info.ID)
	if err != nil {
		t.Fatal(err)
	}
	if inner.Size <= info.Size || inner.SHA256 == info.SHA256 {
		t.Errorf("inner info %+v looks like plaintext info %+v", inner, info)
	}
}

// TestEncryptedTamper damages the stored file at many places; every
// damage must surface as an error, never as wrong or short content.
func TestEncryptedTamper(t *testing.T) {
	fsys, s := newEncryptedFS(t, testKeyring(t, 1))
	ctx := context.Background()
	plain := content(150<<10, 5) // three segments
	info, err := s.Put(ctx, bytes.NewReader(plain), 0)
	if err != nil {
		t.Fatal(err)
	}
	path := fsys.path(info.ID)
	orig, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	const body = headerSize // encrypted content starts after the FS header
	innerSize := len(orig) - body

	type damage struct {
		name string
		f    func(b []byte) []byte
	}
	var damages []damage
	for _, off := range []int{0, 3, 5, 20, 60, 78, 79, 100, 64 << 10, 64<<10 + 95, 100 << 10,
		innerSize - trailerSize - 1, innerSize - trailerSize, innerSize - trailerSize + 10, innerSize - 1} {
		damages = append(damages, damage{"flip", func(b []byte) []byte { b[body+off] ^= 0x04; return b }})
	}
	// Cutting the content also requires fixing the FS header, as an
	// attacker would; rewrite it through a fresh FS Put via PutID.
	for _, cut := range []int{1, trailerSize, trailerSize + 16, 64 << 10, innerSize - 80} {
		damages = append(damages, damage{"cut", func(b []byte) []byte { return b[body : len(b)-cut] }})
	}
	damages = append(damages,
		damage{"append", func(b []byte) []byte { return append(b[body:], 1, 2, 3) }},
		damage{"drop trailer and append other trailer", func(b []byte) []byte {
			return append(b[body:len(b)-trailerSize], b[body+100:body+100+trailerSize]...)
		}},
	)

	for _, d := range damages {
		t.Run(d.name, func(t *testing.T) {
			b := d.f(bytes.Clone(orig))
			if len(b) == len(orig) && b[0] == orig[0] {
				// In-place flips keep the FS header valid.
				if err := os.WriteFile(path, b, 0o600); err != nil {
					t.Fatal(err)
				}
			} else {
				// Re-store the modified ciphertext with a valid FS header.
				if err := fsys.Delete(ctx, info.ID); err != nil {
					t.Fatal(err)
				}
				if _, err := fsys.PutID(ctx, info.ID, bytes.NewReader(b), 0); err != nil {
					t.Fatal(err)
				}
			}
			defer func() {
				if err := os.WriteFile(path, orig, 0o600); err != nil {
					t.Fatal(err)
				}
			}()
			got, err := openAndRead(s, info.ID)
			if err == nil {
				t.Fatalf("damage not detected (read %d bytes)", len(got))
			}
			// A damaged key id looks like a key that is not configured.
			if !errors.Is(err, ErrCorrupt) && !errors.Is(err, crypt.ErrUnknownKey) {
				t.Errorf("err = %v, want ErrCorrupt", err)
			}
			if !bytes.HasPrefix(plain, got) {
				t.Error("returned bytes are not authentic")
			}
		})
	}
	if got, err := openAndRead(s, info.ID); err != nil || !bytes.Equal(got, plain) {
		t.Fatalf("restored object: %v", err)
	}
}

// TestEncryptedSwap copies one object's file over another's: the
// ciphertext is bound to its id, so this is detected.
func TestEncryptedSwap(t *testing.T) {
	fsys, s := newEncryptedFS(t, testKeyring(t, 1))
	ctx := context.Background()
	a, err := s.Put(ctx, bytes.NewReader([]byte("Antrag A")), 0)
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.Put(ctx, bytes.NewReader([]byte("Antrag B")), 0)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(fsys.path(a.ID))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(fsys.path(b.ID), raw, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Stat(ctx, b.ID); !errors.Is(err, ErrCorrupt) {
		t.Errorf("Stat: err = %v, want ErrCorrupt", err)
	}
	if _, err := openAndRead(s, b.ID); !errors.Is(err, ErrCorrupt) {
		t.Errorf("Open: err = %v, want ErrCorrupt", err)
	}
}

func TestEncryptedKeys(t *testing.T) {
	ctx := context.Background()
	fsys, err := NewFS(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	old := NewEncrypted(fsys, testKeyring(t, 1))
	info, err := old.Put(ctx, bytes.NewReader([]byte("alt")), 0)
	if err != nil {
		t.Fatal(err)
	}

	rotated := NewEncrypted(fsys, testKeyring(t, 2, 1))
	if got, err := openAndRead(rotated, info.ID); err != nil || string(got) != "alt" {
		t.Errorf("after rotation: %q, %v", got, err)
	}
	newInfo, err := rotated.Put(ctx, bytes.NewReader([]byte("neu")), 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := openAndRead(old, newInfo.ID); !errors.Is(err, crypt.ErrUnknownKey) {
		t.Errorf("old keyring on new object: err = %v, want crypt.ErrUnknownKey", err)
	}

	withoutOld := NewEncrypted(fsys, testKeyring(t, 2))
	for name, f := range map[string]func() error{
		"Stat": func() error { _, err := withoutOld.Stat(ctx, info.ID); return err },
		"Open": func() error { _, err := openAndRead(withoutOld, info.ID); return err },
	} {
		err := f()
		if !errors.Is(err, crypt.ErrUnknownKey) || errors.Is(err, ErrCorrupt) {
			t.Errorf("%s with key removed: err = %v, want crypt.ErrUnknownKey only", name, err)
		}
	}
}

// TestEncryptedRejectsPlainObject opens an object stored without
// encryption through the encrypted store.
func TestEncryptedRejectsPlainObject(t *testing.T) {
	fsys, s := newEncryptedFS(t, testKeyring(t, 1))
	ctx := context.Background()
	for _, size := range []int{0, 10, 1000} {
		info, err := fsys.Put(ctx, bytes.NewReader(content(size, 1)), 0)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := openAndRead(s, info.ID); !errors.Is(err, ErrCorrupt) {
			t.Errorf("size %d: err = %v, want ErrCorrupt", size, err)
		}
	}
}

// noReaderAt hides the io.ReaderAt of the FS readers to exercise the
// encrypted store's path for inner stores without random access.
type noReaderAt struct{ *FS }

func (n noReaderAt) Open(ctx context.Context, id string) (io.ReadCloser, Info, error) {
	rc, info, err := n.FS.Open(ctx, id)
	if err != nil {
		return nil, Info{}, err
	}
	return struct{ io.ReadCloser }{rc}, info, nil
}

func TestEncryptedSequentialInner(t *testing.T) {
	fsys, err := NewFS(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	s := NewEncrypted(noReaderAt{fsys}, testKeyring(t, 1))
	ctx := context.Background()
	want := content(200<<10, 7)
	info, err := s.Put(ctx, bytes.NewReader(want), 0)
	if err != nil {
		t.Fatal(err)
	}
	st, err := s.Stat(ctx, info.ID)
	if err != nil || st != info {
		t.Errorf("Stat = %+v, %v; want %+v", st, err, info)
	}
	if got, err := openAndRead(s, info.ID); err != nil || !bytes.Equal(got, want) {
		t.Errorf("Open: %v", err)
	}
}

func mustHex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
