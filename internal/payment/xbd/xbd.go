// Package xbd speaks XBezahldienste, Germany's standard interface between
// online services and payment providers (ePayBL, pmPayment, GiroCheckout,
// ...): the wire types, their validation and an OAuth2 client.
//
// Followed: XBezahldienste API v1.0.0,
// https://docs.fitko.de/xbezahldienste/APIDoku/versionen/v1.0.0/initiate-payment-transaction
// (POST /paymenttransaction/{originatorId}/{endPointId}, the PaymentRequest
// fields, their limits and patterns) and
// https://docs.fitko.de/xbezahldienste/next/APIDoku/Statusmodell (INITIAL,
// PAYED, CANCELED, FAILED; the return to the online service says nothing,
// the status must be fetched with GET). The spec spells the total
// "grosAmount"; FIT-Connect's metadata calls the paid state BOOKED and the
// total "grossAmount" (see Information).
package xbd

import (
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Statuses of a payment transaction (Statusmodell).
const (
	StatusInitial  = "INITIAL"
	StatusPayed    = "PAYED"
	StatusFailed   = "FAILED"
	StatusCanceled = "CANCELED"
)

// Final reports whether a status no longer changes.
func Final(status string) bool {
	return status == StatusPayed || status == StatusFailed || status == StatusCanceled
}

// PaymentRequest is what an online service sends to create a transaction.
type PaymentRequest struct {
	RequestID        string     `json:"requestId"`
	RequestTimestamp string     `json:"requestTimestamp"`
	Currency         string     `json:"currency"`
	GrosAmount       Amount     `json:"grosAmount"`
	Purpose          string     `json:"purpose"`
	Description      string     `json:"description,omitempty"`
	RedirectURL      string     `json:"redirectUrl"`
	Items            []Item     `json:"items"`
	Requestor        *Requestor `json:"requestor,omitempty"`
}

// Item is one position of a payment request. ozgo's fees carry no VAT, so
// the tax fields are 0.
type Item struct {
	ID              string            `json:"id"`
	Reference       string            `json:"reference,omitempty"`
	Description     string            `json:"description,omitempty"`
	TaxRate         Amount            `json:"taxRate"`
	Quantity        int64             `json:"quantity"`
	TotalNetAmount  Amount            `json:"totalNetAmount"`
	TotalTaxAmount  Amount            `json:"totalTaxAmount"`
	SingleNetAmount Amount            `json:"singleNetAmount"`
	SingleTaxAmount Amount            `json:"singleTaxAmount"`
	BookingData     map[string]string `json:"bookingData,omitempty"`
}

// Requestor names the system asking for the payment.
type Requestor struct {
	ID   string `json:"id,omitempty"`
	Name string `json:"name,omitempty"`
}

// PaymentTransaction is the provider's answer to create and status: the
// request as stored plus paymentInformation.
type PaymentTransaction struct {
	PaymentRequest
	PaymentInformation PaymentInformation `json:"paymentInformation"`
}

// PaymentInformation is the provider's state of a transaction.
type PaymentInformation struct {
	TransactionID          string `json:"transactionId"`
	TransactionTimestamp   string `json:"transactionTimestamp,omitempty"`
	TransactionURL         string `json:"transactionUrl,omitempty"`
	TransactionReference   string `json:"transactionReference,omitempty"`
	TransactionRedirectURL string `json:"transactionRedirectUrl,omitempty"`
	PaymentMethod          string `json:"paymentMethod,omitempty"`
	PaymentMethodDetail    string `json:"paymentMethodDetail,omitempty"`
	Status                 string `json:"status"`
}

// Limits and patterns of the spec.
var (
	idRE          = regexp.MustCompile(`^[\w\d-]+$`)
	currencyRE    = regexp.MustCompile(`^[\w]+$`)
	purposeRE     = regexp.MustCompile(`^[\w\d\s-]+$`)
	descriptionRE = regexp.MustCompile(`^[\w\d\s\-,\.\x{00C0}-\x{017F}]+$`)
)

// ValidID reports whether s is a valid id (requestId, item id,
// originatorId, endPointId, transactionId): 1 to 36 characters of
// ^[\w\d-]+$.
func ValidID(s string) bool { return len(s) >= 1 && len(s) <= 36 && idRE.MatchString(s) }

// Validate checks a request the way a provider does and returns the
// problems as "field: reason"; none means valid.
func (r *PaymentRequest) Validate() []string {
	var p []string
	add := func(f, why string) { p = append(p, f+": "+why) }
	if !ValidID(r.RequestID) {
		add("requestId", "1 bis 36 Zeichen aus ^[\\w\\d-]+$")
	}
	if r.RequestTimestamp == "" {
		add("requestTimestamp", "fehlt")
	}
	if len(r.Currency) != 3 || !currencyRE.MatchString(r.Currency) || r.Currency != "EUR" {
		add("currency", "nur EUR")
	}
	if r.GrosAmount <= 0 || r.GrosAmount > MaxAmount {
		add("grosAmount", "größer 0 und höchstens 999999")
	}
	if r.Purpose == "" || utf8.RuneCountInString(r.Purpose) > 27 || !purposeRE.MatchString(r.Purpose) {
		add("purpose", "1 bis 27 Zeichen aus ^[\\w\\d\\s-]+$")
	}
	if r.Description != "" && (utf8.RuneCountInString(r.Description) > 250 || !descriptionRE.MatchString(r.Description)) {
		add("description", "höchstens 250 Zeichen aus ^[\\w\\d\\s-,\\.\\u00C0-\\u017F]+$")
	}
	if r.RedirectURL == "" || len(r.RedirectURL) > 2082 || !(strings.HasPrefix(r.RedirectURL, "https://") || strings.HasPrefix(r.RedirectURL, "http://")) {
		add("redirectUrl", "URL mit höchstens 2082 Zeichen")
	}
	if len(r.Items) < 1 || len(r.Items) > 99 {
		add("items", "1 bis 99 Positionen")
	}
	var sum Amount
	ids := map[string]bool{}
	for i, it := range r.Items {
		f := "items[" + strconv.Itoa(i) + "]"
		if !ValidID(it.ID) {
			add(f+".id", "1 bis 36 Zeichen aus ^[\\w\\d-]+$")
		} else if ids[it.ID] {
			add(f+".id", "doppelt")
		}
		ids[it.ID] = true
		if it.Reference != "" && !ValidID(it.Reference) {
			add(f+".reference", "höchstens 36 Zeichen aus ^[\\w\\d-]+$")
		}
		if it.Description != "" && (utf8.RuneCountInString(it.Description) > 250 || !descriptionRE.MatchString(it.Description)) {
			add(f+".description", "höchstens 250 Zeichen aus ^[\\w\\d\\s-,\\.\\u00C0-\\u017F]+$")
		}
		if it.Quantity < 1 || it.Quantity > 999999 {
			add(f+".quantity", "1 bis 999999")
		}
		if it.TaxRate < 0 || it.TotalTaxAmount < 0 || it.SingleTaxAmount < 0 || it.SingleNetAmount < 0 {
			add(f, "negative Beträge")
		}
		if it.SingleNetAmount*Amount(it.Quantity) != it.TotalNetAmount || it.SingleTaxAmount*Amount(it.Quantity) != it.TotalTaxAmount {
			add(f, "Einzelbetrag mal Menge ergibt nicht den Gesamtbetrag")
		}
		sum += it.TotalNetAmount + it.TotalTaxAmount
	}
	if len(r.Items) > 0 && sum != r.GrosAmount {
		add("grosAmount", "ist nicht die Summe der Positionen ("+sum.String()+")")
	}
	return p
}

// Sanitize keeps the characters a pattern allows and cuts to max runes, so
// titles with brackets or quotes still make a valid purpose or description.
func Sanitize(s string, max int, purpose bool) string {
	var b strings.Builder
	n := 0
	for _, r := range s {
		ok := r == ' ' || r == '-' || r == '_' || (r >= '0' && r <= '9') || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z')
		if !purpose {
			ok = ok || r == ',' || r == '.' || (r >= 0xC0 && r <= 0x17F)
		}
		if !ok {
			switch r {
			case 'ä', 'ö', 'ü', 'Ä', 'Ö', 'Ü', 'ß':
				// In purpose only ASCII is safe: \w is ASCII in most
				// providers' regex engines.
				r = map[rune]rune{'ä': 'a', 'ö': 'o', 'ü': 'u', 'Ä': 'A', 'Ö': 'O', 'Ü': 'U', 'ß': 's'}[r]
			default:
				r = ' '
			}
		}
		if n == max {
			break
		}
		b.WriteRune(r)
		n++
	}
	return strings.Join(strings.Fields(b.String()), " ")
}
