package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/ozgo/ozgo/internal/app"
	"github.com/ozgo/ozgo/internal/audit"
	"github.com/ozgo/ozgo/internal/config"
	"github.com/ozgo/ozgo/internal/identity"
)

const userUsage = `usage:
  ozgo user create --email ADDRESS --role ROLE [--role ROLE …] [--tenant ID] [--name NAME]
                   [--password-stdin] [--totp] [--oidc-issuer URL --oidc-subject SUB]
                   [--json] [--data DIR] [--database-url URL]
  ozgo tenant create --id ID --name NAME [--ars ARS] [--data DIR] [--database-url URL]
  ozgo tenant key grant --email ADDRESS [--data DIR] [--database-url URL]
      (standard input: the tenant's recovery code, then the account's password)
  ozgo tenant key recovery --email ADMIN-ADDRESS [--data DIR] [--database-url URL]
      (standard input: that tenant admin's password; prints a new recovery code)

Roles: operator (whole platform, no tenant), tenant_admin, clerk (need --tenant),
service_author. Without --password-stdin a random password is generated and
printed once; OZGO_USER_PASSWORD may hold the password instead. --totp also
sets up a second factor and prints its otpauth:// URI once.

Tenant key (docs/schluessel.md): the first account of a tenant creates the
tenant's key and prints its recovery code once. Later accounts made here get
no access to the key (the command line does not hold it): a tenant admin
grants it in the browser, or "ozgo tenant key grant" with the recovery code.
`

// stdin is the command's standard input; tests replace it.
var stdin io.Reader = os.Stdin

type roleList []identity.Role

func (r *roleList) String() string { return fmt.Sprint(*r) }
func (r *roleList) Set(s string) error {
	*r = append(*r, identity.Role(strings.TrimSpace(s)))
	return nil
}

func runUser(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "create" {
		fmt.Fprint(stderr, userUsage)
		return errUsage
	}
	var cfg config.Config
	fs := flag.NewFlagSet("ozgo user create", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, userUsage) }
	cfg.RegisterStorage(fs, config.DefaultDataDir)
	email := fs.String("email", "", "e-mail address (the login name)")
	name := fs.String("name", "", "display name")
	tenant := fs.String("tenant", "", "tenant id (not for operators)")
	var roles roleList
	fs.Var(&roles, "role", "role; repeatable")
	pwStdin := fs.Bool("password-stdin", false, "read the password from the first line of standard input")
	totp := fs.Bool("totp", false, "set up a TOTP second factor and print its URI")
	asJSON := fs.Bool("json", false, "print the result as JSON")
	oidcIssuer := fs.String("oidc-issuer", config.Getenv("OZGO_STAFF_OIDC_ISSUER"), "issuer of the staff OpenID Connect provider (OZGO_STAFF_OIDC_ISSUER)")
	oidcSubject := fs.String("oidc-subject", "", "the person's subject (sub) at that provider: links the account for single sign-on")
	if err := parseFlags(fs, args[1:], &cfg); err != nil {
		return err
	}
	if *oidcSubject != "" && *oidcIssuer == "" {
		fmt.Fprintln(stderr, "--oidc-subject needs --oidc-issuer")
		return errUsage
	}
	if *email == "" || len(roles) == 0 {
		fmt.Fprint(stderr, userUsage)
		return errUsage
	}
	password, generated := config.Getenv("OZGO_USER_PASSWORD"), false
	if *pwStdin {
		line, err := bufio.NewReader(stdin).ReadString('\n')
		if err != nil && line == "" {
			return fmt.Errorf("reading the password from standard input: %w", err)
		}
		password = strings.TrimRight(line, "\r\n")
	}
	if password == "" {
		password, generated = identity.NewToken()[:24], true
	}
	secret := ""
	if *totp {
		secret = identity.NewTOTPSecret()
	}
	a, err := app.Open(ctx, cfg, NewLogger(cfg, stderr))
	if err != nil {
		return err
	}
	defer a.Close()
	st, err := a.Identity.CreateStaff(ctx, audit.System, identity.NewStaff{
		Email: *email, Name: *name, TenantID: *tenant, Roles: roles, Password: password, TOTPSecret: secret,
	})
	if err != nil {
		return err
	}
	if *oidcSubject != "" {
		if err := a.Identity.LinkStaffOIDC(ctx, audit.System, st.ID, *oidcIssuer, *oidcSubject); err != nil {
			return err
		}
	}
	recovery := ""
	if st.KeyCreated {
		// The tenant's key was just made: its recovery code, shown once.
		if recovery, err = a.Identity.NewRecoveryCode(ctx, audit.System, st.TenantID, st.TenantKey()); err != nil {
			return err
		}
	}
	out := map[string]any{"id": st.ID, "email": st.Email, "tenant": st.TenantID, "roles": st.Roles}
	if st.TenantID != "" {
		out["key_access"] = st.KeyAccess
	}
	if recovery != "" {
		out["recovery_code"] = recovery
	}
	if generated {
		out["password"] = password
	}
	if secret != "" {
		out["totp_uri"] = identity.TOTPURI(secret, st.Email)
	}
	if *asJSON {
		return json.NewEncoder(stdout).Encode(out)
	}
	fmt.Fprintf(stdout, "created staff account %s (%s) with roles %v", st.Email, st.ID, st.Roles)
	if st.TenantID != "" {
		fmt.Fprintf(stdout, " in tenant %s", st.TenantID)
	}
	fmt.Fprintln(stdout)
	if generated {
		fmt.Fprintf(stdout, "password (shown once): %s\n", password)
	}
	if secret != "" {
		fmt.Fprintf(stdout, "second factor (shown once; add to an authenticator app): %s\n", identity.TOTPURI(secret, st.Email))
	}
	if recovery != "" {
		fmt.Fprintf(stdout, "tenant key of %s created. Recovery code (shown once; keep it offline, it opens all applications of the tenant):\n"+
			"Schlüssel des Mandanten angelegt. Wiederherstellungscode (nur jetzt angezeigt; offline aufbewahren, er öffnet alle Anträge des Mandanten):\n  %s\n", st.TenantID, recovery)
	}
	if st.TenantID != "" && !st.KeyAccess {
		fmt.Fprintf(stdout, "NOTE: tenant %s already has a key; this account has no access to it yet. A tenant admin must grant key access (or: ozgo tenant key grant with the recovery code).\n"+
			"HINWEIS: Der Mandant %s hat bereits einen Schlüssel; dieses Konto hat noch keinen Zugang. Eine Mandantenverwaltung muss den Schlüsselzugang freigeben (oder: ozgo tenant key grant mit dem Wiederherstellungscode).\n", st.TenantID, st.TenantID)
	}
	return nil
}

