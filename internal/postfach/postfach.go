// Package postfach is the back channel between an authority and an
// applicant: messages both ways tied to a case (questions, requests for
// documents with a due date, Bescheide, notices; answers, objections),
// attachments, read and archive marks, proof of access for Bescheide, the
// state history of cases for the status monitor ("Meine Anträge"), and
// e-mail notifications that carry no content.
//
// Messages are sealed at rest and never changed after sending. Access is
// decided by identity.Authorize: applicants see the messages of their
// party, staff those of their tenant; everybody else gets NotFound.
package postfach

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ozgo/ozgo/internal/audit"
	"github.com/ozgo/ozgo/internal/blob"
	"github.com/ozgo/ozgo/internal/crypt"
	"github.com/ozgo/ozgo/internal/errs"
	"github.com/ozgo/ozgo/internal/identity"
	"github.com/ozgo/ozgo/internal/search"
	"github.com/ozgo/ozgo/internal/store"
)

// Kind is what a message is.
type Kind string

// The kinds of messages. The first four come from the authority.
const (
	Frage         Kind = "frage"         // a question
	Nachforderung Kind = "nachforderung" // a request for documents, with a due date
	Bescheid      Kind = "bescheid"      // the formal decision
	Mitteilung    Kind = "mitteilung"    // a plain notice
	Antwort       Kind = "antwort"       // the applicant's answer
	Widerspruch   Kind = "widerspruch"   // the applicant's objection
	Nachricht     Kind = "nachricht"     // another message from the applicant
)

// Zahlungsaufforderung, from the authority, asks for a deferred fee with a
// due date and the link to the case's payment page (internal/payment,
// case.go).
const Zahlungsaufforderung Kind = "zahlungsaufforderung"

// Outgoing reports whether k is sent by the authority.
func (k Kind) Outgoing() bool {
	return k == Frage || k == Nachforderung || k == Bescheid || k == Mitteilung || k == Zahlungsaufforderung
}

// Valid reports whether k is a known kind.
func (k Kind) Valid() bool {
	switch k {
	case Frage, Nachforderung, Bescheid, Mitteilung, Zahlungsaufforderung, Antwort, Widerspruch, Nachricht:
		return true
	}
	return false
}

// Case states, in the order a case usually goes through them.
const (
	StateEingegangen   = "eingegangen"
	StateInBearbeitung = "in_bearbeitung"
	StateRueckfrage    = "rueckfrage"
	StateBewilligt     = "bewilligt"
	StateAbgelehnt     = "abgelehnt"
	StateErledigt      = "erledigt"
	StateArchiviert    = "archiviert"
)

// CaseStates lists the states.
var CaseStates = []string{StateEingegangen, StateInBearbeitung, StateRueckfrage, StateBewilligt, StateAbgelehnt, StateErledigt, StateArchiviert}

// Decided reports whether a state is a decision ("entschieden").
func Decided(state string) bool {
	return state == StateBewilligt || state == StateAbgelehnt || state == StateErledigt
}

// Message is one message.
type Message struct {
	ID          string
	CaseID      string
	Owner       string // the applicant's party
	TenantID    string
	Outgoing    bool
	Kind        Kind
	Subject     string
	Body        string
	DueDate     string // YYYY-MM-DD or ""
	ReplyTo     string
	SentBy      string
	Sent        time.Time
	Read        time.Time
	Archived    time.Time
	Attachments []Attachment
}

// Unread reports whether the message is unread by its recipient.
func (m *Message) Unread() bool { return m.Read.IsZero() }

// Attachment is a file of a message.
type Attachment struct {
	ID        string
	BlobID    string
	Name      string
	MediaType string
	Size      int64
	SHA256    string
}

// NewFile is a file to attach, already checked and stored in the blob
// store by the caller (type and size like form uploads).
type NewFile struct {
	BlobID    string
	Name      string
	MediaType string
	Size      int64
	SHA256    string
}

// Case is what the Postfach needs to know of a case: whose it is and
// which tenant works it.
type Case struct {
	ID       string
	Owner    string
	TenantID string
	// Reference is the Vorgangsnummer shown to people.
	Reference string
}

// Cases finds cases by id; the submission pipeline implements it.
type Cases interface {
	Case(ctx context.Context, id string) (*Case, error)
}

