package blob

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"time"
)

// Object file format. Each object is one file whose fixed-size header
// holds the metadata, followed by the content:
//
//	offset  size  field
//	0       8     magic "OZBLOB" 0x00 0x01 (version 1)
//	8       8     content size, uint64 big-endian
//	16      32    SHA-256 of the content
//	48      8     creation time, Unix nanoseconds, int64 big-endian
//	56      4     CRC-32C of bytes 0..56
//	60      4     reserved, zero
//	64      size  content
//
// Keeping the metadata in the object file itself, instead of a sidecar,
// means a single rename publishes object and metadata together: there is
// no state in which one exists without the other, and nothing to clean
// up after a crash except temporary files. The header is filled in after
// the content has been streamed (the hash is known only then), which is
// cheap because the file is still private in the temp directory. Stat
// reads just the header, so it costs the same for any object size.
const (
	headerSize = 64
	tempDir    = "tmp"
	tempPrefix = "put-"
	// staleTemp is how old a temporary file must be before NewFS deletes
	// it; younger ones may belong to a Put running in another process.
	staleTemp = time.Hour
)

var (
	headerMagic = [8]byte{'O', 'Z', 'B', 'L', 'O', 'B', 0, 1}
	crcTable    = crc32.MakeTable(crc32.Castagnoli)
)

// FS is a Store that keeps objects as files below a directory. Object id
// "abcd…" is stored at dir/ab/cd/abcd…, so no directory grows too large.
// Writes are atomic and durable: a crash leaves at most a temporary file
// in dir/tmp, never a partial object.
//
// FS does not verify content hashes on read; wrap it with NewEncrypted
// for tamper detection.
type FS struct {
	dir string
	tmp string
}

var _ IDStore = (*FS)(nil)

// NewFS returns a store in dir, creating it with mode 0700 if needed. It
// removes temporary files left over by interrupted writes.
func NewFS(dir string) (*FS, error) {
	if dir == "" {
		return nil, errors.New("blob: empty directory name")
	}
	s := &FS{dir: filepath.Clean(dir)}
	s.tmp = filepath.Join(s.dir, tempDir)
	if err := os.MkdirAll(s.tmp, 0o700); err != nil {
		return nil, fmt.Errorf("blob: create store directory: %w", err)
	}
	if err := s.removeStaleTemp(time.Now().Add(-staleTemp)); err != nil {
		return nil, err
	}
	return s, nil
}

// removeStaleTemp deletes temporary files last modified before cutoff.
// Failing to delete one is not fatal: it wastes space but is never read.
func (s *FS) removeStaleTemp(cutoff time.Time) error {
	entries, err := os.ReadDir(s.tmp)
	if err != nil {
		return fmt.Errorf("blob: list temporary files: %w", err)
	}
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue
		}
		fi, err := e.Info()
		if err != nil || !fi.ModTime().Before(cutoff) {
			continue
		}
		_ = os.Remove(filepath.Join(s.tmp, e.Name()))
	}
	return nil
}

// path returns the file name of a valid id.
func (s *FS) path(id string) string {
	return filepath.Join(s.dir, id[0:2], id[2:4], id)
}

// Put implements Store.
func (s *FS) Put(ctx context.Context, r io.Reader, maxSize int64) (Info, error) {
	id, err := NewID()
	if err != nil {
		return Info{}, err
	}
	return s.put(ctx, id, r, maxSize)
}

// PutID implements IDStore.
func (s *FS) PutID(ctx context.Context, id string, r io.Reader, maxSize int64) (Info, error) {
	if err := checkID(id); err != nil {
		return Info{}, err
	}
	return s.put(ctx, id, r, maxSize)
}

