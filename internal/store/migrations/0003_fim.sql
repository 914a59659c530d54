-- FIM: genericode code lists and form definitions (XDatenfelder), both
-- immutable once imported. The original XML is kept, so what a form meant
-- at import time can always be re-read with a newer parser.

CREATE TABLE fim_codelists (
	version_uri   TEXT PRIMARY KEY,        -- canonical version URI
	canonical_uri TEXT NOT NULL,
	version       TEXT NOT NULL,
	name          TEXT NOT NULL,
	entries       INTEGER NOT NULL,
	source        {{bytes}} NOT NULL,      -- the genericode XML as imported
	sha256        TEXT NOT NULL,
	imported_at   TEXT NOT NULL
);
CREATE INDEX fim_codelists_canonical ON fim_codelists (canonical_uri);

CREATE TABLE fim_forms (
	id          TEXT NOT NULL,             -- S00000094, G60000000088, …
	version     TEXT NOT NULL,
	name        TEXT NOT NULL,
	format      TEXT NOT NULL,             -- "XDatenfelder 2.0, Stammdatenschema"
	source      {{bytes}} NOT NULL,        -- the XDatenfelder XML as imported
	sha256      TEXT NOT NULL,
	schema_json TEXT NOT NULL,             -- JSON Schema with the code lists resolved at import
	warnings    TEXT NOT NULL,             -- one per line
	imported_at TEXT NOT NULL,
	PRIMARY KEY (id, version)
);
