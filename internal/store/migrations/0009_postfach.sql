-- Postfach: messages both ways between an authority and an applicant,
-- tied to a case (an application); the state history of cases for the
-- status monitor; the queue of e-mail notifications.
--
-- Times are TEXT in UTC with a fixed width (store.TimeFormat).

-- The state history of a case. case_id is the application's id
-- (submissions.id); state is eingegangen, in_bearbeitung, rueckfrage,
-- bewilligt, abgelehnt, erledigt or archiviert.
CREATE TABLE case_states (
	id       {{id}},
	case_id  TEXT NOT NULL,
	state    TEXT NOT NULL,
	at       TEXT NOT NULL,
	actor    TEXT NOT NULL
);
CREATE INDEX case_states_case ON case_states (case_id, id);

-- A message. owner is the applicant's party ("person:<id>",
-- "organisation:<id>"), tenant the authority's tenant; outgoing is true
-- for messages from the authority. subject and body are sealed with the
-- master key (bound to the message id); messages are never changed after
-- sending, only their read and archive marks.
CREATE TABLE messages (
	id          TEXT PRIMARY KEY,
	case_id     TEXT NOT NULL,
	owner       TEXT NOT NULL,
	tenant_id   TEXT NOT NULL,
	outgoing    {{bool}} NOT NULL,
	kind        TEXT NOT NULL,
	content     {{bytes}} NOT NULL,
	due_date    TEXT NOT NULL,            -- "" or YYYY-MM-DD for requests
	reply_to    TEXT NOT NULL,            -- "" or the message answered
	sent_by     TEXT NOT NULL,            -- actor id
	sent_at     TEXT NOT NULL,
	read_at     TEXT NOT NULL,            -- by the recipient; "" while unread
	archived_at TEXT NOT NULL             -- by the applicant; ""
);
CREATE INDEX messages_owner ON messages (owner, sent_at);
CREATE INDEX messages_case ON messages (case_id, sent_at);
CREATE INDEX messages_tenant ON messages (tenant_id, sent_at);

-- Files of a message, in the encrypted blob store.
CREATE TABLE message_attachments (
	id         TEXT PRIMARY KEY,
	message_id TEXT NOT NULL REFERENCES messages (id),
	blob_id    TEXT NOT NULL,
	name       TEXT NOT NULL,
	media_type TEXT NOT NULL,
	size       BIGINT NOT NULL,
	sha256     TEXT NOT NULL
);
CREATE INDEX message_attachments_message ON message_attachments (message_id);

-- Proof of access for messages from the authority (Bescheide): when it
-- was delivered, first opened, each attachment downloaded.
CREATE TABLE message_receipts (
	id         {{id}},
	message_id TEXT NOT NULL,
	event      TEXT NOT NULL,             -- delivered, opened, downloaded
	detail     TEXT NOT NULL,             -- attachment id for downloads
	at         TEXT NOT NULL
);
CREATE INDEX message_receipts_message ON message_receipts (message_id, id);

-- E-mail notifications waiting to be sent. The address is sealed; the
-- text holds no content of the message, only that there is one and a
-- link. A row is claimed by setting claimed_until; sent rows keep sent_at.
CREATE TABLE mail_queue (
	id            TEXT PRIMARY KEY,
	recipient     {{bytes}} NOT NULL,
	subject       TEXT NOT NULL,
	body          TEXT NOT NULL,
	attempts      INTEGER NOT NULL,
	next_at       TEXT NOT NULL,
	claimed_until TEXT NOT NULL,
	sent_at       TEXT NOT NULL,
	last_error    TEXT NOT NULL,
	created_at    TEXT NOT NULL
);
CREATE INDEX mail_queue_due ON mail_queue (sent_at, next_at);

-- The tenant whose authority works an application: set when the
-- submission pipeline routes it to a destination.
ALTER TABLE submissions ADD COLUMN tenant_id TEXT NOT NULL DEFAULT '';
