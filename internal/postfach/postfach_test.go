package postfach

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/ozgo/ozgo/internal/audit"
	"github.com/ozgo/ozgo/internal/blob"
	"github.com/ozgo/ozgo/internal/crypt"
	"github.com/ozgo/ozgo/internal/demo"
	"github.com/ozgo/ozgo/internal/errs"
	"github.com/ozgo/ozgo/internal/identity"
	"github.com/ozgo/ozgo/internal/postfach/smtptest"
	"github.com/ozgo/ozgo/internal/store"
	"github.com/ozgo/ozgo/internal/store/dbtest"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

type env struct {
	svc          *Service
	ids          *identity.Service
	mailer       *Mailer
	clock        *time.Time
	caseID       string
	owner        *identity.Actor
	other        *identity.Actor
	clerk        *identity.Actor
	foreignClerk *identity.Actor
}

func setup(t *testing.T, db *store.DB, smtpAddr string) *env {
	t.Helper()
	ctx := context.Background()
	key, _ := crypt.GenerateKey()
	keys, _ := crypt.NewKeyring(key)
	log := audit.New(db, keys)
	ids := identity.NewService(db, keys, log)
	if err := db.InTx(ctx, func(tx *store.Tx) error { return demo.LoadOnlineServices(ctx, tx) }); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	clock := &now
	p, err := ids.LoginPerson(ctx, identity.Assertion{Provider: "t", Subject: "erika", TrustLevel: identity.Hoch, Attributes: identity.Attributes{GivenName: "Erika", Email: "erika@example.org"}})
	if err != nil {
		t.Fatal(err)
	}
	q, _ := ids.LoginPerson(ctx, identity.Assertion{Provider: "t", Subject: "max", TrustLevel: identity.Hoch})
	if _, err := db.ExecContext(ctx, `INSERT INTO submissions (id, reference, token_hash, owner, service, form_id, form_version, schema_id, data, attachments, submitted_at, tenant_id)
		VALUES ('case1', '2026-AAAA-BBBB', 'x', ?, 'blaue-karte-eu', 'S00000121', '1.0', 's', ?, ?, ?, 'tue')`, "person:"+p.ID, []byte{}, []byte{}, store.FormatTime(now)); err != nil {
		t.Fatal(err)
	}
	fs, _ := blob.NewFS(t.TempDir())
	mailer := &Mailer{DB: db, Keys: keys, SMTP: SMTP{Host: "127.0.0.1", Security: "none", From: "ozgo <noreply@ozgo.example>"},
		Contacts: ids.ContactEmails, BaseURL: "https://ozgo.example", Log: slog.New(slog.DiscardHandler), Now: func() time.Time { return *clock }}
	if smtpAddr != "" {
		host, port, _ := strings.Cut(smtpAddr, ":")
		mailer.SMTP.Host = host
		var n int
		for _, c := range port {
			n = n*10 + int(c-'0')
		}
		mailer.SMTP.Port = n
	}
	svc := &Service{DB: db, Keys: keys, Blobs: blob.NewEncrypted(fs, keys), Audit: log, Cases: SubmissionCases{DB: db}, Notifier: mailer, Now: func() time.Time { return *clock }}
	return &env{svc: svc, ids: ids, mailer: mailer, clock: clock, caseID: "case1",
		owner:        &identity.Actor{Kind: identity.KindCitizen, Principal: p.ID, TrustLevel: identity.Hoch},
		other:        &identity.Actor{Kind: identity.KindCitizen, Principal: q.ID, TrustLevel: identity.Hoch},
		clerk:        &identity.Actor{Kind: identity.KindStaff, Principal: "s1", TenantID: "tue", Roles: []identity.Role{identity.RoleClerk}},
		foreignClerk: &identity.Actor{Kind: identity.KindStaff, Principal: "s2", TenantID: "ber", Roles: []identity.Role{identity.RoleClerk}},
	}
}

