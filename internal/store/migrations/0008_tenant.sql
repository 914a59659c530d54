-- Tenants and "Einer für Alle": tenant details and branding, online
-- service versions published once by a service author, activations per
-- (online service, Gemeinde) with their parameters, feedback, monthly
-- statistics, the Fokusleistungen list and maintenance announcements.
--
-- Times are TEXT in UTC with a fixed width, as in 0005. Amounts are
-- integer cents.

-- Details of a tenant (the row in tenants stays the identity). Colours are
-- a name from a fixed list of KERN-compatible accents, never free CSS, so
-- no tenant can break contrast or inject styles.
CREATE TABLE tenant_profiles (
	tenant_id    TEXT PRIMARY KEY REFERENCES tenants (id),
	display_name TEXT NOT NULL,
	logo_url     TEXT NOT NULL,
	accent       TEXT NOT NULL,          -- "blau", "gruen", "rot", "violett", "petrol"
	privacy_url  TEXT NOT NULL,
	imprint_url  TEXT NOT NULL,
	embed_origin TEXT NOT NULL,          -- "https://www.gemeinde.example" or ""
	updated_at   TEXT NOT NULL
);

-- Versions of an online service as a service author publishes them. The
-- published version is copied onto online_services (what the form runtime
-- serves); open drafts keep the form version they started with, so an old
-- version keeps serving them after a new one is published.
CREATE TABLE service_versions (
	slug             TEXT NOT NULL,
	version          INTEGER NOT NULL,
	author_tenant    TEXT NOT NULL,      -- tenant of the service author
	title            TEXT NOT NULL,
	summary          TEXT NOT NULL,
	leika_keys       TEXT NOT NULL,      -- space-separated 14-digit keys, first = main
	form_id          TEXT NOT NULL,
	form_version     TEXT NOT NULL,
	min_trust_level  INTEGER NOT NULL,
	fee_cents        BIGINT NOT NULL,    -- default fee rule: a fixed amount
	evidence_upload  {{bool}} NOT NULL,  -- every evidence can be uploaded in the form
	required_params  TEXT NOT NULL,      -- space-separated parameter names
	state            TEXT NOT NULL,      -- "entwurf", "veroeffentlicht", "abgeloest"
	created_at       TEXT NOT NULL,
	published_at     TEXT NOT NULL,      -- "" while a draft
	PRIMARY KEY (slug, version)
);

-- Activation ("Nachnutzung") of an online service for one Gemeinde, by the
-- tenant whose area contains it. live is set only after the completeness
-- check passed.
CREATE TABLE activations (
	slug              TEXT NOT NULL,
	gemeinde_ars      TEXT NOT NULL,
	tenant_id         TEXT NOT NULL,
	authority         TEXT NOT NULL,     -- responsible authority (name)
	delivery          TEXT NOT NULL,     -- "pdf", "postfach" (built-in inbox), "destination"
	destination_id    TEXT NOT NULL,     -- FIT-Connect destination when delivery = "destination"
	fee_cents         BIGINT NOT NULL,
	payment_endpoint  TEXT NOT NULL,     -- "" until the payment issue lands
	contact_email     TEXT NOT NULL,
	contact_phone     TEXT NOT NULL,
	processing_days   INTEGER NOT NULL,  -- expected processing time, 0 = not given
	opening_hours_url TEXT NOT NULL,
	postfach_answers  {{bool}} NOT NULL, -- Bescheid and questions through the Postfach
	trust_level       INTEGER NOT NULL,  -- login level this Gemeinde requires
	live              {{bool}} NOT NULL,
	updated_by        TEXT NOT NULL,     -- actor id
	created_at        TEXT NOT NULL,
	updated_at        TEXT NOT NULL,
	PRIMARY KEY (slug, gemeinde_ars)
);
CREATE INDEX activations_tenant ON activations (tenant_id);
CREATE INDEX activations_ars ON activations (gemeinde_ars);

-- Feedback (NFK-like): stars and optional text; no account, no address.
CREATE TABLE feedback (
	id           {{id}},
	slug         TEXT NOT NULL,
	gemeinde_ars TEXT NOT NULL,
	tenant_id    TEXT NOT NULL,
	stars        INTEGER NOT NULL,
	comment      TEXT NOT NULL,
	created_at   TEXT NOT NULL
);
CREATE INDEX feedback_slug ON feedback (slug, gemeinde_ars);

-- Monthly counters (ZSK-like): no personal data, only counts.
CREATE TABLE stats_monthly (
	month        TEXT NOT NULL,          -- "2026-11"
	slug         TEXT NOT NULL,
	gemeinde_ars TEXT NOT NULL,
	kind         TEXT NOT NULL,          -- "begonnen", "eingereicht", "bezahlt", "entschieden"
	n            BIGINT NOT NULL,
	PRIMARY KEY (month, slug, gemeinde_ars, kind)
);

-- The Fokusleistungen the coverage dashboard ranks (configurable).
CREATE TABLE fokusleistungen (
	leika    TEXT PRIMARY KEY,
	name     TEXT NOT NULL,
	position INTEGER NOT NULL
);
INSERT INTO fokusleistungen (leika, name, position) VALUES ('99115005104000', 'Wohnsitz Anmeldung (Ummeldung)', 1);
INSERT INTO fokusleistungen (leika, name, position) VALUES ('99036008007000', 'Kfz-Zulassung', 2);
INSERT INTO fokusleistungen (leika, name, position) VALUES ('99023001000000', 'Führerschein', 3);
INSERT INTO fokusleistungen (leika, name, position) VALUES ('99041006000000', 'Elterngeld', 4);
INSERT INTO fokusleistungen (leika, name, position) VALUES ('99107023000000', 'Wohngeld', 5);
INSERT INTO fokusleistungen (leika, name, position) VALUES ('99012008000000', 'Baugenehmigung', 6);
INSERT INTO fokusleistungen (leika, name, position) VALUES ('99059001104000', 'Eheschließung Anmeldung', 7);
INSERT INTO fokusleistungen (leika, name, position) VALUES ('99010001000000', 'Aufenthaltserlaubnis', 8);
INSERT INTO fokusleistungen (leika, name, position) VALUES ('99108001000000', 'Bewohnerparkausweis', 9);

-- Maintenance windows and incidents announced by operators.
CREATE TABLE announcements (
	id         {{id}},
	kind       TEXT NOT NULL,            -- "wartung" or "stoerung"
	message    TEXT NOT NULL,
	starts_at  TEXT NOT NULL,
	ends_at    TEXT NOT NULL,            -- "" while an incident is open
	created_by TEXT NOT NULL,
	created_at TEXT NOT NULL
);
