package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

const fimData = "../../internal/fim/testdata/"

func TestFimInspect(t *testing.T) {
	tests := []struct {
		file string
		args []string
		want []string
	}{
		{"xdf2/S00000094/S00000094V1.0_xdf2.xml", nil, []string{
			"S00000094 1.0: Benachrichtigung über die Beschäftigung einer schwangeren oder stillenden Frau",
			"XDatenfelder 2.0, Stammdatenschema", "Groups:      16 (13 distinct)", "Fields:      44 (29 distinct)", "Rules:       13 (13 distinct)",
			"urn:de:fim:codeliste:artbeschäftigungsverhältnis_2018-05-09: exact, 9 entries (F00000463)",
			"R00000849 1.0 Beschäftigungsverhältnis Frau Sonstiges: not enforced (value 009 is not a code of F00000463's code list)",
			"R00000042 1.0 Voraussichtlicher Entbindungstermin: enforced (F00000467 required when F00000462 is 001)",
			"https://schema.fitko.de/fim/s00000094_1.0.schema.json"}},
		{"xdf2/S00000121/S00000121V1.0_xdf2.xml", []string{"--codelists", fimData + "codelists"}, []string{
			"S00000121 1.0: Antrag Blaue Karte EU", "Groups:      29 (23 distinct)", "Fields:      88 (71 distinct)", "Rules:       3 (3 distinct)",
			"urn:xpersonenstand:schluesseltabelle:geschlecht_2: other version urn:xpersonenstand:schluesseltabelle:geschlecht_3",
			"urn:de:xoev:codeliste:erreichbarkeit_2: missing – free text (F00000025)",
			"Warnings (4):", "R00000254 1.0 Krankenversicherung: enforced (F00001028 only used when F00001027 is yes)"}},
		{"xdf2/S00000121/S00000121V1.0_xdf2.xml", nil, []string{
			"staat_2017-01-01: missing – free text (F00000038)", "Warnings (4):"}},
		{"xdf3/input.xml", nil, []string{"G60000000088 1.2.0: Anschrift Inland", "XDatenfelder 3.0.0, Datenfeldgruppe", "Fields:      1 (1 distinct)",
			"select field without code list or values"}},
		{"xdf3/simple.xml", nil, []string{"Groups:      2 (2 distinct)", "R60000000019 1.2.0", "not enforced (text only)"}},
		// Code lists sit beside the schemas; inspect says what they are.
		{"xdf2/S00000094/C00000021_genericode.xml", nil, []string{"genericode 1.0 code list", "Entries:     9", "999  Sonstiges Beschäftigungsverhältnis"}},
	}
	for _, tt := range tests {
		t.Run(filepath.Base(tt.file), func(t *testing.T) {
			out, code := run(t, nil, append([]string{"fim", "inspect", fimData + tt.file}, tt.args...)...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, out)
			}
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
		})
	}
}

func TestFimRejects(t *testing.T) {
	dir := t.TempDir()
	broken := filepath.Join(dir, "broken.xml")
	os.WriteFile(broken, []byte("<a>\n<b>\n</a>"), 0o600)
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"fim", "inspect", fimData + "xdf1/S00000036_xdf1.xml"}, "XDatenfelder 1"},
		{[]string{"fim", "jsonschema", fimData + "xdf1/S00000036_xdf1.xml"}, "XDatenfelder 1"},
		{[]string{"fim", "inspect", broken}, "line 3"},
		{[]string{"fim", "inspect", filepath.Join(dir, "missing.xml")}, "no such file"},
		{[]string{"fim", "inspect"}, "usage"},
		{[]string{"fim"}, "usage"},
		{[]string{"fim", "frobnicate", "x"}, "unknown command"},
		{[]string{"fim", "inspect", fimData + "xdf3/input.xml", "--codelists", filepath.Join(dir, "nope")}, "--codelists"},
		{[]string{"fim", "inspect", fimData + "xdf3/input.xml", "--bogus"}, "flag provided but not defined"},
	}
	for _, tt := range tests {
		out, code := run(t, nil, tt.args...)
		if code != 2 || !strings.Contains(out, tt.want) {
			t.Errorf("%v: exit %d, want 2 with %q:\n%s", tt.args, code, tt.want, out)
		}
	}
}

