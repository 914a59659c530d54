package identity

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/ozgo/ozgo/internal/audit"
	"github.com/ozgo/ozgo/internal/crypt"
	"github.com/ozgo/ozgo/internal/errs"
	"github.com/ozgo/ozgo/internal/store"
	"github.com/ozgo/ozgo/internal/store/dbtest"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// clock is a settable time for tests.
type clock struct{ t time.Time }

func (c *clock) now() time.Time          { return c.t }
func (c *clock) advance(d time.Duration) { c.t = c.t.Add(d) }

func newService(t testing.TB, db *store.DB) (*Service, *clock) {
	t.Helper()
	key, err := crypt.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	keys, err := crypt.NewKeyring(key)
	if err != nil {
		t.Fatal(err)
	}
	s := NewService(db, keys, audit.New(db, keys))
	c := &clock{t: time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)}
	s.Now = c.now
	return s, c
}

func TestSafeReturn(t *testing.T) {
	for in, want := range map[string]string{
		"/onlinedienste/x":      "/onlinedienste/x",
		"/suche?q=Hund":         "/suche?q=Hund",
		"":                      "",
		"https://evil.example/": "",
		"//evil.example":        "",
		"///evil.example":       "",
		"/\\evil.example":       "",
		"\\\\evil.example":      "",
		"http:/evil.example":    "",
		"javascript:alert(1)":   "",
		"/%2F/evil.example":     "",
		"/a\nLocation: x":       "",
		"evil.example":          "",
		"/ok/../still-relative": "/ok/../still-relative",
		"/%5Cevil.example":      "",
		" /leading-space":       "",
		"/\t/evil.example":      "",
	} {
		if got := SafeReturn(in); got != want {
			t.Errorf("SafeReturn(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzSafeReturn(f *testing.F) {
	for _, s := range []string{"/a", "//x", "/\\x", "https://x", "/%2f", "/a?b=//c"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := SafeReturn(s)
		if got == "" {
			return
		}
		if got != s || got[0] != '/' || strings.HasPrefix(got, "//") || strings.ContainsAny(got, "\\\r\n\t") {
			t.Fatalf("SafeReturn(%q) = %q", s, got)
		}
	})
}

func TestTOTPRFC6238(t *testing.T) {
	// RFC 6238 appendix B, SHA-1, secret "12345678901234567890"; the
	// 6-digit codes are the last six digits of the 8-digit ones.
	secret := "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
	for ts, want := range map[int64]string{59: "287082", 1111111109: "081804", 1234567890: "005924", 2000000000: "279037"} {
		got, err := TOTPCode(secret, ts/30)
		if err != nil || got != want {
			t.Errorf("T=%d: %s %v, want %s", ts, got, err, want)
		}
	}
	now := time.Unix(1234567890, 0)
	if checkTOTP(secret, "005924", now, 0) < 0 {
		t.Error("current code refused")
	}
	if checkTOTP(secret, "005924", now, TOTPStep(now)) >= 0 {
		t.Error("code accepted twice")
	}
	if checkTOTP(secret, "005925", now, 0) >= 0 || checkTOTP(secret, "", now, 0) >= 0 {
		t.Error("wrong code accepted")
	}
}

func TestPasswordHash(t *testing.T) {
	p := Argon2Params{Memory: 1024, Time: 1, Threads: 1}
	h := HashPassword("richtig-und-lang", p)
	if !strings.HasPrefix(h, "$argon2id$v=19$m=1024,t=1,p=1$") {
		t.Fatalf("hash %s", h)
	}
	if !CheckPassword("richtig-und-lang", h) || CheckPassword("falsch-und-lang", h) {
		t.Error("check")
	}
	for _, bad := range []string{"", "$argon2i$v=19$m=1,t=1,p=1$a$b", "$argon2id$v=19$m=9999999,t=1,p=1$YQ$YQ", h + "x$"} {
		if CheckPassword("x", bad) {
			t.Errorf("malformed hash %q matched", bad)
		}
	}
}

func TestSessions(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s, c := newService(t, db)
		p, err := s.LoginPerson(ctx, Assertion{Provider: "bundid", Subject: "bpk2-1", TrustLevel: Substantiell, ReplayID: "a1",
			Attributes: Attributes{GivenName: "Erika", FamilyName: "Mustermann", Email: "erika@example.org"}})
		if err != nil {
			t.Fatal(err)
		}
		// The same assertion again is a replay.
		if _, err := s.LoginPerson(ctx, Assertion{Provider: "bundid", Subject: "bpk2-1", TrustLevel: Substantiell, ReplayID: "a1"}); !errs.Is(err, errs.Unauthorized) {
			t.Fatalf("replay: %v", err)
		}
		// The same subject is the same person; attributes are kept sealed.
		p2, err := s.LoginPerson(ctx, Assertion{Provider: "bundid", Subject: "bpk2-1", TrustLevel: Hoch, ReplayID: "a2", Attributes: Attributes{GivenName: "Erika", FamilyName: "Musterfrau"}})
		if err != nil || p2.ID != p.ID {
			t.Fatalf("second login: %v %v", p2, err)
		}
		got, err := s.Person(ctx, p.ID)
		if err != nil || got.Attributes.FamilyName != "Musterfrau" {
			t.Fatalf("person: %+v %v", got, err)
		}
		var raw []byte
		if err := db.QueryRowContext(ctx, `SELECT attrs FROM persons WHERE id = ?`, p.ID).Scan(&raw); err != nil || strings.Contains(string(raw), "Musterfrau") {
			t.Errorf("attributes stored in plain text")
		}

		s1, err := s.StartSession(ctx, "", KindCitizen, p.ID, Hoch, "bundid", false)
		if err != nil {
			t.Fatal(err)
		}
		if got, err := s.Session(ctx, s1.Token); err != nil || got.Principal != p.ID || got.TrustLevel != Hoch {
			t.Fatalf("session: %+v %v", got, err)
		}
		// Rotation: a new login ends the old session.
		s2, err := s.StartSession(ctx, s1.Token, KindCitizen, p.ID, Hoch, "bundid", false)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Session(ctx, s1.Token); !errs.Is(err, errs.NotFound) {
			t.Error("old session still valid after rotation")
		}
		// Idle timeout, with activity keeping it alive.
		for i := 0; i < 3; i++ {
			c.advance(CitizenIdle - time.Minute)
			if _, err := s.Session(ctx, s2.Token); err != nil {
				t.Fatalf("active session ended: %v", err)
			}
		}
		c.advance(CitizenIdle)
		if _, err := s.Session(ctx, s2.Token); !errs.Is(err, errs.NotFound) {
			t.Error("idle session still valid")
		}
		// Absolute timeout despite activity.
		s3, _ := s.StartSession(ctx, "", KindCitizen, p.ID, Hoch, "bundid", false)
		for elapsed := 20 * time.Minute; elapsed < CitizenMax; elapsed += 20 * time.Minute {
			c.advance(20 * time.Minute)
			if _, err := s.Session(ctx, s3.Token); err != nil {
				t.Fatalf("session ended early after %v: %v", elapsed, err)
			}
		}
		c.advance(20 * time.Minute)
		if _, err := s.Session(ctx, s3.Token); !errs.Is(err, errs.NotFound) {
			t.Error("session outlived its absolute timeout")
		}
		// Logout everywhere.
		a, _ := s.StartSession(ctx, "", KindCitizen, p.ID, Hoch, "bundid", false)
		b, _ := s.StartSession(ctx, "", KindCitizen, p.ID, Hoch, "bundid", false)
		if n, err := s.EndAllSessions(ctx, "person:"+p.ID, p.ID); err != nil || n != 2 {
			t.Fatalf("end all: %d %v", n, err)
		}
		for _, tok := range []string{a.Token, b.Token} {
			if _, err := s.Session(ctx, tok); !errs.Is(err, errs.NotFound) {
				t.Error("session survived logout everywhere")
			}
		}
		if err := s.Purge(ctx); err != nil {
			t.Fatal(err)
		}
	})
}

