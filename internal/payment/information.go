package payment

import (
	"context"
	"regexp"
	"time"

	"github.com/ozgo/ozgo/internal/errs"
	"github.com/ozgo/ozgo/internal/payment/xbd"
)

// Information is FIT-Connect's paymentInformation (metadata schema 2.1.0,
// /work/shared/specs/fit-connect/metadata-2.1.0.schema.json): what the
// authority learns about the payment with the submission.
type Information struct {
	TransactionURL       string     `json:"transactionUrl,omitempty"`
	TransactionID        string     `json:"transactionId"`
	TransactionReference string     `json:"transactionReference"`
	TransactionTimestamp string     `json:"transactionTimestamp,omitempty"`
	PaymentMethod        string     `json:"paymentMethod"`
	PaymentMethodDetail  string     `json:"paymentMethodDetail,omitempty"`
	Status               string     `json:"status"`
	GrossAmount          xbd.Amount `json:"grossAmount,omitempty"`
}

var detailRE = regexp.MustCompile(`^[\w\d-]+$`)

// Information converts the payment into FIT-Connect's form: PAYED becomes
// BOOKED, payment methods outside the schema's list become OTHER.
func (p *Payment) Information() Information {
	in := Information{
		TransactionURL: p.TransactionURL, TransactionID: p.TransactionID, TransactionReference: p.Reference,
		Status: p.Status, GrossAmount: xbd.Amount(p.Amount),
	}
	if p.Status == xbd.StatusPayed {
		in.Status = "BOOKED"
	}
	switch p.Method {
	case "GIROPAY", "PAYDIRECT", "CREDITCARD", "PAYPAL", "INVOICE", "OTHER":
		in.PaymentMethod = p.Method
	default:
		in.PaymentMethod = "OTHER"
	}
	if d := p.MethodDetail; d != "" && len(d) <= 36 && detailRE.MatchString(d) {
		in.PaymentMethodDetail = d
	}
	if !p.TransactionAt.IsZero() {
		in.TransactionTimestamp = p.TransactionAt.UTC().Format(time.RFC3339)
	}
	return in
}

// ForDraft is the paymentInformation for the submission of a draft: the
// booked payment of its newest attempt. NotFound when the draft was not
// paid (free, deferred, or submitted without paying).
func (s *Service) ForDraft(ctx context.Context, draftID string) (*Information, error) {
	p, err := s.Latest(ctx, draftID)
	if err != nil {
		return nil, err
	}
	if !p.Paid() {
		return nil, errs.E(errs.NotFound, "")
	}
	in := p.Information()
	return &in, nil
}

// ForSubmission is the paymentInformation of a submitted application;
// NotFound when it was submitted without a payment.
func (s *Service) ForSubmission(ctx context.Context, submissionID string) (*Information, error) {
	p, err := s.BySubmission(ctx, submissionID)
	if err != nil {
		return nil, err
	}
	in := p.Information()
	return &in, nil
}