func (s *FS) put(ctx context.Context, id string, r io.Reader, maxSize int64) (info Info, err error) {
	if err := ctx.Err(); err != nil {
		return Info{}, err
	}
	final := s.path(id)
	// Ids are random, so this only catches a caller of PutID reusing an
	// id; a concurrent PutID of the same id could still slip through
	// before the rename below.
	if _, err := os.Lstat(final); err == nil {
		return Info{}, ErrExists
	} else if !errors.Is(err, fs.ErrNotExist) {
		return Info{}, fmt.Errorf("blob: check object: %w", err)
	}

	f, err := os.CreateTemp(s.tmp, tempPrefix+"*") // mode 0600
	if err != nil {
		return Info{}, fmt.Errorf("blob: create temporary file: %w", err)
	}
	tmpName := f.Name()
	defer func() {
		if err != nil {
			f.Close() // may already be closed; the error is irrelevant then
			os.Remove(tmpName)
		}
	}()

	// Reserve the header; it is written once the content is known.
	if _, err := f.Write(make([]byte, headerSize)); err != nil {
		return Info{}, fmt.Errorf("blob: write object: %w", err)
	}
	src := io.Reader(ctxReader{ctx: ctx, r: r})
	if maxSize > 0 {
		// One byte more than allowed tells "exactly maxSize" from "too large".
		src = io.LimitReader(src, maxSize+1)
	}
	h := sha256.New()
	n, err := io.CopyBuffer(io.MultiWriter(f, h), src, make([]byte, 128<<10))
	if err != nil {
		return Info{}, fmt.Errorf("blob: write object: %w", err)
	}
	if maxSize > 0 && n > maxSize {
		return Info{}, fmt.Errorf("%w: more than %d bytes", ErrTooLarge, maxSize)
	}
	sum := h.Sum(nil)
	info = Info{ID: id, Size: n, SHA256: hex.EncodeToString(sum), Created: time.Now().UTC()}
	if _, err := f.WriteAt(encodeHeader(n, sum, info.Created), 0); err != nil {
		return Info{}, fmt.Errorf("blob: write object header: %w", err)
	}
	if err := f.Sync(); err != nil {
		return Info{}, fmt.Errorf("blob: sync object: %w", err)
	}
	if err := f.Close(); err != nil {
		return Info{}, fmt.Errorf("blob: close object: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return Info{}, err
	}

	shard := filepath.Dir(final)
	created, err := makeShard(shard)
	if err != nil {
		return Info{}, err
	}
	if err := os.Rename(tmpName, final); err != nil {
		return Info{}, fmt.Errorf("blob: publish object: %w", err)
	}
	// Make the rename (and new shard directories) durable before
	// reporting success; callers will store the id in the database.
	dirs := []string{shard}
	if created {
		dirs = append(dirs, filepath.Dir(shard), s.dir)
	}
	for _, d := range dirs {
		if err := syncDir(d); err != nil {
			os.Remove(final) // not durable: better no object than a lost one
			return Info{}, fmt.Errorf("blob: sync directory: %w", err)
		}
	}
	return info, nil
}

// makeShard creates a shard directory and reports whether it had to.
func makeShard(shard string) (bool, error) {
	if _, err := os.Stat(shard); err == nil {
		return false, nil
	}
	if err := os.MkdirAll(shard, 0o700); err != nil {
		return false, fmt.Errorf("blob: create shard directory: %w", err)
	}
	return true, nil
}

// syncDir makes changes to a directory's entries durable.
func syncDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil // directories cannot be synced there
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

func encodeHeader(size int64, sum []byte, created time.Time) []byte {
	b := make([]byte, headerSize)
	copy(b, headerMagic[:])
	binary.BigEndian.PutUint64(b[8:], uint64(size))
	copy(b[16:48], sum)
	binary.BigEndian.PutUint64(b[48:], uint64(created.UnixNano()))
	binary.BigEndian.PutUint32(b[56:], crc32.Checksum(b[:56], crcTable))
	return b
}

// decodeHeader parses an object header; fileSize is the size of the whole
// file, which must match the recorded content size.
func decodeHeader(b []byte, id string, fileSize int64) (Info, error) {
	if len(b) != headerSize || string(b[:8]) != string(headerMagic[:]) {
		return Info{}, fmt.Errorf("%w: %s: bad header", ErrCorrupt, id)
	}
	if crc32.Checksum(b[:56], crcTable) != binary.BigEndian.Uint32(b[56:]) ||
		binary.BigEndian.Uint32(b[60:]) != 0 {
		return Info{}, fmt.Errorf("%w: %s: header checksum mismatch", ErrCorrupt, id)
	}
	size := binary.BigEndian.Uint64(b[8:])
	if size != uint64(fileSize-headerSize) {
		return Info{}, fmt.Errorf("%w: %s: size mismatch", ErrCorrupt, id)
	}
	return Info{
		ID:      id,
		Size:    int64(size),
		SHA256:  hex.EncodeToString(b[16:48]),
		Created: time.Unix(0, int64(binary.BigEndian.Uint64(b[48:]))).UTC(),
	}, nil
}

// openObject opens an object file and reads its header.
func (s *FS) openObject(ctx context.Context, id string) (*os.File, Info, error) {
	if err := ctx.Err(); err != nil {
		return nil, Info{}, err
	}
	if err := checkID(id); err != nil {
		return nil, Info{}, err
	}
	f, err := os.Open(s.path(id))
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, Info{}, ErrNotFound
		}
		return nil, Info{}, fmt.Errorf("blob: open object: %w", err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, Info{}, fmt.Errorf("blob: stat object: %w", err)
	}
	hdr := make([]byte, headerSize)
	if fi.Size() < headerSize {
		f.Close()
		return nil, Info{}, fmt.Errorf("%w: %s: file too short", ErrCorrupt, id)
	}
	if _, err := f.ReadAt(hdr, 0); err != nil {
		f.Close()
		return nil, Info{}, fmt.Errorf("blob: read object header: %w", err)
	}
	info, err := decodeHeader(hdr, id, fi.Size())
	if err != nil {
		f.Close()
		return nil, Info{}, err
	}
	return f, info, nil
}

// Open implements Store. The returned reader also implements io.Seeker
// and io.ReaderAt over the content (e.g. for http.ServeContent).
func (s *FS) Open(ctx context.Context, id string) (io.ReadCloser, Info, error) {
	f, info, err := s.openObject(ctx, id)
	if err != nil {
		return nil, Info{}, err
	}
	return &objectReader{SectionReader: io.NewSectionReader(f, headerSize, info.Size), f: f}, info, nil
}

// objectReader reads the content of an object file, hiding its header.
type objectReader struct {
	*io.SectionReader
	f *os.File
}

// Close closes the object file.
func (r *objectReader) Close() error { return r.f.Close() }

// Stat implements Store. It reads only the object header.
func (s *FS) Stat(ctx context.Context, id string) (Info, error) {
	f, info, err := s.openObject(ctx, id)
	if err != nil {
		return Info{}, err
	}
	f.Close()
	return info, nil
}

// Delete implements Store. The removal is made durable, so that deleted
// personal data does not reappear after a crash. The shard directories
// are kept: removing them could race with a Put into the same shard.
func (s *FS) Delete(ctx context.Context, id string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := checkID(id); err != nil {
		return err
	}
	path := s.path(id)
	if err := os.Remove(path); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		return fmt.Errorf("blob: delete object: %w", err)
	}
	if err := syncDir(filepath.Dir(path)); err != nil {
		return fmt.Errorf("blob: sync directory: %w", err)
	}
	return nil
}