func TestLoginRequests(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s, c := newService(t, db)
		p := Pending{ID: "_req1", Provider: "bundid", TrustLevel: Hoch, ReturnTo: "/x", Secret: []byte("pkce")}
		if err := s.SaveLoginRequest(ctx, p, "bind"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.TakeLoginRequest(ctx, "bundid", "_req1", "other-browser"); !errs.Is(err, errs.Unauthorized) {
			t.Errorf("other browser: %v", err)
		}
		// Used (even wrongly) once, it is gone.
		if _, err := s.TakeLoginRequest(ctx, "bundid", "_req1", "bind"); !errs.Is(err, errs.Unauthorized) {
			t.Errorf("second take: %v", err)
		}
		_ = s.SaveLoginRequest(ctx, Pending{ID: "_req2", Provider: "bundid", TrustLevel: Hoch, ReturnTo: "/y", Secret: []byte("s")}, "bind")
		got, err := s.TakeLoginRequest(ctx, "bundid", "_req2", "bind")
		if err != nil || got.ReturnTo != "/y" || string(got.Secret) != "s" || got.TrustLevel != Hoch {
			t.Fatalf("take: %+v %v", got, err)
		}
		_ = s.SaveLoginRequest(ctx, Pending{ID: "_req3", Provider: "bundid", Secret: []byte{}}, "bind")
		c.advance(LoginRequestTTL + time.Second)
		if _, err := s.TakeLoginRequest(ctx, "bundid", "_req3", "bind"); !errs.Is(err, errs.Unauthorized) {
			t.Errorf("expired request: %v", err)
		}
	})
}

