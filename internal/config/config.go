// Package config holds ozgo's settings. Every flag has an OZGO_* environment
// equivalent; a flag given on the command line wins over the environment.
// Secrets (the master key) come only from the environment or files, never
// from flags, which other users can read in the process list.
package config

import (
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
)

// Config is the configuration of one ozgo process.
type Config struct {
	Addr        string
	DataDir     string
	DatabaseURL string
	// PublicURL is the address citizens use (https://… behind a proxy); it
	// turns on HSTS when https.
	PublicURL       string
	TLSCert         string
	TLSKey          string
	LogLevel        string
	LogFormat       string // "json", "text" or "" for: text on a terminal, json otherwise
	ShutdownTimeout time.Duration
	// TrustedOrigins may post cross-origin (comma-separated in the environment).
	TrustedOrigins []string
	// FrameAncestors is the default CSP frame-ancestors list.
	FrameAncestors string
	// MasterKey comes from OZGO_MASTER_KEY only.
	MasterKey string
	// MetricsToken, from OZGO_METRICS_TOKEN only, makes /metrics require
	// "Authorization: Bearer <token>"; empty leaves it open.
	MetricsToken string
	// DraftTTL is how long an application in progress is kept after its
	// last change.
	DraftTTL time.Duration
	// MaxUpload caps each uploaded file in bytes.
	MaxUpload int64

	// SAMLIdPMetadata is the citizen identity provider's SAML metadata:
	// an https URL or a file. Empty: no SAML login.
	SAMLIdPMetadata string
	// SAMLLabel names the SAML login on the login page ("BundID").
	SAMLLabel string
	// OIDCIssuer, OIDCClientID and OIDCClientSecret (environment only)
	// configure an OpenID Connect provider for citizens. Empty issuer: none.
	OIDCIssuer       string
	OIDCClientID     string
	OIDCClientSecret string
	OIDCLabel        string
	// AllowTestIdP lets ozgo trust the development IdP (ozgo devidp). It is
	// refused otherwise, so a production setup cannot point at it by
	// accident. ozgo demo sets it for its built-in devidp.
	AllowTestIdP bool
	// DevIdPAddr is where ozgo demo runs its built-in development IdP.
	DevIdPAddr string
	// PaysimAddr is where ozgo demo runs its built-in payment provider
	// simulator (ozgo paysim).
	PaysimAddr string
	// StaffOIDCIssuer, StaffOIDCClientID and StaffOIDCClientSecret
	// (environment only) let staff log in through their authority's
	// OpenID Connect provider instead of a password.
	StaffOIDCIssuer       string
	StaffOIDCClientID     string
	StaffOIDCClientSecret string

	// SMTP carries the e-mail notifications of new Postfach messages.
	// Empty host: no notifications. The password comes from
	// OZGO_SMTP_PASSWORD only.
	SMTPHost     string
	SMTPPort     int
	SMTPSecurity string // starttls, tls or none
	SMTPUser     string
	SMTPPassword string
	SMTPFrom     string
}

// Defaults used by `ozgo serve`.
const (
	DefaultAddr    = "127.0.0.1:8080"
	DefaultDataDir = "ozgo-data"
	DemoDataDir    = "ozgo-demo"
)

// Getenv is the environment lookup; tests replace it.
var Getenv = os.Getenv

func env(name, def string) string {
	if v := Getenv(name); v != "" {
		return v
	}
	return def
}

