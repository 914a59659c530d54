package cli

import (
	"fmt"
	"testing"

	"github.com/ozgo/ozgo/internal/errs"
)

func TestDescribeResolvesCatalogKeys(t *testing.T) {
	err := fmt.Errorf("regionen.csv: %w (nothing was imported)", errs.K(errs.Conflict, "catalog.import.region_in_use", "08416", 2))
	want := "regionen.csv: Die Region 08416 fehlt in der Datei, aber 2 Behörden gehören zu ihr; ordnen Sie diese zuerst einer anderen Region zu. (nothing was imported)"
	if got := describe(err); got != want {
		t.Errorf("describe = %q\nwant       %q", got, want)
	}
	plain := fmt.Errorf("open x: no such file")
	if got := describe(plain); got != plain.Error() {
		t.Errorf("plain error changed: %q", got)
	}
}
