package api

import (
	"net/http"

	"github.com/ozgo/ozgo/internal/catalog"
)

func (a *API) snapshot(w http.ResponseWriter, r *http.Request) *catalog.Snapshot {
	sn, err := a.Catalog.Snapshot(r.Context())
	if err != nil {
		a.fail(w, r, err)
		return nil
	}
	return sn
}

// checked answers with the parameter error if there is one, else returns
// the catalog snapshot (nil when an answer was already written).
func (a *API) checked(w http.ResponseWriter, r *http.Request, p *params) *catalog.Snapshot {
	if p.err != nil {
		a.fail(w, r, p.err)
		return nil
	}
	return a.snapshot(w, r)
}

// writePage converts one page of domain items to wire items and writes it.
func writePage[T, W any](w http.ResponseWriter, items []T, total, limit, offset int, conv func(T) W) {
	out := page[W]{Items: make([]W, len(items)), Total: total, Limit: limit, Offset: offset}
	for i, it := range items {
		out.Items[i] = conv(it)
	}
	writeJSON(w, out)
}

func (a *API) listLeistungen(w http.ResponseWriter, r *http.Request) {
	p := params{r: r}
	q := catalog.LeistungQuery{
		Q:            p.str("q", 200),
		ThemenfeldID: p.int("themenfeld", 0, 1, 1<<30),
		LebenslageID: p.int("lebenslage", 0, 1, 1<<30),
		Limit:        p.int("limit", 20, 1, MaxLimit),
		Offset:       p.int("offset", 0, 0, 1<<30),
	}
	sn := a.checked(w, r, &p)
	if sn == nil {
		return
	}
	items, total := sn.SearchLeistungen(q)
	writePage(w, items, total, q.Limit, q.Offset, toLeistungItem)
}

func (a *API) getLeistung(w http.ResponseWriter, r *http.Request) {
	ref := r.PathValue("leika")
	if !catalog.ValidRef(ref) {
		a.fail(w, r, badParam("leika", "api.param.leika_form"))
		return
	}
	sn := a.snapshot(w, r)
	if sn == nil {
		return
	}
	l, err := sn.Leistung(ref)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	e := sn.EinordnungOf(l)
	d := leistungDetail{
		leistungItem:     toLeistungItem(l),
		TypisierungText:  catalog.TypisierungText(l.Typisierung),
		Rechtsgrundlagen: l.Rechtsgrundlagen,
	}
	if d.Rechtsgrundlagen == nil {
		d.Rechtsgrundlagen = []string{}
	}
	if e.OZG != nil {
		d.OZGLeistung = &idName{ID: e.OZG.ID, Name: e.OZG.Name}
	}
	if e.Lebenslage != nil {
		d.Lebenslage = &idName{ID: e.Lebenslage.ID, Name: e.Lebenslage.Name}
	}
	if e.Themenfeld != nil {
		d.Themenfeld = &idName{ID: e.Themenfeld.ID, Name: e.Themenfeld.Name}
	}
	writeJSON(w, d)
}

func (a *API) listRegionen(w http.ResponseWriter, r *http.Request) {
	p := params{r: r}
	q := catalog.RegionQuery{
		Q:      p.str("q", 200),
		Ebene:  catalog.Ebene(p.str("ebene", 20)),
		Parent: p.ars("uebergeordnet", false),
		Limit:  p.int("limit", 20, 1, MaxLimit),
		Offset: p.int("offset", 0, 0, 1<<30),
	}
	if q.Ebene != "" && !q.Ebene.Valid() {
		p.bad("ebene", "api.param.ebene")
	}
	sn := a.checked(w, r, &p)
	if sn == nil {
		return
	}
	items, total := sn.SearchRegionen(q)
	writePage(w, items, total, q.Limit, q.Offset, toRegionItem)
}

func (a *API) getRegion(w http.ResponseWriter, r *http.Request) {
	ars := r.PathValue("ars")
	if !catalog.ValidARS(ars) {
		a.fail(w, r, badParam("ars", "api.param.ars_form"))
		return
	}
	sn := a.snapshot(w, r)
	if sn == nil {
		return
	}
	g, err := sn.Region(ars)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	d := regionDetail{
		regionItem: toRegionItem(g), AGS: strPtr(g.AGS), Art: g.Art, FlaecheKM2: g.FlaecheKM2,
		Bevoelkerung: g.Bevoelkerung, PLZ: strPtr(g.PLZ), Laengengrad: g.Laengengrad, Breitengrad: g.Breitengrad,
		Pfad: []regionItem{},
	}
	anc := sn.Ancestors(g)
	for i := len(anc) - 1; i >= 0; i-- {
		d.Pfad = append(d.Pfad, toRegionItem(anc[i]))
	}
	writeJSON(w, d)
}

type behoerdeJSON struct {
	ID              int64  `json:"id"`
	Name            string `json:"name"`
	Region          string `json:"region"`
	Anschrift       string `json:"anschrift"`
	Telefon         string `json:"telefon"`
	Email           string `json:"email"`
	Website         string `json:"website"`
	Oeffnungszeiten string `json:"oeffnungszeiten"`
}

