package cli

import (
	"bytes"
	"context"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/ozgo/ozgo/internal/config"
	"github.com/ozgo/ozgo/internal/paysim"
)

func TestPaymentCommands(t *testing.T) {
	dir := t.TempDir()
	run := func(args ...string) (int, string, string) {
		var out, errOut bytes.Buffer
		code := Run(context.Background(), args, &out, &errOut)
		return code, out.String(), errOut.String()
	}
	sim := httptest.NewServer(paysim.New(paysim.Options{}).Handler())
	defer sim.Close()
	old := config.Getenv
	config.Getenv = func(k string) string {
		if k == "OZGO_PAYMENT_CLIENT_SECRET" {
			return paysim.DefaultSecret
		}
		return old(k)
	}
	defer func() { config.Getenv = old }()
	if code, _, errOut := run("payment", "endpoint", "set", "--token-url", sim.URL+"/oauth/token", "--api-url", sim.URL+paysim.APIPrefix,
		"--client-id", "ozgo", "--originator-id", "ozgo", "--endpoint-id", "08416041", "--data", dir); code != ExitOK {
		t.Fatalf("endpoint set: %d %s", code, errOut)
	}
	if code, _, errOut := run("payment", "fee", "set", "--service", "blaue-karte-eu", "--tenant", "tuebingen", "--mode", "mandatory",
		"--rule", `{"kind":"fixed","amount":10000}`, "--legal-basis", "§ 45 Nr. 1 AufenthV", "--booking", "haushaltsstelle=1.1220", "--data", dir); code != ExitOK {
		t.Fatalf("fee set: %d %s", code, errOut)
	}
	if code, _, _ := run("payment", "fee", "set", "--service", "x", "--mode", "bald", "--rule", `{"kind":"fixed","amount":1}`, "--data", dir); code == ExitOK {
		t.Error("unknown mode accepted")
	}
	if code, _, _ := run("payment", "fee", "set", "--service", "x", "--mode", "none", "--rule", `{"kind":"fixed","betrag":1}`, "--data", dir); code != ExitUsage {
		t.Error("unknown rule field accepted")
	}
	code, out, errOut := run("payment", "list", "--attention", "--json", "--data", dir)
	if code != ExitOK || strings.TrimSpace(out) != "" {
		t.Fatalf("list: %d %q %s", code, out, errOut)
	}
	if code, _, _ := run("payment", "frobnicate"); code != ExitUsage {
		t.Error("unknown subcommand")
	}
}
