package xbd

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestParseAmount(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Amount
		ok   bool
	}{
		{"0", 0, true}, {"12", 1200, true}, {"12.5", 1250, true}, {"12.50", 1250, true}, {"12.500", 1250, true},
		{"0.01", 1, true}, {"-3.10", -310, true}, {"999999", 99999900, true}, {"93.00", 9300, true},
		{"12.345", 0, false}, {"1e2", 0, false}, {"", 0, false}, {".5", 0, false}, {"5.", 0, false},
		{"+5", 0, false}, {"01", 0, false}, {"1,50", 0, false}, {"\"1.50\"", 0, false}, {"1234567890123456", 0, false},
		{"0.1000000000000000055511151231257827", 0, false},
	} {
		got, err := ParseAmount(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("ParseAmount(%q) = %d, %v; want %d, ok %v", tc.in, got, err, tc.want, tc.ok)
		}
	}
}

func TestAmountFormat(t *testing.T) {
	for _, tc := range []struct {
		in          Amount
		dec, german string
	}{
		{0, "0.00", "0,00 €"}, {1, "0.01", "0,01 €"}, {9300, "93.00", "93,00 €"}, {123456789, "1234567.89", "1.234.567,89 €"}, {-310, "-3.10", "-3,10 €"},
	} {
		if got := tc.in.String(); got != tc.dec {
			t.Errorf("%d.String() = %q, want %q", tc.in, got, tc.dec)
		}
		if got := tc.in.German(); got != tc.german {
			t.Errorf("%d.German() = %q, want %q", tc.in, got, tc.german)
		}
		back, err := ParseAmount(tc.in.String())
		if err != nil || back != tc.in {
			t.Errorf("round trip of %d: %d, %v", tc.in, back, err)
		}
	}
	b, _ := json.Marshal(struct {
		G Amount `json:"grosAmount"`
	}{9350})
	if string(b) != `{"grosAmount":93.50}` {
		t.Errorf("JSON = %s", b)
	}
}

func validRequest() PaymentRequest {
	return PaymentRequest{
		RequestID: "ozgo-abc", RequestTimestamp: time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC).Format(time.RFC3339), Currency: "EUR",
		GrosAmount: 10300, Purpose: "TUE-ABH-1234", Description: "Blaue Karte EU verlängern", RedirectURL: "https://ozgo.example/zurueck?zahlung=1",
		Items: []Item{
			{ID: "gebuehr", Quantity: 1, SingleNetAmount: 9300, TotalNetAmount: 9300},
			{ID: "je-eintrag", Quantity: 2, SingleNetAmount: 500, TotalNetAmount: 1000, BookingData: map[string]string{"haushaltsstelle": "1.1"}},
		},
	}
}

