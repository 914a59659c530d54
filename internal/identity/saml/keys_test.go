package saml_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	ozsaml "github.com/ozgo/ozgo/internal/identity/saml"
)

func TestLoadOrCreateKeyPair(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "keys")
	kp, err := ozsaml.LoadOrCreateKeyPair(dir, "saml-sp", "ozgo test")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"saml-sp.key", "saml-sp.crt"} {
		st, err := os.Stat(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != 0o600 {
			t.Errorf("%s mode %v", f, st.Mode().Perm())
		}
	}
	again, err := ozsaml.LoadOrCreateKeyPair(dir, "saml-sp", "ozgo test")
	if err != nil {
		t.Fatal(err)
	}
	if !again.Key.Equal(kp.Key) || !again.Certificate.Equal(kp.Certificate) {
		t.Error("second load returned another key")
	}
	if err := os.Remove(filepath.Join(dir, "saml-sp.crt")); err != nil {
		t.Fatal(err)
	}
	if _, err := ozsaml.LoadOrCreateKeyPair(dir, "saml-sp", "ozgo test"); err == nil {
		t.Error("a key without certificate was accepted or replaced")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("temporary files left: %v", entries)
	}
}

func TestLoadMetadata(t *testing.T) {
	md := idpMetadata(t, newIdP(idpKey, idpEntity))
	path := filepath.Join(t.TempDir(), "idp.xml")
	if err := os.WriteFile(path, md, 0o600); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			time.Sleep(300 * time.Millisecond)
		}
		if r.URL.Path == "/missing" {
			http.NotFound(w, r)
			return
		}
		_, _ = w.Write(md)
	}))
	defer srv.Close()
	ctx := context.Background()
	for _, src := range []string{path, srv.URL + "/md"} {
		b, err := ozsaml.LoadMetadata(ctx, src, time.Second)
		if err != nil || string(b) != string(md) {
			t.Errorf("%s: %v", src, err)
		}
	}
	for _, src := range []string{srv.URL + "/slow", srv.URL + "/missing", filepath.Join(t.TempDir(), "none.xml")} {
		if _, err := ozsaml.LoadMetadata(ctx, src, 100*time.Millisecond); err == nil {
			t.Errorf("%s: no error", src)
		}
	}
	ed, err := ozsaml.ParseIdPMetadata([]byte(`<EntitiesDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata">`+string(md)+`</EntitiesDescriptor>`), "")
	if err != nil || ed.EntityID != idpEntity {
		t.Errorf("aggregate: %v", err)
	}
	if _, err := ozsaml.ParseIdPMetadata(md, "https://other.example"); err == nil {
		t.Error("metadata of another entity accepted")
	}
}

var exampleDirs []string

// TestMain removes the examples' directories: examples have no t.TempDir.
func TestMain(m *testing.M) {
	code := m.Run()
	for _, d := range exampleDirs {
		os.RemoveAll(d)
	}
	os.Exit(code)
}

// exampleDir is a temporary directory for the example.
func exampleDir() string {
	d, err := os.MkdirTemp("", "ozgo-saml-example")
	if err != nil {
		panic(err)
	}
	exampleDirs = append(exampleDirs, d)
	return d
}
