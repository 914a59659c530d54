-- FIT-Connect-compatible Zustelldienst: API clients, destinations with
-- their keys and routing regions, cases, submissions with their encrypted
-- payloads (never decrypted here), the event log of Security Event Tokens,
-- ozgo's own SET signing key, and the background jobs (callbacks,
-- deadlines) that any ozgo process may claim.
--
-- Times are TEXT in UTC with a fixed width (2006-01-02T15:04:05.000000000Z).
-- tenant_id "" means the platform.

-- OAuth2 clients (client credentials). Only the SHA-256 of the secret is
-- stored; scopes are space-separated.
CREATE TABLE fc_clients (
	id          TEXT PRIMARY KEY,
	name        TEXT NOT NULL,
	tenant_id   TEXT NOT NULL,
	secret_hash TEXT NOT NULL,
	scopes      TEXT NOT NULL,
	disabled    {{bool}} NOT NULL,
	created_at  TEXT NOT NULL
);

-- Destinations (Zustellpunkte). services, contact, reply channels and
-- metadata versions are JSON as the API shows them; the callback secret is
-- sealed with the master key.
CREATE TABLE fc_destinations (
	id                TEXT PRIMARY KEY,
	tenant_id         TEXT NOT NULL,
	owner_client      TEXT NOT NULL,
	status            TEXT NOT NULL,
	services          TEXT NOT NULL,
	encryption_kid    TEXT NOT NULL,
	signing_kid       TEXT NOT NULL,
	metadata_versions TEXT NOT NULL,
	contact           TEXT NOT NULL,
	reply_channels    TEXT NOT NULL,
	callback_url      TEXT NOT NULL,
	callback_secret   {{bytes}} NOT NULL,
	created_at        TEXT NOT NULL,
	updated_at        TEXT NOT NULL
);
CREATE INDEX fc_destinations_owner ON fc_destinations (owner_client);

-- Routing: one row per (destination, Leistung, region) for the lookup by
-- Leistung and the longest matching region prefix.
CREATE TABLE fc_destination_regions (
	destination_id TEXT NOT NULL REFERENCES fc_destinations (id) ON DELETE CASCADE,
	service        TEXT NOT NULL,
	region         TEXT NOT NULL,
	PRIMARY KEY (service, region, destination_id)
);
CREATE INDEX fc_destination_regions_dest ON fc_destination_regions (destination_id);

-- Public keys of destinations (JWK JSON).
CREATE TABLE fc_destination_keys (
	destination_id TEXT NOT NULL REFERENCES fc_destinations (id) ON DELETE CASCADE,
	kid            TEXT NOT NULL,
	jwk            TEXT NOT NULL,
	created_at     TEXT NOT NULL,
	PRIMARY KEY (destination_id, kid)
);

-- A case (Vorgang) groups the submissions of one matter.
CREATE TABLE fc_cases (
	id             TEXT PRIMARY KEY,
	destination_id TEXT NOT NULL,
	created_at     TEXT NOT NULL
);

-- Submissions. metadata and data are compact JWEs; data larger than the
-- inline limit lives in the blob store (data_blob). The sender's callback
-- secret is sealed.
CREATE TABLE fc_submissions (
	id              TEXT PRIMARY KEY,
	case_id         TEXT NOT NULL,
	destination_id  TEXT NOT NULL,
	sender_client   TEXT NOT NULL,
	service_id      TEXT NOT NULL,
	service_name    TEXT NOT NULL,
	service_desc    TEXT NOT NULL,
	status          TEXT NOT NULL,
	attachments     TEXT NOT NULL,            -- JSON array of announced ids, in order
	metadata        TEXT NOT NULL,
	data            TEXT NOT NULL,
	data_blob       TEXT NOT NULL,
	callback_url    TEXT NOT NULL,
	callback_secret {{bytes}} NOT NULL,
	created_at      TEXT NOT NULL,
	submitted_at    TEXT NOT NULL,
	updated_at      TEXT NOT NULL
);
CREATE INDEX fc_submissions_pickup ON fc_submissions (destination_id, status, submitted_at);
CREATE INDEX fc_submissions_case ON fc_submissions (case_id);

-- Attachments: announced at creation (uploaded_at ""), uploaded later.
-- Small ones inline (jwe), large ones in the blob store (blob_id).
CREATE TABLE fc_attachments (
	submission_id TEXT NOT NULL REFERENCES fc_submissions (id) ON DELETE CASCADE,
	id            TEXT NOT NULL,
	jwe           TEXT NOT NULL,
	blob_id       TEXT NOT NULL,
	size          BIGINT NOT NULL,
	auth_tag      TEXT NOT NULL,
	uploaded_at   TEXT NOT NULL,
	PRIMARY KEY (submission_id, id)
);

-- The event log. claims is the SET payload; token the signed SET, signed
-- lazily ("" until first read) for ozgo's own events and as received for
-- events posted by destinations.
CREATE TABLE fc_events (
	seq           {{id}},
	case_id       TEXT NOT NULL,
	submission_id TEXT NOT NULL,
	jti           TEXT NOT NULL UNIQUE,
	event         TEXT NOT NULL,
	claims        TEXT NOT NULL,
	token         TEXT NOT NULL,
	created_at    TEXT NOT NULL
);
CREATE INDEX fc_events_case ON fc_events (case_id, seq);

-- ozgo's SET signing keys (private key sealed with the master key). The
-- newest is used for signing; all are published.
CREATE TABLE fc_signing_keys (
	kid         TEXT PRIMARY KEY,
	private_key {{bytes}} NOT NULL,
	created_at  TEXT NOT NULL
);

-- Background work, claimed by any process: callbacks and deadlines.
-- locked_until leases a claimed job; a crashed worker's lease runs out.
CREATE TABLE fc_jobs (
	id           {{id}},
	kind         TEXT NOT NULL,
	ref          TEXT NOT NULL,
	run_at       TEXT NOT NULL,
	give_up_at   TEXT NOT NULL,
	attempts     INTEGER NOT NULL,
	locked_until TEXT NOT NULL,
	created_at   TEXT NOT NULL
);
CREATE INDEX fc_jobs_due ON fc_jobs (run_at);
CREATE INDEX fc_jobs_ref ON fc_jobs (ref);
