-- Foundation: the hash-chained audit log.
--
-- audit_log is append-only: ozgo never updates or deletes its rows, and
-- `ozgo audit verify` recomputes the chain. audit_head holds the newest
-- sequence number and hash in a single row; appending locks that row, so
-- the chain stays linear with any number of ozgo processes.
CREATE TABLE audit_log (
	seq         BIGINT PRIMARY KEY,
	at          TEXT NOT NULL,        -- RFC 3339 UTC with nanoseconds: hashed as text, so identical on both engines
	actor       TEXT NOT NULL,        -- an id ("staff:42", "citizen:…", "system"), never a name
	action      TEXT NOT NULL,        -- "migration.applied", "submission.received", …
	object_type TEXT NOT NULL,
	object_id   TEXT NOT NULL,
	tenant      TEXT NOT NULL,        -- tenant id, "" for platform-wide records
	outcome     TEXT NOT NULL,        -- "success", "denied", "failure"
	details     TEXT NOT NULL,        -- canonical JSON object of further ids; no personal data
	key_id      TEXT NOT NULL,        -- which master key the chain HMAC was derived from
	prev_hash   TEXT NOT NULL,
	hash        TEXT NOT NULL
);

CREATE INDEX audit_log_object ON audit_log (object_type, object_id);
CREATE INDEX audit_log_tenant ON audit_log (tenant, seq);

CREATE TABLE audit_head (
	id   INTEGER PRIMARY KEY CHECK (id = 1),
	seq  BIGINT NOT NULL,
	hash TEXT NOT NULL
);

INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '');

-- Platform-wide settings and markers (e.g. which demo data set is loaded).
CREATE TABLE platform_settings (
	key        TEXT PRIMARY KEY,
	value      TEXT NOT NULL,
	updated_at TEXT NOT NULL
);
