package web

import (
	"net/http"

	"github.com/ozgo/ozgo/internal/catalog"
)

type homeData struct {
	Form         searchForm
	Themenfelder []catalog.Themenfeld
	Ort          *catalog.Region
	// NoCatalog is set when the catalog is not loaded (yet).
	NoCatalog bool
}

// home is the start page: search, the place of residence, the Themenfelder.
func (u *UI) home(w http.ResponseWriter, r *http.Request) {
	d := homeData{Form: u.leistungForm("")}
	if sn, err := u.snapshot(r); err == nil {
		d.Themenfelder = sn.Themenfelder
		d.Ort = chosenOrt(r, sn)
	} else if u.Catalog != nil {
		// The start page stays up without the catalog; it only lacks the
		// topics.
		u.log.Warn("start page without catalog", "err", err)
	}
	d.NoCatalog = len(d.Themenfelder) == 0
	u.Render(w, r, http.StatusOK, "home", Page{Title: u.t("home.title"), Section: "home", Data: d})
}
