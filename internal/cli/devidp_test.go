package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer safe for the command's goroutine and the
// test's reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestDevIdPRefusesWithoutConfirmation(t *testing.T) {
	var out, errOut bytes.Buffer
	code := Run(context.Background(), []string{"devidp", "--addr", "127.0.0.1:0"}, &out, &errOut)
	if code != ExitUsage {
		t.Fatalf("exit %d", code)
	}
	if !strings.Contains(errOut.String(), "--i-know-this-is-a-test-idp") || !strings.Contains(errOut.String(), "ohne Passwort") {
		t.Errorf("stderr = %q", errOut.String())
	}
}

func TestDevIdPServes(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errOut syncBuffer
	done := make(chan int)
	go func() {
		done <- Run(ctx, []string{"devidp", "--i-know-this-is-a-test-idp", "--addr", "127.0.0.1:0", "--log-format", "text"}, &out, &errOut)
	}()
	re := regexp.MustCompile(`läuft: (http://[^/\s]+)/`)
	var base string
	for deadline := time.Now().Add(20 * time.Second); base == ""; time.Sleep(20 * time.Millisecond) {
		if m := re.FindStringSubmatch(out.String()); m != nil {
			base = m[1]
		}
		if time.Now().After(deadline) {
			t.Fatalf("no URL in output; stderr: %s", errOut.String())
		}
	}
	resp, err := http.Get(base + "/.well-known/openid-configuration")
	if err != nil {
		t.Fatal(err)
	}
	var disc map[string]any
	err = json.NewDecoder(resp.Body).Decode(&disc)
	resp.Body.Close()
	if err != nil || disc["issuer"] != base || disc["ozgo_test_system"] != true {
		t.Errorf("discovery = %v, %v", disc, err)
	}
	resp, err = http.Get(base + "/saml/metadata")
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	_, _ = b.ReadFrom(resp.Body)
	resp.Body.Close()
	if !strings.Contains(b.String(), `entityID="`+base+`/ozgo-devidp"`) || !strings.Contains(b.String(), "urn:ozgo:devidp") {
		t.Errorf("metadata = %s", b.String())
	}
	cancel()
	select {
	case code := <-done:
		if code != ExitOK {
			t.Errorf("exit %d; stderr: %s", code, errOut.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatal("no shutdown")
	}
}
