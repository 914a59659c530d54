-- The audit log as several hash chains instead of one (see
-- internal/audit): a transaction appends to one chain, and PostgreSQL
-- lets concurrent transactions take different chains, so the audit log
-- no longer makes every audited write wait for the one before it to
-- commit. SQLite has one writer at a time and keeps using chain 0 only.
--
-- audit_chains holds each chain's head; chain 0 continues the existing
-- chain (audit_head, which is no longer written). Every entry records its
-- chain and its position in it (chain_seq, without gaps per chain); seq
-- stays unique across chains (a sequence on PostgreSQL). format 1 marks
-- the entries hashed before this migration, format 2 those that also hash
-- chain and chain_seq.
CREATE TABLE audit_chains (
	chain  INTEGER PRIMARY KEY,
	seq    BIGINT NOT NULL,      -- chain_seq of the chain's newest entry
	hash   TEXT NOT NULL         -- its hash
);
INSERT INTO audit_chains (chain, seq, hash) SELECT 0, seq, hash FROM audit_head;

ALTER TABLE audit_log ADD COLUMN chain INTEGER NOT NULL DEFAULT 0;
ALTER TABLE audit_log ADD COLUMN chain_seq BIGINT NOT NULL DEFAULT 0;
ALTER TABLE audit_log ADD COLUMN format INTEGER NOT NULL DEFAULT 1;
UPDATE audit_log SET chain_seq = seq;
CREATE UNIQUE INDEX audit_log_chain ON audit_log (chain, chain_seq);
