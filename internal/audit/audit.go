// Package audit keeps ozgo's append-only, hash-chained record of who did
// what to which object.
//
// Every entry carries the hash of its predecessor, and its own hash is an
// HMAC-SHA256 over its fields and that predecessor hash, keyed with a key
// derived from the master key. Changing, inserting or removing any entry
// breaks the chain from that point on, and without the master key the chain
// cannot be recomputed to hide it. Entries hold ids, never names or other
// personal data.
//
// The log is a small, fixed set of such chains (Chains). An entry is
// appended inside the transaction of the action it records, so the chain
// head stays locked until that transaction commits; with one chain every
// audited write would wait for the previous one to commit. On PostgreSQL a
// transaction therefore takes a chain no other transaction holds (SKIP
// LOCKED) and keeps it for all its entries; SQLite has one writer at a
// time anyway and uses chain 0 only. Each chain numbers its entries
// without gaps (ChainSeq), so removals are found per chain; Seq is unique
// across chains and orders entries by when they were appended.
package audit

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/ozgo/ozgo/internal/errs"
	"github.com/ozgo/ozgo/internal/store"
)

// Outcome says how an audited action ended.
type Outcome string

// The outcomes.
const (
	Success Outcome = "success"
	Denied  Outcome = "denied"
	Failure Outcome = "failure"
)

// System is the actor for actions ozgo takes on its own.
const System = "system"

// keyPurpose names the derived key of the chain HMAC.
const keyPurpose = "audit-chain-v1"

// Entry is one audit record.
type Entry struct {
	Seq        int64
	Chain      int   // which chain the entry belongs to
	ChainSeq   int64 // its position in that chain, from 1 without gaps
	format     int   // 1: hashed before chains existed (Chain 0, ChainSeq = Seq)
	At         time.Time
	Actor      string // an id such as "staff:42" or "system", never a name
	Action     string // "submission.received", "user.login", ...
	ObjectType string
	ObjectID   string
	Tenant     string // "" for platform-wide records
	Outcome    Outcome
	Details    map[string]string // further ids; no personal data
	KeyID      string
	PrevHash   string
	Hash       string
}

// Keys gives the chain its HMAC keys. *crypt.Keyring implements it.
type Keys interface {
	CurrentKID() string
	DeriveKeyFor(kid, purpose string) ([]byte, error)
}

// Log appends to and verifies the audit log.
type Log struct {
	db   *store.DB
	keys Keys
	now  func() time.Time
}

// New returns a Log on db.
func New(db *store.DB, keys Keys) *Log {
	return &Log{db: db, keys: keys, now: time.Now}
}

// Record appends e in a transaction of its own.
func (l *Log) Record(ctx context.Context, e Entry) (Entry, error) {
	var out Entry
	err := l.db.InTx(ctx, func(tx *store.Tx) error {
		var err error
		out, err = l.Append(ctx, tx, e)
		return err
	})
	return out, err
}

