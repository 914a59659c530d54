package app

import (
	"context"
	"log/slog"
	"testing"

	"github.com/ozgo/ozgo/internal/config"
)

// The activation form's destination check: unknown destinations and
// tenants without an id are refused without an error.
func TestDestinationOf(t *testing.T) {
	ctx := context.Background()
	a, err := Open(ctx, config.Config{DataDir: t.TempDir()}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	for _, tc := range []struct{ tenant, id string }{
		{"tuebingen", "2b3a4ed7-1d6b-4c7a-9a43-8a1e0e3f9f11"},
		{"", "2b3a4ed7-1d6b-4c7a-9a43-8a1e0e3f9f11"},
		{"tuebingen", "kein-zustellpunkt"},
	} {
		ok, err := a.destinationOf(ctx, tc.tenant, tc.id)
		if ok || err != nil {
			t.Errorf("%q %q: %v %v", tc.tenant, tc.id, ok, err)
		}
	}
}
