package main

// These tests build the real binary and run it as an operator would.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ozgo/ozgo/internal/store"
	"github.com/ozgo/ozgo/internal/store/dbtest"
)

var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "ozgo-bin-")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "ozgo")
	out, err := exec.Command("go", "build", "-race", "-o", binary, ".").CombinedOutput()
	if err != nil {
		// -race needs cgo; fall back to a plain build.
		if out2, err2 := exec.Command("go", "build", "-o", binary, ".").CombinedOutput(); err2 != nil {
			fmt.Fprintf(os.Stderr, "build ozgo: %v\n%s\n%s", err2, out, out2)
			os.Exit(1)
		}
	}
	dbtest.Main(m)
	os.RemoveAll(dir)
}

// proc is a running ozgo.
type proc struct {
	cmd    *exec.Cmd
	url    string
	stdout *bytes.Buffer
	done   chan error
}

// start runs `ozgo args...` and waits until it listens.
func start(t *testing.T, env []string, args ...string) *proc {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = append(os.Environ(), env...)
	p := &proc{cmd: cmd, stdout: &bytes.Buffer{}, done: make(chan error, 1)}
	cmd.Stdout = p.stdout
	pr, pw := io.Pipe()
	cmd.Stderr = pw
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	urlc := make(chan string, 1)
	var logs bytes.Buffer
	logDone := make(chan struct{})
	go func() {
		defer close(logDone)
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			line := sc.Text()
			logs.WriteString(line + "\n")
			var rec struct {
				Msg string `json:"msg"`
				URL string `json:"url"`
			}
			if json.Unmarshal([]byte(line), &rec) == nil && rec.Msg == "ozgo listening" {
				urlc <- strings.TrimSuffix(rec.URL, "/")
			}
		}
	}()
	go func() {
		err := cmd.Wait()
		pw.Close()
		p.done <- err
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-logDone
		if t.Failed() {
			t.Logf("ozgo stderr:\n%s\nstdout:\n%s", logs.String(), p.stdout.String())
		}
	})
	select {
	case p.url = <-urlc:
	case err := <-p.done:
		<-logDone
		t.Fatalf("ozgo exited before listening: %v\n%s", err, logs.String())
	case <-time.After(60 * time.Second):
		t.Fatal("ozgo did not start listening within 60s")
	}
	return p
}

// run runs ozgo and returns its standard output and error combined, and
// its exit code.
func run(t *testing.T, env []string, args ...string) (string, int) {
	t.Helper()
	return exec1(t, env, true, args)
}

func exec1(t *testing.T, env []string, combined bool, args []string) (string, int) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = append(os.Environ(), env...)
	var out []byte
	var err error
	if combined {
		out, err = cmd.CombinedOutput()
	} else {
		out, err = cmd.Output()
	}
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return string(out), code
}

