package cli

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"time"

	"github.com/ozgo/ozgo/internal/app"
	"github.com/ozgo/ozgo/internal/config"
	"github.com/ozgo/ozgo/internal/httpx"
	"github.com/ozgo/ozgo/internal/payment"
	"github.com/ozgo/ozgo/internal/payment/xbd"
	"github.com/ozgo/ozgo/internal/paysim"
)

// runPaysim serves the payment provider simulator on its own port. It
// needs no database and keeps everything in memory.
func runPaysim(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cfg config.Config
	fs := flag.NewFlagSet("ozgo paysim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", envOr("OZGO_PAYSIM_ADDR", "127.0.0.1:8082"), "listen address (OZGO_PAYSIM_ADDR)")
	secret := fs.String("secret", envOr("OZGO_PAYSIM_SECRET", paysim.DefaultSecret), "client secret every client id must present (OZGO_PAYSIM_SECRET)")
	publicURL := fs.String("public-url", envOr("OZGO_PAYSIM_PUBLIC_URL", ""), "base URL browsers and clients use; default http://ADDR (OZGO_PAYSIM_PUBLIC_URL)")
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
	if _, err := config.ParseLevel(cfg.LogLevel); err != nil {
		fmt.Fprintln(stderr, err)
		return errUsage
	}
	log := NewLogger(cfg, stderr)
	ln, base, err := listenPaysim(*addr, *publicURL)
	if err != nil {
		return err
	}
	sim := paysim.New(paysim.Options{Secret: *secret, PublicURL: base, Log: log})
	log.Info("paysim listening", "url", base)
	fmt.Fprintf(stdout, "\nBezahlsimulator (TESTSYSTEM) läuft: %s/\n", base)
	fmt.Fprintf(stdout, "  Token:    %s/oauth/token (Client Credentials, beliebige Client-ID, Secret wie --secret)\n", base)
	fmt.Fprintf(stdout, "  API:      %s%s/paymenttransaction/{originatorId}/{endPointId}\n", base, paysim.APIPrefix)
	fmt.Fprintf(stdout, "  Beenden:  Strg+C\n\n")
	return httpx.Serve(ctx, httpx.NewServer(sim.Handler(), log), ln, httpx.ServeOptions{Log: log})
}

func listenPaysim(addr, publicURL string) (net.Listener, string, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, "", fmt.Errorf("cannot listen on %s for the payment simulator (choose another port with --addr or --paysim-addr): %w", addr, err)
	}
	if publicURL == "" {
		publicURL = "http://" + displayAddr(ln.Addr().String())
	}
	return ln, publicURL, nil
}

// StartDemoPaysim runs the payment simulator for ozgo demo on addr, in
// this process, until ctx ends, and points the demo's fee and provider
// settings at it. It returns the simulator's base URL.
func StartDemoPaysim(ctx context.Context, a *app.App, addr string, log *slog.Logger) (string, error) {
	ln, base, err := listenPaysim(addr, "")
	if err != nil {
		return "", err
	}
	if err := a.SetupDemoPayment(ctx, base, paysim.DefaultSecret); err != nil {
		ln.Close()
		return "", err
	}
	sim := paysim.New(paysim.Options{PublicURL: base, Log: log})
	go func() {
		_ = httpx.Serve(ctx, httpx.NewServer(sim.Handler(), log), ln, httpx.ServeOptions{Log: log})
	}()
	return base, nil
}

const paymentUsage = `usage:
  ozgo payment list [--open | --attention] [--limit N] [--json] [--data DIR] [--database-url URL]
  ozgo payment fee set --service SLUG [--tenant ID] --mode none|optional|mandatory|deferred --rule JSON
        [--legal-basis TEXT] [--booking KEY=VALUE]… [--ref-prefix PREFIX] [--data DIR]
  ozgo payment endpoint set [--tenant ID] --token-url URL --api-url URL --client-id ID
        --originator-id ID --endpoint-id ID [--data DIR]   (client secret from OZGO_PAYMENT_CLIENT_SECRET)

list shows payments, newest first: --open those the provider has not
decided yet, --attention those paid whose application could not be
submitted (an operator must settle them with the authority).
fee set stores the fee rule and payment mode of an online service for a
tenant (no --tenant: the default for all tenants); the rule is JSON, e.g.
{"kind":"fixed","amount":9300} (amounts in cent).
endpoint set stores a tenant's XBezahldienste provider; the client secret
is read from OZGO_PAYMENT_CLIENT_SECRET and stored sealed.
`

