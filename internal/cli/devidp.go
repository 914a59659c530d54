package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"strings"

	"github.com/ozgo/ozgo/internal/config"
	"github.com/ozgo/ozgo/internal/devidp"
	"github.com/ozgo/ozgo/internal/httpx"
)

const devidpRefusal = `ozgo devidp: not started.
Der Test-Identitätsprovider meldet jede Testperson ohne Passwort an und darf
nie für echte Konten oder in Produktion verwendet werden. Wenn dies eine
Test- oder Entwicklungsumgebung ist, starten Sie ihn mit
--i-know-this-is-a-test-idp.
The test identity provider logs anyone in as any test person without a
password. Pass --i-know-this-is-a-test-idp to confirm this is a test setup.
`

// stringList is a repeatable string flag.
type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, ",") }
func (l *stringList) Set(v string) error { *l = append(*l, v); return nil }

// runDevIdP serves the development identity provider (SAML and OIDC) on
// its own port. It needs no database and keeps everything in memory.
func runDevIdP(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cfg config.Config
	fs := flag.NewFlagSet("ozgo devidp", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", envOr("OZGO_DEVIDP_ADDR", "127.0.0.1:8081"), "listen address (OZGO_DEVIDP_ADDR)")
	confirmed := fs.Bool("i-know-this-is-a-test-idp", false, "confirm that this is a test setup; required")
	publicURL := fs.String("public-url", envOr("OZGO_DEVIDP_PUBLIC_URL", ""), "base URL browsers and ozgo use; default http://ADDR (OZGO_DEVIDP_PUBLIC_URL)")
	spMetadata := fs.String("sp-metadata", envOr("OZGO_DEVIDP_SP_METADATA", ""), "URL or file of ozgo's SAML SP metadata, read on first login, e.g. http://127.0.0.1:8080/saml/metadata (OZGO_DEVIDP_SP_METADATA)")
	clientID := fs.String("oidc-client-id", envOr("OZGO_DEVIDP_OIDC_CLIENT_ID", "ozgo"), "OIDC client ID; the secret is OZGO_DEVIDP_OIDC_SECRET (default devidp-secret)")
	keyDir := fs.String("key-dir", envOr("OZGO_DEVIDP_KEY_DIR", ""), "keep the signing key here across restarts; default a new key in memory (OZGO_DEVIDP_KEY_DIR)")
	var redirects stringList
	fs.Var(&redirects, "oidc-redirect", "allowed OIDC redirect URI (repeatable); default any http://127.0.0.1 or http://localhost URI (OZGO_DEVIDP_OIDC_REDIRECT, space-separated)")
	fs.StringVar(&cfg.LogLevel, "log-level", envOr("OZGO_LOG_LEVEL", "info"), "debug, info, warn or error (OZGO_LOG_LEVEL)")
	fs.StringVar(&cfg.LogFormat, "log-format", envOr("OZGO_LOG_FORMAT", ""), "json or text; default text on a terminal, json otherwise (OZGO_LOG_FORMAT)")
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return err
		}
		return errUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "unexpected argument %q\n", fs.Arg(0))
		return errUsage
	}
	if len(redirects) == 0 {
		redirects = strings.Fields(envOr("OZGO_DEVIDP_OIDC_REDIRECT", ""))
	}
	if !*confirmed {
		fmt.Fprint(stderr, devidpRefusal)
		return errUsage
	}
	if _, err := config.ParseLevel(cfg.LogLevel); err != nil {
		fmt.Fprintln(stderr, err)
		return errUsage
	}
	log := NewLogger(cfg, stderr)

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("cannot listen on %s (choose another port with --addr): %w", *addr, err)
	}
	base := *publicURL
	if base == "" {
		base = "http://" + displayAddr(ln.Addr().String())
	}
	secret := envOr("OZGO_DEVIDP_OIDC_SECRET", "devidp-secret")
	idp, err := devidp.New(devidp.Options{
		PublicURL:     base,
		KeyDir:        *keyDir,
		SPMetadataURL: *spMetadata,
		OIDCClients:   []devidp.OIDCClient{{ID: *clientID, Secret: secret, RedirectURIs: redirects}},
		Logger:        log,
	})
	if err != nil {
		ln.Close()
		return err
	}
	if host, _, _ := net.SplitHostPort(ln.Addr().String()); !net.ParseIP(host).IsLoopback() {
		log.Warn("devidp: listening beyond this machine; anyone who reaches it can log in as a test person", "addr", ln.Addr().String())
	}
	log.Info("devidp listening", "url", base, "saml_entity_id", idp.SAMLEntityID(), "oidc_issuer", idp.Issuer())
	fmt.Fprintf(stdout, "\nTest-Identitätsprovider (TESTSYSTEM) läuft: %s/\n", base)
	fmt.Fprintf(stdout, "  SAML-Metadaten:  %s/saml/metadata\n", base)
	fmt.Fprintf(stdout, "  OIDC-Issuer:     %s (Client %s)\n", idp.Issuer(), *clientID)
	fmt.Fprintf(stdout, "  Beenden:         Strg+C\n\n")
	return httpx.Serve(ctx, httpx.NewServer(idp.Handler(), log), ln, httpx.ServeOptions{Log: log})
}

func envOr(name, def string) string {
	if v := config.Getenv(name); v != "" {
		return v
	}
	return def
}
