package web

// The coverage dashboard (/dashboard/abdeckung?ars=08): per Leistung the
// share of Gemeinden and of population with Reifegrad 3 or more, the
// Fokusleistungen ranking, a bar chart per subordinate region and a map of
// the Gemeinden coloured by Reifegrad; every chart is server-side SVG with
// a data table beside it, and every table can be downloaded as CSV. The
// same figures as JSON come from /api/v1/abdeckung.

import (
	"encoding/csv"
	"math"
	"net/http"
	"net/url"
	"sort"
	"strconv"

	"github.com/ozgo/ozgo/internal/catalog"
	"github.com/ozgo/ozgo/internal/errs"
	"github.com/ozgo/ozgo/internal/httpx"
	"github.com/ozgo/ozgo/internal/maturity"
	"github.com/ozgo/ozgo/internal/tenant"
)

func (u *UI) registerDashboard(rt *httpx.Router) {
	if u.Tenants == nil {
		return
	}
	rt.HandleFunc("GET /dashboard/abdeckung", u.abdeckung)
	rt.HandleFunc("GET /dashboard/abdeckung.csv", u.abdeckungCSV)
	rt.HandleFunc("GET /status", u.status)
	u.registerVerwaltung(rt)
}

// barWidth is the length of a 100 % bar in the SVG charts.
const barWidth = 400

// covRow is one Leistung in the coverage table and chart.
type covRow struct {
	tenant.LeistungCoverage
	AnteilGemeinden    string // "90,9"
	AnteilBevoelkerung string
	BarGemeinden       int // bar length in SVG units
	BarBevoelkerung    int
	Y                  int // position in the chart
	Selected           bool
}

func newCovRow(lc tenant.LeistungCoverage, y int) covRow {
	g, p := lc.AnteilGemeinden(), lc.AnteilBevoelkerung()
	return covRow{LeistungCoverage: lc, AnteilGemeinden: maturity.FormatPermille(g), AnteilBevoelkerung: maturity.FormatPermille(p),
		BarGemeinden: g * barWidth / 1000, BarBevoelkerung: p * barWidth / 1000, Y: y}
}

// childRow is a subordinate region's coverage for the selected Leistung.
type childRow struct {
	Region catalog.Region
	covRow
}

// mapPoint is a Gemeinde on the map.
type mapPoint struct {
	Region catalog.Region
	X, Y   int
	Level  int
}

// levelLegend is one entry of the map legend.
type levelLegend struct {
	Level int
	Count int
	Y     int
}

type abdeckungData struct {
	Region     catalog.Region
	Ancestors  []catalog.Region
	Children   []catalog.Region
	Rows       []covRow
	ChartH     int
	FokusTotal int
	FokusOver  int
	Leika      string
	LeikaName  string
	ChildRows  []childRow
	ChildH     int
	MapW, MapH int
	Points     []mapPoint
	Legend     []levelLegend
	// ListPoints says whether the Gemeinden are listed one by one (up to
	// maxListed); otherwise the map's table counts them per Reifegrad.
	ListPoints bool
	Query      string // ars=…&leika=… for export links
	Crumbs     []crumb
}

// maxListed is how many Gemeinden the map's data table lists one by one.
const maxListed = 1200

// abdeckungQuery reads ?ars= and ?leika= (both optional; ars defaults to
// all of Germany).
func (u *UI) abdeckungQuery(w http.ResponseWriter, r *http.Request) (*catalog.Snapshot, catalog.Region, string, bool) {
	sn, err := u.snapshot(r)
	if err != nil {
		u.RenderError(w, r, err)
		return nil, catalog.Region{}, "", false
	}
	q := r.URL.Query()
	ars, leika := q.Get("ars"), q.Get("leika")
	reg := catalog.Region{Name: u.t("dashboard.germany")}
	if ars != "" {
		if !catalog.ValidARS(ars) {
			u.RenderError(w, r, errs.K(errs.BadRequest, "dashboard.error.ars"))
			return nil, reg, "", false
		}
		if reg, err = sn.Region(ars); err != nil {
			u.RenderError(w, r, err)
			return nil, reg, "", false
		}
	}
	if leika != "" && !catalog.ValidRef(leika) {
		u.RenderError(w, r, errs.K(errs.BadRequest, "dashboard.error.leika"))
		return nil, reg, "", false
	}
	return sn, reg, leika, true
}

