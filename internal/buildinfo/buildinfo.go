// Package buildinfo tells which ozgo this is.
package buildinfo

import (
	"runtime/debug"
	"sync"
)

// version is set at link time: -ldflags "-X github.com/ozgo/ozgo/internal/buildinfo.version=v1.2.3".
var version string

var once sync.Once

// Version returns the release version, or "dev" with the VCS revision when
// built from a checkout.
func Version() string {
	once.Do(func() {
		if version != "" {
			return
		}
		version = "dev"
		bi, ok := debug.ReadBuildInfo()
		if !ok {
			return
		}
		if bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			version = bi.Main.Version
			return
		}
		var rev, dirty string
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				if s.Value == "true" {
					dirty = "+dirty"
				}
			}
		}
		if len(rev) > 12 {
			rev = rev[:12]
		}
		if rev != "" {
			version = "dev-" + rev + dirty
		}
	})
	return version
}
