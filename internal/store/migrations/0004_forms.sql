-- Online services, drafts of applications and submitted applications.
--
-- Times are TEXT in UTC with a fixed width (2006-01-02T15:04:05.000000000Z)
-- so that they compare correctly as strings on both engines.

-- An online service (Onlinedienst): a FIM form version published under a
-- stable slug. The tenant issue adds owners, parameters and activations.
CREATE TABLE online_services (
	slug         TEXT PRIMARY KEY,        -- URL name, e.g. "blaue-karte-eu"
	title        TEXT NOT NULL,
	summary      TEXT NOT NULL,
	leika        TEXT NOT NULL,           -- LeiKa key, "" if none
	form_id      TEXT NOT NULL,
	form_version TEXT NOT NULL,
	active       {{bool}} NOT NULL,
	created_at   TEXT NOT NULL,
	updated_at   TEXT NOT NULL,
	FOREIGN KEY (form_id, form_version) REFERENCES fim_forms (id, version)
);

-- A draft: what an applicant has entered so far. state is the answers as
-- JSON, sealed with the master key (AES-GCM, bound to the draft id). The
-- applicant holds a secret token; only its hash is stored.
CREATE TABLE form_drafts (
	id           TEXT PRIMARY KEY,
	token_hash   TEXT NOT NULL,
	service      TEXT NOT NULL REFERENCES online_services (slug),
	form_id      TEXT NOT NULL,
	form_version TEXT NOT NULL,
	state        {{bytes}} NOT NULL,
	created_at   TEXT NOT NULL,
	updated_at   TEXT NOT NULL,
	expires_at   TEXT NOT NULL
);
CREATE INDEX form_drafts_expires ON form_drafts (expires_at);

-- A submitted application: the validated JSON instance and the list of
-- its attachments (blob ids), both sealed. The submission pipeline issue
-- adds routing, end-to-end encryption and delivery.
CREATE TABLE submissions (
	id           TEXT PRIMARY KEY,
	reference    TEXT NOT NULL UNIQUE,    -- Vorgangsnummer shown to the applicant
	token_hash   TEXT NOT NULL,
	service      TEXT NOT NULL REFERENCES online_services (slug),
	form_id      TEXT NOT NULL,
	form_version TEXT NOT NULL,
	schema_id    TEXT NOT NULL,           -- $id of the JSON Schema the data was validated against
	data         {{bytes}} NOT NULL,
	attachments  {{bytes}} NOT NULL,
	submitted_at TEXT NOT NULL
);
