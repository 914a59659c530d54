// Package api serves ozgo's public JSON API under /api, documented by the
// OpenAPI 3.1 file served at /api/openapi.json. Errors are
// application/problem+json; malformed parameters get 400 naming the
// parameter.
package api

import (
	_ "embed"
	"encoding/json"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"github.com/ozgo/ozgo/internal/catalog"
	"github.com/ozgo/ozgo/internal/errs"
	"github.com/ozgo/ozgo/internal/httpx"
	"github.com/ozgo/ozgo/internal/i18n"
	"github.com/ozgo/ozgo/internal/tenant"
)

//go:embed openapi.json
var openapiJSON []byte

// MaxLimit is the largest page size a client may ask for.
const MaxLimit = 500

// API holds the handlers' dependencies.
type API struct {
	Catalog *catalog.Service
	Log     *slog.Logger
	I18n    *i18n.Catalog
	// Tenants serves coverage and Reifegrad; nil leaves them out.
	Tenants *tenant.Service
}

// Register adds the API routes.
func (a *API) Register(rt *httpx.Router) {
	rt.HandleFunc("GET /api/openapi.json", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "public, max-age=300")
		_, _ = w.Write(openapiJSON)
	})
	rt.HandleFunc("GET /api/v1/leistungen", a.listLeistungen)
	rt.HandleFunc("GET /api/v1/leistungen/{leika}", a.getLeistung)
	rt.HandleFunc("GET /api/v1/regionen", a.listRegionen)
	rt.HandleFunc("GET /api/v1/regionen/{ars}", a.getRegion)
	rt.HandleFunc("GET /api/v1/zustaendigkeit", a.getZustaendigkeit)
	rt.HandleFunc("GET /api/v1/themenfelder", a.listThemenfelder)
	rt.HandleFunc("GET /api/v1/themenfelder/{id}", a.getThemenfeld)
	rt.HandleFunc("GET /api/v1/lebenslagen/{id}", a.getLebenslage)
	a.registerReifegrad(rt)
}

func (a *API) fail(w http.ResponseWriter, r *http.Request, err error) {
	httpx.WriteProblem(w, r, a.Log, a.I18n, err)
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

// params reads query parameters and collects the first error, naming the
// parameter, so handlers read straight through.
type params struct {
	r   *http.Request
	err error
}

// badParam is the 400 error for a malformed parameter; key is a catalog
// message whose first argument is the parameter's name.
func badParam(name, key string, args ...any) *errs.Error {
	return &errs.Error{Code: errs.BadRequest, Field: name, Message: key, Args: append([]any{name}, args...)}
}

func (p *params) bad(name, key string, args ...any) {
	if p.err == nil {
		p.err = badParam(name, key, args...)
	}
}

func (p *params) str(name string, maxLen int) string {
	vs := p.r.URL.Query()[name]
	if len(vs) > 1 {
		p.bad(name, "api.param.once")
		return ""
	}
	if len(vs) == 0 {
		return ""
	}
	v := strings.TrimSpace(vs[0])
	if len(v) > maxLen {
		p.bad(name, "api.param.too_long", maxLen)
	}
	return v
}

func (p *params) int(name string, def, lo, hi int) int {
	s := p.str(name, 12)
	if s == "" {
		return def
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		p.bad(name, "api.param.not_int")
		return def
	}
	if n < lo || n > hi {
		p.bad(name, "api.param.range", lo, hi)
		return def
	}
	return n
}

func (p *params) ars(name string, required bool) string {
	s := p.str(name, 12)
	switch {
	case s == "" && required:
		p.bad(name, "api.param.ars_missing")
	case s != "" && !catalog.ValidARS(s):
		p.bad(name, "api.param.ars_form")
		return ""
	}
	return s
}

// --- wire types: the JSON field names are part of the API contract ---

type leistungItem struct {
	LeiKa       *string `json:"leika"`
	ID          string  `json:"id"`
	Name        string  `json:"name"`
	Typisierung string  `json:"typisierung"`
}

type leistungDetail struct {
	leistungItem
	TypisierungText  string   `json:"typisierungText"`
	Rechtsgrundlagen []string `json:"rechtsgrundlagen"`
	OZGLeistung      *idName  `json:"ozgLeistung"`
	Lebenslage       *idName  `json:"lebenslage"`
	Themenfeld       *idName  `json:"themenfeld"`
}

type idName struct {
	ID   any    `json:"id"`
	Name string `json:"name"`
}

type regionItem struct {
	ARS           string  `json:"ars"`
	Name          string  `json:"name"`
	Ebene         string  `json:"ebene"`
	Uebergeordnet *string `json:"uebergeordnet"`
}

type regionDetail struct {
	regionItem
	AGS          *string      `json:"ags"`
	Art          string       `json:"art"`
	FlaecheKM2   *float64     `json:"flaecheKm2"`
	Bevoelkerung *int64       `json:"bevoelkerung"`
	PLZ          *string      `json:"plz"`
	Laengengrad  *float64     `json:"laengengrad"`
	Breitengrad  *float64     `json:"breitengrad"`
	Pfad         []regionItem `json:"pfad"`
}

type page[T any] struct {
	Items  []T `json:"items"`
	Total  int `json:"total"`
	Limit  int `json:"limit"`
	Offset int `json:"offset"`
}

func strPtr(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func toLeistungItem(l catalog.Leistung) leistungItem {
	return leistungItem{LeiKa: strPtr(l.LeiKa), ID: l.Ref, Name: l.Name, Typisierung: l.Typisierung}
}

func toRegionItem(r catalog.Region) regionItem {
	return regionItem{ARS: r.ARS, Name: r.Name, Ebene: string(r.Ebene), Uebergeordnet: strPtr(r.ParentARS)}
}
