package blob

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"testing"
	"time"
)

func TestFSLayout(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "blobs")
	s, err := NewFS(dir)
	if err != nil {
		t.Fatal(err)
	}
	info, err := s.Put(context.Background(), bytes.NewReader([]byte("PDF")), 0)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, info.ID[:2], info.ID[2:4], info.ID)
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatalf("object not at sharded path: %v", err)
	}
	if runtime.GOOS == "windows" {
		return
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("object mode = %04o, want 0600", fi.Mode().Perm())
	}
	for _, d := range []string{dir, filepath.Join(dir, tempDir), filepath.Dir(path), filepath.Dir(filepath.Dir(path))} {
		fi, err := os.Stat(d)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm()&0o077 != 0 {
			t.Errorf("%s mode = %04o, want no group/other access", d, fi.Mode().Perm())
		}
	}
	if got := regularFiles(t, dir); len(got) != 1 {
		t.Errorf("files = %v, want just the object", got)
	}
}

func TestFSRemovesStaleTempFiles(t *testing.T) {
	dir := t.TempDir()
	if _, err := NewFS(dir); err != nil {
		t.Fatal(err)
	}
	stale := filepath.Join(dir, tempDir, tempPrefix+"stale")
	fresh := filepath.Join(dir, tempDir, tempPrefix+"fresh")
	for _, p := range []string{stale, fresh} {
		if err := os.WriteFile(p, []byte("partial"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	old := time.Now().Add(-2 * time.Hour)
	if err := os.Chtimes(stale, old, old); err != nil {
		t.Fatal(err)
	}
	if _, err := NewFS(dir); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stale); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("stale temp file still there: %v", err)
	}
	if _, err := os.Stat(fresh); err != nil {
		t.Errorf("fresh temp file removed: %v", err)
	}
}

func TestFSPutID(t *testing.T) {
	s, err := NewFS(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	id, _ := NewID()
	info, err := s.PutID(ctx, id, bytes.NewReader([]byte("a")), 0)
	if err != nil || info.ID != id {
		t.Fatalf("PutID = %+v, %v", info, err)
	}
	if _, err := s.PutID(ctx, id, bytes.NewReader([]byte("b")), 0); !errors.Is(err, ErrExists) {
		t.Errorf("second PutID: err = %v, want ErrExists", err)
	}
	if got, _ := readAll(t, s, id); string(got) != "a" {
		t.Errorf("content = %q, want the first one", got)
	}
}

// TestFSSeek checks that the reader hides the header from seeking callers
// such as http.ServeContent.
func TestFSSeek(t *testing.T) {
	s, err := NewFS(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	info, err := s.Put(context.Background(), bytes.NewReader([]byte("0123456789")), 0)
	if err != nil {
		t.Fatal(err)
	}
	rc, _, err := s.Open(context.Background(), info.ID)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	rs, ok := rc.(io.ReadSeeker)
	if !ok {
		t.Fatal("reader is not an io.ReadSeeker")
	}
	if end, err := rs.Seek(0, io.SeekEnd); err != nil || end != 10 {
		t.Fatalf("Seek(end) = %d, %v", end, err)
	}
	if _, err := rs.Seek(4, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(rs)
	if err != nil || string(got) != "456789" {
		t.Errorf("read after seek = %q, %v", got, err)
	}
}

func TestFSCorruptObject(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name   string
		damage func(b []byte) []byte
	}{
		{"truncated content", func(b []byte) []byte { return b[:len(b)-1] }},
		{"appended content", func(b []byte) []byte { return append(b, 'x') }},
		{"truncated header", func(b []byte) []byte { return b[:headerSize-1] }},
		{"empty file", func(b []byte) []byte { return nil }},
		{"bad magic", func(b []byte) []byte { b[0] = 'X'; return b }},
		{"size changed", func(b []byte) []byte { b[15]++; return b }},
		{"hash changed", func(b []byte) []byte { b[20] ^= 1; return b }},
		{"reserved set", func(b []byte) []byte { b[63] = 1; return b }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			s, err := NewFS(dir)
			if err != nil {
				t.Fatal(err)
			}
			info, err := s.Put(ctx, bytes.NewReader([]byte("Meldebescheinigung")), 0)
			if err != nil {
				t.Fatal(err)
			}
			path := s.path(info.ID)
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, tt.damage(b), 0o600); err != nil {
				t.Fatal(err)
			}
			if _, err := s.Stat(ctx, info.ID); !errors.Is(err, ErrCorrupt) {
				t.Errorf("Stat: err = %v, want ErrCorrupt", err)
			}
			if _, _, err := s.Open(ctx, info.ID); !errors.Is(err, ErrCorrupt) {
				t.Errorf("Open: err = %v, want ErrCorrupt", err)
			}
		})
	}
}

func TestNewFSEmptyDir(t *testing.T) {
	if _, err := NewFS(""); err == nil {
		t.Fatal("NewFS(\"\") succeeded")
	}
}

var idPattern = regexp.MustCompile(`^[0-9a-f]{32}$`)

func TestNewID(t *testing.T) {
	a, err := NewID()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := NewID()
	if !idPattern.MatchString(a) || !validID(a) || a == b {
		t.Errorf("NewID = %q, %q", a, b)
	}
}

func FuzzValidID(f *testing.F) {
	for _, s := range []string{"", "../x", "0123456789abcdef0123456789abcdef", "0123456789ABCDEF0123456789abcdef", "ab/cd"} {
		f.Add(s)
	}
	root := filepath.FromSlash("/srv/ozgo/blobs")
	s := &FS{dir: root}
	f.Fuzz(func(t *testing.T, id string) {
		got := validID(id)
		if want := idPattern.MatchString(id); got != want {
			t.Fatalf("validID(%q) = %v, want %v", id, got, want)
		}
		if !got {
			return
		}
		// A valid id must map into the store's directory tree.
		rel, err := filepath.Rel(root, s.path(id))
		if err != nil || !filepath.IsLocal(rel) || filepath.Base(rel) != id {
			t.Fatalf("id %q maps to %q", id, s.path(id))
		}
	})
}