func TestFimJSONSchema(t *testing.T) {
	for _, file := range []string{"xdf2/S00000094/S00000094V1.0_xdf2.xml", "xdf2/S00000121/S00000121V1.0_xdf2.xml", "xdf3/simple.xml"} {
		cmd := []string{"fim", "jsonschema", fimData + file, "--codelists", fimData + "codelists"}
		out, code := runStdout(t, cmd...)
		if code != 0 {
			t.Fatalf("%s: exit %d", file, code)
		}
		doc, err := jsonschema.UnmarshalJSON(strings.NewReader(out))
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		c := jsonschema.NewCompiler()
		c.DefaultDraft(jsonschema.Draft2020)
		id := doc.(map[string]any)["$id"].(string)
		if err := c.AddResource(id, doc); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Compile(id); err != nil {
			t.Errorf("%s: %v", file, err)
		}
		if doc.(map[string]any)["$schema"] != "https://json-schema.org/draft/2020-12/schema" {
			t.Errorf("%s: $schema", file)
		}
	}
	// The golden file is what the command prints.
	out, _ := runStdout(t, "fim", "jsonschema", fimData+"xdf2/S00000094/S00000094V1.0_xdf2.xml")
	golden, err := os.ReadFile(fimData + "golden/s00000094_1.0.schema.json")
	if err != nil || out != string(golden) {
		t.Errorf("output differs from golden (%v)", err)
	}
}

// runStdout runs ozgo and returns only its standard output.
func runStdout(t *testing.T, args ...string) (string, int) {
	t.Helper()
	return exec1(t, nil, false, args)
}

func TestFimValidate(t *testing.T) {
	dir := t.TempDir()
	s94 := fimData + "xdf2/S00000094/S00000094V1.0_xdf2.xml"
	s121 := fimData + "xdf2/S00000121/S00000121V1.0_xdf2.xml"
	valid94 := fimData + "instances/s00000094_valid.json"
	invalid := filepath.Join(dir, "invalid.json")
	os.WriteFile(invalid, []byte(`{"F00000463":"010","G00000258":{"F00000464":"ja","F00000465":false,"F00000466":true}}`), 0o600)
	notJSON := filepath.Join(dir, "broken.json")
	os.WriteFile(notJSON, []byte(`{`), 0o600)

	out, code := run(t, nil, "fim", "validate", s94, valid94)
	if code != 0 || !strings.Contains(out, "valid") {
		t.Errorf("valid: exit %d: %s", code, out)
	}
	out, code = run(t, nil, "fim", "validate", s121, fimData+"instances/s00000121_valid.json", "--codelists", fimData+"codelists")
	if code != 0 {
		t.Errorf("valid S00000121: exit %d: %s", code, out)
	}
	out, code = run(t, nil, "fim", "validate", s94, invalid)
	if code != 1 {
		t.Errorf("invalid: exit %d: %s", code, out)
	}
	for _, w := range []string{"3 error(s)", "/: missing properties 'G00000253', 'G00000255'", "/F00000463: value must be one of", "/G00000258/F00000464: got string, want boolean"} {
		if !strings.Contains(out, w) {
			t.Errorf("invalid output lacks %q:\n%s", w, out)
		}
	}
	for _, args := range [][]string{
		{"fim", "validate", s94, notJSON},
		{"fim", "validate", s94, filepath.Join(dir, "missing.json")},
		{"fim", "validate", s94},
		{"fim", "validate", fimData + "xdf1/S00000036_xdf1.xml", valid94},
	} {
		if out, code := run(t, nil, args...); code != 2 {
			t.Errorf("%v: exit %d: %s", args, code, out)
		}
	}
}

func TestFimImportIntoDatabase(t *testing.T) {
	dir := t.TempDir()
	out, code := run(t, nil, "fim", "codelists", "import", fimData+"codelists", "--data", dir)
	if code != 0 || !strings.Contains(out, "7 code lists, 7 new") {
		t.Fatalf("codelists import: %d\n%s", code, out)
	}
	out, code = run(t, nil, "fim", "import", fimData+"xdf2/S00000121/S00000121V1.0_xdf2.xml", "--data", dir)
	if code != 0 || !strings.Contains(out, "form S00000121 1.0 (Antrag auf Blaue Karte EU) stored") || !strings.Contains(out, "erreichbarkeit") {
		t.Fatalf("form import: %d\n%s", code, out)
	}
	out, code = run(t, nil, "fim", "import", fimData+"xdf2/S00000121/S00000121V1.0_xdf2.xml", "--data", dir)
	if code != 0 || !strings.Contains(out, "already stored with identical content") {
		t.Fatalf("second form import: %d\n%s", code, out)
	}
	// The lists beside S00000094 are stored with it; the one that came
	// with the shared folder already (same content) is left alone.
	out, code = run(t, nil, "fim", "import", fimData+"xdf2/S00000094/S00000094V1.0_xdf2.xml", "--data", dir)
	if code != 0 || strings.Count(out, ": stored") != 3 || strings.Count(out, ": already stored") != 1 || !strings.Contains(out, "stored, 0 warnings") {
		t.Fatalf("S00000094 import: %d\n%s", code, out)
	}
	out, code = run(t, nil, "fim", "import", fimData+"xdf1/S00000036_xdf1.xml", "--data", dir)
	if code != 2 || !strings.Contains(out, "XDatenfelder 1") {
		t.Fatalf("xdf1 import: %d\n%s", code, out)
	}
	if out, code := run(t, nil, "audit", "verify", "--data", dir); code != 0 || !strings.Contains(out, "intact") {
		t.Fatalf("audit: %s", out)
	}
}