func get(t *testing.T, url string) (int, string, http.Header) {
	t.Helper()
	c := &http.Client{Timeout: 60 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

func (p *proc) stop(t *testing.T) int {
	t.Helper()
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-p.done:
		if ee, ok := err.(*exec.ExitError); ok {
			return ee.ExitCode()
		}
		if err != nil {
			t.Fatal(err)
		}
		return 0
	case <-time.After(30 * time.Second):
		t.Fatal("ozgo did not stop within 30s of SIGTERM")
		return -1
	}
}

var histogram = regexp.MustCompile(`ozgo_http_request_duration_seconds_bucket\{code="200",method="GET",route="GET /healthz",le="[^"]+"\} [1-9]`)

func checkServer(t *testing.T, p *proc) {
	t.Helper()
	if code, body, _ := get(t, p.url+"/healthz"); code != 200 || strings.TrimSpace(body) != "ok" {
		t.Errorf("/healthz: %d %q", code, body)
	}
	if code, body, _ := get(t, p.url+"/readyz"); code != 200 {
		t.Errorf("/readyz: %d %q", code, body)
	}
	code, body, h := get(t, p.url+"/")
	if code != 200 || !strings.Contains(body, `<html lang="de"`) || !strings.Contains(body, "kern.min.css") {
		t.Errorf("start page: %d", code)
	}
	if !strings.Contains(h.Get("Content-Security-Policy"), "script-src 'self'") {
		t.Errorf("CSP: %q", h.Get("Content-Security-Policy"))
	}
	css := regexp.MustCompile(`href="(/static/vendor/kern-ux/kern.min.css\?v=[0-9a-f]+)"`).FindStringSubmatch(body)
	if css == nil {
		t.Fatal("no KERN stylesheet link on the start page")
	}
	code, body, h = get(t, p.url+css[1])
	if code != 200 || !strings.HasPrefix(h.Get("Content-Type"), "text/css") || len(body) < 100000 || !strings.Contains(h.Get("Cache-Control"), "immutable") {
		t.Errorf("KERN CSS: %d %s %d bytes, cache %q", code, h.Get("Content-Type"), len(body), h.Get("Cache-Control"))
	}
	code, body, _ = get(t, p.url+"/metrics")
	if code != 200 || !strings.Contains(body, "go_goroutines") || !histogram.MatchString(body) || !strings.Contains(body, "go_sql_open_connections") {
		t.Errorf("/metrics lacks runtime, request histogram or pool stats (status %d)", code)
	}
}

func TestServeSQLite(t *testing.T) {
	dir := t.TempDir()
	p := start(t, nil, "serve", "--addr", "127.0.0.1:0", "--data", dir)
	checkServer(t, p)
	if code := p.stop(t); code != 0 {
		t.Fatalf("exit code after SIGTERM = %d", code)
	}
	for _, f := range []string{"ozgo.db", "master.key"} {
		st, err := os.Stat(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm()&0o077 != 0 {
			t.Errorf("%s is readable by others: %o", f, st.Mode().Perm())
		}
	}
	// Restart on the same directory: reused, nothing migrated twice.
	p = start(t, nil, "serve", "--addr", "127.0.0.1:0", "--data", dir)
	checkServer(t, p)
	p.stop(t)
	out, code := run(t, nil, "audit", "verify", "--data", dir)
	if code != 0 || !strings.Contains(out, "intact: 1 entries") {
		t.Fatalf("audit verify: %d %s", code, out)
	}
}

func TestServePostgres(t *testing.T) {
	url := dbtest.PostgresSchemaURL(t)
	dir := t.TempDir()
	p := start(t, nil, "serve", "--addr", "127.0.0.1:0", "--data", dir, "--database-url", url)
	checkServer(t, p)
	if _, body, _ := get(t, p.url+"/metrics"); !strings.Contains(body, `engine="postgres"`) {
		t.Error("build info does not say postgres")
	}
	if code := p.stop(t); code != 0 {
		t.Fatalf("exit code after SIGTERM = %d", code)
	}
	if _, err := os.Stat(filepath.Join(dir, store.SQLiteFile)); err == nil {
		t.Error("a SQLite file was created although PostgreSQL was given")
	}
	out, code := run(t, nil, "audit", "verify", "--data", dir, "--database-url", url)
	if code != 0 || !strings.Contains(out, "intact") {
		t.Fatalf("audit verify: %d %s", code, out)
	}
	// The environment variable works like the flag.
	p = start(t, []string{"OZGO_DATABASE_URL=" + url, "OZGO_DATA=" + dir, "OZGO_ADDR=127.0.0.1:0"}, "serve")
	checkServer(t, p)
	p.stop(t)
}

func TestMigrateAndRefuseNewerSchema(t *testing.T) {
	dir := t.TempDir()
	out, code := run(t, nil, "migrate", "--data", dir)
	if code != 0 || !strings.Contains(out, fmt.Sprintf("from version 0 to %d", store.LatestVersion())) {
		t.Fatalf("migrate: %d %s", code, out)
	}
	out, code = run(t, nil, "migrate", "--data", dir)
	if code != 0 || !strings.Contains(out, "up to date") {
		t.Fatalf("second migrate: %d %s", code, out)
	}
	// Pretend a newer ozgo migrated this database.
	ctx := context.Background()
	db, err := store.Open(ctx, store.Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	_, err = db.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES (?, 'future', 'x', 'now')`, store.LatestVersion()+1)
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	out, code = run(t, nil, "serve", "--addr", "127.0.0.1:0", "--data", dir)
	if code != 1 || !strings.Contains(out, "newer ozgo") {
		t.Fatalf("serve on a newer schema: exit %d\n%s", code, out)
	}
}

func TestAuditVerifyDetectsTampering(t *testing.T) {
	dir := t.TempDir()
	if out, code := run(t, nil, "migrate", "--data", dir); code != 0 {
		t.Fatal(out)
	}
	ctx := context.Background()
	db, err := store.Open(ctx, store.Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	_, err = db.ExecContext(ctx, `UPDATE audit_log SET actor = 'staff:666' WHERE seq = 1`)
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	out, code := run(t, nil, "audit", "verify", "--data", dir)
	if code != 1 || !strings.Contains(out, "BROKEN") || !strings.Contains(out, "entry 1") {
		t.Fatalf("tampering not reported: %d %s", code, out)
	}
}

func TestDemoCreatesAndReuses(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "demo")
	p := start(t, nil, "demo", "--addr", "127.0.0.1:0", "--data", dir)
	checkServer(t, p)
	// The demo has the whole catalog and all regions.
	for url, want := range map[string]string{
		"/api/v1/themenfelder":                                         `"total":14`,
		"/api/v1/leistungen?limit=1":                                   `"total":5251`,
		"/api/v1/regionen?ebene=gemeinde&limit=1":                      `"total":10796`,
		"/api/v1/regionen/08":                                          `"name":"Baden-Württemberg"`,
		"/api/v1/leistungen?q=Elterngeld&limit=1":                      `"name":"Elterngeld"`,
		"/api/v1/zustaendigkeit?leika=99102013000000&ars=084160041041": `"onlineVerfuegbar":true`,
	} {
		if code, body, _ := get(t, p.url+url); code != 200 || !strings.Contains(body, want) {
			t.Errorf("%s: %d, want %s in %.300s", url, code, want, body)
		}
	}
	if code := p.stop(t); code != 0 {
		t.Fatalf("exit %d", code)
	}
	if !strings.Contains(p.stdout.String(), "ozgo-Demo läuft: "+p.url) || !strings.Contains(p.stdout.String(), "Demodaten geladen") {
		t.Errorf("demo output:\n%s", p.stdout)
	}
	p = start(t, nil, "demo", "--addr", "127.0.0.1:0", "--data", dir)
	p.stop(t)
	if !strings.Contains(p.stdout.String(), "weiterverwendet") {
		t.Errorf("second demo start did not reuse the data:\n%s", p.stdout)
	}
}

func TestUsageAndVersion(t *testing.T) {
	out, code := run(t, nil, "version")
	if code != 0 || !strings.HasPrefix(out, "ozgo ") {
		t.Fatalf("version: %d %q", code, out)
	}
	if _, code := run(t, nil); code != 2 {
		t.Errorf("no command: exit %d, want 2", code)
	}
	if out, code := run(t, nil, "frobnicate"); code != 2 || !strings.Contains(out, "unknown command") {
		t.Errorf("unknown command: %d %s", code, out)
	}
	if out, code := run(t, nil, "serve", "--database-url", "mysql://x"); code != 2 || !strings.Contains(out, "postgres://") {
		t.Errorf("bad flag value: %d %s", code, out)
	}
	if out, code := run(t, nil, "serve", "--addr", "256.0.0.1:99999", "--data", t.TempDir()); code != 1 || !strings.Contains(out, "cannot listen") {
		t.Errorf("bad address: %d %s", code, out)
	}
}
