-- Deferred fees (issue 8): the authority asks for the fee after the
-- Bescheid through the Postfach ("Zahlungsaufforderung"), and the
-- applicant pays it through the same XBezahldienste flow as a fee paid
-- before submission.
--
-- A payment_requests row is the Zahlungsaufforderung of a case (case_id is
-- submissions.id): the amount fixed by the fee rule when the clerk
-- requested it, its breakdown, the Kassenzeichen shared by every attempt,
-- the due date (YYYY-MM-DD) and the Postfach message that carries it. One
-- per case.
--
-- The attempts to pay it are rows of payments, like those of drafts:
-- case_id names the case, and draft_id holds "case:" + case_id so the
-- unique (draft_id, attempt) and the derived request_id keep a reload or a
-- double click from making a second transaction. submission_id is set to
-- the case id once the paid request was recorded in the case.
CREATE TABLE payment_requests (
	case_id      TEXT PRIMARY KEY,
	service      TEXT NOT NULL,
	tenant_id    TEXT NOT NULL,
	owner        TEXT NOT NULL,
	amount_cents BIGINT NOT NULL,
	items        TEXT NOT NULL,           -- the fee breakdown (JSON)
	reference    TEXT NOT NULL,           -- Kassenzeichen
	legal_basis  TEXT NOT NULL,
	due_date     TEXT NOT NULL,           -- YYYY-MM-DD
	message_id   TEXT NOT NULL,           -- the Postfach message; "" while it is being sent
	requested_by TEXT NOT NULL,           -- actor id of the clerk
	created_at   TEXT NOT NULL
);
CREATE INDEX payment_requests_tenant ON payment_requests (tenant_id, created_at);

ALTER TABLE payments ADD COLUMN case_id TEXT NOT NULL DEFAULT '';
CREATE INDEX payments_case ON payments (case_id);
