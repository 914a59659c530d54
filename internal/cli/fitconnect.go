package cli

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/ozgo/ozgo/internal/config"
)

const fitconnectUsage = `usage:
  ozgo fitconnect client create --name NAME --scope SCOPE [--scope SCOPE …] [--tenant ID] [--json]
                                [--data DIR] [--database-url URL]
  ozgo fitconnect client rotate  ID [--json] [--data DIR] [--database-url URL]
  ozgo fitconnect client disable ID [--data DIR] [--database-url URL]

Scopes: send:region:DE<ARS prefix>, send:service:<service URN>,
subscribe:destination:<id>, manage:destination:<id>, create:destination.
The client secret is printed once and stored only as a hash. "rotate"
gives a client a new secret and revokes the tokens issued with the old one;
"disable" switches a client off and revokes all its tokens (other ozgo
processes stop accepting them within 10 seconds).
`

// runFitConnect handles "ozgo fitconnect …": API clients of the
// FIT-Connect-compatible Zustelldienst.
func runFitConnect(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) < 2 || args[0] != "client" {
		fmt.Fprint(stderr, fitconnectUsage)
		return errUsage
	}
	switch args[1] {
	case "create":
	case "rotate", "disable":
		return runFitConnectClientChange(ctx, args[1], args[2:], stdout, stderr)
	default:
		fmt.Fprint(stderr, fitconnectUsage)
		return errUsage
	}
	var cfg config.Config
	fs := flag.NewFlagSet("ozgo fitconnect client create", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, fitconnectUsage) }
	cfg.RegisterStorage(fs, config.DefaultDataDir)
	name := fs.String("name", "", "name of the client (who uses it)")
	tenant := fs.String("tenant", "", "tenant id; empty for a platform client")
	asJSON := fs.Bool("json", false, "print the new client as JSON")
	var scopes []string
	fs.Func("scope", "scope to grant; repeatable", func(s string) error {
		scopes = append(scopes, strings.TrimSpace(s))
		return nil
	})
	pos, err := parseInterspersed(fs, args[2:])
	if err != nil {
		return err
	}
	if len(pos) > 0 || *name == "" || len(scopes) == 0 {
		fmt.Fprint(stderr, fitconnectUsage)
		return errUsage
	}
	a, err := openApp(ctx, cfg, stderr)
	if err != nil {
		return err
	}
	defer a.Close()
	nc, err := a.FitConnect.CreateClient(ctx, "cli", *name, *tenant, scopes)
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetEscapeHTML(false)
		return enc.Encode(nc)
	}
	fmt.Fprintf(stdout, "client_id:     %s\nclient_secret: %s\nscopes:        %s\n\nThe secret is shown only now; store it safely.\n",
		nc.ClientID, nc.ClientSecret, strings.Join(nc.Scopes, " "))
	return nil
}

// runFitConnectClientChange rotates a client's secret or disables it.
func runFitConnectClientChange(ctx context.Context, verb string, args []string, stdout, stderr io.Writer) error {
	var cfg config.Config
	fs := flag.NewFlagSet("ozgo fitconnect client "+verb, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, fitconnectUsage) }
	cfg.RegisterStorage(fs, config.DefaultDataDir)
	asJSON := fs.Bool("json", false, "print the new secret as JSON (rotate)")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 || pos[0] == "" {
		fmt.Fprint(stderr, fitconnectUsage)
		return errUsage
	}
	a, err := openApp(ctx, cfg, stderr)
	if err != nil {
		return err
	}
	defer a.Close()
	if verb == "disable" {
		if err := a.FitConnect.DisableClient(ctx, "cli", pos[0]); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "client %s disabled; its tokens are revoked.\n", pos[0])
		return nil
	}
	nc, err := a.FitConnect.RotateSecret(ctx, "cli", pos[0])
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetEscapeHTML(false)
		return enc.Encode(nc)
	}
	fmt.Fprintf(stdout, "client_id:     %s\nclient_secret: %s\n\nThe old secret and its tokens no longer work. The new secret is shown only now; store it safely.\n",
		nc.ClientID, nc.ClientSecret)
	return nil
}