func TestMessagesBothWays(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := setup(t, db, "")
		e.mailer.SMTP.Host = "" // no notifications here
		s := e.svc
		if _, err := s.Send(ctx, e.clerk, Draft{CaseID: e.caseID, Kind: Nachforderung, Subject: "Nachweis fehlt", Body: "Bitte reichen Sie den Arbeitsvertrag nach."}); !errs.Is(err, errs.Invalid) {
			t.Errorf("request without due date: %v", err)
		}
		m, err := s.Send(ctx, e.clerk, Draft{CaseID: e.caseID, Kind: Nachforderung, Subject: "Nachweis fehlt", Body: "Bitte reichen Sie den Arbeitsvertrag nach.", DueDate: "2026-12-10"})
		if err != nil {
			t.Fatal(err)
		}
		for name, a := range map[string]*identity.Actor{"other citizen": e.other, "other tenant": e.foreignClerk} {
			if _, err := s.Send(ctx, a, Draft{CaseID: e.caseID, Kind: Frage, Body: "x"}); !errs.Is(err, errs.NotFound) && name == "other tenant" {
				t.Errorf("%s sends: %v", name, err)
			}
			if _, err := s.Get(ctx, a, m.ID); !errs.Is(err, errs.NotFound) {
				t.Errorf("%s reads: %v", name, err)
			}
			if _, err := s.Reply(ctx, a, Draft{CaseID: e.caseID, Kind: Antwort, Body: "x"}); !errs.Is(err, errs.NotFound) {
				t.Errorf("%s answers: %v", name, err)
			}
		}
		if _, err := s.Get(ctx, &identity.Actor{}, m.ID); !errs.Is(err, errs.Unauthorized) {
			t.Errorf("anonymous: %v", err)
		}
		if n, _ := s.Unread(ctx, e.owner); n != 1 {
			t.Errorf("unread: %d", n)
		}
		got, err := s.Get(ctx, e.owner, m.ID)
		if err != nil || got.Body != "Bitte reichen Sie den Arbeitsvertrag nach." || got.DueDate != "2026-12-10" {
			t.Fatalf("get: %+v %v", got, err)
		}
		if n, _ := s.Unread(ctx, e.owner); n != 0 {
			t.Errorf("unread after reading: %d", n)
		}
		// The content is sealed at rest.
		var raw []byte
		_ = db.QueryRowContext(ctx, `SELECT content FROM messages WHERE id = ?`, m.ID).Scan(&raw)
		if strings.Contains(string(raw), "Arbeitsvertrag") {
			t.Error("message stored in plain text")
		}
		info, err := s.Blobs.Put(ctx, strings.NewReader("%PDF-1.4 Vertrag"), 0)
		if err != nil {
			t.Fatal(err)
		}
		ans, err := s.Reply(ctx, e.owner, Draft{CaseID: e.caseID, Kind: Antwort, ReplyTo: m.ID, Body: "Anbei der Vertrag.", Files: []NewFile{{BlobID: info.ID, Name: "vertrag.pdf", MediaType: "application/pdf", Size: info.Size, SHA256: info.SHA256}}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Reply(ctx, e.owner, Draft{CaseID: e.caseID, Kind: Bescheid, Body: "x"}); !errs.Is(err, errs.Invalid) {
			t.Errorf("citizen sends a Bescheid: %v", err)
		}
		rc, at, err := s.OpenAttachment(ctx, e.clerk, ans.ID, ans.Attachments[0].ID)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(rc)
		rc.Close()
		if string(b) != "%PDF-1.4 Vertrag" || at.Name != "vertrag.pdf" {
			t.Errorf("attachment: %q %+v", b, at)
		}
		if _, _, err := s.OpenAttachment(ctx, e.foreignClerk, ans.ID, ans.Attachments[0].ID); !errs.Is(err, errs.NotFound) {
			t.Errorf("foreign clerk opens attachment: %v", err)
		}
		// The Bescheid: delivered, opened, downloaded are recorded.
		pdf, _ := s.Blobs.Put(ctx, strings.NewReader("%PDF-1.4 Bescheid"), 0)
		bes, err := s.Send(ctx, e.clerk, Draft{CaseID: e.caseID, Kind: Bescheid, Subject: "Bescheid", Body: "Ihr Antrag ist bewilligt.", Files: []NewFile{{BlobID: pdf.ID, Name: "bescheid.pdf", MediaType: "application/pdf"}}})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.SetState(ctx, e.clerk, e.caseID, StateBewilligt); err != nil {
			t.Fatal(err)
		}
		if err := s.SetState(ctx, e.owner, e.caseID, StateBewilligt); !errs.Is(err, errs.NotFound) {
			t.Errorf("citizen sets state: %v", err)
		}
		if _, err := s.Get(ctx, e.owner, bes.ID); err != nil {
			t.Fatal(err)
		}
		rc, _, err = s.OpenAttachment(ctx, e.owner, bes.ID, bes.Attachments[0].ID)
		if err != nil {
			t.Fatal(err)
		}
		rc.Close()
		rs, err := s.Receipts(ctx, e.clerk, bes.ID)
		if err != nil || len(rs) != 3 || rs[0].Event != "delivered" || rs[1].Event != "opened" || rs[2].Event != "downloaded" {
			t.Errorf("receipts: %+v %v", rs, err)
		}
		// Lists, search, archive, the status monitor.
		list, _ := s.List(ctx, e.owner, Filter{Query: "anbei"})
		if len(list) != 1 || list[0].ID != ans.ID {
			t.Errorf("search: %d", len(list))
		}
		if err := s.Archive(ctx, e.owner, m.ID, true); err != nil {
			t.Fatal(err)
		}
		inbox, _ := s.List(ctx, e.owner, Filter{})
		archive, _ := s.List(ctx, e.owner, Filter{Archived: true})
		if len(inbox) != 2 || len(archive) != 1 {
			t.Errorf("inbox %d, archive %d", len(inbox), len(archive))
		}
		if l, _ := s.List(ctx, e.other, Filter{}); len(l) != 0 {
			t.Error("another citizen lists messages")
		}
		cases, err := s.MyCases(ctx, e.owner.Party())
		if err != nil || len(cases) != 1 || cases[0].State() != StateBewilligt || cases[0].Messages != 3 || len(cases[0].History) != 2 {
			t.Errorf("status monitor: %+v %v", cases, err)
		}
	})
}

