package blob

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path/filepath"
	"sync"
	"testing"

	"github.com/ozgo/ozgo/internal/crypt"
)

// storeFactory opens a store over dir; calling it twice with the same dir
// must give two independent instances over the same data.
type storeFactory func(t *testing.T, dir string) Store

func newTestFS(t *testing.T, dir string) Store {
	t.Helper()
	s, err := NewFS(dir)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func testKeyring(t testing.TB, seeds ...byte) *crypt.Keyring {
	t.Helper()
	keys := make([][]byte, len(seeds))
	for i, s := range seeds {
		keys[i] = bytes.Repeat([]byte{s}, crypt.KeySize)
	}
	kr, err := crypt.NewKeyring(keys...)
	if err != nil {
		t.Fatal(err)
	}
	return kr
}

func newTestEncrypted(t *testing.T, dir string) Store {
	t.Helper()
	fsys, err := NewFS(dir)
	if err != nil {
		t.Fatal(err)
	}
	return NewEncrypted(fsys, testKeyring(t, 1))
}

var factories = []struct {
	name string
	new  storeFactory
}{
	{"FS", newTestFS},
	{"Encrypted", newTestEncrypted},
}

// content returns n bytes that differ per seed.
func content(n int, seed byte) []byte {
	b := make([]byte, n)
	x := uint32(seed)*2654435761 + 1
	for i := range b {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		b[i] = byte(x)
	}
	return b
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// regularFiles lists the regular files below dir, relative to it.
func regularFiles(t *testing.T, dir string) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() {
			rel, _ := filepath.Rel(dir, path)
			files = append(files, rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func readAll(t *testing.T, s Store, id string) ([]byte, Info) {
	t.Helper()
	rc, info, err := s.Open(context.Background(), id)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	return b, info
}

func TestStores(t *testing.T) {
	for _, f := range factories {
		t.Run(f.name, func(t *testing.T) {
			t.Run("RoundTrip", func(t *testing.T) { testRoundTrip(t, f.new) })
			t.Run("NotFound", func(t *testing.T) { testNotFound(t, f.new) })
			t.Run("TooLarge", func(t *testing.T) { testTooLarge(t, f.new) })
			t.Run("InvalidID", func(t *testing.T) { testInvalidID(t, f.new) })
			t.Run("Concurrent", func(t *testing.T) { testConcurrent(t, f.new) })
			t.Run("Delete", func(t *testing.T) { testDelete(t, f.new) })
			t.Run("Reopen", func(t *testing.T) { testReopen(t, f.new) })
			t.Run("FailedPut", func(t *testing.T) { testFailedPut(t, f.new) })
		})
	}
}

func testRoundTrip(t *testing.T, newStore storeFactory) {
	s := newStore(t, t.TempDir())
	ctx := context.Background()
	for i, size := range []int{0, 1, 1000, 64<<10 - 1, 64 << 10, 64<<10 + 1, 3<<20 + 5} {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			want := content(size, byte(i))
			info, err := s.Put(ctx, bytes.NewReader(want), 0)
			if err != nil {
				t.Fatal(err)
			}
			if !validID(info.ID) {
				t.Errorf("invalid id %q", info.ID)
			}
			if info.Size != int64(size) || info.SHA256 != sha(want) || info.Created.IsZero() {
				t.Errorf("Put info = %+v, want size %d, sha %s", info, size, sha(want))
			}
			st, err := s.Stat(ctx, info.ID)
			if err != nil {
				t.Fatal(err)
			}
			if st != info {
				t.Errorf("Stat = %+v, want %+v", st, info)
			}
			got, oi := readAll(t, s, info.ID)
			if !bytes.Equal(got, want) {
				t.Error("content mismatch")
			}
			if oi != info {
				t.Errorf("Open info = %+v, want %+v", oi, info)
			}
		})
	}
}

func testNotFound(t *testing.T, newStore storeFactory) {
	s := newStore(t, t.TempDir())
	ctx := context.Background()
	id, err := NewID()
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Open(ctx, id); !errors.Is(err, ErrNotFound) {
		t.Errorf("Open: err = %v, want ErrNotFound", err)
	}
	if _, err := s.Stat(ctx, id); !errors.Is(err, ErrNotFound) {
		t.Errorf("Stat: err = %v, want ErrNotFound", err)
	}
}

func testTooLarge(t *testing.T, newStore storeFactory) {
	dir := t.TempDir()
	s := newStore(t, dir)
	ctx := context.Background()
	data := content(100<<10, 1)
	tests := []struct {
		name    string
		max     int64
		wantErr bool
	}{
		{"no limit", 0, false},
		{"negative means no limit", -1, false},
		{"exact", int64(len(data)), false},
		{"one byte short", int64(len(data)) - 1, true},
		{"tiny", 1, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(regularFiles(t, dir))
			info, err := s.Put(ctx, bytes.NewReader(data), tt.max)
			if !tt.wantErr {
				if err != nil || info.Size != int64(len(data)) {
					t.Fatalf("Put = %+v, %v", info, err)
				}
				return
			}
			if !errors.Is(err, ErrTooLarge) {
				t.Fatalf("err = %v, want ErrTooLarge", err)
			}
			if files := regularFiles(t, dir); len(files) != before {
				t.Errorf("files left behind: %v", files)
			}
		})
	}
}

func testInvalidID(t *testing.T, newStore storeFactory) {
	s := newStore(t, t.TempDir())
	ctx := context.Background()
	valid, _ := NewID()
	for _, id := range []string{
		"", "../x", "../../../../etc/passwd", "..", "/", "tmp",
		"0123456789ABCDEF0123456789abcdef", // upper case
		"0123456789abcdef",                 // short
		valid[:31],
		valid + "0",
		"0123456789abcdef0123456789abcdeg",
		"01/3456789abcdef0123456789abcdef",
		"0123456789abcdef0123456789abcde\x00",
		"../../tmp/0123456789abcdef012345",
	} {
		t.Run(fmt.Sprintf("%q", id), func(t *testing.T) {
			if _, _, err := s.Open(ctx, id); !errors.Is(err, ErrInvalidID) {
				t.Errorf("Open: err = %v", err)
			}
			if _, err := s.Stat(ctx, id); !errors.Is(err, ErrInvalidID) {
				t.Errorf("Stat: err = %v", err)
			}
			if err := s.Delete(ctx, id); !errors.Is(err, ErrInvalidID) {
				t.Errorf("Delete: err = %v", err)
			}
			if ids, ok := s.(IDStore); ok {
				if _, err := ids.PutID(ctx, id, bytes.NewReader(nil), 0); !errors.Is(err, ErrInvalidID) {
					t.Errorf("PutID: err = %v", err)
				}
			}
		})
	}
}

func testConcurrent(t *testing.T, newStore storeFactory) {
	s := newStore(t, t.TempDir())
	ctx := context.Background()
	const n = 16
	infos := make([]Info, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			infos[i], errs[i] = s.Put(ctx, bytes.NewReader(content(70<<10+i, byte(i))), 0)
		})
	}
	wg.Wait()
	seen := map[string]bool{}
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("Put %d: %v", i, errs[i])
		}
		if seen[infos[i].ID] {
			t.Fatalf("duplicate id %s", infos[i].ID)
		}
		seen[infos[i].ID] = true
	}
	// Read them back concurrently as well.
	for i := range n {
		wg.Go(func() {
			rc, _, err := s.Open(ctx, infos[i].ID)
			if err != nil {
				errs[i] = err
				return
			}
			defer rc.Close()
			got, err := io.ReadAll(rc)
			if err == nil && !bytes.Equal(got, content(70<<10+i, byte(i))) {
				err = errors.New("content mismatch")
			}
			errs[i] = err
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("object %d: %v", i, err)
		}
	}
}

