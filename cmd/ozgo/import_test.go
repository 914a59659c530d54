package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestImportCommands(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join("..", "..", "internal", "catalog", "data")
	out, code := run(t, nil, "import", "regions", filepath.Join(data, "regionen.csv"), "--data", dir)
	if code != 0 || !strings.Contains(out, "15848 records: 15848 added") {
		t.Fatalf("regions: %d\n%s", code, out)
	}
	// Plain progress lines when not on a terminal.
	if !strings.Contains(out, "import regions: 100% (15848/15848)") {
		t.Errorf("no progress lines:\n%s", out)
	}
	out, code = run(t, nil, "import", "catalog", filepath.Join(data, "ozg-katalog.json"), "--data", dir)
	if code != 0 || !strings.Contains(out, "leistungen") || !strings.Contains(out, "5251 records: 5251 added") {
		t.Fatalf("catalog: %d\n%s", code, out)
	}
	out, code = run(t, nil, "import", "catalog", "--data", dir, filepath.Join(data, "ozg-katalog.json"))
	if code != 0 || !strings.Contains(out, "nothing changed") {
		t.Fatalf("second catalog import: %d\n%s", code, out)
	}
	// A broken file names the line and changes nothing.
	raw, err := os.ReadFile(filepath.Join(data, "regionen.csv"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(raw), "\n")
	lines[1] = strings.Replace(lines[1], "Schleswig-Holstein", "Geändert", 1)
	lines[5000] = "gemeinde,12345,,Kaputt,,01,,,,,"
	broken := filepath.Join(t.TempDir(), "broken.csv")
	if err := os.WriteFile(broken, []byte(strings.Join(lines, "\n")), 0o600); err != nil {
		t.Fatal(err)
	}
	out, code = run(t, nil, "import", "regions", broken, "--data", dir)
	if code != 1 || !strings.Contains(out, "line 5001") || !strings.Contains(out, "nothing was imported") {
		t.Fatalf("broken file: %d\n%s", code, out)
	}
	p := start(t, nil, "serve", "--addr", "127.0.0.1:0", "--data", dir)
	if _, body, _ := get(t, p.url+"/api/v1/regionen/01"); !strings.Contains(body, "Schleswig-Holstein") {
		t.Errorf("old data not intact: %s", body)
	}
	p.stop(t)
	if out, code := run(t, nil, "import", "things", "x"); code != 2 || !strings.Contains(out, "usage") {
		t.Errorf("bad kind: %d %s", code, out)
	}
	if out, code := run(t, nil, "import", "catalog", "/does/not/exist.json", "--data", dir); code != 1 || !strings.Contains(out, "no such file") {
		t.Errorf("missing file: %d %s", code, out)
	}
	if out, code := run(t, nil, "audit", "verify", "--data", dir); code != 0 {
		t.Errorf("audit after imports: %s", out)
	}
}