// RegisterServer adds the server flags to fs with the given default data
// directory.
func (c *Config) RegisterServer(fs *flag.FlagSet, defaultDataDir string) {
	c.RegisterStorage(fs, defaultDataDir)
	fs.StringVar(&c.Addr, "addr", env("OZGO_ADDR", DefaultAddr), "listen address host:port (OZGO_ADDR)")
	fs.StringVar(&c.PublicURL, "public-url", env("OZGO_PUBLIC_URL", ""), "public base URL, e.g. https://service.example.de (OZGO_PUBLIC_URL)")
	fs.StringVar(&c.TLSCert, "tls-cert", env("OZGO_TLS_CERT", ""), "TLS certificate file; serve HTTPS directly (OZGO_TLS_CERT)")
	fs.StringVar(&c.TLSKey, "tls-key", env("OZGO_TLS_KEY", ""), "TLS private key file (OZGO_TLS_KEY)")
	fs.DurationVar(&c.ShutdownTimeout, "shutdown-timeout", envDuration("OZGO_SHUTDOWN_TIMEOUT", 60*time.Second), "how long in-flight requests may finish after SIGTERM (OZGO_SHUTDOWN_TIMEOUT)")
	fs.StringVar(&c.FrameAncestors, "frame-ancestors", env("OZGO_FRAME_ANCESTORS", "'self'"), "CSP frame-ancestors sources (OZGO_FRAME_ANCESTORS)")
	fs.Func("trusted-origin", "origin allowed to send cross-origin form posts; repeatable (OZGO_TRUSTED_ORIGINS, comma-separated)", func(s string) error {
		c.TrustedOrigins = append(c.TrustedOrigins, s)
		return nil
	})
	fs.DurationVar(&c.DraftTTL, "draft-ttl", envDuration("OZGO_DRAFT_TTL", 30*24*time.Hour), "how long an unfinished application is kept after its last change (OZGO_DRAFT_TTL)")
	fs.Int64Var(&c.MaxUpload, "max-upload", envInt("OZGO_MAX_UPLOAD", 10<<20), "largest file an applicant may upload, in bytes (OZGO_MAX_UPLOAD)")
	fs.StringVar(&c.SAMLIdPMetadata, "saml-idp-metadata", env("OZGO_SAML_IDP_METADATA", ""), "SAML metadata of the citizens' identity provider: https URL or file (OZGO_SAML_IDP_METADATA)")
	fs.StringVar(&c.SAMLLabel, "saml-label", env("OZGO_SAML_LABEL", "BundID"), "name of the SAML login on the login page (OZGO_SAML_LABEL)")
	fs.StringVar(&c.OIDCIssuer, "oidc-issuer", env("OZGO_OIDC_ISSUER", ""), "OpenID Connect issuer URL for citizen login (OZGO_OIDC_ISSUER)")
	fs.StringVar(&c.OIDCClientID, "oidc-client-id", env("OZGO_OIDC_CLIENT_ID", "ozgo"), "OpenID Connect client id (OZGO_OIDC_CLIENT_ID; the secret comes from OZGO_OIDC_CLIENT_SECRET)")
	fs.StringVar(&c.OIDCLabel, "oidc-label", env("OZGO_OIDC_LABEL", "Servicekonto"), "name of the OpenID Connect login on the login page (OZGO_OIDC_LABEL)")
	fs.BoolVar(&c.AllowTestIdP, "allow-test-idp", env("OZGO_ALLOW_TEST_IDP", "") == "1", "trust the development identity provider (ozgo devidp); never in production (OZGO_ALLOW_TEST_IDP=1)")
	fs.StringVar(&c.PaysimAddr, "paysim-addr", env("OZGO_PAYSIM_ADDR", "127.0.0.1:8082"), "ozgo demo only: address of the built-in payment provider simulator (OZGO_PAYSIM_ADDR)")
	fs.StringVar(&c.DevIdPAddr, "devidp-addr", env("OZGO_DEVIDP_ADDR", "127.0.0.1:8081"), "ozgo demo only: address of the built-in development identity provider (OZGO_DEVIDP_ADDR)")
	c.OIDCClientSecret = Getenv("OZGO_OIDC_CLIENT_SECRET")
	fs.StringVar(&c.StaffOIDCIssuer, "staff-oidc-issuer", env("OZGO_STAFF_OIDC_ISSUER", ""), "OpenID Connect issuer for staff login (OZGO_STAFF_OIDC_ISSUER)")
	fs.StringVar(&c.StaffOIDCClientID, "staff-oidc-client-id", env("OZGO_STAFF_OIDC_CLIENT_ID", "ozgo-staff"), "OpenID Connect client id for staff (OZGO_STAFF_OIDC_CLIENT_ID; secret from OZGO_STAFF_OIDC_CLIENT_SECRET)")
	c.StaffOIDCClientSecret = Getenv("OZGO_STAFF_OIDC_CLIENT_SECRET")
	fs.StringVar(&c.SMTPHost, "smtp-host", env("OZGO_SMTP_HOST", ""), "mail server for notifications; empty: none (OZGO_SMTP_HOST)")
	fs.IntVar(&c.SMTPPort, "smtp-port", int(envInt("OZGO_SMTP_PORT", 0)), "mail server port; default 587, 465 with --smtp-security tls (OZGO_SMTP_PORT)")
	fs.StringVar(&c.SMTPSecurity, "smtp-security", env("OZGO_SMTP_SECURITY", "starttls"), "starttls, tls or none (OZGO_SMTP_SECURITY)")
	fs.StringVar(&c.SMTPUser, "smtp-user", env("OZGO_SMTP_USER", ""), "mail server user; the password comes from OZGO_SMTP_PASSWORD (OZGO_SMTP_USER)")
	fs.StringVar(&c.SMTPFrom, "smtp-from", env("OZGO_SMTP_FROM", "ozgo <noreply@localhost>"), "sender of notifications (OZGO_SMTP_FROM)")
	c.SMTPPassword = Getenv("OZGO_SMTP_PASSWORD")
	if v := Getenv("OZGO_TRUSTED_ORIGINS"); v != "" {
		for _, o := range strings.Split(v, ",") {
			if o = strings.TrimSpace(o); o != "" {
				c.TrustedOrigins = append(c.TrustedOrigins, o)
			}
		}
	}
}

