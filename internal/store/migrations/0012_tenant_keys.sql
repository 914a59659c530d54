-- The tenant key model (docs/schluessel.md): a random 256-bit key per
-- tenant that only the tenant's staff unlock. The private keys of the
-- destinations worked in the built-in workspace are sealed under it, and
-- the workspace keeps its copies of submissions as the ciphertext the
-- sender made (JWEs for the destination's key). With a database dump and
-- the master key alone nothing of it opens.

-- Tenants that have a key (the key itself is never stored in plaintext).
-- check_value is an HMAC under the key of a fixed text: it tells whether
-- a key handed in for granting is the tenant's, and reveals nothing.
CREATE TABLE tenant_keys (
	tenant_id   TEXT PRIMARY KEY,
	check_value TEXT NOT NULL,
	created_at  TEXT NOT NULL
);

-- The tenant key wrapped for one holder: "staff:<id>" under a key derived
-- with argon2id from that staff member's password (own salt, independent
-- of the password hash), or "recovery" under the one-time recovery code.
CREATE TABLE tenant_key_wraps (
	tenant_id  TEXT NOT NULL,
	holder     TEXT NOT NULL,
	kdf        TEXT NOT NULL,             -- argon2id parameters "m=…,t=…,p=…"
	salt       {{bytes}} NOT NULL,
	wrapped    {{bytes}} NOT NULL,        -- AES-256-GCM, associated data names tenant and holder
	created_at TEXT NOT NULL,
	PRIMARY KEY (tenant_id, holder)
);
CREATE INDEX tenant_key_wraps_holder ON tenant_key_wraps (holder);

-- A logged-in staff session holds the unlocked tenant key sealed under a
-- key derived (HKDF) from the session token, which only the browser's
-- cookie holds (the row's id is the token's SHA-256). NULL: no key. It
-- dies with the row (logout, expiry, "alle Geräte abmelden").
ALTER TABLE sessions ADD COLUMN tenant_key {{bytes}};

-- The destination's private keys, sealed under the tenant key
-- (sealed_by 'tenant'). Rows sealed with the master key before this
-- migration ('master') are not used: the key must be stored again by a
-- tenant admin (the demo does so on every start).
ALTER TABLE inbox_keys ADD COLUMN encryption_key {{bytes}};
ALTER TABLE inbox_keys ADD COLUMN sealed_by TEXT NOT NULL DEFAULT 'master';

-- The workspace's copies of the submissions to its destinations, picked
-- up from the Zustelldienst before it is told accept-submission (after
-- which a Zustelldienst may delete the payloads). metadata and data are
-- the sender's JWEs, unchanged; they open only with the destination's
-- encryption key. submission_id is ozgo's own submission for cases that
-- came from ozgo's online services ("" for external senders).
CREATE TABLE inbox_cases (
	id               TEXT PRIMARY KEY,
	tenant_id        TEXT NOT NULL,
	destination_id   TEXT NOT NULL,
	fc_submission_id TEXT NOT NULL UNIQUE,
	fc_case_id       TEXT NOT NULL,
	submission_id    TEXT NOT NULL,
	reference        TEXT NOT NULL,
	service          TEXT NOT NULL,
	metadata         TEXT NOT NULL,
	data             TEXT NOT NULL,
	submitted_at     TEXT NOT NULL,
	picked_up_at     TEXT NOT NULL
);
CREATE INDEX inbox_cases_tenant ON inbox_cases (tenant_id, submitted_at);
CREATE INDEX inbox_cases_submission ON inbox_cases (submission_id);

-- The attachments of a copy: the sender's JWEs in the blob store.
CREATE TABLE inbox_case_files (
	case_id       TEXT NOT NULL,
	attachment_id TEXT NOT NULL,
	blob_id       TEXT NOT NULL,
	PRIMARY KEY (case_id, attachment_id)
);

-- The name index is now keyed with a key derived from the tenant key
-- (before: from the master key); it is rebuilt when a clerk with the
-- unlocked key lists the cases.
DELETE FROM inbox_name_index;
DELETE FROM inbox_indexed;
