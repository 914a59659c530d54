package web

// The search for Leistungen: /suche?q=…&seite=N.

import (
	"net/http"

	"github.com/ozgo/ozgo/internal/catalog"
)

// treffer is one hit with its place in the catalog.
type treffer struct {
	catalog.Leistung
	Einordnung catalog.Einordnung
}

type sucheData struct {
	ResultList
	Hits []treffer
	// Themenfelder are offered when there is nothing to show.
	Themenfelder []catalog.Themenfeld
}

// suche is GET /suche.
func (u *UI) suche(w http.ResponseWriter, r *http.Request) {
	rq, sn, ok := u.readSearch(w, r)
	if !ok {
		return
	}
	d := &sucheData{ResultList: ResultList{Form: u.leistungForm(rq.Text)}}
	p := Page{Title: u.t("search.title"), Section: "leistungen", Data: d}
	status := http.StatusOK
	if rq.Text == "" {
		d.Themenfelder = sn.Themenfelder
	} else {
		hits, total := sn.SearchLeistungen(catalog.LeistungQuery{Q: rq.Text, Limit: perPage, Offset: rq.Offset})
		for _, l := range hits {
			d.Hits = append(d.Hits, treffer{Leistung: l, Einordnung: sn.EinordnungOf(l)})
		}
		p.Title, status = u.page(&d.ResultList, "/suche", "search.title", rq, total, len(hits))
		if total == 0 {
			d.Themenfelder = sn.Themenfelder
		}
	}
	u.Render(w, r, status, "suche", p)
}
