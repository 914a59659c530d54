package crypt

import (
	"bytes"
	"encoding/base64"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
)

func TestLoadKeyringEnv(t *testing.T) {
	k1, k2 := testKey(0xfb), testKey(0xfe) // bytes that differ between std and URL alphabets
	std := base64.StdEncoding.EncodeToString
	tests := []struct {
		name     string
		env      string
		wantKIDs []string
		wantErr  string
	}{
		{"std padded", std(k1), []string{testKID(k1)}, ""},
		{"std raw", base64.RawStdEncoding.EncodeToString(k1), []string{testKID(k1)}, ""},
		{"url padded", base64.URLEncoding.EncodeToString(k1), []string{testKID(k1)}, ""},
		{"url raw", base64.RawURLEncoding.EncodeToString(k1), []string{testKID(k1)}, ""},
		{"two keys with spaces", " " + std(k2) + " , " + std(k1) + "\n", []string{testKID(k2), testKID(k1)}, ""},
		{"bad base64", std(k1) + ",not*base64", nil, "key 2: not valid base64"},
		{"short key", base64.StdEncoding.EncodeToString(k1[:16]), nil, "key 1: key has 16 bytes, want 32"},
		{"empty entry", std(k1) + ",", nil, "key 2 is empty"},
		{"duplicate", std(k1) + "," + base64.RawURLEncoding.EncodeToString(k1), nil, "listed twice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			kr, err := LoadKeyring(dir, tt.env)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want containing %q", err, tt.wantErr)
				}
				if !strings.Contains(err.Error(), "OZGO_MASTER_KEY") {
					t.Errorf("error %q does not name the variable", err)
				}
				assertNoSecret(t, err, tt.env)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Join(kr.KIDs(), ","); got != strings.Join(tt.wantKIDs, ",") {
				t.Errorf("KIDs = %s, want %s", got, strings.Join(tt.wantKIDs, ","))
			}
			if kr.Generated() {
				t.Error("Generated = true for env keys")
			}
			if _, err := os.Stat(filepath.Join(dir, KeyFileName)); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("key file created although env was set: %v", err)
			}
		})
	}
}

// assertNoSecret fails if err mentions any comma-separated part of secret.
func assertNoSecret(t *testing.T, err error, secret string) {
	t.Helper()
	for _, part := range strings.FieldsFunc(secret, func(r rune) bool { return r == ',' || r == '\n' }) {
		part = strings.TrimSpace(part)
		if len(part) >= 8 && !strings.HasPrefix(part, "#") && strings.Contains(err.Error(), part) {
			t.Errorf("error %q contains input %q", err, part)
		}
	}
}

func TestLoadKeyringCreatesFile(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data") // does not exist yet
	kr, err := LoadKeyring(dir, "")
	if err != nil {
		t.Fatal(err)
	}
	if !kr.Generated() {
		t.Error("Generated = false for new key file")
	}
	path := filepath.Join(dir, KeyFileName)
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if runtime.GOOS != "windows" && fi.Mode().Perm() != 0o600 {
		t.Errorf("mode = %04o, want 0600", fi.Mode().Perm())
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		t.Errorf("data dir holds %d entries, want only the key file", len(entries))
	}

	again, err := LoadKeyring(dir, "")
	if err != nil {
		t.Fatal(err)
	}
	if again.Generated() {
		t.Error("Generated = true when loading an existing file")
	}
	if again.CurrentKID() != kr.CurrentKID() {
		t.Error("reloaded key differs")
	}
	ct, err := kr.Seal([]byte("x"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := again.Open(ct, nil); err != nil {
		t.Errorf("reloaded keyring cannot open: %v", err)
	}
}

// TestLoadKeyringConcurrentCreate starts several loaders on an empty
// directory; all must end up with the same key.
func TestLoadKeyringConcurrentCreate(t *testing.T) {
	dir := t.TempDir()
	const n = 8
	kids := make([]string, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			kr, err := LoadKeyring(dir, "")
			errs[i] = err
			if err == nil {
				kids[i] = kr.CurrentKID()
			}
		})
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("loader %d: %v", i, errs[i])
		}
		if kids[i] != kids[0] {
			t.Fatalf("loader %d got kid %s, loader 0 got %s", i, kids[i], kids[0])
		}
	}
}

func TestLoadKeyringFile(t *testing.T) {
	k1, k2 := testKey(1), testKey(2)
	enc := base64.StdEncoding.EncodeToString
	tests := []struct {
		name     string
		content  string
		mode     fs.FileMode
		wantKIDs []string
		wantErr  string
	}{
		{"one key", enc(k1) + "\n", 0o600, []string{testKID(k1)}, ""},
		{"comments and blanks", "# ozgo\n\n  # indented comment\n" + enc(k2) + "\r\n\n" + base64.RawURLEncoding.EncodeToString(k1), 0o400,
			[]string{testKID(k2), testKID(k1)}, ""},
		{"bom", "\ufeff" + enc(k1), 0o600, []string{testKID(k1)}, ""},
		{"group readable", enc(k1), 0o640, nil, "chmod 600"},
		{"world readable", enc(k1), 0o604, nil, "chmod 600"},
		{"empty", "", 0o600, nil, "no key found"},
		{"only comments", "# nothing\n", 0o600, nil, "no key found"},
		{"bad base64 line 3", "# c\n" + enc(k1) + "\n" + enc(k2)[:20] + "!!\n", 0o600, nil, "line 3: not valid base64"},
		{"wrong length line 2", "\n" + enc(k1[:31]), 0o600, nil, "line 2: key has 31 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if runtime.GOOS == "windows" && strings.Contains(tt.wantErr, "chmod") {
				t.Skip("no permission bits")
			}
			dir := t.TempDir()
			path := filepath.Join(dir, KeyFileName)
			if err := os.WriteFile(path, []byte(tt.content), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(path, tt.mode); err != nil {
				t.Fatal(err)
			}
			kr, err := LoadKeyring(dir, "")
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want containing %q", err, tt.wantErr)
				}
				assertNoSecret(t, err, strings.ReplaceAll(tt.content, "\n", ","))
				// The file must never be replaced by a generated one.
				if got, _ := os.ReadFile(path); !bytes.Equal(got, []byte(tt.content)) {
					t.Error("key file was modified")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Join(kr.KIDs(), ","); got != strings.Join(tt.wantKIDs, ",") {
				t.Errorf("KIDs = %s, want %s", got, strings.Join(tt.wantKIDs, ","))
			}
		})
	}
}

func TestLoadKeyringNotRegular(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, KeyFileName), 0o700); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadKeyring(dir, ""); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Fatalf("err = %v, want not a regular file", err)
	}
}