func TestNotificationsSurviveSMTPOutage(t *testing.T) {
	ctx := context.Background()
	srv, err := smtptest.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Stop()
	e := setup(t, dbtest.SQLite(t), srv.Addr())
	srv.Stop() // the mail server is down
	if _, err := e.svc.Send(ctx, e.clerk, Draft{CaseID: e.caseID, Kind: Frage, Body: "Wann sind Sie eingereist?"}); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		if n, err := e.mailer.SendDue(ctx); err != nil || n != 0 {
			t.Fatalf("while down: %d %v", n, err)
		}
		*e.clock = e.clock.Add(2 * time.Hour)
	}
	if err := srv.Restart(); err != nil {
		t.Fatal(err)
	}
	if n, err := e.mailer.SendDue(ctx); err != nil || n != 1 {
		t.Fatalf("after the outage: %d %v", n, err)
	}
	*e.clock = e.clock.Add(2 * time.Hour)
	if n, _ := e.mailer.SendDue(ctx); n != 0 {
		t.Errorf("sent again: %d", n)
	}
	mails := srv.Mails()
	if len(mails) != 1 || mails[0].To[0] != "erika@example.org" || !strings.Contains(mails[0].Data, "https://ozgo.example/postfach") || strings.Contains(mails[0].Data, "eingereist") {
		t.Errorf("mails: %+v", mails)
	}
}

// TestOnDecidedOnce: the statistics hook runs inside the transaction of
// a case's first decision only; a later decision (after a Widerspruch,
// say) is not counted again, and the hook's error undoes the decision.
func TestOnDecidedOnce(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := setup(t, db, "")
		s := e.svc
		var calls []string
		fail := false
		s.OnDecided = func(ctx context.Context, tx *store.Tx, caseID string) error {
			if fail {
				return errs.E(errs.Internal, "counter down")
			}
			calls = append(calls, caseID)
			return nil
		}
		if err := s.SetState(ctx, e.clerk, e.caseID, StateInBearbeitung); err != nil {
			t.Fatal(err)
		}
		fail = true
		if err := s.SetState(ctx, e.clerk, e.caseID, StateAbgelehnt); err == nil {
			t.Fatal("decision recorded although the hook failed")
		}
		fail = false
		for _, st := range []string{StateAbgelehnt, StateInBearbeitung, StateBewilligt} {
			if err := s.SetState(ctx, e.clerk, e.caseID, st); err != nil {
				t.Fatal(err)
			}
		}
		if len(calls) != 1 || calls[0] != e.caseID {
			t.Errorf("hook calls = %v, want one for %s", calls, e.caseID)
		}
		h, err := s.History(ctx, e.clerk, e.caseID)
		if err != nil {
			t.Fatal(err)
		}
		if len(h) != 4 {
			t.Errorf("history has %d states, want 4 (the failed decision left none)", len(h))
		}
	})
}
