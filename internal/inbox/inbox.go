// Package inbox is the clerk workspace ("Sachbearbeitung") for
// authorities without a Fachverfahren: the applications of a tenant with
// filters, search by case number and by the applicant's name (through an
// index of keyed hashes, no plaintext), assignment, notes, the case
// states, and the decision with a Bescheid delivered to the applicant's
// Postfach.
//
// Only staff of the case's tenant see a case (identity.Authorize); the
// applications themselves stay sealed at rest and are opened on demand.
package inbox

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"
	"unicode"

	"golang.org/x/text/unicode/norm"

	"github.com/ozgo/ozgo/internal/audit"
	"github.com/ozgo/ozgo/internal/crypt"
	"github.com/ozgo/ozgo/internal/errs"
	"github.com/ozgo/ozgo/internal/fitconnect"
	"github.com/ozgo/ozgo/internal/form"
	"github.com/ozgo/ozgo/internal/identity"
	"github.com/ozgo/ozgo/internal/postfach"
	"github.com/ozgo/ozgo/internal/store"
)

// Service is the clerk workspace.
type Service struct {
	DB       *store.DB
	Keys     *crypt.Keyring
	Audit    *audit.Log
	Drafts   *form.Drafts
	Postfach *postfach.Service
	// Models gives the form model of an application, to find its name
	// fields.
	Models func(ctx context.Context, formID, version string) (*form.Model, error)
	// FC is the Zustelldienst the workspace acknowledges submissions to.
	FC  *fitconnect.Service
	Now func() time.Time
}

func (s *Service) now() time.Time {
	if s.Now == nil {
		return time.Now()
	}
	return s.Now()
}

// Case is one application in the workspace.
type Case struct {
	ID        string
	Reference string
	Service   string
	Owner     string
	TenantID  string
	Submitted time.Time
	State     string
	Assignee  string
	// External: the application came from a FIT-Connect sender other
	// than ozgo's online services; it has no ozgo account as owner, so no
	// Postfach back channel.
	External bool
}

// caseCols selects a case from the union of ozgo's own applications of
// a tenant and the workspace's copies of external senders' submissions.
const caseUnion = `(SELECT s.id, s.reference, s.service, s.owner, s.tenant_id, s.submitted_at, 0 AS external FROM submissions s WHERE s.tenant_id <> ''
		UNION ALL
		SELECT c.id, c.reference, c.service, '', c.tenant_id, c.submitted_at, 1 FROM inbox_cases c WHERE c.submission_id = '')`

const caseCols = `s.id, s.reference, s.service, s.owner, s.tenant_id, s.submitted_at,
		COALESCE((SELECT c.state FROM case_states c WHERE c.case_id = s.id ORDER BY c.id DESC LIMIT 1), ''),
		COALESCE((SELECT x.assignee FROM inbox_assignments x WHERE x.case_id = s.id), ''), s.external`

// Filter selects cases.
type Filter struct {
	State    string // "" for all open ones, "alle" for all
	Service  string
	From, To time.Time // submitted within [From, To)
	Assignee string    // staff id, "-" for unassigned
	Query    string    // a Vorgangsnummer or words of the applicant's name
}

// authorize checks that a is staff of tenant doing action.
func authorize(a *identity.Actor, tenant string, action identity.Action) error {
	return identity.Authorize(a, action, identity.Object{Type: "case", TenantID: tenant})
}

