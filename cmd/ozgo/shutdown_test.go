package main

import (
	"bufio"
	"net"
	"net/http"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A request still uploading its body when SIGTERM arrives is served to the
// end, and only then does the process exit, with status 0.
func TestSIGTERMWaitsForSlowRequest(t *testing.T) {
	p := start(t, nil, "serve", "--addr", "127.0.0.1:0", "--data", t.TempDir())
	conn, err := net.Dial("tcp", strings.TrimPrefix(p.url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	body := "ars=084160041041&zurueck=%2F"
	head := "POST /ort HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-www-form-urlencoded\r\n" +
		"Content-Length: " + strconv.Itoa(len(body)) + "\r\nConnection: close\r\n\r\n"
	if _, err := conn.Write([]byte(head + body[:5])); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond) // the handler is now reading the body
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	time.Sleep(700 * time.Millisecond)
	select {
	case err := <-p.done:
		t.Fatalf("process exited while a request was in flight: %v", err)
	default:
	}
	// New connections are refused while draining.
	if c, err := net.DialTimeout("tcp", strings.TrimPrefix(p.url, "http://"), time.Second); err == nil {
		c.Close()
		t.Error("still accepting new connections after SIGTERM")
	}
	if _, err := conn.Write([]byte(body[5:])); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("the in-flight request got no answer: %v", err)
	}
	resp.Body.Close()
	// No catalog is loaded, so the place is unknown: a complete German
	// error answer, not a cut connection.
	if resp.StatusCode >= 500 || resp.Header.Get("Content-Type") == "" {
		t.Fatalf("answer %d %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	select {
	case err := <-p.done:
		if err != nil {
			t.Fatalf("exit after draining: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("process did not exit after the last request")
	}
}

func TestMetricsToken(t *testing.T) {
	p := start(t, []string{"OZGO_METRICS_TOKEN=geheim-123"}, "serve", "--addr", "127.0.0.1:0", "--data", t.TempDir())
	if code, _, _ := get(t, p.url+"/metrics"); code != http.StatusUnauthorized {
		t.Errorf("/metrics without token: %d", code)
	}
	req, _ := http.NewRequest("GET", p.url+"/metrics", nil)
	req.Header.Set("Authorization", "Bearer geheim-123")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("/metrics with token: %d", resp.StatusCode)
	}
	if code, _, _ := get(t, p.url+"/healthz"); code != 200 {
		t.Errorf("/healthz must stay open: %d", code)
	}
	p.stop(t)
}