func TestValidate(t *testing.T) {
	if p := (&PaymentRequest{}).Validate(); len(p) < 5 {
		t.Errorf("empty request: %v", p)
	}
	r := validRequest()
	if p := r.Validate(); len(p) != 0 {
		t.Fatalf("valid request refused: %v", p)
	}
	for name, mutate := range map[string]func(*PaymentRequest){
		"sum":          func(r *PaymentRequest) { r.GrosAmount = 10301 },
		"purpose long": func(r *PaymentRequest) { r.Purpose = strings.Repeat("A", 28) },
		"purpose char": func(r *PaymentRequest) { r.Purpose = "Gebühr/1" },
		"request id":   func(r *PaymentRequest) { r.RequestID = strings.Repeat("a", 37) },
		"currency":     func(r *PaymentRequest) { r.Currency = "USD" },
		"quantity":     func(r *PaymentRequest) { r.Items[1].Quantity = 0 },
		"single":       func(r *PaymentRequest) { r.Items[1].SingleNetAmount = 400 },
		"dup id":       func(r *PaymentRequest) { r.Items[1].ID = "gebuehr" },
		"no items":     func(r *PaymentRequest) { r.Items = nil },
		"redirect":     func(r *PaymentRequest) { r.RedirectURL = "javascript:alert(1)" },
		"too much":     func(r *PaymentRequest) { r.GrosAmount = MaxAmount + 1 },
	} {
		r := validRequest()
		mutate(&r)
		if p := r.Validate(); len(p) == 0 {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestSanitize(t *testing.T) {
	if got := Sanitize("Blaue Karte EU (verlängern)", 27, true); got != "Blaue Karte EU verlangern" {
		t.Errorf("purpose: %q", got)
	}
	if got := Sanitize("Blaue Karte EU (verlängern)", 250, false); got != "Blaue Karte EU verlängern" {
		t.Errorf("description: %q", got)
	}
	if got := Sanitize(strings.Repeat("x", 40), 27, true); len(got) != 27 {
		t.Errorf("cut: %q", got)
	}
}

func TestParseTransaction(t *testing.T) {
	ok := `{"requestId":"r1","grosAmount":93.00,"items":[],"paymentInformation":{"transactionId":"9xxd-432x","status":"PAYED","transactionUrl":"https://p.example/t/1","paymentMethod":"CREDITCARD"}}`
	tr, err := ParseTransaction([]byte(ok))
	if err != nil || tr.PaymentInformation.Status != StatusPayed || tr.GrosAmount != 9300 {
		t.Fatalf("got %+v, %v", tr, err)
	}
	for _, bad := range []string{
		`{}`, `[]`, `{"paymentInformation":{"transactionId":"a b","status":"PAYED"}}`,
		`{"paymentInformation":{"transactionId":"x","status":"BOOKED"}}`,
		`{"paymentInformation":{"transactionId":"x","status":"INITIAL","transactionRedirectUrl":"javascript:x"}}`,
		`{"grosAmount":1.234,"paymentInformation":{"transactionId":"x","status":"INITIAL"}}`,
	} {
		if _, err := ParseTransaction([]byte(bad)); err == nil {
			t.Errorf("accepted %s", bad)
		}
	}
}

func TestParseToken(t *testing.T) {
	tok, ttl, err := ParseToken([]byte(`{"access_token":"abc","token_type":"Bearer","expires_in":300}`))
	if err != nil || tok != "abc" || ttl != 300*time.Second {
		t.Fatalf("%q %v %v", tok, ttl, err)
	}
	if _, ttl, err := ParseToken([]byte(`{"access_token":"abc","expires_in":"60"}`)); err != nil || ttl != time.Minute {
		t.Errorf("string expires_in: %v %v", ttl, err)
	}
	for _, bad := range []string{`{}`, `{"access_token":"a b"}`, `{"access_token":"a","token_type":"mac"}`, `{"access_token":"a","expires_in":-1}`, `x`} {
		if _, _, err := ParseToken([]byte(bad)); err == nil {
			t.Errorf("accepted %s", bad)
		}
	}
}

func FuzzParseAmount(f *testing.F) {
	for _, s := range []string{"0", "12.50", "-3.1", "1e3", "999999.999", "00.1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, err := ParseAmount(s)
		if err != nil {
			return
		}
		// What parses must print and parse back to the same cents.
		b, err := ParseAmount(a.String())
		if err != nil || a != b {
			t.Fatalf("%q → %d → %q → %d, %v", s, a, a.String(), b, err)
		}
	})
}

func FuzzParseTransaction(f *testing.F) {
	f.Add([]byte(`{"requestId":"r1","grosAmount":93.00,"items":[{"id":"a","quantity":1,"totalNetAmount":93}],"paymentInformation":{"transactionId":"9xxd","status":"INITIAL","transactionRedirectUrl":"https://p.example/pay/1"}}`))
	f.Add([]byte(`{"paymentInformation":{"transactionId":"x","status":"PAYED"}}`))
	f.Add([]byte(`{"grosAmount":1e400}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		tr, err := ParseTransaction(b)
		if err != nil {
			return
		}
		if !ValidID(tr.PaymentInformation.TransactionID) {
			t.Fatalf("accepted transaction id %q", tr.PaymentInformation.TransactionID)
		}
		switch tr.PaymentInformation.Status {
		case StatusInitial, StatusPayed, StatusFailed, StatusCanceled:
		default:
			t.Fatalf("accepted status %q", tr.PaymentInformation.Status)
		}
	})
}

func FuzzParseToken(f *testing.F) {
	f.Add([]byte(`{"access_token":"abc","token_type":"Bearer","expires_in":300}`))
	f.Add([]byte(`{"access_token":"abc","expires_in":"9e99"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		tok, ttl, err := ParseToken(b)
		if err == nil && (tok == "" || ttl <= 0) {
			t.Fatalf("accepted %q with ttl %v", tok, ttl)
		}
	})
}
