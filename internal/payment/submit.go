package payment

import (
	"context"
	"encoding/json"

	"github.com/ozgo/ozgo/internal/errs"
	"github.com/ozgo/ozgo/internal/form"
	"github.com/ozgo/ozgo/internal/onlinedienst"
)

// AntragSubmitter submits a paid draft through the online services'
// normal submission (onlinedienst.Antraege.Submit). It refuses, as a final
// Invalid error, a draft whose fee no longer matches what was paid (the
// answers were changed in another tab after paying), so an operator
// settles it instead of a wrong amount reaching the authority.
//
// The submission path reads the payment with Service.ForDraft(draftID) to
// put paymentInformation into the FIT-Connect metadata.
//
// options rebuilds the submission options from the payment (its Context
// holds what the web layer kept: "actor", "ars", "email"); nil takes just
// those, without the answers for the receipt PDF (see OptionsFromContext).
func AntragSubmitter(s *Service, a *onlinedienst.Antraege, options func(p *Payment, svc *onlinedienst.Service, m *form.Model) onlinedienst.SubmitOptions) SubmitFunc {
	if options == nil {
		options = func(p *Payment, _ *onlinedienst.Service, _ *form.Model) onlinedienst.SubmitOptions {
			return OptionsFromContext(p)
		}
	}
	return func(ctx context.Context, p *Payment, secret string) (string, error) {
		dr, err := a.Drafts.Load(ctx, p.DraftID, secret)
		if err != nil {
			return "", err
		}
		svc, err := a.Registry.Get(ctx, dr.Service)
		if err != nil {
			return "", err
		}
		m, err := a.Registry.Model(ctx, dr.FormID, dr.FormVersion)
		if err != nil {
			return "", err
		}
		res := m.Evaluate(dr.State)
		if len(res.Errors) == 0 {
			q, err := s.Quote(ctx, p.Service, p.TenantID, res.Data)
			if err != nil {
				return "", err
			}
			if q.Fee.Total != p.Amount {
				return "", errs.K(errs.Invalid, "payment.error.amount_changed")
			}
		}
		opt := options(p, svc, m)
		if opt.PaymentInformation, err = json.Marshal(p.Information()); err != nil {
			return "", err
		}
		sub, err := a.Submit(ctx, svc, m, dr, opt)
		if err != nil {
			return "", err
		}
		return sub.ID, nil
	}
}

// OptionsFromContext are the submission options kept with a payment: the
// actor for the audit log, the Gemeinde that routes the application and
// the applicant's reply address.
func OptionsFromContext(p *Payment) onlinedienst.SubmitOptions {
	return onlinedienst.SubmitOptions{Actor: p.Context["actor"], ARS: p.Context["ars"], ReplyEmail: p.Context["email"]}
}
