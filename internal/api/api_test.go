package api

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/ozgo/ozgo/internal/catalog"
	"github.com/ozgo/ozgo/internal/httpx"
	"github.com/ozgo/ozgo/internal/i18n"
	"github.com/ozgo/ozgo/internal/store"
	"github.com/ozgo/ozgo/internal/store/dbtest"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

var (
	once    sync.Once
	cat     *catalog.CatalogData
	regions []catalog.Region
)

func newAPI(t *testing.T, db *store.DB) http.Handler {
	t.Helper()
	once.Do(func() {
		var err error
		if cat, err = catalog.ParseCatalog(catalog.EmbeddedCatalog()); err != nil {
			panic(err)
		}
		if regions, err = catalog.ParseRegions(catalog.EmbeddedRegions()); err != nil {
			panic(err)
		}
	})
	ctx := context.Background()
	st := catalog.NewStore(db)
	if _, err := st.ImportRegions(ctx, regions, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := st.ImportCatalog(ctx, cat, nil); err != nil {
		t.Fatal(err)
	}
	err := db.InTx(ctx, func(tx *store.Tx) error {
		id, err := st.CreateBehoerde(ctx, tx, catalog.Behoerde{Name: "Steueramt Tübingen", RegionARS: "084160041041", Anschrift: "Am Markt 1"})
		if err != nil {
			return err
		}
		return st.Assign(ctx, tx, catalog.Assignment{LeistungRef: "99102013000000", RegionARS: "084160041041", BehoerdeID: id, OnlinedienstURL: "https://tuebingen.example/hund"})
	})
	if err != nil {
		t.Fatal(err)
	}
	rt := httpx.NewRouter(nil, nil)
	(&API{Catalog: catalog.NewService(st), Log: slog.New(slog.DiscardHandler), I18n: i18n.MustLoad()}).Register(rt)
	return rt
}

func get(t *testing.T, h http.Handler, url string, into any) *httptest.ResponseRecorder {
	t.Helper()
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("GET", url, nil))
	if into != nil {
		if err := json.Unmarshal(w.Body.Bytes(), into); err != nil {
			t.Fatalf("%s: %v: %s", url, err, w.Body)
		}
	}
	return w
}

type leistungPage struct {
	Items []struct {
		LeiKa       *string `json:"leika"`
		ID          string  `json:"id"`
		Name        string  `json:"name"`
		Typisierung string  `json:"typisierung"`
	} `json:"items"`
	Total int `json:"total"`
}

type regionPage struct {
	Items []struct {
		ARS           string  `json:"ars"`
		Name          string  `json:"name"`
		Ebene         string  `json:"ebene"`
		Uebergeordnet *string `json:"uebergeordnet"`
	} `json:"items"`
	Total int `json:"total"`
}

type problem struct {
	Status        int    `json:"status"`
	Type          string `json:"type"`
	Detail        string `json:"detail"`
	InvalidParams []struct {
		Name string `json:"name"`
	} `json:"invalid-params"`
}

func checkLeistungenSearch(t *testing.T, h http.Handler) {
	func() {
		var p leistungPage
		get(t, h, "/api/v1/leistungen?q=Elterngeld", &p)
		if len(p.Items) == 0 || p.Items[0].Name != "Elterngeld" || *p.Items[0].LeiKa != "99041006000000" || p.Items[0].Typisierung != "2/3" {
			t.Fatalf("Elterngeld: %+v", p.Items)
		}
		get(t, h, "/api/v1/leistungen?q=fuhrerschein", &p)
		if len(p.Items) == 0 || !strings.Contains(p.Items[0].Name, "Führerschein") {
			t.Fatalf("fuhrerschein: %+v", p.Items)
		}
		get(t, h, "/api/v1/leistungen?q=Hund&limit=50", &p)
		found := false
		for _, it := range p.Items {
			found = found || strings.HasPrefix(it.Name, "Hundesteuer")
		}
		if !found {
			t.Fatalf("Hund finds no Hundesteuer: %+v", p.Items)
		}
		get(t, h, "/api/v1/leistungen?q=ummelden&limit=50", &p)
		names := ""
		for _, it := range p.Items {
			names += it.Name + "|"
		}
		if !strings.Contains(names, "Ummeldung") || !strings.Contains(names, "Wohnsitz Anmeldung") {
			t.Errorf("ummelden: %s", names)
		}
		// Paging and filters.
		var all, second leistungPage
		get(t, h, "/api/v1/leistungen?limit=500", &all)
		if all.Total != 5251 || len(all.Items) != 500 {
			t.Fatalf("list all: total %d, %d items", all.Total, len(all.Items))
		}
		get(t, h, "/api/v1/leistungen?limit=10&offset=10", &second)
		if second.Items[0].ID != all.Items[10].ID {
			t.Error("offset does not page")
		}
		var tf leistungPage
		get(t, h, "/api/v1/leistungen?themenfeld=6&q=Elterngeld", &tf)
		if tf.Total == 0 || tf.Total > p.Total+100 {
			t.Errorf("themenfeld filter: %d", tf.Total)
		}
	}()
}