// RegisterStorage adds the flags every command that opens the database needs.
func (c *Config) RegisterStorage(fs *flag.FlagSet, defaultDataDir string) {
	fs.StringVar(&c.DataDir, "data", env("OZGO_DATA", defaultDataDir), "data directory: SQLite database, master key, blobs (OZGO_DATA)")
	fs.StringVar(&c.DatabaseURL, "database-url", env("OZGO_DATABASE_URL", ""), "PostgreSQL URL postgres://…; empty: embedded SQLite in the data directory (OZGO_DATABASE_URL)")
	fs.StringVar(&c.LogLevel, "log-level", env("OZGO_LOG_LEVEL", "info"), "debug, info, warn or error (OZGO_LOG_LEVEL)")
	fs.StringVar(&c.LogFormat, "log-format", env("OZGO_LOG_FORMAT", ""), "json or text; default text on a terminal, json otherwise (OZGO_LOG_FORMAT)")
	c.MasterKey = Getenv("OZGO_MASTER_KEY")
	c.MetricsToken = Getenv("OZGO_METRICS_TOKEN")
}

func envInt(name string, def int64) int64 {
	if v := Getenv(name); v != "" {
		if n, err := strconv.ParseInt(v, 10, 64); err == nil {
			return n
		}
	}
	return def
}

func envDuration(name string, def time.Duration) time.Duration {
	if v := Getenv(name); v != "" {
		if d, err := time.ParseDuration(v); err == nil {
			return d
		}
	}
	return def
}

// Validate checks the settings and says what is wrong.
func (c *Config) Validate() error {
	var problems []string
	if c.DataDir == "" {
		problems = append(problems, "--data must name a directory")
	}
	if c.DatabaseURL != "" {
		u, err := url.Parse(c.DatabaseURL)
		if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
			problems = append(problems, "--database-url must be a postgres:// URL")
		}
	}
	if c.PublicURL != "" {
		u, err := url.Parse(c.PublicURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			problems = append(problems, "--public-url must be an absolute http(s) URL")
		}
	}
	if (c.TLSCert == "") != (c.TLSKey == "") {
		problems = append(problems, "--tls-cert and --tls-key must be given together")
	}
	if _, err := ParseLevel(c.LogLevel); err != nil {
		problems = append(problems, err.Error())
	}
	switch c.LogFormat {
	case "", "json", "text":
	default:
		problems = append(problems, "--log-format must be json or text")
	}
	if c.DraftTTL < 0 {
		problems = append(problems, "--draft-ttl must not be negative")
	}
	if c.MaxUpload < 0 {
		problems = append(problems, "--max-upload must not be negative")
	}
	if c.ShutdownTimeout < 0 {
		problems = append(problems, "--shutdown-timeout must not be negative")
	}
	if len(problems) > 0 {
		return errors.New(strings.Join(problems, "; "))
	}
	return nil
}

// HTTPS reports whether citizens reach ozgo over HTTPS.
func (c *Config) HTTPS() bool {
	return c.TLSCert != "" || strings.HasPrefix(c.PublicURL, "https://")
}

// ParseLevel parses a log level name.
func ParseLevel(s string) (slog.Level, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(s)); err != nil {
		return 0, fmt.Errorf("--log-level must be debug, info, warn or error, not %q", s)
	}
	return l, nil
}
