package crypt

import (
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
)

// KeyFileName is the name of the key file LoadKeyring reads in the data
// directory.
const KeyFileName = "master.key"

// maxKeyFileSize bounds how much of a key file is read; a real one holds a
// handful of 44-character lines.
const maxKeyFileSize = 64 << 10

const keyFileHeader = `# ozgo master keys (key-encryption keys): one base64 key per line.
# The first key encrypts new data. Further keys are only used to decrypt
# data written before a key rotation; keep them until that data has been
# re-encrypted. Without this file all encrypted data is lost: back it up,
# separately from the database and blob backups.
`

// LoadKeyring returns the keyring configured for an ozgo instance.
//
// If envValue (the value of OZGO_MASTER_KEY) is not blank, it holds one
// or more base64-encoded 32-byte keys separated by commas, current first.
// Otherwise the keys are read from dataDir/master.key: one base64 key per
// line, current first, blank lines and lines starting with '#' ignored. If
// that file does not exist, it is created with one new random key; the
// Generated method of the result then reports true. Base64 may be standard
// or URL-safe, padded or not.
//
// The key file must not be accessible by group or others.
func LoadKeyring(dataDir string, envValue string) (*Keyring, error) {
	if strings.TrimSpace(envValue) != "" {
		keys, err := parseKeyList(envValue)
		if err != nil {
			return nil, fmt.Errorf("OZGO_MASTER_KEY: %w", err)
		}
		kr, err := NewKeyring(keys...)
		if err != nil {
			return nil, fmt.Errorf("OZGO_MASTER_KEY: %w", err)
		}
		return kr, nil
	}

	path := filepath.Join(dataDir, KeyFileName)
	data, err := readKeyFile(path)
	generated := false
	if errors.Is(err, fs.ErrNotExist) {
		data, generated, err = createKeyFile(dataDir, path)
	}
	if err != nil {
		return nil, err
	}
	keys, err := parseKeyFile(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	kr, err := NewKeyring(keys...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	kr.generated = generated
	return kr, nil
}

// readKeyFile reads the key file after checking, on the open file to avoid
// races, that it is a regular file private to its owner. The returned
// error wraps fs.ErrNotExist if the file does not exist.
func readKeyFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
		return nil, fmt.Errorf("crypt: open key file: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("crypt: stat key file: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("crypt: key file %s is not a regular file", path)
	}
	// Windows has no Unix permission bits; there the ACLs of the data
	// directory have to protect the file.
	if runtime.GOOS != "windows" && fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("crypt: key file %s has permissions %04o and is readable by group or others; restrict it with: chmod 600 %s",
			path, fi.Mode().Perm(), path)
	}
	data, err := io.ReadAll(io.LimitReader(f, maxKeyFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("crypt: read key file: %w", err)
	}
	if len(data) > maxKeyFileSize {
		return nil, fmt.Errorf("crypt: key file %s is larger than %d bytes", path, maxKeyFileSize)
	}
	return data, nil
}

// createKeyFile writes a key file with one new key and returns its
// content. The file appears atomically and durably: it is written to a
// temporary file in the same directory, synced, and then linked into place.
// A hard link, unlike rename, fails if the target exists, so two processes
// starting at once cannot overwrite each other's key; the loser reads the
// winner's file instead, and created is false.
func createKeyFile(dir, path string) (data []byte, created bool, err error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, false, fmt.Errorf("crypt: create data directory: %w", err)
	}
	key, err := GenerateKey()
	if err != nil {
		return nil, false, err
	}
	data = []byte(keyFileHeader + base64.StdEncoding.EncodeToString(key) + "\n")

	tmp, err := os.CreateTemp(dir, "."+KeyFileName+".tmp-*") // mode 0600
	if err != nil {
		return nil, false, fmt.Errorf("crypt: create key file: %w", err)
	}
	tmpName := tmp.Name()
	defer os.Remove(tmpName) // after a successful link only the temporary name goes
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return nil, false, fmt.Errorf("crypt: write key file: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return nil, false, fmt.Errorf("crypt: sync key file: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return nil, false, fmt.Errorf("crypt: close key file: %w", err)
	}
	if err := os.Link(tmpName, path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			// Another process created the file first; use its key.
			existing, rerr := readKeyFile(path)
			return existing, false, rerr
		}
		// Some filesystems cannot hard-link. Fall back to rename, which
		// is atomic too but would replace a file created concurrently.
		if _, statErr := os.Lstat(path); statErr == nil {
			existing, rerr := readKeyFile(path)
			return existing, false, rerr
		}
		if err := os.Rename(tmpName, path); err != nil {
			return nil, false, fmt.Errorf("crypt: install key file: %w", err)
		}
	}
	if err := syncDir(dir); err != nil {
		return nil, false, fmt.Errorf("crypt: sync data directory: %w", err)
	}
	return data, true, nil
}

// syncDir makes a directory entry change (create, rename) durable.
func syncDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil // directories cannot be synced there; NTFS journals metadata
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// parseKeyFile parses the content of a key file. Errors name the line
// number, never the line's content.
func parseKeyFile(data []byte) ([][]byte, error) {
	text := strings.TrimPrefix(string(data), "\ufeff") // BOM from some editors
	var keys [][]byte
	for i, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, err := decodeKey(line)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", i+1, err)
		}
		keys = append(keys, k)
	}
	if len(keys) == 0 {
		return nil, errors.New("no key found")
	}
	return keys, nil
}

// parseKeyList parses the comma-separated keys of OZGO_MASTER_KEY. Errors
// name the position of the key in the list, never its content.
func parseKeyList(s string) ([][]byte, error) {
	parts := strings.Split(s, ",")
	keys := make([][]byte, 0, len(parts))
	for i, p := range parts {
		p = strings.TrimSpace(p)
		if p == "" {
			return nil, fmt.Errorf("key %d is empty", i+1)
		}
		k, err := decodeKey(p)
		if err != nil {
			return nil, fmt.Errorf("key %d: %w", i+1, err)
		}
		keys = append(keys, k)
	}
	return keys, nil
}

var keyEncodings = []*base64.Encoding{
	base64.StdEncoding, base64.RawStdEncoding,
	base64.URLEncoding, base64.RawURLEncoding,
}

// decodeKey decodes one base64 key in any of the common alphabets and
// checks its length. The error deliberately does not include the input
// or the decoder's message, which can echo parts of it.
func decodeKey(s string) ([]byte, error) {
	for _, enc := range keyEncodings {
		k, err := enc.DecodeString(s)
		if err != nil {
			continue
		}
		if len(k) != KeySize {
			return nil, fmt.Errorf("key has %d bytes, want %d", len(k), KeySize)
		}
		return k, nil
	}
	return nil, errors.New("not valid base64")
}