// Notifier queues the e-mail about a new message.
type Notifier interface {
	Notify(ctx context.Context, tx *store.Tx, party string) error
}

// Service is the Postfach.
type Service struct {
	DB       *store.DB
	Keys     *crypt.Keyring
	Blobs    blob.Store
	Audit    *audit.Log
	Cases    Cases
	Notifier Notifier
	// OnDecided runs inside the transaction that records a case's first
	// decision (bewilligt, abgelehnt or erledigt), for the monthly
	// statistics; its error undoes the decision.
	OnDecided func(ctx context.Context, tx *store.Tx, caseID string) error
	Now       func() time.Time
}

func (s *Service) now() time.Time {
	if s.Now == nil {
		return time.Now()
	}
	return s.Now()
}

// MaxBody is the longest message text in characters.
const MaxBody = 20000

type content struct {
	Subject string `json:"s"`
	Body    string `json:"b"`
}

func contentAD(id string) []byte { return []byte("postfach message " + id) }

func (s *Service) object(c *Case) identity.Object {
	return identity.Object{Type: "case", Owner: c.Owner, TenantID: c.TenantID}
}

// caseFor loads a case and checks that a may do action on it.
func (s *Service) caseFor(ctx context.Context, a *identity.Actor, caseID string, action identity.Action) (*Case, error) {
	c, err := s.Cases.Case(ctx, caseID)
	if err != nil {
		return nil, err
	}
	// A case is seen by its applicant (owner) and worked by the staff of
	// its tenant; Authorize knows both sides, and answers NotFound to
	// everybody else.
	o := s.object(c)
	if a.Kind == identity.KindCitizen {
		o.TenantID = ""
	} else {
		o.Owner = ""
	}
	if err := identity.Authorize(a, action, o); err != nil {
		return nil, err
	}
	return c, nil
}

// Draft is a message to send.
type Draft struct {
	CaseID  string
	Kind    Kind
	Subject string
	Body    string
	DueDate string // YYYY-MM-DD, for Nachforderung
	ReplyTo string
	Files   []NewFile
}

func (d *Draft) check(outgoing bool) error {
	d.Subject, d.Body = strings.TrimSpace(d.Subject), strings.TrimSpace(d.Body)
	if !d.Kind.Valid() || d.Kind.Outgoing() != outgoing {
		return errs.FieldError("kind", "postfach.error.kind")
	}
	if d.Body == "" && len(d.Files) == 0 {
		return errs.FieldError("body", "postfach.error.body_missing")
	}
	if utf8.RuneCountInString(d.Body) > MaxBody {
		return errs.FieldError("body", "postfach.error.body_long", MaxBody)
	}
	if utf8.RuneCountInString(d.Subject) > 200 {
		return errs.FieldError("subject", "postfach.error.subject_long")
	}
	if d.DueDate != "" {
		if _, err := time.Parse("2006-01-02", d.DueDate); err != nil {
			return errs.FieldError("due", "postfach.error.due")
		}
	}
	if d.Kind == Nachforderung && d.DueDate == "" {
		return errs.FieldError("due", "postfach.error.due_missing")
	}
	return nil
}

// Send stores a message from the authority to the applicant of a case
// (staff of the case's tenant only), queues the e-mail notification and
// records delivery, all in one transaction.
func (s *Service) Send(ctx context.Context, a *identity.Actor, d Draft) (*Message, error) {
	c, err := s.caseFor(ctx, a, d.CaseID, identity.ActionWork)
	if err != nil {
		return nil, err
	}
	return s.SendAs(ctx, a.ID(), c, d)
}

// SendAs is Send for a caller that has authorized the sender itself (a
// Fachverfahren through the API, authenticated as the destination's
// client).
func (s *Service) SendAs(ctx context.Context, sender string, c *Case, d Draft) (*Message, error) {
	if c.Owner == "" {
		// An application from an external FIT-Connect sender: nobody in
		// ozgo to deliver to.
		return nil, errs.FieldError("text", "postfach.error.no_backchannel")
	}
	if err := d.check(true); err != nil {
		return nil, err
	}
	return s.store(ctx, sender, c, d, true)
}

