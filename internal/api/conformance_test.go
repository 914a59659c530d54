package api

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// openAPISchemas compiles the component schemas of openapi.json, so tests
// can check that real responses match what the document promises.
func openAPISchemas(t *testing.T) func(name string) *jsonschema.Schema {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(openapiJSON))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	const base = "https://ozgo.invalid/api/openapi.json"
	if err := c.AddResource(base, doc); err != nil {
		t.Fatal(err)
	}
	cache := map[string]*jsonschema.Schema{}
	return func(name string) *jsonschema.Schema {
		if s, ok := cache[name]; ok {
			return s
		}
		s, err := c.Compile(base + "#/components/schemas/" + name)
		if err != nil {
			t.Fatalf("schema %s: %v", name, err)
		}
		cache[name] = s
		return s
	}
}

// checkConformance fetches each documented endpoint and validates the body
// against the schema the OpenAPI document names for that status.
func checkConformance(t *testing.T, h http.Handler) {
	schema := openAPISchemas(t)
	tests := []struct {
		url, schema string
		status      int
	}{
		{"/api/v1/leistungen?q=Elterngeld", "LeistungPage", 200},
		{"/api/v1/leistungen?limit=500&offset=4900", "LeistungPage", 200},
		{"/api/v1/leistungen/99041006000000", "LeistungDetail", 200},
		{"/api/v1/leistungen/99102013000000", "LeistungDetail", 200},
		{"/api/v1/regionen?q=Tübingen", "RegionPage", 200},
		{"/api/v1/regionen?ebene=land", "RegionPage", 200},
		{"/api/v1/regionen/08", "RegionDetail", 200},
		{"/api/v1/regionen/084160041041", "RegionDetail", 200},
		{"/api/v1/zustaendigkeit?leika=99102013000000&ars=084160041041", "Zustaendigkeit", 200},
		{"/api/v1/zustaendigkeit?leika=99041006000000&ars=010010000000", "Zustaendigkeit", 200},
		{"/api/v1/zustaendigkeit?leika=99023001000000&ars=010010000000", "Zustaendigkeit", 200},
		{"/api/v1/themenfelder", "ThemenfeldPage", 200},
		{"/api/v1/themenfelder/6", "Themenfeld", 200},
		{"/api/v1/lebenslagen/1", "Lebenslage", 200},
		{"/api/v1/leistungen/99999999999999", "Problem", 404},
		{"/api/v1/regionen?limit=9999", "Problem", 400},
	}
	for _, tt := range tests {
		w := get(t, h, tt.url, nil)
		if w.Code != tt.status {
			t.Errorf("%s: status %d, want %d", tt.url, w.Code, tt.status)
			continue
		}
		inst, err := jsonschema.UnmarshalJSON(strings.NewReader(w.Body.String()))
		if err != nil {
			t.Errorf("%s: %v", tt.url, err)
			continue
		}
		if err := schema(tt.schema).Validate(inst); err != nil {
			t.Errorf("%s does not match %s: %v", tt.url, tt.schema, err)
		}
	}
	// Keyless catalog entries: leika is null and the id is the x-ref.
	var p leistungPage
	get(t, h, "/api/v1/leistungen?q=Test&limit=50", &p)
	for _, it := range p.Items {
		if it.LeiKa == nil {
			w := get(t, h, "/api/v1/leistungen/"+it.ID, nil)
			var d map[string]any
			_ = json.Unmarshal(w.Body.Bytes(), &d)
			if w.Code != 200 || d["leika"] != nil || d["id"] != it.ID {
				t.Errorf("keyless %s: %d %v", it.ID, w.Code, d)
			}
			return
		}
	}
	t.Error("no keyless entry found to check")
}