// Append adds e inside the caller's transaction, so the record commits or
// rolls back together with the action it describes. Seq, At, KeyID,
// PrevHash and Hash are filled in.
func (l *Log) Append(ctx context.Context, tx *store.Tx, e Entry) (Entry, error) {
	if e.Actor == "" || e.Action == "" || e.ObjectType == "" {
		return Entry{}, errs.Wrap(errs.Internal, "audit.Append", errors.New("actor, action and object type are required"), "")
	}
	if e.Outcome == "" {
		e.Outcome = Success
	}
	chain, headSeq, headHash, err := l.takeChain(ctx, tx)
	if err != nil {
		return Entry{}, err
	}
	e.Chain, e.ChainSeq, e.format = chain, headSeq+1, 2
	if tx.Engine() == store.Postgres {
		if err := tx.QueryRowContext(ctx, `SELECT nextval('audit_seq')`).Scan(&e.Seq); err != nil {
			return Entry{}, fmt.Errorf("audit: next number: %w", err)
		}
	} else {
		// One writer at a time and one chain: the chain position is the
		// global number.
		e.Seq = e.ChainSeq
	}
	e.At = l.now().UTC()
	e.PrevHash = headHash
	e.KeyID = l.keys.CurrentKID()
	h, err := l.hash(e)
	if err != nil {
		return Entry{}, err
	}
	e.Hash = h
	details, err := canonicalDetails(e.Details)
	if err != nil {
		return Entry{}, err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO audit_log
		(seq, chain, chain_seq, format, at, actor, action, object_type, object_id, tenant, outcome, details, key_id, prev_hash, hash)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		e.Seq, e.Chain, e.ChainSeq, e.format, formatTime(e.At), e.Actor, e.Action, e.ObjectType, e.ObjectID, e.Tenant, string(e.Outcome),
		details, e.KeyID, e.PrevHash, e.Hash)
	if err != nil {
		return Entry{}, fmt.Errorf("audit: insert: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE audit_chains SET seq = ?, hash = ? WHERE chain = ?`, e.ChainSeq, e.Hash, e.Chain); err != nil {
		return Entry{}, fmt.Errorf("audit: move chain head: %w", err)
	}
	return e, nil
}

// heldChain is the key under which a transaction remembers its chain.
type heldChain struct{}

// takeChain locks the head of the chain this transaction appends to and
// returns it: the chain it already holds, else (PostgreSQL) any chain no
// other transaction holds, else it waits for one. A transaction that
// waits holds no chain, so waiting for chains cannot deadlock.
func (l *Log) takeChain(ctx context.Context, tx *store.Tx) (chain int, seq int64, hash string, err error) {
	read := func(q string, args ...any) error {
		return tx.QueryRowContext(ctx, q, args...).Scan(&chain, &seq, &hash)
	}
	switch held, ok := tx.Value(heldChain{}).(int); {
	case tx.Engine() != store.Postgres:
		// SQLite holds the database write lock for the transaction.
		err = read(`SELECT chain, seq, hash FROM audit_chains WHERE chain = 0`)
	case ok:
		err = read(`SELECT chain, seq, hash FROM audit_chains WHERE chain = ? FOR UPDATE`, held)
	default:
		err = read(`SELECT chain, seq, hash FROM audit_chains ORDER BY chain LIMIT 1 FOR UPDATE SKIP LOCKED`)
		if errors.Is(err, sql.ErrNoRows) {
			// Every chain is busy: wait for one, spread over the chains.
			err = read(`SELECT chain, seq, hash FROM audit_chains WHERE chain = ? FOR UPDATE`, rand.IntN(Chains))
		}
	}
	if err != nil {
		return 0, 0, "", fmt.Errorf("audit: read chain head: %w", err)
	}
	tx.SetValue(heldChain{}, chain)
	return chain, seq, hash, nil
}

// Chains is the number of chains on PostgreSQL (migration 0015).
const Chains = 16

// Problem is one break in the chain found by Verify.
type Problem struct {
	Seq    int64  // the entry at or after which the chain breaks
	Reason string // what is wrong, for the operator
}

// Report is the result of Verify.
type Report struct {
	Checked  int64
	HeadSeq  int64
	Problems []Problem
}

// OK reports whether the chain is intact.
func (r Report) OK() bool { return len(r.Problems) == 0 }

// maxProblems bounds the report: after a break every later entry is suspect
// anyway, and the operator needs the first ones.
const maxProblems = 100

// Verify walks every chain and reports every altered, inserted or removed
// entry it can detect, up to a bound.
func (l *Log) Verify(ctx context.Context) (Report, error) {
	var r Report
	type head struct {
		seq  int64
		hash string
	}
	heads := map[int]head{}
	hrows, err := l.db.QueryContext(ctx, `SELECT chain, seq, hash FROM audit_chains`)
	if err != nil {
		return r, fmt.Errorf("audit: read chain heads: %w", err)
	}
	for hrows.Next() {
		var c int
		var h head
		if err := hrows.Scan(&c, &h.seq, &h.hash); err != nil {
			hrows.Close()
			return r, fmt.Errorf("audit: read chain heads: %w", err)
		}
		heads[c] = h
	}
	hrows.Close()
	if err := hrows.Err(); err != nil {
		return r, fmt.Errorf("audit: read chain heads: %w", err)
	}
	rows, err := l.db.QueryContext(ctx, `SELECT seq, chain, chain_seq, format, at, actor, action, object_type, object_id, tenant, outcome, details, key_id, prev_hash, hash
		FROM audit_log ORDER BY chain, chain_seq`)
	if err != nil {
		return r, fmt.Errorf("audit: read log: %w", err)
	}
	defer rows.Close()
	add := func(seq int64, format string, args ...any) {
		if len(r.Problems) < maxProblems {
			r.Problems = append(r.Problems, Problem{Seq: seq, Reason: fmt.Sprintf(format, args...)})
		}
	}
	// The state of the chain being walked.
	chain, lastSeq := -1, int64(0)
	var prevChainSeq int64
	prevHash := ""
	endChain := func() {
		if chain < 0 {
			return
		}
		h := heads[chain]
		if h.seq != prevChainSeq || h.hash != prevHash {
			add(lastSeq, "the head of chain %d says its entry %d is the newest, but the chain ends at %d (entries were removed at the end, or the head was altered)", chain, h.seq, prevChainSeq)
		}
		delete(heads, chain)
	}
	for rows.Next() {
		var e Entry
		var at, outcome, details string
		if err := rows.Scan(&e.Seq, &e.Chain, &e.ChainSeq, &e.format, &at, &e.Actor, &e.Action, &e.ObjectType, &e.ObjectID, &e.Tenant, &outcome, &details, &e.KeyID, &e.PrevHash, &e.Hash); err != nil {
			return r, fmt.Errorf("audit: read log: %w", err)
		}
		if e.Chain != chain {
			endChain()
			chain, prevChainSeq, prevHash = e.Chain, 0, ""
		}
		r.Checked++
		r.HeadSeq = max(r.HeadSeq, e.Seq)
		e.Outcome = Outcome(outcome)
		if e.ChainSeq != prevChainSeq+1 {
			add(e.Seq, "entries %d to %d of chain %d are missing", prevChainSeq+1, e.ChainSeq-1, e.Chain)
		}
		if e.PrevHash != prevHash {
			add(e.Seq, "does not link to the entry before it (an entry was removed, inserted or altered)")
		}
		t, perr := time.Parse(time.RFC3339Nano, at)
		if perr != nil {
			add(e.Seq, "timestamp %q is malformed", at)
		}
		e.At = t
		if err := json.Unmarshal([]byte(details), &e.Details); err != nil {
			add(e.Seq, "details are not a JSON object of strings")
		}
		want, herr := l.hash(e)
		switch {
		case herr != nil:
			add(e.Seq, "cannot check: %v", herr)
		case perr == nil && !hmac.Equal([]byte(want), []byte(e.Hash)):
			add(e.Seq, "content was altered (hash does not match)")
		}
		prevChainSeq, prevHash, lastSeq = e.ChainSeq, e.Hash, e.Seq
	}
	if err := rows.Err(); err != nil {
		return r, fmt.Errorf("audit: read log: %w", err)
	}
	endChain()
	// Chains whose head names entries the log does not have at all.
	for c, h := range heads {
		if h.seq != 0 || h.hash != "" {
			add(0, "the head of chain %d says its entry %d is the newest, but the chain has no entries (entries were removed, or the head was altered)", c, h.seq)
		}
	}
	return r, nil
}

// Recent lists the newest entries, newest first, for operator views.
func (l *Log) Recent(ctx context.Context, limit int) ([]Entry, error) {
	rows, err := l.db.QueryContext(ctx, `SELECT seq, chain, chain_seq, format, at, actor, action, object_type, object_id, tenant, outcome, details, key_id, prev_hash, hash
		FROM audit_log ORDER BY seq DESC LIMIT ?`, limit)
	if err != nil {
		return nil, fmt.Errorf("audit: list: %w", err)
	}
	defer rows.Close()
	var out []Entry
	for rows.Next() {
		var e Entry
		var at, outcome, details string
		if err := rows.Scan(&e.Seq, &e.Chain, &e.ChainSeq, &e.format, &at, &e.Actor, &e.Action, &e.ObjectType, &e.ObjectID, &e.Tenant, &outcome, &details, &e.KeyID, &e.PrevHash, &e.Hash); err != nil {
			return nil, fmt.Errorf("audit: list: %w", err)
		}
		e.Outcome = Outcome(outcome)
		e.At, _ = time.Parse(time.RFC3339Nano, at)
		_ = json.Unmarshal([]byte(details), &e.Details)
		out = append(out, e)
	}
	return out, rows.Err()
}

// hash computes the chain HMAC of e over an unambiguous encoding of its
// fields (each length-prefixed) and the predecessor's hash.
func (l *Log) hash(e Entry) (string, error) {
	key, err := l.keys.DeriveKeyFor(e.KeyID, keyPurpose)
	if err != nil {
		return "", fmt.Errorf("audit: key %s: %w", e.KeyID, err)
	}
	details, err := canonicalDetails(e.Details)
	if err != nil {
		return "", err
	}
	m := hmac.New(sha256.New, key)
	var lenBuf [binary.MaxVarintLen64]byte
	fields := []string{"ozgo-audit-v1", strconv.FormatInt(e.Seq, 10)}
	if e.format >= 2 {
		fields = []string{"ozgo-audit-v2", strconv.FormatInt(e.Seq, 10), strconv.Itoa(e.Chain), strconv.FormatInt(e.ChainSeq, 10)}
	}
	fields = append(fields, formatTime(e.At),
		e.Actor, e.Action, e.ObjectType, e.ObjectID, e.Tenant, string(e.Outcome),
		details, e.KeyID, e.PrevHash)
	for _, f := range fields {
		n := binary.PutUvarint(lenBuf[:], uint64(len(f)))
		m.Write(lenBuf[:n])
		m.Write([]byte(f))
	}
	return hex.EncodeToString(m.Sum(nil)), nil
}

// canonicalDetails encodes details as JSON with sorted keys ("{}" when empty).
func canonicalDetails(d map[string]string) (string, error) {
	if len(d) == 0 {
		return "{}", nil
	}
	b, err := json.Marshal(d) // encoding/json sorts map keys
	if err != nil {
		return "", fmt.Errorf("audit: details: %w", err)
	}
	return string(b), nil
}

func formatTime(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }
