package web

// The regions: search (/regionen?q=…) and the page of one region with its
// authorities and online services.

import (
	"net/http"
	"sort"

	"github.com/ozgo/ozgo/internal/catalog"
	"github.com/ozgo/ozgo/internal/search"
)

// regionKontext is a region with the Kreis and Land it lies in, which tell
// same-named places apart.
type regionKontext struct {
	catalog.Region
	Kreis *catalog.Region
	Land  *catalog.Region
}

func kontextOf(sn *catalog.Snapshot, g catalog.Region) regionKontext {
	k := regionKontext{Region: g}
	for _, a := range sn.Ancestors(g) {
		switch a.Ebene {
		case catalog.Kreis:
			k.Kreis = &a
		case catalog.Land:
			k.Land = &a
		}
	}
	return k
}

type regionenData struct {
	ResultList
	Hits []regionKontext
	// Laender are listed when there is no search text.
	Laender []catalog.Region
	Ort     *catalog.Region
}

// regionen is GET /regionen: search regions by name, postcode or key.
func (u *UI) regionen(w http.ResponseWriter, r *http.Request) {
	rq, sn, ok := u.readSearch(w, r)
	if !ok {
		return
	}
	form := searchForm{Action: "/regionen", ID: "rq", Label: u.t("regions.form.label"), Hint: u.t("regions.form.hint"),
		Landmark: u.t("regions.form.landmark"), Value: rq.Text}
	d := &regionenData{ResultList: ResultList{Form: form}, Ort: chosenOrt(r, sn)}
	p := Page{Title: u.t("regions.title"), Section: "regionen", Data: d}
	status := http.StatusOK
	if rq.Text == "" {
		d.Laender, _ = sn.SearchRegionen(catalog.RegionQuery{Ebene: catalog.Land})
	} else {
		hits, total := sn.SearchRegionen(catalog.RegionQuery{Q: rq.Text, Limit: perPage, Offset: rq.Offset})
		for _, g := range hits {
			d.Hits = append(d.Hits, kontextOf(sn, g))
		}
		p.Title, status = u.page(&d.ResultList, "/regionen", "regions.title", rq, total, len(hits))
	}
	u.Render(w, r, status, "regionen", p)
}

// manyChildren is the length from which the list of subordinate regions is
// set in columns.
const manyChildren = 12

// behoerdeView is an authority with the region it sits in.
type behoerdeView struct {
	catalog.Behoerde
	Region *catalog.Region
}

// angebotView is an online service with its Leistung and the region it is
// offered for.
type angebotView struct {
	catalog.Angebot
	Leistung catalog.Leistung
	Region   *catalog.Region
}

// regionListe is a list of subordinate regions under a heading.
type regionListe struct {
	Heading string
	Regions []catalog.Region
	Many    bool // long: set in columns
}

type regionData struct {
	Region catalog.Region
	Crumbs []crumb
	// Listen are the subordinate regions: for a Kreis all its Gemeinden
	// and the Gemeindeverbände with more than one member, else the regions
	// directly below.
	Listen    []regionListe
	Behoerden []behoerdeView
	Angebote  []angebotView
	// IsOrt: this Gemeinde is the chosen place of residence.
	IsOrt bool
	Self  string
}

// region is GET /regionen/{ars}.
func (u *UI) region(w http.ResponseWriter, r *http.Request) {
	ars := r.PathValue("ars")
	if !catalog.ValidARS(ars) {
		u.RenderError(w, r, badRequest("regions.error.ars"))
		return
	}
	sn, ok := u.load(w, r)
	if !ok {
		return
	}
	g, err := sn.Region(ars)
	if err != nil {
		u.RenderError(w, r, err)
		return
	}
	d := regionData{Region: g, Self: "/regionen/" + g.ARS}
	d.Crumbs = []crumb{{Name: u.t("home.title"), URL: "/"}, {Name: u.t("regions.title"), URL: "/regionen"}}
	anc := sn.Ancestors(g)
	for i := len(anc) - 1; i >= 0; i-- {
		d.Crumbs = append(d.Crumbs, crumb{Name: u.regionLabel(anc[i]), URL: "/regionen/" + anc[i].ARS})
	}
	d.Crumbs = append(d.Crumbs, crumb{Name: g.Name})
	d.Listen = u.subordinates(sn, g)
	if o := chosenOrt(r, sn); o != nil && o.ARS == g.ARS {
		d.IsOrt = true
	}
	chain := catalog.ChainARS(g.ARS)
	st := u.Catalog.Store()
	bb, err := st.BehoerdenIn(r.Context(), chain)
	if err != nil {
		u.RenderError(w, r, err)
		return
	}
	for _, b := range bb {
		v := behoerdeView{Behoerde: b}
		if at, err := sn.Region(b.RegionARS); err == nil {
			v.Region = &at
		}
		d.Behoerden = append(d.Behoerden, v)
	}
	aa, err := st.AssignmentsIn(r.Context(), chain, true)
	if err != nil {
		u.RenderError(w, r, err)
		return
	}
	for _, a := range aa {
		l, err := sn.Leistung(a.LeistungRef)
		if err != nil {
			continue // removed from the catalog since it was assigned
		}
		v := angebotView{Angebot: a, Leistung: l}
		if at, err := sn.Region(a.RegionARS); err == nil {
			v.Region = &at
		}
		d.Angebote = append(d.Angebote, v)
	}
	p := Page{Title: u.t("regions.title.region", g.Name, u.t("region.ebene."+string(g.Ebene))), Section: "regionen", Data: d}
	u.Render(w, r, http.StatusOK, "region", p)
}

// regionLabel is a region's name with its kind where names repeat across
// levels: "Tübingen (Landkreis)".
func (u *UI) regionLabel(g catalog.Region) string {
	switch g.Ebene {
	case catalog.Kreis, catalog.Gemeindeverband:
		if g.Art != "" {
			return g.Name + " (" + g.Art + ")"
		}
		return g.Name + " (" + u.t("region.ebene."+string(g.Ebene)) + ")"
	}
	return g.Name
}

// subordinates lists the regions below g. A Kreis lists its Gemeinden
// (which sit below Gemeindeverbände in the ARS tree) and its real
// Verbände; a Verband of one Gemeinde (a "verbandsfreie Gemeinde") is just
// that Gemeinde again.
func (u *UI) subordinates(sn *catalog.Snapshot, g catalog.Region) []regionListe {
	liste := func(ebene catalog.Ebene, rs []catalog.Region) regionListe {
		return regionListe{Heading: u.t("region.children."+string(ebene), len(rs)), Regions: rs, Many: len(rs) >= manyChildren}
	}
	switch g.Ebene {
	case catalog.Gemeinde:
		return nil
	case catalog.Kreis:
		var out []regionListe
		gg, _ := sn.SearchRegionen(catalog.RegionQuery{Ebene: catalog.Gemeinde, Parent: g.ARS})
		sort.SliceStable(gg, func(i, j int) bool { return search.Normalize(gg[i].Name) < search.Normalize(gg[j].Name) })
		if len(gg) > 0 {
			out = append(out, liste(catalog.Gemeinde, gg))
		}
		var vv []catalog.Region
		for _, c := range sn.Children(g.ARS) {
			if c.Ebene != catalog.Gemeindeverband || len(sn.Children(c.ARS)) > 1 {
				vv = append(vv, c)
			}
		}
		if len(vv) > 0 {
			out = append(out, liste(catalog.Gemeindeverband, vv))
		}
		return out
	}
	// Below a Land the next level varies (Regierungsbezirke or Kreise);
	// group by level.
	var out []regionListe
	byEbene := map[catalog.Ebene][]catalog.Region{}
	for _, c := range sn.Children(g.ARS) {
		byEbene[c.Ebene] = append(byEbene[c.Ebene], c)
	}
	for _, e := range catalog.Ebenen {
		if rs := byEbene[e]; len(rs) > 0 {
			out = append(out, liste(e, rs))
		}
	}
	return out
}
