-- Delivery of submitted applications to the authority through ozgo's
-- FIT-Connect-compatible Zustelldienst (the outbox of the citizen path).
--
-- A row is written in the same transaction as the submission, so an
-- acknowledged application always has its delivery order. Workers claim
-- due rows (locked_until as a lease; FOR UPDATE SKIP LOCKED on
-- PostgreSQL), encrypt the parts to the destination's key and hand them to
-- the Zustelldienst. Times are TEXT in UTC with a fixed width.
CREATE TABLE deliveries (
	submission_id    TEXT PRIMARY KEY REFERENCES submissions (id),
	destination_id   TEXT NOT NULL,           -- fc_destinations.id chosen at submission
	authority        TEXT NOT NULL,           -- name of the destination, for the receipt
	plan             {{bytes}} NOT NULL,      -- sealed: metadata and attachment list (JSON)
	form_pdf         TEXT NOT NULL,           -- blob id of the receipt PDF (attachment purpose "form")
	status           TEXT NOT NULL,           -- pending | delivered
	fc_submission_id TEXT NOT NULL,           -- set once the Zustelldienst opened the submission
	fc_case_id       TEXT NOT NULL,
	attempts         INTEGER NOT NULL,
	run_at           TEXT NOT NULL,           -- next attempt
	locked_until     TEXT NOT NULL,           -- lease of the worker holding it
	last_error       TEXT NOT NULL,           -- error code of the last failure, no personal data
	created_at       TEXT NOT NULL,
	delivered_at     TEXT NOT NULL
);
CREATE INDEX deliveries_due ON deliveries (status, run_at);
