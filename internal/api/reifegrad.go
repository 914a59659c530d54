package api

// Coverage and Reifegrad: GET /api/v1/abdeckung and /api/v1/reifegrad,
// the figures of the coverage dashboard as JSON.

import (
	"net/http"

	"github.com/ozgo/ozgo/internal/catalog"
	"github.com/ozgo/ozgo/internal/errs"
	"github.com/ozgo/ozgo/internal/httpx"
	"github.com/ozgo/ozgo/internal/maturity"
)

func (a *API) registerReifegrad(rt *httpx.Router) {
	if a.Tenants == nil {
		return
	}
	rt.HandleFunc("GET /api/v1/abdeckung", a.getAbdeckung)
	rt.HandleFunc("GET /api/v1/reifegrad", a.getReifegrad)
}

type abdeckungItem struct {
	LeiKa         string `json:"leika"`
	Name          string `json:"name"`
	Fokusleistung bool   `json:"fokusleistung"`
	maturity.Coverage
	AnteilGemeinden    float64 `json:"anteil_gemeinden"`
	AnteilBevoelkerung float64 `json:"anteil_bevoelkerung"`
}

type abdeckungJSON struct {
	Region          *regionItem     `json:"region"`
	Leistungen      []abdeckungItem `json:"leistungen"`
	Fokusleistungen struct {
		Gesamt       int `json:"gesamt"`
		UeberHaelfte int `json:"ueber_50_prozent"`
	} `json:"fokusleistungen"`
}

func (a *API) leikaParam(p *params, required bool) string {
	ref := p.str("leika", 20)
	switch {
	case ref == "" && required:
		p.bad("leika", "api.param.leika_missing")
	case ref != "" && !catalog.ValidRef(ref):
		p.bad("leika", "api.param.leika_form")
	}
	return ref
}

// getAbdeckung is GET /api/v1/abdeckung?ars=&leika=: per Leistung the
// Gemeinden and population of the region, and how many of them are at
// Reifegrad 3 or more. Shares are percentages with one decimal, computed
// from the integer counts.
func (a *API) getAbdeckung(w http.ResponseWriter, r *http.Request) {
	p := params{r: r}
	ars := p.ars("ars", false)
	leika := a.leikaParam(&p, false)
	if p.err != nil {
		a.fail(w, r, p.err)
		return
	}
	sn := a.snapshot(w, r)
	if sn == nil {
		return
	}
	out := abdeckungJSON{Leistungen: []abdeckungItem{}}
	if ars != "" {
		reg, err := sn.Region(ars)
		if err != nil {
			a.fail(w, r, err)
			return
		}
		ri := toRegionItem(reg)
		out.Region = &ri
	}
	all, err := a.Tenants.Coverage(r.Context(), ars, leika)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	for _, lc := range all {
		out.Leistungen = append(out.Leistungen, abdeckungItem{LeiKa: lc.LeiKa, Name: lc.Name, Fokusleistung: lc.Fokus, Coverage: lc.Coverage,
			AnteilGemeinden: float64(lc.AnteilGemeinden()) / 10, AnteilBevoelkerung: float64(lc.AnteilBevoelkerung()) / 10})
		if lc.Fokus {
			out.Fokusleistungen.Gesamt++
			if lc.OverHalf() {
				out.Fokusleistungen.UeberHaelfte++
			}
		}
	}
	writeJSON(w, out)
}

type reifegradJSON struct {
	Leistung     string               `json:"leika"`
	Gemeinde     regionItem           `json:"gemeinde"`
	Onlinedienst *string              `json:"onlinedienst"`
	Aktiv        bool                 `json:"aktiv"`
	Reifegrad    int                  `json:"reifegrad"`
	Kriterien    []maturity.Criterion `json:"kriterien"`
	Fehlend      []maturity.Criterion `json:"fehlend"`
}

// getReifegrad is GET /api/v1/reifegrad?leika=&ars=: the Reifegrad of a
// Leistung in a Gemeinde with every criterion and what is missing for the
// next level.
func (a *API) getReifegrad(w http.ResponseWriter, r *http.Request) {
	p := params{r: r}
	leika := a.leikaParam(&p, true)
	ars := p.ars("ars", true)
	if ars != "" && len(ars) != 12 {
		p.bad("ars", "api.param.ars_gemeinde")
	}
	if p.err != nil {
		a.fail(w, r, p.err)
		return
	}
	as, err := a.Tenants.ReifegradLeistung(r.Context(), leika, ars)
	if err != nil {
		if errs.Is(err, errs.NotFound) {
			err = errs.K(errs.NotFound, "api.reifegrad.not_found")
		}
		a.fail(w, r, err)
		return
	}
	out := reifegradJSON{Leistung: leika, Gemeinde: toRegionItem(as.Gemeinde), Reifegrad: as.Level, Kriterien: as.Criteria, Fehlend: as.Missing()}
	if out.Fehlend == nil {
		out.Fehlend = []maturity.Criterion{}
	}
	if as.Version != nil {
		s := as.Version.Slug
		out.Onlinedienst = &s
	}
	out.Aktiv = as.Activation != nil && as.Activation.Live
	writeJSON(w, out)
}