// Reply stores a message from the applicant about a case: an answer, an
// objection or another message, with attachments.
func (s *Service) Reply(ctx context.Context, a *identity.Actor, d Draft) (*Message, error) {
	c, err := s.caseFor(ctx, a, d.CaseID, identity.ActionEdit)
	if err != nil {
		return nil, err
	}
	if err := d.check(false); err != nil {
		return nil, err
	}
	if d.ReplyTo != "" {
		var caseID string
		err := s.DB.QueryRowContext(ctx, `SELECT case_id FROM messages WHERE id = ?`, d.ReplyTo).Scan(&caseID)
		if errors.Is(err, sql.ErrNoRows) || (err == nil && caseID != c.ID) {
			return nil, errs.E(errs.NotFound, "")
		}
		if err != nil {
			return nil, err
		}
	}
	return s.store(ctx, a.ID(), c, d, false)
}

func (s *Service) store(ctx context.Context, sender string, c *Case, d Draft, outgoing bool) (*Message, error) {
	m := &Message{ID: newID(), CaseID: c.ID, Owner: c.Owner, TenantID: c.TenantID, Outgoing: outgoing, Kind: d.Kind,
		Subject: d.Subject, Body: d.Body, DueDate: d.DueDate, ReplyTo: d.ReplyTo, SentBy: sender, Sent: s.now()}
	raw, err := json.Marshal(content{Subject: d.Subject, Body: d.Body})
	if err != nil {
		return nil, err
	}
	sealed, err := s.Keys.Seal(raw, contentAD(m.ID))
	if err != nil {
		return nil, err
	}
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO messages (id, case_id, owner, tenant_id, outgoing, kind, content, due_date, reply_to, sent_by, sent_at, read_at, archived_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '', '')`, m.ID, c.ID, c.Owner, c.TenantID, outgoing, string(d.Kind), sealed, d.DueDate, d.ReplyTo, sender, store.FormatTime(m.Sent)); err != nil {
			return err
		}
		for _, f := range d.Files {
			att := Attachment{ID: newID(), BlobID: f.BlobID, Name: f.Name, MediaType: f.MediaType, Size: f.Size, SHA256: f.SHA256}
			if _, err := tx.ExecContext(ctx, `INSERT INTO message_attachments (id, message_id, blob_id, name, media_type, size, sha256) VALUES (?, ?, ?, ?, ?, ?, ?)`,
				att.ID, m.ID, att.BlobID, att.Name, att.MediaType, att.Size, att.SHA256); err != nil {
				return err
			}
			m.Attachments = append(m.Attachments, att)
		}
		if outgoing {
			if err := s.receipt(ctx, tx, m.ID, "delivered", ""); err != nil {
				return err
			}
			if d.Kind == Nachforderung || d.Kind == Frage {
				if err := s.setState(ctx, tx, c.ID, StateRueckfrage, sender); err != nil {
					return err
				}
			}
			if s.Notifier != nil {
				if err := s.Notifier.Notify(ctx, tx, c.Owner); err != nil {
					return err
				}
			}
		}
		_, err := s.Audit.Append(ctx, tx, audit.Entry{Actor: sender, Action: "postfach.sent", ObjectType: "message", ObjectID: m.ID, Tenant: c.TenantID, Outcome: audit.Success,
			Details: map[string]string{"case": c.ID, "kind": string(d.Kind), "attachments": fmt.Sprint(len(d.Files))}})
		return err
	})
	if err != nil {
		return nil, err
	}
	return m, nil
}

func (s *Service) receipt(ctx context.Context, q store.Querier, msgID, event, detail string) error {
	_, err := q.ExecContext(ctx, `INSERT INTO message_receipts (message_id, event, detail, at) VALUES (?, ?, ?, ?)`, msgID, event, detail, store.FormatTime(s.now()))
	return err
}

const msgCols = `id, case_id, owner, tenant_id, outgoing, kind, content, due_date, reply_to, sent_by, sent_at, read_at, archived_at`

func (s *Service) scan(row interface{ Scan(...any) error }) (*Message, error) {
	var m Message
	var kind, sent, read, archived string
	var sealed []byte
	if err := row.Scan(&m.ID, &m.CaseID, &m.Owner, &m.TenantID, &m.Outgoing, &kind, &sealed, &m.DueDate, &m.ReplyTo, &m.SentBy, &sent, &read, &archived); err != nil {
		return nil, err
	}
	m.Kind = Kind(kind)
	m.Sent = store.ParseTime(sent)
	if read != "" {
		m.Read = store.ParseTime(read)
	}
	if archived != "" {
		m.Archived = store.ParseTime(archived)
	}
	raw, err := s.Keys.Open(sealed, contentAD(m.ID))
	if err != nil {
		return nil, fmt.Errorf("postfach: open message %s: %w", m.ID, err)
	}
	var c content
	if err := json.Unmarshal(raw, &c); err != nil {
		return nil, err
	}
	m.Subject, m.Body = c.Subject, c.Body
	return &m, nil
}

// visible reports whether a may see m: its applicant's party, or staff
// of its tenant.
func visible(a *identity.Actor, m *Message) bool {
	o := identity.Object{Type: "message"}
	if a.Kind == identity.KindCitizen {
		o.Owner = m.Owner
	} else {
		o.TenantID = m.TenantID
	}
	return identity.Authorize(a, identity.ActionView, o) == nil
}

// Get returns a message with its attachments. When its recipient opens
// it for the first time it is marked read, and for the authority's
// messages the opening is recorded (proof of access).
func (s *Service) Get(ctx context.Context, a *identity.Actor, id string) (*Message, error) {
	if !a.LoggedIn() {
		return nil, errs.E(errs.Unauthorized, "")
	}
	m, err := s.scan(s.DB.QueryRowContext(ctx, `SELECT `+msgCols+` FROM messages WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errs.E(errs.NotFound, "")
	}
	if err != nil {
		return nil, err
	}
	if !visible(a, m) {
		return nil, errs.E(errs.NotFound, "")
	}
	if m.Attachments, err = s.attachments(ctx, m.ID); err != nil {
		return nil, err
	}
	recipient := (a.Kind == identity.KindCitizen) == m.Outgoing
	if recipient && m.Read.IsZero() {
		m.Read = s.now()
		err := s.DB.InTx(ctx, func(tx *store.Tx) error {
			res, err := tx.ExecContext(ctx, `UPDATE messages SET read_at = ? WHERE id = ? AND read_at = ''`, store.FormatTime(m.Read), m.ID)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 1 && m.Outgoing {
				if err := s.receipt(ctx, tx, m.ID, "opened", ""); err != nil {
					return err
				}
				_, err = s.Audit.Append(ctx, tx, audit.Entry{Actor: a.ID(), Action: "postfach.opened", ObjectType: "message", ObjectID: m.ID, Tenant: m.TenantID, Outcome: audit.Success})
			}
			return err
		})
		if err != nil {
			return nil, err
		}
	}
	return m, nil
}