func checkLeistungDetail(t *testing.T, h http.Handler) {
	var d map[string]any
	w := get(t, h, "/api/v1/leistungen/99041006000000", &d)
	if w.Code != 200 || d["name"] != "Elterngeld" || d["themenfeld"] == nil || !strings.Contains(d["typisierungText"].(string), "Länder oder Kommunen") {
		t.Fatalf("%d %v", w.Code, d)
	}
	var p problem
	w = get(t, h, "/api/v1/leistungen/99999999999999", &p)
	if w.Code != 404 || w.Header().Get("Content-Type") != "application/problem+json" || p.Status != 404 {
		t.Fatalf("unknown: %d %+v", w.Code, p)
	}
	w = get(t, h, "/api/v1/leistungen/abc", &p)
	if w.Code != 400 || len(p.InvalidParams) != 1 || p.InvalidParams[0].Name != "leika" {
		t.Fatalf("malformed: %d %+v", w.Code, p)
	}
}

func checkRegionen(t *testing.T, h http.Handler) {
	func() {
		for _, q := range []string{"Tübingen", "tubingen", "72070", "08416041"} {
			var p regionPage
			get(t, h, "/api/v1/regionen?q="+q, &p)
			hit := -1
			for i, it := range p.Items {
				if it.ARS == "084160041041" {
					hit = i
				}
			}
			if hit < 0 || hit > 2 {
				t.Errorf("q=%s: Gemeinde Tübingen at %d in %+v", q, hit, p.Items)
			}
		}
		var d map[string]any
		get(t, h, "/api/v1/regionen/08", &d)
		if d["name"] != "Baden-Württemberg" || d["ebene"] != "land" || d["uebergeordnet"] != nil {
			t.Fatalf("08: %v", d)
		}
		get(t, h, "/api/v1/regionen/084160041041", &d)
		if pfad, _ := d["pfad"].([]any); len(pfad) != 4 || d["plz"] != "72070" {
			t.Fatalf("Tübingen: %v", d)
		}
		var p regionPage
		get(t, h, "/api/v1/regionen?ebene=gemeinde&uebergeordnet=08&limit=1", &p)
		if p.Total != 1101 {
			t.Fatalf("Gemeinden in BW: %d", p.Total)
		}
		get(t, h, "/api/v1/regionen?ebene=gemeinde&limit=1", &p)
		if p.Total != 10796 {
			t.Fatalf("Gemeinden: %d", p.Total)
		}
	}()
}

func checkZustaendigkeitAPI(t *testing.T, h http.Handler) {
	var z map[string]any
	w := get(t, h, "/api/v1/zustaendigkeit?leika=99102013000000&ars=084160041041", &z)
	b, _ := z["behoerde"].(map[string]any)
	if w.Code != 200 || z["quelle"] != "zugeordnet" || b == nil || b["name"] != "Steueramt Tübingen" || z["onlineVerfuegbar"] != true {
		t.Fatalf("%d %v", w.Code, z)
	}
	get(t, h, "/api/v1/zustaendigkeit?leika=99102013000000&ars=010010000000", &z)
	if z["quelle"] != "abgeleitet" || z["behoerde"] != nil || z["ebene"] != "land" {
		t.Fatalf("derived: %v", z)
	}
}