// abdeckung is GET /dashboard/abdeckung.
func (u *UI) abdeckung(w http.ResponseWriter, r *http.Request) {
	sn, reg, leika, ok := u.abdeckungQuery(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	all, err := u.Tenants.Coverage(ctx, reg.ARS, "")
	if err != nil {
		u.RenderError(w, r, err)
		return
	}
	d := &abdeckungData{Region: reg, Ancestors: sn.Ancestors(reg), Leika: leika}
	d.Crumbs = []crumb{{Name: u.t("dashboard.germany"), URL: "/dashboard/abdeckung"}}
	for i := len(d.Ancestors) - 1; i >= 0; i-- { // top down
		d.Crumbs = append(d.Crumbs, crumb{Name: d.Ancestors[i].Name, URL: "/dashboard/abdeckung?ars=" + d.Ancestors[i].ARS})
	}
	if reg.ARS != "" {
		d.Crumbs = append(d.Crumbs, crumb{Name: reg.Name})
	} else {
		d.Crumbs[0].URL = ""
	}
	if reg.ARS == "" {
		d.Children, _ = sn.SearchRegionen(catalog.RegionQuery{Ebene: catalog.Land})
	} else if reg.Ebene != catalog.Gemeinde {
		d.Children = sn.Children(reg.ARS)
	}
	// The selected Leistung: asked for, else the best covered one.
	best := -1
	for i, lc := range all {
		if lc.Fokus {
			d.FokusTotal++
			if lc.OverHalf() {
				d.FokusOver++
			}
		}
		if best < 0 || lc.GemeindenAb3 > all[best].GemeindenAb3 {
			best = i
		}
	}
	if d.Leika == "" && best >= 0 {
		d.Leika = all[best].LeiKa
	}
	for i, lc := range all {
		row := newCovRow(lc, i*36)
		row.Selected = lc.LeiKa == d.Leika
		if row.Selected {
			d.LeikaName = lc.Name
		}
		d.Rows = append(d.Rows, row)
	}
	if d.LeikaName == "" && d.Leika != "" {
		l, err := sn.Leistung(d.Leika)
		if err != nil {
			u.RenderError(w, r, err)
			return
		}
		d.LeikaName = l.Name
	}
	if d.LeikaName == "" {
		d.LeikaName = d.Leika
	}
	d.ChartH = len(d.Rows)*36 + 8
	levels, _, err := u.Tenants.Levels(ctx)
	if err != nil {
		u.RenderError(w, r, err)
		return
	}
	lv := levels[d.Leika]
	for i, c := range d.Children {
		cov := maturity.Cover(tenant.Gemeinden(sn, c.ARS), lv)
		d.ChildRows = append(d.ChildRows, childRow{Region: c, covRow: newCovRow(tenant.LeistungCoverage{Coverage: cov}, i*30)})
	}
	d.ChildH = len(d.ChildRows)*30 + 8
	u.buildMap(d, sn, reg.ARS, lv)
	v := url.Values{}
	if reg.ARS != "" {
		v.Set("ars", reg.ARS)
	}
	if d.Leika != "" {
		v.Set("leika", d.Leika)
	}
	d.Query = v.Encode()
	u.Render(w, r, http.StatusOK, "abdeckung", Page{Title: u.t("dashboard.title", reg.Name), Section: "regionen", Data: d})
}

// buildMap places the Gemeinden of the region by their coordinates in an
// equirectangular projection, widened by cos(latitude) so the shape of a
// Land looks right.
func (u *UI) buildMap(d *abdeckungData, sn *catalog.Snapshot, ars string, lv map[string]int) {
	minX, maxX, minY, maxY := math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1)
	var gs []catalog.Region
	for _, g := range sn.Regionen {
		if g.Ebene != catalog.Gemeinde || len(ars) > 0 && g.ARS[:min(len(ars), len(g.ARS))] != ars || g.Laengengrad == nil || g.Breitengrad == nil {
			continue
		}
		gs = append(gs, g)
		minX, maxX = math.Min(minX, *g.Laengengrad), math.Max(maxX, *g.Laengengrad)
		minY, maxY = math.Min(minY, *g.Breitengrad), math.Max(maxY, *g.Breitengrad)
	}
	counts := map[int]int{}
	for _, g := range gs {
		counts[lv[g.ARS]]++
	}
	// A live activation always names an authority and has a form, so
	// activated Gemeinden are at 2 or more; the others have no online
	// service (Reifegrad 0 or 1, which would need the catalog's
	// Zuständigkeit per Gemeinde and says nothing about coverage).
	for i, l := range []int{0, 2, 3, 4} {
		d.Legend = append(d.Legend, levelLegend{Level: l, Count: counts[l] + counts[1]*boolInt(l == 0), Y: 20 + i*24})
	}
	if len(gs) == 0 {
		return
	}
	scale := math.Cos((minY + maxY) / 2 * math.Pi / 180)
	w, h := math.Max((maxX-minX)*scale, 0.01), math.Max(maxY-minY, 0.01)
	const size = 560.0
	f := size / math.Max(w, h)
	d.MapW, d.MapH = int(w*f)+20, int(h*f)+20
	for _, g := range gs {
		d.Points = append(d.Points, mapPoint{Region: g, Level: lv[g.ARS],
			X: 10 + int((*g.Laengengrad-minX)*scale*f), Y: 10 + int((maxY-*g.Breitengrad)*f)})
	}
	// Covered Gemeinden are drawn last, so they are not hidden under the
	// others where points overlap.
	sort.SliceStable(d.Points, func(i, j int) bool { return d.Points[i].Level < d.Points[j].Level })
	d.ListPoints = len(d.Points) <= maxListed
}