// List returns the cases of the actor's tenant that match f, newest first.
func (s *Service) List(ctx context.Context, a *identity.Actor, f Filter) ([]Case, error) {
	if !a.LoggedIn() {
		return nil, errs.E(errs.Unauthorized, "")
	}
	if a.Kind != identity.KindStaff || a.TenantID == "" {
		return nil, errs.E(errs.NotFound, "")
	}
	if err := authorize(a, a.TenantID, identity.ActionView); err != nil {
		return nil, err
	}
	if a.TenantKey == nil {
		return nil, ErrKeyLocked
	}
	// Submissions waiting at the Zustelldienst are copied first (as
	// ciphertext; the background worker does the same).
	if _, err := s.Pickup(ctx, a.TenantID); err != nil {
		return nil, err
	}
	if err := s.indexTenant(ctx, a, a.TenantID); err != nil {
		return nil, err
	}
	q := `SELECT ` + caseCols + ` FROM ` + caseUnion + ` s WHERE s.tenant_id = ?`
	args := []any{a.TenantID}
	if f.Service != "" {
		q += ` AND s.service = ?`
		args = append(args, f.Service)
	}
	if !f.From.IsZero() {
		q += ` AND s.submitted_at >= ?`
		args = append(args, store.FormatTime(f.From))
	}
	if !f.To.IsZero() {
		q += ` AND s.submitted_at < ?`
		args = append(args, store.FormatTime(f.To))
	}
	if query := strings.TrimSpace(f.Query); query != "" {
		if looksLikeReference(query) {
			q += ` AND s.reference = ?`
			args = append(args, strings.ToUpper(query))
		} else {
			hashes := nameHashes(nameKey(a.TenantKey, a.TenantID), query)
			if len(hashes) == 0 {
				return nil, nil
			}
			// Every word of the query must be a name word of the case.
			for _, h := range hashes {
				q += ` AND EXISTS (SELECT 1 FROM inbox_name_index i WHERE i.case_id = s.id AND i.tenant_id = ? AND i.hash = ?)`
				args = append(args, a.TenantID, h)
			}
		}
	}
	q += ` ORDER BY s.submitted_at DESC, s.id LIMIT 500`
	rows, err := s.DB.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Case
	for rows.Next() {
		var c Case
		var at string
		if err := rows.Scan(&c.ID, &c.Reference, &c.Service, &c.Owner, &c.TenantID, &at, &c.State, &c.Assignee, &c.External); err != nil {
			return nil, err
		}
		c.Submitted = store.ParseTime(at)
		if c.State == "" {
			c.State = postfach.StateEingegangen
		}
		switch {
		case f.State == "alle":
		case f.State == "" && (c.State == postfach.StateArchiviert):
			continue
		case f.State != "" && f.State != c.State:
			continue
		}
		if f.Assignee == "-" && c.Assignee != "" || f.Assignee != "" && f.Assignee != "-" && f.Assignee != c.Assignee {
			continue
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

func looksLikeReference(q string) bool {
	q = strings.ToUpper(q)
	if len(q) != 14 || q[4] != '-' || q[9] != '-' {
		return false
	}
	for i, c := range q {
		if i == 4 || i == 9 {
			continue
		}
		if !(c >= '0' && c <= '9' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return true
}

// Get returns a case of the actor's tenant with its application opened.
func (s *Service) Get(ctx context.Context, a *identity.Actor, id string) (*Case, *form.Submission, error) {
	c, err := s.load(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	if err := authorize(a, c.TenantID, identity.ActionView); err != nil {
		return nil, nil, err
	}
	sub, err := s.open(ctx, a.TenantKey, c)
	if err != nil {
		return nil, nil, err
	}
	return c, sub, nil
}

// open opens the application of a case from the workspace's copy, with
// the destination's key: an external sender's always; ozgo's own once it
// was picked up (it is before it is accepted), with the form and owner
// from its unsealed columns. Only an own application not picked up yet is
// read from its citizen-side record (see docs/schluessel.md). Both need
// the session's tenant key, so a locked session opens nothing.
func (s *Service) open(ctx context.Context, tenantKey []byte, c *Case) (*form.Submission, error) {
	if tenantKey == nil {
		return nil, ErrKeyLocked
	}
	copyID, err := s.copyOf(ctx, c)
	if err != nil {
		return nil, err
	}
	if copyID == "" {
		return s.Drafts.OpenSubmission(ctx, c.ID)
	}
	o, err := s.openCopy(ctx, tenantKey, copyID)
	if err != nil {
		return nil, err
	}
	sub := externalSubmission(c, o)
	if !c.External {
		// The data and files sent are the application as submitted
		// (submission/delivery.go sends the instance, then the form PDF,
		// then the applicant's files in order); the form it was made with
		// is not secret.
		if err := s.DB.QueryRowContext(ctx, `SELECT owner, form_id, form_version FROM submissions WHERE id = ?`, c.ID).Scan(&sub.Owner, &sub.FormID, &sub.Version); err != nil {
			return nil, err
		}
	}
	return sub, nil
}

// copyOf is the workspace's copy of a case: the case itself for an
// external sender's, the picked-up copy of ozgo's own, "" when there is
// none yet.
func (s *Service) copyOf(ctx context.Context, c *Case) (string, error) {
	if c.External {
		return c.ID, nil
	}
	var id string
	err := s.DB.QueryRowContext(ctx, `SELECT id FROM inbox_cases WHERE submission_id = ?`, c.ID).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return id, err
}

func (s *Service) load(ctx context.Context, id string) (*Case, error) {
	var c Case
	var at string
	err := s.DB.QueryRowContext(ctx, `SELECT `+caseCols+` FROM `+caseUnion+` s WHERE s.id = ?`, id).
		Scan(&c.ID, &c.Reference, &c.Service, &c.Owner, &c.TenantID, &at, &c.State, &c.Assignee, &c.External)
	if err != nil {
		return nil, errs.E(errs.NotFound, "")
	}
	c.Submitted = store.ParseTime(at)
	if c.State == "" {
		c.State = postfach.StateEingegangen
	}
	return &c, nil
}

// Assign gives a case to a clerk of its tenant ("" takes it back).
func (s *Service) Assign(ctx context.Context, a *identity.Actor, id, assignee string) error {
	c, err := s.load(ctx, id)
	if err != nil {
		return err
	}
	if err := authorize(a, c.TenantID, identity.ActionWork); err != nil {
		return err
	}
	return s.DB.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM inbox_assignments WHERE case_id = ?`, id); err != nil {
			return err
		}
		if assignee != "" {
			if _, err := tx.ExecContext(ctx, `INSERT INTO inbox_assignments (case_id, assignee, updated_at) VALUES (?, ?, ?)`, id, assignee, store.FormatTime(s.now())); err != nil {
				return err
			}
		}
		_, err := s.Audit.Append(ctx, tx, audit.Entry{Actor: a.ID(), Action: "case.assigned", ObjectType: "case", ObjectID: id, Tenant: c.TenantID, Outcome: audit.Success,
			Details: map[string]string{"assignee": assignee}})
		return err
	})
}

// SetState moves a case to a new state (in_bearbeitung, rueckfrage,
// bewilligt, abgelehnt, erledigt, archiviert).
func (s *Service) SetState(ctx context.Context, a *identity.Actor, id, state string) error {
	c, err := s.load(ctx, id)
	if err != nil {
		return err
	}
	if err := authorize(a, c.TenantID, identity.ActionWork); err != nil {
		return err
	}
	if state != postfach.StateEingegangen && state != postfach.StateArchiviert {
		// Working or deciding a case means the authority has received it:
		// tell the Zustelldienst (accept-submission) first, so a failure
		// there leaves the state unchanged and the clerk can try again.
		if err := s.accept(ctx, a.TenantKey, id); err != nil {
			return err
		}
	}
	return s.DB.InTx(ctx, func(tx *store.Tx) error {
		if err := s.Postfach.RecordState(ctx, tx, id, state, a.ID()); err != nil {
			return err
		}
		_, err := s.Audit.Append(ctx, tx, audit.Entry{Actor: a.ID(), Action: "case.state", ObjectType: "case", ObjectID: id, Tenant: c.TenantID, Outcome: audit.Success,
			Details: map[string]string{"state": state}})
		return err
	})
}

// Note is a clerk's internal note on a case.
type Note struct {
	Author string
	Text   string
	At     time.Time
}

// noteKey is the key of a tenant's internal notes, derived from the
// tenant key (HMAC-SHA256 as a PRF); nil tenant keys give a key that
// opens nothing.
func noteKey(tenantKey []byte, tenant string) []byte {
	if tenantKey == nil {
		return nil
	}
	m := hmac.New(sha256.New, tenantKey)
	m.Write([]byte("inbox-notes-v1:" + tenant))
	return m.Sum(nil)
}

// AddNote stores an internal note (sealed under a key derived from the
// tenant key; never shown to the applicant).
func (s *Service) AddNote(ctx context.Context, a *identity.Actor, id, text string) error {
	c, err := s.load(ctx, id)
	if err != nil {
		return err
	}
	if err := authorize(a, c.TenantID, identity.ActionWork); err != nil {
		return err
	}
	text = strings.TrimSpace(text)
	if text == "" {
		return errs.FieldError("notiz", "inbox.error.note_missing")
	}
	if len([]rune(text)) > 10000 {
		return errs.FieldError("notiz", "inbox.error.note_long")
	}
	if a.TenantKey == nil {
		return ErrKeyLocked
	}
	nid := identity.NewToken()[:32]
	sealed, err := crypt.SealWith(noteKey(a.TenantKey, c.TenantID), []byte(text), []byte("inbox note "+nid))
	if err != nil {
		return err
	}
	return s.DB.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO inbox_notes (id, case_id, author, content, created_at) VALUES (?, ?, ?, ?, ?)`, nid, id, a.ID(), sealed, store.FormatTime(s.now())); err != nil {
			return err
		}
		_, err := s.Audit.Append(ctx, tx, audit.Entry{Actor: a.ID(), Action: "case.note", ObjectType: "case", ObjectID: id, Tenant: c.TenantID, Outcome: audit.Success})
		return err
	})
}

// Notes returns the notes of a case, oldest first.
func (s *Service) Notes(ctx context.Context, a *identity.Actor, id string) ([]Note, error) {
	c, err := s.load(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := authorize(a, c.TenantID, identity.ActionView); err != nil {
		return nil, err
	}
	rows, err := s.DB.QueryContext(ctx, `SELECT id, author, content, created_at FROM inbox_notes WHERE case_id = ? ORDER BY created_at, id`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Note
	for rows.Next() {
		var nid, at string
		var n Note
		var sealed []byte
		if err := rows.Scan(&nid, &n.Author, &sealed, &at); err != nil {
			return nil, err
		}
		// Notes are sealed under a key derived from the tenant key; notes
		// written before the tenant key model are under the master key.
		plain, err := crypt.OpenWith(noteKey(a.TenantKey, c.TenantID), sealed, []byte("inbox note "+nid))
		if err != nil {
			if plain, err = s.Keys.Open(sealed, []byte("inbox note "+nid)); err != nil {
				return nil, ErrKeyLocked
			}
		}
		n.Text, n.At = string(plain), store.ParseTime(at)
		out = append(out, n)
	}
	return out, rows.Err()
}

// nameWords splits and normalises a name: case, accents and ß folded
// ("Müller" = "mueller" = "muller"), so clerks find what they type.
func nameWords(s string) []string {
	s = strings.ToLower(norm.NFC.String(s))
	r := strings.NewReplacer("ä", "a", "ö", "o", "ü", "u", "ß", "ss", "ae", "a", "oe", "o", "ue", "u")
	var out []string
	for _, w := range strings.FieldsFunc(s, func(c rune) bool { return !unicode.IsLetter(c) }) {
		w = r.Replace(w)
		w = strings.Map(func(c rune) rune {
			if c < 128 {
				return c
			}
			// Other accented letters: their base letter.
			d := norm.NFD.String(string(c))
			return rune(d[0])
		}, w)
		if len(w) >= 2 {
			out = append(out, w)
		}
	}
	return out
}

func nameHashes(key []byte, text string) []string {
	var out []string
	seen := map[string]bool{}
	for _, w := range nameWords(text) {
		m := hmac.New(sha256.New, key)
		m.Write([]byte(w))
		h := hex.EncodeToString(m.Sum(nil))[:32]
		if !seen[h] {
			seen[h] = true
			out = append(out, h)
		}
	}
	sort.Strings(out)
	return out
}

// indexTenant adds the name index of cases of tenant not indexed yet. It
// opens the applications, so it runs for a clerk whose session holds the
// tenant key; the index holds keyed hashes only.
func (s *Service) indexTenant(ctx context.Context, a *identity.Actor, tenant string) error {
	key := nameKey(a.TenantKey, tenant)
	rows, err := s.DB.QueryContext(ctx, `SELECT s.id FROM `+caseUnion+` s WHERE s.tenant_id = ? AND s.id NOT IN (SELECT case_id FROM inbox_indexed) LIMIT 200`, tenant)
	if err != nil {
		return err
	}
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return err
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, id := range ids {
		c, err := s.load(ctx, id)
		if err != nil {
			return err
		}
		sub, err := s.open(ctx, a.TenantKey, c)
		if err != nil {
			return err
		}
		var keys map[string]bool
		if s.Models != nil {
			if m, err := s.Models(ctx, sub.FormID, sub.Version); err == nil {
				keys = nameKeys(m)
			}
		}
		if keys == nil {
			// No form model (an external sender's application): the
			// fields whose JSON key names a name.
			keys = nameKeysOf(sub.Data)
		}
		names := applicantNames(sub.Data, keys)
		hashes := nameHashes(key, strings.Join(names, " "))
		err = s.DB.InTx(ctx, func(tx *store.Tx) error {
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM inbox_indexed WHERE case_id = ?`, id).Scan(&n); err != nil || n > 0 {
				return err
			}
			for _, h := range hashes {
				if _, err := tx.ExecContext(ctx, `INSERT INTO inbox_name_index (case_id, tenant_id, hash) VALUES (?, ?, ?)`, id, tenant, h); err != nil {
					return err
				}
			}
			_, err := tx.ExecContext(ctx, `INSERT INTO inbox_indexed (case_id) VALUES (?)`, id)
			return err
		})
		if err != nil {
			return fmt.Errorf("inbox: index case %s: %w", id, err)
		}
	}
	return nil
}

// nameWordsInLabels mark the fields that hold a person's or an
// organisation's name, by their FIM name.
var nameWordsInLabels = []string{"familienname", "vorname", "geburtsname", "nachname", "organisationsname", "name juristische person", "eingetragener name"}

// nameKeys returns the JSON keys of the name fields of a form.
func nameKeys(m *form.Model) map[string]bool {
	keys := map[string]bool{}
	var walk func(n *form.Node)
	walk = func(n *form.Node) {
		if n.IsGroup() {
			for _, c := range n.Children {
				walk(c)
			}
			return
		}
		name := strings.ToLower(n.Element.Name)
		for _, w := range nameWordsInLabels {
			if strings.Contains(name, w) {
				keys[n.Key] = true
			}
		}
	}
	for _, p := range m.Pages {
		for _, n := range p.Nodes {
			walk(n)
		}
	}
	return keys
}

// nameKeysOf returns the JSON keys of data that look like name fields
// ("familienname", "vorname", "name", …).
func nameKeysOf(data []byte) map[string]bool {
	keys := map[string]bool{}
	var v any
	if json.Unmarshal(data, &v) != nil {
		return keys
	}
	var walk func(v any)
	walk = func(v any) {
		switch t := v.(type) {
		case map[string]any:
			for k, c := range t {
				lk := strings.ToLower(k)
				if lk == "name" {
					keys[k] = true
				}
				for _, w := range nameWordsInLabels {
					if strings.Contains(lk, strings.ReplaceAll(w, " ", "")) {
						keys[k] = true
					}
				}
				walk(c)
			}
		case []any:
			for _, c := range t {
				walk(c)
			}
		}
	}
	walk(v)
	return keys
}

// applicantNames collects the values of a form's name fields from an
// application's JSON.
func applicantNames(data []byte, keys map[string]bool) []string {
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		return nil
	}
	var out []string
	var walk func(key string, v any)
	walk = func(key string, v any) {
		switch t := v.(type) {
		case map[string]any:
			for k, c := range t {
				walk(k, c)
			}
		case []any:
			for _, c := range t {
				walk(key, c)
			}
		case string:
			if keys[key] {
				out = append(out, t)
			}
		}
	}
	walk("", v)
	return out
}

// RecordExport audits the export of a case (for the E-Akte).
func (s *Service) RecordExport(ctx context.Context, a *identity.Actor, c *Case) {
	_, _ = s.Audit.Record(ctx, audit.Entry{Actor: a.ID(), Action: "case.exported", ObjectType: "case", ObjectID: c.ID, Tenant: c.TenantID, Outcome: audit.Success})
}

// Reject rejects a case formally (FIT-Connect reject-submission): the
// application cannot be worked at all, e.g. it was sent to the wrong
// authority. The applicant is told through the Postfach with the reason,
// and the case is closed as abgelehnt.
func (s *Service) Reject(ctx context.Context, a *identity.Actor, id, reason string) error {
	c, err := s.load(ctx, id)
	if err != nil {
		return err
	}
	if err := authorize(a, c.TenantID, identity.ActionWork); err != nil {
		return err
	}
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return errs.FieldError("grund", "inbox.error.reason_missing")
	}
	var accepted int
	if err := s.DB.QueryRowContext(ctx, `SELECT COUNT(*) FROM inbox_accepted WHERE case_id = ?`, id).Scan(&accepted); err != nil {
		return err
	}
	if accepted > 0 {
		return errs.FieldError("grund", "inbox.error.already_accepted")
	}
	if err := s.answer(ctx, a.TenantKey, id, "reject-submission"); err != nil {
		return err
	}
	if !c.External {
		pc := &postfach.Case{ID: c.ID, Owner: c.Owner, TenantID: c.TenantID, Reference: c.Reference}
		if _, err := s.Postfach.SendAs(ctx, a.ID(), pc, postfach.Draft{CaseID: c.ID, Kind: postfach.Mitteilung, Subject: "Antrag zurückgewiesen", Body: reason}); err != nil {
			return err
		}
	}
	return s.DB.InTx(ctx, func(tx *store.Tx) error {
		if err := s.Postfach.RecordState(ctx, tx, id, postfach.StateAbgelehnt, a.ID()); err != nil {
			return err
		}
		_, err := s.Audit.Append(ctx, tx, audit.Entry{Actor: a.ID(), Action: "case.rejected", ObjectType: "case", ObjectID: id, Tenant: c.TenantID, Outcome: audit.Success})
		return err
	})
}

// FormPDF is the blob id of the application's PDF (the form as
// submitted), "" if there is none.
func (s *Service) FormPDF(ctx context.Context, a *identity.Actor, id string) (string, error) {
	c, err := s.load(ctx, id)
	if err != nil {
		return "", err
	}
	if err := authorize(a, c.TenantID, identity.ActionView); err != nil {
		return "", err
	}
	var blobID string
	err = s.DB.QueryRowContext(ctx, `SELECT form_pdf FROM deliveries WHERE submission_id = ?`, id).Scan(&blobID)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return blobID, err
}