func testDelete(t *testing.T, newStore storeFactory) {
	s := newStore(t, t.TempDir())
	ctx := context.Background()
	info, err := s.Put(ctx, bytes.NewReader([]byte("Bescheid")), 0)
	if err != nil {
		t.Fatal(err)
	}
	other, err := s.Put(ctx, bytes.NewReader([]byte("andere Datei")), 0)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		if err := s.Delete(ctx, info.ID); err != nil {
			t.Fatalf("Delete #%d: %v", i+1, err)
		}
	}
	if _, err := s.Stat(ctx, info.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("Stat after Delete: err = %v, want ErrNotFound", err)
	}
	if got, _ := readAll(t, s, other.ID); string(got) != "andere Datei" {
		t.Error("Delete affected another object")
	}
}

func testReopen(t *testing.T, newStore storeFactory) {
	dir := t.TempDir()
	ctx := context.Background()
	want := content(200<<10, 9)
	info, err := newStore(t, dir).Put(ctx, bytes.NewReader(want), 0)
	if err != nil {
		t.Fatal(err)
	}
	fresh := newStore(t, dir)
	got, oi := readAll(t, fresh, info.ID)
	if !bytes.Equal(got, want) || oi != info {
		t.Errorf("fresh instance: equal = %v, info = %+v, want %+v", bytes.Equal(got, want), oi, info)
	}
}

type failingReader struct {
	r   io.Reader
	err error
}

func (f *failingReader) Read(p []byte) (int, error) {
	n, err := f.r.Read(p)
	if err == io.EOF {
		return n, f.err
	}
	return n, err
}

func testFailedPut(t *testing.T, newStore storeFactory) {
	dir := t.TempDir()
	s := newStore(t, dir)

	readErr := errors.New("client went away")
	_, err := s.Put(context.Background(), &failingReader{r: bytes.NewReader(content(100<<10, 2)), err: readErr}, 0)
	if !errors.Is(err, readErr) {
		t.Errorf("reader error: err = %v, want it wrapped", err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.Put(ctx, bytes.NewReader([]byte("x")), 0); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled context: err = %v, want context.Canceled", err)
	}

	// Cancelled while the content is being copied.
	ctx, cancel = context.WithCancel(context.Background())
	defer cancel()
	r := io.MultiReader(bytes.NewReader(content(1<<20, 3)), readerFunc(func(p []byte) (int, error) {
		cancel()
		return copy(p, "more"), nil
	}), bytes.NewReader(content(1<<20, 4)))
	if _, err := s.Put(ctx, r, 0); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled during copy: err = %v, want context.Canceled", err)
	}

	if files := regularFiles(t, dir); len(files) != 0 {
		t.Errorf("files left behind: %v", files)
	}
}

type readerFunc func([]byte) (int, error)

func (f readerFunc) Read(p []byte) (int, error) { return f(p) }