func TestStaffLoginThrottleAndTOTP(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s, c := newService(t, db)
		if err := s.CreateTenant(ctx, "system", "tue", "Tübingen", "08416"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.CreateStaff(ctx, "system", NewStaff{Email: "Op@Example.org", Roles: []Role{RoleOperator}, Password: "kurz"}); !errs.Is(err, errs.Invalid) {
			t.Errorf("short password: %v", err)
		}
		if _, err := s.CreateStaff(ctx, "system", NewStaff{Email: "c@example.org", Roles: []Role{RoleClerk}, Password: "ein-langes-passwort"}); !errs.Is(err, errs.Invalid) {
			t.Errorf("clerk without tenant: %v", err)
		}
		secret := NewTOTPSecret()
		st, err := s.CreateStaff(ctx, "system", NewStaff{Email: "Clerk@Example.org", Roles: []Role{RoleClerk}, TenantID: "tue", Password: "ein-langes-passwort", TOTPSecret: secret})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.CreateStaff(ctx, "system", NewStaff{Email: "clerk@example.org", Roles: []Role{RoleClerk}, TenantID: "tue", Password: "ein-langes-passwort"}); !errs.Is(err, errs.Conflict) {
			t.Errorf("duplicate: %v", err)
		}
		// 20 wrong passwords a minute are answered; the 21st attempt is
		// refused with a wait message even with the right password.
		for i := 0; i < 20; i++ {
			if _, err := s.StaffLogin(ctx, "clerk@example.org", "falsch", "192.0.2.1"); !errs.Is(err, errs.Unauthorized) {
				t.Fatalf("attempt %d: %v", i+1, err)
			}
			c.advance(time.Second)
		}
		_, err = s.StaffLogin(ctx, "clerk@example.org", "ein-langes-passwort", "192.0.2.1")
		if !errs.Is(err, errs.TooManyRequests) {
			t.Fatalf("21st attempt: %v", err)
		}
		if msg, args := errs.MessageArgsOf(err); msg != "identity.login.throttled" || len(args) != 1 || args[0].(int) < 1 || args[0].(int) > 60 {
			t.Errorf("wait message: %s %v", msg, args)
		}
		// Per account: another address does not help.
		if _, err := s.StaffLogin(ctx, "clerk@example.org", "ein-langes-passwort", "198.51.100.7"); !errs.Is(err, errs.TooManyRequests) {
			t.Errorf("same account, other address: %v", err)
		}
		// Per address: another account from the same address is refused too.
		if _, err := s.StaffLogin(ctx, "someone@example.org", "x", "192.0.2.1"); !errs.Is(err, errs.TooManyRequests) {
			t.Errorf("same address, other account: %v", err)
		}
		// Another account from another address is not affected.
		if _, err := s.StaffLogin(ctx, "someone@example.org", "x", "203.0.113.9"); !errs.Is(err, errs.Unauthorized) {
			t.Errorf("unrelated attempt: %v", err)
		}
		// After the window the right password works.
		c.advance(time.Minute)
		got, err := s.StaffLogin(ctx, "CLERK@example.org", "ein-langes-passwort", "192.0.2.1")
		if err != nil || got.ID != st.ID {
			t.Fatalf("login after waiting: %v", err)
		}
		sess, err := s.FinishStaffLogin(ctx, "", got)
		if err != nil || !sess.Pending2FA {
			t.Fatalf("pending session: %+v %v", sess, err)
		}
		if a, _ := s.ActorFor(ctx, sess); a.LoggedIn() {
			t.Error("session counts as logged in before the second factor")
		}
		if err := s.VerifySecondFactor(ctx, sess, "000000", "192.0.2.1"); !errs.Is(err, errs.Invalid) {
			t.Errorf("wrong code: %v", err)
		}
		code, _ := TOTPCode(secret, TOTPStep(c.t))
		if err := s.VerifySecondFactor(ctx, sess, code, "192.0.2.1"); err != nil {
			t.Fatal(err)
		}
		sess, _ = s.Session(ctx, sess.Token)
		a, err := s.ActorFor(ctx, sess)
		if err != nil || !a.LoggedIn() || a.TenantID != "tue" || !a.Has(RoleClerk) {
			t.Fatalf("actor: %+v %v", a, err)
		}
		// The password unlocked the tenant key (this first account of the
		// tenant created it); the session gives it after the second factor.
		if len(a.TenantKey) != 32 {
			t.Error("no tenant key after password and second factor")
		}
		// The same code cannot log in a second session.
		sess2, _ := s.FinishStaffLogin(ctx, "", got)
		if err := s.VerifySecondFactor(ctx, sess2, code, "192.0.2.1"); !errs.Is(err, errs.Invalid) {
			t.Errorf("code reused: %v", err)
		}
		var n int
		if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM audit_log WHERE action = 'login.staff' AND outcome = 'failure'`).Scan(&n); err != nil || n < 20 {
			t.Errorf("failed logins audited: %d %v", n, err)
		}
	})
}

func TestAuthorize(t *testing.T) {
	anon := &Actor{}
	erika := &Actor{Kind: KindCitizen, Principal: "p1", TrustLevel: Hoch, Orgs: map[string]string{"o1": OrgAdmin}}
	max := &Actor{Kind: KindCitizen, Principal: "p2", TrustLevel: Hoch, Orgs: map[string]string{"o1": OrgMember}}
	proxy := &Actor{Kind: KindCitizen, Principal: "p3", ActingAs: "person:p1", MandateID: "m1", MandateScope: "99010014001001"}
	clerkTue := &Actor{Kind: KindStaff, Principal: "s1", TenantID: "tue", Roles: []Role{RoleClerk}}
	adminTue := &Actor{Kind: KindStaff, Principal: "s2", TenantID: "tue", Roles: []Role{RoleTenantAdmin}}
	clerkBer := &Actor{Kind: KindStaff, Principal: "s3", TenantID: "ber", Roles: []Role{RoleClerk}}
	operator := &Actor{Kind: KindStaff, Principal: "s4", Roles: []Role{RoleOperator}}

	draft := Object{Type: "draft", Owner: "person:p1", Leika: "99010014001001"}
	otherDraft := Object{Type: "draft", Owner: "person:p1", Leika: "99000000000000"}
	org := Object{Type: "organisation", Owner: "organisation:o1"}
	caseTue := Object{Type: "case", TenantID: "tue"}
	tenantObj := Object{Type: "tenant", TenantID: "tue", Platform: true}
	for _, c := range []struct {
		name string
		a    *Actor
		act  Action
		o    Object
		want errs.Code
	}{
		{"anonymous draft", anon, ActionView, draft, errs.Unauthorized},
		{"own draft", erika, ActionEdit, draft, ""},
		{"other's draft", max, ActionView, draft, errs.NotFound},
		{"proxy in scope", proxy, ActionEdit, draft, ""},
		{"proxy out of scope", proxy, ActionView, otherDraft, errs.NotFound},
		{"proxy cannot manage", proxy, ActionManage, draft, errs.NotFound},
		{"member views org", max, ActionView, org, ""},
		{"member cannot manage org", max, ActionManage, org, errs.NotFound},
		{"admin manages org", erika, ActionManage, org, ""},
		{"clerk sees citizen draft", clerkTue, ActionView, draft, errs.NotFound},
		{"clerk works own tenant", clerkTue, ActionWork, caseTue, ""},
		{"clerk other tenant", clerkBer, ActionView, caseTue, errs.NotFound},
		{"admin cannot work cases", adminTue, ActionWork, caseTue, errs.NotFound},
		{"citizen sees case", erika, ActionView, caseTue, errs.NotFound},
		{"operator sees no case", operator, ActionWork, caseTue, errs.NotFound},
		{"operator manages tenant", operator, ActionManage, tenantObj, ""},
		{"public", anon, ActionView, Object{Public: true}, ""},
		{"public not editable", anon, ActionEdit, Object{Public: true}, errs.Unauthorized},
	} {
		err := Authorize(c.a, c.act, c.o)
		if got := errs.CodeOf(err); (err == nil) != (c.want == "") || (err != nil && got != c.want) {
			t.Errorf("%s: %v, want %q", c.name, err, c.want)
		}
	}
}

func TestMandates(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s, c := newService(t, db)
		person := func(sub string) *Actor {
			p, err := s.LoginPerson(ctx, Assertion{Provider: "t", Subject: sub, TrustLevel: Hoch, Attributes: Attributes{GivenName: sub}})
			if err != nil {
				t.Fatal(err)
			}
			return &Actor{Kind: KindCitizen, Principal: p.ID, TrustLevel: Hoch, Orgs: map[string]string{}}
		}
		grantor, grantee, stranger := person("Anna"), person("Ben"), person("Cem")
		m, code, err := s.OfferMandate(ctx, grantor, "person:"+grantor.Principal, "", c.t, c.t.Add(48*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.OfferMandate(ctx, grantor, "person:"+grantor.Principal, "123", c.t, c.t.Add(time.Hour)); !errs.Is(err, errs.Invalid) {
			t.Errorf("bad scope: %v", err)
		}
		if _, _, err := s.OfferMandate(ctx, stranger, "person:"+grantor.Principal, "", c.t, c.t.Add(time.Hour)); !errs.Is(err, errs.NotFound) {
			t.Errorf("offer for someone else: %v", err)
		}
		if _, err := s.Redeem(ctx, grantee, "FALSCH", "192.0.2.1"); !errs.Is(err, errs.Invalid) {
			t.Errorf("wrong code: %v", err)
		}
		if res, err := s.Redeem(ctx, grantee, strings.ToLower(code), "192.0.2.1"); err != nil || res != "mandate:"+m.ID {
			t.Fatalf("redeem: %s %v", res, err)
		}
		if _, err := s.Redeem(ctx, stranger, code, "192.0.2.2"); !errs.Is(err, errs.Invalid) {
			t.Errorf("code used twice: %v", err)
		}
		// Both sides see it; a stranger does not and cannot revoke it.
		for _, a := range []*Actor{grantor, grantee} {
			ms, err := s.Mandates(ctx, a)
			if err != nil || len(ms) != 1 || ms[0].State(c.t) != "gueltig" {
				t.Errorf("mandates of %s: %+v %v", a.Principal, ms, err)
			}
		}
		if ms, _ := s.Mandates(ctx, stranger); len(ms) != 0 {
			t.Error("stranger sees the mandate")
		}
		if err := s.RevokeMandate(ctx, stranger, m.ID); !errs.Is(err, errs.NotFound) {
			t.Errorf("stranger revokes: %v", err)
		}
		// The grantee acts for the grantor.
		sess, _ := s.StartSession(ctx, "", KindCitizen, grantee.Principal, Hoch, "t", false)
		if err := s.ActAs(ctx, sess, "person:"+stranger.Principal); !errs.Is(err, errs.NotFound) {
			t.Errorf("act for a stranger: %v", err)
		}
		if err := s.ActAs(ctx, sess, "person:"+grantor.Principal); err != nil {
			t.Fatal(err)
		}
		sess, _ = s.Session(ctx, sess.Token)
		a, _ := s.ActorFor(ctx, sess)
		if a.Party() != "person:"+grantor.Principal || a.MandateID != m.ID {
			t.Fatalf("acting: %+v", a)
		}
		// Expired: acting ends by itself.
		c.advance(49 * time.Hour)
		sess.LastSeen = c.t
		a, _ = s.ActorFor(ctx, sess)
		if a.Party() != "person:"+grantee.Principal {
			t.Errorf("acting under an expired mandate: %+v", a)
		}
		// Revoked by the grantor: recorded with both identities.
		if err := s.RevokeMandate(ctx, grantor, m.ID); err != nil {
			t.Fatal(err)
		}
		var n int
		if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM audit_log WHERE object_id = ? AND action IN ('mandate.offered', 'mandate.accepted', 'mandate.revoked')`, m.ID).Scan(&n); err != nil || n != 3 {
			t.Errorf("mandate audit records: %d %v", n, err)
		}

		// Organisations: admin invites a member, who then acts for it.
		org, err := s.CreateOrganisation(ctx, grantor.Principal, "Bäckerei Anna GmbH")
		if err != nil {
			t.Fatal(err)
		}
		grantor.Orgs[org.ID] = OrgAdmin
		if _, err := s.InviteMember(ctx, stranger, org.ID, OrgMember); !errs.Is(err, errs.NotFound) {
			t.Errorf("stranger invites: %v", err)
		}
		inv, err := s.InviteMember(ctx, grantor, org.ID, OrgMember)
		if err != nil {
			t.Fatal(err)
		}
		if res, err := s.Redeem(ctx, grantee, inv, "192.0.2.1"); err != nil || res != "organisation:"+org.ID {
			t.Fatalf("join: %s %v", res, err)
		}
		parties, _ := s.Parties(ctx, grantee.Principal)
		if len(parties) != 1 || parties[0].Ref != "organisation:"+org.ID || parties[0].Name != "Bäckerei Anna GmbH" {
			t.Errorf("parties: %+v", parties)
		}
		if _, err := s.Organisation(ctx, stranger, org.ID); !errs.Is(err, errs.NotFound) {
			t.Errorf("stranger opens organisation: %v", err)
		}
	})
}