func (s *Service) attachments(ctx context.Context, msgID string) ([]Attachment, error) {
	rows, err := s.DB.QueryContext(ctx, `SELECT id, blob_id, name, media_type, size, sha256 FROM message_attachments WHERE message_id = ? ORDER BY id`, msgID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Attachment
	for rows.Next() {
		var at Attachment
		if err := rows.Scan(&at.ID, &at.BlobID, &at.Name, &at.MediaType, &at.Size, &at.SHA256); err != nil {
			return nil, err
		}
		out = append(out, at)
	}
	return out, rows.Err()
}

// OpenAttachment returns an attachment's content if a may see its message;
// downloads by the applicant of the authority's messages are recorded.
func (s *Service) OpenAttachment(ctx context.Context, a *identity.Actor, msgID, attID string) (io.ReadCloser, *Attachment, error) {
	m, err := s.Get(ctx, a, msgID)
	if err != nil {
		return nil, nil, err
	}
	for i := range m.Attachments {
		at := &m.Attachments[i]
		if at.ID != attID {
			continue
		}
		rc, _, err := s.Blobs.Open(ctx, at.BlobID)
		if err != nil {
			return nil, nil, err
		}
		if m.Outgoing && a.Kind == identity.KindCitizen {
			if err := s.receipt(ctx, s.DB, m.ID, "downloaded", at.ID); err != nil {
				rc.Close()
				return nil, nil, err
			}
		}
		return rc, at, nil
	}
	return nil, nil, errs.E(errs.NotFound, "")
}

// Filter selects messages in a list.
type Filter struct {
	CaseID   string
	Query    string // words searched in subject, body and file names
	Unread   bool
	Archived bool // the archive instead of the inbox
}

// List returns the messages an applicant (their party's) or a clerk (of
// the cases they may see) has, newest first.
func (s *Service) List(ctx context.Context, a *identity.Actor, f Filter) ([]*Message, error) {
	if !a.LoggedIn() {
		return nil, errs.E(errs.Unauthorized, "")
	}
	var q string
	var args []any
	switch a.Kind {
	case identity.KindCitizen:
		q, args = `SELECT `+msgCols+` FROM messages WHERE owner = ?`, []any{a.Party()}
		if f.Archived {
			q += ` AND archived_at <> ''`
		} else if f.CaseID == "" {
			q += ` AND archived_at = ''`
		}
	default:
		if f.CaseID == "" {
			return nil, errs.E(errs.NotFound, "")
		}
		if _, err := s.caseFor(ctx, a, f.CaseID, identity.ActionView); err != nil {
			return nil, err
		}
		q, args = `SELECT `+msgCols+` FROM messages WHERE tenant_id = ?`, []any{a.TenantID}
	}
	if f.CaseID != "" {
		q += ` AND case_id = ?`
		args = append(args, f.CaseID)
	}
	q += ` ORDER BY sent_at DESC, id`
	all, err := s.query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	var out []*Message
	for _, m := range all {
		if f.Unread && !(m.Unread() && (a.Kind == identity.KindCitizen) == m.Outgoing) {
			continue
		}
		out = append(out, m)
	}
	if strings.TrimSpace(f.Query) != "" {
		out = match(out, f.Query)
	}
	return out, nil
}

// match keeps the messages whose text matches the query. The texts are
// sealed at rest, so the search runs over one person's decrypted
// messages in memory, with the same German folding as the catalog.
func match(ms []*Message, q string) []*Message {
	docs := make([]search.Doc, len(ms))
	for i, m := range ms {
		var names []string
		for _, a := range m.Attachments {
			names = append(names, a.Name)
		}
		docs[i] = search.Doc{ID: i, Text: m.Subject, Extra: append([]string{m.Body}, names...)}
	}
	keep := make([]bool, len(ms))
	for _, h := range search.Build(docs).Search(q, nil) {
		keep[h.ID] = true
	}
	var out []*Message
	for i, m := range ms {
		if keep[i] {
			out = append(out, m)
		}
	}
	return out
}

// Archive moves a message of the applicant to the archive, or back.
func (s *Service) Archive(ctx context.Context, a *identity.Actor, id string, archived bool) error {
	m, err := s.Get(ctx, a, id)
	if err != nil {
		return err
	}
	if a.Kind != identity.KindCitizen {
		return errs.E(errs.NotFound, "")
	}
	at := ""
	if archived {
		at = store.FormatTime(s.now())
	}
	_, err = s.DB.ExecContext(ctx, `UPDATE messages SET archived_at = ? WHERE id = ?`, at, m.ID)
	return err
}

// Unread counts the applicant's unread messages from authorities.
func (s *Service) Unread(ctx context.Context, a *identity.Actor) (int, error) {
	if a.Kind != identity.KindCitizen {
		return 0, nil
	}
	var n int
	err := s.DB.QueryRowContext(ctx, `SELECT COUNT(*) FROM messages WHERE owner = ? AND outgoing = ? AND read_at = '' AND archived_at = ''`, a.Party(), true).Scan(&n)
	return n, err
}

// Receipts returns the proof-of-access events of a message for staff.
func (s *Service) Receipts(ctx context.Context, a *identity.Actor, id string) ([]Receipt, error) {
	m, err := s.Get(ctx, a, id)
	if err != nil {
		return nil, err
	}
	rows, err := s.DB.QueryContext(ctx, `SELECT event, detail, at FROM message_receipts WHERE message_id = ? ORDER BY id`, m.ID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Receipt
	for rows.Next() {
		var r Receipt
		var at string
		if err := rows.Scan(&r.Event, &r.Detail, &at); err != nil {
			return nil, err
		}
		r.At = store.ParseTime(at)
		out = append(out, r)
	}
	return out, rows.Err()
}

// Receipt is one proof-of-access event.
type Receipt struct {
	Event  string
	Detail string
	At     time.Time
}

// State is one entry of a case's history.
type State struct {
	State string
	At    time.Time
	Actor string
}

// SetState records a new state of a case (staff of its tenant).
func (s *Service) SetState(ctx context.Context, a *identity.Actor, caseID, state string) error {
	if _, err := s.caseFor(ctx, a, caseID, identity.ActionWork); err != nil {
		return err
	}
	return s.DB.InTx(ctx, func(tx *store.Tx) error { return s.setState(ctx, tx, caseID, state, a.ID()) })
}

// RecordState records a state for a caller that authorized itself (the
// submission pipeline on receipt, a Fachverfahren through the API).
func (s *Service) RecordState(ctx context.Context, tx *store.Tx, caseID, state, actor string) error {
	return s.setState(ctx, tx, caseID, state, actor)
}

func (s *Service) setState(ctx context.Context, tx *store.Tx, caseID, state, actor string) error {
	ok := false
	for _, st := range CaseStates {
		ok = ok || st == state
	}
	if !ok {
		return errs.FieldError("state", "postfach.error.state")
	}
	first := false
	if Decided(state) && s.OnDecided != nil {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM case_states WHERE case_id = ? AND state IN (?, ?, ?)`,
			caseID, StateBewilligt, StateAbgelehnt, StateErledigt).Scan(&n); err != nil {
			return err
		}
		first = n == 0
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO case_states (case_id, state, at, actor) VALUES (?, ?, ?, ?)`, caseID, state, store.FormatTime(s.now()), actor); err != nil {
		return err
	}
	if first {
		return s.OnDecided(ctx, tx, caseID)
	}
	return nil
}

// History returns a case's states, oldest first, for its applicant or
// the staff of its tenant.
func (s *Service) History(ctx context.Context, a *identity.Actor, caseID string) ([]State, error) {
	if _, err := s.caseFor(ctx, a, caseID, identity.ActionView); err != nil {
		return nil, err
	}
	return s.history(ctx, caseID)
}

func (s *Service) history(ctx context.Context, caseID string) ([]State, error) {
	rows, err := s.DB.QueryContext(ctx, `SELECT state, at, actor FROM case_states WHERE case_id = ? ORDER BY id`, caseID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []State
	for rows.Next() {
		var st State
		var at string
		if err := rows.Scan(&st.State, &at, &st.Actor); err != nil {
			return nil, err
		}
		st.At = store.ParseTime(at)
		out = append(out, st)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].At.Before(out[j].At) })
	return out, rows.Err()
}

func newID() string { return identity.NewToken()[:32] }

// CaseMessages returns all messages of a case, newest first, for a caller
// that authorized itself for the case (the back-channel API).
func (s *Service) CaseMessages(ctx context.Context, caseID string) ([]*Message, error) {
	return s.query(ctx, `SELECT `+msgCols+` FROM messages WHERE case_id = ? ORDER BY sent_at DESC, id`, caseID)
}

// query loads the messages a query selects, with their attachments.
func (s *Service) query(ctx context.Context, q string, args ...any) ([]*Message, error) {
	rows, err := s.DB.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	var out []*Message
	for rows.Next() {
		m, err := s.scan(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, m)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for _, m := range out {
		if m.Attachments, err = s.attachments(ctx, m.ID); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// CaseAttachment opens a file of a message of a case, for a caller that
// authorized itself for the case.
func (s *Service) CaseAttachment(ctx context.Context, caseID, msgID, attID string) (io.ReadCloser, *Attachment, error) {
	var blobID string
	at := &Attachment{ID: attID}
	err := s.DB.QueryRowContext(ctx, `SELECT a.blob_id, a.name, a.media_type, a.size, a.sha256 FROM message_attachments a JOIN messages m ON m.id = a.message_id
		WHERE a.id = ? AND m.id = ? AND m.case_id = ?`, attID, msgID, caseID).Scan(&blobID, &at.Name, &at.MediaType, &at.Size, &at.SHA256)
	if err != nil {
		return nil, nil, errs.E(errs.NotFound, "")
	}
	at.BlobID = blobID
	rc, _, err := s.Blobs.Open(ctx, blobID)
	if err != nil {
		return nil, nil, err
	}
	return rc, at, nil
}
