package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
)

// TestFitConnectClientLifecycle: create, rotate (new secret, old one
// refused), disable; unknown clients and missing ids are errors.
func TestFitConnectClientLifecycle(t *testing.T) {
	dir := t.TempDir()
	run := func(args ...string) (int, string, string) {
		var out, errOut bytes.Buffer
		code := Run(context.Background(), args, &out, &errOut)
		return code, out.String(), errOut.String()
	}
	code, out, errOut := run("fitconnect", "client", "create", "--name", "Fachverfahren", "--scope", "create:destination", "--json", "--data", dir)
	if code != ExitOK {
		t.Fatalf("create: %d %s", code, errOut)
	}
	var nc struct {
		ClientID     string `json:"client_id"`
		ClientSecret string `json:"client_secret"`
	}
	if err := json.Unmarshal([]byte(out), &nc); err != nil || nc.ClientID == "" {
		t.Fatalf("create output %q: %v", out, err)
	}
	code, out, errOut = run("fitconnect", "client", "rotate", nc.ClientID, "--json", "--data", dir)
	var rotated = nc
	if code != ExitOK || json.Unmarshal([]byte(out), &rotated) != nil || rotated.ClientSecret == "" || rotated.ClientSecret == nc.ClientSecret {
		t.Fatalf("rotate: %d %q %s", code, out, errOut)
	}
	if code, out, _ := run("fitconnect", "client", "disable", nc.ClientID, "--data", dir); code != ExitOK || !strings.Contains(out, "disabled") {
		t.Errorf("disable: %d %s", code, out)
	}
	if code, _, errOut := run("fitconnect", "client", "rotate", nc.ClientID, "--data", dir); code != ExitError || !strings.Contains(errOut, "abgeschaltet") {
		t.Errorf("rotate a disabled client: %d %s", code, errOut)
	}
	if code, _, errOut := run("fitconnect", "client", "disable", "gibt-es-nicht", "--data", dir); code != ExitError || !strings.Contains(errOut, "gibt-es-nicht") {
		t.Errorf("disable unknown: %d %s", code, errOut)
	}
	if code, _, _ := run("fitconnect", "client", "disable", "--data", dir); code != ExitUsage {
		t.Errorf("disable without id: %d", code)
	}
}