func TestTenantKey(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s, _ := newService(t, db)
		for _, id := range []string{"tue", "ber"} {
			if err := s.CreateTenant(ctx, "system", id, id, ""); err != nil {
				t.Fatal(err)
			}
		}
		first, err := s.CreateStaff(ctx, "system", NewStaff{Email: "a@tue.example", Roles: []Role{RoleTenantAdmin}, TenantID: "tue", Password: "erstes-passwort-1"})
		if err != nil || !first.KeyCreated || !first.KeyAccess || len(first.TenantKey()) != 32 {
			t.Fatalf("first account: %v %+v", err, first)
		}
		key := first.TenantKey()
		other, err := s.CreateStaff(ctx, "system", NewStaff{Email: "a@ber.example", Roles: []Role{RoleTenantAdmin}, TenantID: "ber", Password: "erstes-passwort-1"})
		if err != nil || !other.KeyCreated || bytes.Equal(other.TenantKey(), key) {
			t.Fatal("tenants share a key")
		}
		// Later accounts: without the key no access; another tenant's key
		// is refused; the right one is wrapped.
		if st, err := s.CreateStaff(ctx, "system", NewStaff{Email: "b@tue.example", Roles: []Role{RoleClerk}, TenantID: "tue", Password: "zweites-passwort-2"}); err != nil || st.KeyAccess || st.KeyCreated {
			t.Errorf("without key: %v %+v", err, st)
		}
		if _, err := s.CreateStaff(ctx, "system", NewStaff{Email: "c@tue.example", Roles: []Role{RoleClerk}, TenantID: "tue", Password: "drittes-passwort-3", TenantKey: other.TenantKey()}); !errs.Is(err, errs.Forbidden) {
			t.Errorf("foreign key: %v", err)
		}
		st, err := s.CreateStaff(ctx, "system", NewStaff{Email: "c@tue.example", Roles: []Role{RoleClerk}, TenantID: "tue", Password: "drittes-passwort-3", TenantKey: key})
		if err != nil || !st.KeyAccess {
			t.Fatalf("with key: %v", err)
		}
		if k, err := s.UnlockWithPassword(ctx, "c@tue.example", "drittes-passwort-3"); err != nil || !bytes.Equal(k, key) {
			t.Errorf("unlock: %v", err)
		}
		if _, err := s.UnlockWithPassword(ctx, "b@tue.example", "zweites-passwort-2"); err == nil {
			t.Error("an account without access unlocks")
		}
		// The wraps and the check value do not contain the key.
		rows, err := db.QueryContext(ctx, `SELECT wrapped, salt FROM tenant_key_wraps`)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var w, salt []byte
			if err := rows.Scan(&w, &salt); err != nil {
				t.Fatal(err)
			}
			if bytes.Contains(w, key) || bytes.Contains(salt, key) {
				t.Error("a wrap holds the key in plaintext")
			}
		}
		rows.Close()
		// A password change re-wraps: the old password no longer opens it.
		if err := s.ChangePassword(ctx, st.ID, "falsch-falsch-falsch", "viertes-passwort-4"); !errs.Is(err, errs.Invalid) {
			t.Errorf("change with a wrong password: %v", err)
		}
		if err := s.ChangePassword(ctx, st.ID, "drittes-passwort-3", "viertes-passwort-4"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.UnlockWithPassword(ctx, "c@tue.example", "drittes-passwort-3"); err == nil {
			t.Error("the old password still unlocks")
		}
		if k, err := s.UnlockWithPassword(ctx, "c@tue.example", "viertes-passwort-4"); err != nil || !bytes.Equal(k, key) {
			t.Errorf("new password: %v", err)
		}
		// The session holds the key until it ends.
		got, err := s.StaffLogin(ctx, "c@tue.example", "viertes-passwort-4", "192.0.2.1")
		if err != nil {
			t.Fatal(err)
		}
		sess, err := s.FinishStaffLogin(ctx, "", got)
		if err != nil {
			t.Fatal(err)
		}
		again, err := s.Session(ctx, sess.Token)
		if err != nil || !bytes.Equal(again.TenantKey, key) {
			t.Fatalf("session key: %v", err)
		}
		if err := s.EndSession(ctx, sess.Token); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Session(ctx, sess.Token); !errs.Is(err, errs.NotFound) {
			t.Error("session alive after logout")
		}
		var n int
		if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM sessions WHERE tenant_key IS NOT NULL`).Scan(&n); err != nil || n != 0 {
			t.Errorf("keys left in sessions: %d %v", n, err)
		}
	})
}
