package paysim

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/ozgo/ozgo/internal/payment/xbd"
)

func newServer(t *testing.T) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(New(Options{Secret: "s3cret", TokenTTL: time.Minute, Log: slog.New(slog.DiscardHandler)}).Handler())
	t.Cleanup(srv.Close)
	return srv
}

func endpoint(srv *httptest.Server) xbd.Endpoint {
	return xbd.Endpoint{TokenURL: srv.URL + "/oauth/token", APIURL: srv.URL + APIPrefix, ClientID: "any client", ClientSecret: "s3cret", OriginatorID: "ozgo", EndpointID: "08416041"}
}

func request() xbd.PaymentRequest {
	return xbd.PaymentRequest{RequestID: "r-1", RequestTimestamp: "2026-11-26T10:00:00Z", Currency: "EUR", GrosAmount: 9300, Purpose: "TUE-1",
		RedirectURL: "https://ozgo.example/zurueck", Items: []xbd.Item{{ID: "gebuehr", Quantity: 1, SingleNetAmount: 9300, TotalNetAmount: 9300}}}
}

func TestTokenEndpoint(t *testing.T) {
	srv := newServer(t)
	for _, tc := range []struct {
		name   string
		form   url.Values
		basic  [2]string
		status int
	}{
		{"basic", url.Values{"grant_type": {"client_credentials"}}, [2]string{"a", "s3cret"}, 200},
		{"body", url.Values{"grant_type": {"client_credentials"}, "client_id": {"a"}, "client_secret": {"s3cret"}}, [2]string{}, 200},
		{"wrong secret", url.Values{"grant_type": {"client_credentials"}}, [2]string{"a", "nope"}, 401},
		{"wrong grant", url.Values{"grant_type": {"password"}}, [2]string{"a", "s3cret"}, 400},
	} {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/oauth/token", strings.NewReader(tc.form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if tc.basic[0] != "" {
			req.SetBasicAuth(tc.basic[0], tc.basic[1])
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.status {
			t.Errorf("%s: %d %s", tc.name, resp.StatusCode, body)
		}
		if tc.status == 200 {
			if _, ttl, err := xbd.ParseToken(body); err != nil || ttl != time.Minute {
				t.Errorf("%s: %s %v", tc.name, body, err)
			}
		}
	}
}

func TestCreateStatusAndIdempotency(t *testing.T) {
	srv := newServer(t)
	c := xbd.NewClient()
	ctx := context.Background()
	e := endpoint(srv)
	tr, err := c.Create(ctx, e, request())
	if err != nil {
		t.Fatal(err)
	}
	pi := tr.PaymentInformation
	if pi.Status != xbd.StatusInitial || !strings.HasPrefix(pi.TransactionRedirectURL, srv.URL+"/pay/") ||
		pi.TransactionURL != srv.URL+APIPrefix+"/paymenttransaction/ozgo/08416041/"+pi.TransactionID {
		t.Fatalf("%+v", pi)
	}
	// The same request again: the same transaction.
	again, err := c.Create(ctx, e, request())
	if err != nil || again.PaymentInformation.TransactionID != pi.TransactionID {
		t.Fatalf("repeat: %+v, %v", again, err)
	}
	// The same requestId with another body: refused.
	r := request()
	r.Purpose = "ANDERS"
	var se *xbd.StatusError
	if _, err := c.Create(ctx, e, r); err == nil || !asStatus(err, &se) || se.Status != http.StatusConflict {
		t.Fatalf("conflicting repeat: %v", err)
	}
	// Status through the API; another endpoint does not see it.
	st, err := c.Status(ctx, e, pi.TransactionID)
	if err != nil || st.PaymentInformation.Status != xbd.StatusInitial {
		t.Fatalf("status: %+v, %v", st, err)
	}
	other := e
	other.EndpointID = "other"
	if _, err := c.Status(ctx, other, pi.TransactionID); !asStatus(err, &se) || se.Status != http.StatusNotFound {
		t.Fatalf("other endpoint: %v", err)
	}
	// The payment page decides once.
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	page, err := http.Get(pi.TransactionRedirectURL)
	if err != nil {
		t.Fatal(err)
	}
	html, _ := io.ReadAll(page.Body)
	page.Body.Close()
	if !strings.Contains(string(html), "TESTSYSTEM") || !strings.Contains(string(html), "93,00 €") || !strings.Contains(string(html), `lang="de"`) {
		t.Fatalf("payment page: %s", html)
	}
	for i, result := range []string{"bezahlt", "abgebrochen"} {
		resp, err := noRedirect.PostForm(pi.TransactionRedirectURL, url.Values{"ergebnis": {result}, "zahlart": {"PAYPAL"}})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "https://ozgo.example/zurueck" {
			t.Fatalf("decision %d: %d %s", i, resp.StatusCode, resp.Header.Get("Location"))
		}
	}
	st, err = c.Status(ctx, e, pi.TransactionID)
	if err != nil || st.PaymentInformation.Status != xbd.StatusPayed || st.PaymentInformation.PaymentMethod != "PAYPAL" || st.PaymentInformation.TransactionTimestamp == "" {
		t.Fatalf("after paying (and a late cancel): %+v, %v", st.PaymentInformation, err)
	}
}

