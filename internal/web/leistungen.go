package web

// The page of one Leistung, with who is responsible at the chosen place.

import (
	"net/http"
	"strconv"

	"github.com/ozgo/ozgo/internal/catalog"
)

// zustView is the Zuständigkeit as the page shows it.
type zustView struct {
	catalog.Zustaendigkeit
	// Derived is the sentence naming the responsible level when no
	// authority is assigned.
	Derived string
}

type leistungData struct {
	Leistung    catalog.Leistung
	Typisierung string
	Einordnung  catalog.Einordnung
	Crumbs      []crumb
	// Self is this page's path, where the place forms come back to.
	Self string
	Ort  *catalog.Region
	Zust *zustView
	Form ortForm
}

// leistung is GET /leistungen/{ref}.
func (u *UI) leistung(w http.ResponseWriter, r *http.Request) {
	ref := r.PathValue("ref")
	if !catalog.ValidRef(ref) {
		u.RenderError(w, r, badRequest("leistung.error.ref"))
		return
	}
	sn, ok := u.load(w, r)
	if !ok {
		return
	}
	l, err := sn.Leistung(ref)
	if err != nil {
		u.RenderError(w, r, err)
		return
	}
	d := leistungData{
		Leistung:    l,
		Typisierung: catalog.TypisierungText(l.Typisierung),
		Einordnung:  sn.EinordnungOf(l),
		Self:        "/leistungen/" + l.Ref,
		Ort:         chosenOrt(r, sn),
	}
	d.Form = ortForm{Back: d.Self}
	d.Crumbs = []crumb{{Name: u.t("home.title"), URL: "/"}}
	if e := d.Einordnung; e.Themenfeld != nil {
		d.Crumbs = append(d.Crumbs, crumb{Name: e.Themenfeld.Name, URL: "/themenfelder/" + strconv.Itoa(e.Themenfeld.ID)})
	}
	if e := d.Einordnung; e.Lebenslage != nil {
		d.Crumbs = append(d.Crumbs, crumb{Name: e.Lebenslage.Name, URL: "/lebenslagen/" + strconv.Itoa(e.Lebenslage.ID)})
	}
	d.Crumbs = append(d.Crumbs, crumb{Name: l.Name})
	if d.Ort != nil {
		z, err := u.Catalog.Zustaendigkeit(r.Context(), l.Ref, d.Ort.ARS)
		if err != nil {
			u.RenderError(w, r, err)
			return
		}
		d.Zust = &zustView{Zustaendigkeit: z}
		if z.Quelle == catalog.Abgeleitet {
			d.Zust.Derived = u.derivedText(z)
		}
	}
	u.Render(w, r, http.StatusOK, "leistung", Page{Title: l.Name, Section: "leistungen", Data: d})
}

// derivedText names the level that usually handles a Leistung, for when no
// authority is assigned.
func (u *UI) derivedText(z catalog.Zustaendigkeit) string {
	if z.Zustaendig == nil {
		return u.t("zust.derived.bund")
	}
	g := z.Zustaendig
	switch {
	case g.Ebene == catalog.Kreis && (g.Art == "Kreisfreie Stadt" || g.Art == "Stadtkreis"):
		return u.t("zust.derived.kreisfreie_stadt", g.Name)
	case g.Ebene == catalog.Kreis && g.Art != "":
		return u.t("zust.derived.kreis", g.Name+" ("+g.Art+")")
	}
	return u.t("zust.derived."+string(g.Ebene), g.Name)
}