func checkMalformedParameters(t *testing.T, h http.Handler) {
	tests := []struct{ url, param string }{
		{"/api/v1/leistungen?limit=501", "limit"},
		{"/api/v1/leistungen?limit=0", "limit"},
		{"/api/v1/leistungen?limit=abc", "limit"},
		{"/api/v1/leistungen?offset=-1", "offset"},
		{"/api/v1/leistungen?themenfeld=x", "themenfeld"},
		{"/api/v1/leistungen?q=a&q=b", "q"},
		{"/api/v1/leistungen?q=" + strings.Repeat("a", 201), "q"},
		{"/api/v1/regionen?ebene=dorf", "ebene"},
		{"/api/v1/regionen?uebergeordnet=08x", "uebergeordnet"},
		{"/api/v1/regionen/08a", "ars"},
		{"/api/v1/regionen/0841", "ars"},
		{"/api/v1/zustaendigkeit?leika=99102013000000", "ars"},
		{"/api/v1/zustaendigkeit?leika=99102013000000&ars=abc", "ars"},
		{"/api/v1/zustaendigkeit?ars=084160041041", "leika"},
		{"/api/v1/themenfelder/-1", "id"},
	}
	for _, tt := range tests {
		var p problem
		w := get(t, h, tt.url, &p)
		if w.Code != 400 || w.Header().Get("Content-Type") != "application/problem+json" || len(p.InvalidParams) == 0 || p.InvalidParams[0].Name != tt.param || !strings.Contains(p.Detail, tt.param) {
			t.Errorf("%s: %d %+v", tt.url, w.Code, p)
		}
	}
	if w := get(t, h, "/api/v1/regionen/999999999999", nil); w.Code != 404 {
		t.Errorf("unknown region: %d", w.Code)
	}
}

func checkBrowsing(t *testing.T, h http.Handler) {
	var tf struct {
		Items []struct {
			ID   int    `json:"id"`
			Name string `json:"name"`
		} `json:"items"`
		Total int `json:"total"`
	}
	get(t, h, "/api/v1/themenfelder", &tf)
	if tf.Total != 14 {
		t.Fatalf("themenfelder %d", tf.Total)
	}
	var one struct {
		Lebenslagen []struct{ ID int } `json:"lebenslagen"`
	}
	get(t, h, "/api/v1/themenfelder/6", &one)
	if len(one.Lebenslagen) == 0 {
		t.Fatal("Familie & Kind has no Lebenslagen")
	}
	var ll struct {
		OZG []struct {
			Leistungen []any `json:"leistungen"`
		} `json:"ozgLeistungen"`
	}
	get(t, h, "/api/v1/lebenslagen/"+itoa(one.Lebenslagen[0].ID), &ll)
	if len(ll.OZG) == 0 {
		t.Fatal("Lebenslage has no OZG-Leistungen")
	}
}

func itoa(i int) string { return strconv.Itoa(i) }

func TestOpenAPIDocument(t *testing.T) {
	var doc map[string]any
	if err := json.Unmarshal(openapiJSON, &doc); err != nil {
		t.Fatal(err)
	}
	if doc["openapi"] != "3.1.0" {
		t.Fatalf("openapi %v", doc["openapi"])
	}
	paths := doc["paths"].(map[string]any)
	for _, p := range []string{"/api/v1/leistungen", "/api/v1/leistungen/{leika}", "/api/v1/regionen", "/api/v1/regionen/{ars}", "/api/v1/zustaendigkeit"} {
		if _, ok := paths[p]; !ok {
			t.Errorf("OpenAPI lacks %s", p)
		}
	}
}

// TestAPI loads the real catalog and regions once per engine and runs every
// API check against it (a full import per check would be slow under -race).
func TestAPI(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, db *store.DB) {
		h := newAPI(t, db)
		t.Run("leistungen search", func(t *testing.T) { checkLeistungenSearch(t, h) })
		t.Run("leistung detail", func(t *testing.T) { checkLeistungDetail(t, h) })
		t.Run("regionen", func(t *testing.T) { checkRegionen(t, h) })
		t.Run("zustaendigkeit", func(t *testing.T) { checkZustaendigkeitAPI(t, h) })
		t.Run("malformed parameters", func(t *testing.T) { checkMalformedParameters(t, h) })
		t.Run("browsing", func(t *testing.T) { checkBrowsing(t, h) })
		t.Run("OpenAPI conformance", func(t *testing.T) { checkConformance(t, h) })
	})
}
