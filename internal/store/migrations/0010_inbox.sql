-- Clerk workspace ("Sachbearbeitung"): who works a case, notes, and an
-- index to find cases by the applicant's name that keeps no plaintext:
-- keyed hashes (HMAC with a key per tenant) of normalised name words.

CREATE TABLE inbox_assignments (
	case_id    TEXT PRIMARY KEY,
	assignee   TEXT NOT NULL,             -- staff id
	updated_at TEXT NOT NULL
);

CREATE TABLE inbox_notes (
	id         TEXT PRIMARY KEY,
	case_id    TEXT NOT NULL,
	author     TEXT NOT NULL,
	content    {{bytes}} NOT NULL,        -- sealed
	created_at TEXT NOT NULL
);
CREATE INDEX inbox_notes_case ON inbox_notes (case_id, created_at);

CREATE TABLE inbox_name_index (
	case_id   TEXT NOT NULL,
	tenant_id TEXT NOT NULL,
	hash      TEXT NOT NULL,
	PRIMARY KEY (case_id, hash)
);
CREATE INDEX inbox_name_index_hash ON inbox_name_index (tenant_id, hash);

-- Cases whose name index is built.
CREATE TABLE inbox_indexed (
	case_id TEXT PRIMARY KEY
);

-- Destinations worked in the built-in workspace: their signing key
-- (private JWK, sealed) answers submissions with accept-submission
-- events, as a Fachverfahren would. Applicants' uploads to these
-- destinations stay (sealed) in ozgo for the clerks.
CREATE TABLE inbox_keys (
	destination_id TEXT PRIMARY KEY,
	tenant_id      TEXT NOT NULL,
	signing_key    {{bytes}} NOT NULL,
	created_at     TEXT NOT NULL
);

-- Cases acknowledged to the Zustelldienst.
CREATE TABLE inbox_accepted (
	case_id          TEXT PRIMARY KEY,
	fc_submission_id TEXT NOT NULL,
	accepted_at      TEXT NOT NULL
);
