package config

import (
	"flag"
	"strings"
	"testing"
	"time"
)

func parse(t *testing.T, env map[string]string, args ...string) (Config, error) {
	t.Helper()
	old := Getenv
	Getenv = func(k string) string { return env[k] }
	defer func() { Getenv = old }()
	var c Config
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	c.RegisterServer(fs, DefaultDataDir)
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	return c, c.Validate()
}

func TestDefaults(t *testing.T) {
	c, err := parse(t, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != DefaultAddr || c.DataDir != DefaultDataDir || c.DatabaseURL != "" || c.ShutdownTimeout != 60*time.Second || c.FrameAncestors != "'self'" {
		t.Fatalf("%+v", c)
	}
}

func TestEnvAndFlagPrecedence(t *testing.T) {
	env := map[string]string{
		"OZGO_ADDR": "0.0.0.0:9000", "OZGO_DATA": "/var/lib/ozgo", "OZGO_DATABASE_URL": "postgres://db/ozgo",
		"OZGO_TRUSTED_ORIGINS": "https://a.example, https://b.example", "OZGO_MASTER_KEY": "k",
		"OZGO_SHUTDOWN_TIMEOUT": "5s", "OZGO_PUBLIC_URL": "https://ozgo.example",
	}
	c, err := parse(t, env, "--addr", "127.0.0.1:7000")
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != "127.0.0.1:7000" {
		t.Errorf("flag did not win: %s", c.Addr)
	}
	if c.DataDir != "/var/lib/ozgo" || c.DatabaseURL != "postgres://db/ozgo" || c.MasterKey != "k" || c.ShutdownTimeout != 5*time.Second {
		t.Errorf("env not used: %+v", c)
	}
	if len(c.TrustedOrigins) != 2 || c.TrustedOrigins[1] != "https://b.example" {
		t.Errorf("origins %v", c.TrustedOrigins)
	}
	if !c.HTTPS() {
		t.Error("https public URL not recognised")
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--database-url", "mysql://x"}, "postgres://"},
		{[]string{"--tls-cert", "a.pem"}, "together"},
		{[]string{"--log-level", "loud"}, "log-level"},
		{[]string{"--public-url", "ozgo.example"}, "public-url"},
		{[]string{"--data", ""}, "--data"},
		{[]string{"--log-format", "xml"}, "log-format"},
	}
	for _, tt := range tests {
		_, err := parse(t, nil, tt.args...)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%v: err = %v, want mention of %q", tt.args, err, tt.want)
		}
	}
}
