package web

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/ozgo/ozgo/internal/form"
	"github.com/ozgo/ozgo/internal/store/dbtest"
)

// BenchmarkRenderLongestPage renders the page of S00000121 (Blaue Karte)
// with the most fields, every field answered, as the server does for each
// GET. Target: well under 5 ms per page.
func BenchmarkRenderLongestPage(b *testing.B) {
	ui, _ := antragUI(b, dbtest.SQLite(b))
	ctx := context.Background()
	svc, err := ui.Antraege.Registry.Get(ctx, "blaue-karte-eu")
	if err != nil {
		b.Fatal(err)
	}
	m, err := ui.Antraege.Registry.Model(ctx, svc.FormID, svc.FormVersion)
	if err != nil {
		b.Fatal(err)
	}
	dr := &form.Draft{ID: "bench", Service: svc.Slug, State: form.NewState()}
	longest, most := 0, 0
	for i := range m.Pages {
		fields := m.PageFields(dr.State, i)
		for _, o := range fields {
			dr.State.Values[o.Path] = form.Example(o.Node)
		}
		if len(fields) > most {
			longest, most = i, len(fields)
		}
	}
	r := httptest.NewRequest("GET", pageURL(svc.Slug, longest), nil)
	b.ReportMetric(float64(most), "fields")
	b.ResetTimer()
	for b.Loop() {
		w := httptest.NewRecorder()
		ui.renderFormPage(w, r, http.StatusOK, svc, m, dr, longest, nil, false)
		if w.Code != 200 {
			b.Fatal(w.Code)
		}
	}
}
