-- Identity and access: tenants, citizens (persons), organisations and
-- mandates, staff accounts, server-side sessions, login throttling and the
-- state of external logins (SAML requests, replay protection, OIDC).
--
-- Times are TEXT in UTC with a fixed width (2006-01-02T15:04:05.000000000Z)
-- so that they compare correctly as strings on both engines.

-- A tenant: a Land, Kreis, Gemeinde or other authority running services on
-- this platform. The tenant issue adds branding, parameters and activations.
CREATE TABLE tenants (
	id         TEXT PRIMARY KEY,          -- short stable name, e.g. "tuebingen"
	name       TEXT NOT NULL,
	ars        TEXT NOT NULL,             -- region of the tenant ("" for none)
	created_at TEXT NOT NULL
);

-- A natural person known from an external login. The stable key is
-- (provider, subject): BundID's bPK2, or NameID / OIDC sub. attrs holds the
-- attributes of the newest login (names, birth date, address, e-mail) as
-- JSON sealed with the master key, bound to the person id.
CREATE TABLE persons (
	id          TEXT PRIMARY KEY,
	provider    TEXT NOT NULL,
	subject     TEXT NOT NULL,
	attrs       {{bytes}} NOT NULL,
	created_at  TEXT NOT NULL,
	last_login  TEXT NOT NULL,
	UNIQUE (provider, subject)
);

-- An organisation account (Unternehmen, Verein, Behörde as applicant).
CREATE TABLE organisations (
	id         TEXT PRIMARY KEY,
	name       TEXT NOT NULL,
	created_at TEXT NOT NULL
);

-- Members of an organisation with their role: admin or member.
CREATE TABLE organisation_members (
	organisation_id TEXT NOT NULL REFERENCES organisations (id),
	person_id       TEXT NOT NULL REFERENCES persons (id),
	role            TEXT NOT NULL,
	added_at        TEXT NOT NULL,
	PRIMARY KEY (organisation_id, person_id)
);
CREATE INDEX organisation_members_person ON organisation_members (person_id);

-- A mandate (Vollmacht): grantor lets grantee act for it from valid_from
-- until valid_until, unless revoked. Parties are "person:<id>" or
-- "organisation:<id>". A mandate is offered with a one-time code the
-- grantee redeems; until then grantee is "".
CREATE TABLE mandates (
	id          TEXT PRIMARY KEY,
	grantor     TEXT NOT NULL,
	grantee     TEXT NOT NULL,
	scope       TEXT NOT NULL,            -- "*" or a LeiKa key
	valid_from  TEXT NOT NULL,
	valid_until TEXT NOT NULL,
	revoked_at  TEXT NOT NULL,            -- "" while not revoked
	created_by  TEXT NOT NULL,            -- actor id
	created_at  TEXT NOT NULL
);
CREATE INDEX mandates_grantor ON mandates (grantor);
CREATE INDEX mandates_grantee ON mandates (grantee);

-- One-time invitation codes: to accept a mandate (kind "mandate", target
-- the mandate id) or to join an organisation (kind "member", target the
-- organisation id, with role). Only the code's hash is stored.
CREATE TABLE invitations (
	code_hash  TEXT PRIMARY KEY,
	kind       TEXT NOT NULL,
	target     TEXT NOT NULL,
	role       TEXT NOT NULL,
	created_by TEXT NOT NULL,
	expires_at TEXT NOT NULL
);

-- Staff accounts. tenant_id is "" for platform operators. The password is
-- an argon2id PHC string; the TOTP secret is sealed with the master key.
CREATE TABLE staff (
	id            TEXT PRIMARY KEY,
	email         TEXT NOT NULL UNIQUE,   -- lower-cased
	name          TEXT NOT NULL,
	tenant_id     TEXT NOT NULL,
	password_hash TEXT NOT NULL,
	totp_secret   {{bytes}} NOT NULL,     -- empty until a second factor is set up
	totp_last     BIGINT NOT NULL,        -- last accepted TOTP time step (no reuse)
	oidc_subject  TEXT NOT NULL,          -- "issuer|sub" for staff logging in via OIDC, else ""
	disabled      {{bool}} NOT NULL,
	created_at    TEXT NOT NULL
);
CREATE INDEX staff_tenant ON staff (tenant_id);

-- Roles of a staff account: operator, tenant_admin, clerk, service_author.
CREATE TABLE staff_roles (
	staff_id TEXT NOT NULL REFERENCES staff (id),
	role     TEXT NOT NULL,
	PRIMARY KEY (staff_id, role)
);

-- Server-side sessions. The browser holds a random token; only its SHA-256
-- is stored. kind is "citizen" or "staff"; acting_as is the party a
-- citizen acts for ("" = themself), with the mandate that allows it.
CREATE TABLE sessions (
	id           TEXT PRIMARY KEY,        -- hex SHA-256 of the token
	kind         TEXT NOT NULL,
	principal    TEXT NOT NULL,           -- person or staff id
	trust_level  INTEGER NOT NULL,
	provider     TEXT NOT NULL,
	acting_as    TEXT NOT NULL,
	mandate_id   TEXT NOT NULL,
	pending_2fa  {{bool}} NOT NULL,       -- staff password checked, second factor not yet
	created_at   TEXT NOT NULL,
	last_seen    TEXT NOT NULL,
	expires_at   TEXT NOT NULL            -- absolute timeout
);
CREATE INDEX sessions_principal ON sessions (principal);
CREATE INDEX sessions_expires ON sessions (expires_at);

-- Failed login attempts, for throttling per account and per address. key
-- is "acct:<hash>" or "ip:<hash>" (keyed hashes, no plain addresses).
CREATE TABLE login_failures (
	key TEXT NOT NULL,
	at  TEXT NOT NULL
);
CREATE INDEX login_failures_key ON login_failures (key, at);

-- Outstanding external login requests (SAML AuthnRequest ids, OIDC state):
-- what was asked for and where to go afterwards. Deleted when used.
CREATE TABLE login_requests (
	id          TEXT PRIMARY KEY,          -- SAML request id or OIDC state
	provider    TEXT NOT NULL,
	trust_level INTEGER NOT NULL,          -- minimum level requested
	return_to   TEXT NOT NULL,
	data        {{bytes}} NOT NULL,        -- sealed provider data (PKCE verifier, nonce)
	binding     TEXT NOT NULL,             -- hash of the browser-bound cookie value
	expires_at  TEXT NOT NULL
);

-- Assertion / token ids already used, against replay.
CREATE TABLE login_replay (
	id         TEXT PRIMARY KEY,
	expires_at TEXT NOT NULL
);

-- Online services declare the minimum trust level of a login (0 = none);
-- drafts and submissions belong to the party that made them ("" for an
-- anonymous application, reachable only with the browser's secret).
ALTER TABLE online_services ADD COLUMN min_trust_level INTEGER NOT NULL DEFAULT 0;
ALTER TABLE form_drafts ADD COLUMN owner TEXT NOT NULL DEFAULT '';
ALTER TABLE submissions ADD COLUMN owner TEXT NOT NULL DEFAULT '';
CREATE INDEX form_drafts_owner ON form_drafts (owner);
CREATE INDEX submissions_owner ON submissions (owner);
