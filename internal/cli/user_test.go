package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"regexp"
	"strings"
	"testing"
)

func TestUserCreate(t *testing.T) {
	dir := t.TempDir()
	run := func(stdinText string, args ...string) (int, string, string) {
		var out, errOut bytes.Buffer
		stdin = strings.NewReader(stdinText)
		defer func() { stdin = os.Stdin }()
		code := Run(context.Background(), args, &out, &errOut)
		return code, out.String(), errOut.String()
	}
	code, out, errOut := run("", "user", "create", "--email", "Betrieb@Example.org", "--role", "operator", "--totp", "--json", "--data", dir)
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var res map[string]any
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if res["email"] != "betrieb@example.org" || len(res["password"].(string)) < 12 || !strings.HasPrefix(res["totp_uri"].(string), "otpauth://totp/") {
		t.Errorf("result: %v", res)
	}
	// The same address again is refused; a clerk needs an existing tenant.
	if code, _, errOut := run("", "user", "create", "--email", "betrieb@example.org", "--role", "operator", "--data", dir); code != ExitError || !strings.Contains(errOut, "bereits") {
		t.Errorf("duplicate: %d %s", code, errOut)
	}
	if code, _, errOut := run("", "user", "create", "--email", "c@example.org", "--role", "clerk", "--tenant", "nirgendwo", "--data", dir); code != ExitError || !strings.Contains(errOut, "nirgendwo") {
		t.Errorf("unknown tenant: %d %s", code, errOut)
	}
	if code, _, _ := run("", "tenant", "create", "--id", "tue", "--name", "Tübingen", "--data", dir); code != ExitOK {
		t.Fatal("tenant create")
	}
	code, out, errOut = run("ein-gutes-langes-passwort\n", "user", "create", "--email", "c@example.org", "--role", "clerk", "--tenant", "tue", "--password-stdin", "--data", dir)
	if code != ExitOK || strings.Contains(out, "password") || !strings.Contains(out, "in tenant tue") {
		t.Errorf("clerk: %d %s %s", code, out, errOut)
	}
	// The first account of the tenant created its key: the recovery code
	// is shown once. The next account has no key access; the recovery
	// code grants it.
	m := regexp.MustCompile(`(?m)^  ([A-Z0-9]{5}(-[A-Z0-9]{5}){3})$`).FindStringSubmatch(out)
	if m == nil || !strings.Contains(out, "Wiederherstellungscode") {
		t.Fatalf("no recovery code: %s", out)
	}
	code, out, _ = run("noch-ein-langes-passwort\n", "user", "create", "--email", "d@example.org", "--role", "clerk", "--tenant", "tue", "--password-stdin", "--data", dir)
	if code != ExitOK || !strings.Contains(out, "HINWEIS") || strings.Contains(out, "Wiederherstellungscode (nur") {
		t.Errorf("second clerk: %d %s", code, out)
	}
	if code, _, errOut := run("FALSCH\nnoch-ein-langes-passwort\n", "tenant", "key", "grant", "--email", "d@example.org", "--data", dir); code != ExitError || !strings.Contains(errOut, "recovery code") {
		t.Errorf("grant with a wrong code: %d %s", code, errOut)
	}
	if code, out, errOut := run(m[1]+"\nnoch-ein-langes-passwort\n", "tenant", "key", "grant", "--email", "d@example.org", "--data", dir); code != ExitOK || !strings.Contains(out, "granted") {
		t.Errorf("grant: %d %s %s", code, out, errOut)
	}
	if code, out, errOut := run("noch-ein-langes-passwort\n", "tenant", "key", "recovery", "--email", "d@example.org", "--data", dir); code != ExitOK || !strings.Contains(out, "neuer Wiederherstellungscode") {
		t.Errorf("new recovery code after grant: %d %s %s", code, out, errOut)
	}
	if code, _, _ := run("", "user", "create", "--email", "x@example.org", "--data", dir); code != ExitUsage {
		t.Errorf("without role: %d", code)
	}
}
