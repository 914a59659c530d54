package fim

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// storeFor loads the lists beside the file and testdata/codelists, as the
// CLI does with --codelists testdata/codelists.
func storeFor(t testing.TB, file string) *CodeListStore {
	t.Helper()
	s := NewCodeListStore()
	for _, dir := range []string{filepath.Dir(file), "testdata/codelists"} {
		if _, w, err := s.LoadDir(dir); err != nil || len(w) > 0 {
			t.Fatalf("%s: %v %q", dir, err, w)
		}
	}
	return s
}

func export(t testing.TB, file string) *Export {
	t.Helper()
	x, err := JSONSchema(mustParse(t, file), storeFor(t, file))
	if err != nil {
		t.Fatal(err)
	}
	return x
}

func TestJSONSchemaGolden(t *testing.T) {
	tests := []struct {
		file, golden, id string
		warnings         []string
	}{
		{fileS94, "s00000094_1.0.schema.json", "https://schema.fitko.de/fim/s00000094_1.0.schema.json", nil},
		{fileS121, "s00000121_1.0.schema.json", "https://schema.fitko.de/fim/s00000121_1.0.schema.json", []string{
			"geschlecht_2 not found; using version 3", "staatsangehoerigkeit_2017-01-01 not found; using version 2023-02-24",
			"staat_2017-01-01 not found; using version 2023-02-24", "erreichbarkeit_2 not found; the field accepts free text (used by F00000025)"}},
		{fileSimple, "g60000000088_1.2.0-simple.schema.json", "https://schema.fitko.de/fim/g60000000088_1.2.0.schema.json", nil},
		{fileInput, "g60000000088_1.2.0-input.schema.json", "https://schema.fitko.de/fim/g60000000088_1.2.0.schema.json", []string{
			"F60000000243: select field without code list or values; the field accepts free text"}},
	}
	for _, tt := range tests {
		t.Run(tt.golden, func(t *testing.T) {
			x := export(t, tt.file)
			if x.ID != tt.id {
				t.Errorf("id = %s", x.ID)
			}
			if len(x.Warnings) != len(tt.warnings) {
				t.Errorf("warnings = %q", x.Warnings)
			} else {
				for i, w := range tt.warnings {
					if !strings.Contains(x.Warnings[i], w) {
						t.Errorf("warning %d = %q, want %q", i, x.Warnings[i], w)
					}
				}
			}
			path := filepath.Join("testdata/golden", tt.golden)
			if *update {
				if err := os.WriteFile(path, x.JSON, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(x.JSON, want) {
				t.Errorf("%s differs from the export; run go test -run Golden -update and review the diff", path)
			}
			if _, err := CompileSchema(want); err != nil {
				t.Errorf("golden does not compile: %v", err)
			}
		})
	}
}

// prop follows a path of property names through nested objects and arrays.
func prop(t *testing.T, s *Object, path ...string) *Object {
	t.Helper()
	for _, p := range path {
		if s.Get("type") == "array" {
			s = s.Get("items").(*Object)
		}
		props, _ := s.Get("properties").(*Object)
		if props == nil || !props.Has(p) {
			t.Fatalf("no property %s in %v", p, path)
		}
		s = props.Get(p).(*Object)
	}
	return s
}

func TestJSONSchemaS00000094Mapping(t *testing.T) {
	s := export(t, fileS94).Schema
	if s.Get("$schema") != SchemaDialect || s.Get("additionalProperties") != false || s.Get("type") != "object" {
		t.Errorf("root = %v %v", s.Get("$schema"), s.Get("additionalProperties"))
	}
	if got := s.Get("required").([]string); strings.Join(got, ",") != "G00000253,G00000255,F00000463,G00000258" {
		t.Errorf("required = %v", got)
	}
	if keys := prop(t, s).Get("properties").(*Object).Keys(); strings.Join(keys, ",") != "G00000253,G00000255,F00000463,F00000601,G00000258" {
		t.Errorf("order = %v", keys)
	}
	f := prop(t, s, "F00000463")
	if f.Get("type") != "string" || len(f.Get("enum").([]string)) != 9 || f.Get("enum").([]string)[8] != "999" {
		t.Errorf("enum = %v", f.Get("enum"))
	}
	plz := prop(t, s, "G00000253", "G60000088", "G60000086", "F60000246")
	if plz.Get("pattern") != "^(?:([0]{1}[1-9]{1}|[1-9]{1}[0-9]{1})[0-9]{3})$" || plz.Get("minLength") != 5 || plz.Get("maxLength") != 5 {
		t.Errorf("plz = %v", plz)
	}
	day := prop(t, s, "G00000255", "G60000083", "F60000231")
	if day.Get("type") != "integer" || day.Get("minimum") != json.Number("1") || day.Get("maximum") != json.Number("31") {
		t.Errorf("day = %v", day)
	}
	lines := prop(t, s, "G00000255", "G60000093", "G60000091", "G60000092", "F60000262")
	if lines.Get("type") != "array" || lines.Get("minItems") != 2 || lines.Get("maxItems") != 5 || lines.Get("items").(*Object).Get("maxLength") != 35 {
		t.Errorf("lines = %v", lines)
	}
	if d := prop(t, s, "G00000255", "F00000467"); d.Get("format") != "date" || d.Get("type") != "string" {
		t.Errorf("date = %v", d)
	}
	if b := prop(t, s, "G00000258", "F00000464"); b.Get("type") != "boolean" {
		t.Errorf("bool = %v", b)
	}
	if st := prop(t, s, "G00000255", "G60000093", "G60000091", "F60000261"); len(st.Get("enum").([]string)) != 197 {
		t.Errorf("staat = %d", len(st.Get("enum").([]string)))
	}
}

func TestJSONSchemaS00000121Mapping(t *testing.T) {
	x := export(t, fileS121)
	s := x.Schema
	file := prop(t, s, "G00000630", "F00001019")
	if file.Get("type") != "object" || strings.Join(file.Get("required").([]string), ",") != "attachmentId" || file.Get("additionalProperties") != false {
		t.Errorf("file = %v", file)
	}
	cur := prop(t, s, "G00000642", "F00000728")
	if cur.Get("type") != "number" || cur.Get("multipleOf") != json.Number("0.01") {
		t.Errorf("currency = %v", cur)
	}
	comm := prop(t, s, "G00000642", "G00000132", "G00000016", "G00000015")
	if comm.Get("type") != "array" || comm.Get("minItems") != 1 || comm.Has("maxItems") {
		t.Errorf("1:* = %v", comm)
	}
	kanal := prop(t, s, "G00000642", "G00000132", "G00000016", "G00000015", "F00000025")
	if kanal.Get("type") != "string" || kanal.Has("enum") {
		t.Errorf("degraded = %v", kanal)
	}
	if g := prop(t, s, "G00000630", "F00000065"); strings.Join(g.Get("enum").([]string), ",") != "d,m,w,x" {
		t.Errorf("geschlecht = %v", g.Get("enum"))
	}
	if n := prop(t, s, "G00000630", "F00001017"); n.Get("type") != "number" || n.Has("multipleOf") {
		t.Errorf("num = %v", n)
	}
	var how []string
	for _, c := range x.CodeLists {
		how = append(how, c.How.String())
	}
	if strings.Join(how, ",") != "other version,other version,other version,missing" {
		t.Errorf("resolutions = %v", how)
	}
}

func TestJSONSchemaWithoutStore(t *testing.T) {
	x, err := JSONSchema(mustParse(t, fileS94), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(x.Warnings) != 4 || prop(t, x.Schema, "F00000463").Has("enum") {
		t.Errorf("warnings = %q", x.Warnings)
	}
	if _, err := x.Compile(); err != nil {
		t.Error(err)
	}
	if _, err := JSONSchema(nil, nil); err == nil {
		t.Error("nil document accepted")
	}
}

func TestJSONSchemaXDF3Features(t *testing.T) {
	d, err := Parse(strings.NewReader(xdf3Werte))
	if err != nil {
		t.Fatal(err)
	}
	x, err := JSONSchema(d, storeFor(t, fileInput))
	if err != nil {
		t.Fatal(err)
	}
	props := x.Schema.Get("properties").(*Object)
	if props.Has("F99000000002") {
		t.Error("label exported as data")
	}
	colour := props.Get("F99000000001").(*Object)
	if colour.Get("type") != "array" || colour.Get("maxItems") != 3 || colour.Has("minItems") {
		t.Errorf("0:3 = %v", colour)
	}
	if e := colour.Get("items").(*Object).Get("enum").([]string); strings.Join(e, ",") != "r,g" {
		t.Errorf("werte enum = %v", e)
	}
	if x.Schema.Has("required") {
		t.Error("0:3 made required")
	}
	v, err := x.Compile()
	if err != nil {
		t.Fatal(err)
	}
	if p := v.ValidateValue(map[string]any{"F99000000001": []any{"r", "g"}, "F99000000003": []any{"d"}}); len(p) != 0 {
		t.Errorf("valid: %v", p)
	}
	if p := v.ValidateValue(map[string]any{"F99000000001": []any{"r", "g", "r", "g"}}); len(p) != 1 || p[0].Location != "/F99000000001" {
		t.Errorf("too many: %v", p)
	}
}

func TestJSONSchemaFieldTypes(t *testing.T) {
	mk := func(datentyp, feldart string, p Praezisierung) *Element {
		return &Element{Kind: KindField, ID: "F1", Version: "1", Name: "n", Feldart: feldart, Datentyp: datentyp, Praezisierung: p}
	}
	n := func(i int) *int { return &i }
	tests := []struct {
		el   *Element
		want string
		warn string
	}{
		{mk("time", "input", Praezisierung{}), `{"title":"n","type":"string","format":"time"}`, ""},
		{mk("datetime", "input", Praezisierung{}), `{"title":"n","type":"string","format":"date-time"}`, ""},
		{mk("text_latin", "locked", Praezisierung{MaxLength: n(3)}), `{"title":"n","type":"string","maxLength":3,"readOnly":true}`, ""},
		{mk("num", "hidden", Praezisierung{MinValue: "0.5", MaxValue: "zehn"}), `{"title":"n","type":"number","minimum":0.5}`, `maxValue "zehn" is not a number`},
		{mk("text", "input", Praezisierung{Pattern: "(?=x)"}), `{"title":"n","type":"string"}`, "cannot be used"},
		{mk("weird", "input", Praezisierung{}), `{"title":"n","type":"string"}`, `datentyp "weird" unknown`},
		{&Element{Kind: KindField, ID: "F1", Name: "n", Datentyp: "file", MaxSize: "10", MediaTypes: []string{"application/pdf"}},
			`{"title":"n","type":"object","required":["attachmentId"],"properties":{"attachmentId":{"type":"string","minLength":1},"filename":{"type":"string"},"mediaType":{"type":"string","enum":["application/pdf"]},"size":{"type":"integer","minimum":0,"maximum":10}},"additionalProperties":false}`, ""},
		{&Element{Kind: KindField, ID: "F1", Name: "n", Datentyp: "text", Inhalt: "vorgegeben", HilfetextEingabe: "Hilfe"},
			`{"title":"n","description":"Hilfe","type":"string","default":"vorgegeben"}`, ""},
	}
	for _, tt := range tests {
		x := &exporter{resolved: map[string]int{}}
		got, err := json.Marshal(x.field(tt.el))
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != tt.want {
			t.Errorf("%s/%s:\n got %s\nwant %s", tt.el.Datentyp, tt.el.Feldart, got, tt.want)
		}
		if (tt.warn == "") != (len(x.out.Warnings) == 0) || (tt.warn != "" && !strings.Contains(x.out.Warnings[0], tt.warn)) {
			t.Errorf("%s warnings = %q", tt.el.Datentyp, x.out.Warnings)
		}
	}
}

func TestSchemaID(t *testing.T) {
	if got := SchemaID("S00000094", "1.0"); got != "https://schema.fitko.de/fim/s00000094_1.0.schema.json" {
		t.Error(got)
	}
	if got := SchemaID("G60000000088", "1.2.0"); got != "https://schema.fitko.de/fim/g60000000088_1.2.0.schema.json" {
		t.Error(got)
	}
}

func readInstance(t *testing.T, name string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata/instances", name))
	if err != nil {
		t.Fatal(err)
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var m map[string]any
	if err := d.Decode(&m); err != nil {
		t.Fatal(err)
	}
	return m
}

// set replaces the value at a path of keys (numbers index arrays); a nil
// value deletes the key.
func set(m map[string]any, v any, path ...any) map[string]any {
	var cur any = m
	for i, p := range path {
		last := i == len(path)-1
		switch k := p.(type) {
		case string:
			o := cur.(map[string]any)
			if last {
				if v == nil {
					delete(o, k)
				} else {
					o[k] = v
				}
				return m
			}
			cur = o[k]
		case int:
			a := cur.([]any)
			if last {
				a[k] = v
				return m
			}
			cur = a[k]
		}
	}
	return m
}

func TestValidateS00000094(t *testing.T) {
	v, err := export(t, fileS94).Compile()
	if err != nil {
		t.Fatal(err)
	}
	if p := v.ValidateValue(readInstance(t, "s00000094_valid.json")); len(p) != 0 {
		t.Fatalf("valid data rejected: %v", p)
	}
	f, _ := os.Open("testdata/instances/s00000094_valid.json")
	defer f.Close()
	if p, err := v.Validate(f); err != nil || len(p) != 0 {
		t.Fatalf("Validate: %v %v", p, err)
	}
	tests := []struct {
		name     string
		mutate   func(m map[string]any) map[string]any
		location string
		message  string
	}{
		{"missing required field", func(m map[string]any) map[string]any { return set(m, nil, "F00000463") }, "", "missing property 'F00000463'"},
		{"code not in list", func(m map[string]any) map[string]any { return set(m, "010", "F00000463") }, "/F00000463", "must be one of"},
		{"postcode pattern", func(m map[string]any) map[string]any {
			return set(m, "00123", "G00000253", "G60000088", "G60000086", "F60000246")
		}, "/G00000253/G60000088/G60000086/F60000246", "does not match pattern"},
		{"too long", func(m map[string]any) map[string]any {
			return set(m, strings.Repeat("x", 121), "G00000255", "F60000227")
		}, "/G00000255/F60000227", "maxLength"},
		{"unknown property", func(m map[string]any) map[string]any { return set(m, "x", "G00000258", "F99999999") }, "/G00000258", "additional properties 'F99999999' not allowed"},
		{"bad date", func(m map[string]any) map[string]any { return set(m, "14.03.2026", "G00000255", "F00000467") }, "/G00000255/F00000467", "is not valid date"},
		{"day out of range", func(m map[string]any) map[string]any {
			return set(m, json.Number("32"), "G00000255", "G60000083", "F60000231")
		}, "/G00000255/G60000083/F60000231", "maximum"},
		{"too few lines", func(m map[string]any) map[string]any {
			return set(m, []any{"Paris"}, "G00000255", "G60000093", "G60000091", "G60000092", "F60000262")
		}, "/G00000255/G60000093/G60000091/G60000092/F60000262", "minItems"},
		{"bool as string", func(m map[string]any) map[string]any { return set(m, "ja", "G00000258", "F00000464") }, "/G00000258/F00000464", "want boolean"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := v.ValidateValue(tt.mutate(readInstance(t, "s00000094_valid.json")))
			if len(p) != 1 || p[0].Location != tt.location || !strings.Contains(p[0].Message, tt.message) {
				t.Errorf("problems = %v, want %s: …%s…", p, tt.location, tt.message)
			}
		})
	}
}

func TestValidateS00000121(t *testing.T) {
	v, err := export(t, fileS121).Compile()
	if err != nil {
		t.Fatal(err)
	}
	if p := v.ValidateValue(readInstance(t, "s00000121_valid.json")); len(p) != 0 {
		t.Fatalf("valid data rejected: %v", p)
	}
	tests := []struct {
		name     string
		mutate   func(m map[string]any) map[string]any
		location string
		message  string
	}{
		{"cents beyond two places", func(m map[string]any) map[string]any {
			return set(m, json.Number("65000.505"), "G00000642", "F00000728")
		}, "/G00000642/F00000728", "multipleOf"},
		{"attachment without id", func(m map[string]any) map[string]any {
			return set(m, map[string]any{"filename": "foto.jpg"}, "G00000630", "F00001019")
		}, "/G00000630/F00001019", "missing property 'attachmentId'"},
		{"empty communication list", func(m map[string]any) map[string]any {
			return set(m, []any{}, "G00000642", "G00000132", "G00000016", "G00000015")
		}, "/G00000642/G00000132/G00000016/G00000015", "minItems"},
		{"communication entry incomplete", func(m map[string]any) map[string]any {
			return set(m, nil, "G00000642", "G00000132", "G00000016", "G00000015", 1, "F00000026")
		}, "/G00000642/G00000132/G00000016/G00000015/1", "missing property 'F00000026'"},
		{"geschlecht from fallback list", func(m map[string]any) map[string]any { return set(m, "f", "G00000630", "F00000065") }, "/G00000630/F00000065", "must be one of"},
		{"missing required bool", func(m map[string]any) map[string]any { return set(m, nil, "F00001040") }, "", "missing property 'F00001040'"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := v.ValidateValue(tt.mutate(readInstance(t, "s00000121_valid.json")))
			if len(p) != 1 || p[0].Location != tt.location || !strings.Contains(p[0].Message, tt.message) {
				t.Errorf("problems = %v, want %s: …%s…", p, tt.location, tt.message)
			}
		})
	}
	// Several problems are all reported.
	m := readInstance(t, "s00000121_valid.json")
	set(m, nil, "F00001040")
	set(m, "f", "G00000630", "F00000065")
	if p := v.ValidateValue(m); len(p) != 2 {
		t.Errorf("two problems = %v", p)
	}
	if _, err := v.Validate(strings.NewReader("{")); err == nil || !strings.Contains(err.Error(), "not JSON") {
		t.Errorf("broken JSON: %v", err)
	}
}

func TestCompileSchemaErrors(t *testing.T) {
	if _, err := CompileSchema([]byte("{")); err == nil {
		t.Error("broken JSON compiled")
	}
	if _, err := CompileSchema([]byte(`{"type":"nonsense"}`)); err == nil {
		t.Error("invalid schema compiled")
	}
}

func TestValidateProblemsSortedAndShort(t *testing.T) {
	v, err := export(t, fileS94).Compile()
	if err != nil {
		t.Fatal(err)
	}
	m := readInstance(t, "s00000094_valid.json")
	set(m, "XX", "G00000255", "G60000093", "G60000091", "F60000261")
	set(m, "ja", "G00000258", "F00000464")
	set(m, "010", "F00000463")
	set(m, nil, "G00000253")
	for range 5 {
		p := v.ValidateValue(m)
		var got []string
		for _, x := range p {
			got = append(got, x.String())
		}
		want := []string{
			"/: missing property 'G00000253'",
			"/F00000463: value must be one of '001', '002', '003', '004', '005', '006', '007', '008', '999'",
			`/G00000255/G60000093/G60000091/F60000261: value "XX" is not in the code list (197 codes)`,
			"/G00000258/F00000464: got string, want boolean",
		}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Fatalf("problems:\n%s", strings.Join(got, "\n"))
		}
	}
}
