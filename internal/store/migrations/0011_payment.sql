-- Fees and payment: fee rules and payment modes per (online service,
-- tenant), the XBezahldienste endpoint of each tenant, and the payments
-- (one row per attempt of a draft) that the web flow and the
-- reconciliation job share.
--
-- Times are TEXT in UTC with a fixed width (2006-01-02T15:04:05.000000000Z).
-- Amounts are integer cents. tenant_id "" is the default for every tenant.

-- Fee rule and payment mode of an online service for a tenant. rule is the
-- fee rule as JSON (see internal/payment/fee.go); booking_data the budget
-- data handed to the provider with each item (Haushaltsstelle,
-- Objektnummer, ...), also JSON.
CREATE TABLE payment_fees (
	service      TEXT NOT NULL,
	tenant_id    TEXT NOT NULL,
	mode         TEXT NOT NULL,           -- none | optional | mandatory | deferred
	rule         TEXT NOT NULL,
	legal_basis  TEXT NOT NULL,           -- shown to the applicant, e.g. "§ 45 Nr. 2 AufenthV"
	booking_data TEXT NOT NULL,
	ref_prefix   TEXT NOT NULL,           -- prefix of the Kassenzeichen ozgo derives
	updated_at   TEXT NOT NULL,
	PRIMARY KEY (service, tenant_id)
);

-- The XBezahldienste provider of a tenant: OAuth2 token URL, API base URL,
-- client credentials (the secret sealed with the master key) and the two
-- path parameters of the API.
CREATE TABLE payment_endpoints (
	tenant_id     TEXT PRIMARY KEY,
	token_url     TEXT NOT NULL,
	api_url       TEXT NOT NULL,
	client_id     TEXT NOT NULL,
	client_secret {{bytes}} NOT NULL,
	originator_id TEXT NOT NULL,
	endpoint_id   TEXT NOT NULL,
	updated_at    TEXT NOT NULL
);

-- Payments: one row per (draft, attempt). request_id is derived from both,
-- so a double click or a reload finds the row instead of creating a second
-- transaction. The draft secret is sealed so the reconciliation job can
-- submit the application when the applicant never comes back. submission_id
-- is set once the application was submitted with this payment;
-- submit_error (an error code, no personal data) when that failed for good
-- and an operator must look.
CREATE TABLE payments (
	id                   TEXT PRIMARY KEY,
	draft_id             TEXT NOT NULL,
	attempt              INTEGER NOT NULL,
	request_id           TEXT NOT NULL UNIQUE,
	service              TEXT NOT NULL,
	tenant_id            TEXT NOT NULL,
	owner                TEXT NOT NULL,
	draft_secret         {{bytes}} NOT NULL,
	submit_context       {{bytes}} NOT NULL, -- sealed JSON: what the submission needs beyond the draft (actor, Gemeinde, ...)
	amount_cents         BIGINT NOT NULL,
	items                TEXT NOT NULL,   -- the fee breakdown (JSON)
	reference            TEXT NOT NULL,   -- transactionReference (Kassenzeichen)
	request              TEXT NOT NULL,   -- the PaymentRequest as sent (JSON; no personal data), resent unchanged after a crash
	status               TEXT NOT NULL,   -- "" before the provider answered, then INITIAL | PAYED | FAILED | CANCELED
	transaction_id       TEXT NOT NULL,
	transaction_url      TEXT NOT NULL,
	pay_url              TEXT NOT NULL,   -- transactionRedirectUrl for the browser
	payment_method       TEXT NOT NULL,
	payment_method_detail TEXT NOT NULL,
	transaction_at       TEXT NOT NULL,
	submission_id        TEXT NOT NULL,
	submit_error         TEXT NOT NULL,
	checks               INTEGER NOT NULL,
	next_check_at        TEXT NOT NULL,
	locked_until         TEXT NOT NULL,   -- lease of the process checking or completing it
	last_error           TEXT NOT NULL,
	created_at           TEXT NOT NULL,
	updated_at           TEXT NOT NULL,
	UNIQUE (draft_id, attempt)
);
CREATE INDEX payments_due ON payments (next_check_at);
CREATE INDEX payments_submission ON payments (submission_id);