// runPayment is "ozgo payment …": the operators' view of payments and the
// fee and provider settings.
func runPayment(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) >= 2 && args[1] == "set" && (args[0] == "fee" || args[0] == "endpoint") {
		return runPaymentSet(ctx, args[0], args[2:], stdout, stderr)
	}
	if len(args) < 1 || args[0] != "list" {
		fmt.Fprint(stderr, paymentUsage)
		return errUsage
	}
	var cfg config.Config
	fs := flag.NewFlagSet("ozgo payment list", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, paymentUsage) }
	cfg.RegisterStorage(fs, config.DefaultDataDir)
	open := fs.Bool("open", false, "only payments not yet decided by the provider")
	attention := fs.Bool("attention", false, "only paid payments whose application could not be submitted")
	limit := fs.Int("limit", 100, "at most this many")
	asJSON := fs.Bool("json", false, "one JSON object per line")
	pos, err := parseInterspersed(fs, args[1:])
	if err != nil {
		return err
	}
	if len(pos) > 0 || (*open && *attention) || *limit < 1 {
		fmt.Fprint(stderr, paymentUsage)
		return errUsage
	}
	if err := cfg.Validate(); err != nil {
		fmt.Fprintln(stderr, err)
		return errUsage
	}
	a, err := app.Open(ctx, cfg, NewLogger(cfg, stderr))
	if err != nil {
		return err
	}
	defer a.Close()
	f := payment.FilterAll
	switch {
	case *open:
		f = payment.FilterOpen
	case *attention:
		f = payment.FilterAttention
	}
	ps, err := a.Payment.List(ctx, f, *limit)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(stdout)
	enc.SetEscapeHTML(false)
	for _, p := range ps {
		if *asJSON {
			if err := enc.Encode(map[string]any{
				"id": p.ID, "service": p.Service, "tenant": p.TenantID, "attempt": p.Attempt, "requestId": p.RequestID,
				"amount": xbd.Amount(p.Amount), "status": p.Status, "submissionId": p.SubmissionID, "submitError": p.SubmitError, "caseId": p.CaseID,
				"lastError": p.LastError, "created": p.Created.Format(time.RFC3339), "paymentInformation": p.Information(),
			}); err != nil {
				return err
			}
			continue
		}
		sub := p.SubmissionID
		if sub == "" {
			sub = "-"
		}
		if p.SubmitError != "" {
			sub = "FEHLER:" + p.SubmitError
		}
		fmt.Fprintf(stdout, "%s  %s  %-10s %-8s %12s  %s  Antrag %s\n", p.Created.Format("2006-01-02 15:04"), p.ID, p.Service, orDash(p.Status),
			xbd.Amount(p.Amount).German(), p.Reference, sub)
	}
	return nil
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// runPaymentSet is "ozgo payment fee set" and "ozgo payment endpoint set".
func runPaymentSet(ctx context.Context, what string, args []string, stdout, stderr io.Writer) error {
	var cfg config.Config
	fs := flag.NewFlagSet("ozgo payment "+what+" set", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, paymentUsage) }
	cfg.RegisterStorage(fs, config.DefaultDataDir)
	tenant := fs.String("tenant", "", "tenant id; empty for the default")
	service := fs.String("service", "", "online service (slug)")
	mode := fs.String("mode", "", "none, optional, mandatory or deferred")
	rule := fs.String("rule", "", `fee rule as JSON, e.g. {"kind":"fixed","amount":9300}`)
	legal := fs.String("legal-basis", "", "legal basis shown with the fee")
	prefix := fs.String("ref-prefix", "", "prefix of the Kassenzeichen")
	booking := map[string]string{}
	fs.Func("booking", "budget data KEY=VALUE sent as bookingData (repeatable)", func(s string) error {
		k, v, ok := strings.Cut(s, "=")
		if !ok || k == "" {
			return fmt.Errorf("want KEY=VALUE")
		}
		booking[k] = v
		return nil
	})
	tokenURL := fs.String("token-url", "", "OAuth2 token URL")
	apiURL := fs.String("api-url", "", "API base URL (up to /paymenttransaction)")
	clientID := fs.String("client-id", "", "OAuth2 client id")
	originator := fs.String("originator-id", "", "originatorId")
	endpointID := fs.String("endpoint-id", "", "endPointId")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		fmt.Fprint(stderr, paymentUsage)
		return errUsage
	}
	if err := cfg.Validate(); err != nil {
		fmt.Fprintln(stderr, err)
		return errUsage
	}
	var r payment.Rule
	if what == "fee" {
		if *service == "" || *mode == "" || *rule == "" {
			fmt.Fprint(stderr, paymentUsage)
			return errUsage
		}
		dec := json.NewDecoder(strings.NewReader(*rule))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&r); err != nil {
			fmt.Fprintf(stderr, "--rule: %v\n", err)
			return errUsage
		}
	}
	a, err := app.Open(ctx, cfg, NewLogger(cfg, stderr))
	if err != nil {
		return err
	}
	defer a.Close()
	if what == "fee" {
		err = a.Payment.SetConfig(ctx, payment.Config{Service: *service, TenantID: *tenant, Mode: payment.Mode(*mode), Rule: r,
			LegalBasis: *legal, BookingData: booking, RefPrefix: *prefix})
	} else {
		err = a.Payment.SetEndpoint(ctx, payment.EndpointConfig{TenantID: *tenant, Endpoint: xbd.Endpoint{TokenURL: *tokenURL, APIURL: *apiURL,
			ClientID: *clientID, ClientSecret: config.Getenv("OZGO_PAYMENT_CLIENT_SECRET"), OriginatorID: *originator, EndpointID: *endpointID}})
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "gespeichert\n")
	return nil
}
