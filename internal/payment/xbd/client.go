package xbd

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Endpoint is one provider account: where to get tokens, where the API
// lives, the client credentials and the two path parameters.
type Endpoint struct {
	TokenURL     string
	APIURL       string // base URL up to and without "/paymenttransaction"
	ClientID     string
	ClientSecret string
	OriginatorID string // "Kennung des auslösenden Online-Dienstes"
	EndpointID   string // identifies the responsible authority, e.g. its AGS
}

// collection is the URL of the endpoint's transactions.
func (e Endpoint) collection() string {
	return strings.TrimSuffix(e.APIURL, "/") + "/paymenttransaction/" + url.PathEscape(e.OriginatorID) + "/" + url.PathEscape(e.EndpointID)
}

// StatusError is a refusal by the provider (4xx or 5xx).
type StatusError struct {
	Status int
	Body   string // the start of the answer, for the log (no personal data is sent)
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("xbezahldienste: provider answered %d: %s", e.Status, e.Body)
}

// Temporary reports whether trying again later may help.
func (e *StatusError) Temporary() bool {
	return e.Status >= 500 || e.Status == http.StatusTooManyRequests || e.Status == http.StatusRequestTimeout
}

// Client calls XBezahldienste providers. It fetches OAuth2 tokens with the
// client credentials grant (RFC 6749 section 4.4) and keeps each until
// shortly before it expires. Safe for concurrent use.
type Client struct {
	HTTP *http.Client
	Now  func() time.Time

	mu     sync.Mutex
	tokens map[string]token
}

type token struct {
	value   string
	expires time.Time
}

// NewClient returns a client with a bounded HTTP timeout.
func NewClient() *Client {
	return &Client{HTTP: &http.Client{Timeout: 20 * time.Second}, Now: time.Now}
}

// maxAnswer bounds what is read from a provider.
const maxAnswer = 1 << 20

func tokenKey(e Endpoint) string { return e.TokenURL + "\x00" + e.ClientID + "\x00" + e.ClientSecret }

func (c *Client) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

