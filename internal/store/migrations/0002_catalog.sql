-- Catalog of Leistungen (OZG-Umsetzungskatalog + LeiKa), regions (ARS) and
-- Zuständigkeiten. The catalog and region tables are replaced wholesale by
-- `ozgo import`; authorities and their assignments are tenant data.

CREATE TABLE themenfelder (
	id   INTEGER PRIMARY KEY,
	name TEXT NOT NULL
);

CREATE TABLE lebenslagen (
	id            INTEGER PRIMARY KEY,
	themenfeld_id INTEGER NOT NULL REFERENCES themenfelder (id),
	name          TEXT NOT NULL
);
CREATE INDEX lebenslagen_themenfeld ON lebenslagen (themenfeld_id);

CREATE TABLE ozg_leistungen (
	id            TEXT PRIMARY KEY,          -- OZG-ID, e.g. "10000"
	name          TEXT NOT NULL,
	lebenslage_id INTEGER REFERENCES lebenslagen (id)
);
CREATE INDEX ozg_leistungen_lebenslage ON ozg_leistungen (lebenslage_id);

-- ref is the LeiKa key (14 digits) or, for catalog entries that have none,
-- a stable "x…" id derived from the entry (see catalog.KeylessRef).
CREATE TABLE leistungen (
	ref              TEXT PRIMARY KEY,
	leika            TEXT,                   -- NULL when the catalog has no key
	name             TEXT NOT NULL,
	typisierung      TEXT NOT NULL,          -- "1", "2/3", "1, 2/3", "" when unknown
	ozg_id           TEXT REFERENCES ozg_leistungen (id),
	rechtsgrundlagen TEXT NOT NULL           -- short names, comma-separated as in the catalog
);
CREATE INDEX leistungen_ozg ON leistungen (ozg_id);

CREATE TABLE regionen (
	ars          TEXT PRIMARY KEY,           -- Amtlicher Regionalschlüssel, 2–12 digits
	ags          TEXT NOT NULL,              -- Amtlicher Gemeindeschlüssel (Gemeinden), else ''
	name         TEXT NOT NULL,
	ebene        TEXT NOT NULL,              -- land, regierungsbezirk, kreis, gemeindeverband, gemeinde
	art          TEXT NOT NULL,              -- "Landkreis", "Kreisfreie Stadt", "Stadt", …
	parent_ars   TEXT REFERENCES regionen (ars),
	flaeche_km2  DOUBLE PRECISION,
	bevoelkerung BIGINT,
	plz          TEXT NOT NULL,
	laengengrad  DOUBLE PRECISION,
	breitengrad  DOUBLE PRECISION
);
CREATE INDEX regionen_parent ON regionen (parent_ars);
CREATE INDEX regionen_ebene ON regionen (ebene);

-- Behörden / Organisationseinheiten. tenant is the owning tenant's id ('' for
-- platform-wide records such as demo data).
CREATE TABLE behoerden (
	id              {{id}},
	tenant          TEXT NOT NULL,
	name            TEXT NOT NULL,
	region_ars      TEXT NOT NULL REFERENCES regionen (ars),
	anschrift       TEXT NOT NULL,
	telefon         TEXT NOT NULL,
	email           TEXT NOT NULL,
	website         TEXT NOT NULL,
	oeffnungszeiten TEXT NOT NULL
);
CREATE INDEX behoerden_region ON behoerden (region_ars);

-- A Zuständigkeit: behoerde handles leistung for every Gemeinde in region
-- (the region itself or anything below it). onlinedienst_url is an online
-- service offered there, '' when none.
CREATE TABLE zustaendigkeiten (
	id               {{id}},
	leistung_ref     TEXT NOT NULL REFERENCES leistungen (ref) ON DELETE CASCADE,
	region_ars       TEXT NOT NULL REFERENCES regionen (ars),
	behoerde_id      BIGINT NOT NULL REFERENCES behoerden (id) ON DELETE CASCADE,
	onlinedienst_url TEXT NOT NULL,
	UNIQUE (leistung_ref, region_ars, behoerde_id)
);
CREATE INDEX zustaendigkeiten_region ON zustaendigkeiten (region_ars);
