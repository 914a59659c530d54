package crypt

import (
	"bytes"
	"io"
	"testing"
)

func BenchmarkSeal1KiB(b *testing.B) {
	kr := mustKeyring(b, testKey(1))
	pt := pattern(1 << 10)
	ad := []byte("draft:123")
	b.SetBytes(int64(len(pt)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := kr.Seal(pt, ad); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkOpen1KiB(b *testing.B) {
	kr := mustKeyring(b, testKey(1))
	ad := []byte("draft:123")
	ct, err := kr.Seal(pattern(1<<10), ad)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(1 << 10)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := kr.Open(ct, ad); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkStream1MiB measures encrypting and then decrypting 1 MiB.
func BenchmarkStream1MiB(b *testing.B) {
	kr := mustKeyring(b, testKey(1))
	pt := pattern(1 << 20)
	ad := []byte("attachment:1")
	var ct bytes.Buffer
	ct.Grow(streamLen(len(pt)))
	b.SetBytes(int64(len(pt)))
	b.ReportAllocs()
	for b.Loop() {
		ct.Reset()
		w, err := kr.NewEncryptWriter(&ct, ad)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := w.Write(pt); err != nil {
			b.Fatal(err)
		}
		if err := w.Close(); err != nil {
			b.Fatal(err)
		}
		r, err := kr.NewDecryptReader(bytes.NewReader(ct.Bytes()), ad)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := io.Copy(io.Discard, r); err != nil {
			b.Fatal(err)
		}
	}
}
