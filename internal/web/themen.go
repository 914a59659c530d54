package web

// Browsing the catalog: Themenfeld → Lebenslage → OZG-Leistung → Leistung.

import (
	"net/http"
	"strconv"

	"github.com/ozgo/ozgo/internal/catalog"
)

// lebenslageEintrag is a Lebenslage in the list of its Themenfeld.
type lebenslageEintrag struct {
	catalog.Lebenslage
	Leistungen int
}

type themenfeldData struct {
	Themenfeld  catalog.Themenfeld
	Lebenslagen []lebenslageEintrag
	Crumbs      []crumb
}

// loadID reads the numeric id of the path and the catalog; on failure it
// renders the error page and returns false.
func (u *UI) loadID(w http.ResponseWriter, r *http.Request) (int, *catalog.Snapshot, bool) {
	id, ok := catalog.ParseID(r.PathValue("id"))
	if !ok {
		u.RenderError(w, r, badRequest("catalog.error.id"))
		return 0, nil, false
	}
	sn, ok := u.load(w, r)
	return id, sn, ok
}

// themenfeld is GET /themenfelder/{id}: the Lebenslagen of a Themenfeld.
func (u *UI) themenfeld(w http.ResponseWriter, r *http.Request) {
	id, sn, ok := u.loadID(w, r)
	if !ok {
		return
	}
	t, ll, err := sn.Themenfeld(id)
	if err != nil {
		u.RenderError(w, r, err)
		return
	}
	d := themenfeldData{Themenfeld: t, Crumbs: []crumb{{Name: u.t("home.title"), URL: "/"}, {Name: t.Name}}}
	for _, l := range ll {
		e := lebenslageEintrag{Lebenslage: l}
		if _, _, groups, err := sn.Lebenslage(l.ID); err == nil {
			for _, g := range groups {
				e.Leistungen += len(g.Leistungen)
			}
		}
		d.Lebenslagen = append(d.Lebenslagen, e)
	}
	u.Render(w, r, http.StatusOK, "themenfeld", Page{Title: t.Name, Section: "leistungen", Data: d})
}

// groupShown is how many Leistungen of an OZG-Leistung are listed at once;
// the rest of a long list sits in a disclosure. Lists only slightly longer
// are shown whole.
const (
	groupShown = 10
	groupWhole = 14
)

// ozgGruppe is an OZG-Leistung with its Leistungen split for display.
type ozgGruppe struct {
	catalog.OZGLeistung
	Shown []catalog.Leistung
	More  []catalog.Leistung
}

type lebenslageData struct {
	Lebenslage catalog.Lebenslage
	Themenfeld catalog.Themenfeld
	Gruppen    []ozgGruppe
	Leistungen int
	Crumbs     []crumb
}

// lebenslage is GET /lebenslagen/{id}: the OZG-Leistungen of a Lebenslage
// with their Leistungen.
func (u *UI) lebenslage(w http.ResponseWriter, r *http.Request) {
	id, sn, ok := u.loadID(w, r)
	if !ok {
		return
	}
	l, t, groups, err := sn.Lebenslage(id)
	if err != nil {
		u.RenderError(w, r, err)
		return
	}
	d := lebenslageData{Lebenslage: l, Themenfeld: t, Crumbs: []crumb{
		{Name: u.t("home.title"), URL: "/"},
		{Name: t.Name, URL: "/themenfelder/" + strconv.Itoa(t.ID)},
		{Name: l.Name},
	}}
	for _, g := range groups {
		og := ozgGruppe{OZGLeistung: g.OZGLeistung, Shown: g.Leistungen}
		if len(g.Leistungen) > groupWhole {
			og.Shown, og.More = g.Leistungen[:groupShown], g.Leistungen[groupShown:]
		}
		d.Leistungen += len(g.Leistungen)
		d.Gruppen = append(d.Gruppen, og)
	}
	u.Render(w, r, http.StatusOK, "lebenslage", Page{Title: l.Name, Section: "leistungen", Data: d})
}