// Token returns a valid access token for the endpoint, from the cache or
// fresh from the token URL.
func (c *Client) Token(ctx context.Context, e Endpoint) (string, error) {
	key := tokenKey(e)
	c.mu.Lock()
	t, ok := c.tokens[key]
	c.mu.Unlock()
	if ok && c.now().Before(t.expires) {
		return t.value, nil
	}
	form := url.Values{"grant_type": {"client_credentials"}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.TokenURL, strings.NewReader(form.Encode()))
	if err != nil {
		return "", fmt.Errorf("xbezahldienste: token request: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	req.SetBasicAuth(url.QueryEscape(e.ClientID), url.QueryEscape(e.ClientSecret))
	body, status, err := c.do(req)
	if err != nil {
		return "", err
	}
	if status != http.StatusOK {
		return "", &StatusError{Status: status, Body: snippet(body)}
	}
	value, ttl, err := ParseToken(body)
	if err != nil {
		return "", err
	}
	// Renew a little early so a token never expires in flight.
	margin := min(30*time.Second, ttl/10)
	c.mu.Lock()
	if c.tokens == nil {
		c.tokens = map[string]token{}
	}
	c.tokens[key] = token{value: value, expires: c.now().Add(ttl - margin)}
	c.mu.Unlock()
	return value, nil
}

// forget drops a cached token the provider refused.
func (c *Client) forget(e Endpoint) {
	c.mu.Lock()
	delete(c.tokens, tokenKey(e))
	c.mu.Unlock()
}

// ParseToken reads an OAuth2 token response: the bearer token and how long
// it lives (an hour when the provider does not say).
func ParseToken(body []byte) (string, time.Duration, error) {
	var t struct {
		AccessToken string          `json:"access_token"`
		TokenType   string          `json:"token_type"`
		ExpiresIn   json.RawMessage `json:"expires_in"`
	}
	if err := json.Unmarshal(body, &t); err != nil {
		return "", 0, fmt.Errorf("xbezahldienste: token response: %w", err)
	}
	if t.AccessToken == "" || len(t.AccessToken) > 4096 || strings.ContainsAny(t.AccessToken, " \r\n\t") {
		return "", 0, errors.New("xbezahldienste: token response without a usable access_token")
	}
	if t.TokenType != "" && !strings.EqualFold(t.TokenType, "bearer") {
		return "", 0, fmt.Errorf("xbezahldienste: token type %q is not bearer", t.TokenType)
	}
	ttl := time.Hour
	if len(t.ExpiresIn) > 0 && string(t.ExpiresIn) != "null" {
		// Some servers send the number as a string.
		s := strings.Trim(string(t.ExpiresIn), `"`)
		var secs int64
		if _, err := fmt.Sscan(s, &secs); err != nil || secs <= 0 || secs > 366*24*3600 {
			return "", 0, fmt.Errorf("xbezahldienste: token response: bad expires_in %q", s)
		}
		ttl = time.Duration(secs) * time.Second
	}
	return t.AccessToken, ttl, nil
}

// Create sends a payment request and returns the new transaction. The
// request is validated first, so a bug in ozgo never reaches the provider.
func (c *Client) Create(ctx context.Context, e Endpoint, r PaymentRequest) (*PaymentTransaction, error) {
	if p := r.Validate(); len(p) > 0 {
		return nil, fmt.Errorf("xbezahldienste: invalid payment request: %s", strings.Join(p, "; "))
	}
	body, err := json.Marshal(r)
	if err != nil {
		return nil, err
	}
	return c.call(ctx, e, http.MethodPost, e.collection(), body)
}

// Status fetches a transaction: GET …/paymenttransaction/{originatorId}/{endPointId}/{transactionId}.
func (c *Client) Status(ctx context.Context, e Endpoint, transactionID string) (*PaymentTransaction, error) {
	if !ValidID(transactionID) {
		return nil, fmt.Errorf("xbezahldienste: invalid transaction id")
	}
	return c.call(ctx, e, http.MethodGet, e.collection()+"/"+url.PathEscape(transactionID), nil)
}

func (c *Client) call(ctx context.Context, e Endpoint, method, u string, body []byte) (*PaymentTransaction, error) {
	for attempt := 0; ; attempt++ {
		tok, err := c.Token(ctx, e)
		if err != nil {
			return nil, err
		}
		var rd io.Reader
		if body != nil {
			rd = bytes.NewReader(body)
		}
		req, err := http.NewRequestWithContext(ctx, method, u, rd)
		if err != nil {
			return nil, err
		}
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Accept", "application/json")
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		answer, status, err := c.do(req)
		if err != nil {
			return nil, err
		}
		if status == http.StatusUnauthorized && attempt == 0 {
			// The token was revoked or the provider restarted: one fresh try.
			c.forget(e)
			continue
		}
		if status != http.StatusOK && status != http.StatusCreated {
			return nil, &StatusError{Status: status, Body: snippet(answer)}
		}
		return ParseTransaction(answer)
	}
}

func (c *Client) do(req *http.Request) ([]byte, int, error) {
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, 0, fmt.Errorf("xbezahldienste: %s %s: %w", req.Method, req.URL.Redacted(), err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer+1))
	if err != nil {
		return nil, 0, fmt.Errorf("xbezahldienste: read answer: %w", err)
	}
	if len(b) > maxAnswer {
		return nil, 0, errors.New("xbezahldienste: answer too large")
	}
	return b, resp.StatusCode, nil
}

func snippet(b []byte) string {
	s := strings.ToValidUTF8(string(b), "?")
	if len(s) > 200 {
		s = s[:200]
	}
	return s
}

// ParseTransaction reads a provider's PaymentTransaction and checks what
// ozgo relies on: a valid transaction id and a known status.
func ParseTransaction(b []byte) (*PaymentTransaction, error) {
	var t PaymentTransaction
	if err := json.Unmarshal(b, &t); err != nil {
		return nil, fmt.Errorf("xbezahldienste: transaction: %w", err)
	}
	pi := t.PaymentInformation
	if !ValidID(pi.TransactionID) {
		return nil, errors.New("xbezahldienste: transaction without a valid transactionId")
	}
	switch pi.Status {
	case StatusInitial, StatusPayed, StatusFailed, StatusCanceled:
	default:
		return nil, fmt.Errorf("xbezahldienste: unknown status %q", snippet([]byte(pi.Status)))
	}
	for _, u := range []string{pi.TransactionURL, pi.TransactionRedirectURL} {
		if u == "" {
			continue
		}
		if p, err := url.Parse(u); err != nil || (p.Scheme != "https" && p.Scheme != "http") || p.Host == "" {
			return nil, errors.New("xbezahldienste: transaction with an unusable URL")
		}
	}
	return &t, nil
}
