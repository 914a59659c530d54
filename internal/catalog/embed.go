package catalog

import (
	"bytes"
	"embed"
	"io"
)

//go:embed data/ozg-katalog.json data/regionen.csv
var dataFS embed.FS

// EmbeddedCatalog returns the catalog file shipped in the binary (see
// data/README.md for its source and licence).
func EmbeddedCatalog() io.Reader { return mustOpen("data/ozg-katalog.json") }

// EmbeddedRegions returns the region file shipped in the binary.
func EmbeddedRegions() io.Reader { return mustOpen("data/regionen.csv") }

func mustOpen(name string) io.Reader {
	b, err := dataFS.ReadFile(name)
	if err != nil {
		panic(err) // embedded at build time
	}
	return bytes.NewReader(b)
}