// abdeckungCSV is GET /dashboard/abdeckung.csv?tabelle=leistungen|regionen|gemeinden.
func (u *UI) abdeckungCSV(w http.ResponseWriter, r *http.Request) {
	sn, reg, leika, ok := u.abdeckungQuery(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	var rows [][]string
	switch r.URL.Query().Get("tabelle") {
	case "", "leistungen":
		all, err := u.Tenants.Coverage(ctx, reg.ARS, "")
		if err != nil {
			u.RenderError(w, r, err)
			return
		}
		rows = append(rows, []string{"leika", "leistung", "fokusleistung", "gemeinden_gesamt", "gemeinden_ab_reifegrad_3", "bevoelkerung_gesamt", "bevoelkerung_ab_reifegrad_3", "flaechendeckend"})
		for _, lc := range all {
			rows = append(rows, []string{lc.LeiKa, lc.Name, strconv.FormatBool(lc.Fokus), strconv.Itoa(lc.GemeindenGesamt), strconv.Itoa(lc.GemeindenAb3),
				strconv.FormatInt(lc.BevoelkerungGesamt, 10), strconv.FormatInt(lc.BevoelkerungAb3, 10), strconv.FormatBool(lc.Flaechendeckend)})
		}
	case "regionen", "gemeinden":
		if leika == "" {
			u.RenderError(w, r, errs.K(errs.BadRequest, "dashboard.error.leika"))
			return
		}
		levels, _, err := u.Tenants.Levels(ctx)
		if err != nil {
			u.RenderError(w, r, err)
			return
		}
		lv := levels[leika]
		if r.URL.Query().Get("tabelle") == "gemeinden" {
			rows = append(rows, []string{"ars", "gemeinde", "bevoelkerung", "reifegrad"})
			for _, g := range sn.Regionen {
				if g.Ebene == catalog.Gemeinde && len(g.ARS) >= len(reg.ARS) && g.ARS[:len(reg.ARS)] == reg.ARS {
					pop := ""
					if g.Bevoelkerung != nil {
						pop = strconv.FormatInt(*g.Bevoelkerung, 10)
					}
					rows = append(rows, []string{g.ARS, g.Name, pop, strconv.Itoa(lv[g.ARS])})
				}
			}
			break
		}
		children := sn.Children(reg.ARS)
		if reg.ARS == "" {
			children, _ = sn.SearchRegionen(catalog.RegionQuery{Ebene: catalog.Land})
		}
		rows = append(rows, []string{"ars", "region", "gemeinden_gesamt", "gemeinden_ab_reifegrad_3", "bevoelkerung_gesamt", "bevoelkerung_ab_reifegrad_3", "flaechendeckend"})
		for _, c := range children {
			cov := maturity.Cover(tenant.Gemeinden(sn, c.ARS), lv)
			rows = append(rows, []string{c.ARS, c.Name, strconv.Itoa(cov.GemeindenGesamt), strconv.Itoa(cov.GemeindenAb3),
				strconv.FormatInt(cov.BevoelkerungGesamt, 10), strconv.FormatInt(cov.BevoelkerungAb3, 10), strconv.FormatBool(cov.Flaechendeckend)})
		}
	default:
		u.RenderError(w, r, errs.K(errs.BadRequest, "dashboard.error.table"))
		return
	}
	writeCSV(w, "abdeckung-"+reg.ARS+".csv", rows)
}

// writeCSV answers with a CSV download (UTF-8 with byte order mark, so
// spreadsheet programs read the umlauts right).
func writeCSV(w http.ResponseWriter, name string, rows [][]string) {
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	_, _ = w.Write([]byte("\ufeff"))
	cw := csv.NewWriter(w)
	_ = cw.WriteAll(rows)
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