func asStatus(err error, se **xbd.StatusError) bool {
	for err != nil {
		if s, ok := err.(*xbd.StatusError); ok {
			*se = s
			return true
		}
		u, ok := err.(interface{ Unwrap() error })
		if !ok {
			return false
		}
		err = u.Unwrap()
	}
	return false
}

func TestValidation(t *testing.T) {
	srv := newServer(t)
	c := xbd.NewClient()
	tok, err := c.Token(context.Background(), endpoint(srv))
	if err != nil {
		t.Fatal(err)
	}
	post := func(path, body, token string) (int, string) {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+APIPrefix+path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	good, _ := json.Marshal(request())
	if st, body := post("/paymenttransaction/ozgo/e1", string(good), ""); st != 401 {
		t.Errorf("without token: %d %s", st, body)
	}
	if st, body := post("/paymenttransaction/ozgo/e1", string(good), "forged"); st != 401 {
		t.Errorf("forged token: %d %s", st, body)
	}
	if st, body := post("/paymenttransaction/ozgo/e1", string(good), tok); st != 201 {
		t.Errorf("good: %d %s", st, body)
	}
	if st, _ := post("/paymenttransaction/oz%20go/e1", string(good), tok); st != 400 {
		t.Errorf("bad originatorId: %d", st)
	}
	for name, body := range map[string]string{
		"grossAmount spelling": strings.Replace(string(good), `"grosAmount"`, `"grossAmount"`, 1),
		"sum":                  strings.Replace(string(good), `"grosAmount":93.00`, `"grosAmount":93.01`, 1),
		"timestamp":            strings.Replace(string(good), `2026-11-26T10:00:00Z`, `gestern`, 1),
		"fraction":             strings.Replace(string(good), `"grosAmount":93.00`, `"grosAmount":93.001`, 1),
		"not json":             `{`,
	} {
		st, resp := post("/paymenttransaction/ozgo/e1", body, tok)
		if st != 400 || !strings.Contains(resp, `"status":400`) {
			t.Errorf("%s: %d %s", name, st, resp)
		}
	}
}

func FuzzDecodeRequest(f *testing.F) {
	good, _ := json.Marshal(request())
	f.Add(good)
	f.Add([]byte(`{"items":[{}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		req, probs := DecodeRequest(b)
		if len(probs) > 0 {
			return
		}
		var sum xbd.Amount
		for _, it := range req.Items {
			sum += it.TotalNetAmount + it.TotalTaxAmount
		}
		if sum != req.GrosAmount || len(req.Items) == 0 || !xbd.ValidID(req.RequestID) {
			t.Fatalf("accepted an invalid request: %s", b)
		}
	})
}