// runTenantKey is "ozgo tenant key grant|recovery".
func runTenantKey(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || (args[0] != "grant" && args[0] != "recovery") {
		fmt.Fprint(stderr, userUsage)
		return errUsage
	}
	var cfg config.Config
	fs := flag.NewFlagSet("ozgo tenant key "+args[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, userUsage) }
	cfg.RegisterStorage(fs, config.DefaultDataDir)
	email := fs.String("email", "", "e-mail address of the staff account")
	if err := parseFlags(fs, args[1:], &cfg); err != nil {
		return err
	}
	if *email == "" {
		fmt.Fprint(stderr, userUsage)
		return errUsage
	}
	in := bufio.NewReader(stdin)
	readLine := func(what string) (string, error) {
		line, err := in.ReadString('\n')
		if err != nil && line == "" {
			return "", fmt.Errorf("reading %s from standard input: %w", what, err)
		}
		return strings.TrimRight(line, "\r\n"), nil
	}
	a, err := openApp(ctx, cfg, stderr)
	if err != nil {
		return err
	}
	defer a.Close()
	if args[0] == "recovery" {
		pw, err := readLine("the password")
		if err != nil {
			return err
		}
		key, err := a.Identity.UnlockWithPassword(ctx, *email, pw)
		if err != nil {
			return fmt.Errorf("the account does not unlock the tenant key (wrong password, or no key access): %w", err)
		}
		st, err := a.Identity.StaffByEmail(ctx, *email)
		if err != nil {
			return err
		}
		code, err := a.Identity.NewRecoveryCode(ctx, "staff:"+st.ID, st.TenantID, key)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "new recovery code of tenant %s (shown once; the old one no longer works):\nneuer Wiederherstellungscode des Mandanten %s (nur jetzt angezeigt; der alte gilt nicht mehr):\n  %s\n", st.TenantID, st.TenantID, code)
		return nil
	}
	code, err := readLine("the recovery code")
	if err != nil {
		return err
	}
	pw, err := readLine("the account's password")
	if err != nil {
		return err
	}
	st, err := a.Identity.StaffByEmail(ctx, *email)
	if err != nil {
		return err
	}
	key, err := a.Identity.RecoverTenantKey(ctx, st.TenantID, code)
	if err != nil {
		return fmt.Errorf("the recovery code does not open the key of tenant %s", st.TenantID)
	}
	if err := a.Identity.GrantKeyAccessWithKey(ctx, audit.System, *email, pw, key); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "key access granted to %s (tenant %s); it unlocks with the given password at the next login.\n", st.Email, st.TenantID)
	return nil
}

func runTenant(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "key" {
		return runTenantKey(ctx, args[1:], stdout, stderr)
	}
	if len(args) == 0 || args[0] != "create" {
		fmt.Fprint(stderr, userUsage)
		return errUsage
	}
	var cfg config.Config
	fs := flag.NewFlagSet("ozgo tenant create", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, userUsage) }
	cfg.RegisterStorage(fs, config.DefaultDataDir)
	id := fs.String("id", "", "tenant id, e.g. tuebingen")
	name := fs.String("name", "", "name")
	ars := fs.String("ars", "", "Amtlicher Regionalschlüssel of the tenant's area")
	if err := parseFlags(fs, args[1:], &cfg); err != nil {
		return err
	}
	if *id == "" || *name == "" {
		fmt.Fprint(stderr, userUsage)
		return errUsage
	}
	a, err := app.Open(ctx, cfg, NewLogger(cfg, stderr))
	if err != nil {
		return err
	}
	defer a.Close()
	if err := a.Identity.CreateTenant(ctx, audit.System, *id, *name, *ars); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "tenant %s ready\n", *id)
	return nil
}