type zustaendigkeitJSON struct {
	Leistung         leistungItem  `json:"leistung"`
	Region           regionItem    `json:"region"`
	Quelle           string        `json:"quelle"`
	Ebene            string        `json:"ebene"`
	Zustaendig       *regionItem   `json:"zustaendig"`
	Behoerde         *behoerdeJSON `json:"behoerde"`
	Onlinedienst     *string       `json:"onlinedienst"`
	OnlineVerfuegbar bool          `json:"onlineVerfuegbar"`
}

func (a *API) getZustaendigkeit(w http.ResponseWriter, r *http.Request) {
	p := params{r: r}
	ref := p.str("leika", 20)
	ars := p.ars("ars", true)
	if ref == "" {
		p.bad("leika", "api.param.leika_missing")
	} else if !catalog.ValidRef(ref) {
		p.bad("leika", "api.param.leika_form")
	}
	if p.err != nil {
		a.fail(w, r, p.err)
		return
	}
	z, err := a.Catalog.Zustaendigkeit(r.Context(), ref, ars)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	out := zustaendigkeitJSON{
		Leistung: toLeistungItem(z.Leistung), Region: toRegionItem(z.Region),
		Quelle: string(z.Quelle), Ebene: z.Ebene, Onlinedienst: strPtr(z.OnlinedienstURL),
		OnlineVerfuegbar: z.OnlinedienstURL != "",
	}
	if z.Zustaendig != nil {
		ri := toRegionItem(*z.Zustaendig)
		out.Zustaendig = &ri
	}
	if b := z.Behoerde; b != nil {
		out.Behoerde = &behoerdeJSON{ID: b.ID, Name: b.Name, Region: b.RegionARS, Anschrift: b.Anschrift, Telefon: b.Telefon, Email: b.Email, Website: b.Website, Oeffnungszeiten: b.Oeffnungszeiten}
	}
	writeJSON(w, out)
}

type themenfeldJSON struct {
	ID          int              `json:"id"`
	Name        string           `json:"name"`
	Lebenslagen []lebenslageJSON `json:"lebenslagen,omitempty"`
}

type lebenslageJSON struct {
	ID           int    `json:"id"`
	Name         string `json:"name"`
	ThemenfeldID int    `json:"themenfeld"`
}

func (a *API) listThemenfelder(w http.ResponseWriter, r *http.Request) {
	sn := a.snapshot(w, r)
	if sn == nil {
		return
	}
	out := page[themenfeldJSON]{Items: []themenfeldJSON{}, Total: len(sn.Themenfelder), Limit: len(sn.Themenfelder)}
	for _, t := range sn.Themenfelder {
		out.Items = append(out.Items, themenfeldJSON{ID: t.ID, Name: t.Name})
	}
	writeJSON(w, out)
}

func (a *API) pathID(w http.ResponseWriter, r *http.Request) (int, bool) {
	id, ok := catalog.ParseID(r.PathValue("id"))
	if !ok {
		p := params{r: r}
		p.bad("id", "api.param.id_form")
		a.fail(w, r, p.err)
	}
	return id, ok
}

func (a *API) getThemenfeld(w http.ResponseWriter, r *http.Request) {
	id, ok := a.pathID(w, r)
	if !ok {
		return
	}
	sn := a.snapshot(w, r)
	if sn == nil {
		return
	}
	t, ll, err := sn.Themenfeld(id)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	out := themenfeldJSON{ID: t.ID, Name: t.Name, Lebenslagen: []lebenslageJSON{}}
	for _, l := range ll {
		out.Lebenslagen = append(out.Lebenslagen, lebenslageJSON{ID: l.ID, Name: l.Name, ThemenfeldID: l.ThemenfeldID})
	}
	writeJSON(w, out)
}

type ozgJSON struct {
	ID         string         `json:"id"`
	Name       string         `json:"name"`
	Leistungen []leistungItem `json:"leistungen"`
}

func (a *API) getLebenslage(w http.ResponseWriter, r *http.Request) {
	id, ok := a.pathID(w, r)
	if !ok {
		return
	}
	sn := a.snapshot(w, r)
	if sn == nil {
		return
	}
	l, _, groups, err := sn.Lebenslage(id)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	out := struct {
		lebenslageJSON
		OZGLeistungen []ozgJSON `json:"ozgLeistungen"`
	}{lebenslageJSON: lebenslageJSON{ID: l.ID, Name: l.Name, ThemenfeldID: l.ThemenfeldID}, OZGLeistungen: []ozgJSON{}}
	for _, g := range groups {
		o := ozgJSON{ID: g.ID, Name: g.Name, Leistungen: []leistungItem{}}
		for _, x := range g.Leistungen {
			o.Leistungen = append(o.Leistungen, toLeistungItem(x))
		}
		out.OZGLeistungen = append(out.OZGLeistungen, o)
	}
	writeJSON(w, out)
}
